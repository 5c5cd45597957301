"""Lanterna's versions of the functions a PyTorch checkpoint calls to rebuild its tensors.

A checkpoint's pickle calls ``torch._utils._rebuild_tensor_v2(storage, offset, size, stride,
requires_grad, backward_hooks)`` for every tensor (and ``_rebuild_parameter`` around it for an
``nn.Parameter``). Loading maps those names to the functions here; saving writes them back under
PyTorch's names (see ``_names.py``), so both libraries read the same files.

Every argument comes from a file that may be hostile, so each is checked: a tensor must lie
inside its storage, sizes and strides are non-negative integers, nothing is read out of bounds.
A tensor that does not fit its storage raises ``RuntimeError`` (``CheckpointError``), as
``torch.load`` does for the same bytes; a size or stride of the wrong type also is a ``TypeError``.
"""

from __future__ import annotations

import pickle
import sys

import numpy as np

from .. import _dtype as D
from .._device import CPU
from .._tensor import Tensor
from ..backends.registry import REGISTRY
from ._storage import LoadedStorage
from ._zip import CheckpointError, CheckpointTypeError

_MAX_NUMEL = 1 << 62


def _int_tuple(value, what: str) -> tuple:
    if not isinstance(value, (tuple, list)) or any(type(v) is not int for v in value):
        raise CheckpointTypeError(
            f"the checkpoint is corrupted: tensor {what} must be a tuple of integers, got {value!r:.200}"
        )
    if any(not 0 <= v < _MAX_NUMEL for v in value):
        raise CheckpointError(
            f"the checkpoint is corrupted: tensor {what} must hold non-negative integers below 2**62, "
            f"got {value!r:.200}"
        )
    return tuple(value)


def _ndarray(size, dtype, **view) -> np.ndarray:
    """``np.ndarray(size, dtype, **view)``; a shape NumPy cannot index (a broadcast view whose
    nominal byte size passes 2**63) is a clear error rather than NumPy's ValueError."""
    try:
        return np.ndarray(size, dtype=dtype, **view)
    except ValueError as exc:
        raise CheckpointError(f"cannot load a tensor of size {list(size)}: {exc}") from None


def _view(storage, storage_offset, size, stride) -> Tensor:
    """A tensor viewing ``storage`` (checked to lie inside it), on the storage's device."""
    if not isinstance(storage, LoadedStorage):
        raise pickle.UnpicklingError(
            f"expected a storage to rebuild a tensor from, got {type(storage).__name__}"
        )
    size = _int_tuple(size, "size")
    stride = _int_tuple(stride, "stride")
    if len(size) != len(stride):
        raise CheckpointError(
            f"the checkpoint is corrupted: tensor size {list(size)} and stride {list(stride)} have "
            "different lengths"
        )
    if type(storage_offset) is not int:
        raise CheckpointTypeError(
            "the checkpoint is corrupted: tensor storage offset must be an integer, "
            f"got {storage_offset!r:.100}"
        )
    if storage_offset < 0:
        raise CheckpointError(f"the checkpoint is corrupted: invalid storage offset {storage_offset}")
    array = storage.array
    numel = 1
    for s in size:
        numel *= s
    if numel > _MAX_NUMEL:
        raise CheckpointError(f"the checkpoint is corrupted: a tensor of size {list(size)} is too large")
    if numel == 0:
        data = _ndarray(size, array.dtype)
    else:
        last = storage_offset + sum((n - 1) * s for n, s in zip(size, stride))
        if last >= array.size:
            raise CheckpointError(
                f"the checkpoint is corrupted: a tensor of size {list(size)}, stride {list(stride)} and "
                f"offset {storage_offset} reaches element {last} of a storage of only {array.size} elements"
            )
        item = array.itemsize
        data = _ndarray(
            size,
            array.dtype,
            buffer=array,
            offset=storage_offset * item,
            strides=tuple(s * item for s in stride),
        )
    t = Tensor._make(data, REGISTRY.backends["cpu"], CPU)
    if storage.device.type != "cpu":
        t = t.to(storage.device)
    return t


def _set_requires_grad(t: Tensor, requires_grad) -> Tensor:
    if type(requires_grad) is not bool:
        raise CheckpointError(
            f"the checkpoint is corrupted: requires_grad must be a bool, got {requires_grad!r:.100}"
        )
    if requires_grad:
        t.requires_grad_(True)
    return t


def _apply_metadata(t: Tensor, metadata) -> Tensor:
    if not metadata:
        return t
    if not isinstance(metadata, dict):
        raise pickle.UnpicklingError(f"tensor metadata must be a dict, got {type(metadata).__name__}")
    if metadata.get("conj"):
        raise RuntimeError(
            "the checkpoint holds a conjugated complex tensor, which lanterna does not support"
        )
    if metadata.get("neg"):  # a lazily negated view in PyTorch: materialise it
        t = Tensor._make(-t._data, t._backend, t._device)
    return t


def _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks, metadata=None):
    """``torch._utils._rebuild_tensor_v2``: a tensor viewing a storage (backward hooks are dropped)."""
    t = _apply_metadata(_view(storage, storage_offset, size, stride), metadata)
    return _set_requires_grad(t, requires_grad)


