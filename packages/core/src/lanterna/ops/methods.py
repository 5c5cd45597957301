"""Binds the op functions as Tensor methods and operators, in one table that is easy to scan.

The table names each method's op family (``"unary.exp"``); a family loads on first use. Until
then ``Tensor.<name>`` is a :class:`_LazyMethod`, which imports the family, puts the real
functions of that family on ``Tensor`` and steps aside. This keeps ``import lanterna`` fast (an
op family costs about as much to import as NumPy's smaller submodules); once loaded, a method
is a plain function on the class, so calls cost nothing extra.

>>> import lanterna as torch
>>> torch.tensor([3.0, 1.0]).sort().values   # loads lanterna.ops.sorting on first use
tensor([1., 3.])
"""

from __future__ import annotations

import importlib

from .._tensor import Tensor
from . import inplace  # its tables (INPLACE_UNARY ...) name the in-place methods


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


def _rtruediv(rdiv):
    from .elementwise import div

    def __rtruediv__(self, other):
        if isinstance(other, (int, float)) and not isinstance(other, bool):
            return rdiv(self, other)
        return _swap(div, self, other)

    return __rtruediv__


def _rpow(rpow):
    from .elementwise import pow

    def __rpow__(self, other):
        if isinstance(other, (int, float)) and not isinstance(other, bool):
            return rpow(self, other)
        return _swap(pow, self, other)

    return __rpow__


def _reversed(fn):
    """``self.<op>(other)`` as ``fn(other, self)`` (``__rmatmul__``)."""

    def method(self, other):
        return fn(other, self)

    return method


def _new(fn):
    """``new_zeros``, ``new_ones``, ``new_empty`` from ``zeros``, ``ones``, ``empty``: PyTorch's keywords
    only (``size``, ``dtype``, ``layout``, ``device``, ``pin_memory``, ``requires_grad``)."""
    name = f"new_{fn.__name__}"

    def method(self, *size, dtype=None, device=None, requires_grad=False, layout=None, pin_memory=False, **kw):
        from .creation import _size

        if "size" in kw:
            if size:
                raise TypeError(f"{name}() takes 1 positional argument but {len(size) + 1} were given")
            size = (kw.pop("size"),)
        if kw:
            raise TypeError(f"{name}() got an unexpected keyword argument '{next(iter(kw))}'")
        if not size:
            raise TypeError(f'{name}() missing 1 required positional arguments: "size"')
        if len(size) > 1 and isinstance(size[0], (tuple, list)):
            raise TypeError(f"{name}() takes 1 positional argument but {len(size)} were given")
        shape = _size(size, name)
        return fn(shape, dtype=dtype or self.dtype, device=device or self.device, requires_grad=requires_grad)

    method.__name__ = name
    return method


def _new_full(full):
    def new_full(self, *args, dtype=None, device=None, requires_grad=False, layout=None, pin_memory=False, **kw):
        from .creation import _size

        args = list(args)
        for i, n in enumerate(("size", "fill_value")):
            if n in kw:
                if len(args) > i:
                    raise TypeError(f"new_full() takes 2 positional arguments but {len(args) + 1} were given")
                args.append(kw.pop(n))
        if kw:
            raise TypeError(f"new_full() got an unexpected keyword argument '{next(iter(kw))}'")
        if len(args) > 2:
            raise TypeError(f"new_full() takes 2 positional arguments but {len(args)} were given")
        if len(args) < 2:
            missing = ', '.join(f'"{n}"' for n in ("size", "fill_value")[len(args):])
            raise TypeError(f"new_full() missing {2 - len(args)} required positional "
                            f"argument{'s' if len(args) else ''}: {missing}")
        size, fill_value = args
        if not isinstance(size, (tuple, list)):
            raise TypeError(f"new_full(): argument 'size' (position 1) must be tuple of ints, not "
                            f"{type(size).__name__}")
        shape = _size((size,), "new_full")
        return full(shape, fill_value, dtype=dtype or self.dtype, device=device or self.device,
                    requires_grad=requires_grad)

    return new_full


