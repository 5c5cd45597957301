"""In-place ops (``add_``, ``mul_``, ``copy_`` ...): write into the tensor's own storage.

Under autograd the tensor's history is rebased onto the op, as PyTorch does: the op runs on a
copy that keeps the old history, and its result becomes the tensor's new history. Modifying a
view also rebases its base (``CopySlices``). The version counter is bumped, so that a backward
needing an overwritten value raises instead of computing something wrong.
"""

from __future__ import annotations

from .. import _dtype as D
from .._tensor import Tensor
from ..autograd.grad_mode import GRAD_ENABLED
from ._apply import Node, apply, attach


def check_inplace(t):
    """PyTorch refuses in-place changes of a leaf that requires grad (and of views of one)."""
    if GRAD_ENABLED[0] and t._requires_grad:
        if t.grad_fn is None:
            raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.")
        fn = t.grad_fn
        if fn.is_view and fn.n_outputs > 1:
            import re

            name = re.sub(r"Backward[0-9]*$", "", fn.name())
            raise RuntimeError(
                f"Output {t._output_nr} of {name} is a view and is being modified inplace. This view is the output "
                "of a function that returns multiple views. Such functions do not allow the output views to be "
                "modified inplace. You should replace the inplace operation by an out-of-place one."
            )
        base = t._base
        if base is not None and base.grad_fn is None and base._requires_grad and fn.is_view:
            raise RuntimeError("a view of a leaf Variable that requires grad is being used in an in-place operation.")


def bump_version(t):
    """Count an in-place change of ``t``. If ``t``'s producer saved it as its output (exp, sigmoid
    ...), that backward can no longer be computed: arm the error it raises, as PyTorch does."""
    t._version[0] += 1
    fn = t.grad_fn
    if fn is not None:
        out = fn.__dict__.get("out")
        if out is not None and out is t._data:
            from ..autograd.graph import modified_error

            fn._out_dirty = modified_error(t, t._version[0], t._version[0] - 1, producer=fn)


def _check_castable(t, r):
    if r.dtype is not t.dtype and r.dtype._category > t.dtype._category:
        from .reduce import legacy_scalar_name as n

        raise RuntimeError(f"result type {n(r.dtype)} can't be cast to the desired output type {n(t.dtype)}")


def _write(t, r):
    """Store result ``r`` into ``t``'s storage (``r`` may broadcast to ``t``, never the reverse)."""
    _check_castable(t, r)
    if r._data.shape != t._data.shape:
        import numpy as np

        try:
            ok = np.broadcast_shapes(r._data.shape, t._data.shape) == t._data.shape
        except ValueError:
            ok = False
        if not ok:
            raise RuntimeError(f"output with shape {list(t.shape)} doesn't match the broadcast shape "
                               f"{_broadcast_or_same(r, t)}")
    src = r._data
    if r._device is not t._device:
        src = t._backend.from_numpy(r._host(), t._device.index or 0)
    t._data[...] = src


def _broadcast_or_same(r, t):
    import numpy as np

    try:
        return list(np.broadcast_shapes(r._data.shape, t._data.shape))
    except ValueError:
        return list(r.shape)


def _history_copy(t):
    """A copy of ``t``'s values that carries ``t``'s history (the op's input)."""
    old = Tensor._make(t._backend.xp.asarray(t._data, copy=True), t._backend, t._device)
    old.grad_fn, old._output_nr, old._requires_grad = t.grad_fn, t._output_nr, t._requires_grad
    return old


def _is_differentiable_view(t):
    return t._base is not None and t.grad_fn is not None and t.grad_fn.is_view


def rebase_history(t, r):
    """Make ``r`` (the graph of the in-place result, already written into ``t``) ``t``'s history;
    for a view, rebase its base too, so gradients through the base see the change."""
    if _is_differentiable_view(t):
        _rebase_view(t, r)
        return
    t.grad_fn, t._output_nr, t._requires_grad = r.grad_fn, r._output_nr, r._requires_grad


