"""Foreach ops (``_foreach_add_``, ``_foreach_lerp_`` ...): one call applies an op to a list of tensors.

An optimizer step runs the same few ops over every parameter. As separate Tensor ops each would
pay the full dispatch (promotion, graph bookkeeping) once per parameter and per op; these run the
array arithmetic directly in one loop, as PyTorch's ``torch._foreach_*`` do. They record no graph:
an index whose operands need one (gradient recording on and an input requiring grad) or differ in
device or dtype takes the ordinary Tensor op instead, which records, promotes and raises as usual.

Operands follow PyTorch: ``other`` is a number, a list of numbers (one per tensor), a list of
tensors, or a one-element tensor (read as a number).

>>> import lanterna as torch
>>> xs = [torch.ones(2), torch.zeros(3)]
>>> torch._foreach_add_(xs, [torch.ones(2), torch.ones(3)], alpha=2)
>>> xs
[tensor([3., 3.]), tensor([2., 2., 2.])]
"""

from __future__ import annotations

import operator
import threading

import numpy as np

from .._tensor import Tensor
from ..autograd.grad_mode import GRAD_ENABLED
from . import kernels
from .pointwise import check_addcdiv_operands

__all__ = [
    "_foreach_abs",
    "_foreach_abs_",
    "_foreach_add",
    "_foreach_add_",
    "_foreach_addcdiv",
    "_foreach_addcdiv_",
    "_foreach_addcmul",
    "_foreach_addcmul_",
    "_foreach_clamp_max",
    "_foreach_clamp_max_",
    "_foreach_clamp_min",
    "_foreach_clamp_min_",
    "_foreach_copy_",
    "_foreach_div",
    "_foreach_div_",
    "_foreach_exp",
    "_foreach_exp_",
    "_foreach_lerp",
    "_foreach_lerp_",
    "_foreach_maximum",
    "_foreach_maximum_",
    "_foreach_minimum",
    "_foreach_minimum_",
    "_foreach_mul",
    "_foreach_mul_",
    "_foreach_neg",
    "_foreach_neg_",
    "_foreach_norm",
    "_foreach_reciprocal",
    "_foreach_reciprocal_",
    "_foreach_sign",
    "_foreach_sign_",
    "_foreach_sqrt",
    "_foreach_sqrt_",
    "_foreach_sub",
    "_foreach_sub_",
    "_foreach_zero_",
]

_make = Tensor._make


def _check_lists(name, *lists):
    n = len(lists[0])
    if n == 0:
        raise RuntimeError(f"{name}: Tensor list must have at least one tensor.")
    for lst in lists[1:]:
        if len(lst) != n:
            raise RuntimeError(f"Tensor lists must have the same number of tensors, got {n} and {len(lst)}")
    return n


def _recording(*lists):
    """True when gradients are being recorded for some tensor of ``lists`` (the slow path)."""
    if not GRAD_ENABLED[0]:
        return False
    return any(getattr(t, "_requires_grad", False) for lst in lists for t in lst)


def _operands(other, n):
    """``other`` as a list of ``n`` per-tensor operands (numbers or tensors)."""
    if isinstance(other, Tensor):
        if other.numel() == 1 and not other._requires_grad:
            return [other.item()] * n
        if other.dim() == 1 and other.numel() == n:  # a tensor of scalars, one per tensor
            return other.tolist()
        raise RuntimeError("scalar tensor expected to be 0 dim but it has "
                           f"{other.dim()} dimensions and {other.numel()} elements.")
    if isinstance(other, (list, tuple)):
        if len(other) != n:
            raise RuntimeError(f"Tensor lists must have the same number of tensors, got {n} and {len(other)}")
        return other
    return [other] * n


def _alike(o, t):
    """The array of operand ``o`` for the fast path on tensor ``t``, or None to take the Tensor op."""
    # no isinstance(o, Tensor) here: Tensor's metaclass makes that check slow, and this runs per tensor
    device = getattr(o, "_device", None)
    if device is t._device:  # a tensor on t's device: the optimizers' case, tested first
        od, td = o._data.dtype, t._data.dtype
        if od is td or od == td:  # identity first: NumPy shares dtype objects, and == is slow
            return o._data
        return None
    if device is not None:
        return None
    if isinstance(o, float) and kernels.is_integral(t._data):
        return None
    return o  # a number (int, float or a NumPy scalar)


