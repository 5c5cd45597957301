"""The in-place samplers: ``Tensor.uniform_``, ``normal_``, ``random_``, ``bernoulli_``,
``exponential_``, ``geometric_``, ``log_normal_`` and ``cauchy_``.

Each follows PyTorch 2.13 step by step: its argument parser (``TypeError``), the in-place check on
leaves that require grad, the value checks of ``DistributionTemplates.h`` (``RuntimeError``, in
torch's order and wording), the early return of an empty tensor, then the kernel's dtype check and
the draw. The draw comes from the device's generator (``lanterna._rng`` on the CPU: PyTorch's exact
numbers) and is written in the order torch's ``TensorIterator`` visits the tensor, which is memory
order: ``x.t().uniform_()`` fills the storage as torch does.

>>> import lanterna as torch
>>> _ = torch.manual_seed(0)
>>> torch.empty(3).geometric_(0.3)
tensor([1., 1., 3.])
"""

from __future__ import annotations

import numbers
import warnings

import numpy as np

from .._tensor import Tensor
from . import inplace

_REQUIRED = object()

# kind -> its float parameters and their defaults, as PyTorch's signatures name them
_FLOAT_PARAMS = {
    "uniform_": (("from", 0.0), ("to", 1.0)),
    "normal_": (("mean", 0.0), ("std", 1.0)),
    "exponential_": (("lambd", 1.0),),
    "geometric_": (("p", _REQUIRED),),
    "log_normal_": (("mean", 1.0), ("std", 2.0)),
    "cauchy_": (("median", 0.0), ("sigma", 1.0)),
}

_RANDOM_SIGNATURES = (" * (*, torch.Generator generator = None)\n"
                      " * (int from, int to, *, torch.Generator generator = None)\n"
                      " * (int to, *, torch.Generator generator = None)\n")
_BERNOULLI_SIGNATURES = (" * (Tensor p, *, torch.Generator generator = None)\n"
                         " * (float p = 0.5, *, torch.Generator generator = None)\n")

# caffe2::TypeMeta names (random_'s bound errors) and c10 ScalarType names (uniform_'s range error)
_CPP_NAMES = {"uint8": "unsigned char", "int8": "signed char", "int16": "short int", "int32": "int",
              "int64": "long int", "bool": "bool", "float16": "c10::Half", "float32": "float", "float64": "double"}
_DIGITS = {"float16": 11, "float32": 24, "float64": 53}


def _scalar_name(dtype):
    from .reduce import legacy_scalar_name

    return legacy_scalar_name(dtype)


def _type_name(v):
    if isinstance(v, Tensor):
        return "Tensor"
    t = type(v)
    return f"numpy.{t.__name__}" if t.__module__ == "numpy" else t.__name__


# ---- argument parsing ---------------------------------------------------------------------------
def _float_arg(kind, name, value, pos):
    """A ``float`` argument as PyTorch's parser reads it: a real number, bool or 0-d tensor."""
    if isinstance(value, Tensor) and value.dim() == 0:
        return float(value.item())
    if isinstance(value, (numbers.Real, np.bool_)) and not isinstance(value, Tensor):
        return float(value)
    where = f" (position {pos})" if pos else ""
    raise TypeError(f"{kind}(): argument '{name}'{where} must be float, not {_type_name(value)}")


def _float_params(kind, args, kwargs):
    """Bind ``args``/``kwargs`` to ``kind``'s float parameters (name -> float)."""
    params = _FLOAT_PARAMS[kind]
    names = [n for n, _ in params]
    if len(args) > len(params):
        n_required = sum(d is _REQUIRED for _, d in params)
        takes = (f"{len(params)} positional argument{'s' if len(params) > 1 else ''}" if n_required == len(params)
                 else f"from {n_required} to {len(params)} positional arguments")
        raise TypeError(f"{kind}() takes {takes} but {len(args)} were given")
    for k in kwargs:
        if k not in names:
            raise TypeError(f"{kind}() got an unexpected keyword argument '{k}'")
        if names.index(k) < len(args):
            raise TypeError(f"{kind}() got multiple values for argument '{k}'")
    values = {}
    for i, (name, default) in enumerate(params):
        if i < len(args):
            values[name] = _float_arg(kind, name, args[i], i + 1)
        elif name in kwargs:
            values[name] = _float_arg(kind, name, kwargs[name], 0)
        elif default is _REQUIRED:
            raise TypeError(f'{kind}() missing 1 required positional arguments: "{name}"')
        else:
            values[name] = default
    return values


def _is_int(v):
    """PyTorch's ``int`` parameter: an int (not a bool), a NumPy integer or a 0-d integer tensor."""
    if isinstance(v, Tensor):
        return v.dim() == 0 and not v.dtype.is_floating_point and v.dtype.name != "bool"
    return isinstance(v, (int, np.integer)) and not isinstance(v, bool)


