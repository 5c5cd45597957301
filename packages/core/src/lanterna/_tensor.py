"""The Tensor class: an array of a backend, plus the autograd bookkeeping around it.

Ops live in ``lanterna/ops/<family>.py`` and attach their methods to ``Tensor`` there; this file
holds what a tensor *is* (storage, dtype, device, grad state) and how it converts.
"""

from __future__ import annotations

import operator

import numpy as np

from . import _dtype as D
from ._naming import TorchNamedType
from ._device import CPU, device as Device
from .autograd.grad_mode import GRAD_ENABLED
from .backends.registry import REGISTRY, get_backend

_ndarray = np.ndarray
_np_generic = np.generic
_new = object.__new__


class _LegacyTensorMeta(TorchNamedType):
    """Lets ``isinstance(t, lanterna.FloatTensor)`` work as in PyTorch (dtype and device match)."""

    def __instancecheck__(cls, obj):
        want = cls.__dict__.get("_legacy_dtype")
        if want is None:  # Tensor itself
            return type.__instancecheck__(cls, obj)
        return isinstance(obj, Tensor) and obj.dtype is want and obj._device.type == cls._legacy_device


# Only the legacy classes carry the custom isinstance check: with it on Tensor itself, every
# isinstance(x, Tensor) of a subclass (nn.Parameter) or a number would run Python code.
class Tensor(metaclass=TorchNamedType):
    # The few attributes every tensor sets are slots; rarer ones default at class level and
    # land in the instance __dict__ only when set (keeps creating a tensor cheap).
    __slots__ = ("_data", "_backend", "_device", "_requires_grad", "grad_fn", "_version", "__weakref__",
                 "__dict__")
    __array_priority__ = 1000  # NumPy scalars on the left defer to our reflected operators
    _output_nr = 0
    _grad = None
    _base = None
    _grad_acc = None
    _hooks = None
    _post_acc_hooks = None  # register_post_accumulate_grad_hook puts a list in the instance dict
    _retains_grad = False
    _detached = False  # detach() results: they share storage but are not views (detach_ allowed)

    # ---- construction -------------------------------------------------------------------
    def __new__(cls, *args, **kwargs):
        # torch.Tensor(2, 3) / torch.Tensor([1, 2]) / torch.LongTensor([1, 2]): legacy constructors
        dtype = cls.__dict__.get("_legacy_dtype") or D.get_default_dtype()
        from .ops.creation import _legacy_new

        return _legacy_new(dtype, args, kwargs.get("device"))

    @classmethod
    def _make(cls, data, backend, device, requires_grad=False):
        t = _new(cls)
        if data.__class__ is not _ndarray and isinstance(data, _np_generic):
            data = np.asarray(data)  # NumPy turns 0-d results into scalars; keep arrays
        t._data = data
        t._backend = backend
        t._device = device
        t._requires_grad = requires_grad
        t.grad_fn = None
        t._version = [0]
        return t

    def _view_of(self, data):
        """A tensor sharing storage (and the version counter) with ``self``."""
        t = Tensor._make(data, self._backend, self._device)
        t._version = self._version
        t._base = self if self._base is None else self._base
        return t

    # ---- basic attributes -----------------------------------------------------------------
    @property
    def dtype(self):
        return self._backend.dtypes[self._data.dtype]

    @property
    def device(self):
        return self._device

    @property
    def is_cuda(self):
        return self._device.type == "cuda"

    @property
    def is_cpu(self):
        return self._device.type == "cpu"

    @property
    def shape(self):
        return _make_size(Size, self._data.shape)

    def size(self, dim=None):
        if dim is None:
            return _make_size(Size, self._data.shape)
        return self._data.shape[_wrap_sized_dim(dim, self._data.ndim)]

    def dim(self):
        return self._data.ndim

    ndimension = dim

    @property
    def ndim(self):
        return self._data.ndim

    def numel(self):
        return int(self._data.size)

    nelement = numel

    def element_size(self):
        return self.dtype.itemsize

    @property
    def itemsize(self):
        return self.dtype.itemsize

    @property
    def nbytes(self):
        return self.numel() * self.dtype.itemsize

    def is_floating_point(self):
        return self.dtype.is_floating_point

    def is_complex(self):
        return False

    @property
    def is_sparse(self):
        return False

    @property
    def is_quantized(self):
        return False

    @property
    def is_meta(self):
        return False

    @property
    def layout(self):
        from ._layout import strided

        return strided

    def stride(self, dim=None):
        byte_strides = getattr(self._data, "strides", None)
        if byte_strides is None:  # arrays of the Array API standard have no strides: row-major ones
            strides, n = [], 1
            for size in reversed(self._data.shape):
                strides.insert(0, n)
                n *= max(size, 1)
            strides = tuple(strides)
        else:
            strides = tuple(s // self._data.itemsize for s in byte_strides)
        return strides if dim is None else strides[_wrap_sized_dim(dim, self._data.ndim)]

    def is_contiguous(self, memory_format=None):
        flags = getattr(self._data, "flags", None)
        return True if flags is None else bool(flags["C_CONTIGUOUS"])

    def data_ptr(self):
        iface = getattr(self._data, "__array_interface__", None) or getattr(self._data, "__cuda_array_interface__", None)
        return iface["data"][0] if iface else id(self._data)

    def get_device(self):
        return -1 if self._device.type == "cpu" else (self._device.index or 0)

    # ---- autograd state -------------------------------------------------------------------
    @property
    def requires_grad(self):
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value):
        if value.__class__ is not bool:
            raise RuntimeError("requires_grad must be a bool")
        if value and self.grad_fn is None and not self.dtype.is_floating_point:
            raise RuntimeError("only Tensors of floating point and complex dtype can require gradients")
        self.requires_grad_(value)

    def requires_grad_(self, requires_grad=True):
        if requires_grad.__class__ is not bool:
            raise TypeError("requires_grad_(): argument 'requires_grad' (position 1) must be bool, not "
                            f"{_arg_type_name(requires_grad)}")
        if self.grad_fn is not None:
            if not requires_grad:
                raise RuntimeError(
                    "you can only change requires_grad flags of leaf variables. If you want to use a "
                    "computed variable in a subgraph that doesn't require differentiation use "
                    "var_no_grad = var.detach()."
                )
            return self
        if requires_grad and not self.dtype.is_floating_point:
            raise RuntimeError("only Tensors of floating point dtype can require gradients")
        self._requires_grad = bool(requires_grad)
        return self

    @property
    def is_leaf(self):
        return self.grad_fn is None

    @property
    def grad(self):
        if self.grad_fn is not None and not self._retains_grad and self._grad is None:
            import warnings

            warnings.warn(
                "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad "
                "attribute won't be populated during autograd.backward(). If you indeed want the .grad "
                "field to be populated for a non-leaf Tensor, use .retain_grad() on the non-leaf Tensor.",
                UserWarning, stacklevel=2,
            )
        return self._grad

    @grad.setter
    def grad(self, value):
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"assigned grad expected to be a Tensor or None but got grad of type {type(value).__name__}")
            if value._data.shape != self._data.shape:
                raise RuntimeError(f"attempting to assign a gradient of size '{list(value.shape)}' to a tensor of size "
                                   f"'{list(self.shape)}'. Please ensure that the gradient and the tensor are the same size")
            if value.dtype is not self.dtype:
                raise RuntimeError(f"attempting to assign a gradient with dtype '{D.cpp_name(value.dtype)}' to a tensor "
                                   f"with grad_dtype '{_scalar(self.dtype)}'. The "
                                   "gradient must match the tensor's grad_dtype (defaults to the tensor's dtype).")
            if value._device != self._device:
                raise RuntimeError(f"assigned grad has data located on a different device: {value.device} vs {self.device}")
        self._grad = value

    @property
    def _grad_fn(self):
        return self.grad_fn

    @property
    def output_nr(self):
        return self._output_nr

    @property
    def _version_count(self):
        return self._version[0]

    def retain_grad(self):
        if self.grad_fn is None:
            if not self._requires_grad:
                raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
            return
        if self._retains_grad:
            return
        import weakref

        node = self.grad_fn
        retained = getattr(node, "_retained", None)
        if retained is None:
            retained = node._retained = {}
        retained[self._output_nr] = weakref.ref(self)
        self._retains_grad = True

    @property
    def retains_grad(self):
        return self._retains_grad

    def register_hook(self, hook):
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        from .autograd.graph import _RemovableHandle

        if self.grad_fn is not None:
            return self.grad_fn._add_pre_hook(self._output_nr, hook)
        if self._hooks is None:
            self._hooks = []
        self._hooks.append(hook)
        return _RemovableHandle(self._hooks, hook)

    def register_post_accumulate_grad_hook(self, hook):
        if self.grad_fn is not None:
            raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf tensors")
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        hooks = self.__dict__.setdefault("_post_acc_hooks", [])
        hooks.append(hook)
        from .autograd.graph import _RemovableHandle

        return _RemovableHandle(hooks, hook)

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        """Accumulate the gradient of this tensor into the ``.grad`` of the leaves it depends on."""
        _autograd().backward(self, gradient, retain_graph, create_graph, inputs=inputs)

    def detach(self):
        t = self._view_of(self._data)
        if t._base is not None:
            t._detached = True  # shares its storage (``_base``) without being an autograd view
        return t

    def detach_(self):
        if self._base is not None and not self._detached:  # an autograd view, differentiable or not
            raise RuntimeError(
                "Can't detach views in-place. Use detach() instead. If you are using DistributedDataParallel "
                "(DDP) for training, and gradient_as_bucket_view is set as True, gradients are views of DDP "
                "buckets, and hence detach_() cannot be called on these gradients. To fix this error, please "
                "refer to the Optimizer.zero_grad() function in torch/optim/optimizer.py as the solution."
            )
        self.grad_fn = None
        self._requires_grad = False
        return self

    @property
    def data(self):
        return self.detach()

    @data.setter
    def data(self, value):
        if not isinstance(value, Tensor):
            raise TypeError(f"Variable data has to be a tensor, but got {type(value).__name__}")
        self._data = value._data
        self._backend = value._backend
        self._device = value._device

    # ---- conversions ----------------------------------------------------------------------
    def _host(self):
        """The contents as a host NumPy array (shares memory on the CPU)."""
        return self._backend.to_numpy(self._data)

    def numpy(self, *, force=False):
        if self._requires_grad and not force:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead.")
        if self._device.type != "cpu":
            if force:
                return self._host()
            raise TypeError(
                f"can't convert {self._device} device type tensor to numpy. Use Tensor.cpu() to copy "
                "the tensor to host memory first."
            )
        return self._data

    def __array__(self, dtype=None, copy=None):
        a = self._host()
        return a if dtype is None else a.astype(dtype, copy=False)

    def item(self):
        if self._data.size != 1:
            raise RuntimeError(f"a Tensor with {self._data.size} elements cannot be converted to Scalar")
        return self._host().reshape(()).item()

    def tolist(self):
        return self._host().tolist()

    def __float__(self):
        if self._data.size != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        if self._requires_grad and not _WARNED_FLOAT_OF_GRAD[0]:
            _WARNED_FLOAT_OF_GRAD[0] = True  # once per process, as PyTorch's TORCH_WARN_ONCE
            import warnings

            warnings.warn("Converting a tensor with requires_grad=True to a scalar may lead to unexpected behavior.\n"
                          "Consider using tensor.detach() first.", UserWarning, stacklevel=2)
        return float(self.item())

    def __int__(self):
        if self._data.size != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        return int(self.item())

    def __index__(self):
        if self.dtype.is_floating_point or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    def __bool__(self):
        if self._data.size != 1:
            raise RuntimeError("Boolean value of Tensor with " + ("no values" if self._data.size == 0 else
                                                                  "more than one value") + " is ambiguous")
        return bool(self.item())

    def __complex__(self):
        if self._data.size != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        return complex(self.item())

    def __len__(self):
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return iter(self.unbind(0))

    def __hash__(self):
        return id(self)

    def __contains__(self, element):
        import numbers

        if not isinstance(element, (Tensor, numbers.Number)):
            raise RuntimeError(f"Tensor.__contains__ only supports Tensor or scalar, but you passed in a "
                               f"{type(element)}.")
        return bool((self == element).any())

    def __format__(self, spec):
        if self._data.ndim == 0 and type(self) is Tensor:  # subclasses format as objects (PyTorch)
            return self.item().__format__(spec)
        return object.__format__(self, spec)

    # No __str__: str() goes through __repr__, so a subclass overriding __repr__ prints its own way.
    def __repr__(self, *, tensor_contents=None):
        from ._tensor_str import format_tensor

        fn = self.grad_fn
        cls = type(self)
        # PyTorch prints subclasses under their own name: MyTensor([1., 2.]); Parameter as tensor(
        prefix = "tensor(" if cls is Tensor or cls.__dict__.get("_repr_as_tensor") else f"{cls.__name__}("
        return format_tensor(
            self._host(), dtype_name=self.dtype.name, default_float_dtype_name=D.get_default_dtype().name,
            device=None if self._device.type == "cpu" else str(self._device),
            grad_fn_name=None if fn is None else fn.name(),
            requires_grad=self._requires_grad, prefix=prefix, tensor_contents=tensor_contents,
        )

    def type(self, dtype=None, non_blocking=False, **kwargs):
        if dtype is None:
            prefix = "torch." if self._device.type == "cpu" else f"torch.{self._device.type}."
            return prefix + _LEGACY_NAMES[self.dtype]
        if isinstance(dtype, str):
            d = _legacy_from_string(dtype)
            return self.to(d[0], device=d[1])
        if isinstance(dtype, type) and issubclass(dtype, Tensor) and "_legacy_dtype" in dtype.__dict__:
            return self.to(dtype._legacy_dtype, device=dtype._legacy_device if dtype._legacy_device != "cpu" else None)
        return self.to(dtype)

    def type_as(self, other):
        return self.to(other.dtype, device=other.device)

    def to(self, *args, **kwargs):
        """``to(dtype)``, ``to(device)``, ``to(device, dtype)``, ``to(other)`` as in PyTorch."""
        dtype = kwargs.pop("dtype", None)
        device = kwargs.pop("device", None)
        copy = kwargs.pop("copy", False)
        kwargs.pop("non_blocking", None)
        kwargs.pop("memory_format", None)
        for a in args:
            if isinstance(a, D.dtype):
                dtype = a
            elif isinstance(a, Tensor):
                dtype, device = a.dtype, a.device
            elif isinstance(a, (str, Device, int)) and not isinstance(a, bool):
                device = a
            elif a is float or a is int or a is bool:
                dtype = D.to_dtype(a)
            elif a is not None:
                raise TypeError(f"to() received an invalid combination of arguments: {a!r}")
        out = self
        if device is not None:
            out = out._to_device(Device(device))
        if dtype is not None and dtype is not out.dtype:
            from .ops.elementwise import cast

            out = cast(out, dtype)
        if copy and out is self:
            out = self.clone()
        return out

    def _to_device(self, dev):
        if dev.type == self._device.type and (
            dev.index is None or dev == self._device or get_backend(dev.type).indexless  # 'cpu:0' is 'cpu'
        ):
            return self
        backend = get_backend(dev.type)
        index = dev.index
        if index is None:
            index = backend.current_device()
        target = dev if backend.indexless else Device(dev.type, index)
        host = self._host()
        # (np.ascontiguousarray would turn a 0-d array into a 1-d one)
        data = backend.from_numpy(np.asarray(host, order="C") if dev.type != "cpu" else host.copy(), index)
        from .ops.elementwise import ToCopyBackward0
        from .ops._apply import attach

        out = Tensor._make(data, backend, target)
        if GRAD_ENABLED[0] and self._requires_grad:
            node = ToCopyBackward0()
            node.source_device = self._device
            attach(node, (self,), out)
        return out

    def cpu(self, memory_format=None):
        return self._to_device(CPU)

    def cuda(self, device=None, non_blocking=False, memory_format=None):
        if device is None:
            dev = Device("cuda")
        elif isinstance(device, int):
            dev = Device("cuda", device)
        else:
            dev = Device(device)
        return self._to_device(dev)

    def pin_memory(self, device=None):
        """A copy in page-locked host memory, for fast uploads to the accelerator (the backend
        of ``device``, or the first available non-CPU one)."""
        if self._device.type != "cpu":
            raise RuntimeError(f"cannot pin '{self.type()}' only dense CPU tensors can be pinned")
        from .backends.registry import accelerator

        backend = accelerator(device)
        if backend is None:
            raise RuntimeError("Cannot access accelerator device when none is available.")
        if backend.is_pinned(self._data):
            return self
        pinned = backend.pin_memory(self._data)
        return Tensor._make(pinned if pinned is not self._data else pinned.copy(), self._backend, self._device)

    def is_pinned(self, device=None):
        from .backends.registry import accelerator

        backend = accelerator(device) if self._device.type == "cpu" else None
        return backend is not None and backend.is_pinned(self._data)

    def share_memory_(self):
        """Move a CPU tensor's storage to shared memory (an anonymous shared mapping), as PyTorch
        does, so that processes forked afterwards see each other's writes."""
        if self._device.type != "cpu" or self.is_shared():
            return self
        import mmap

        import numpy as np

        a = self._data
        shared = np.frombuffer(mmap.mmap(-1, max(a.nbytes, 1)), dtype=a.dtype, count=a.size).reshape(a.shape)
        shared[...] = a
        self._data = shared
        return self

    def is_shared(self):
        """True when the storage lives in shared memory: after ``share_memory_()``, and for the
        (large) batches that DataLoader workers send through shared memory."""
        import mmap

        base = getattr(self._data, "base", None)
        while base is not None:
            if isinstance(base, mmap.mmap):
                return True
            base = base.obj if isinstance(base, memoryview) else getattr(base, "base", None)
        return False

    def float(self, memory_format=None):
        return self.to(D.float32)

    def double(self, memory_format=None):
        return self.to(D.float64)

    def half(self, memory_format=None):
        return self.to(D.float16)

    def int(self, memory_format=None):
        return self.to(D.int32)

    def long(self, memory_format=None):
        return self.to(D.int64)

    def short(self, memory_format=None):
        return self.to(D.int16)

    def char(self, memory_format=None):
        return self.to(D.int8)

    def byte(self, memory_format=None):
        return self.to(D.uint8)

    def bool(self, memory_format=None):
        return self.to(D.bool_)

    # ---- pickling (DataLoader workers, deepcopy, multiprocessing) -------------------------
    def __reduce_ex__(self, protocol):
        return (_rebuild_tensor, (np.array(self._host()), str(self._device), self._requires_grad,
                                  type(self) if type(self) is not Tensor else None, self._extra_state()))

    def _extra_state(self):
        """User attributes set on the tensor (not autograd internals) travel with it."""
        d = {k: v for k, v in self.__dict__.items() if k not in _INTERNAL_ATTRS}
        return d or None

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        if self.grad_fn is not None:
            raise RuntimeError(
                "Only Tensors created explicitly by the user (graph leaves) support the deepcopy protocol at the moment.  "
                "If you were attempting to deepcopy a module, this may be because of a torch.nn.utils.weight_norm usage, "
                "see https://github.com/pytorch/pytorch/pull/103001"
            )
        import copy

        new = object.__new__(type(self))
        new.__init_copy__(self)
        memo[id(self)] = new
        if self._grad is not None:
            new._grad = copy.deepcopy(self._grad, memo)
        for k, v in self.__dict__.items():
            if k not in _INTERNAL_ATTRS:
                new.__dict__[k] = copy.deepcopy(v, memo)
        return new

    def __init_copy__(self, src):
        xp = src._backend.xp
        Tensor.__init_from(self, xp.asarray(src._data, copy=True) if src._device.type != "cpu" else src._data.copy(),
                           src._backend, src._device, src._requires_grad)

    def __init_from(self, data, backend, device, requires_grad):
        self._data = data
        self._backend = backend
        self._device = device
        self._requires_grad = requires_grad
        self.grad_fn = None
        self._version = [0]