# ---- binary: tensor (op) operand --------------------------------------------------------------
def _binary(name, arr_op, arr_iop, alpha_ok=False):
    def out_of_place(self, other, **kw):
        n = _check_lists(f"_foreach_{name}", self)
        ops = _operands(other, n)
        slow = _recording(self, ops)
        alpha = kw.get("alpha", 1)
        res = []
        for t, o in zip(self, ops):
            a = None if slow else _alike(o, t)
            if a is None:
                res.append(getattr(t, name)(o, **kw))
                continue
            if alpha != 1:
                a = a * alpha
            res.append(_make(arr_op(t._backend.xp, t._data, a), t._backend, t._device))
        return res

    def in_place(self, other, **kw):
        n = _check_lists(f"_foreach_{name}_", self)
        alpha = kw.get("alpha", 1)
        if isinstance(other, (int, float)):  # one number for all: the common optimizer case
            slow = _recording(self)
            a = other * alpha if alpha != 1 else other
            need_float = isinstance(a, float) or name == "div"  # true division needs a float tensor
            for t in self:
                x = t._data
                if slow or (need_float and kernels.is_integral(x)):
                    getattr(t, name + "_")(other, **kw)
                    continue
                arr_iop(t._backend.xp, x, a)
                t._version[0] += 1
            return
        ops = _operands(other, n)
        slow = _recording(self, ops)
        for t, o in zip(self, ops):
            a = None if slow else _alike(o, t)
            if a is None:
                getattr(t, name + "_")(o, **kw)
                continue
            if alpha != 1:
                a = _scaled(a, alpha, t._data)
            arr_iop(t._backend.xp, t._data, a)
            t._version[0] += 1

    if alpha_ok:
        def oop(self, other, *, alpha=1):
            return out_of_place(self, other, **({"alpha": alpha} if alpha != 1 else {}))

        def ip(self, other, *, alpha=1):
            return in_place(self, other, **({"alpha": alpha} if alpha != 1 else {}))
    else:
        def oop(self, other):
            return out_of_place(self, other)

        def ip(self, other):
            return in_place(self, other)

    oop.__name__, ip.__name__ = f"_foreach_{name}", f"_foreach_{name}_"
    oop.__doc__ = f"``[t.{name}(o) for t, o in zip(self, other)]`` in one call."
    ip.__doc__ = f"``t.{name}_(o)`` for each pair, in one call."
    return oop, ip


class _Scratch(threading.local):
    """One spare NumPy array per dtype (and thread) for the temporaries of an in-place loop
    (``alpha * other``, ``value * t1 * t2``): every parameter's temporary reuses the same memory
    instead of a fresh allocation per tensor and op. Kept up to ``MAX_BYTES`` per dtype."""

    MAX_BYTES = 16 << 20

    def __init__(self):
        self.arrays = {}

    def get(self, like):
        """An uninitialised array shaped and typed like ``like``, or None (then allocate as usual)."""
        size, dtype = like.size, like.dtype
        buf = self.arrays.get(dtype)
        if buf is None or buf.size < size:
            if size * dtype.itemsize > self.MAX_BYTES:
                return None
            buf = self.arrays[dtype] = np.empty(size, dtype)
        return buf[:size].reshape(like.shape)


_SCRATCH = _Scratch()
_FLOAT_DTYPES = frozenset(np.dtype(t) for t in (np.float16, np.float32, np.float64))


def _plain_np(x, *others):
    """Whether ``x`` and ``others`` are NumPy arrays of one shape (so results can go to ``out=``)."""
    if type(x) is not np.ndarray:
        return False
    return all(type(o) is np.ndarray and o.shape == x.shape for o in others)


def _scaled(a, alpha, x):
    """``a * alpha`` (rounded as that product), in scratch memory when it can be."""
    if type(x) is np.ndarray and type(a) is np.ndarray and a.shape == x.shape:
        buf = _SCRATCH.get(a)
        if buf is not None:
            return np.multiply(a, alpha, out=buf)
    return a * alpha


def sgd_momentum_step_(params, grads, bufs, momentum, dampening, lr):
    """SGD with momentum in one loop: for each index, ``buf.mul_(momentum).add_(grad, alpha=1 -
    dampening)`` then ``param.add_(buf, alpha=-lr)``: the same arithmetic, rounding and version
    bumps as those three foreach calls (which is what PyTorch's foreach SGD runs), without their
    per-call and per-operand dispatch. Any index that is not plain same-dtype NumPy (another
    device, a dtype mix, a graph being recorded) takes the three foreach ops."""
    n = _check_lists("_foreach_add_", params, grads, bufs)
    alpha = 1 - dampening
    if not _recording(params, grads, bufs):
        slow = []
        neg_lr = -lr
        for pt, gt, bt in zip(params, grads, bufs):
            p, g, b = pt._data, gt._data, bt._data
            # identity of dtype objects (NumPy shares them) keeps the check cheap; anything else
            # (another array type, mixed or non-float dtypes, shapes) takes the foreach ops below
            if not (p.__class__ is g.__class__ is b.__class__ is np.ndarray
                    and p.dtype is g.dtype is b.dtype in _FLOAT_DTYPES and p.shape == g.shape == b.shape):
                slow.append((pt, gt, bt))
                continue
            b *= momentum
            b += g if alpha == 1 else _scaled(g, alpha, b)
            scratch = _SCRATCH.get(p)
            p += b * neg_lr if scratch is None else np.multiply(b, neg_lr, out=scratch)
            bt._version[0] += 2
            pt._version[0] += 1
        if not slow:
            return
        params, grads, bufs = (list(lst) for lst in zip(*slow))
    _foreach_mul_(bufs, momentum)
    _foreach_add_(bufs, grads, alpha=alpha)
    _foreach_add_(params, bufs, alpha=-lr)