def _new_tensor(tensor):
    def new_tensor(self, data, *, dtype=None, device=None, requires_grad=False, **kw):
        return tensor(data, dtype=dtype or self.dtype, device=device or self.device,
                      requires_grad=requires_grad)

    return new_tensor


def _legacy_new(legacy_new):
    def new(self, *args, **kw):
        return legacy_new(self.dtype, args, kw.get("device", self.device))

    return new


def _ravel(reshape):
    def ravel(self):
        return reshape(self, -1)

    return ravel


def _dim_kw(fn):
    """Accept both ``dim=`` and ``axis=`` (NumPy's spelling, which torch accepts too)."""

    def method(self, *args, **kwargs):
        if kwargs and "axis" in kwargs:
            kwargs["dim"] = kwargs.pop("axis")
        return fn(self, *args, **kwargs)

    method.__name__ = fn.__name__
    method.__doc__ = fn.__doc__
    return method


def _random_inplace(kind):
    """uniform_, normal_, random_, bernoulli_, exponential_, geometric_, log_normal_, cauchy_: drawing
    from the device's generator (built over creation's ``_gen_and_place`` when the creation family
    loads; the samplers live in :mod:`lanterna.ops.random_inplace`)."""

    def bind(gen_and_place):
        from .random_inplace import make_method

        return make_method(kind, gen_and_place)

    return bind


def _where(fn):
    """``self.where(condition, other)`` is ``torch.where(condition, self, other)``."""

    def method(self, condition, other):
        return fn(condition, self, other)

    method.__name__ = "where"
    return method


def _tensor_other(name, arg="other"):
    """``self.<name>(other)`` for an op that takes no number: the method numbers ``other`` as
    argument 1, as PyTorch's error says (``maximum(): argument 'other' (position 1) must be Tensor``)."""

    def wrap(fn):
        def method(self, *args, **kwargs):
            other = args[0] if args else kwargs.get(arg)
            if not isinstance(other, Tensor):
                raise TypeError(f"{name}(): argument '{arg}' (position 1) must be Tensor, not {type(other).__name__}")
            return fn(self, *args, **kwargs)

        method.__name__ = name
        method.__doc__ = fn.__doc__
        return method

    return wrap


def _apply_(self, fn):
    import numpy as np

    host = self._host()
    host[...] = np.vectorize(fn)(host)
    self._version[0] += 1
    return self


def _bernoulli(bernoulli):
    def method(self, p=None, *, generator=None):
        return bernoulli(self, p, generator=generator)

    method.__name__ = "bernoulli"
    return method


def _multinomial(multinomial):
    def method(self, num_samples, replacement=False, *, generator=None):
        return multinomial(self, num_samples, replacement, generator=generator)

    method.__name__ = "multinomial"
    return method


