"""Binds the op functions as Tensor methods and operators, in one table that is easy to scan."""

from __future__ import annotations

from .. import _dtype as D
from .._tensor import Tensor
from . import compare, creation, elementwise as E, index, inplace, linalg, reduce, shape, unary


def _reflect(fn):
    def method(self, other):
        if not isinstance(other, (Tensor, int, float, bool)) and not hasattr(other, "__array__"):
            return NotImplemented
        return fn(other, self) if isinstance(other, Tensor) else _swap(fn, self, other)

    return method


def _swap(fn, self, other):
    from ._apply import as_tensor_like

    return fn(as_tensor_like(other, self), self)


def _rsub(self, other):
    return E.rsub(self, other)


def _rtruediv(self, other):
    if isinstance(other, (int, float)) and not isinstance(other, bool):
        return E.rdiv(self, other)
    return _swap(E.div, self, other)


def _rpow(self, other):
    if isinstance(other, (int, float)) and not isinstance(other, bool):
        return E.rpow(self, other)
    return _swap(E.pow, self, other)


def _rmatmul(self, other):
    return linalg.matmul(other, self)


def _getitem(self, idx):
    return index.getitem(self, idx)


def _setitem(self, idx, value):
    index.setitem(self, idx, value)


def _new(kind):
    def method(self, *size, dtype=None, device=None, requires_grad=False, **kw):
        fn = getattr(creation, kind)
        return fn(*size, dtype=dtype or self.dtype, device=device or self.device, requires_grad=requires_grad)

    return method


def _new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad=False, **kw):
    return creation.full(size, fill_value, dtype=dtype or self.dtype, device=device or self.device,
                         requires_grad=requires_grad)


def _new_tensor(self, data, *, dtype=None, device=None, requires_grad=False, **kw):
    return creation.tensor(data, dtype=dtype or self.dtype, device=device or self.device,
                           requires_grad=requires_grad)


def _reduce_dim_kw(fn):
    """Accept both ``dim=`` and ``axis=`` (NumPy spelling, accepted by torch too)."""

    def method(self, *args, **kwargs):
        if "axis" in kwargs:
            kwargs["dim"] = kwargs.pop("axis")
        return fn(self, *args, **kwargs)

    method.__name__ = fn.__name__
    method.__doc__ = fn.__doc__
    return method


def _size_method(fn):
    def method(self, *dims):
        return fn(self, *dims)

    return method


def _random_inplace(kind):
    """uniform_, normal_, random_, bernoulli_, exponential_ ... drawing from the device's generator."""

    def method(self, *args, generator=None, **kwargs):
        gen, _ = creation._gen_and_place(generator, self.device)
        shape = self.shape
        npdt = self._data.dtype
        if kind == "uniform_":
            a = kwargs.get("a", kwargs.get("from", args[0] if args else 0.0))
            b = kwargs.get("b", kwargs.get("to", args[1] if len(args) > 1 else 1.0))
            arr = gen.uniform(shape, npdt, a, b)
        elif kind == "normal_":
            mean = kwargs.get("mean", args[0] if args else 0.0)
            std = kwargs.get("std", args[1] if len(args) > 1 else 1.0)
            arr = gen.normal(shape, npdt, mean, std)
        elif kind == "random_":
            if len(args) == 1:
                lo, hi = 0, args[0]
            elif len(args) == 2:
                lo, hi = args
            else:
                lo, hi = kwargs.get("from", 0), kwargs.get("to", 2**24 if self.dtype.is_floating_point else 2**63 - 1)
            arr = gen.random_int(shape, lo, hi, npdt)
        elif kind == "bernoulli_":
            p = kwargs.get("p", args[0] if args else 0.5)
            if isinstance(p, Tensor):
                p = p._host()
            arr = gen.bernoulli(p, shape, npdt)
        elif kind == "exponential_":
            lambd = kwargs.get("lambd", args[0] if args else 1.0)
            arr = gen.exponential(shape, npdt, lambd)
        else:
            raise NotImplementedError(kind)
        inplace.check_inplace(self)
        if self._device.type == "cpu":
            self._data[...] = arr
        else:
            self._data[...] = self._backend.from_numpy(arr, self._device.index or 0) if hasattr(arr, "__array_interface__") else arr
        self._version[0] += 1
        return self

    method.__name__ = kind
    return method


