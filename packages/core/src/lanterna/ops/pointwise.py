"""Elementwise ops beyond arithmetic: where, masked_fill, maximum/minimum, clamp, lerp, addcmul,
atan2, hypot, xlogy, copysign, nan_to_num. Each gradient follows PyTorch's convention at ties
and bounds (clamp passes the gradient at the bound; maximum splits it on ties)."""

from __future__ import annotations

import math

from .. import _dtype as D
from .._tensor import Tensor
from ..autograd.grad_mode import GRAD_ENABLED
from .special import quiet
from ._apply import Node, apply, as_tensor_like, check_same_device
from .elementwise import broadcast_error, cast, invalid_arguments, need_tensor
from ._argerrors import not_a_tensor

_make = Tensor._make


def apply_broadcast(cls, *operands, **params):
    """``apply`` for an op whose tensors broadcast together: NumPy's ValueError for shapes that
    do not becomes PyTorch's RuntimeError (caught, never pre-checked, so success costs nothing)."""
    try:
        return apply(cls, *operands, **params)
    except ValueError as e:
        raise (broadcast_error(*operands) or e) from None


def promote(*operands):
    """Tensors (and numbers) brought to their common dtype and device, as tensors."""
    ref = next(o for o in operands if isinstance(o, Tensor))
    rt = D.result_type(*operands)
    out = []
    for o in operands:
        if not isinstance(o, Tensor):
            if type(o) is int and rt._category == 1:  # PyTorch's checked conversion (where(c, 300, int8))
                o = checked_int(o, rt)
            o = as_tensor_like(o, ref, rt)
        elif o._device is not ref._device:
            if o._data.ndim == 0 and o._device.type == "cpu":
                o = o.to(ref._device)
            else:
                check_same_device(ref, o)
        out.append(cast(o, rt))
    return out


# ---- where / masked_fill ---------------------------------------------------------------------
class WhereBackward0(Node):
    def forward(self, a, b):
        return a._backend.xp.where(self.condition._data, a._data, b._data)

    def backward(self, grad):
        c = self.condition
        return grad.masked_fill(c.logical_not(), 0), grad.masked_fill(c, 0)


def where(condition, input=None, other=None):
    """``input`` where ``condition`` holds, else ``other`` (numbers allowed); with only a
    condition, the indices of its nonzero elements.

    >>> import lanterna as torch
    >>> torch.where(torch.tensor([True, False]), torch.tensor([1.0, 2.0]), 0.0)
    tensor([1., 0.])
    """
    if not isinstance(condition, Tensor):
        raise _where_error(condition, input, other)
    if input is None and other is None:
        return condition.nonzero(as_tuple=True)
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):
        rt = D.result_type(input, other)
        input = as_tensor_like(input, condition, rt)
    a, b = promote(input, other)
    if condition.dtype is not D.bool_:
        if condition.dtype is not D.uint8:
            from .reduce import legacy_scalar_name

            raise RuntimeError(f"where expected condition to be a boolean tensor, but got a tensor with dtype "
                               f"{legacy_scalar_name(condition.dtype)}")
        condition = condition.to(D.bool_)
    check_same_device(condition, a, "where")
    try:
        return apply(WhereBackward0, a, b, condition=condition)
    except ValueError as e:
        raise (broadcast_error(condition, a, b) or e) from None


_WHERE_SIGNATURES = ("Tensor condition", "Tensor condition, Tensor input, Tensor other, *, Tensor out = None",
                     ("Tensor condition, Number self, Tensor other", ("Tensor", "Number", "Tensor")),
                     ("Tensor condition, Tensor input, Number other", ("Tensor", "Tensor", "Number")),
                     ("Tensor condition, Number self, Number other", ("Tensor", "Number", "Number")))