def _arith(op, iop):
    return (lambda xp, x, a: op(x, a)), (lambda xp, x, a: iop(x, a))


def _xp_fn(xp_name):
    def op(xp, x, a):
        return getattr(xp, xp_name)(x, a)

    def iop(xp, x, a):
        x[...] = getattr(xp, xp_name)(x, a)

    return op, iop


_foreach_add, _foreach_add_ = _binary("add", *_arith(operator.add, operator.iadd), alpha_ok=True)
_foreach_sub, _foreach_sub_ = _binary("sub", *_arith(operator.sub, operator.isub), alpha_ok=True)
_foreach_mul, _foreach_mul_ = _binary("mul", *_arith(operator.mul, operator.imul))
_foreach_div, _foreach_div_ = _binary("div", *_arith(operator.truediv, operator.itruediv))
_foreach_maximum, _foreach_maximum_ = _binary("maximum", *_xp_fn("maximum"))
_foreach_minimum, _foreach_minimum_ = _binary("minimum", *_xp_fn("minimum"))
_foreach_clamp_min, _foreach_clamp_min_ = _binary("clamp_min", *_xp_fn("maximum"))
_foreach_clamp_max, _foreach_clamp_max_ = _binary("clamp_max", *_xp_fn("minimum"))


# ---- ternary: addcmul, addcdiv, lerp -----------------------------------------------------------
def _pointwise(name, combine, np_combine, check=None):
    """``self + value * combine(t1, t2)``, as PyTorch's CPU kernels order it."""

    def run(self, tensor1, tensor2, value, in_place):
        n = _check_lists(f"_foreach_{name}", self, tensor1, tensor2)
        if check is not None:  # addcdiv: PyTorch refuses integer operands before any update
            for a, b in zip(tensor1, tensor2):
                check(a, b)
        values = _operands(value, n)
        slow = _recording(self, tensor1, tensor2)
        res = []
        for t, a, b, v in zip(self, tensor1, tensor2, values):
            x1 = None if slow else _alike(a, t)
            x2 = None if slow else _alike(b, t)
            if x1 is None or x2 is None:
                r = getattr(t, name + ("_" if in_place else ""))(a, b, value=v)
                res.append(r)
                continue
            if in_place and v != 1 and _plain_np(t._data, x1, x2):
                # the same products in scratch memory: (v * t1) then (op t2), then one add
                buf = _SCRATCH.get(x1)
                if buf is not None:
                    np.multiply(x1, v, out=buf)
                    np_combine(buf, x2, out=buf)
                    np.add(t._data, buf, out=t._data)
                    t._version[0] += 1
                    continue
            upd = combine(x1 if v == 1 else v * x1, x2)
            if in_place:
                t._data += upd
                t._version[0] += 1
            else:
                res.append(_make(t._data + upd, t._backend, t._device))
        return None if in_place else res

    def oop(self, tensor1, tensor2, value=1):
        return run(self, tensor1, tensor2, value, False)

    def ip(self, tensor1, tensor2, value=1):
        run(self, tensor1, tensor2, value, True)

    oop.__name__, ip.__name__ = f"_foreach_{name}", f"_foreach_{name}_"
    oop.__doc__ = f"``[t.{name}(a, b, value=v) ...]`` for each tensor, in one call."
    ip.__doc__ = f"``t.{name}_(a, b, value=v)`` for each tensor, in one call."
    return oop, ip


_foreach_addcmul, _foreach_addcmul_ = _pointwise("addcmul", operator.mul, np.multiply)
_foreach_addcdiv, _foreach_addcdiv_ = _pointwise(
    "addcdiv", operator.truediv, np.true_divide, check=check_addcdiv_operands
)


def _lerp_arrays(x, e, w, in_place, xp=None):
    # PyTorch's formula and rounding (see pointwise.lerp_arrays)
    from .pointwise import lerp_arrays

    if in_place and type(x) is np.ndarray and x.ndim and x.dtype.kind == "f":
        return _lerp_into(x, e, w)
    r = lerp_arrays(xp if xp is not None else _np_like(x), x, e, w)
    if in_place:
        x[...] = r
        return x
    return r


