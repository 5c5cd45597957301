"""``torch.serialization``'s global settings: CRC-32 on save, the byte order assumed for
checkpoints without a ``byteorder`` record, and how ``mmap=True`` maps files.

Kept apart from ``_io`` so that reading or changing a setting imports no zip machinery.
"""

from __future__ import annotations

import enum
import mmap as _mmap
import sys


class SourceChangeWarning(Warning):
    """Warned by ``torch.load`` when a pickled module's source changed (kept for API parity)."""


class LoadEndianness(enum.Enum):
    NATIVE = 1
    LITTLE = 2
    BIG = 3


_settings = {"crc32": True, "endianness": None, "mmap_flags": getattr(_mmap, "MAP_PRIVATE", None)}


def get_crc32_options() -> bool:
    """Whether :func:`save` computes and writes a CRC-32 for each record (default True)."""
    return _settings["crc32"]


def set_crc32_options(compute_crc32: bool) -> None:
    """Make :func:`save` write CRC-32s (True) or zeros, which loaders read as "not recorded"."""
    _settings["crc32"] = bool(compute_crc32)


def get_default_load_endianness():
    """The byte order assumed for checkpoints without a ``byteorder`` record (None: native)."""
    return _settings["endianness"]


def set_default_load_endianness(endianness) -> None:
    """Set the byte order assumed for checkpoints without a ``byteorder`` record."""
    if not isinstance(endianness, LoadEndianness) and endianness is not None:
        raise TypeError("Invalid argument type in function set_default_load_endianness")
    _settings["endianness"] = endianness


def fallback_byteorder() -> str:
    """'little' or 'big': the byte order of a checkpoint that does not record one."""
    endianness = _settings["endianness"]
    if endianness is None or endianness is LoadEndianness.NATIVE:
        return sys.byteorder
    return "little" if endianness is LoadEndianness.LITTLE else "big"


def get_default_mmap_options():
    """The flags ``load(..., mmap=True)`` maps files with (default ``mmap.MAP_PRIVATE``)."""
    return _settings["mmap_flags"]


class set_default_mmap_options:
    """Set the flags ``load(..., mmap=True)`` maps files with; as a context manager, restores the
    previous flags on exit. ``mmap.MAP_PRIVATE`` (the default): changes to loaded tensors stay in
    memory; ``mmap.MAP_SHARED``: they are written to the file."""

    def __init__(self, flags: int) -> None:
        if not hasattr(_mmap, "MAP_SHARED"):
            raise RuntimeError("Changing the default mmap options is currently not supported for Windows")
        if flags not in (_mmap.MAP_PRIVATE, _mmap.MAP_SHARED):
            raise ValueError(
                "Invalid argument in function set_default_mmap_options, "
                f"expected mmap.MAP_PRIVATE or mmap.MAP_SHARED, but got {flags}"
            )
        self.prev = _settings["mmap_flags"]
        _settings["mmap_flags"] = flags

    def __enter__(self) -> None:
        pass

    def __exit__(self, *exc) -> None:
        _settings["mmap_flags"] = self.prev


def mmap_is_shared() -> bool:
    return hasattr(_mmap, "MAP_SHARED") and _settings["mmap_flags"] == _mmap.MAP_SHARED