def _where_error(condition, input, other):
    """PyTorch's TypeError for ``where(<not a tensor>, ...)``: the one-argument form names the
    parameter, the others list the overloads."""
    from ._argerrors import given, invalid_combination

    if input is None and other is None:
        return not_a_tensor("where", condition, "condition")
    args, _ = given(condition, ("input", input, None), ("other", other, None))
    return invalid_combination("where", args, _WHERE_SIGNATURES)


class MaskedFillBackward0(Node):
    def forward(self, a):
        xp = a._backend.xp
        return xp.where(self.mask._data, xp.asarray(self.value, dtype=a._data.dtype), a._data)

    def backward(self, grad):
        return grad.masked_fill(self.mask, 0)


class MaskedFillBackward1(Node):
    def forward(self, a, v):
        xp = a._backend.xp
        return xp.where(self.mask._data, xp.astype(v._data, a._data.dtype), a._data)

    def backward(self, grad):
        return grad.masked_fill(self.mask, 0), grad.masked_fill(self.mask.logical_not(), 0).sum()


def masked_fill(input, mask, value):
    """``input`` with ``value`` written where ``mask`` (bool, broadcastable) is True."""
    if not isinstance(input, Tensor):
        from ._argerrors import invalid_combination

        raise invalid_combination("masked_fill", (input, mask, value),
                                  (("Tensor input, Tensor mask, Tensor value", ("Tensor", "Tensor", "Tensor")),
                                   ("Tensor input, Tensor mask, Number value", ("Tensor", "Tensor", "Number"))))
    if mask.dtype is not D.bool_:
        raise RuntimeError(f"masked_fill_ only supports boolean masks, but got mask with dtype {D.cpp_name(mask.dtype)}")
    if mask._data.shape != input._data.shape:
        input, mask = _broadcast_mask(input, mask)
    if isinstance(value, Tensor):
        if value.dim() != 0:
            raise RuntimeError("masked_fill_ only supports a 0-dimensional value tensor, but got tensor with "
                               f"{value.dim()} dimension(s).")
        return apply(MaskedFillBackward1, input, value.to(input.device), mask=mask)
    if not input.dtype.is_floating_point and isinstance(value, float) and input.dtype is not D.bool_:
        value = int(value)
    if type(value) is int and input.dtype._category == 1:  # -1 wraps into a uint8, 300 refuses
        value = checked_int(value, input.dtype)
    return apply(MaskedFillBackward0, input, mask=mask, value=value)


def _broadcast_mask(input, mask):
    """``input`` and ``mask`` expanded to their common shape: the out-of-place op broadcasts both
    ways, as PyTorch's ``expand_outplace(mask, self)`` (so the mask is "tensor a" in its error)."""
    import numpy as np

    try:
        shape = np.broadcast_shapes(tuple(mask.shape), tuple(input.shape))
    except ValueError:
        raise broadcast_error(mask, input) from None
    return (input if tuple(input.shape) == shape else input.expand(shape)), mask.expand(shape)


def masked_fill_(input, mask, value):
    """In place: the mask must broadcast to ``input``'s own shape."""
    if isinstance(mask, Tensor) and mask._data.shape != input._data.shape:
        import numpy as np

        try:
            shape = np.broadcast_shapes(tuple(input.shape), tuple(mask.shape))
        except ValueError:  # here PyTorch's TensorIterator names the input "tensor a"
            raise broadcast_error(input, mask) from None
        if shape != tuple(input.shape):
            raise RuntimeError(f"output with shape {list(input.shape)} doesn't match the broadcast shape {list(shape)}")
    from .inplace import inplace

    return inplace(input, masked_fill, mask, value)