def _rebuild_tensor_v3(
    storage, storage_offset, size, stride, requires_grad, backward_hooks, dtype, metadata=None
):
    """``torch._utils._rebuild_tensor_v3``: as v2, on an untyped storage read as ``dtype``."""
    if not isinstance(dtype, D.dtype):
        raise RuntimeError(
            f"the checkpoint holds a tensor of dtype {dtype!r}, which lanterna does not support"
        )
    if not isinstance(storage, LoadedStorage):
        raise pickle.UnpicklingError(
            f"expected a storage to rebuild a tensor from, got {type(storage).__name__}"
        )
    raw = storage.array
    if raw.dtype != dtype.np:
        if raw.nbytes % dtype.itemsize:
            raise RuntimeError(
                f"the checkpoint is corrupted: {raw.nbytes} bytes do not hold whole {dtype} elements"
            )
        raw = raw.view(np.uint8).view(dtype.np.newbyteorder("<"))
        raw = raw if raw.dtype.isnative else raw.astype(dtype.np)
        storage = LoadedStorage(raw, dtype, storage.device)
    return _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks, metadata)


def _rebuild_tensor(storage, storage_offset, size, stride):
    """``torch._utils._rebuild_tensor`` (old checkpoints)."""
    return _view(storage, storage_offset, size, stride)


def parameter_class(import_nn: bool = True):
    """``lanterna.nn.Parameter`` when lanterna-nn is installed (and imported, unless
    ``import_nn``), else None."""
    nn = sys.modules.get("lanterna.nn")
    if nn is None:
        if not import_nn:
            return None
        try:
            from lanterna import nn
        except ImportError:
            return None
    return getattr(nn, "Parameter", None)


def _make_parameter(data, requires_grad=True):
    if not isinstance(data, Tensor):
        raise pickle.UnpicklingError(f"a Parameter must wrap a tensor, got {type(data).__name__}")
    if type(requires_grad) is not bool:
        raise pickle.UnpicklingError(f"requires_grad must be a bool, got {requires_grad!r}")
    cls = parameter_class()
    if cls is None:  # lanterna-nn is not installed: a leaf tensor is the closest thing
        return data.detach().requires_grad_(requires_grad)
    return cls(data, requires_grad)


def _set_state(obj, state):
    """Restore Python attributes of a tensor (``torch._utils._set_obj_state``)."""
    if state is None:
        return obj
    slots = None
    if isinstance(state, tuple) and len(state) == 2:
        state, slots = state
    for part in (state, slots):
        if part is None:
            continue
        if not isinstance(part, dict) or any(type(k) is not str for k in part):
            raise pickle.UnpicklingError(f"tensor state must be a dict with str keys, got {part!r}")
        for key, value in part.items():
            if not is_user_attribute(type(obj), key):
                raise pickle.UnpicklingError(
                    f"refusing to set attribute '{key}' on a tensor from a checkpoint"
                )
            obj.__dict__[key] = value
    return obj


def is_user_attribute(cls, key: str) -> bool:
    """Whether ``key`` is an attribute a user set on a tensor: not a dunder, and nothing the
    tensor classes define (slots, methods, internal defaults like ``_grad``), which a file must
    neither save nor shadow."""
    return not key.startswith("__") and not any(key in klass.__dict__ for klass in cls.__mro__[:-1])


def _rebuild_parameter(data, requires_grad, backward_hooks):
    """``torch._utils._rebuild_parameter``: an ``nn.Parameter`` around a loaded tensor."""
    return _make_parameter(data, requires_grad)


def _rebuild_parameter_with_state(data, requires_grad, backward_hooks, state):
    """``torch._utils._rebuild_parameter_with_state``: a Parameter with Python attributes."""
    return _set_state(_make_parameter(data, requires_grad), state)


def _rebuild_from_type_v2(func, new_type, args, state):
    """``torch._tensor._rebuild_from_type_v2``: a tensor subclass, or a tensor with attributes."""
    if func not in (
        _rebuild_tensor_v2,
        _rebuild_tensor_v3,
        _rebuild_tensor,
        _rebuild_parameter,
        _rebuild_parameter_with_state,
    ) or not isinstance(args, tuple):
        raise pickle.UnpicklingError(f"_rebuild_from_type_v2 cannot rebuild a tensor with {func!r}")
    t = func(*args)
    if new_type is not type(t):
        if not (isinstance(new_type, type) and issubclass(new_type, Tensor)):
            raise pickle.UnpicklingError(f"cannot rebuild a tensor as {new_type!r}")
        converted = object.__new__(new_type)
        Tensor._Tensor__init_from(converted, t._data, t._backend, t._device, t._requires_grad)
        t = converted
    setstate = getattr(type(t), "__setstate__", None)
    if setstate is not None and setstate is not getattr(Tensor, "__setstate__", None):
        t.__setstate__(state)
        return t
    return _set_state(t, state)


def _rebuild_device_tensor_from_cpu_tensor(data, dtype, device, requires_grad):
    """``torch._utils._rebuild_device_tensor_from_cpu_tensor``: a CPU tensor sent to a device."""
    from ._storage import _parse_location, validate_device

    if not isinstance(data, Tensor):
        raise pickle.UnpicklingError(f"expected a tensor, got {type(data).__name__}")
    t = data.to(dtype=dtype, device=validate_device(_parse_location(device)))
    return _set_requires_grad(t, requires_grad)


def _get_layout(name):
    """``torch.serialization._get_layout``: only the strided layout exists here."""
    if name != "torch.strided":
        raise RuntimeError(f"the checkpoint uses the {name} layout, which lanterna does not support")
    from .._layout import strided

    return strided
