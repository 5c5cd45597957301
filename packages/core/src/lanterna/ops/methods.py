"""Binds the op functions as Tensor methods and operators, in one table that is easy to scan."""

from __future__ import annotations

from .._tensor import Tensor
from . import (compare, creation, elementwise as E, gather, index, inplace, joining, linalg, linalg_extra, misc,
               pointwise as P, reduce, shape, sorting, stats, unary)


def _swap(fn, self, other):
    from ._apply import as_tensor_like

    return fn(as_tensor_like(other, self), self)


def _reflect(fn):
    """``other <op> self`` for a non-tensor ``other``."""

    def method(self, other):
        if not isinstance(other, (Tensor, int, float, bool)) and not hasattr(other, "__array__"):
            return NotImplemented
        return fn(other, self) if isinstance(other, Tensor) else _swap(fn, self, other)

    return method


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


def _dim_kw(fn):
    """Accept both ``dim=`` and ``axis=`` (NumPy's spelling, which torch accepts too)."""

    def method(self, *args, **kwargs):
        if "axis" in kwargs:
            kwargs["dim"] = kwargs.pop("axis")
        return fn(self, *args, **kwargs)

    method.__name__ = fn.__name__
    method.__doc__ = fn.__doc__
    return method


def _random_inplace(kind):
    """uniform_, normal_, random_, bernoulli_, exponential_ ... drawing from the device's generator."""

    def method(self, *args, generator=None, **kwargs):
        gen, _ = creation._gen_and_place(generator, self.device)
        shape = self.shape
        npdt = self.dtype.np  # generators take NumPy dtypes, whatever the device's arrays are
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
                lo, hi = kwargs.get("from", 0), kwargs.get("to", 2**24 if self.dtype.is_floating_point else 2**63)
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
            host = type(arr).__module__ == "numpy"  # a host draw to move, or one made on the device
            self._data[...] = self._backend.from_numpy(arr, self._device.index or 0) if host else arr
        inplace.bump_version(self)
        return self

    method.__name__ = kind
    return method


def _where(self, condition, other):
    return P.where(condition, self, other)


def _storage_offset(self):
    """Offset (in elements) of this tensor's first element in its base's storage."""
    base = self._base
    if base is None:
        return 0
    return (self.data_ptr() - base.data_ptr()) // self._data.itemsize


def _apply_(self, fn):
    import numpy as np

    host = self._host()
    host[...] = np.vectorize(fn)(host)
    self._version[0] += 1
    return self


def _bernoulli(self, p=None, *, generator=None):
    return creation.bernoulli(self, p, generator=generator)


def _multinomial(self, num_samples, replacement=False, *, generator=None):
    return creation.multinomial(self, num_samples, replacement, generator=generator)