def _random_invalid(args, kwargs):
    got = [_type_name(a) for a in args] + [f"{k}={_type_name(v)}" for k, v in kwargs.items()]
    raise TypeError(f"random_() received an invalid combination of arguments - got ({', '.join(got)}), but "
                    f"expected one of:\n{_RANDOM_SIGNATURES}")


def _random_bounds(args, kwargs):
    """``random_``'s overloads ``()``, ``(int from, int? to)`` and ``(int to)`` -> ``(from, to, full)``:
    ``full`` for no bounds (each dtype's own range); ``to`` None for ``[from, dtype max]``."""
    if len(args) > 2:
        raise TypeError(f"random_() takes 2 positional arguments but {len(args)} were given")
    given = len(args) + len(kwargs)
    names = ("from", "to") if given == 2 else ("to",) if given == 1 else ()
    if given > 2 or set(kwargs) - set(names) or any(k in kwargs for k in names[:len(args)]):
        _random_invalid(args, kwargs)
    if not names:
        return 0, None, True
    vals = dict(zip(names, args), **kwargs)
    frm, to = vals.get("from", 0), vals["to"]
    # `to` may be None only in (from, to): the (to) overload takes no None
    if not _is_int(frm) or not (_is_int(to) or (to is None and given == 2)):
        _random_invalid(args, kwargs)
    frm, to = int(frm), None if to is None else int(to)
    if not all(-(1 << 63) <= v < (1 << 63) for v in (frm, to) if v is not None):
        raise ValueError("Overflow when unpacking long long")
    return frm, to, False


def _check_generator(kind, generator):
    from .creation import Generator

    if generator is not None and not isinstance(generator, Generator):
        raise TypeError(f"{kind}(): argument 'generator' must be torch.Generator, not {_type_name(generator)}")


# ---- value checks (DistributionTemplates.h) -----------------------------------------------------
def _check_uniform(t, lo, hi):
    """``uniform_impl_``: float dtype, both bounds inside the dtype, ``from <= to`` and a finite width."""
    if not t.dtype.is_floating_point:
        raise NotImplementedError(f"\"check_uniform_bounds\" not implemented for '{_scalar_name(t.dtype)}'")
    info = np.finfo(t.dtype.np)
    mn, mx = float(info.min), float(info.max)
    for v, name in ((lo, "from"), (hi, "to")):
        if not mn <= v <= mx:
            raise RuntimeError(f"{name} is out of bounds for {_CPP_NAMES[t.dtype.name]}")
    if not lo <= hi:
        raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found from={lo:g} > to={hi:g}")
    if hi - lo > mx:
        raise RuntimeError(f"uniform_ expects to-from <= std::numeric_limits<{_scalar_name(t.dtype)}>::max(), but "
                           f"found to={hi:g} and from={lo:g} which result in to-from to exceed the limit")


def _check_random_range(frm, to_inc, dtype):
    """``check_from_to_in_range``: ``from`` and ``to - 1`` must fit the dtype; floats warn beyond
    the integers they hold exactly."""
    name = _CPP_NAMES[dtype.name]
    if dtype.is_floating_point:
        info = np.finfo(dtype.np)
        mn, mx = float(info.min), float(info.max)
    elif dtype.name == "bool":
        mn, mx = 0, 1
    else:
        info = np.iinfo(dtype.np)
        mn, mx = int(info.min), int(info.max)
    for v, what in ((frm, "from"), (to_inc, "to - 1")):
        if not mn <= v <= mx:
            raise RuntimeError(f"{what} is out of bounds for {name}")
    if dtype.is_floating_point:
        digits = _DIGITS[dtype.name]
        for v, what in ((frm, "from"), (to_inc, "to - 1")):
            if not -(1 << digits) <= v <= 1 << digits:
                warnings.warn(f"{what} is out of bounds [-(2^{digits}), 2^{digits}]. Due to precision limitations "
                              f"{name} can support discrete uniform distribution only within this range. This "
                              "warning will become an error in version 1.7 release, please fix the code in advance",
                              UserWarning, stacklevel=4)