# ---- maximum / minimum -----------------------------------------------------------------------
class MaximumBackward0(Node):
    is_max = True

    def forward(self, a, b):
        self.save(a, b)
        xp = a._backend.xp
        r = (xp.maximum if self.is_max else xp.minimum)(a._data, b._data)
        return _keep_first_on_ties(xp, a._data, b._data, r) if a.dtype.is_floating_point else r

    def backward(self, grad):
        a, b = self.saved
        # ties share the gradient; where a NaN wins both get it (as PyTorch)
        half = grad.masked_fill(a != b, 0) * 0.5 + grad.masked_fill(a == b, 0)
        a_loses, b_loses = (a < b, a > b) if self.is_max else (a > b, a < b)
        return half.masked_fill(a_loses, 0), half.masked_fill(b_loses, 0)


class MinimumBackward0(MaximumBackward0):
    is_max = False


class FmaxBackward0(Node):
    is_max = True

    def forward(self, a, b):
        self.save(a, b)
        xp = a._backend.xp
        import numpy as np

        r = (np.fmax if self.is_max else np.fmin)(a._data, b._data) if xp is np else \
            xp.where(xp.isnan(b._data), a._data, xp.where(xp.isnan(a._data), b._data,
                     (xp.maximum if self.is_max else xp.minimum)(a._data, b._data)))
        return _keep_first_on_ties(xp, a._data, b._data, r) if a.dtype.is_floating_point else r

    def backward(self, grad):
        a, b = self.saved
        a_wins = ((a >= b) if self.is_max else (a <= b)) | b.isnan()
        return grad.masked_fill(a_wins.logical_not(), 0), grad.masked_fill(a_wins, 0)


class FminBackward0(FmaxBackward0):
    is_max = False


def tensor_pair(name, input, other, other_name="other"):
    """Check that both operands of a Tensor-only binary op are tensors (PyTorch refuses numbers)."""
    if not isinstance(input, Tensor):
        raise need_tensor(name, input)
    if not isinstance(other, Tensor):
        raise need_tensor(name, other, other_name, 2)


def _binary_tensors(name, input, other):
    if not isinstance(other, Tensor) or not isinstance(input, Tensor):
        tensor_pair(name, input, other)
    return promote(input, other)


def _keep_first_on_ties(xp, x, y, r):
    """``r`` with ``x`` wherever ``x == y``: PyTorch's maximum/minimum/fmax/fmin/clamp return their
    first operand on a tie, which decides between 0.0 and -0.0."""
    return xp.where(x == y, x, r)


def maximum(input, other):
    """Elementwise maximum (NaN propagates)."""
    return apply_broadcast(MaximumBackward0, *_binary_tensors("maximum", input, other))


def minimum(input, other):
    """Elementwise minimum (NaN propagates)."""
    return apply_broadcast(MinimumBackward0, *_binary_tensors("minimum", input, other))


def fmax(input, other):
    """Elementwise maximum ignoring NaN."""
    return apply_broadcast(FmaxBackward0, *_binary_tensors("fmax", input, other))


def fmin(input, other):
    """Elementwise minimum ignoring NaN."""
    return apply_broadcast(FminBackward0, *_binary_tensors("fmin", input, other))


# ---- clamp ---------------------------------------------------------------------------------
class ClampBackward1(Node):
    """clamp with number bounds; the gradient passes where ``min <= x <= max`` (bounds included)."""

    def forward(self, a):
        self.save(a)
        xp = a._backend.xp
        x = a._data
        fl = a.dtype.is_floating_point
        if self.lo is not None:
            lo = xp.asarray(self.lo, dtype=x.dtype)
            x = _keep_first_on_ties(xp, x, lo, xp.maximum(x, lo)) if fl else xp.maximum(x, lo)
        if self.hi is not None:
            hi = xp.asarray(self.hi, dtype=x.dtype)
            x = _keep_first_on_ties(xp, x, hi, xp.minimum(x, hi)) if fl else xp.minimum(x, hi)
        return x

    def backward(self, grad):
        (a,) = self.saved
        keep = None
        if self.lo is not None:
            keep = a >= self.lo
        if self.hi is not None:
            keep = (a <= self.hi) if keep is None else keep & (a <= self.hi)
        return grad.masked_fill(keep.logical_not(), 0)


