"""Tensor methods about storage (``untyped_storage``, ``storage``, ``storage_type``,
``storage_offset``, ``set_``), tensors over a storage, and DLPack exchange (``from_dlpack``,
``Tensor.__dlpack__``). The storage classes are in ``lanterna.storage``.
"""

from __future__ import annotations

import numpy as np

from .. import _dtype as D
from .._tensor import Tensor
from ..autograd.grad_mode import GRAD_ENABLED


def _storage_of(t):
    """The UntypedStorage under ``t``: the one ``set_`` put it on, else its base tensor's memory."""
    from ..storage import UntypedStorage, _bytes_of

    for holder in (t, t._base):
        if holder is None:
            continue
        # (array, storage) recorded by set_ / a legacy constructor; stale once the array changed
        pinned = holder.__dict__.get("_storage")
        if pinned is not None and pinned[0] is holder._data:
            return pinned[1]
    base = t if t._base is None else t._base
    data = base._data
    if isinstance(data, np.ndarray):
        return UntypedStorage._wrap(_bytes_of(data), base._device, owner=base)
    host = np.ascontiguousarray(base._host()).reshape(-1).view(np.uint8)  # another device: a copy
    return UntypedStorage._wrap(host, base._device, owner=base, ptr=base.data_ptr())


def untyped_storage(self):
    """The memory under the tensor, as bytes (shared by its views)."""
    return _storage_of(self)


def storage(self):
    """The tensor's storage as a (deprecated) TypedStorage of its dtype."""
    from ..storage import TypedStorage, _warn_typed_storage_removal

    _warn_typed_storage_removal()
    return TypedStorage(wrap_storage=_storage_of(self), dtype=self.dtype, _internal=True)


def _typed_storage(self):
    from ..storage import TypedStorage

    return TypedStorage(wrap_storage=_storage_of(self), dtype=self.dtype, _internal=True)


def storage_type(self):
    """The legacy storage type of the tensor's dtype (``torch.FloatStorage`` ...)."""
    from ..serialization._storage import FOR_DTYPE

    return FOR_DTYPE[self.dtype]


def storage_offset(self):
    """Offset (in elements) of the tensor's first element in its storage."""
    if not isinstance(self._data, np.ndarray):
        base = self._base
        return 0 if base is None else (self.data_ptr() - base.data_ptr()) // self._data.itemsize
    start = _storage_of(self).data_ptr()
    return 0 if start == 0 else (self.data_ptr() - start) // self._data.itemsize


# ---- tensors over a storage ---------------------------------------------------------------------
def _contiguous_strides(size):
    strides, n = [], 1
    for s in reversed(size):
        strides.insert(0, n)
        n *= max(s, 1)
    return tuple(strides)


def _view_storage(storage, dtype, offset, size, stride):
    """A NumPy array of ``dtype`` over ``storage``'s bytes, PyTorch's bounds check first."""
    size = tuple(int(s) for s in size)
    stride = _contiguous_strides(size) if stride is None else tuple(int(s) for s in stride)
    if len(stride) != len(size):
        raise RuntimeError(f"mismatch in length of strides and shape: {len(stride)} vs {len(size)}")
    if any(s < 0 for s in size):
        raise RuntimeError(f"Trying to create tensor with negative dimension {min(size)}: {list(size)}")
    if offset < 0:
        raise RuntimeError(f"Tensor: invalid storage offset {offset}")
    item = dtype.itemsize
    numel = int(np.prod(size)) if size else 1
    need = 0 if numel == 0 else (offset + sum((n - 1) * s for n, s in zip(size, stride)) + 1) * item
    if need > storage.nbytes() and storage.resizable():
        storage.resize_(need)  # a storage that owns its memory grows, as PyTorch's resizable ones do
    if need > storage.nbytes():
        raise RuntimeError(f"setStorage: sizes {list(size)}, strides {list(stride)}, storage offset {offset}, and "
                           f"itemsize {item} requiring a storage size of {need} are out of bounds for storage of size "
                           f"{storage.nbytes()}")
    buf = storage._bytes
    if numel == 0:
        return np.ndarray(size, dtype=dtype.np, buffer=np.empty(0, dtype=dtype.np), strides=(0,) * len(size))
    return np.ndarray(size, dtype=dtype.np, buffer=buf, offset=offset * item, strides=tuple(s * item for s in stride))


def _storage_arg(source, dtype, name):
    """The UntypedStorage of a storage argument, PyTorch's dtype check for a typed one."""
    from ..storage import TypedStorage, UntypedStorage

    if isinstance(source, UntypedStorage):
        return source
    if isinstance(source, TypedStorage):
        if source.dtype is not dtype:
            want = name(dtype)
            raise RuntimeError(f"Expected a Storage of type {want} or an UntypedStorage, but got type "
                               f"{_legacy_name(source.dtype)} for argument 1 'storage'")
        return source.untyped()
    return None


