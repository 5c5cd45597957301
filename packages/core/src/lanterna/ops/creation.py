"""Creating tensors: from data, filled, ranges, and random (through the device's generator)."""

from __future__ import annotations

import math
import numbers

import numpy as np

from .. import _dtype as D
from .._device import CPU, device as Device
from .._tensor import Tensor
from ..backends.registry import REGISTRY, get_backend

_make = Tensor._make


def _place(arr, device, dtype=None):
    """A host array as a tensor on ``device`` (default cpu)."""
    if dtype is not None and arr.dtype != dtype.np:
        arr = arr.astype(dtype.np)
    if device is None:
        return _make(arr, REGISTRY.backends["cpu"], CPU)
    dev = Device(device)
    if dev.type == "cpu":
        return _make(arr, REGISTRY.backends["cpu"], CPU)
    backend = get_backend(dev.type)
    index = dev.index if dev.index is not None else backend.current_device()
    return _make(backend.from_numpy(arr, index), backend, Device(dev.type, index))


def _infer_array(data):
    """Python data (nested lists, numbers, arrays, tensors) as a host array with PyTorch's dtype."""
    if isinstance(data, Tensor):
        return np.array(data._host())
    if isinstance(data, np.ndarray):
        D.from_numpy_dtype(data.dtype)  # rejects unsupported dtypes with PyTorch's message
        return np.array(data)
    if isinstance(data, np.generic):
        return np.array(data)
    if isinstance(data, (list, tuple)):
        data = _flatten_tensors(data)
    arr = np.array(data)
    kind = arr.dtype.kind
    if kind == "f":
        return arr.astype(D.get_default_dtype().np)
    if kind in "iu":
        return arr.astype(np.int64)
    if kind == "b":
        return arr
    if kind == "O" or kind == "U":
        raise TypeError(f"Could not infer dtype of {type(_first_leaf(data)).__name__}")
    if kind == "c":
        raise TypeError("complex tensors are not supported")
    return arr


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
    arr = _infer_array(data)
    if isinstance(data, Tensor) and device is None:
        device = data.device
    t = _place(arr, device, dtype)
    if requires_grad:
        t.requires_grad_(True)
    return t


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


def _size(size):
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    out = []
    for s in size:
        if isinstance(s, Tensor):
            s = int(s)
        if not isinstance(s, numbers.Integral):
            raise TypeError(f"size must contain only integers, got {type(s).__name__}")
        if s < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: {list(size)}")
        out.append(int(s))
    return tuple(out)


def _filled(fill, size, dtype, device, requires_grad):
    dtype = dtype or D.get_default_dtype()
    if device is None or Device(device).type == "cpu":
        arr = np.full(size, fill, dtype=dtype.np) if fill is not None else np.empty(size, dtype=dtype.np)
        t = _make(arr, REGISTRY.backends["cpu"], CPU)
    else:
        dev = Device(device)
        backend = get_backend(dev.type)
        index = dev.index if dev.index is not None else backend.current_device()
        xp = backend.xp
        arr = backend.full(size, 0 if fill is None else fill, dtype, index)
        t = _make(arr, backend, Device(dev.type, index) if not backend.indexless else dev)
    if requires_grad:
        t.requires_grad_(True)
    return t


def zeros(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False, pin_memory=False):
    return _filled(0, _size(size), dtype, device, requires_grad)


def ones(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False, pin_memory=False):
    return _filled(1, _size(size), dtype, device, requires_grad)


def empty(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False, pin_memory=False,
          memory_format=None):
    return _filled(0, _size(size), dtype, device, requires_grad)


def full(size, fill_value, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    if dtype is None:
        dtype = D.scalar_dtype(fill_value) if not isinstance(fill_value, Tensor) else fill_value.dtype
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    return _filled(fill_value, _size((size,) if isinstance(size, int) else (tuple(size),)), dtype, device,
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


def eye(n, m=None, *, dtype=None, device=None, requires_grad=False):
    t = _place(np.eye(n, m if m is not None else n, dtype=(dtype or D.get_default_dtype()).np), device)
    return t.requires_grad_(True) if requires_grad else t


def arange(start, end=None, step=1, *, dtype=None, device=None, requires_grad=False, out=None):
    if end is None:
        start, end = 0, start
    vals = [v.item() if isinstance(v, Tensor) else v for v in (start, end, step)]
    start, end, step = vals
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if (end - start) * step < 0 and end != start:
        raise RuntimeError("upper bound and larger bound inconsistent with step sign")
    if dtype is None:
        dtype = D.get_default_dtype() if any(isinstance(v, float) for v in vals) else D.int64
    n = max(math.ceil((end - start) / step), 0)
    if dtype.is_floating_point:
        arr = (start + step * np.arange(n, dtype=np.float64)).astype(dtype.np)
    else:
        arr = np.arange(start, start + n * step, step, dtype=np.int64)[:n].astype(dtype.np)
    t = _place(arr, device)
    return t.requires_grad_(True) if requires_grad else t


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
    return t.requires_grad_(True) if requires_grad else t


def logspace(start, end, steps, base=10.0, *, dtype=None, device=None, requires_grad=False):
    dtype = dtype or D.get_default_dtype()
    exps = linspace(start, end, steps, dtype=D.float64)._data
    t = _place((base**exps).astype(dtype.np), device)
    return t.requires_grad_(True) if requires_grad else t


# ---- random ---------------------------------------------------------------------------------
def _gen_and_place(generator, device):
    """The generator to draw from and where the result goes."""
    if generator is not None:
        return generator._impl, generator.device if device is None else Device(device)
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
        t.requires_grad_(True)
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
    arr = gen.bernoulli(probs._host() if input._device.type == "cpu" else probs._data, input.shape, probs._data.dtype)
    return _place(np.asarray(arr), input.device) if input._device.type == "cpu" else _make(arr, input._backend, input._device)


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
    return _place(rs.poisson(input._host()).astype(input._data.dtype), input.device)


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
    if len(args) == 1 and not isinstance(args[0], numbers.Integral):
        data = args[0]
        if isinstance(data, Tensor):
            return data.to(dtype)
        if isinstance(data, (list, tuple, np.ndarray)) or hasattr(data, "__array__"):
            return _place(np.array(_flatten_tensors(data) if isinstance(data, (list, tuple)) else data)
                          .astype(dtype.np), device)
        raise TypeError(f"new(): data must be a sequence (got {type(data).__name__})")
    return _filled(0, _size(args), dtype, device, False)