class ClampMinBackward0(ClampBackward1):
    pass


class ClampMaxBackward0(ClampBackward1):
    pass


class ClampBackward0(Node):
    """clamp with tensor bounds (PyTorch's rule for which bound gets the gradient)."""

    def forward(self, a, *bounds):
        self.save(a, *bounds)
        xp = a._backend.xp
        x = a._data
        it = iter(bounds)
        lo = next(it) if self.has_lo else None
        hi = next(it) if self.has_hi else None
        fl = a.dtype.is_floating_point
        if lo is not None:
            x = _keep_first_on_ties(xp, x, lo._data, xp.maximum(x, lo._data)) if fl else xp.maximum(x, lo._data)
        if hi is not None:
            x = _keep_first_on_ties(xp, x, hi._data, xp.minimum(x, hi._data)) if fl else xp.minimum(x, hi._data)
        return x

    def backward(self, grad):
        a, *bounds = self.saved
        it = iter(bounds)
        lo = next(it) if self.has_lo else None
        hi = next(it) if self.has_hi else None
        out = []
        if lo is not None and hi is not None:
            out.append(grad.masked_fill(((a >= lo) & (a <= hi)).logical_not(), 0))
            out.append(grad.masked_fill(((a < lo) & (lo < hi)).logical_not(), 0))
            out.append(grad.masked_fill(((a > hi) | (hi < lo)).logical_not(), 0))
        # written so that a NaN input sends its gradient to neither side (it compares False), as PyTorch
        elif lo is not None:
            out += [grad.masked_fill((a >= lo).logical_not(), 0), grad.masked_fill((a < lo).logical_not(), 0)]
        else:
            out += [grad.masked_fill((a <= hi).logical_not(), 0), grad.masked_fill((a > hi).logical_not(), 0)]
        return tuple(out)


def _clamp_error(name, input, min, max):
    """PyTorch's "invalid combination" TypeError for ``clamp(<not a tensor>, ...)``."""
    from ._argerrors import given, invalid_combination

    args, kwargs = given(input, ("min", min, None), ("max", max, None))
    return invalid_combination(name, args, ("Tensor input, Tensor min = None, Tensor max = None, *, Tensor out = None",
                                            "Tensor input, Number min = None, Number max = None, *, Tensor out = None"),
                               kwargs)


def clamp(input, min=None, max=None):
    """Limit values to ``[min, max]`` (numbers or tensors; either may be None).

    >>> import lanterna as torch
    >>> torch.tensor([-2.0, 0.5, 3.0]).clamp(-1, 1)
    tensor([-1.0000,  0.5000,  1.0000])
    """
    if not isinstance(input, Tensor):
        raise _clamp_error("clamp", input, min, max)
    return _clamp(input, min, max, ClampBackward1)


def _clamp(input, min, max, cls):
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        ops = promote(input, *[b for b in (min, max) if b is not None])
        return apply_broadcast(ClampBackward0, *ops, has_lo=min is not None, has_hi=max is not None)
    rt = D.result_type(input, *[b for b in (min, max) if b is not None])
    if not rt.is_floating_point:
        if rt is D.bool_:
            kind = "clamp" if min is not None and max is not None else "clamp_min" if min is not None else "clamp_max"
            raise NotImplementedError(f"\"{kind}_scalar_cpu\" not implemented for 'Bool'")
        # integer bounds convert as PyTorch's checked cast: negative values wrap into unsigned types
        min, max = (checked_int(v, rt) if v is not None else None for v in (min, max))
    return apply(cls, cast(input, rt), lo=min, hi=max)


_CPP_INT = {"uint8": "uint8_t", "int8": "int8_t", "int16": "int16_t", "int32": "int", "int64": "int64_t"}