METHODS = {
    # arithmetic and its operators
    "add": E.add, "sub": E.sub, "subtract": E.sub, "mul": E.mul, "multiply": E.mul, "div": E.div,
    "divide": E.div, "true_divide": E.div, "pow": E.pow, "floor_divide": E.floor_divide,
    "remainder": E.remainder, "fmod": E.fmod, "float_power": P.float_power,
    "__add__": E.add, "__radd__": lambda s, o: E.add(s, o), "__sub__": E.sub, "__rsub__": _rsub,
    "__mul__": E.mul, "__rmul__": lambda s, o: E.mul(s, o), "__truediv__": E.div, "__rtruediv__": _rtruediv,
    "__div__": E.div, "__floordiv__": E.floor_divide, "__rfloordiv__": _reflect(E.floor_divide),
    "__mod__": E.remainder, "__rmod__": _reflect(E.remainder), "__pow__": E.pow, "__rpow__": _rpow,
    "__neg__": unary.neg, "__pos__": unary.positive, "__abs__": unary.abs, "__matmul__": linalg.matmul,
    "__rmatmul__": _rmatmul,
    "__iadd__": inplace.add_, "__isub__": inplace.sub_, "__imul__": inplace.mul_, "__itruediv__": inplace.div_,
    # comparisons, logic, bits
    "__eq__": compare.eq, "__ne__": compare.ne, "__lt__": compare.lt, "__le__": compare.le,
    "__gt__": compare.gt, "__ge__": compare.ge, "eq": compare.eq, "ne": compare.ne, "lt": compare.lt,
    "le": compare.le, "gt": compare.gt, "ge": compare.ge, "greater": compare.gt, "less": compare.lt,
    "greater_equal": compare.ge, "less_equal": compare.le, "not_equal": compare.ne,
    "__and__": compare.bitwise_and, "__or__": compare.bitwise_or, "__xor__": compare.bitwise_xor,
    "__rand__": compare.bitwise_and, "__ror__": compare.bitwise_or, "__rxor__": compare.bitwise_xor,
    "__lshift__": compare.bitwise_left_shift, "__rshift__": compare.bitwise_right_shift,
    "__rlshift__": _reflect(compare.bitwise_left_shift), "__rrshift__": _reflect(compare.bitwise_right_shift),
    "bitwise_left_shift": compare.bitwise_left_shift, "bitwise_right_shift": compare.bitwise_right_shift,
    "__invert__": compare.invert, "bitwise_not": compare.bitwise_not,
    "bitwise_and": compare.bitwise_and, "bitwise_or": compare.bitwise_or, "bitwise_xor": compare.bitwise_xor,
    "logical_and": compare.logical_and, "logical_or": compare.logical_or, "logical_xor": compare.logical_xor,
    "logical_not": unary.logical_not, "equal": compare.equal, "allclose": compare.allclose,
    "isclose": compare.isclose, "isnan": unary.isnan, "isinf": unary.isinf, "isfinite": unary.isfinite,
    "isposinf": unary.isposinf, "isneginf": unary.isneginf, "isreal": unary.isreal, "signbit": unary.signbit,
    # unary math
    "neg": unary.neg, "negative": unary.neg, "positive": unary.positive, "abs": unary.abs,
    "absolute": unary.abs, "exp": unary.exp, "exp2": unary.exp2, "expm1": unary.expm1, "log": unary.log,
    "log2": unary.log2, "log10": unary.log10, "log1p": unary.log1p, "sqrt": unary.sqrt, "rsqrt": unary.rsqrt,
    "sin": unary.sin, "cos": unary.cos, "tan": unary.tan, "tanh": unary.tanh, "sigmoid": unary.sigmoid,
    "relu": unary.relu, "sign": unary.sign, "sgn": unary.sgn, "floor": unary.floor, "ceil": unary.ceil,
    "round": unary.round, "trunc": unary.trunc, "fix": unary.trunc, "frac": unary.frac,
    "reciprocal": unary.reciprocal, "erf": unary.erf, "erfc": unary.erfc, "square": unary.square,
    "sinh": unary.sinh, "cosh": unary.cosh, "asin": unary.asin, "acos": unary.acos, "atan": unary.atan,
    "arcsin": unary.asin, "arccos": unary.acos, "arctan": unary.atan, "asinh": unary.asinh,
    "acosh": unary.acosh, "atanh": unary.atanh, "arcsinh": unary.asinh, "arccosh": unary.acosh,
    "arctanh": unary.atanh, "logit": unary.logit, "deg2rad": unary.deg2rad, "rad2deg": unary.rad2deg,
    # other elementwise
    "clamp": P.clamp, "clip": P.clamp, "clamp_min": P.clamp_min, "clamp_max": P.clamp_max,
    "maximum": P.maximum, "minimum": P.minimum, "fmax": P.fmax, "fmin": P.fmin, "where": _where,
    "masked_fill": P.masked_fill, "lerp": P.lerp, "addcmul": P.addcmul, "addcdiv": P.addcdiv,
    "atan2": P.atan2, "arctan2": P.atan2, "hypot": P.hypot, "xlogy": P.xlogy, "copysign": P.copysign,
    "nan_to_num": P.nan_to_num, "logaddexp": P.logaddexp, "logaddexp2": P.logaddexp2, "heaviside": P.heaviside,
    "sinc": unary.sinc, "dist": misc.dist, "is_nonzero": misc.is_nonzero,
    "new": lambda self, *args, **kw: creation._legacy_new(self.dtype, args, kw.get("device", self.device)),
    # reductions and statistics
    "sum": _dim_kw(reduce.sum), "nansum": _dim_kw(reduce.nansum), "mean": _dim_kw(reduce.mean),
    "nanmean": _dim_kw(reduce.nanmean), "prod": _dim_kw(reduce.prod), "max": _dim_kw(reduce.max),
    "min": _dim_kw(reduce.min), "amax": _dim_kw(reduce.amax), "amin": _dim_kw(reduce.amin),
    "aminmax": reduce.aminmax, "argmax": _dim_kw(reduce.argmax), "argmin": _dim_kw(reduce.argmin),
    "all": _dim_kw(reduce.all), "any": _dim_kw(reduce.any), "count_nonzero": reduce.count_nonzero,
    "var": _dim_kw(stats.var), "std": _dim_kw(stats.std), "logsumexp": _dim_kw(stats.logsumexp),
    "norm": stats.norm, "cumsum": _dim_kw(stats.cumsum), "cumprod": _dim_kw(stats.cumprod),
    "cummax": stats.cummax, "cummin": stats.cummin, "logcumsumexp": stats.logcumsumexp,
    "median": stats.median, "mode": stats.mode,
    # views and layout
    "view": shape.view, "view_as": shape.view_as, "reshape": shape.reshape, "reshape_as": shape.reshape_as,
    "flatten": shape.flatten, "unflatten": shape.unflatten, "ravel": lambda s: shape.reshape(s, -1),
    "squeeze": shape.squeeze, "unsqueeze": shape.unsqueeze, "permute": shape.permute,
    "transpose": shape.transpose, "swapaxes": shape.transpose, "swapdims": shape.transpose, "t": shape.t,
    "adjoint": shape.adjoint, "movedim": shape.movedim, "moveaxis": shape.movedim, "expand": shape.expand,
    "expand_as": shape.expand_as, "broadcast_to": shape.broadcast_to, "clone": shape.clone,
    "contiguous": shape.contiguous, "unfold": shape.unfold, "as_strided": shape.as_strided,
    # joining and splitting
    "repeat": joining.repeat, "tile": joining.tile, "repeat_interleave": joining.repeat_interleave,
    "split": joining.split, "chunk": joining.chunk, "tensor_split": joining.tensor_split,
    "unbind": joining.unbind, "narrow": joining.narrow, "select": joining.select, "flip": joining.flip,
    "fliplr": joining.fliplr, "flipud": joining.flipud, "roll": joining.roll, "rot90": joining.rot90,
    "tril": joining.tril, "triu": joining.triu,
    # indexing, gather/scatter, sorting
    "__getitem__": _getitem, "__setitem__": _setitem, "index_put": index.index_put,
    "gather": gather.gather, "scatter": gather.scatter, "scatter_add": gather.scatter_add,
    "scatter_reduce": gather.scatter_reduce, "index_select": gather.index_select, "index_add": gather.index_add,
    "index_copy": gather.index_copy, "index_fill": gather.index_fill, "take": gather.take,
    "take_along_dim": gather.take_along_dim, "masked_select": gather.masked_select,
    "masked_scatter": gather.masked_scatter, "nonzero": gather.nonzero, "argwhere": gather.argwhere,
    "sort": sorting.sort, "argsort": sorting.argsort, "msort": sorting.msort, "topk": sorting.topk,
    "kthvalue": sorting.kthvalue,
    # linear algebra
    "matmul": linalg.matmul, "mm": linalg.mm, "bmm": linalg.bmm, "mv": linalg.mv, "dot": linalg.dot,
    "vdot": linalg.vdot, "inner": linalg.inner, "outer": linalg.outer, "ger": linalg.outer,
    "addmm": linalg.addmm, "addmv": linalg.addmv, "baddbmm": linalg.baddbmm, "addbmm": linalg.addbmm,
    "addr": linalg.addr, "cross": linalg.cross, "kron": linalg.kron, "det": linalg_extra.det,
    "inverse": linalg_extra.inv, "logdet": linalg_extra.logdet, "slogdet": linalg_extra.slogdet,
    "cholesky": linalg_extra.cholesky, "pinverse": linalg_extra.pinv, "matrix_power": linalg_extra.matrix_power,
    "diag": misc.diag, "diagonal": misc.diagonal, "diag_embed": misc.diag_embed, "trace": misc.trace,
    "histc": misc.histc, "bincount": misc.bincount, "unique": misc.unique,
    "unique_consecutive": misc.unique_consecutive, "diff": misc.diff,
    # in place
    "add_": inplace.add_, "sub_": inplace.sub_, "mul_": inplace.mul_, "div_": inplace.div_,
    "subtract_": inplace.sub_, "multiply_": inplace.mul_, "divide_": inplace.div_, "true_divide_": inplace.div_,
    "addcmul_": inplace.addcmul_, "addcdiv_": inplace.addcdiv_, "lerp_": inplace.lerp_,
    "zero_": inplace.zero_, "fill_": inplace.fill_, "copy_": inplace.copy_, "set_data_": inplace.set_data_,
    "resize_": inplace.resize_, "resize_as_": inplace.resize_as_,
    # new_* constructors and the rest
    "new_zeros": _new("zeros"), "new_ones": _new("ones"), "new_empty": _new("empty"),
    "new_full": _new_full, "new_tensor": _new_tensor, "bernoulli": _bernoulli, "multinomial": _multinomial,
    "apply_": _apply_, "storage_offset": _storage_offset, "is_inference": lambda self: False,
}

for _name in inplace.INPLACE_UNARY:
    METHODS.setdefault(_name + "_", inplace._unary_inplace(_name))
for _name in inplace.INPLACE_SHAPE:
    METHODS.setdefault(_name + "_", inplace._shape_inplace(_name))
for _op, _fn in (("floordiv", "floor_divide_"), ("mod", "remainder_"), ("pow", "pow_"), ("and", "bitwise_and_"),
                 ("or", "bitwise_or_"), ("xor", "bitwise_xor_"), ("lshift", "bitwise_left_shift_"),
                 ("rshift", "bitwise_right_shift_")):
    METHODS[f"__i{_op}__"] = METHODS[_fn]
for _kind in ("uniform_", "normal_", "random_", "bernoulli_", "exponential_"):
    METHODS[_kind] = _random_inplace(_kind)

for _name, _fn in METHODS.items():
    setattr(Tensor, _name, _fn)
Tensor.T = property(shape.T)
Tensor.mT = property(shape.mT)
Tensor.H = property(shape.adjoint)
Tensor.mH = property(shape.mT)
Tensor.__array_ufunc__ = None  # NumPy defers to Tensor's operators: ndarray + tensor -> Tensor