# autograd bookkeeping kept in the instance dict: never pickled or deep-copied
_INTERNAL_ATTRS = frozenset(["_grad", "_base", "_grad_acc", "_hooks", "_retains_grad", "_output_nr",
                             "_post_acc_hooks", "_detached", "_storage"])


def _rebuild_tensor(array, device, requires_grad, cls=None, extra=None):
    dev = Device(device)
    backend = get_backend(dev.type)
    data = array if dev.type == "cpu" else backend.from_numpy(array, dev.index or 0)
    t = Tensor._make(data, backend, dev)
    if cls is not None:
        t2 = object.__new__(cls)
        Tensor._Tensor__init_from(t2, data, backend, dev, requires_grad)
        t = t2
    else:
        t._requires_grad = requires_grad
    if extra:
        t.__dict__.update(extra)
    return t


class Size(tuple, metaclass=TorchNamedType):
    """``torch.Size``: a tuple of ints that prints as ``torch.Size([2, 3])``."""

    def __new__(cls, sizes=()):
        sizes = tuple(sizes)
        for i, s in enumerate(sizes):
            if s.__class__ is not int:
                try:  # NumPy integers and integer 0-dim tensors count, as in PyTorch
                    sizes = sizes[:i] + (operator.index(s),) + sizes[i + 1:]
                except TypeError:
                    raise TypeError(f"torch.Size() takes an iterable of 'int' (item {i} is "
                                    f"'{type(s).__name__}')") from None
        return _make_size(cls, sizes)

    def __repr__(self):
        return f"torch.Size({list(self)})"

    __str__ = __repr__

    def numel(self):
        n = 1
        for s in self:
            n *= s
        return n

    def __getitem__(self, item):
        r = tuple.__getitem__(self, item)
        return _make_size(Size, r) if isinstance(item, slice) else r

    def __add__(self, other):
        return Size(tuple(self) + tuple(other))

    def __reduce__(self):
        return (Size, (tuple(self),))


