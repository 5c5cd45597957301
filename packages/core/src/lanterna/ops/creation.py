"""Creating tensors: from data, filled, ranges, and random (through the device's generator)."""

from __future__ import annotations

import math
import numbers

from collections.abc import Sequence

import numpy as np

from .. import _dtype as D
from .._device import CPU, DEFAULT_DEVICE, device as Device
from .._tensor import Tensor
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


def _infer_array(data, dtype=None):
    """Python data (nested lists, numbers, arrays, tensors) as a host array with PyTorch's dtype."""
    if isinstance(data, Tensor):
        return np.array(data._host())
    if isinstance(data, np.ndarray):
        if data.dtype.kind in "USO":
            raise TypeError(f"can't convert np.ndarray of type numpy.{data.dtype.type.__name__}. The only "
                            "supported types are: float64, float32, float16, int64, int32, int16, int8, uint8, "
                            "and bool.")
        D.from_numpy_dtype(data.dtype)  # rejects unsupported dtypes with PyTorch's message
        return np.array(data)
    if isinstance(data, np.generic):
        return np.array(data)
    if hasattr(data, "__array__") and not isinstance(data, (list, tuple)):
        return _infer_array(np.asarray(data))
    np_leaf = False
    if isinstance(data, range) or (isinstance(data, Sequence) and not isinstance(data, (str, bytes, list, tuple))):
        data = list(data)  # PyTorch reads any sequence (range, deque ...), not only lists
    if isinstance(data, (list, tuple)):
        data = _flatten_tensors(data)
        np_leaf = isinstance(_first_leaf(data), np.generic)
    elif not isinstance(data, (int, float, bool)) and not hasattr(data, "__array__"):
        _bad_leaf(data)
    try:
        arr = np.array(data)
    except (ValueError, TypeError):
        _check_nested(data)
        raise
    kind = arr.dtype.kind
    if kind in "OUS":
        _check_nested(data)
        _bad_leaf(_first_bad_leaf(data))
    if kind == "c":
        raise TypeError("complex tensors are not supported")
    if arr.dtype == np.uint64:
        raise ValueError("Overflow when unpacking long long")
    if dtype is not None and not dtype.is_floating_point and dtype is not D.bool_ and kind in "iuf" and arr.size:
        _check_overflow(arr, dtype)
    if np_leaf and kind in "iufb":
        return arr.astype(_leaf_dtype(data).np)
    if kind == "f":
        # Python floats are doubles: with a dtype given they are rounded once, straight into it
        # (through the default float32 first, 0.3 would be 0.30000001192092896 as a float64)
        return arr if dtype is not None else arr.astype(D.get_default_dtype().np)
    if kind in "iu":
        return arr.astype(np.int64)
    return arr


def _check_overflow(arr, dtype):
    info = np.iinfo(dtype.np)
    lo = -info.max if info.min == 0 else info.min  # PyTorch lets negative values wrap into unsigned types
    if arr.min() < lo or arr.max() > info.max:
        raise RuntimeError(f"value cannot be converted to type {dtype.name} without overflow")


def _leaves(data):
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, (list, tuple)):
            stack.extend(item)
        else:
            yield item


def _leaf_dtype(data):
    """The dtype PyTorch infers for a list holding NumPy scalars: theirs, promoted with the others."""
    result = None
    for leaf in _leaves(data):
        if isinstance(leaf, np.generic):
            d = D.from_numpy_dtype(leaf.dtype)
        else:
            d = D.scalar_dtype(leaf)
        result = d if result is None else D.promote_types(result, d)
    return result


def _bad_leaf(leaf):
    if isinstance(leaf, (str, bytes)):
        raise TypeError(f"new(): invalid data type '{type(leaf).__name__}'")
    raise RuntimeError(f"Could not infer dtype of {type(leaf).__name__}")


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


def _flatten_tensors(data):
    """Replace tensors inside nested lists by Python numbers (as torch.tensor does)."""
    out = []
    for item in data:
        if isinstance(item, Tensor):
            if item.numel() != 1 and item.dim() > 0:
                out.append(_flatten_tensors(list(item.unbind(0))) if item.dim() > 0 else item.item())
            else:
                out.append(item.item())
        elif isinstance(item, (list, tuple)):
            out.append(_flatten_tensors(item))
        else:
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
    arr = _infer_array(data, dtype)
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
        raise TypeError(f"expected np.ndarray (got {type(ndarray).__name__})")
    D.from_numpy_dtype(ndarray.dtype)
    if not ndarray.dtype.isnative:
        raise ValueError("given numpy array has byte order different from the native byte order.")
    return _make(ndarray, REGISTRY.backends["cpu"], CPU)