# name -> "family.function" (bound when lanterna.ops.<family> first loads, see _LazyMethod),
# ("family.function", wrapper) (bound as wrapper(function)) or a function (bound now).
METHODS = {
    # arithmetic and its operators
    "add": "elementwise.add", "sub": "elementwise.sub", "subtract": "elementwise.sub",
    "mul": "elementwise.mul", "multiply": "elementwise.mul", "div": "elementwise.div",
    "divide": "elementwise.div", "true_divide": "elementwise.div", "pow": "elementwise.pow",
    "floor_divide": "elementwise.floor_divide", "remainder": "elementwise.remainder",
    "fmod": "elementwise.fmod", "float_power": "pointwise.float_power", "__add__": "elementwise.add_operator",
    "__radd__": "elementwise.add_operator", "__sub__": "elementwise.sub_operator", "__rsub__": "elementwise.rsub",
    "__mul__": "elementwise.mul_operator", "__rmul__": "elementwise.mul_operator",
    "__truediv__": "elementwise.div", "__rtruediv__": ("elementwise.rdiv", _rtruediv),
    "__div__": "elementwise.div", "__floordiv__": "elementwise.floor_divide",
    "__rfloordiv__": ("elementwise.floor_divide", _reflect), "__mod__": "elementwise.remainder",
    "__rmod__": ("elementwise.remainder", _reflect), "__pow__": "elementwise.pow",
    "__rpow__": ("elementwise.rpow", _rpow), "__neg__": "unary.neg", "__pos__": "unary.positive",
    "__abs__": "unary.abs", "__matmul__": "linalg.matmul", "__rmatmul__": ("linalg.matmul", _reversed),
    "__iadd__": inplace.add_, "__isub__": inplace.sub_, "__imul__": inplace.mul_,
    "__itruediv__": inplace.div_,
    # comparisons, logic, bits
    "__eq__": "compare.eq", "__ne__": "compare.ne", "__lt__": "compare.lt", "__le__": "compare.le",
    "__gt__": "compare.gt", "__ge__": "compare.ge", "eq": "compare.eq", "ne": "compare.ne",
    "lt": "compare.lt", "le": "compare.le", "gt": "compare.gt", "ge": "compare.ge", "greater": "compare.gt",
    "less": "compare.lt", "greater_equal": "compare.ge", "less_equal": "compare.le",
    "not_equal": "compare.ne", "__and__": "compare.bitwise_and", "__or__": "compare.bitwise_or",
    "__xor__": "compare.bitwise_xor", "__rand__": "compare.bitwise_and", "__ror__": "compare.bitwise_or",
    "__rxor__": "compare.bitwise_xor", "__lshift__": "compare.bitwise_left_shift",
    "__rshift__": "compare.bitwise_right_shift", "__rlshift__": ("compare.bitwise_left_shift", _reflect),
    "__rrshift__": ("compare.bitwise_right_shift", _reflect),
    "bitwise_left_shift": "compare.bitwise_left_shift", "bitwise_right_shift": "compare.bitwise_right_shift",
    "__invert__": "compare.invert", "bitwise_not": "compare.bitwise_not",
    "bitwise_and": "compare.bitwise_and", "bitwise_or": "compare.bitwise_or",
    "bitwise_xor": "compare.bitwise_xor", "logical_and": "compare.logical_and",
    "logical_or": "compare.logical_or", "logical_xor": "compare.logical_xor",
    "logical_not": "unary.logical_not", "equal": "compare.equal", "allclose": "compare.allclose",
    "isclose": "compare.isclose", "isnan": "unary.isnan", "isinf": "unary.isinf",
    "isfinite": "unary.isfinite", "isposinf": "unary.isposinf", "isneginf": "unary.isneginf",
    "isreal": "unary.isreal", "signbit": "unary.signbit",
    # unary math
    "neg": "unary.neg", "negative": "unary.neg", "positive": "unary.positive", "abs": "unary.abs",
    "absolute": "unary.abs", "exp": "unary.exp", "exp2": "unary.exp2", "expm1": "unary.expm1",
    "log": "unary.log", "log2": "unary.log2", "log10": "unary.log10", "log1p": "unary.log1p",
    "sqrt": "unary.sqrt", "rsqrt": "unary.rsqrt", "sin": "unary.sin", "cos": "unary.cos", "tan": "unary.tan",
    "tanh": "unary.tanh", "sigmoid": "unary.sigmoid", "relu": "unary.relu", "sign": "unary.sign",
    "sgn": "unary.sgn", "floor": "unary.floor", "ceil": "unary.ceil", "round": "unary.round",
    "trunc": "unary.trunc", "fix": "unary.trunc", "frac": "unary.frac", "reciprocal": "unary.reciprocal",
    "erf": "unary.erf", "erfc": "unary.erfc", "square": "unary.square", "sinh": "unary.sinh",
    "cosh": "unary.cosh", "asin": "unary.asin", "acos": "unary.acos", "atan": "unary.atan",
    "arcsin": "unary.asin", "arccos": "unary.acos", "arctan": "unary.atan", "asinh": "unary.asinh",
    "acosh": "unary.acosh", "atanh": "unary.atanh", "arcsinh": "unary.asinh", "arccosh": "unary.acosh",
    "arctanh": "unary.atanh", "logit": "unary.logit", "deg2rad": "unary.deg2rad", "rad2deg": "unary.rad2deg",
    "angle": "unary.angle", "conj": "unary.conj", "conj_physical": "unary.conj_physical",
    "resolve_conj": "unary.resolve_conj", "resolve_neg": "unary.resolve_neg", "is_conj": "unary.is_conj",
    "is_neg": "unary.is_neg", "real": ("unary.real", property), "imag": ("unary.imag", property),
    # other elementwise
    "clamp": "pointwise.clamp", "clip": "pointwise.clamp", "clamp_min": "pointwise.clamp_min",
    "clamp_max": "pointwise.clamp_max", "maximum": "pointwise.maximum", "minimum": "pointwise.minimum",
    "fmax": "pointwise.fmax", "fmin": "pointwise.fmin", "where": ("pointwise.where", _where),
    "masked_fill": "pointwise.masked_fill", "masked_fill_": "pointwise.masked_fill_", "lerp": "pointwise.lerp", "addcmul": "pointwise.addcmul",
    "addcdiv": "pointwise.addcdiv", "atan2": "pointwise.atan2", "arctan2": "pointwise.atan2",
    "hypot": "pointwise.hypot", "xlogy": "pointwise.xlogy", "copysign": "pointwise.copysign",
    "nan_to_num": "pointwise.nan_to_num", "logaddexp": "pointwise.logaddexp",
    "logaddexp2": "pointwise.logaddexp2", "heaviside": "pointwise.heaviside", "sinc": "unary.sinc",
    "dist": "misc.dist", "is_nonzero": "misc.is_nonzero", "new": ("creation._legacy_new", _legacy_new),
    # reductions and statistics
    "sum": ("reduce.sum", _dim_kw), "nansum": ("reduce.nansum", _dim_kw), "mean": ("reduce.mean", _dim_kw),
    "nanmean": ("reduce.nanmean", _dim_kw), "prod": ("reduce.prod", _dim_kw), "max": ("reduce.max", _dim_kw),
    "min": ("reduce.min", _dim_kw), "amax": ("reduce.amax", _dim_kw), "amin": ("reduce.amin", _dim_kw),
    "aminmax": "reduce.aminmax", "argmax": ("reduce.argmax", _dim_kw), "argmin": ("reduce.argmin", _dim_kw),
    "all": ("reduce.all", _dim_kw), "any": ("reduce.any", _dim_kw), "count_nonzero": "reduce.count_nonzero",
    "var": ("stats.var", _dim_kw), "std": ("stats.std", _dim_kw), "logsumexp": ("stats.logsumexp", _dim_kw),
    "norm": "stats.norm_method", "cumsum": ("stats.cumsum", _dim_kw), "cumprod": ("stats.cumprod", _dim_kw),
    "cummax": "stats.cummax", "cummin": "stats.cummin", "logcumsumexp": "stats.logcumsumexp",
    "median": "stats.median", "mode": "stats.mode",
    # views and layout
    "view": "shape.view", "view_as": "shape.view_as", "reshape": "shape.reshape",
    "reshape_as": "shape.reshape_as", "flatten": "shape.flatten", "unflatten": "shape.unflatten",
    "ravel": ("shape.reshape", _ravel), "squeeze": "shape.squeeze", "unsqueeze": "shape.unsqueeze",
    "permute": "shape.permute", "transpose": "shape.transpose", "swapaxes": "shape.transpose",
    "swapdims": "shape.transpose", "t": "shape.t", "adjoint": "shape.adjoint", "movedim": "shape.movedim",
    "moveaxis": "shape.movedim", "expand": "shape.expand", "expand_as": "shape.expand_as",
    "broadcast_to": "shape.broadcast_to", "clone": "shape.clone", "contiguous": "shape.contiguous",
    "unfold": "shape.unfold", "as_strided": "shape.as_strided", "T": ("shape.T", property),
    "mT": ("shape.mT", property), "H": ("shape.adjoint", property), "mH": ("shape.mT", property),
    # joining and splitting
    "repeat": "joining.repeat", "tile": "joining.tile", "repeat_interleave": "joining.repeat_interleave",
    "split": "joining.split", "chunk": "joining.chunk", "tensor_split": "joining.tensor_split",
    "unbind": "joining.unbind", "narrow": "joining.narrow", "select": "joining.select",
    "flip": "joining.flip", "fliplr": "joining.fliplr", "flipud": "joining.flipud", "roll": "joining.roll",
    "rot90": "joining.rot90", "tril": "joining.tril", "triu": "joining.triu",
    # indexing, gather/scatter, sorting
    "__getitem__": "index.getitem", "__setitem__": "index.setitem", "index_put": "index.index_put",
    "gather": "gather.gather", "scatter": "gather.scatter", "scatter_add": "gather.scatter_add",
    "scatter_reduce": "gather.scatter_reduce", "index_select": "gather.index_select",
    "index_add": "gather.index_add", "index_copy": "gather.index_copy", "index_fill": "gather.index_fill",
    "take": "gather.take", "take_along_dim": "gather.take_along_dim", "masked_select": "gather.masked_select",
    "masked_scatter": "gather.masked_scatter", "masked_scatter_": "gather.masked_scatter_", "nonzero": "gather.nonzero", "argwhere": "gather.argwhere",
    "sort": "sorting.sort", "argsort": "sorting.argsort", "msort": "sorting.msort", "topk": "sorting.topk",
    "kthvalue": "sorting.kthvalue",
    # linear algebra
    "matmul": "linalg.matmul", "mm": "linalg.mm", "bmm": "linalg.bmm", "mv": "linalg.mv", "dot": "linalg.dot",
    "vdot": "linalg.vdot", "inner": "linalg.inner", "outer": "linalg.outer", "ger": "linalg.outer",
    "addmm": "linalg.addmm", "addmv": "linalg.addmv", "baddbmm": "linalg.baddbmm", "addbmm": "linalg.addbmm",
    "addr": "linalg.addr", "cross": "linalg.cross", "kron": "linalg.kron", "det": "linalg_extra.det",
    "inverse": "linalg_extra.inv", "logdet": "linalg_extra.logdet", "slogdet": "linalg_extra.slogdet",
    "cholesky": "linalg_extra.cholesky", "pinverse": "linalg_extra.pinverse",
    "matrix_power": "linalg_extra.matrix_power", "diag": "misc.diag", "diagonal": "misc.diagonal",
    "diag_embed": "misc.diag_embed", "trace": "misc.trace", "histc": "misc.histc",
    "bincount": "misc.bincount", "unique": "misc.unique", "unique_consecutive": "misc.unique_consecutive",
    "diff": "misc.diff",
    # in place
    "add_": inplace.add_, "sub_": inplace.sub_, "mul_": inplace.mul_, "div_": inplace.div_,
    "subtract_": inplace.sub_, "multiply_": inplace.mul_, "divide_": inplace.div_,
    "true_divide_": inplace.div_, "addcmul_": inplace.addcmul_, "addcdiv_": inplace.addcdiv_,
    "lerp_": inplace.lerp_, "zero_": inplace.zero_, "fill_": inplace.fill_, "copy_": inplace.copy_,
    "set_data_": inplace.set_data_, "resize_": inplace.resize_, "resize_as_": inplace.resize_as_,
    # new_* constructors and the rest
    "new_zeros": ("creation.zeros", _new), "new_ones": ("creation.ones", _new),
    "new_empty": ("creation.empty", _new), "new_full": ("creation.full", _new_full),
    "new_tensor": ("creation.tensor", _new_tensor), "bernoulli": ("creation.bernoulli", _bernoulli),
    "multinomial": ("creation.multinomial", _multinomial), "apply_": _apply_,
    "storage_offset": "storage_api.storage_offset", "is_inference": lambda self: False,
    "untyped_storage": "storage_api.untyped_storage", "storage": "storage_api.storage",
    "_typed_storage": "storage_api._typed_storage", "storage_type": "storage_api.storage_type",
    "set_": "storage_api.set_", "__dlpack__": "storage_api.__dlpack__",
    "__dlpack_device__": "storage_api.__dlpack_device__",
    # special functions
    "lgamma": "specfun.lgamma", "digamma": "specfun.digamma", "polygamma": "specfun._polygamma_method",
    "erfinv": "specfun.erfinv", "i0": "specfun.i0", "mvlgamma": "specfun.mvlgamma",
    "igamma": "specfun.igamma", "igammac": "specfun.igammac",
    # number-level utilities
    "frexp": "numeric.frexp", "ldexp": "numeric.ldexp", "gcd": "numeric.gcd", "lcm": "numeric.lcm",
    "nextafter": "numeric.nextafter", "is_signed": "numeric.is_signed", "is_same_size": "numeric.is_same_size",
    # more statistics
    "quantile": "stats_extra.quantile", "nanquantile": "stats_extra.nanquantile",
    "nanmedian": "stats_extra.nanmedian", "cov": "stats_extra.cov", "corrcoef": "stats_extra.corrcoef",
    "renorm": "stats_extra.renorm", "histogram": "stats_extra.histogram",
    # layout and scatter utilities
    "diagflat": "layout.diagflat", "hsplit": "layout.hsplit", "vsplit": "layout.vsplit", "dsplit": "layout.dsplit",
    "split_with_sizes": "layout.split_with_sizes", "select_scatter": "layout.select_scatter",
    "slice_scatter": "layout.slice_scatter", "diagonal_scatter": "misc.diagonal_scatter", "put": "layout.put",
    "index_reduce": "layout.index_reduce", "fill_diagonal_": "layout.fill_diagonal_",
    "sum_to_size": "layout.sum_to_size", "resize": "layout.resize", "resize_as": "layout.resize_as",
    # more linear algebra
    "matrix_exp": "linalg_more.matrix_exp", "qr": "linalg_more.qr", "svd": "linalg_more.svd",
    "lu": "linalg_more.lu_legacy", "lu_solve": "linalg_more.lu_solve_legacy",
    "triangular_solve": "linalg_more.triangular_solve", "cholesky_solve": "linalg_more.cholesky_solve",
    "cholesky_inverse": "linalg_more.cholesky_inverse", "geqrf": "linalg_more.geqrf",
    "orgqr": "linalg_more.householder_product",
    # nn ops PyTorch also makes methods
    "prelu": "nn_aten.prelu", "hardshrink": "nn_aten.hardshrink",
    # copies and splits that are not views
    "narrow_copy": "copies.narrow_copy", "as_strided_scatter": "copies.as_strided_scatter",
    "unsafe_chunk": "copies.unsafe_chunk", "unsafe_split": "copies.unsafe_split",
    "unsafe_split_with_sizes": "copies.unsafe_split_with_sizes",
    # smaller methods and queries
    "as_subclass": "tensor_misc.as_subclass", "map_": "tensor_misc.map_", "map2_": "tensor_misc.map2_",
    "dim_order": "tensor_misc.dim_order", "new_empty_strided": "tensor_misc.new_empty_strided",
    "const_data_ptr": "tensor_misc.const_data_ptr", "is_distributed": "tensor_misc.is_distributed",
    "grad_dtype": ("tensor_misc.grad_dtype", property), "volatile": ("tensor_misc.volatile", property),
    "igamma_": "tensor_misc.igamma_", "igammac_": "tensor_misc.igammac_",
}