def _random_plan(t, frm, to, full):
    """``random_``'s checks -> how to draw: ``("full",)``, ``("full64",)`` or ``("int", low, high)``."""
    from .._rng import float_bounds

    dtype = t.dtype
    if full:
        return ("full",)
    if to is not None:  # [from, to)
        if frm >= to:
            raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={frm} >= to={to}")
        if dtype.is_floating_point:
            lo, hi = float_bounds(frm, to, dtype.np)
            if lo >= hi:
                raise RuntimeError(f"random_ expects 'from' casted to dtype to be less than 'to' casted to dtype, "
                                   f"but got from={lo} >= to={hi}")
            _check_random_range(lo, hi - 1, dtype)
        else:
            _check_random_range(frm, to - 1, dtype)
        return ("int", frm, to)
    if frm == -(1 << 63):  # [int64 min, int64 max]: the whole 64-bit range
        return ("full64",)
    if dtype.is_floating_point:  # [from, 2**digits]
        to_inc = 1 << _DIGITS[dtype.name]
        lo, _ = float_bounds(frm, to_inc + 1, dtype.np)
        if not lo < to_inc:
            raise RuntimeError(f"random_ expects 'from' casted to dtype to be less than or equal to 'to_inc' casted "
                               f"to dtype, but got from={lo} > to_inc={to_inc}")
        _check_random_range(lo, to_inc, dtype)
    else:  # [from, dtype max]
        to_inc = 1 if dtype.name == "bool" else int(np.iinfo(dtype.np).max)
        _check_random_range(frm, to_inc, dtype)
    return ("int", frm, to_inc + 1)


def _bernoulli_p(args, kwargs):
    if len(args) + len(kwargs) > 1 or set(kwargs) - {"p"}:
        got = [_type_name(a) for a in args] + [f"{k}={_type_name(v)}" for k, v in kwargs.items()]
        raise TypeError(f"bernoulli_() received an invalid combination of arguments - got ({', '.join(got)}), "
                        f"but expected one of:\n{_BERNOULLI_SIGNATURES}")
    p = args[0] if args else kwargs.get("p", 0.5)
    if isinstance(p, Tensor):
        return p
    if not isinstance(p, (numbers.Real, np.bool_)):
        raise TypeError(f"bernoulli_() received an invalid combination of arguments - got ({_type_name(p)}), "
                        f"but expected one of:\n{_BERNOULLI_SIGNATURES}")
    return float(p)


def _prepare(kind, t, args, kwargs):
    """Parse and check ``kind``'s arguments in PyTorch's order -> the draw's parameters (a dict), or
    None when there is nothing to draw (an empty tensor)."""
    if kind == "random_":
        frm, to, full = _random_bounds(args, kwargs)
    elif kind == "bernoulli_":
        p = _bernoulli_p(args, kwargs)
    else:
        v = _float_params(kind, args, kwargs)
    inplace.check_inplace(t)
    floating = t.dtype.is_floating_point
    empty = t.numel() == 0
    if kind == "uniform_":
        _check_uniform(t, v["from"], v["to"])
    elif kind == "normal_":
        if not v["std"] >= 0:
            raise RuntimeError(f"normal expects std >= 0.0, but found std {v['std']:g}")
        if not floating and not empty:
            raise NotImplementedError(f"\"normal_kernel_cpu\" not implemented for '{_scalar_name(t.dtype)}'")
    elif kind == "exponential_":
        if not v["lambd"] > 0:
            raise RuntimeError(f"exponential_ expects lambda > 0.0, but found lambda={v['lambd']:g}")
        if not floating and not empty:
            raise RuntimeError("Exponential distribution is a continuous probability distribution. dtype must be a "
                               f"floating point but you specified {_scalar_name(t.dtype)}")
    elif kind == "geometric_":
        if not 0 < v["p"] < 1:
            raise RuntimeError(f"geometric_ expects p to be in (0, 1), but got p={v['p']:g}")
        if t.dtype.name == "bool" and not empty:
            raise NotImplementedError("\"geometric_cpu\" not implemented for 'Bool'")
    elif kind == "log_normal_":
        if not v["std"] > 0:
            raise RuntimeError(f"log_normal_ expects std > 0.0, but found std={v['std']:g}")
        if not floating and not empty:
            raise NotImplementedError(f"\"log_normal_cpu\" not implemented for '{_scalar_name(t.dtype)}'")
    elif kind == "cauchy_":
        if not v["sigma"] > 0:
            raise RuntimeError(f"cauchy_ expects sigma > 0.0, but found sigma={v['sigma']:g}")
        if not floating:  # checked before the empty-tensor return
            raise RuntimeError("Cauchy distribution is a continuous probability distribution. dtype must be a "
                               f"floating point but you specified {_CPP_NAMES[t.dtype.name]}")
    elif kind == "bernoulli_":
        if isinstance(p, Tensor):
            if p.numel() and not bool(((p >= 0) & (p <= 1)).all()):
                raise RuntimeError("Expected p_in >= 0 && p_in <= 1 to be true, but got false.  (Could this error "
                                   "message be improved?  If so, please report an enhancement request to PyTorch.)")
        elif not 0 <= p <= 1:
            raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={p:g}")
        v = {"p": p}
    elif kind == "random_":
        v = {"plan": _random_plan(t, frm, to, full)}
    return None if empty else v


