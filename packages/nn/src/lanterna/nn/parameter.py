"""``Parameter`` (a tensor a Module trains) and ``Buffer`` (module state that is not trained)."""

from __future__ import annotations

from collections import OrderedDict

from lanterna import Tensor, empty

_TensorMeta = type(Tensor)


class _ParameterMeta(_TensorMeta):
    # ``isinstance(t, Parameter)`` also holds for tensors flagged as parameters (as in PyTorch)
    def __instancecheck__(cls, instance):
        if cls is Parameter and isinstance(instance, Tensor) and instance.__dict__.get("_is_param", False):
            return True
        return type.__instancecheck__(cls, instance)


class Parameter(Tensor, metaclass=_ParameterMeta):
    """A tensor that is a module parameter: assigning it to a Module attribute registers it.

    It shares storage with ``data`` and requires grad by default.

    >>> import lanterna as torch
    >>> torch.nn.Parameter(torch.ones(2))
    Parameter containing:
    tensor([1., 1.], requires_grad=True)
    """

    def __new__(cls, data=None, requires_grad=True):
        if data is None:
            data = empty(0)
        if not isinstance(data, Tensor):
            raise TypeError(f"Parameter(): argument 'data' must be Tensor, not {type(data).__name__}")
        t = cls._make(data._data, data._backend, data._device)
        t._version = data._version  # an alias of the same storage, as ``detach`` gives
        if requires_grad and not data.is_floating_point():
            # PyTorch's Parameter (``_make_subclass``) words this unlike ``requires_grad_``
            raise RuntimeError("Only Tensors of floating point and complex dtype can require gradients")
        t.requires_grad_(requires_grad)
        return t

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        result = type(self)(self.data.clone(), self.requires_grad)
        memo[id(self)] = result
        return result

    _repr_as_tensor = True  # its values print as tensor(...), after the header below

    def __repr__(self):
        return "Parameter containing:\n" + Tensor.__repr__(self)

    def __reduce_ex__(self, protocol):
        return (_rebuild_parameter, (self.data, self.requires_grad, OrderedDict()))


def _rebuild_parameter(data, requires_grad, backward_hooks=None):
    return Parameter(data, requires_grad)


class UninitializedTensorMixin:
    """What the placeholders of the lazy modules share: no data (and no shape) until
    :meth:`materialize` gives them storage and turns them into their ``cls_to_become``."""

    def materialize(self, shape, device=None, dtype=None):
        """Give the tensor real (uninitialised) storage of ``shape``; its class becomes ``cls_to_become``.

        >>> import lanterna as torch
        >>> p = torch.nn.UninitializedParameter()
        >>> p.materialize((2, 3))
        >>> type(p), p.shape
        (<class 'torch.nn.parameter.Parameter'>, torch.Size([2, 3]))
        """
        if device is None:
            device = self.data.device
        if dtype is None:
            dtype = self.data.dtype
        self.data = empty(shape, device=device, dtype=dtype)
        self.__class__ = self.cls_to_become

    @property
    def shape(self):
        raise RuntimeError(
            "Can't access the shape of an uninitialized parameter or buffer. "
            "This error usually happens in `load_state_dict` when trying to load "
            "an uninitialized parameter into an initialized one. "
            "Call `forward` to initialize the parameters before accessing their attributes."
        )

    def share_memory_(self):
        raise RuntimeError(
            "Can't share memory on an uninitialized parameter or buffer. "
            "Call `forward` to initialize the parameters before calling "
            "`module.share_memory()`."
        )

    def __repr__(self):
        return f"<{self.__class__.__name__}>"

    __str__ = __repr__

    def __reduce_ex__(self, proto):
        return (self.__class__, (self.requires_grad,))


class UninitializedParameter(UninitializedTensorMixin, Parameter):
    """Placeholder parameter of the lazy modules: no data until the first forward.

    >>> import lanterna as torch
    >>> torch.nn.UninitializedParameter()
    <UninitializedParameter>
    """

    cls_to_become = Parameter

    def __new__(cls, requires_grad=True, device=None, dtype=None):
        return Parameter.__new__(cls, empty(0, device=device, dtype=dtype), requires_grad)

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        result = type(self)(self.requires_grad, self.data.device, self.data.dtype)
        memo[id(self)] = result
        return result


class UninitializedBuffer(UninitializedTensorMixin, Tensor):
    """Placeholder buffer of the lazy modules (``LazyBatchNorm``'s running statistics).

    >>> import lanterna as torch
    >>> m = torch.nn.Module()
    >>> m.stats = torch.nn.UninitializedBuffer()
    >>> list(m.named_buffers())
    [('stats', <UninitializedBuffer>)]
    """

    cls_to_become = Tensor

    def __new__(cls, requires_grad=False, device=None, dtype=None, persistent=True):
        data = empty(0, device=device, dtype=dtype)
        t = cls._make(data._data, data._backend, data._device)
        t.requires_grad_(requires_grad)
        t.persistent = persistent
        t._is_buffer = True
        return t

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        result = type(self)(self.requires_grad, self.data.device, self.data.dtype, self.persistent)
        memo[id(self)] = result
        return result


def is_lazy(param):
    """True for parameters and buffers that are still uninitialized."""
    return isinstance(param, UninitializedTensorMixin)


class _BufferMeta(_TensorMeta):
    # ``Buffer(...)`` returns a plain tensor flagged as a buffer; isinstance sees the flag
    def __instancecheck__(cls, instance):
        if cls is Buffer and isinstance(instance, Tensor) and instance.__dict__.get("_is_buffer", False):
            return True
        return type.__instancecheck__(cls, instance)


class Buffer(Tensor, metaclass=_BufferMeta):
    """A tensor marked as module state: assigning it to a Module attribute registers a buffer.

    >>> import lanterna as torch
    >>> m = torch.nn.Module()
    >>> m.stats = torch.nn.Buffer(torch.zeros(2), persistent=False)
    >>> list(m.state_dict())
    []
    """

    def __new__(cls, data=None, *, persistent=True):
        if data is None:
            data = empty(0)
        t = data.detach().requires_grad_(data.requires_grad)
        t.persistent = persistent
        t._is_buffer = True
        return t
