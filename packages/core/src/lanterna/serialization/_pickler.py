"""Writing a checkpoint's pickle: the object graph, with tensors as references to storages.

Tensors pickle exactly as PyTorch pickles them: ``_rebuild_tensor_v2(storage, offset, size,
stride, requires_grad, OrderedDict())`` where ``storage`` is a persistent id
``('storage', torch.FloatStorage, key, location, numel)`` and the bytes go to ``data/<key>``.

Tensors that view one NumPy buffer (``x``, ``x.t()``, ``x[1:]``) get one storage, saved once,
as PyTorch does; loading then makes them views of one buffer again.

How torch's names get into the file without importing torch: the standard pickler writes a
global only after checking that ``module.name`` imports to the same object, so it pickles
lanterna's stand-ins under their own names (``lanterna.serialization._rebuild._rebuild_tensor_v2``)
and a pass over the finished pickle renames those GLOBAL opcodes to PyTorch's
(``torch._utils._rebuild_tensor_v2``). Protocols 2 and 3 spell every global as one GLOBAL
opcode, which is what makes the renaming exact.
"""

from __future__ import annotations

import io
import pickle
import pickletools
import struct
from collections import OrderedDict

import numpy as np

from .. import _dtype as D
from .._tensor import Tensor
from . import _rebuild as R
from ._names import DTYPE_ATTR, save_renames
from ._storage import FOR_DTYPE


class SavedStorage:
    """One storage to write: a 1-D host array of the elements, and where it lived."""

    __slots__ = ("key", "storage_type", "location", "array")

    def __init__(self, key, storage_type, location, array):
        self.key = key
        self.storage_type = storage_type
        self.location = location
        self.array = array

    def persistent_id(self, legacy: bool = False):
        pid = ("storage", self.storage_type, self.key, self.location, int(self.array.size))
        return pid + (None,) if legacy else pid  # the legacy format adds view metadata

    def little_endian(self) -> np.ndarray:
        a = self.array
        return (
            a
            if a.dtype.byteorder in ("<", "|") or (a.dtype.byteorder == "=" and np.little_endian)
            else a.astype(a.dtype.newbyteorder("<"))
        )


def _address(a: np.ndarray) -> int:
    return a.__array_interface__["data"][0]


def _root(a: np.ndarray) -> np.ndarray:
    """The ndarray that owns the memory ``a`` views (through slices, transposes, as_strided)."""
    while True:
        base = a.base
        if isinstance(base, np.ndarray):
            a = base
        elif base is not None and isinstance(getattr(base, "base", None), np.ndarray):
            a = base.base  # np.lib.stride_tricks wraps its base in a DummyArray
        else:
            return a


def _contiguous_strides(shape) -> tuple:
    strides, acc = [], 1
    for n in reversed(shape):
        strides.append(acc)
        acc *= max(n, 1)
    return tuple(reversed(strides))