def checked_int(value, dtype):
    """A Python int as a value of integer ``dtype``, as PyTorch's checked scalar conversion: an
    error outside the type's range, except that negatives down to ``-max`` wrap into unsigned types."""
    import numpy as np

    value = int(value)
    if not -(2**63) <= value < 2**64:
        raise OverflowError("int too big to convert")
    info = np.iinfo(dtype.np)
    lo = -int(info.max) if info.min == 0 else int(info.min)
    if not lo <= value <= info.max:
        raise RuntimeError(f"value cannot be converted to type {_CPP_INT.get(dtype.name, dtype.name)} without overflow")
    return value % (int(info.max) + 1) if value < 0 and info.min == 0 else value


def clip(input, min=None, max=None):
    """Alias of :func:`clamp`, with its own name in its errors (as in PyTorch)."""
    if not isinstance(input, Tensor):
        raise _clamp_error("clip", input, min, max)
    return _clamp(input, min, max, ClampBackward1)


def clamp_min(input, min):
    return _clamp(input, min, None, ClampMinBackward0)


def clamp_max(input, max):
    return _clamp(input, None, max, ClampMaxBackward0)


# ---- binary math -----------------------------------------------------------------------------
class Atan2Backward0(Node):
    def forward(self, a, b):
        self.save(a, b)
        return a._backend.xp.atan2(a._data, b._data)

    def backward(self, grad):
        a, b = self.saved
        # at a == b == 0 the gradient is 0 (PyTorch masks the infinite reciprocal), not 0/0 = NaN
        denom = a * a + b * b
        recip = denom.masked_fill(denom == 0, 1).reciprocal()
        recip = recip.masked_fill((denom == 0) | recip.isinf(), 0)
        return grad * b * recip, grad * -a * recip


def _float_pair(input, other):
    if not D.result_type(input, other).is_floating_point:
        # integers go to floating point before they meet a number: promoted to a uint8 first, the
        # -3 of copysign(x, -3) would wrap to 253
        f = D.get_default_dtype()
        input, other = (cast(t, f) if isinstance(t, Tensor) else t for t in (input, other))
    a, b = promote(input, other)
    if not a.dtype.is_floating_point:
        a, b = cast(a, D.get_default_dtype()), cast(b, D.get_default_dtype())
    return a, b


def atan2(input, other):
    """Angle of the point (other, input), elementwise."""
    if not isinstance(other, Tensor) or not isinstance(input, Tensor):
        tensor_pair("atan2", input, other)
    return apply_broadcast(Atan2Backward0, *_float_pair(input, other))


def arctan2(input, other):
    """Alias of :func:`atan2`."""
    if not isinstance(other, Tensor) or not isinstance(input, Tensor):
        tensor_pair("arctan2", input, other)
    return apply_broadcast(Atan2Backward0, *_float_pair(input, other))


def _float_only(name, input, other):
    """Tensors of a floating-only binary op (hypot, logaddexp): PyTorch has no integer kernel."""
    tensor_pair(name, input, other)
    rt = D.result_type(input, other)
    if not rt.is_floating_point:
        from .reduce import legacy_scalar_name

        raise NotImplementedError(f"\"{name}_cpu\" not implemented for '{legacy_scalar_name(rt)}'")
    return _float_pair(input, other)


class HypotBackward0(Node):
    def forward(self, a, b):
        self.save(a, b)
        self.out = a._backend.xp.hypot(a._data, b._data)
        return self.out

    def backward(self, grad):
        from ._apply import output_of

        a, b = self.saved
        out = output_of(self, self.out, a)
        return grad * a / out, grad * b / out


def hypot(input, other):
    """``sqrt(input**2 + other**2)`` without overflow."""
    return apply_broadcast(HypotBackward0, *_float_only("hypot", input, other))


