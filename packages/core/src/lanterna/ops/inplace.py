"""In-place ops (``add_``, ``mul_``, ``copy_`` ...): write into the tensor's own storage.

Under autograd the tensor's history is rebased onto the op (as PyTorch does), and its version
counter is bumped so that a backward needing the overwritten value raises instead of lying.
"""

from __future__ import annotations

from .. import _dtype as D
from .._tensor import Tensor
from ..autograd.grad_mode import GRAD_ENABLED


def check_inplace(t):
    if GRAD_ENABLED[0] and t._requires_grad and t.grad_fn is None:
        raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.")


def _check_castable(t, r, name):
    if r.dtype is not t.dtype:
        rd, td = r.dtype, t.dtype
        if rd._category > td._category:
            raise RuntimeError(f"result type {_scalar_name(rd)} can't be cast to the desired output type {_scalar_name(td)}")


def _scalar_name(d):
    from .reduce import _legacy_scalar_name

    return _legacy_scalar_name(d)


def _write(t, r, name):
    _check_castable(t, r, name)
    if r._data.shape != t._data.shape:
        try:
            import numpy as np

            np.broadcast_shapes(r._data.shape, t._data.shape)
            if np.broadcast_shapes(r._data.shape, t._data.shape) != t._data.shape:
                raise ValueError
        except ValueError:
            raise RuntimeError(
                f"output with shape {list(t.shape)} doesn't match the broadcast shape {list(r.shape)}"
            ) from None
    src = r._data
    if r._device is not t._device:
        src = t._backend.from_numpy(r._host(), t._device.index or 0)
    t._data[...] = src


def inplace(t, fn, *args, name="op", **kwargs):
    """Run out-of-place ``fn(t, *args)`` and store the result into ``t``."""
    check_inplace(t)
    needs_graph = GRAD_ENABLED[0] and (t._requires_grad or any(isinstance(a, Tensor) and a._requires_grad for a in args))
    if needs_graph:
        old = t.detach()
        old.grad_fn, old._output_nr, old._requires_grad = t.grad_fn, t._output_nr, t._requires_grad
        r = fn(old, *args, **kwargs)
        _write(t, r, name)
        t.grad_fn, t._output_nr, t._requires_grad = r.grad_fn, r._output_nr, True
    else:
        prev = GRAD_ENABLED[0]
        GRAD_ENABLED[0] = False
        try:
            r = fn(t, *args, **kwargs)
        finally:
            GRAD_ENABLED[0] = prev
        _write(t, r, name)
    t._version[0] += 1
    return t


def _fast_arith(t, other, op):
    """The common optimizer case (no graph, same dtype, same device): one array op in place."""
    if GRAD_ENABLED[0] and (t._requires_grad or (isinstance(other, Tensor) and other._requires_grad)):
        return False
    x = t._data
    if isinstance(other, Tensor):
        if other._device is not t._device or other._data.dtype != x.dtype:
            return False
        y = other._data
    elif isinstance(other, float):
        if not t.dtype.is_floating_point:
            return False
        y = other
    elif isinstance(other, int) and not isinstance(other, bool):
        if op == "div" and not t.dtype.is_floating_point:
            return False
        y = other
    else:
        return False
    try:
        if op == "add":
            x += y
        elif op == "sub":
            x -= y
        elif op == "mul":
            x *= y
        else:
            x /= y
    except ValueError:
        raise RuntimeError(
            f"output with shape {list(t.shape)} doesn't match the broadcast shape "
            f"{list(__import__('numpy').broadcast_shapes(t.shape, other.shape))}"
        ) from None
    t._version[0] += 1
    return True


def add_(t, other, *, alpha=1):
    if alpha != 1:
        other = other * alpha
    if _fast_arith(t, other, "add"):
        return t
    return inplace(t, lambda a, b: a + b, other, name="add_")


def sub_(t, other, *, alpha=1):
    if alpha != 1:
        other = other * alpha
    if _fast_arith(t, other, "sub"):
        return t
    return inplace(t, lambda a, b: a - b, other, name="sub_")


def mul_(t, other):
    if _fast_arith(t, other, "mul"):
        return t
    return inplace(t, lambda a, b: a * b, other, name="mul_")


def div_(t, other, *, rounding_mode=None):
    if rounding_mode is None and _fast_arith(t, other, "div"):
        return t
    from .elementwise import div

    return inplace(t, div, other, name="div_", rounding_mode=rounding_mode)


def addcmul_(t, tensor1, tensor2, *, value=1):
    return add_(t, tensor1 * tensor2 * value if value != 1 else tensor1 * tensor2)


def addcdiv_(t, tensor1, tensor2, *, value=1):
    return add_(t, tensor1 / tensor2 * value if value != 1 else tensor1 / tensor2)


def lerp_(t, end, weight):
    return add_(t, (end - t) * weight)


def zero_(t):
    check_inplace(t)
    t._data[...] = 0
    t._version[0] += 1
    if t.grad_fn is not None and GRAD_ENABLED[0]:
        t.grad_fn, t._requires_grad = None, False  # a constant now
        r = t * 0
        t.grad_fn, t._requires_grad = r.grad_fn, r._requires_grad
    return t


def fill_(t, value):
    if isinstance(value, Tensor):
        if GRAD_ENABLED[0] and (value._requires_grad or t._requires_grad):
            return inplace(t, lambda a, v: a * 0 + v, value, name="fill_")
        value = value.item()
    check_inplace(t)
    if not t.dtype.is_floating_point and isinstance(value, float) and t.dtype is not D.bool_:
        value = int(value)
    t._data[...] = value
    t._version[0] += 1
    if t.grad_fn is not None and GRAD_ENABLED[0]:
        t.grad_fn, t._requires_grad = None, False
    return t


def copy_(t, src, non_blocking=False):
    if not isinstance(src, Tensor):
        from .creation import tensor

        src = tensor(src)
    if GRAD_ENABLED[0] and (src._requires_grad or t._requires_grad):
        return inplace(t, lambda a, s: a * 0 + s.to(a.dtype), src, name="copy_")
    check_inplace(t)
    data = src._data
    if src._device is not t._device:
        data = t._backend.from_numpy(src._host(), t._device.index or 0) if t._device.type != "cpu" else src._host()
    if data.dtype != t._data.dtype:
        data = t._backend.xp.astype(data, t._data.dtype)
    try:
        t._data[...] = data
    except ValueError:
        raise RuntimeError(
            f"The size of tensor a ({list(t.shape)}) must match the size of tensor b ({list(src.shape)})"
        ) from None
    t._version[0] += 1
    return t


def set_data_(t, r):
    """Replace the storage of ``t`` by that of ``r`` (used by ``out=`` with a new shape)."""
    t._data = r._data
    t._version[0] += 1
    return t


def _unary_inplace(op_name):
    def method(t, *args, **kwargs):
        fn = getattr(Tensor, op_name)
        return inplace(t, fn, *args, name=op_name + "_", **kwargs)

    method.__name__ = op_name + "_"
    return method


INPLACE_UNARY = [
    "clamp", "clip", "exp", "log", "sqrt", "abs", "neg", "sigmoid", "tanh", "relu", "floor", "ceil", "round",
    "trunc", "sin", "cos", "reciprocal", "sign", "pow", "masked_fill", "clamp_min", "clamp_max", "erf",
    "log1p", "expm1", "rsqrt", "square", "remainder", "fmod", "scatter", "scatter_add", "index_put",
    "tril", "triu", "t", "transpose", "squeeze", "unsqueeze", "floor_divide", "frac", "logical_not",
    "bitwise_not", "atan", "tan", "log2", "log10",
]