class StorageTable:
    """Assigns storages to tensors while pickling; keys "0", "1", ... in order of first use."""

    def __init__(self, location_of=None, legacy: bool = False):
        self.legacy = legacy
        self.storages: dict[str, SavedStorage] = {}
        self._roots: dict[int, tuple] = {}  # id(root array) -> (root, storage, start address)
        self._location_of = location_of or _location_tag

    def _new(self, array: np.ndarray, dtype, location: str) -> SavedStorage:
        key = str(len(self.storages))
        saved = self.storages[key] = SavedStorage(key, FOR_DTYPE[dtype], location, array)
        return saved

    def locate(self, t: Tensor):
        """(storage, offset, size, stride) for tensor ``t``, all in elements."""
        location = self._location_of(t)
        size = tuple(t._data.shape)
        if t._device.type != "cpu":
            # Device arrays are fetched to the host one by one; each tensor gets its own storage.
            host = np.ascontiguousarray(t._host()).reshape(-1)
            return self._new(host, t.dtype, location), 0, size, _contiguous_strides(size)
        a = t._data
        found = self._shared(a, t.dtype, location)
        if found is not None:
            return found
        flat = np.ascontiguousarray(a).reshape(-1)
        return self._new(flat, t.dtype, location), 0, size, _contiguous_strides(size)

    def _shared(self, a: np.ndarray, dtype, location):
        """The tensor as a view into its root buffer's storage, or None when it is not one."""
        if a.size == 0:
            return None
        root = _root(a)
        if not (root.flags.c_contiguous or root.flags.f_contiguous) or root.nbytes % a.itemsize:
            return None
        entry = self._roots.get(id(root))
        if entry is None:
            flat = np.ravel(root, order="K").view(np.uint8).view(a.dtype)
            entry = self._roots[id(root)] = (root, self._new(flat, dtype, location), _address(flat))
        _, saved, start = entry
        if saved.array.dtype != a.dtype or saved.location != location:
            return None  # one buffer viewed as two dtypes: save this tensor on its own
        item = a.itemsize
        offset = _address(a) - start
        strides = []
        for n, s in zip(a.shape, a.strides):
            if n == 1:
                strides.append(s // item if s >= 0 and s % item == 0 else 1)
            elif s < 0 or s % item:
                return None  # negative strides (flip) have no PyTorch equivalent: copy
            else:
                strides.append(s // item)
        end = offset + sum((n - 1) * s for n, s in zip(a.shape, strides)) * item + item
        if offset < 0 or offset % item or end > saved.array.nbytes:
            return None
        return saved, offset // item, tuple(a.shape), tuple(strides)


def _location_tag(t: Tensor) -> str:
    return str(t._device)  # 'cpu', 'cuda:0': PyTorch's location tags


def _tensor_state(t: Tensor):
    """The Python attributes a user set on ``t`` (not autograd's internals, nor grads)."""
    cls = type(t)
    return {
        k: v for k, v in t.__dict__.items() if not k.startswith("_post_acc") and R.is_user_attribute(cls, k)
    } or None


def _reduce_tensor(t: Tensor, table: StorageTable, param_cls):
    if param_cls is not None and type(t) is param_cls:
        data = Tensor._make(t._data, t._backend, t._device)
        state = _tensor_state(t)
        if state:
            return R._rebuild_parameter_with_state, (data, t._requires_grad, OrderedDict(), state)
        return R._rebuild_parameter, (data, t._requires_grad, OrderedDict())
    if t.dtype not in FOR_DTYPE:
        raise RuntimeError(f"cannot save a tensor of dtype {t.dtype}")
    storage, offset, size, stride = table.locate(t)
    args = (storage, offset, size, stride, t.requires_grad, OrderedDict())
    state = _tensor_state(t)
    if type(t) is Tensor and not state:
        return R._rebuild_tensor_v2, args
    return R._rebuild_from_type_v2, (R._rebuild_tensor_v2, type(t), args, state)


def pickle_checkpoint(obj, table: StorageTable, pickle_module=pickle, protocol: int = 2) -> bytes:
    """The ``data.pkl`` record for ``obj``; fills ``table`` with the storages it refers to."""
    if protocol < 2:
        raise ValueError(f"pickle_protocol must be at least 2 to save tensors, got {protocol}")
    protocol = min(protocol, 3)  # from 4 on, globals are STACK_GLOBAL; see the module docstring
    param_cls = R.parameter_class(import_nn=False)
    base = getattr(pickle_module, "Pickler", pickle.Pickler)

    class CheckpointPickler(base):
        def persistent_id(self, o):
            return o.persistent_id(table.legacy) if type(o) is SavedStorage else None

        def reducer_override(self, o):
            if isinstance(o, Tensor):
                return _reduce_tensor(o, table, param_cls)
            if type(o) is D.dtype:
                return DTYPE_ATTR[o]  # a global: renamed to torch.<name> below
            return NotImplemented

    buf = io.BytesIO()
    CheckpointPickler(buf, protocol=protocol).dump(obj)
    return rename_globals(buf.getvalue(), save_renames())


# Argument sizes of the opcodes the C pickler writes at protocols 2 and 3 (the rename scanner).
_FIXED = {op: 0 for op in b"(.012NQRabeldstu)]}\x81\x85\x86\x87\x88\x89\x8f\x90\x91\x92\x94"}
_FIXED.update(
    {
        ord("K"): 1,
        ord("h"): 1,
        ord("q"): 1,
        0x80: 1,
        0x82: 1,
        ord("M"): 2,
        0x83: 2,
        ord("J"): 4,
        ord("j"): 4,
        ord("r"): 4,
        0x84: 4,
        ord("G"): 8,
    }
)
_SIZED = {
    ord("X"): "<I",
    ord("B"): "<I",
    ord("T"): "<I",
    0x8B: "<I",
    ord("C"): "<B",
    ord("U"): "<B",
    0x8A: "<B",
    0x8C: "<B",
}


def _globals_positions(data: bytes) -> list:
    """(start, end, module, name) of every GLOBAL opcode in a protocol 2/3 pickle."""
    found, i, n = [], 0, len(data)
    while i < n:
        op = data[i]
        if op == 0x63:  # GLOBAL 'c'
            mid = data.index(b"\n", i + 1)
            end = data.index(b"\n", mid + 1) + 1
            found.append((i, end, data[i + 1 : mid].decode("utf-8"), data[mid + 1 : end - 1].decode("utf-8")))
            i = end
        elif op in _FIXED:
            i += 1 + _FIXED[op]
        elif op in _SIZED:
            fmt = _SIZED[op]
            i += 1 + struct.calcsize(fmt) + struct.unpack_from(fmt, data, i + 1)[0]
        else:  # an opcode this fast path does not know: let pickletools parse the stream
            return _globals_positions_slow(data)
    return found


def _globals_positions_slow(data: bytes) -> list:
    ops = list(pickletools.genops(data))
    return [
        (pos, nxt[2], *arg.split(" ", 1))
        for (op, arg, pos), nxt in zip(ops, ops[1:] + [(None, None, len(data))])
        if op.name == "GLOBAL"
    ]


def rename_globals(data: bytes, renames: dict) -> bytes:
    """Rewrite the GLOBAL opcodes of ``data`` whose (module, name) is in ``renames``."""
    out, last = [], 0
    for start, end, module, name in _globals_positions(data):
        new = renames.get((module, name))
        if new is not None:
            out.append(data[last:start])
            out.append(b"c" + f"{new[0]}\n{new[1]}\n".encode())
            last = end
    out.append(data[last:])
    return b"".join(out)