# ops without a number overload: Tensor ``other`` only
for _name, _entry in (("maximum", "pointwise.maximum"), ("minimum", "pointwise.minimum"), ("fmax", "pointwise.fmax"),
                      ("fmin", "pointwise.fmin"), ("atan2", "pointwise.atan2"), ("arctan2", "pointwise.arctan2"),
                      ("hypot", "pointwise.hypot"), ("logaddexp", "pointwise.logaddexp"),
                      ("logaddexp2", "pointwise.logaddexp2"), ("logical_and", "compare.logical_and"),
                      ("logical_or", "compare.logical_or"), ("logical_xor", "compare.logical_xor"),
                      ("isclose", "compare.isclose"), ("dist", "misc.dist"), ("nextafter", "numeric.nextafter"),
                      ("ldexp", "numeric.ldexp"), ("gcd", "numeric.gcd"), ("lcm", "numeric.lcm")):
    METHODS[_name] = (_entry, _tensor_other(_name))
METHODS["heaviside"] = ("pointwise.heaviside", _tensor_other("heaviside", "values"))

for _name in inplace.INPLACE_UNARY:
    METHODS.setdefault(_name + "_", inplace._unary_inplace(_name))
for _name in inplace.INPLACE_SHAPE:
    METHODS.setdefault(_name + "_", inplace._shape_inplace(_name))
