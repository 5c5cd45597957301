"""Storages in checkpoints: PyTorch's storage types, the loaded storage object, and devices.

A checkpoint names each tensor's memory by a storage type (``torch.FloatStorage`` ...), a key
(the record ``data/<key>`` holding its bytes), a location tag (``'cpu'``, ``'cuda:0'``) and an
element count. A loaded storage (not the public ``lanterna.storage`` classes) is a 1-D host NumPy
array plus the device its tensors go to, which is what ``map_location`` callables receive.
"""

from __future__ import annotations

import pickle
import re

import numpy as np

from .. import _dtype as D
from .._device import CPU
from .._device import device as Device
from ._zip import CheckpointError, CheckpointTypeError


class StorageType:
    """``torch.<Name>Storage`` as a checkpoint names it: one element type.

    ``file_dtype`` is how the bytes are laid out on disk (little-endian), ``dtype`` the lanterna
    dtype of the tensors built on it (None where lanterna has no such dtype).
    """

    __slots__ = ("name", "torch_dtype", "file_dtype", "dtype")

    def __init__(self, name: str, torch_dtype: str, file_dtype: str, dtype):
        self.name = name
        self.torch_dtype = torch_dtype
        self.file_dtype = np.dtype(file_dtype)
        self.dtype = dtype

    def __repr__(self):
        return f"torch.{self.name}"

    def __reduce__(self):
        # Pickled as the module attribute of the same name; the saver renames it to torch's.
        return self.name

    # ``torch.FloatStorage(...)`` builds a TypedStorage; ``isinstance(s, torch.FloatStorage)``
    # checks its dtype (Python asks the type of the second argument for __instancecheck__)
    def __call__(self, *args, wrap_storage=None, device=None):
        from ..storage import new_typed_storage

        if self.dtype is None or self not in FOR_DTYPE.values():
            raise RuntimeError(f"{self!r} (dtype torch.{self.torch_dtype}) is not supported by lanterna")
        return new_typed_storage(self.dtype, args, wrap_storage, device)

    def from_buffer(self, buffer, byte_order="native", count=-1, offset=0):
        from ..storage import TypedStorage

        return TypedStorage.from_buffer(buffer, byte_order, count, offset, dtype=self.dtype)

    def __instancecheck__(self, obj):
        from ..storage import TypedStorage

        return isinstance(obj, TypedStorage) and obj.dtype is self.dtype and self in FOR_DTYPE.values()


# The names below are module attributes on purpose: pickling refers to them by name.
FloatStorage = StorageType("FloatStorage", "float32", "<f4", D.float32)
DoubleStorage = StorageType("DoubleStorage", "float64", "<f8", D.float64)
HalfStorage = StorageType("HalfStorage", "float16", "<f2", D.float16)
LongStorage = StorageType("LongStorage", "int64", "<i8", D.int64)
IntStorage = StorageType("IntStorage", "int32", "<i4", D.int32)
ShortStorage = StorageType("ShortStorage", "int16", "<i2", D.int16)
CharStorage = StorageType("CharStorage", "int8", "i1", D.int8)
ByteStorage = StorageType("ByteStorage", "uint8", "u1", D.uint8)
BoolStorage = StorageType("BoolStorage", "bool", "?", D.bool_)
# bfloat16 has no lanterna dtype: its tensors load as float32 (exactly: bfloat16 is the top half
# of a float32), and save back as float32.
BFloat16Storage = StorageType("BFloat16Storage", "bfloat16", "<u2", D.float32)
UntypedStorage = StorageType("UntypedStorage", "uint8", "u1", D.uint8)
# Known to PyTorch, unsupported here: loading them raises a clear error.
ComplexFloatStorage = StorageType("ComplexFloatStorage", "complex64", "<c8", None)
ComplexDoubleStorage = StorageType("ComplexDoubleStorage", "complex128", "<c16", None)
QInt8Storage = StorageType("QInt8Storage", "qint8", "i1", None)
QUInt8Storage = StorageType("QUInt8Storage", "quint8", "u1", None)
QInt32Storage = StorageType("QInt32Storage", "qint32", "<i4", None)
QUInt4x2Storage = StorageType("QUInt4x2Storage", "quint4x2", "u1", None)
QUInt2x4Storage = StorageType("QUInt2x4Storage", "quint2x4", "u1", None)