_make_size = tuple.__new__  # a Size from a tuple known to hold ints (an array's shape): no checks


_WARNED_FLOAT_OF_GRAD = [False]


def _arg_type_name(value):
    """A value's type as PyTorch's argument parser names it (``Tensor``, ``numpy.bool``, ``int``)."""
    if isinstance(value, Tensor):
        return "Tensor"
    cls = type(value)
    return cls.__name__ if cls.__module__ == "builtins" else f"{cls.__module__}.{cls.__name__}"


def _wrap_sized_dim(dim, ndim):
    """``_wrap_dim`` for ``size(dim)``/``stride(dim)``: a 0-d tensor has no dim to give."""
    if ndim == 0:
        raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
    return _wrap_dim(dim, ndim)


def _wrap_dim(dim, ndim):
    n = max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})")
    return dim + n if dim < 0 else dim


# ---- legacy typed tensor classes: FloatTensor & co ----------------------------------------
_LEGACY_NAMES = {
    D.float32: "FloatTensor", D.float64: "DoubleTensor", D.float16: "HalfTensor", D.int64: "LongTensor",
    D.int32: "IntTensor", D.int16: "ShortTensor", D.int8: "CharTensor", D.uint8: "ByteTensor",
    D.bool_: "BoolTensor",
}
LEGACY_TYPES = {}
for _dt, _name in _LEGACY_NAMES.items():
    LEGACY_TYPES[_name] = _LegacyTensorMeta(_name, (Tensor,), {"__slots__": (), "_legacy_dtype": _dt,
                                                               "_legacy_device": "cpu"})


def _legacy_from_string(s):
    parts = s.split(".")
    if len(parts) == 2 and parts[0] == "torch" and parts[1] in LEGACY_TYPES:
        return LEGACY_TYPES[parts[1]]._legacy_dtype, None
    if len(parts) == 3 and parts[1] == "cuda" and parts[2] in LEGACY_TYPES:
        return LEGACY_TYPES[parts[2]]._legacy_dtype, "cuda"
    raise ValueError(f"invalid type: '{s}'")


def _scalar(d):
    from .ops.reduce import legacy_scalar_name

    return legacy_scalar_name(d)


def _autograd():
    """``lanterna.autograd`` (imported after this module; looked up once, then a global)."""
    global _autograd_module
    if _autograd_module is None:
        from . import autograd

        _autograd_module = autograd
    return _autograd_module


_autograd_module = None


def _cpu_backend():
    return REGISTRY.backends["cpu"]
