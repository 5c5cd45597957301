"""Number-level utilities: membership (``isin``), flat-index unravelling, floating-point
decomposition (``frexp``, ``ldexp``, ``nextafter``), integer ``gcd``/``lcm``, dtype and size
predicates and ``scalar_tensor``.

>>> import lanterna as torch
>>> torch.isin(torch.tensor([1, 2, 3]), torch.tensor([2, 5]))
tensor([False,  True, False])
>>> torch.gcd(torch.tensor([12, -18]), torch.tensor([8, 4]))
tensor([4, 2])
"""

from __future__ import annotations

import numpy as np

from .. import _dtype as D
from .._tensor import Tensor
from . import return_types
from ._apply import Node, apply
from .elementwise import broadcast_error
from .misc import _back, _host

_make = Tensor._make


def _scalar_name(d):
    from .reduce import legacy_scalar_name

    return legacy_scalar_name(d)


# ---- membership, indices, predicates --------------------------------------------------------------
def isin(elements, test_elements, *, assume_unique=False, invert=False):
    """Whether each element of ``elements`` is in ``test_elements`` (either may be a number)."""
    if not isinstance(elements, Tensor) and not isinstance(test_elements, Tensor):
        raise TypeError(f"isin() received an invalid combination of arguments - got "
                        f"({type(elements).__name__}, {type(test_elements).__name__}), but expected one of: "
                        "(Tensor elements, Tensor test_elements), (Number element, Tensor test_elements), "
                        "(Tensor elements, Number test_element)")
    like = elements if isinstance(elements, Tensor) else test_elements
    rt = D.result_type(elements, test_elements)
    e = _host(elements) if isinstance(elements, Tensor) else np.asarray(elements)
    t = _host(test_elements) if isinstance(test_elements, Tensor) else np.asarray(test_elements)
    r = np.isin(e.astype(rt.np), t.astype(rt.np).reshape(-1), invert=invert)
    return _back(np.asarray(r, dtype=bool).reshape(e.shape), like)


def unravel_index(indices, shape):
    """The coordinates in a tensor of ``shape`` of each flat index (a tuple of int64 tensors;
    indices wrap around the number of elements, as in PyTorch)."""
    if not isinstance(indices, Tensor):
        raise AttributeError(f"'{type(indices).__name__}' object has no attribute 'is_complex'")
    if indices.dtype.is_floating_point or indices.dtype is D.bool_:
        raise TypeError(f"expected 'indices' to be integer dtype, but got {indices.dtype}")
    if isinstance(shape, int):
        shape = (shape,)
    shape = tuple(int(s) for s in shape)
    if any(s < 0 for s in shape):
        raise ValueError(f"'shape' cannot have negative values, but got {shape}")
    idx = _host(indices).astype(np.int64)
    coords = []
    for s in reversed(shape):
        coords.append(np.mod(idx, s) if s else np.zeros_like(idx))
        idx = np.floor_divide(idx, s) if s else idx
    return tuple(_back(c, indices) for c in reversed(coords))


def is_signed(input):
    """Whether ``input``'s dtype is signed (bool and uint8 are not)."""
    return input.dtype.is_signed


def is_same_size(input, other):
    """Whether the two tensors have the same shape."""
    return tuple(input.shape) == tuple(other.shape)


def scalar_tensor(s, *, dtype=None, layout=None, device=None, requires_grad=False, pin_memory=False):
    """A 0-dim tensor holding ``s`` (in the default float dtype unless ``dtype`` is given)."""
    from .creation import tensor

    if isinstance(s, Tensor):
        s = s.item()
    return tensor(s, dtype=dtype or D.get_default_dtype(), device=device, requires_grad=requires_grad)


# ---- floating-point decomposition ---------------------------------------------------------------------
class FrexpBackward0(Node):
    def forward(self, a):
        return self.mantissa

    def backward(self, grad):
        return grad / self.exponent.to(grad.dtype).exp2()


def frexp(input):
    """``(mantissa, exponent)`` with ``input = mantissa * 2 ** exponent``, ``0.5 <= |mantissa| < 1``."""
    if not input.dtype.is_floating_point:
        raise RuntimeError("torch.frexp() only supports floating-point dtypes")
    h = _host(input)
    m, e = np.frexp(h)
    exponent = _back(e.astype(np.int32), input)
    mantissa = apply(FrexpBackward0, input, mantissa=_back(m.astype(h.dtype), input)._data, exponent=exponent)
    return return_types.frexp(mantissa, exponent)


def ldexp(input, other):
    """``input * 2 ** other``."""
    from .elementwise import cast, pow
    from .pointwise import tensor_pair

    tensor_pair("ldexp", input, other)

    r = input * pow(2.0, other)
    rt = D.result_type(input, other)
    if rt.is_floating_point and r.dtype is not rt:
        # the result has the operands' promoted dtype (a float16 input stays float16), though
        # 2.0 ** an integer ``other`` alone is float32; the power is exact there, then rounded once
        r = cast(r, rt)
    if r.grad_fn is not None:
        r.grad_fn.name = lambda: "LdexpBackward0"
    return r


class NextafterBackward0(Node):
    def forward(self, a, b):
        x, y = _host(a), _host(b)
        # equal operands give ``other`` (C's nextafter: (0., -0.) is -0.); NumPy's float16 gives ``input``
        r = np.nextafter(x, y) if x.dtype != np.float16 else np.where(x == y, y, np.nextafter(x, y))
        return _back(r, a)._data

    def backward(self, grad):
        raise RuntimeError("the derivative for 'nextafter' is not implemented.")


def nextafter(input, other):
    """The next floating-point value after ``input`` towards ``other``."""
    from .pointwise import apply_broadcast, promote, tensor_pair

    tensor_pair("nextafter", input, other)
    a, b = promote(input, other)
    if not a.dtype.is_floating_point:
        raise NotImplementedError(f"\"nextafter_cpu\" not implemented for '{_scalar_name(a.dtype)}'")
    return apply_broadcast(NextafterBackward0, a, b)


# ---- integers ------------------------------------------------------------------------------------
def _int_pair(input, other, name):
    from .pointwise import promote, tensor_pair

    tensor_pair(name, input, other)

    a, b = promote(input, other)
    if a.dtype.is_floating_point or a.dtype is D.bool_:
        raise NotImplementedError(f"\"{name}_cpu\" not implemented for '{_scalar_name(a.dtype)}'")
    return a, b


def gcd(input, other):
    """Elementwise greatest common divisor (non-negative) of integer tensors."""
    a, b = _int_pair(input, other, "gcd")
    try:
        return _back(np.gcd(_host(a), _host(b)).astype(a.dtype.np), a)
    except ValueError as e:
        raise (broadcast_error(a, b) or e) from None


def lcm(input, other):
    """Elementwise least common multiple (non-negative) of integer tensors."""
    a, b = _int_pair(input, other, "lcm")
    try:
        with np.errstate(all="ignore"):
            return _back(np.lcm(_host(a), _host(b)).astype(a.dtype.np), a)
    except ValueError as e:
        raise (broadcast_error(a, b) or e) from None