class CopySlices(Node):
    """The base after one of its views was modified in place: the view's region comes from the
    in-place result, the rest from the base's old history."""

    def name(self):
        return "torch::autograd::CopySlices"

    def backward(self, grad):
        return grad.masked_fill(self.region, 0), grad.as_strided(self.size, self.stride, self.offset)


def _strided(a):
    """``a`` if it has strides (NumPy, CuPy), else its DLPack view: the standard's arrays hide
    their layout, DLPack (the standard's interchange protocol) exposes it."""
    if hasattr(a, "strides"):
        return a
    from .kernels import to_host

    return to_host(a)


def _address(a):
    iface = getattr(a, "__array_interface__", None) or a.__cuda_array_interface__
    return iface["data"][0]


def _view_geometry(view, base):
    """``(size, stride, offset)`` of ``view`` in elements of ``base``'s storage, or None where
    the array library has no strides (then the view cannot be regenerated)."""
    strides = getattr(view._data, "strides", None)
    if strides is None or getattr(base._data, "strides", None) is None or not base.is_contiguous():
        return None
    item = view._data.itemsize
    return (tuple(view._data.shape), tuple(s // item for s in strides),
            (view.data_ptr() - base.data_ptr()) // item)


def _rebase_view(view, r):
    import numpy as np

    from .shape import as_strided

    base = view._base
    geometry = _view_geometry(view, base)
    if geometry is None:
        raise NotImplementedError(
            f"an in-place change of a view under autograd needs strided arrays, which device '{view.device}' "
            "does not have: clone the view first"
        )
    size, stride, offset = geometry
    region = np.zeros(base._data.shape, dtype=bool)
    np.lib.stride_tricks.as_strided(region.reshape(-1)[offset:], size, stride)[...] = True
    old = base.detach()
    old.grad_fn, old._output_nr, old._requires_grad = base.grad_fn, base._output_nr, base._requires_grad
    node = CopySlices.__new__(CopySlices)
    node.size, node.stride, node.offset = size, stride, offset
    node.region = Tensor._make(base._backend.from_numpy(region, base._device.index or 0), base._backend,
                               base._device)
    attach(node, (old, r), base)
    base._output_nr = 0
    regenerated = as_strided(base, size, stride, offset)
    view.grad_fn, view._output_nr, view._requires_grad = regenerated.grad_fn, 0, True


def inplace(t, fn, *args, **kwargs):
    """Run out-of-place ``fn(t, *args)`` and store its result into ``t`` (rebasing the history)."""
    check_inplace(t)
    needs_graph = GRAD_ENABLED[0] and (t._requires_grad or any(isinstance(a, Tensor) and a._requires_grad
                                                                for a in args))
    if needs_graph:
        r = fn(_history_copy(t), *args, **kwargs)
        _write(t, r)
        bump_version(t)
        if r._requires_grad:
            rebase_history(t, r)
        return t
    prev = GRAD_ENABLED[0]
    GRAD_ENABLED[0] = False
    try:
        r = fn(t, *args, **kwargs)
    finally:
        GRAD_ENABLED[0] = prev
    _write(t, r)
    bump_version(t)
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
        if (op == "div" and not t.dtype.is_floating_point) or t.dtype is D.bool_:
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
    except (ValueError, TypeError):
        return False  # the general path reports broadcasting errors as PyTorch does
    bump_version(t)
    return True


def add_(t, other, *, alpha=1):
    if alpha.__class__ is not int or alpha != 1:
        from .elementwise import scaled_by_alpha

        other = scaled_by_alpha(t, other, alpha)
    if _fast_arith(t, other, "add"):
        return t
    return inplace(t, lambda a, b: a + b, other)


def sub_(t, other, *, alpha=1):
    if alpha.__class__ is not int or alpha != 1:
        from .elementwise import scaled_by_alpha

        other = scaled_by_alpha(t, other, alpha)
    if _fast_arith(t, other, "sub"):
        return t
    return inplace(t, lambda a, b: a - b, other)


def mul_(t, other):
    if _fast_arith(t, other, "mul"):
        return t
    return inplace(t, lambda a, b: a * b, other)


def div_(t, other, *, rounding_mode=None):
    if rounding_mode is None and _fast_arith(t, other, "div"):
        return t
    from .elementwise import div

    return inplace(t, div, other, rounding_mode=rounding_mode)


def addcmul_(t, tensor1, tensor2, *, value=1):
    from .pointwise import addcmul

    return inplace(t, lambda a, b, c: addcmul(a, b, c, value=value), tensor1, tensor2)


def addcdiv_(t, tensor1, tensor2, *, value=1):
    from .pointwise import addcdiv

    return inplace(t, lambda a, b, c: addcdiv(a, b, c, value=value), tensor1, tensor2)


def lerp_(t, end, weight):
    from .pointwise import lerp

    return inplace(t, lerp, end, weight)


class ZeroBackward0(Node):
    def forward(self, a):
        return a._backend.xp.zeros_like(a._data)

    def backward(self, grad):
        return grad * 0


class FillBackward2(Node):
    def forward(self, a):
        return a._backend.xp.full_like(a._data, self.value)

    def backward(self, grad):
        return grad * 0


class FillBackward3(Node):
    def forward(self, a, v):
        return a._backend.xp.zeros_like(a._data) + a._backend.xp.astype(v._data, a._data.dtype)

    def backward(self, grad):
        return grad * 0, grad.sum()


def zero_(t):
    """Fill with zeros."""
    if not (GRAD_ENABLED[0] and t._requires_grad):
        t._data[...] = 0
        bump_version(t)
        return t
    return inplace(t, lambda a: apply(ZeroBackward0, a))


def fill_(t, value):
    """Fill with ``value`` (a number or a 0-dim tensor)."""
    if isinstance(value, Tensor):
        if value.dim() != 0:
            raise RuntimeError("fill_ only supports 0-dimension value tensor but got tensor with "
                               f"{value.dim()} dimensions.")
        if GRAD_ENABLED[0] and (value._requires_grad or t._requires_grad):
            return inplace(t, lambda a, v: apply(FillBackward3, a, v.to(a.dtype)), value)
        value = value.item()
    if not t.dtype.is_floating_point and isinstance(value, float) and t.dtype is not D.bool_:
        value = int(value)
    if GRAD_ENABLED[0] and t._requires_grad:
        return inplace(t, lambda a: apply(FillBackward2, a, value=value))
    check_inplace(t)
    t._data[...] = value
    bump_version(t)
    return t


class CopyBackwards(Node):
    """``t.copy_(src)``: ``t``'s old values are gone (zero gradient); ``src`` gets the gradient."""

    def name(self):
        return "torch::autograd::CopyBackwards"

    def forward(self, a, src):
        xp = a._backend.xp
        s = src._data if src._device is a._device else a._backend.from_numpy(src._host(), a._device.index or 0)
        s = s if s.dtype == a._data.dtype else xp.astype(s, a._data.dtype)
        return xp.broadcast_to(s, a._data.shape)

    def backward(self, grad):
        return grad * 0, grad.to(self.src_device)


def copy_(t, src, non_blocking=False):
    """Copy ``src`` (broadcast, cast, moved to ``t``'s device) into ``t``."""
    if not isinstance(src, Tensor):
        from .creation import tensor

        src = tensor(src)
    if GRAD_ENABLED[0] and (src._requires_grad or t._requires_grad):
        return inplace(t, lambda a, s: _copy_node(a, s), src)
    check_inplace(t)
    data = src._data
    if src._device is not t._device:
        data = t._backend.from_numpy(src._host(), t._device.index or 0) if t._device.type != "cpu" else src._host()
    if data.dtype != t._data.dtype:
        data = t._backend.xp.astype(data, t._data.dtype)
    try:
        t._data[...] = data
    except ValueError:
        raise RuntimeError(_copy_size_error(t, src)) from None
    bump_version(t)
    return t


def _copy_node(a, s):
    import numpy as np

    try:
        np.broadcast_shapes(s._data.shape, a._data.shape)
        if np.broadcast_shapes(s._data.shape, a._data.shape) != a._data.shape:
            raise ValueError
    except ValueError:
        raise RuntimeError(_copy_size_error(a, s)) from None
    node_out = apply(CopyBackwards, a, s, src_device=s.device) if s._device is a._device else \
        apply(CopyBackwards, a, s.to(a.device), src_device=a.device)
    return node_out


def _copy_size_error(t, src):
    ts, ss = list(t.shape), list(src.shape)
    lead = len(ts) - len(ss)
    for i, s in enumerate(ss):
        j = lead + i
        if j >= 0 and s != 1 and s != ts[j]:
            return (f"The size of tensor a ({ts[j]}) must match the size of tensor b ({s}) at non-singleton "
                    f"dimension {j}")
    return f"output with shape {ts} doesn't match the broadcast shape {ss}"


def set_data_(t, r):
    """Replace the storage of ``t`` by that of ``r`` (used by ``out=`` with a new shape)."""
    t._data = r._data
    bump_version(t)
    return t


def _unary_inplace(op_name):
    def method(t, *args, **kwargs):
        fn = getattr(Tensor, op_name)
        return inplace(t, fn, *args, **kwargs)

    method.__name__ = op_name + "_"
    return method


INPLACE_UNARY = [
    "clamp", "clip", "clamp_min", "clamp_max", "exp", "exp2", "expm1", "log", "log2", "log10", "log1p", "sqrt",
    "rsqrt", "abs", "absolute", "neg", "negative", "sigmoid", "tanh", "relu", "floor", "ceil", "round", "trunc",
    "fix", "frac", "sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "asinh", "acosh", "atanh",
    "arcsin", "arccos", "arctan", "reciprocal", "sign", "sgn", "erf", "erfc", "square", "pow", "float_power",
    "remainder", "fmod", "floor_divide", "atan2", "arctan2", "hypot", "xlogy", "copysign", "logit", "nan_to_num",
    "masked_fill", "masked_scatter", "scatter", "scatter_add", "scatter_reduce", "index_put", "index_add",
    "index_copy", "index_fill", "tril", "triu", "logical_not", "logical_and", "logical_or", "logical_xor",
    "bitwise_not", "bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_left_shift", "bitwise_right_shift",
    "maximum", "minimum", "fmax", "fmin", "eq", "ne", "lt", "le", "gt", "ge", "cumsum", "cumprod",
    "renorm", "deg2rad", "rad2deg", "arcsinh", "arccosh", "arctanh", "sinc", "heaviside", "greater",
    "greater_equal", "less", "less_equal", "not_equal", "lgamma", "digamma", "polygamma", "erfinv", "i0", "mvlgamma",
    "ldexp", "gcd", "lcm", "nextafter", "addmm", "addmv", "addbmm", "baddbmm", "addr", "index_reduce", "put",
]


def _shape_inplace(op_name):
    """t_, transpose_, squeeze_, unsqueeze_, resize_ ...: change ``t``'s shape, same storage."""

    def method(t, *args, **kwargs):
        r = getattr(Tensor, op_name)(t, *args, **kwargs)
        t._data = r._data
        if r.grad_fn is not None:
            t.grad_fn, t._output_nr = r.grad_fn, r._output_nr
        bump_version(t)
        return t

    method.__name__ = op_name + "_"
    return method


INPLACE_SHAPE = ["t", "transpose", "swapaxes", "swapdims", "squeeze", "unsqueeze", "as_strided"]


def resize_(t, *sizes, memory_format=None):
    """Give ``t`` a new shape; existing elements are kept in order, new ones are uninitialized."""
    from .shape import shape_arg

    shape = shape_arg(sizes)
    if t._requires_grad and GRAD_ENABLED[0]:
        raise RuntimeError("cannot resize variables that require grad")
    n = 1
    for s in shape:
        n *= s
    xp = t._backend.xp
    flat = xp.reshape(t._data, (-1,))
    if n <= flat.shape[0]:
        t._data = xp.reshape(flat[:n], shape)
    else:
        new = xp.zeros((n,), dtype=t._data.dtype)
        new[: flat.shape[0]] = flat
        t._data = xp.reshape(new, shape)
    bump_version(t)
    return t


def resize_as_(t, other, memory_format=None):
    return resize_(t, other.shape)
