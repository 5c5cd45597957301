"""Creating tensors: from data, filled, ranges, and random (through the device's generator)."""

from __future__ import annotations

import math
import numbers

from collections.abc import Sequence

import numpy as np

from .. import _dtype as D
from .._device import CPU, DEFAULT_DEVICE, device as Device
from .._tensor import Tensor
from ._argerrors import not_a_tensor
from ..backends.registry import REGISTRY, get_backend

_make = Tensor._make


def _place(arr, device, dtype=None):
    """A host array as a tensor on ``device`` (default cpu)."""
    if dtype is not None and arr.dtype != dtype.np:
        arr = arr.astype(dtype.np)
    if device is None:
        device = DEFAULT_DEVICE[0]
        if device is None:
            return _make(arr, REGISTRY.backends["cpu"], CPU)
    dev = Device(device)
    if dev.type == "cpu":
        return _make(arr, REGISTRY.backends["cpu"], CPU)
    backend = get_backend(dev.type)
    index = dev.index if dev.index is not None else backend.current_device()
    return _make(backend.from_numpy(arr, index), backend, Device(dev.type, index))


def _check_ndarray(arr):
    """PyTorch's errors for NumPy arrays it cannot hold: the type is named as NumPy's scalar class
    (numpy.object_, numpy.longdouble), and a byte-swapped array is refused before its dtype is read."""
    if not arr.dtype.isnative:
        raise ValueError("given numpy array has byte order different from the native byte order. Conversion "
                         "between byte orders is currently not supported.")
    try:
        D.from_numpy_dtype(arr.dtype)
    except TypeError:
        raise TypeError(f"can't convert np.ndarray of type numpy.{arr.dtype.type.__name__}. The only supported "
                        "types are: float64, float32, float16, int64, int32, int16, int8, uint8, and bool.") from None


def _infer_array(data, dtype=None):
    """Python data (nested lists, numbers, arrays, tensors) as a host array with PyTorch's dtype."""
    if isinstance(data, Tensor):
        return np.array(data._host())
    if isinstance(data, np.ndarray):
        _check_ndarray(data)
        return np.array(data)
    if isinstance(data, np.generic):
        if data.dtype.kind in "USa":
            raise TypeError(f"new(): invalid data type 'numpy.{type(data).__name__}'")
        _check_ndarray(np.asarray(data))
        return np.array(data)
    if hasattr(data, "__array__") and not isinstance(data, (list, tuple)):
        return _infer_array(np.asarray(data))
    typed = None  # tensors / NumPy scalars among the elements: their dtypes join the inference
    if isinstance(data, range) or (isinstance(data, Sequence) and not isinstance(data, (str, bytes, list, tuple))):
        data = list(data)  # PyTorch reads any sequence (range, deque ...), not only lists
    if isinstance(data, (list, tuple)):
        found = []
        data = _flatten_tensors(data, found)
        if found:
            typed = _leaf_dtype(data, dtype)
            data = _resolve_leaves(data, dtype or typed)
    elif not isinstance(data, (int, float, bool)) and not hasattr(data, "__array__"):
        _bad_leaf(data, None if isinstance(data, (str, bytes)) else dtype)  # a bare string: whatever the dtype
    try:
        arr = np.array(data)
    except (ValueError, TypeError):
        _check_nested(data)
        raise
    kind = arr.dtype.kind
    if kind in "OUS":
        _check_nested(data)
        bad = _first_bad_leaf(data)
        if kind != "O" or bad is not data:  # (an object array of plain numbers holds ints past int64)
            _bad_leaf(bad, dtype, nested=bad is _first_leaf(data))
    if kind == "c":
        raise TypeError("complex tensors are not supported")
    if arr.dtype == np.uint64 or kind == "O":
        # integers past int64: PyTorch reads them as doubles into a float (or bool) dtype, else refuses
        if dtype is None or not (dtype.is_floating_point or dtype is D.bool_):
            raise ValueError("Overflow when unpacking long long")
        arr = np.array(data, dtype=np.float64)
        kind = "f"
    if dtype is not None and not dtype.is_floating_point and dtype is not D.bool_ and kind in "iuf" and arr.size:
        _check_overflow(arr, dtype)
    if typed is not None and dtype is None and kind in "iufb":
        return arr.astype(typed.np)
    if kind == "f":
        # Python floats are doubles: with a dtype given they are rounded once, straight into it
        # (through the default float32 first, 0.3 would be 0.30000001192092896 as a float64)
        return arr if dtype is not None else arr.astype(D.get_default_dtype().np)
    if kind in "iu":
        return arr.astype(np.int64)
    return arr


def _check_overflow(arr, dtype, name=None):
    info = np.iinfo(dtype.np)
    lo = -info.max if info.min == 0 else info.min  # PyTorch lets negative values wrap into unsigned types
    # NaN compares false both ways: PyTorch refuses it (and the infinities) for integer dtypes
    if not (arr.min() >= lo and arr.max() <= info.max):
        raise RuntimeError(f"value cannot be converted to type {name or dtype.name} without overflow")


def _leaves(data):
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, (list, tuple)):
            stack.extend(item)
        else:
            yield item


def _leaf_dtype(data, dtype=None):
    """The dtype PyTorch infers for a list holding tensors or NumPy scalars: theirs, promoted with the
    others' (a Python float counts as the default dtype)."""
    result = None
    for leaf in _leaves(data):
        if isinstance(leaf, Tensor):
            d = leaf.dtype
        elif isinstance(leaf, np.generic):
            if leaf.dtype.kind not in "biuf":
                _bad_leaf(leaf, dtype, nested=True)
            _check_ndarray(np.asarray(leaf))
            d = D.from_numpy_dtype(leaf.dtype)
        else:
            d = D.scalar_dtype(leaf)
        result = d if result is None else D.promote_types(result, d)
    return result