def lerp_arrays(xp, x, e, w):
    """PyTorch's CPU lerp, rounding like its fused multiply-add: ``x + w*(e-x)`` for ``|w| < 0.5``,
    else ``e - (e-x)*(1-w)``, each with the product and sum rounded once. For float32/float16 the
    exact product of two float32s is formed in float64 and rounded once at the end; this matches
    PyTorch bit for bit, where a plain NumPy expression is off in the last bit for ~10% of
    elements (enough to make Adam drift from PyTorch's trajectory)."""
    d = e - x
    if x.dtype == xp.float64:
        return x + w * d if abs(w) < 0.5 else e - d * (1 - w)
    f64 = xp.float64
    if abs(w) < 0.5:
        w32 = float(xp.asarray(w, dtype=x.dtype))
        r = xp.astype(x, f64) + w32 * xp.astype(d, f64)
    else:
        c32 = float(xp.asarray(1 - float(xp.asarray(w, dtype=x.dtype)), dtype=x.dtype))
        r = xp.astype(e, f64) - xp.astype(d, f64) * c32
    return xp.astype(r, x.dtype)


class LerpBackward0(Node):
    def forward(self, a, b):
        return lerp_arrays(a._backend.xp, a._data, b._data, self.weight)

    def backward(self, grad):
        return grad * (1 - self.weight), grad * self.weight


class LerpBackward1(Node):
    def forward(self, a, b, w):
        if GRAD_ENABLED[0]:  # ``input`` and ``end`` only for the weight's gradient, as PyTorch
            gw = w._requires_grad
            self.save(a if gw else None, b if gw else None, w)
        xp = a._backend.xp
        x, e, wt = a._data, b._data, w._data
        d = e - x
        # PyTorch's two-sided formula (as lerp_arrays): from ``end`` where w >= 0.5, so w == 1 gives
        # ``end`` exactly and lerp(-inf, 1, 0.6) is -inf rather than -inf + inf = NaN
        with quiet(xp):  # the branch not taken may hold inf - inf
            return xp.where(xp.abs(wt) < 0.5, x + wt * d, e - d * (1 - wt))

    def backward(self, grad):
        a, b, w = self.saved
        return grad * (1 - w), grad * w, (grad * (b - a) if a is not None else None)


def lerp(input, end, weight):
    """``input + weight * (end - input)``."""
    if not isinstance(input, Tensor) or not isinstance(end, Tensor):
        raise invalid_arguments("lerp", (input, end, weight), ("Tensor input, Tensor end, Tensor weight",
                                                               "Tensor input, Tensor end, Number weight"))
    _check_lerp_dtypes(input, end, weight)
    if isinstance(weight, Tensor):
        return apply_broadcast(LerpBackward1, *promote(input, end, weight))
    return apply_broadcast(LerpBackward0, *promote(input, end), weight=weight)


# PyTorch's lerp names dtypes by their C++ types
_CPP_TYPE_NAMES = {D.float32: "float", D.float64: "double", D.float16: "c10::Half", D.bfloat16: "c10::BFloat16",
                   D.int64: "long int", D.int32: "int", D.int16: "short int", D.int8: "signed char",
                   D.uint8: "unsigned char", D.bool_: "bool"}


def _check_lerp_dtypes(input, end, weight):
    """lerp does not promote: ``end`` (and a weight tensor of 1 or more dims) must have
    ``input``'s dtype, and that dtype must be floating point."""
    def cpp(t):
        return _CPP_TYPE_NAMES.get(t.dtype, str(t.dtype))

    if end.dtype is not input.dtype:
        raise RuntimeError(f"expected dtype {cpp(input)} for `end` but got dtype {cpp(end)}")
    if isinstance(weight, Tensor) and weight.dim() and weight.dtype is not input.dtype:
        raise RuntimeError(f"expected dtype {cpp(input)} for `weight` but got dtype {cpp(weight)}")
    if not (input.dtype.is_floating_point or input.dtype.is_complex):
        from .reduce import legacy_scalar_name

        kind = "tensor" if isinstance(weight, Tensor) else "scalar"
        raise NotImplementedError(f'"lerp_kernel_{kind}" not implemented for \'{legacy_scalar_name(input.dtype)}\'')