# ---- drawing --------------------------------------------------------------------------------------
def _memory_order(data):
    """The axes of ``data`` from the largest stride to the smallest: the order in which torch's
    TensorIterator visits the elements of its output (ties keep the original order)."""
    strides = getattr(data, "strides", None)
    if strides is None:  # arrays of the Array API standard have no strides: row-major
        return list(range(data.ndim))
    return sorted(range(data.ndim), key=lambda d: -abs(strides[d]))


def _draw(kind, gen, shape, npdt, v, contiguous):
    if kind == "uniform_":
        return gen.uniform(shape, npdt, v["from"], v["to"])
    if kind == "normal_":
        if not contiguous and hasattr(gen, "normal_serial"):  # torch's serial path for strided tensors
            return gen.normal_serial(shape, npdt, v["mean"], v["std"])
        return gen.normal(shape, npdt, v["mean"], v["std"])
    if kind == "exponential_":
        return gen.exponential(shape, npdt, v["lambd"])
    if kind == "bernoulli_":
        p = v["p"]
        return gen.bernoulli(p._host() if isinstance(p, Tensor) else p, shape, npdt)
    if kind in ("geometric_", "log_normal_", "cauchy_"):
        name = kind[:-1]
        if hasattr(gen, name):
            return getattr(gen, name)(shape, npdt, *v.values())
        return _transformed(kind, gen, shape, npdt, v)
    plan = v["plan"]  # random_
    if plan[0] == "full":
        if hasattr(gen, "random_full"):
            return gen.random_full(shape, npdt)
        return gen.random_int(shape, 0, 2**24 if npdt.kind == "f" else 2**63, npdt)
    if plan[0] == "full64":
        if npdt in (np.float16, np.bool_):  # not even dispatched
            name = "Half" if npdt == np.float16 else "Bool"
            raise NotImplementedError(f"\"random_full_64_bits_range_kernel_cpu\" not implemented for '{name}'")
        if npdt not in (np.float32, np.float64, np.int64):
            raise RuntimeError("random_full_64_bits_range_kernel_cpu handles only int64, double, float and bfloat16")
        if hasattr(gen, "random_full64"):
            return gen.random_full64(shape, npdt)
        return gen.random_int(shape, -(1 << 63), (1 << 63) - 1, npdt)
    return gen.random_int(shape, plan[1], plan[2], npdt)


def _transformed(kind, gen, shape, npdt, v):
    """geometric_ / log_normal_ / cauchy_ for a device generator without them: PyTorch's transforms
    of its float64 uniform or normal draws, computed with the draw's own array module."""
    import importlib

    f64 = np.dtype(np.float64)
    base = gen.normal(shape, f64, v["mean"], v["std"]) if kind == "log_normal_" else gen.uniform(shape, f64)
    xp = importlib.import_module(type(base).__module__.split(".")[0])  # numpy, cupy ...
    if kind == "log_normal_":
        out = xp.exp(base)
    elif kind == "geometric_":
        with np.errstate(divide="ignore"):  # u == 0 gives inf, as in C
            out = xp.ceil(xp.log(base) / np.log1p(-v["p"]))
    else:
        eps = float(np.finfo(np.float64).eps)
        out = v["median"] + v["sigma"] * xp.tan(np.pi * (xp.clip(base, eps, 1 - eps) - 0.5))
    return out.astype(npdt)


def make_method(kind, gen_and_place):
    """``Tensor.<kind>(*args, generator=None, **kwargs)`` drawing from ``gen_and_place``'s generator."""

    def method(self, *args, generator=None, **kwargs):
        _check_generator(kind, generator)
        v = _prepare(kind, self, args, kwargs)
        if v is None:  # PyTorch returns an empty tensor untouched, before its kernel runs
            return self
        gen, _ = gen_and_place(generator, self.device)
        data = self._data
        order = _memory_order(data)
        if order != list(range(data.ndim)):
            data = data.transpose(order)  # write the draws in memory order
            if isinstance(v.get("p"), Tensor):  # bernoulli_'s probabilities, laid out alike
                v = {"p": v["p"].broadcast_to(self.shape).permute(order)}
        arr = _draw(kind, gen, data.shape, np.dtype(self.dtype.np), v, self.is_contiguous())
        if self._device.type == "cpu":
            data[...] = arr
        else:
            host = type(arr).__module__ == "numpy"  # a host draw to move, or one made on the device
            data[...] = self._backend.from_numpy(arr, self._device.index or 0) if host else arr
        inplace.bump_version(self)
        return self

    method.__name__ = kind
    method.__qualname__ = f"Tensor.{kind}"
    return method