def _check_leaf(leaf, target):
    """PyTorch converts each element into the result dtype on its own: through ``__float__`` for a
    float result, through ``__index__`` for an integer or bool one, which refuses multi-element and
    float tensors, and NumPy floats (and NumPy bools for integers)."""
    if isinstance(leaf, Tensor):
        if target.is_floating_point:
            if leaf.numel() != 1:
                raise ValueError("only one element tensors can be converted to Python scalars")
        elif leaf.numel() != 1 or leaf.dtype.is_floating_point:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return leaf.item()
    if not target.is_floating_point and isinstance(leaf, np.generic) and (
            leaf.dtype.kind == "f" or (leaf.dtype.kind == "b" and target is not D.bool_)):
        raise TypeError(f"'numpy.{type(leaf).__name__}' object cannot be interpreted as an integer")
    return leaf


def _resolve_leaves(data, target):
    return [_resolve_leaves(item, target) if isinstance(item, (list, tuple)) else _check_leaf(item, target)
            for item in data]


def _bad_leaf(leaf, dtype=None, nested=False):
    cls = type(leaf)
    name = cls.__name__ if cls.__module__ == "builtins" else f"{cls.__module__}.{cls.__name__}"
    if isinstance(leaf, (str, bytes)) and nested:
        # a string as the first element reads as one more dimension (PyTorch sizes the result from the
        # first elements); elsewhere it is refused as a value
        raise ValueError(f"too many dimensions '{type(leaf).__name__}'")
    if isinstance(leaf, (str, bytes)) and dtype is None:
        raise TypeError(f"new(): invalid data type '{name}'")
    if dtype is not None:  # with a dtype given, PyTorch converts each element straight into it
        if dtype.is_floating_point:
            raise TypeError(f"must be real number, not {name}")
        raise TypeError(f"'{name}' object cannot be interpreted as an integer")
    raise RuntimeError(f"Could not infer dtype of {name}")


def _first_bad_leaf(data):
    for leaf in _leaves(data):
        if not isinstance(leaf, (int, float, bool, np.generic)):
            return leaf
    return data


def _check_nested(data):
    """PyTorch's error for ragged nested sequences."""
    sizes = []
    d = data
    while isinstance(d, (list, tuple)):
        sizes.append(len(d))
        if not d:
            break
        d = d[0]

    def walk(item, dim):
        if dim == len(sizes):
            if isinstance(item, (list, tuple)):
                raise TypeError(f"'{type(item).__name__}' object cannot be interpreted as an integer")
            return
        if not isinstance(item, (list, tuple)):
            raise TypeError("not a sequence")
        if len(item) != sizes[dim]:
            raise ValueError(f"expected sequence of length {sizes[dim]} at dim {dim} (got {len(item)})")
        for sub in item:
            walk(sub, dim + 1)

    walk(data, 0)


def _first_leaf(data):
    while isinstance(data, (list, tuple)) and data:
        data = data[0]
    return data


def _flatten_tensors(data, found=None):
    """Nested lists copied (sequences become lists); ``found`` collects the tensors and NumPy scalars
    met, whose dtypes join the inference. Without ``found``, tensors are replaced by their values."""
    out = []
    for item in data:
        cls = item.__class__
        if cls is int or cls is float or cls is bool:
            out.append(item)
        elif cls is list or cls is tuple or isinstance(item, (list, tuple)):
            out.append(_flatten_tensors(item, found))
        elif isinstance(item, Tensor):
            if found is None:
                out.append(_check_leaf(item, D.get_default_dtype()))
            else:  # kept: its dtype joins the inference (see _resolve_leaves)
                found.append(item)
                out.append(item)
        else:
            if found is not None and isinstance(item, np.generic):
                found.append(item)
            out.append(item)
    return out


def tensor(data, *, dtype=None, device=None, requires_grad=False, pin_memory=False):
    """A new tensor holding a copy of ``data``.

    >>> import lanterna as torch
    >>> torch.tensor([[1., 2.], [3., 4.]])
    tensor([[1., 2.],
            [3., 4.]])
    >>> torch.tensor([1, 2]).dtype
    torch.int64
    """
    if isinstance(data, Tensor):
        import warnings

        warnings.warn("To copy construct from a tensor, it is recommended to use sourceTensor.detach().clone() or "
                      "sourceTensor.detach().clone().requires_grad_(True), rather than torch.tensor(sourceTensor).",
                      UserWarning, stacklevel=2)
    try:
        arr = _infer_array(data, dtype)
    except AttributeError:  # checked only on failure: ``dtype="float"`` has no dtype attributes
        if dtype is not None and not isinstance(dtype, D.dtype):
            raise TypeError(f"tensor(): argument 'dtype' must be torch.dtype, not {type(dtype).__name__}") from None
        raise
    if isinstance(data, Tensor) and device is None:
        device = data.device
    t = _place(arr, device, dtype)
    if requires_grad:
        _require_grad(t)
    return t


def _require_grad(t):
    if not t.dtype.is_floating_point:
        raise RuntimeError("Only Tensors of floating point and complex dtype can require gradients")
    return t.requires_grad_(True)