class AddcmulBackward0(Node):
    def forward(self, a, t1, t2):
        # Save only what backward reads, as PyTorch's generated code does: each factor for the
        # other's gradient. A factor that no gradient needs may then change in place before
        # backward (the optimizers' ``exp_avg_sq.addcmul_(grad, grad)`` on a graph) without
        # tripping the version check.
        if GRAD_ENABLED[0]:
            self.save(t1 if t2._requires_grad else None, t2 if t1._requires_grad else None)
        return a._data + self.value * t1._data * t2._data

    def backward(self, grad):
        t1, t2 = self.saved
        return (grad, grad * t2 * self.value if t2 is not None else None,
                grad * t1 * self.value if t1 is not None else None)


class AddcdivBackward0(Node):
    def forward(self, a, t1, t2):
        # as AddcmulBackward0, except that PyTorch keeps ``tensor2`` whenever it records the op
        if GRAD_ENABLED[0]:
            self.save(t1 if t2._requires_grad else None, t2)
        return a._data + self.value * (t1._data / t2._data)

    def backward(self, grad):
        t1, t2 = self.saved
        return grad, grad * self.value / t2, (-grad * self.value * t1 / (t2 * t2) if t1 is not None else None)


def addcmul(input, tensor1, tensor2, *, value=1):
    """``input + value * tensor1 * tensor2``."""
    if not isinstance(input, Tensor):
        raise not_a_tensor('addcmul', input)
    return apply_broadcast(AddcmulBackward0, *promote(input, tensor1, tensor2), value=value)


def check_addcdiv_operands(tensor1, tensor2):
    """PyTorch refuses integer (and bool) ``tensor1`` and ``tensor2`` together, whatever ``input`` is."""
    if _integral(tensor1) and _integral(tensor2):
        # the doubled space is PyTorch's, from two string pieces it joins
        raise RuntimeError("Integer division with addcdiv is no longer supported, and in a future  release addcdiv "
                           "will perform a true division of tensor1 and tensor2. The historic addcdiv behavior can "
                           "be implemented as (input + value * torch.trunc(tensor1 / tensor2)).to(input.dtype) for "
                           "integer inputs and as (input + value * tensor1 / tensor2) for float inputs. The future "
                           "addcdiv behavior is just the latter implementation: (input + value * tensor1 / tensor2), "
                           "for all dtypes.")


def _integral(t):
    return isinstance(t, Tensor) and not (t.dtype.is_floating_point or t.dtype.is_complex)


def addcdiv(input, tensor1, tensor2, *, value=1):
    """``input + value * tensor1 / tensor2``."""
    if not isinstance(input, Tensor):
        raise not_a_tensor('addcdiv', input)
    check_addcdiv_operands(tensor1, tensor2)
    return apply_broadcast(AddcdivBackward0, *promote(input, tensor1, tensor2), value=value)


class XlogyBackward0(Node):
    def forward(self, a, b):
        self.save(a, b)
        xp = a._backend.xp
        x, y = a._data, b._data
        with quiet(xp):
            r = x * xp.log(y)
        return xp.where((x == 0) & ~xp.isnan(y), xp.zeros((), dtype=r.dtype), r)

    def backward(self, grad):
        a, b = self.saved
        # d/dx is log(y) even at x == 0 (xlogy is x * log(y) there too), except where y <= 0 makes
        # it 0: PyTorch's xlogy(grad, y).masked_fill((x == 0) & (y <= 0), 0)
        return grad.xlogy(b).masked_fill((a == 0) & (b <= 0), 0), grad * a / b


def xlogy(input, other):
    """``input * log(other)``, zero where ``input`` is zero."""
    return apply_broadcast(XlogyBackward0, *_float_pair(input, other))