def _size(size, name="empty"):
    """A shape from ``f(2, 3)``, ``f((2, 3))``, ``f([2, 3])`` or ``f(torch.Size(...))``, checked."""
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    out = []
    for i, s in enumerate(size):
        if isinstance(s, Tensor):
            s = int(s)
        if not isinstance(s, numbers.Integral):
            if len(size) == 1:
                raise TypeError(f"{name}(): argument 'size' (position 1) must be tuple of ints, not "
                                f"{type(s).__name__}")
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


def zeros(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False, pin_memory=False):
    return _filled(0, _size(size, "zeros"), dtype, device, requires_grad)


def ones(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False, pin_memory=False):
    return _filled(1, _size(size, "ones"), dtype, device, requires_grad)


def empty(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False, pin_memory=False,
          memory_format=None):
    return _filled(0, _size(size), dtype, device, requires_grad)


def full(size, fill_value, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    if dtype is None:
        dtype = D.scalar_dtype(fill_value) if not isinstance(fill_value, Tensor) else fill_value.dtype
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    return _filled(fill_value, _size((size,) if isinstance(size, int) else (tuple(size),), "full"), dtype, device,
                   requires_grad)


def _like(t, dtype, device):
    return dtype or t.dtype, device or t.device


def zeros_like(input, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None):
    d, dev = _like(input, dtype, device)
    return _filled(0, input._data.shape, d, dev, requires_grad)


def ones_like(input, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None):
    d, dev = _like(input, dtype, device)
    return _filled(1, input._data.shape, d, dev, requires_grad)


def empty_like(input, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None):
    d, dev = _like(input, dtype, device)
    return _filled(0, input._data.shape, d, dev, requires_grad)


def full_like(input, fill_value, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None):
    d, dev = _like(input, dtype, device)
    return _filled(fill_value, input._data.shape, d, dev, requires_grad)


def eye(n, m=None, *, dtype=None, device=None, requires_grad=False, out=None, layout=None):
    """The identity matrix (``n x m``)."""
    if n < 0:
        raise RuntimeError(f"n must be greater or equal to 0, got {n}")
    if m is not None and m < 0:
        raise RuntimeError(f"m must be greater or equal to 0, got {m}")
    t = _place(np.eye(n, m if m is not None else n, dtype=(dtype or D.get_default_dtype()).np), device)
    return _require_grad(t) if requires_grad else t


def arange(start, end=None, step=1, *, dtype=None, device=None, requires_grad=False, out=None):
    if end is None:
        start, end = 0, start
    vals = [v.item() if isinstance(v, Tensor) else v for v in (start, end, step)]
    start, end, step = vals
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if (end - start) * step < 0 and end != start:
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")
    if dtype is None:
        dtype = D.get_default_dtype() if any(isinstance(v, float) for v in vals) else D.int64
    n = max(math.ceil((end - start) / step), 0)
    if dtype.is_floating_point:
        arr = (start + step * np.arange(n, dtype=np.float64)).astype(dtype.np)
    else:
        arr = np.arange(start, start + n * step, step, dtype=np.int64)[:n].astype(dtype.np)
    t = _place(arr, device)
    return _require_grad(t) if requires_grad else t


def range_(start=0, end=None, step=1, *, dtype=None, device=None, requires_grad=False):
    if end is None:
        start, end = 0, start
    return arange(start, end + step * 0.5 if isinstance(end, float) or isinstance(step, float) else end + 1,
                  step, dtype=dtype or D.get_default_dtype(), device=device, requires_grad=requires_grad)


def linspace(start, end, steps, *, dtype=None, device=None, requires_grad=False, out=None):
    dtype = dtype or D.get_default_dtype()
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    # PyTorch fills the two halves from each end, which keeps the endpoints exact
    if steps == 1:
        arr = np.array([start], dtype=np.float64)
    else:
        step = (end - start) / (steps - 1)
        i = np.arange(steps, dtype=np.float64)
        half = steps // 2
        arr = np.where(i < half, start + step * i, end - step * (steps - 1 - i))
    if not dtype.is_floating_point:
        arr = np.trunc(arr) if False else arr
    t = _place(arr.astype(dtype.np), device)
    return _require_grad(t) if requires_grad else t


def logspace(start, end, steps, base=10.0, *, dtype=None, device=None, requires_grad=False):
    dtype = dtype or D.get_default_dtype()
    exps = linspace(start, end, steps, dtype=D.float64)._data
    t = _place((base**exps).astype(dtype.np), device)
    return _require_grad(t) if requires_grad else t


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


def rand(*size, generator=None, dtype=None, device=None, requires_grad=False, out=None, layout=None,
         pin_memory=False):
    dtype = dtype or D.get_default_dtype()
    shape = _size(size)
    return _random_tensor(lambda g: g.uniform(shape, dtype.np), device, generator, dtype, requires_grad)


def randn(*size, generator=None, dtype=None, device=None, requires_grad=False, out=None, layout=None,
          pin_memory=False):
    dtype = dtype or D.get_default_dtype()
    shape = _size(size)
    return _random_tensor(lambda g: g.normal(shape, dtype.np), device, generator, dtype, requires_grad)


def randint(low=0, high=None, size=None, *, generator=None, dtype=None, device=None, requires_grad=False,
            out=None):
    if size is None:  # randint(high, size)
        low, high, size = 0, low, high
    if high is None:
        raise TypeError("randint() missing required argument 'high'")
    if low >= high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")
    dtype = dtype or D.int64
    shape = _size((tuple(size),))
    return _random_tensor(lambda g: g.random_int(shape, low, high, dtype.np), device, generator, dtype,
                          requires_grad)


def rand_like(input, *, dtype=None, device=None, requires_grad=False, generator=None):
    d, dev = _like(input, dtype, device)
    return rand(input.shape, dtype=d, device=dev, requires_grad=requires_grad, generator=generator)


def randn_like(input, *, dtype=None, device=None, requires_grad=False, generator=None):
    d, dev = _like(input, dtype, device)
    return randn(input.shape, dtype=d, device=dev, requires_grad=requires_grad, generator=generator)


def randint_like(input, low=0, high=None, *, dtype=None, device=None, requires_grad=False, generator=None):
    if high is None:
        low, high = 0, low
    d, dev = _like(input, dtype, device)
    return randint(low, high, input.shape, dtype=d, device=dev, generator=generator)


def randperm(n, *, generator=None, dtype=None, device=None, requires_grad=False, out=None, layout=None,
             pin_memory=False):
    dtype = dtype or D.int64
    return _random_tensor(lambda g: g.randperm(n, dtype.np), device, generator, dtype, requires_grad)


def normal(mean=0.0, std=1.0, size=None, *, generator=None, dtype=None, device=None, requires_grad=False,
           out=None):
    if isinstance(mean, Tensor) or isinstance(std, Tensor):
        ref = mean if isinstance(mean, Tensor) else std
        shape = np.broadcast_shapes(tuple(mean.shape) if isinstance(mean, Tensor) else (),
                                    tuple(std.shape) if isinstance(std, Tensor) else ())
        noise = randn(shape, dtype=ref.dtype, device=ref.device, generator=generator)
        return noise * std + mean
    dtype = dtype or D.get_default_dtype()
    shape = _size((tuple(size),))
    return _random_tensor(lambda g: g.normal(shape, dtype.np, mean, std), device, generator, dtype, requires_grad)


def bernoulli(input, p=None, *, generator=None, out=None):
    probs = input if p is None else input.new_full(input.shape, p)
    gen, _ = _gen_and_place(generator, input.device)
    arr = gen.bernoulli(probs._host(), input.shape, probs.dtype.np)  # (host probabilities, NumPy dtype)
    if isinstance(arr, np.ndarray):  # a host draw: moved to the input's device
        return _place(arr, input.device)
    return _make(arr, input._backend, input._device)


def multinomial(input, num_samples, replacement=False, *, generator=None, out=None):
    if input.dim() not in (1, 2):
        raise RuntimeError("prob_dist must be 1 or 2 dim")
    if not replacement and num_samples > input.shape[-1]:
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without replacement")
    if bool((input < 0).any()):
        raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
    gen, _ = _gen_and_place(generator, input.device)
    arr = gen.multinomial(np.asarray(input._host()), num_samples, replacement)
    return _place(np.asarray(arr, dtype=np.int64), input.device)


def poisson(input, generator=None):
    gen, _ = _gen_and_place(generator, input.device)
    rs = np.random.default_rng(int(gen.random_int((), 0, 2**31 - 1, np.int64)))
    return _place(rs.poisson(input._host()).astype(input.dtype.np), input.device)


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
        if isinstance(data, (list, tuple, np.ndarray)) or hasattr(data, "__array__"):
            return _place(np.array(_flatten_tensors(data) if isinstance(data, (list, tuple)) else data)
                          .astype(dtype.np), device)
        raise TypeError(f"new(): data must be a sequence (got {type(data).__name__})")
    return _filled(0, _size(args), dtype, device, False)