def as_tensor(data, dtype=None, device=None):
    if isinstance(data, Tensor):
        return data.to(dtype=dtype, device=device) if (dtype or device) else data
    if isinstance(data, np.ndarray) and (device is None or Device(device).type == "cpu"):
        t = from_numpy(data)
        return t.to(dtype) if dtype is not None else t
    return tensor(data, dtype=dtype, device=device)


asarray = as_tensor


def from_numpy(ndarray):
    """A tensor sharing memory with a NumPy array.

    >>> import numpy as np, lanterna as torch
    >>> a = np.zeros(2, dtype=np.float32); t = torch.from_numpy(a); a[0] = 5
    >>> t
    tensor([5., 0.])
    """
    if not isinstance(ndarray, np.ndarray):
        cls = type(ndarray)
        name = cls.__name__ if cls.__module__ == "builtins" else f"{cls.__module__}.{cls.__name__}"
        raise TypeError(f"expected np.ndarray (got {name})")
    _check_ndarray(ndarray)
    return _make(ndarray, REGISTRY.backends["cpu"], CPU)


def _size(size, name="empty"):
    """A shape from ``f(2, 3)``, ``f((2, 3))``, ``f([2, 3])`` or ``f(torch.Size(...))``, checked."""
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    out = []
    for i, s in enumerate(size):
        if s.__class__ is int and s >= 0:  # the common case, first
            out.append(s)
            continue
        if isinstance(s, Tensor) and s.dim() == 0 and not s.dtype.is_floating_point and s.dtype is not D.bool_:
            s = int(s)  # 0-d integer tensors count as ints (float, bool and 1-d ones are refused)
        if not isinstance(s, numbers.Integral) or s.__class__ is bool or isinstance(s, np.bool_):
            if len(size) == 1:
                raise TypeError(f"{name}(): argument 'size' (position 1) must be tuple of ints, not "
                                f"{type(s).__name__}")  # (torch.Size, tuple and list were unpacked above)
            raise TypeError(f"{name}(): argument 'size' failed to unpack the object at pos {i + 1} with error "
                            f"\"type must be tuple of ints,but got {type(s).__name__}\"")
        if s < 0:
            if name == "zeros":
                raise RuntimeError("zeros: Dimension size must be non-negative.")
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: {[int(v) for v in size]}")
        out.append(int(s))
    return tuple(out)


def _filled(fill, size, dtype, device, requires_grad):
    dtype = dtype or D.get_default_dtype()
    if device is None:
        device = DEFAULT_DEVICE[0]
    if device is None or Device(device).type == "cpu":
        arr = np.full(size, fill, dtype=dtype.np) if fill is not None else np.empty(size, dtype=dtype.np)
        t = _make(arr, REGISTRY.backends["cpu"], CPU)
    else:
        dev = Device(device)
        backend = get_backend(dev.type)
        index = dev.index if dev.index is not None else backend.current_device()
        _ = backend.xp  # fails early, with the reason, if the device is unavailable
        arr = backend.full(size, 0 if fill is None else fill, dtype, index)
        t = _make(arr, backend, Device(dev.type, index) if not backend.indexless else dev)
    if requires_grad:
        _require_grad(t)
    return t


def _out_dtype(out, dtype):
    """With ``out=``, the result takes ``out``'s dtype unless one is given."""
    return out.dtype if dtype is None and out is not None else dtype


def _to_out(result, out):
    """``out=``: the result written into ``out`` (resized to it), which is returned."""
    if out is None:
        return result
    if out.dtype is not result.dtype:
        raise RuntimeError(f"Expected out tensor to have dtype {result.dtype}, but got {out.dtype} instead")
    if out.shape != result.shape:
        out.resize_(result.shape)
    out.copy_(result)
    return out


def zeros(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False, pin_memory=False):
    if out is not None:
        return _to_out(_filled(0, _size(size, "zeros"), _out_dtype(out, dtype), device, requires_grad), out)
    return _filled(0, _size(size, "zeros"), dtype, device, requires_grad)


def ones(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False, pin_memory=False):
    if out is not None:
        return _to_out(_filled(1, _size(size, "ones"), _out_dtype(out, dtype), device, requires_grad), out)
    return _filled(1, _size(size, "ones"), dtype, device, requires_grad)


def empty(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False, pin_memory=False,
          memory_format=None):
    if out is not None:
        return _to_out(_filled(0, _size(size), _out_dtype(out, dtype), device, requires_grad), out)
    return _filled(0, _size(size), dtype, device, requires_grad)


def _fill_scalar(fill_value, name):
    """``full``'s fill value as a Python number (a one-element tensor gives its value, whose Python
    type then picks the dtype: PyTorch reads it as a Scalar)."""
    if isinstance(fill_value, Tensor):
        if fill_value.numel() != 1:
            raise TypeError(f"{name}(): argument 'fill_value' (position 2) must be Number, not Tensor")
        return fill_value.item()
    if isinstance(fill_value, np.generic):
        return fill_value.item()
    if not isinstance(fill_value, (numbers.Number)):
        raise TypeError(f"{name}(): argument 'fill_value' (position 2) must be Number, not "
                        f"{type(fill_value).__name__}")
    return fill_value