METHODS = {
    # arithmetic
    "add": E.add, "sub": E.sub, "subtract": E.sub, "mul": E.mul, "multiply": E.mul, "div": E.div,
    "divide": E.div, "true_divide": E.div, "pow": E.pow, "floor_divide": E.floor_divide,
    "remainder": E.remainder, "fmod": E.fmod,
    "__add__": E.add, "__radd__": lambda s, o: E.add(s, o), "__sub__": E.sub, "__rsub__": _rsub,
    "__mul__": E.mul, "__rmul__": lambda s, o: E.mul(s, o), "__truediv__": E.div, "__rtruediv__": _rtruediv,
    "__floordiv__": E.floor_divide, "__rfloordiv__": _reflect(E.floor_divide), "__mod__": E.remainder,
    "__rmod__": _reflect(E.remainder), "__pow__": E.pow, "__rpow__": _rpow, "__neg__": unary.neg,
    "__pos__": lambda s: s, "__abs__": unary.abs, "__matmul__": linalg.matmul, "__rmatmul__": _rmatmul,
    "__iadd__": inplace.add_, "__isub__": inplace.sub_, "__imul__": inplace.mul_, "__itruediv__": inplace.div_,
    # comparisons and logic
    "__eq__": compare.eq, "__ne__": compare.ne, "__lt__": compare.lt, "__le__": compare.le,
    "__gt__": compare.gt, "__ge__": compare.ge, "eq": compare.eq, "ne": compare.ne, "lt": compare.lt,
    "le": compare.le, "gt": compare.gt, "ge": compare.ge, "greater": compare.gt, "less": compare.lt,
    "greater_equal": compare.ge, "less_equal": compare.le, "not_equal": compare.ne,
    "__and__": compare.bitwise_and, "__or__": compare.bitwise_or, "__xor__": compare.bitwise_xor,
    "__rand__": compare.bitwise_and, "__ror__": compare.bitwise_or, "__rxor__": compare.bitwise_xor,
    "__invert__": compare.bitwise_not, "bitwise_not": compare.bitwise_not,
    "bitwise_and": compare.bitwise_and, "bitwise_or": compare.bitwise_or, "bitwise_xor": compare.bitwise_xor,
    "logical_and": compare.logical_and, "logical_or": compare.logical_or, "logical_xor": compare.logical_xor,
    "logical_not": unary.logical_not, "equal": compare.equal, "allclose": compare.allclose,
    "isclose": compare.isclose, "isnan": unary.isnan, "isinf": unary.isinf, "isfinite": unary.isfinite,
    # unary math
    "neg": unary.neg, "negative": unary.neg, "abs": unary.abs, "absolute": unary.abs, "exp": unary.exp,
    "expm1": unary.expm1, "log": unary.log, "log2": unary.log2, "log10": unary.log10, "log1p": unary.log1p,
    "sqrt": unary.sqrt, "rsqrt": unary.rsqrt, "sin": unary.sin, "cos": unary.cos, "tan": unary.tan,
    "tanh": unary.tanh, "sigmoid": unary.sigmoid, "relu": unary.relu, "sign": unary.sign,
    "floor": unary.floor, "ceil": unary.ceil, "round": unary.round, "trunc": unary.trunc, "fix": unary.trunc,
    "frac": unary.frac, "reciprocal": unary.reciprocal, "erf": unary.erf, "erfc": unary.erfc,
    "square": unary.square, "sinh": unary.sinh, "cosh": unary.cosh, "atan": unary.atan, "asin": unary.asin,
    "acos": unary.acos, "arctan": unary.atan, "arcsin": unary.asin, "arccos": unary.acos,
    "clamp": shape.clamp, "clip": shape.clamp, "clamp_min": shape.clamp_min, "clamp_max": shape.clamp_max,
    "maximum": shape.maximum, "minimum": shape.minimum, "fmax": shape.maximum, "fmin": shape.minimum,
    "where": lambda s, c, o: shape.where(c, s, o), "masked_fill": shape.masked_fill,
    # reductions
    "sum": _reduce_dim_kw(reduce.sum), "mean": _reduce_dim_kw(reduce.mean), "prod": _reduce_dim_kw(reduce.prod),
    "var": _reduce_dim_kw(reduce.var), "std": _reduce_dim_kw(reduce.std), "max": _reduce_dim_kw(reduce.max),
    "min": _reduce_dim_kw(reduce.min), "amax": _reduce_dim_kw(reduce.amax), "amin": _reduce_dim_kw(reduce.amin),
    "argmax": _reduce_dim_kw(reduce.argmax), "argmin": _reduce_dim_kw(reduce.argmin),
    "logsumexp": reduce.logsumexp, "norm": reduce.norm, "all": _reduce_dim_kw(reduce.all),
    "any": _reduce_dim_kw(reduce.any), "cumsum": reduce.cumsum, "cumprod": reduce.cumprod,
    "count_nonzero": reduce.count_nonzero,
    # shape
    "view": shape.view, "view_as": shape.view_as, "reshape": shape.reshape, "reshape_as": shape.reshape_as,
    "flatten": shape.flatten, "unflatten": shape.unflatten, "squeeze": shape.squeeze,
    "unsqueeze": shape.unsqueeze, "permute": shape.permute, "transpose": shape.transpose,
    "swapaxes": shape.transpose, "swapdims": shape.transpose, "t": shape.t, "adjoint": shape.adjoint,
    "expand": shape.expand, "expand_as": shape.expand_as, "broadcast_to": shape.broadcast_to,
    "repeat": shape.repeat, "tile": shape.tile, "split": shape.split, "chunk": shape.chunk,
    "tensor_split": shape.tensor_split, "unbind": shape.unbind, "narrow": shape.narrow, "select": shape.select,
    "flip": shape.flip, "fliplr": shape.fliplr, "flipud": shape.flipud, "roll": shape.roll,
    "tril": shape.tril, "triu": shape.triu, "clone": shape.clone, "contiguous": shape.contiguous,
    # indexing
    "__getitem__": _getitem, "__setitem__": _setitem, "gather": index.gather, "scatter": index.scatter,
    "scatter_add": index.scatter_add, "index_select": index.index_select, "take_along_dim": index.take_along_dim,
    "masked_select": index.masked_select, "nonzero": index.nonzero, "argwhere": index.argwhere,
    "sort": index.sort, "argsort": index.argsort, "topk": index.topk, "kthvalue": index.kthvalue,
    "index_put": index.index_put,
    # linear algebra
    "matmul": linalg.matmul, "mm": linalg.mm, "bmm": linalg.bmm, "mv": linalg.mv, "dot": linalg.dot,
    "inner": linalg.dot, "outer": linalg.outer, "ger": linalg.outer, "addmm": linalg.addmm,
    "baddbmm": linalg.baddbmm, "addmv": linalg.addmv, "cross": linalg.cross,
    # in place
    "add_": inplace.add_, "sub_": inplace.sub_, "mul_": inplace.mul_, "div_": inplace.div_,
    "subtract_": inplace.sub_, "multiply_": inplace.mul_, "divide_": inplace.div_, "true_divide_": inplace.div_,
    "addcmul_": inplace.addcmul_, "addcdiv_": inplace.addcdiv_, "lerp_": inplace.lerp_,
    "zero_": inplace.zero_, "fill_": inplace.fill_, "copy_": inplace.copy_, "set_data_": inplace.set_data_,
    # new_* constructors
    "new_zeros": _new("zeros"), "new_ones": _new("ones"), "new_empty": _new("empty"),
    "new_full": _new_full, "new_tensor": _new_tensor,
}

