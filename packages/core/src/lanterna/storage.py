"""``torch.storage``: the memory under tensors, as ``UntypedStorage`` (bytes) and the deprecated
``TypedStorage`` (elements of one dtype, what ``tensor.storage()`` and ``torch.FloatStorage``
give).

A CPU tensor's data is a NumPy array; its storage is the memory of its base tensor (the tensor it
is a view of, or itself), seen as bytes through a ``uint8`` array over the same buffer. So
``a.untyped_storage().data_ptr() == b.untyped_storage().data_ptr()`` tells, as in PyTorch,
whether ``a`` and ``b`` share memory (views, ``detach``, ``reshape`` of a contiguous tensor,
``numpy()`` / ``from_numpy``), and writing through a storage is seen by its tensors.

The storage types ``torch.FloatStorage`` ... are the objects checkpoints name (see
``serialization._storage``); calling one builds a ``TypedStorage`` of its dtype.

>>> import lanterna as torch
>>> t = torch.tensor([1.0, 2.0])
>>> t[1:].untyped_storage().data_ptr() == t.untyped_storage().data_ptr()
True
"""

from __future__ import annotations

import mmap
import warnings

import numpy as np

from . import _dtype as D
from ._device import CPU
from ._device import device as Device
from ._naming import TorchNamedType
from .serialization._storage import (BoolStorage, ByteStorage, CharStorage, DoubleStorage, FloatStorage, FOR_DTYPE,
                                     HalfStorage, IntStorage, LongStorage, ShortStorage, StorageType)

__all__ = ["BoolStorage", "ByteStorage", "CharStorage", "DoubleStorage", "FloatStorage", "HalfStorage",
           "IntStorage", "LongStorage", "ShortStorage", "TypedStorage", "UntypedStorage"]


# ---- the bytes of a NumPy array's memory ----------------------------------------------------------
def _root(a):
    """The array that owns the memory ``a`` views (following NumPy's ``base`` chain, through
    ``as_strided``'s wrapper objects)."""
    while True:
        b = a.base
        if isinstance(b, np.ndarray):
            a = b
            continue
        inner = getattr(b, "base", None)
        if isinstance(inner, np.ndarray) and not isinstance(b, (memoryview, bytes, mmap.mmap)):
            a = inner
            continue
        return a


def _extent(a):
    """``(first byte offset from a's data pointer, number of bytes)`` spanned by ``a``'s elements."""
    if a.size == 0:
        return 0, 0
    lo = sum((n - 1) * s for n, s in zip(a.shape, a.strides) if s < 0)
    hi = sum((n - 1) * s for n, s in zip(a.shape, a.strides) if s > 0)
    return lo, hi - lo + a.itemsize


def _bytes_of(a):
    """A ``uint8`` array over the memory ``a``'s elements span (writes reach ``a``); a copy only
    for memory NumPy cannot hand out as one buffer."""
    lo, nbytes = _extent(a)
    root = _root(a)
    owner = root if root.flags.c_contiguous else root.T if root.flags.f_contiguous else None
    if owner is None or nbytes == 0:
        return np.ascontiguousarray(a).reshape(-1).view(np.uint8) if nbytes else np.empty(0, np.uint8)
    start = a.__array_interface__["data"][0] + lo
    offset = start - owner.__array_interface__["data"][0]
    return np.ndarray((nbytes,), dtype=np.uint8, buffer=owner, offset=offset)


def _in_shared_memory(a):
    base = a
    while base is not None:
        if isinstance(base, mmap.mmap):
            return True
        base = base.obj if isinstance(base, memoryview) else getattr(base, "base", None)
    return False


def _check_cpu(device):
    dev = Device(device) if device is not None else CPU
    if dev.type != "cpu":
        raise RuntimeError(f"lanterna storages live on the CPU only, got device='{dev}'")
    return CPU


# ---- UntypedStorage -------------------------------------------------------------------------------
class _CopiedByClone:
    """``copy.copy`` and ``copy.deepcopy`` of a storage are its ``clone()`` (new memory), as in PyTorch."""

    def __copy__(self):
        return self.clone()

    def __deepcopy__(self, memo):
        if id(self) not in memo:
            memo[id(self)] = self.clone()
        return memo[id(self)]