def _check_fill(fill_value, dtype):
    """PyTorch's overflow check on the fill value (negative ints wrap into unsigned types)."""
    if dtype is D.bool_ or isinstance(fill_value, complex):
        return
    if dtype.is_floating_point:
        v = float(fill_value)
        if dtype is D.float64 or -65504.0 <= v <= 65504.0:  # (within every float dtype's range)
            return
        with np.errstate(over="ignore"):
            if math.isfinite(v) and math.isinf(np.array(v).astype(dtype.np)):  # finite, but rounds to inf
                raise RuntimeError(f"value cannot be converted to type {D.cpp_name(dtype)} without overflow")
        return
    info = np.iinfo(dtype.np)
    lo = -info.max - 1 if info.min == 0 else info.min
    if isinstance(fill_value, float) and not math.isfinite(fill_value) or not lo <= fill_value <= info.max:
        name = {"int32": "int"}.get(dtype.name, f"{dtype.name}_t")
        raise RuntimeError(f"value cannot be converted to type {name} without overflow")


def full(size, fill_value, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    if isinstance(size, int):
        raise TypeError(f"full(): argument 'size' (position 1) must be tuple of ints, not {type(size).__name__}")
    fill_value = _fill_scalar(fill_value, "full")
    dtype = _out_dtype(out, dtype)
    if dtype is None:
        dtype = D.scalar_dtype(fill_value)
    _check_fill(fill_value, dtype)
    if not dtype.is_floating_point and dtype is not D.bool_ and fill_value < 0:
        fill_value = int(fill_value) % (1 << (8 * np.dtype(dtype.np).itemsize)) if np.iinfo(dtype.np).min == 0 \
            else fill_value  # -1 into uint8 is 255, as in PyTorch
    return _to_out(_filled(fill_value, _size((tuple(size),), "full"), dtype, device, requires_grad), out)


def _like(t, dtype, device):
    return dtype or t.dtype, device or t.device


def zeros_like(input, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None):
    if not isinstance(input, Tensor):
        raise not_a_tensor("zeros_like", input)
    d, dev = _like(input, dtype, device)
    return _filled(0, input._data.shape, d, dev, requires_grad)


def ones_like(input, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None):
    if not isinstance(input, Tensor):
        raise not_a_tensor("ones_like", input)
    d, dev = _like(input, dtype, device)
    return _filled(1, input._data.shape, d, dev, requires_grad)


def empty_like(input, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None):
    if not isinstance(input, Tensor):
        raise not_a_tensor("empty_like", input)
    d, dev = _like(input, dtype, device)
    return _filled(0, input._data.shape, d, dev, requires_grad)


def full_like(input, fill_value, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None):
    if not isinstance(input, Tensor):
        raise not_a_tensor("full_like", input)
    d, dev = _like(input, dtype, device)
    return _filled(fill_value, input._data.shape, d, dev, requires_grad)


def eye(n, m=None, *, dtype=None, device=None, requires_grad=False, out=None, layout=None):
    """The identity matrix (``n x m``)."""
    for name, v in (("n", n), ("m", m)):
        if name == "m" and v is None:
            continue
        if isinstance(v, Tensor) and v.dim() == 0 and not v.dtype.is_floating_point:
            v = int(v)
        if not isinstance(v, numbers.Integral) or isinstance(v, bool):
            raise TypeError(f"eye(): argument '{name}' (position {1 if name == 'n' else 2}) must be int, not "
                            f"{type(v).__name__}")
        if v < 0:
            raise RuntimeError(f"{name} must be greater or equal to 0, got {v}")
    dtype = _out_dtype(out, dtype) or D.get_default_dtype()
    t = _place(np.eye(int(n), int(m) if m is not None else int(n), dtype=dtype.np), device)
    return _to_out(_require_grad(t) if requires_grad else t, out)


def _not_implemented(name, dtype):
    if isinstance(dtype, D.UnsupportedDtype):
        dtype.np  # a dtype Lanterna only names (bfloat16, complex, uint16 ...): its TypeError says so
    raise NotImplementedError(f"\"{name}\" not implemented for '{_scalar_name(dtype)}'")


def _scalar_name(dtype):
    """PyTorch's C++ name of ``dtype`` in its messages (``Long``, ``Float`` ...)."""
    from .reduce import legacy_scalar_name  # (reduce loads after creation)

    return legacy_scalar_name(dtype)


def arange(start, end=None, step=1, *, dtype=None, device=None, requires_grad=False, out=None):
    if end is None:
        start, end = 0, start
    vals = [v.item() if isinstance(v, Tensor) else v for v in (start, end, step)]
    start, end, step = vals
    if step == 0:
        raise RuntimeError("step must be nonzero")
    dtype = _out_dtype(out, dtype)
    if dtype is None:
        dtype = D.get_default_dtype() if any(isinstance(v, float) for v in vals) else D.int64
    if dtype is D.bool_:
        _not_implemented("arange_cpu", dtype)
    if not (math.isfinite(start) and math.isfinite(end)):
        raise RuntimeError(f"unsupported range: {start:g} -> {end:g}")
    if dtype.is_floating_point:
        if (end - start) * step < 0 and end != start:
            raise RuntimeError("upper bound and lower bound inconsistent with step sign")
        n = max(math.ceil((end - start) / step), 0)  # in double, as PyTorch sizes it
        arr = (start + step * np.arange(n, dtype=np.float64)).astype(dtype.np)
    else:
        # integer dtypes: PyTorch truncates start, end and step to integers first (a step that
        # truncates to 0 is a ValueError); int64 sizes the result in integers, the others in double
        xs, xe, xst = int(start), int(end), int(step)
        if xst == 0:
            raise ValueError("step must be nonzero")
        if not ((xst > 0 and xe >= xs) or (xst < 0 and xe <= xs)):
            raise RuntimeError("upper bound and lower bound inconsistent with step sign")
        if dtype is D.int64:
            sgn = 1 if xst > 0 else -1
            n = abs(xe - xs + xst - sgn) // abs(xst)
        else:
            n = max(math.ceil((float(end) - float(start)) / float(step)), 0)
        arr = np.arange(xs, xs + n * xst, xst, dtype=np.int64)[:n]
        if dtype is not D.int64:
            arr = arr.astype(dtype.np)
    t = _place(arr, device)
    return _to_out(_require_grad(t) if requires_grad else t, out)


def range_(start=0, end=None, step=1, *, dtype=None, device=None, requires_grad=False, out=None):
    """``torch.range`` (deprecated): like ``arange`` but including ``end``, in the default dtype."""
    import warnings

    warnings.warn("torch.range is deprecated and will be removed in a future release because its behavior is "
                  "inconsistent with Python's range builtin. Instead, use torch.arange, which produces values in "
                  "[start, end).", UserWarning, stacklevel=2)
    if end is None:
        raise TypeError('range() missing 1 required positional arguments: "end"')
    start, end, step = (v.item() if isinstance(v, Tensor) else v for v in (start, end, step))
    dtype = _out_dtype(out, dtype) or D.get_default_dtype()
    if dtype is D.bool_:
        _not_implemented("range_cpu", dtype)
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if (end - start) * step < 0:
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")
    n = int(math.floor((end - start) / step)) + 1  # PyTorch: size = floor((end - start) / step) + 1
    arr = (start + step * np.arange(n, dtype=np.float64)).astype(dtype.np)
    t = _place(arr, device)
    return _to_out(_require_grad(t) if requires_grad else t, out)


def _fma(a, b, c, np_dtype):
    """``a * b + c`` rounded once into ``np_dtype`` (PyTorch's linspace kernel is compiled with
    contraction to fused multiply-adds); extended precision keeps the product exact."""
    ld = np.longdouble
    return (ld(a) * np.asarray(b, dtype=ld) + ld(c)).astype(np_dtype)


def _steps_arg(steps, name):
    if isinstance(steps, Tensor) and steps.dim() == 0 and not steps.dtype.is_floating_point:
        steps = int(steps)
    if not isinstance(steps, numbers.Integral) or isinstance(steps, bool):
        raise TypeError(f"{name}(): argument 'steps' (position 3) must be int, not {type(steps).__name__}")
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    return int(steps)


def _linspace_host(start, end, steps, dtype):
    """PyTorch's CPU linspace: the step is computed in the result dtype (in double for integer
    dtypes), the first half counts up from ``start`` and the second half down from ``end``, each
    element rounded once (``start + step * i`` / ``end - step * (steps - 1 - i)`` fused)."""
    start, end = (v.item() if isinstance(v, Tensor) else v for v in (start, end))
    if steps == 0:
        return np.empty(0, dtype=dtype.np)
    if steps == 1:
        return np.array([start], dtype=np.float64).astype(dtype.np)
    i = np.arange(steps, dtype=np.int64)
    half = steps // 2
    if dtype.is_floating_point:
        t = dtype.np.type
        s, e = np.array(start).astype(t), np.array(end).astype(t)
        if t == np.float16:  # c10::Half arithmetic rounds every operation (through float)
            step = np.float16(np.float32(np.float16(np.float32(e) - np.float32(s))) / np.float32(steps - 1))
            up = (np.float32(s) + (np.float32(step) * i.astype(np.float32)).astype(np.float16)).astype(np.float16)
            down = (np.float32(e) - (np.float32(step) * (steps - 1 - i).astype(np.float32)).astype(np.float16))
            return np.where(i < half, up, down.astype(np.float16))
        step = t((e - s) / t(steps - 1))
        return np.concatenate([_fma(step, i[:half], s, t), _fma(-step, steps - 1 - i[half:], e, t)])
    s, e = int(start), int(end)  # integer dtypes: the ends truncated, the step in double
    step = (float(e) - float(s)) / (steps - 1)
    vals = np.concatenate([_fma(step, i[:half], s, np.float64), _fma(-step, steps - 1 - i[half:], e, np.float64)])
    return np.trunc(vals).astype(dtype.np)


def linspace(start, end, steps, *, dtype=None, device=None, requires_grad=False, out=None):
    steps = _steps_arg(steps, "linspace")
    dtype = _out_dtype(out, dtype) or D.get_default_dtype()
    if dtype is D.bool_:
        _not_implemented("linspace_cpu", dtype)
    t = _place(_linspace_host(start, end, steps, dtype), device)
    return _to_out(_require_grad(t) if requires_grad else t, out)


def logspace(start, end, steps, base=10.0, *, dtype=None, device=None, requires_grad=False, out=None):
    steps = _steps_arg(steps, "logspace")
    dtype = _out_dtype(out, dtype) or D.get_default_dtype()
    if dtype is D.bool_:
        _not_implemented("logspace_cpu", dtype)
    exps = _linspace_host(start, end, steps, D.float64)
    t = _place((base**exps).astype(dtype.np), device)
    return _to_out(_require_grad(t) if requires_grad else t, out)


# ---- random ---------------------------------------------------------------------------------
def _gen_and_place(generator, device):
    """The generator to draw from and where the result goes."""
    if generator is not None:
        return generator._impl, generator.device if device is None else Device(device)
    if device is None:
        device = DEFAULT_DEVICE[0]
    dev = CPU if device is None else Device(device)
    backend = get_backend(dev.type)
    index = dev.index if dev.index is not None else (0 if dev.type == "cpu" else backend.current_device())
    return backend.generator(index), dev


def _random_tensor(draw, device, generator, dtype, requires_grad):
    gen, dev = _gen_and_place(generator, device)
    arr = draw(gen)
    backend = get_backend(dev.type)
    if dev.type == "cpu":
        t = _make(arr, backend, CPU)
    else:
        index = dev.index if dev.index is not None else backend.current_device()
        if not _is_device_array(arr, backend):
            arr = backend.from_numpy(arr, index)
        t = _make(arr, backend, Device(dev.type, index))
    if requires_grad:
        _require_grad(t)
    return t


def _is_device_array(arr, backend):
    return not isinstance(arr, np.ndarray)


_CPP_NAMES = {"uint8": "unsigned char", "int8": "signed char", "int16": "short int", "int32": "int",
              "int64": "long int", "bool": "bool", "float16": "c10::Half", "float32": "float", "float64": "double"}


def _random_out_dtype(out, dtype, default):
    """The result dtype of a random creation function: ``dtype``, else ``out``'s, else ``default``;
    a ``dtype`` that differs from ``out``'s is refused, as PyTorch does."""
    if out is not None and dtype is not None and dtype is not out.dtype:
        raise RuntimeError(f"dtype {_scalar_name(dtype)} does not match dtype of out parameter "
                           f"({_scalar_name(out.dtype)})")
    return dtype or (out.dtype if out is not None else default)


def _type_names(args, kwargs):
    names = [type(a).__name__ if not isinstance(a, Tensor) else "Tensor" for a in args]
    names += [f"{k}={type(v).__name__ if not isinstance(v, Tensor) else 'Tensor'}" for k, v in sorted(kwargs.items())]
    return ", ".join(names)


def _invalid_combination(name, args, kwargs=None):
    raise TypeError(f"{name}() received an invalid combination of arguments - got ({_type_names(args, kwargs or {})}), "
                    "but expected one of:")


def _int_arg(v, fn, name, pos):
    """An ``int`` argument as PyTorch's parser reads it (0-d integer tensors count)."""
    if isinstance(v, Tensor) and v.dim() == 0 and not v.dtype.is_floating_point and v.dtype is not D.bool_:
        return int(v)
    if not isinstance(v, numbers.Integral) or isinstance(v, (bool, np.bool_)):
        raise TypeError(f"{fn}(): argument '{name}' (position {pos}) must be int, not {type(v).__name__}")
    return int(v)


def _check_random_bounds(low, high, dtype):
    """``check_from_to_in_range``: ``from`` and ``to - 1`` must fit the dtype."""
    if dtype.is_floating_point:
        lo, hi = float(np.finfo(dtype.np).min), float(np.finfo(dtype.np).max)
    elif dtype is D.bool_:
        lo, hi = 0, 1
    else:
        info = np.iinfo(dtype.np)
        lo, hi = int(info.min), int(info.max)
    for v, what in ((low, "from"), (high - 1, "to - 1")):
        if not lo <= v <= hi:
            raise RuntimeError(f"{what} is out of bounds for {_CPP_NAMES[dtype.name]}")


def _random_size(fn, size, kw_size):
    if kw_size is not None:
        if size:
            _invalid_combination(fn, size, {"size": kw_size})
        size = (kw_size,)
    elif not size:
        _invalid_combination(fn, ())
    return _size(size, fn)


def _float_kernel(dtype, kernel):
    if not dtype.is_floating_point:
        _not_implemented(kernel, dtype)


def rand(*size, generator=None, dtype=None, device=None, requires_grad=False, out=None, layout=None,
         pin_memory=False, **kwargs):
    shape = _random_size("rand", size, _size_kw("rand", kwargs))
    dtype = _random_out_dtype(out, dtype, D.get_default_dtype())
    _float_kernel(dtype, "check_uniform_bounds")
    t = _random_tensor(lambda g: g.uniform(shape, dtype.np), device, generator, dtype, requires_grad)
    return _to_out(t, out)


def randn(*size, generator=None, dtype=None, device=None, requires_grad=False, out=None, layout=None,
          pin_memory=False, **kwargs):
    shape = _random_size("randn", size, _size_kw("randn", kwargs))
    dtype = _random_out_dtype(out, dtype, D.get_default_dtype())
    _float_kernel(dtype, "normal_kernel_cpu")
    t = _random_tensor(lambda g: g.normal(shape, dtype.np), device, generator, dtype, requires_grad)
    return _to_out(t, out)


def _size_kw(fn, kwargs):
    size = kwargs.pop("size", None)
    if kwargs:
        raise TypeError(f"{fn}() got an unexpected keyword argument '{next(iter(kwargs))}'")
    return size


_MISSING = object()


def randint(*args, generator=None, dtype=None, device=None, requires_grad=False, out=None, layout=None,
            pin_memory=False, **kwargs):
    """``randint(high, size)`` or ``randint(low, high, size)``, as PyTorch's parser reads them."""
    given = len(args) + len(kwargs)
    names = ("low", "high", "size") if given == 3 else ("high", "size")
    if set(kwargs) - set(names) or given not in (2, 3) or any(n in kwargs for n in names[:len(args)]):
        _invalid_combination("randint", args, kwargs)
    vals = dict(zip(names, args), **kwargs)
    low, high, size = vals.get("low", 0), vals["high"], vals["size"]
    pos = {n: i + 1 for i, n in enumerate(names)}
    if any(isinstance(v, float) for v in (low, high)) and given == 3:
        _invalid_combination("randint", args, kwargs)  # (no overload takes a float bound)
    if not isinstance(size, (tuple, list)):
        raise TypeError(f"randint(): argument 'size' (position {pos['size']}) must be tuple of ints, not "
                        f"{type(size).__name__}")
    low = _int_arg(low, "randint", "low", 1)
    high = _int_arg(high, "randint", "high", pos["high"])
    shape = _size((tuple(size),), "randint")
    dtype = _random_out_dtype(out, dtype, D.int64)
    if low >= high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")
    _check_random_bounds(low, high, dtype)
    t = _random_tensor(lambda g: g.random_int(shape, low, high, dtype.np), device, generator, dtype,
                       requires_grad)
    return _to_out(t, out)


def rand_like(input, *, dtype=None, device=None, requires_grad=False, generator=None, layout=None,
              pin_memory=False, memory_format=None):
    if not isinstance(input, Tensor):
        raise not_a_tensor("rand_like", input)
    d, dev = _like(input, dtype, device)
    return rand(input.shape, dtype=d, device=dev, requires_grad=requires_grad, generator=generator)


def randn_like(input, *, dtype=None, device=None, requires_grad=False, generator=None, layout=None,
               pin_memory=False, memory_format=None):
    if not isinstance(input, Tensor):
        raise not_a_tensor("randn_like", input)
    d, dev = _like(input, dtype, device)
    return randn(input.shape, dtype=d, device=dev, requires_grad=requires_grad, generator=generator)


def randint_like(input, low=0, high=None, *, dtype=None, device=None, requires_grad=False, generator=None,
                 layout=None, pin_memory=False, memory_format=None):
    if high is None:
        low, high = 0, low
    if isinstance(low, float) or isinstance(high, float):
        _invalid_combination("randint_like", (input, low, high) if low else (input, high))
    d, dev = _like(input, dtype, device)
    return randint(low, high, input.shape, dtype=d, device=dev, generator=generator, requires_grad=requires_grad)


def randperm(n, *, generator=None, dtype=None, device=None, requires_grad=False, out=None, layout=None,
             pin_memory=False):
    n = _int_arg(n, "randperm", "n", 1)
    if n < 0:
        raise RuntimeError(f"Trying to create tensor with negative dimension {n}: [{n}]")
    dtype = _random_out_dtype(out, dtype, D.int64)
    if dtype is D.bool_:
        _not_implemented("randperm", dtype)
    if dtype.is_floating_point:
        digits = {"float16": 11, "float32": 24, "float64": 53}[dtype.name]
        if n > (1 << digits) + 1:
            kind = {"float16": "Half", "float32": "Float", "float64": "Double"}[dtype.name]
            bound = f"2^{digits}+1" if digits != 11 else str((1 << digits) + 1)
            raise RuntimeError(f"n cannot be greater than {bound} for {kind} type.")
    elif n > 0 and n - 1 > np.iinfo(dtype.np).max:
        raise RuntimeError(f"value cannot be converted to type {dtype.np.name}_t without overflow")
    t = _random_tensor(lambda g: g.randperm(n, dtype.np), device, generator, dtype, requires_grad)
    return _to_out(t, out)


def _fmt(v):
    """A double as C++'s ``operator<<`` writes it (six significant digits)."""
    return f"{v:g}"


def normal(mean=0.0, std=1.0, size=None, *, generator=None, dtype=None, device=None, requires_grad=False,
           out=None, layout=None, pin_memory=False):
    if isinstance(mean, Tensor) or isinstance(std, Tensor):
        if size is not None:
            _invalid_combination("normal", (mean, std, size))
        ref = mean if isinstance(mean, Tensor) else std
        for t in (mean, std):
            if isinstance(t, Tensor) and not t.dtype.is_floating_point:
                _not_implemented("normal_kernel_cpu", t.dtype)
        if isinstance(std, Tensor):
            if bool((~(std >= 0)).any()):
                raise RuntimeError("normal expects all elements of std >= 0.0")
        elif not std >= 0:
            raise RuntimeError(f"normal expects std >= 0.0, but found std {_fmt(std)}")
        a = tuple(mean.shape) if isinstance(mean, Tensor) else ()
        b = tuple(std.shape) if isinstance(std, Tensor) else ()
        n = max(len(a), len(b))
        a, b = (1,) * (n - len(a)) + a, (1,) * (n - len(b)) + b
        for i, (x, y) in enumerate(zip(a, b)):
            if x != y and x != 1 and y != 1:
                raise RuntimeError(f"The size of tensor a ({x}) must match the size of tensor b ({y}) at "
                                   f"non-singleton dimension {i}")
        shape = tuple(max(x, y) if 0 not in (x, y) else 0 for x, y in zip(a, b))
        noise = randn(shape, dtype=ref.dtype, device=ref.device, generator=generator)
        result = noise * std + mean
        if out is not None and tuple(out.shape) != tuple(result.shape) and out.numel() != 0:
            _size_mismatch(result.shape, out.shape)
        return _to_out(result, out)
    if size is None:
        _invalid_combination("normal", (mean, std))
    if not isinstance(size, (tuple, list)):
        _invalid_combination("normal", (mean, std, size))
    dtype = _random_out_dtype(out, dtype, D.get_default_dtype())
    _float_kernel(dtype, "normal_kernel_cpu")
    if not std >= 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {_fmt(std)}")
    shape = _size((tuple(size),), "normal")
    t = _random_tensor(lambda g: g.normal(shape, dtype.np, mean, std), device, generator, dtype, requires_grad)
    return _to_out(t, out)


def _size_mismatch(a, b):
    n = max(len(a), len(b))
    a, b = (1,) * (n - len(a)) + tuple(a), (1,) * (n - len(b)) + tuple(b)
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            raise RuntimeError(f"The size of tensor a ({x}) must match the size of tensor b ({y}) at "
                               f"non-singleton dimension {i}")


def bernoulli(input, p=None, *, generator=None, out=None):
    if p is None:
        if not input.dtype.is_floating_point:
            _not_implemented("bernoulli_tensor_cpu_p_", input.dtype)
        if input.numel() and not bool(((input >= 0) & (input <= 1)).all()):
            raise RuntimeError("Expected p_in >= 0 && p_in <= 1 to be true, but got false.  (Could this error "
                               "message be improved?  If so, please report an enhancement request to PyTorch.)")
    elif not isinstance(p, Tensor) and not 0 <= p <= 1:
        raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={_fmt(p)}")
    probs = input if p is None else input.new_full(input.shape, p)
    gen, _ = _gen_and_place(generator, input.device)
    arr = gen.bernoulli(probs._host(), input.shape, probs.dtype.np)  # (host probabilities, NumPy dtype)
    if isinstance(arr, np.ndarray):  # a host draw: moved to the input's device
        result = _place(arr, input.device)
    else:
        result = _make(arr, input._backend, input._device)
    if out is not None and out.dtype is not result.dtype:
        result = result.to(out.dtype)
    return _to_out(result, out)


def multinomial(input, num_samples, replacement=False, *, generator=None, out=None):
    num_samples = _int_arg(num_samples, "multinomial", "num_samples", 2)
    if input.dim() not in (1, 2):
        raise RuntimeError("prob_dist must be 1 or 2 dim")
    if not input.dtype.is_floating_point:
        raise RuntimeError(f"multinomial only supports floating-point dtypes for input, got: "
                           f"{_scalar_name(input.dtype)}")
    if out is not None and out.dtype is not D.int64:
        raise RuntimeError(f"multinomial expects Long tensor out, got: {_scalar_name(out.dtype)}")
    if num_samples <= 0:
        raise RuntimeError("cannot sample n_sample <= 0 samples")
    if not replacement and num_samples > input.shape[-1]:
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without replacement")
    host = np.asarray(input._host())
    if host.size:
        rows = np.atleast_2d(host).astype(np.float64)
        if not replacement or num_samples == 1:
            if not (rows.max() < np.inf and rows.min() >= 0):  # NaN fails both
                raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
            if (rows.sum(1) == 0).any():
                raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
        else:
            for row in rows:  # the kernel's checks, element by element
                for v in row:
                    if not v >= 0:
                        raise RuntimeError("invalid multinomial distribution (encountering probability entry < 0)")
                    if v == np.inf:
                        raise RuntimeError("invalid multinomial distribution (encountering probability entry = "
                                           "infinity or NaN)")
                if not row.sum() > 0:
                    raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
    gen, _ = _gen_and_place(generator, input.device)
    arr = gen.multinomial(host, num_samples, replacement)
    return _to_out(_place(np.asarray(arr, dtype=np.int64), input.device), out)


def poisson(input, generator=None):
    if not input.dtype.is_floating_point:
        _not_implemented("poisson_cpu", input.dtype)
    host = input._host()
    if host.size and not bool((host >= 0).all()):
        raise RuntimeError("invalid Poisson rate, expected rate to be non-negative")
    gen, _ = _gen_and_place(generator, input.device)
    rs = np.random.default_rng(int(gen.random_int((), 0, 2**31 - 1, np.int64)))
    return _place(rs.poisson(host).astype(input.dtype.np), input.device)


class Generator:
    """``torch.Generator``: an independent random stream (PyTorch's mt19937 on the CPU)."""

    def __init__(self, device="cpu"):
        self.device = Device(device)
        if self.device.type == "cpu":
            from .. import _rng

            self._impl = _rng.Generator()
        else:
            self._impl = get_backend(self.device.type).new_generator(self.device.index or 0)

    def manual_seed(self, seed):
        self._impl.manual_seed(int(seed))
        return self

    def seed(self):
        return self._impl.seed()

    def initial_seed(self):
        return self._impl.initial_seed()

    def get_state(self):
        return _place(np.asarray(self._impl.get_state(), dtype=np.uint8), None)

    def set_state(self, new_state):
        self._impl.set_state(np.asarray(new_state._host() if isinstance(new_state, Tensor) else new_state,
                                        dtype=np.uint8))
        return self


def _legacy_new(dtype, args, device=None):
    """``torch.Tensor(2, 3)``, ``torch.FloatTensor([1, 2])``, ``torch.LongTensor(size)``."""
    if len(args) == 0:
        return _place(np.empty((0,), dtype=dtype.np), device)
    from .._tensor import Size

    if len(args) == 1 and isinstance(args[0], Size):
        return _filled(0, _size(tuple(args[0])), dtype, device, False)
    if len(args) == 1 and not isinstance(args[0], numbers.Integral):
        data = args[0]
        if isinstance(data, Tensor):
            return data.to(dtype)
        if type(data).__name__ in ("TypedStorage", "UntypedStorage"):  # shares the storage's memory
            from .storage_api import tensor_on_storage

            return tensor_on_storage(data, dtype)
        if isinstance(data, np.ndarray):
            _check_ndarray(data)
        if isinstance(data, (list, tuple, np.ndarray)) or hasattr(data, "__array__"):
            return _place(np.array(_flatten_tensors(data) if isinstance(data, (list, tuple)) else data)
                          .astype(dtype.np), device)
        raise TypeError(f"new(): data must be a sequence (got {type(data).__name__})")
    return _filled(0, _size(args), dtype, device, False)