def _lerp_into(x, e, w):
    """``pointwise.lerp_arrays`` written into NumPy array ``x``, the same numbers: the products and
    sums go straight into one float64 temporary (four passes instead of seven, two arrays instead
    of six)."""
    d = np.subtract(e, x)
    small = abs(w) < 0.5
    if x.dtype == np.float64:
        if small:
            np.multiply(d, w, out=d)
            np.add(x, d, out=x)
        else:
            np.multiply(d, 1 - w, out=d)
            np.subtract(e, d, out=x)
        return x
    if small:
        r = np.multiply(d, float(np.asarray(w, dtype=x.dtype)), dtype=np.float64)
        np.add(r, x, out=r)
    else:
        c = float(np.asarray(1 - float(np.asarray(w, dtype=x.dtype)), dtype=x.dtype))
        r = np.multiply(d, c, dtype=np.float64)
        np.subtract(e, r, out=r)
    np.copyto(x, r, casting="same_kind")
    return x


def _np_like(x):
    import numpy as np

    return np if isinstance(x, np.ndarray) else None


def _lerp(self, tensors1, weight, in_place):
    n = _check_lists("_foreach_lerp", self, tensors1)
    weights = _operands(weight, n)
    slow = _recording(self, tensors1, weights)
    res = []
    for t, e, w in zip(self, tensors1, weights):
        a = None if slow else _alike(e, t)
        if a is None or hasattr(w, "_device"):  # tensor weights take the Tensor op
            res.append(t.lerp_(e, w) if in_place else t.lerp(e, w))
            continue
        r = _lerp_arrays(t._data, a, w, in_place, t._backend.xp)
        if in_place:
            t._version[0] += 1
        else:
            res.append(_make(r, t._backend, t._device))
    return None if in_place else res


def _foreach_lerp(self, tensors1, weight):
    """``[t.lerp(e, w) ...]`` for each tensor, in one call."""
    return _lerp(self, tensors1, weight, False)


def _foreach_lerp_(self, tensors1, weight):
    """``t.lerp_(e, w)`` for each tensor, in one call."""
    _lerp(self, tensors1, weight, True)


# ---- unary ------------------------------------------------------------------------------------
def _unary(name):
    def oop(self):
        _check_lists(f"_foreach_{name}", self)
        if _recording(self):
            return [getattr(t, name)() for t in self]
        return [_make(getattr(t._backend.xp, name)(t._data), t._backend, t._device) for t in self]

    def ip(self):
        _check_lists(f"_foreach_{name}_", self)
        if _recording(self):
            for t in self:
                getattr(t, name + "_")()
            return
        for t in self:
            t._data[...] = getattr(t._backend.xp, name)(t._data)
            t._version[0] += 1

    oop.__name__, ip.__name__ = f"_foreach_{name}", f"_foreach_{name}_"
    oop.__doc__ = f"``[t.{name}() for t in self]`` in one call."
    ip.__doc__ = f"``t.{name}_()`` for each tensor, in one call."
    return oop, ip


_foreach_sqrt, _foreach_sqrt_ = _unary("sqrt")
_foreach_abs, _foreach_abs_ = _unary("abs")
_foreach_exp, _foreach_exp_ = _unary("exp")
_foreach_sign, _foreach_sign_ = _unary("sign")


def _foreach_neg(self):
    """``[-t for t in self]`` in one call."""
    _check_lists("_foreach_neg", self)
    if _recording(self):
        return [-t for t in self]
    return [_make(-t._data, t._backend, t._device) for t in self]


def _foreach_neg_(self):
    """``t.neg_()`` for each tensor, in one call."""
    _foreach_mul_(self, -1)


def _foreach_reciprocal(self):
    """``[t.reciprocal() for t in self]`` in one call."""
    return _foreach_div([t.new_ones(()) for t in self], self) if _recording(self) else [
        _make(1 / t._data, t._backend, t._device) for t in self
    ]


def _foreach_reciprocal_(self):
    """``t.reciprocal_()`` for each tensor, in one call."""
    for t in self:
        t.reciprocal_()


def _foreach_zero_(self):
    """``t.zero_()`` for each tensor, in one call."""
    for t in self:
        t.zero_()


def _foreach_copy_(self, src, non_blocking=False):
    """``t.copy_(s)`` for each pair, in one call."""
    _check_lists("_foreach_copy_", self, src)
    for t, s in zip(self, src):
        t.copy_(s)


def _foreach_norm(self, ord=2, dtype=None):
    """``[t.norm(ord) for t in self]`` (0-dim tensors) in one call."""
    _check_lists("_foreach_norm", self)
    if ord != 2 or dtype is not None or _recording(self):
        return [t.norm(ord) if dtype is None else t.to(dtype).norm(ord) for t in self]
    out = []
    for t in self:
        xp, x = t._backend.xp, t._data
        out.append(_make(xp.sqrt(xp.sum(x * x)), t._backend, t._device))
    return out