class UntypedStorage(_CopiedByClone, metaclass=TorchNamedType):
    """Bytes of memory: ``UntypedStorage(size)``, ``UntypedStorage(sequence of ints)``, or the
    storage of a tensor (``tensor.untyped_storage()``)."""

    __slots__ = ("_bytes", "_device", "_owner", "_ptr")

    def __init__(self, *args, device=None):
        self._device = _check_cpu(device)
        self._owner = None  # the base tensor whose memory this is (None: the storage owns it)
        self._ptr = None
        if not args:
            self._bytes = np.zeros(0, dtype=np.uint8)
        elif len(args) == 1 and isinstance(args[0], int) and not isinstance(args[0], bool):
            if args[0] < 0:
                raise RuntimeError(f"Trying to create tensor with negative dimension {args[0]}: [{args[0]}]")
            self._bytes = np.zeros(args[0], dtype=np.uint8)
        elif len(args) == 1 and isinstance(args[0], (list, tuple)):
            self._bytes = np.asarray(args[0], dtype=np.int64).astype(np.uint8)  # wraps, as a C++ cast
        else:
            got = ", ".join(type(a).__name__ for a in args)
            raise TypeError(f"UntypedStorage(): invalid arguments ({got}); expected no arguments, (int size) "
                            "or (Sequence data)")

    @classmethod
    def _wrap(cls, data, device=CPU, owner=None, ptr=None):
        s = object.__new__(cls)
        s._bytes, s._device, s._owner, s._ptr = data, device, owner, ptr
        return s

    # -- what it is
    @property
    def device(self):
        return self._device

    @property
    def is_cuda(self):
        return self._device.type == "cuda"

    @property
    def is_sparse(self):
        return False

    def get_device(self):
        return -1 if self._device.type == "cpu" else (self._device.index or 0)

    def data_ptr(self):
        if self._ptr is not None:
            return self._ptr
        return self._bytes.__array_interface__["data"][0] if self._bytes.size else 0

    @property
    def _cdata(self):
        # PyTorch's handle of the storage object: equal for storages of the same memory
        return self.data_ptr()

    def nbytes(self):
        return int(self._bytes.size)

    size = nbytes

    def __len__(self):
        return int(self._bytes.size)

    def element_size(self):
        return 1

    def type(self, dtype=None, non_blocking=False):
        return "torch.storage.UntypedStorage" if dtype is None else TypedStorage(
            wrap_storage=self, dtype=_dtype_of(dtype), _internal=True)

    def untyped(self):
        return self

    def resizable(self):
        return self._owner is None and self._ptr is None

    def is_pinned(self, device="cuda"):
        return False

    def is_shared(self):
        return _in_shared_memory(self._bytes)

    # -- elements
    def _index(self, idx):
        n = self.nbytes()
        if not -n <= idx < n:
            raise IndexError(f"index {idx} out of range for storage of size {n}")
        return idx + n if idx < 0 else idx

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            start, stop, step = idx.indices(self.nbytes())
            if step != 1:
                raise RuntimeError(f"Trying to slice with a step of {step}, but only a step of 1 is supported")
            return UntypedStorage._wrap(self._bytes[start:stop], self._device, self._owner)
        return int(self._bytes[self._index(int(idx))])

    def __setitem__(self, idx, value):
        if isinstance(idx, slice):
            self._bytes[idx] = np.asarray(value, dtype=np.int64).astype(np.uint8)
            return
        self._bytes[self._index(int(idx))] = np.uint8(int(value) & 0xFF)

    def __iter__(self):
        return iter(self.tolist())

    def tolist(self):
        return self._bytes.tolist()

    def __array__(self, dtype=None, copy=None):
        return np.array(self._bytes, dtype=dtype)

    def fill_(self, value):
        self._bytes[...] = np.uint8(int(value) & 0xFF)
        return self

    def copy_(self, src, non_blocking=None):
        src = src.untyped() if isinstance(src, TypedStorage) else src
        if not isinstance(src, UntypedStorage):
            raise TypeError(f"copy_(): expected a storage, got {type(src).__name__}")
        if src.nbytes() != self.nbytes():
            raise RuntimeError(f"size does not match, self was {self.nbytes()} bytes but src was {src.nbytes()} bytes")
        self._bytes[...] = src._bytes
        return self

    def clone(self):
        return UntypedStorage._wrap(self._bytes.copy(), self._device)

    def resize_(self, size):
        if not self.resizable():
            raise RuntimeError("Trying to resize storage that is not resizable: the memory belongs to a tensor, "
                               "and lanterna cannot move the memory under a tensor")
        new = np.zeros(int(size), dtype=np.uint8)
        keep = min(int(size), self.nbytes())
        new[:keep] = self._bytes[:keep]
        self._bytes = new
        return self

    # -- devices and sharing
    def cpu(self):
        return self

    def to(self, *, device=None, non_blocking=False):
        _check_cpu(device)
        return self

    def pin_memory(self, device="cuda"):
        raise RuntimeError("pinning a storage is not supported by lanterna; pin the tensor (tensor.pin_memory())")

    def share_memory_(self):
        """Move the memory to shared memory. For a tensor's storage the tensor moves (as
        ``tensor.share_memory_()``); views made before keep the old memory."""
        if self.is_shared():
            return self
        if self._owner is not None:
            self._owner.share_memory_()
            self._bytes = _bytes_of(self._owner._data)
            return self
        shared = np.frombuffer(mmap.mmap(-1, max(self.nbytes(), 1)), dtype=np.uint8, count=self.nbytes())
        shared[...] = self._bytes
        self._bytes = shared
        return self

    @classmethod
    def from_buffer(cls, buffer, byte_order="native", count=-1, offset=0, dtype=None):
        data = np.frombuffer(buffer, dtype=np.uint8, count=count, offset=offset).copy()
        if dtype is not None:
            return TypedStorage(wrap_storage=cls._wrap(data), dtype=_dtype_of(dtype), _internal=True)
        return cls._wrap(data)

    # -- typed copies (``storage.float()`` converts each byte's value)
    def _to_typed(self, dtype):
        values = self._bytes.astype(dtype.np)
        return TypedStorage(wrap_storage=UntypedStorage._wrap(values.view(np.uint8)), dtype=dtype, _internal=True)

    def __repr__(self):
        return _format(self.tolist(), f"[torch.storage.UntypedStorage(device={self._device}) of size {len(self)}]")

    __str__ = __repr__


