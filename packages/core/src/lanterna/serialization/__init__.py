"""``lanterna.save`` / ``lanterna.load``: PyTorch's checkpoint format, safe by default.

Files are PyTorch's zip checkpoints (what ``torch.save`` writes since 1.6), so a file saved here
loads in PyTorch with ``torch.load(path)`` and a state_dict saved by PyTorch loads here, without
PyTorch installed. What differs from PyTorch, on purpose:

- every record's CRC-32 is verified on load: a flipped byte is an error, not a wrong weight;
- saving to a path is atomic: a temporary file in the same folder, fsync, then rename, so a crash
  or a full disk leaves the previous file intact;
- ``weights_only=True`` loads run a restricted unpickler that imports and calls nothing outside
  an allowlist (see ``_unpickler.py`` and docs/serialization.md).

The machinery lives in submodules imported on first use (``import lanterna`` stays fast):
``_io`` (files, formats, map_location), ``_zip``, ``_pickler`` (saving), ``_unpickler`` and
``_allowlist`` (loading), ``_rebuild`` and ``_storage`` (tensors), ``_legacy`` (pre-1.6 files).

>>> import io, lanterna as torch
>>> buf = io.BytesIO()
>>> torch.save({"w": torch.arange(3.0)}, buf)
>>> _ = buf.seek(0)
>>> torch.load(buf)
{'w': tensor([0., 1., 2.])}
"""

from __future__ import annotations

import pickle

DEFAULT_PROTOCOL = 2

__all__ = [
    "CheckpointError",
    "DEFAULT_PROTOCOL",
    "LoadEndianness",
    "SourceChangeWarning",
    "add_safe_globals",
    "clear_safe_globals",
    "default_restore_location",
    "get_crc32_options",
    "get_default_load_endianness",
    "get_default_mmap_options",
    "get_safe_globals",
    "get_unsafe_globals_in_checkpoint",
    "load",
    "safe_globals",
    "save",
    "set_crc32_options",
    "set_default_load_endianness",
    "set_default_mmap_options",
]

# name -> submodule that defines it, imported on first access
_LAZY = {
    "add_safe_globals": "_allowlist",
    "safe_globals": "_allowlist",
    "get_safe_globals": "_allowlist",
    "clear_safe_globals": "_allowlist",
    "get_unsafe_globals_in_checkpoint": "_io",
    "write_checkpoint": "_io",
    "default_restore_location": "_storage",
    "CheckpointError": "_zip",
    **{
        name: "_options"
        for name in (
            "LoadEndianness",
            "SourceChangeWarning",
            "get_crc32_options",
            "set_crc32_options",
            "get_default_load_endianness",
            "set_default_load_endianness",
            "get_default_mmap_options",
            "set_default_mmap_options",
        )
    },
}


def __getattr__(name):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'lanterna.serialization' has no attribute '{name}'")
    import importlib

    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_LAZY))


def save(
    obj,
    f,
    pickle_module=pickle,
    pickle_protocol=DEFAULT_PROTOCOL,
    _use_new_zipfile_serialization=True,
    _disable_byteorder_record=False,
):
    """Save ``obj`` (tensors, state_dicts, containers, whole modules) to a path or binary file.

    The file is PyTorch's zip checkpoint format. Tensors sharing memory are saved once and share
    it again after loading; non-contiguous tensors keep their strides. Saving to a path is atomic.
    ``_use_new_zipfile_serialization=False`` writes PyTorch's legacy (pre-1.6) format.

    >>> import io, lanterna as torch
    >>> x = torch.arange(6.0).reshape(2, 3)
    >>> buf = io.BytesIO()
    >>> torch.save([x, x.t()], buf)
    >>> _ = buf.seek(0)
    >>> a, b = torch.load(buf)
    >>> b.stride(), a.data_ptr() == b.data_ptr()
    ((1, 3), True)
    """
    from . import _io

    _io.save(
        obj, f, pickle_module, pickle_protocol, _use_new_zipfile_serialization, _disable_byteorder_record
    )


def load(f, map_location=None, pickle_module=None, *, weights_only=None, mmap=None, **pickle_load_args):
    """Load an object saved with :func:`save` or ``torch.save`` (zip or legacy format).

    ``weights_only=True`` (the default, unless a ``pickle_module`` is given) only rebuilds tensors,
    containers, primitives and types allowlisted with :func:`add_safe_globals`; it never runs code
    from the file. Use ``weights_only=False`` for whole pickled models, and only on files you trust.
    ``map_location`` (a device, a string, a dict ``{'cuda:0': 'cpu'}``, or a callable
    ``(storage, location) -> storage or None``) says where storages go; by default, where they
    were saved. ``mmap=True`` maps the file instead of reading it (copy-on-write).

    >>> import io, lanterna as torch
    >>> buf = io.BytesIO()
    >>> torch.save(torch.ones(2), buf)
    >>> _ = buf.seek(0)
    >>> torch.load(buf, map_location=lambda storage, loc: storage)
    tensor([1., 1.])
    """
    from . import _io

    return _io.load(f, map_location, pickle_module, weights_only=weights_only, mmap=mmap, **pickle_load_args)