STORAGE_TYPES = {
    st.name: st
    for st in (
        FloatStorage,
        DoubleStorage,
        HalfStorage,
        LongStorage,
        IntStorage,
        ShortStorage,
        CharStorage,
        ByteStorage,
        BoolStorage,
        BFloat16Storage,
        UntypedStorage,
        ComplexFloatStorage,
        ComplexDoubleStorage,
        QInt8Storage,
        QUInt8Storage,
        QInt32Storage,
        QUInt4x2Storage,
        QUInt2x4Storage,
    )
}
#: the storage type lanterna writes for each of its dtypes
FOR_DTYPE = {
    st.dtype: st
    for st in (
        FloatStorage,
        DoubleStorage,
        HalfStorage,
        LongStorage,
        IntStorage,
        ShortStorage,
        CharStorage,
        ByteStorage,
        BoolStorage,
    )
}


def decode_file_array(raw: np.ndarray, storage_type: StorageType) -> np.ndarray:
    """Turn the on-disk elements of a storage into a native array of its lanterna dtype."""
    if storage_type.dtype is None:
        raise RuntimeError(
            f"the checkpoint holds a {storage_type!r} (dtype torch.{storage_type.torch_dtype}), which "
            "lanterna does not support"
        )
    if storage_type is BFloat16Storage:
        return (raw.astype(np.uint32) << 16).view(np.float32)
    if not raw.dtype.isnative:
        raw = raw.astype(raw.dtype.newbyteorder("="))
    return raw


class LoadedStorage:
    """The storage a checkpoint record becomes: elements on the host, plus a target device.

    ``map_location`` callables receive one (``lambda storage, loc: storage`` keeps it on the
    CPU; ``storage.cuda(1)`` sends its tensors to GPU 1). Tensors built on a CPU storage are
    views of it, so tensors that shared memory when saved share it again after loading.
    """

    __slots__ = ("array", "dtype", "device")

    def __init__(self, array: np.ndarray, dtype, device=CPU):
        self.array = array
        self.dtype = dtype
        self.device = device

    # -- what PyTorch's storages offer and map_location code uses
    def size(self) -> int:
        return int(self.array.size)

    __len__ = size

    def nbytes(self) -> int:
        return int(self.array.nbytes)

    def element_size(self) -> int:
        return self.array.itemsize

    @property
    def is_cuda(self) -> bool:
        return self.device.type == "cuda"

    def cpu(self):
        return self if self.device.type == "cpu" else LoadedStorage(self.array, self.dtype, CPU)

    def cuda(self, device=None, non_blocking=False):
        if device is None:
            return self.to("cuda")
        return self.to(Device("cuda", device) if isinstance(device, int) else device)

    def to(self, device=None, non_blocking=False):
        dev = validate_device(Device(device))
        return self if dev == self.device else LoadedStorage(self.array, self.dtype, dev)

    def tolist(self):
        return self.array.tolist()

    def __repr__(self):
        return f"<storage of {self.size()} x {self.dtype} on {self.device}>"


def _device_error(dev_type: str, why: str) -> RuntimeError:
    return RuntimeError(
        f"Attempting to deserialize object on a {dev_type.upper()} device but {why}. If you are running "
        "on a CPU-only machine, please use torch.load with map_location=torch.device('cpu') to map your "
        "storages to the CPU."
    )