def _format(values, footer):
    """PyTorch's storage printing: one element per line, then a footer."""
    if not values:
        return footer
    return "\n".join(f" {v}" for v in values) + "\n" + footer


def _dtype_of(dtype):
    if isinstance(dtype, StorageType):
        return dtype.dtype
    return dtype


# ---- TypedStorage ---------------------------------------------------------------------------------
def _warn_typed_storage_removal(stacklevel=2):
    """PyTorch's deprecation warning, given once per process as PyTorch does."""
    if _warn_typed_storage_removal.__dict__.get("has_warned"):
        return
    warnings.warn("TypedStorage is deprecated. It will be removed in the future and UntypedStorage will be the only "
                  "storage class. This should only matter to you if you are using storages directly.  To access "
                  "UntypedStorage directly, use tensor.untyped_storage() instead of tensor.storage()",
                  UserWarning, stacklevel=stacklevel + 1)
    _warn_typed_storage_removal.has_warned = True


class TypedStorage(_CopiedByClone, metaclass=TorchNamedType):
    """Elements of one dtype over an :class:`UntypedStorage` (deprecated in PyTorch, as here)."""

    __slots__ = ("_untyped_storage", "dtype")
    is_sparse = False

    def __init__(self, *args, dtype=None, device=None, wrap_storage=None, _internal=False):
        if not _internal:
            _warn_typed_storage_removal()
        self.dtype = D.get_default_dtype() if dtype is None else _dtype_of(dtype)
        if wrap_storage is not None:
            if args:
                raise RuntimeError("No positional arguments should be given when using `wrap_storage`")
            if not isinstance(wrap_storage, UntypedStorage):
                raise TypeError(f"expected `wrap_storage` to be an UntypedStorage, but got {type(wrap_storage)}")
            self._untyped_storage = wrap_storage
            return
        _check_cpu(device)
        if not args:
            values = np.zeros(0, dtype=self.dtype.np)
        elif len(args) == 1 and isinstance(args[0], int) and not isinstance(args[0], bool):
            if args[0] < 0:
                raise RuntimeError(f"Trying to create tensor with negative dimension {args[0]}: [{args[0]}]")
            values = np.zeros(args[0], dtype=self.dtype.np)
        elif len(args) == 1 and isinstance(args[0], (list, tuple)):
            values = np.asarray(args[0]).astype(self.dtype.np)
        else:
            name = FOR_DTYPE[self.dtype].name if self.dtype in FOR_DTYPE else "TypedStorage"
            raise TypeError(f"<class 'torch.{name}'>.__new__ received an invalid combination of arguments. Expected "
                            "one of:\n * no arguments\n * (int size)\n * (Sequence data)\n * (*, UntypedStorage "
                            f"wrap_storage)\nArgument type not recognized: {type(args[0])}")
        self._untyped_storage = UntypedStorage._wrap(np.ascontiguousarray(values).reshape(-1).view(np.uint8))

    def _values(self):
        """The elements as a writable NumPy array over the storage's bytes."""
        b = self._untyped_storage._bytes
        n = b.size // self.dtype.itemsize
        return b[: n * self.dtype.itemsize].view(self.dtype.np)

    # -- what it is
    @property
    def device(self):
        return self._untyped_storage.device

    @property
    def is_cuda(self):
        return self._untyped_storage.is_cuda

    def get_device(self):
        return self._untyped_storage.get_device()

    @property
    def _cdata(self):
        return self._untyped_storage._cdata

    def data_ptr(self):
        return self._untyped_storage.data_ptr()

    def size(self):
        return self._untyped_storage.nbytes() // self.dtype.itemsize

    def __len__(self):
        return self.size()

    def nbytes(self):
        return self._untyped_storage.nbytes()

    def element_size(self):
        return self.dtype.itemsize

    def untyped(self):
        return self._untyped_storage

    def pickle_storage_type(self):
        return FOR_DTYPE[self.dtype].name

    def type(self, dtype=None, non_blocking=False):
        if dtype is None:
            return f"torch.{FOR_DTYPE[self.dtype].name}"
        return self._to(_dtype_of(dtype))

    def is_shared(self):
        return self._untyped_storage.is_shared()

    def is_pinned(self, device="cuda"):
        return False

    def resizable(self):
        return self._untyped_storage.resizable()

    # -- elements
    def __getitem__(self, idx):
        if isinstance(idx, slice):
            raise RuntimeError("slices are only supported in UntypedStorage.__getitem__")
        n = self.size()
        idx = int(idx)
        if not -n <= idx < n:
            raise IndexError(f"index {idx} out of range for storage of size {n}")
        return self._values()[idx].item()

    def __setitem__(self, idx, value):
        values = self._values()
        if isinstance(idx, slice):
            values[idx] = np.asarray(value).astype(self.dtype.np)
            return
        n = self.size()
        idx = int(idx)
        if not -n <= idx < n:
            raise IndexError(f"index {idx} out of range for storage of size {n}")
        values[idx] = value

    def __iter__(self):
        return iter(self.tolist())

    def tolist(self):
        return self._values().tolist()

    def __array__(self, dtype=None, copy=None):  # torch.tensor(storage): a copy of the elements
        return np.array(self._values(), dtype=dtype)

    def fill_(self, value):
        self._values()[...] = value
        return self

    def copy_(self, source, non_blocking=None):
        if isinstance(source, TypedStorage):
            if source.size() != self.size():
                raise RuntimeError(f"size does not match, self was {self.nbytes()} bytes but src was "
                                   f"{source.size() * self.dtype.itemsize} bytes")
            self._values()[...] = source._values().astype(self.dtype.np)
        else:
            self._untyped_storage.copy_(source)
        return self

    def clone(self):
        return TypedStorage(wrap_storage=self._untyped_storage.clone(), dtype=self.dtype, _internal=True)

    def resize_(self, size):
        self._untyped_storage.resize_(int(size) * self.dtype.itemsize)
        return self

    def cpu(self):
        return self

    def to(self, *, device=None, non_blocking=False):
        _check_cpu(device)
        return self

    def share_memory_(self):
        self._untyped_storage.share_memory_()
        return self

    def _to(self, dtype):
        if dtype is self.dtype:
            return self
        values = self._values().astype(dtype.np)
        return TypedStorage(wrap_storage=UntypedStorage._wrap(values.view(np.uint8)), dtype=dtype, _internal=True)

    def _new_wrapped_storage(self, untyped_storage):
        return TypedStorage(wrap_storage=untyped_storage, dtype=self.dtype, _internal=True)

    @classmethod
    def from_buffer(cls, buffer, byte_order="native", count=-1, offset=0, dtype=None):
        dtype = _dtype_of(dtype) or D.get_default_dtype()
        order = {"native": "=", "little": "<", "big": ">"}[byte_order]
        values = np.frombuffer(buffer, dtype=np.dtype(dtype.np).newbyteorder(order), count=count, offset=offset)
        values = values.astype(dtype.np)
        return TypedStorage(wrap_storage=UntypedStorage._wrap(values.view(np.uint8)), dtype=dtype, _internal=True)

    def __repr__(self):
        return _format(self.tolist(), f"[torch.storage.TypedStorage(dtype={self.dtype}, device={self.device}) of "
                                      f"size {len(self)}]")

    __str__ = __repr__


def _typed_conversions():
    """``storage.float()``, ``.long()`` ...: a copy with the elements converted."""
    names = {"double": D.float64, "float": D.float32, "half": D.float16, "long": D.int64, "int": D.int32,
             "short": D.int16, "char": D.int8, "byte": D.uint8, "bool": D.bool_}
    for name, dtype in names.items():
        def typed(self, _dtype=dtype):
            return self._to(_dtype) if isinstance(self, TypedStorage) else self._to_typed(_dtype)

        typed.__name__ = name
        setattr(TypedStorage, name, typed)
        setattr(UntypedStorage, name, typed)


_typed_conversions()


# ---- calling a storage type: ``torch.FloatStorage([1, 2])`` (see serialization._storage) ----------
def new_typed_storage(dtype, args, wrap_storage=None, device=None):
    if wrap_storage is None:
        _warn_typed_storage_removal(stacklevel=3)
    return TypedStorage(*args, dtype=dtype, wrap_storage=wrap_storage, device=device, _internal=True)