class CopysignBackward0(Node):
    def forward(self, a, b):
        self.save(a)
        self.out = a._backend.xp.copysign(a._data, b._data)
        return self.out

    def backward(self, grad):
        from ._apply import output_of

        (a,) = self.saved
        ratio = (output_of(self, self.out, a).detach() / a.detach()).masked_fill(a == 0, 0)  # +-1, constant
        return grad * ratio, grad * 0


def copysign(input, other):
    """``|input|`` with the sign of ``other``."""
    if not isinstance(input, Tensor):
        raise invalid_arguments("copysign", (input, other))
    return apply_broadcast(CopysignBackward0, *_float_pair(input, other))


def float_power(input, exponent):
    """``input ** exponent`` computed in float64."""
    base = cast(input, D.float64) if isinstance(input, Tensor) else input
    exp = cast(exponent, D.float64) if isinstance(exponent, Tensor) else float(exponent)
    return base ** exp if isinstance(base, Tensor) else exp.__rpow__(float(base))


class NanToNumBackward0(Node):
    def forward(self, a):
        self.save(a)
        xp = a._backend.xp
        info = xp.finfo(a._data.dtype)
        nan = 0.0 if self.nan is None else self.nan
        pos = info.max if self.posinf is None else self.posinf
        neg = info.min if self.neginf is None else self.neginf
        x = a._data
        x = xp.where(xp.isnan(x), xp.asarray(nan, dtype=x.dtype), x)
        x = xp.where(x == math.inf, xp.asarray(pos, dtype=x.dtype), x)
        return xp.where(x == -math.inf, xp.asarray(neg, dtype=x.dtype), x)

    def backward(self, grad):
        (a,) = self.saved
        return grad.masked_fill(a.isfinite().logical_not(), 0)


def nan_to_num(input, nan=0.0, posinf=None, neginf=None):
    """Replace NaN by ``nan`` and infinities by ``posinf``/``neginf`` (default: the dtype's extremes)."""
    if not input.dtype.is_floating_point:
        return input.clone()
    return apply(NanToNumBackward0, input, nan=nan, posinf=posinf, neginf=neginf)


class LogaddexpBackward0(Node):
    def forward(self, a, b):
        self.save(a, b)
        return a._backend.xp.logaddexp(a._data, b._data)

    def backward(self, grad):
        a, b = self.saved
        # PyTorch's 1 / (1 + exp(b - a)): also right where a is infinite, where exp(a - out) is NaN
        return grad / ((b - a).exp() + 1), grad / ((a - b).exp() + 1)


def logaddexp(input, other):
    """``log(exp(input) + exp(other))`` without overflow."""
    return apply_broadcast(LogaddexpBackward0, *_float_only("logaddexp", input, other))


class Logaddexp2Backward0(LogaddexpBackward0):
    def forward(self, a, b):
        self.save(a, b)
        return a._backend.xp.logaddexp(a._data * math.log(2.0), b._data * math.log(2.0)) / math.log(2.0)

    def backward(self, grad):
        a, b = self.saved
        return grad / ((b - a).exp2() + 1), grad / ((a - b).exp2() + 1)


def logaddexp2(input, other):
    """``log2(2**input + 2**other)`` without overflow."""
    return apply_broadcast(Logaddexp2Backward0, *_float_only("logaddexp2", input, other))


def heaviside(input, values):
    """0 where ``input < 0``, 1 where ``input > 0``, ``values`` where ``input == 0``."""
    tensor_pair("heaviside", input, values, "values")
    if input.dtype is not values.dtype:
        raise RuntimeError("heaviside is not yet implemented for tensors with different dtypes.")
    a, v = promote(input, values)
    try:
        return where(a == 0, v, (a > 0).to(a.dtype))
    except RuntimeError as e:  # ``a == 0`` has a's shape: name the operands as PyTorch does
        raise (broadcast_error(a, v) or e) from None