for _name in inplace.INPLACE_UNARY:
    METHODS.setdefault(_name + "_", inplace._unary_inplace(_name))
for _kind in ("uniform_", "normal_", "random_", "bernoulli_", "exponential_"):
    METHODS[_kind] = _random_inplace(_kind)


def _addcmul(self, tensor1, tensor2, *, value=1):
    return self + tensor1 * tensor2 * value


def _addcdiv(self, tensor1, tensor2, *, value=1):
    return self + tensor1 / tensor2 * value


def _lerp(self, end, weight):
    return self + (end - self) * weight


def _bernoulli(self, p=None, *, generator=None):
    return creation.bernoulli(self, p, generator=generator)


def _multinomial(self, num_samples, replacement=False, *, generator=None):
    return creation.multinomial(self, num_samples, replacement, generator=generator)


def _apply_(self, fn):
    import numpy as np

    host = self._host()
    host[...] = np.vectorize(fn)(host)
    self._version[0] += 1
    return self


def _T(self):
    return self.permute(tuple(reversed(range(self.dim())))) if self.dim() > 1 else self


def _mT(self):
    return self.transpose(-2, -1)


METHODS.update({
    "addcmul": _addcmul, "addcdiv": _addcdiv, "lerp": _lerp, "bernoulli": _bernoulli,
    "multinomial": _multinomial, "apply_": _apply_,
})

for _name, _fn in METHODS.items():
    setattr(Tensor, _name, _fn)
Tensor.T = property(_T)
Tensor.mT = property(_mT)
Tensor.H = property(_T)
Tensor.mH = property(_mT)
Tensor.__array_ufunc__ = None  # NumPy defers to Tensor's operators: ndarray + tensor -> Tensor
del D