for _op, _fn in (("floordiv", "floor_divide_"), ("mod", "remainder_"), ("pow", "pow_"), ("and", "bitwise_and_"),
                 ("or", "bitwise_or_"), ("xor", "bitwise_xor_"), ("lshift", "bitwise_left_shift_"),
                 ("rshift", "bitwise_right_shift_")):
    METHODS[f"__i{_op}__"] = METHODS[_fn]
for _kind in ("uniform_", "normal_", "random_", "bernoulli_", "exponential_", "geometric_", "log_normal_",
              "cauchy_"):
    METHODS[_kind] = ("creation._gen_and_place", _random_inplace(_kind))



def _cast_to(name):
    def method(self, memory_format=None):
        from .. import _dtype

        return self.to(getattr(_dtype, name))  # an unsupported dtype: raises a TypeError naming it

    method.__name__ = {"complex64": "cfloat", "complex128": "cdouble", "complex32": "chalf"}.get(name, name)
    return method


def _device_is(kind):
    return property(lambda self: self.device.type == kind, doc=f"True if the tensor is on a '{kind}' device.")


for _name in ("bfloat16", "complex64", "complex128", "complex32"):
    METHODS[_cast_to(_name).__name__] = _cast_to(_name)
for _kind in ("mps", "xpu", "mtia", "ipu", "xla", "maia", "vulkan"):
    METHODS[f"is_{_kind}"] = _device_is(_kind)