def validate_device(dev):
    """``dev`` if tensors can live there now, else the error PyTorch gives for such a checkpoint."""
    if dev.type == "cpu":
        return CPU
    from ..backends.registry import REGISTRY

    backend = REGISTRY.backends.get(dev.type)
    if backend is None:
        raise _device_error(
            dev.type,
            f"no backend for device type '{dev.type}' is installed "
            f"(torch.{dev.type}.is_available() is False)",
        )
    if not backend.is_available():
        raise _device_error(dev.type, f"torch.{dev.type}.is_available() is False")
    if backend.indexless:
        return Device(dev.type)
    index = dev.index if dev.index is not None else backend.current_device()
    count = backend.device_count()
    if index >= count:
        raise RuntimeError(
            f"Attempting to deserialize object on {dev.type.upper()} device {index} but "
            f"torch.{dev.type}.device_count() is {count}. Please use torch.load with map_location to map "
            "your storages to an existing device."
        )
    return Device(dev.type, index)


def _parse_location(location) -> object:
    if isinstance(location, Device):
        return location
    if isinstance(location, bytes):
        location = location.decode("ascii")
    if not isinstance(location, str):
        raise RuntimeError(f"invalid storage location {location!r} in map_location or checkpoint")
    try:
        return Device(location)
    except (RuntimeError, ValueError, TypeError):
        raise RuntimeError(
            f"don't know how to restore data location of storage (tagged with {location})"
        ) from None


def default_restore_location(storage: LoadedStorage, location) -> LoadedStorage:
    """Send ``storage`` to the device a location tag names (``'cpu'``, ``'cuda:0'`` ...)."""
    return storage.to(_parse_location(location))


def make_restore_location(map_location):
    """The function ``(storage, location) -> storage`` that ``map_location`` asks for."""
    if map_location is None:
        return default_restore_location
    if isinstance(map_location, dict):

        def restore(storage, location):
            return default_restore_location(storage, map_location.get(location, location))

        return restore
    if isinstance(map_location, (str, bytes, Device)):
        target = _parse_location(map_location)
        return lambda storage, location: default_restore_location(storage, target)
    if callable(map_location):

        def restore(storage, location):
            result = map_location(storage, location)
            if result is None:
                return default_restore_location(storage, location)
            if not isinstance(result, LoadedStorage):
                raise TypeError(
                    f"map_location callable must return a storage or None, got {type(result).__name__}"
                )
            return result

        return restore
    raise TypeError(
        "map_location should be a str, a torch.device, a dict or a callable, "
        f"got {type(map_location).__name__}"
    )


KEY_PATTERN = re.compile(r"[A-Za-z0-9_\-]{1,128}")


def as_str(value, what: str) -> str:
    if isinstance(value, bytes):
        value = value.decode("ascii")
    if type(value) is not str:
        raise pickle.UnpicklingError(f"storage {what} must be a string, got {type(value).__name__}")
    return value


def check_storage_id(pid, expected_len: int):
    """Validate a ``('storage', type, key, location, numel[, view])`` persistent id; returns
    (storage type, key, location, numel). Keys are short names, never paths: ``data/<key>``
    cannot point outside the archive's data folder."""
    if type(pid) is not tuple or len(pid) != expected_len or as_str(pid[0], "tag") != "storage":
        raise pickle.UnpicklingError(f"malformed storage persistent id: {pid!r:.200}")
    storage_type, key, location, numel = pid[1:5]
    if not isinstance(storage_type, StorageType):
        raise pickle.UnpicklingError(
            f"storage persistent id names {storage_type!r}, which is not a storage type"
        )
    key = as_str(key, "key")
    if not KEY_PATTERN.fullmatch(key):
        # torch.load looks the record up and finds none (RuntimeError); never a path to follow
        raise CheckpointError(
            f"the checkpoint is corrupted: refusing storage key {key!r:.100}: keys are short "
            "alphanumeric names of records in the archive's data/ folder"
        )
    if type(numel) is not int or not 0 <= numel < 1 << 62:
        raise CheckpointTypeError(  # torch.load's TypeError, from its size_t argument
            f"the checkpoint is corrupted: storage element count must be a non-negative integer "
            f"below 2**62, got {numel!r:.100}"
        )
    return storage_type, key, as_str(location, "location"), numel