def _legacy_name(dtype):
    from .reduce import legacy_scalar_name

    return legacy_scalar_name(dtype)


def _pin(t, storage):
    t.__dict__["_storage"] = (t._data, storage)


def set_(self, source=None, storage_offset=0, size=None, stride=None):
    """Make the tensor use ``source``'s memory: a tensor (same size, strides and offset), or a
    storage from ``storage_offset`` with ``size`` and ``stride``; no source: an empty storage."""
    if self._requires_grad and self.grad_fn is None and GRAD_ENABLED[0]:
        raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.")
    from ..storage import UntypedStorage

    if source is None:
        data = np.empty((0,), dtype=self._data.dtype)
        storage = UntypedStorage()
    elif isinstance(source, Tensor):
        if source.dtype is not self.dtype:
            raise RuntimeError(f"Could not set tensor of type {D.cpp_name(source.dtype)} to a tensor of type "
                               f"{D.cpp_name(self.dtype)}")
        self._data, self._backend, self._device = source._data, source._backend, source._device
        _pin(self, _storage_of(source))
        self._version[0] += 1
        return self
    else:
        storage = _storage_arg(source, self.dtype, D.cpp_name)
        if storage is None:
            raise TypeError(f"set_(): argument 'source' must be Tensor or Storage, not {type(source).__name__}")
        if self._device.type != "cpu":
            raise RuntimeError("set_ with a storage source is supported for CPU tensors only")
        if size is None:
            size = (storage.nbytes() // self.dtype.itemsize - int(storage_offset),)
        data = _view_storage(storage, self.dtype, int(storage_offset), size, stride)
    self._data = data
    _pin(self, storage)
    self._version[0] += 1
    return self


def tensor_on_storage(storage, dtype):
    """``torch.FloatTensor(storage)``: a 1-D tensor over the whole storage (sharing it)."""
    untyped = _storage_arg(storage, dtype, _legacy_name)
    n = untyped.nbytes() // dtype.itemsize
    data = _view_storage(untyped, dtype, 0, (n,), None)
    t = Tensor._make(data, _cpu_backend(), untyped.device)
    _pin(t, untyped)
    return t


def _cpu_backend():
    from ..backends.registry import REGISTRY

    return REGISTRY.backends["cpu"]


# ---- DLPack ---------------------------------------------------------------------------------------
def __dlpack__(self, *, stream=None, max_version=None, dl_device=None, copy=None):
    """Export the tensor through DLPack (shares memory)."""
    if self._requires_grad:
        raise BufferError("Can't export tensors that require gradient, use tensor.detach()")
    kwargs = {k: v for k, v in (("stream", stream), ("max_version", max_version), ("dl_device", dl_device),
                                ("copy", copy)) if v is not None}
    return self._data.__dlpack__(**kwargs)


def __dlpack_device__(self):
    return self._data.__dlpack_device__()


class _Capsule:
    """A bare DLPack capsule (``t.__dlpack__()``), as NumPy's ``from_dlpack`` wants an object."""

    def __init__(self, capsule):
        self.capsule = capsule

    def __dlpack__(self, **kwargs):
        return self.capsule

    def __dlpack_device__(self):
        return (1, 0)


def from_dlpack(ext_tensor):
    """A tensor sharing memory with any DLPack exporter (a NumPy array, another library's tensor)
    or a DLPack capsule."""
    if isinstance(ext_tensor, Tensor):
        if ext_tensor._requires_grad:
            raise BufferError("Can't export tensors that require gradient, use tensor.detach()")
        return Tensor._make(ext_tensor._data, ext_tensor._backend, ext_tensor._device)
    if type(ext_tensor).__name__ == "PyCapsule":
        ext_tensor = _Capsule(ext_tensor)
    if not hasattr(ext_tensor, "__dlpack__"):
        raise RuntimeError("from_dlpack received an invalid capsule. Note that DLTensor capsules can be consumed "
                           "only once, so you might have already constructed a tensor from it once.")
    device = ext_tensor.__dlpack_device__()
    if int(device[0]) != 1:  # not host memory: the backend of that device imports it
        from ..backends.registry import REGISTRY

        for backend in REGISTRY.backends.values():
            importer = getattr(backend, "from_dlpack", None)
            if importer is not None and backend.name != "cpu":
                return importer(ext_tensor)
        raise RuntimeError(f"from_dlpack: no backend can import DLPack device type {int(device[0])}")
    from .creation import from_numpy

    return from_numpy(np.from_dlpack(ext_tensor))