for _flag in ("is_nested", "is_mkldnn", "is_sparse_csr"):  # layouts Lanterna does not have
    METHODS[_flag] = property(lambda self: False)

# Bound by their own modules when these load (nn_activation defines Tensor.softmax ...).
SELF_BINDING = {"softmax": "nn_activation", "log_softmax": "nn_activation"}


class _LazyMethod:
    """``Tensor.<name>`` until its family loads: the first lookup (a call, ``hasattr``,
    ``help``) imports the family, which replaces every lazy method of it by the real one."""

    __slots__ = ("name", "family")

    def __init__(self, name, family):
        self.name, self.family = name, family

    def __get__(self, obj, cls=None):
        load_family(self.family)
        real = Tensor.__dict__.get(self.name, self)
        if real is self:
            raise AttributeError(f"'Tensor' object has no attribute '{self.name}'")
        return real.__get__(obj, cls)

    def __repr__(self):
        return f"<Tensor.{self.name}, loaded from lanterna.ops.{self.family} on first use>"


def _spec(entry):
    """``(family, function name, wrapper)`` of a lazy table entry, or None for a function."""
    if isinstance(entry, str):
        entry = (entry, None)
    if isinstance(entry, tuple):
        family, _, name = entry[0].partition(".")
        return family, name, entry[1]
    return None


LAZY: dict = {}  # family -> the method names it provides
for _name, _entry in METHODS.items():
    _s = _spec(_entry)
    if _s is None:
        setattr(Tensor, _name, _entry)
    else:
        LAZY.setdefault(_s[0], []).append(_name)
        setattr(Tensor, _name, _LazyMethod(_name, _s[0]))
for _name, _family in SELF_BINDING.items():
    LAZY.setdefault(_family, [])
    setattr(Tensor, _name, _LazyMethod(_name, _family))


def load_family(family):
    """Import ``lanterna.ops.<family>`` and bind its methods on ``Tensor`` (idempotent)."""
    module = importlib.import_module(f"{__package__}.{family}")
    for name in LAZY.get(family, ()):
        if isinstance(Tensor.__dict__.get(name), _LazyMethod):
            fam, attr, wrap = _spec(METHODS[name])
            fn = getattr(module, attr)
            setattr(Tensor, name, wrap(fn) if wrap else fn)


Tensor.__array_ufunc__ = None  # NumPy defers to Tensor's operators: ndarray + tensor -> Tensor
