"""``lanterna.autograd.Function``: how users write their own differentiable ops.

>>> import lanterna as torch
>>> class Square(torch.autograd.Function):
...     @staticmethod
...     def forward(ctx, x):
...         ctx.save_for_backward(x)
...         return x * x
...     @staticmethod
...     def backward(ctx, grad):
...         (x,) = ctx.saved_tensors
...         return 2 * x * grad
>>> x = torch.tensor([3.0], requires_grad=True)
>>> Square.apply(x).backward()
>>> x.grad
tensor([6.])
"""

from __future__ import annotations

from .grad_mode import GRAD_ENABLED
from .graph import NO_EDGE, Node, grad_edge


class FunctionCtx:
    """What ``forward`` and ``backward`` share: saved tensors and flags."""

    def save_for_backward(self, *tensors):
        self.save(*tensors)

    @property
    def saved_tensors(self):
        return self.saved if getattr(self, "_saved", None) is not None else ()

    def mark_non_differentiable(self, *tensors):
        self._non_diff = {id(t) for t in tensors}

    def mark_dirty(self, *tensors):
        self._dirty = {id(t) for t in tensors}

    def set_materialize_grads(self, value: bool):
        self._materialize = bool(value)


class BackwardCFunction(Node, FunctionCtx):
    """The graph node of one ``Function.apply`` call; it is also the ``ctx``."""

    _function = None

    def backward(self, *grads):
        if getattr(self, "_materialize", True):
            grads = tuple(
                g if g is not None else _zeros(meta) for g, meta in zip(grads, self._out_meta)
            )
        result = self._function.backward(self, *grads)
        if not isinstance(result, tuple):
            result = (result,)
        n = len(self.next_functions)
        if len(result) > n and all(r is None for r in result[n:]):
            result = result[:n]
        if len(result) != n:
            raise RuntimeError(
                f"function {type(self).__name__} returned an incorrect number of gradients (expected {n}, got {len(result)})"
            )
        return result


def _zeros(meta):
    shape, like = meta
    return like.new_zeros(shape)


class FunctionMeta(type):
    def __init__(cls, name, bases, attrs):
        super().__init__(name, bases, attrs)
        cls._backward_cls = type(name + "Backward", (BackwardCFunction,), {"_function": cls})


class Function(metaclass=FunctionMeta):
    """Subclass with static ``forward(ctx, *args)`` and ``backward(ctx, *grad_outputs)``."""

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("You must implement the forward function for custom autograd.Function.")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("You must implement either the backward or vjp method for your custom autograd.Function to use it with backward mode AD.")

    @staticmethod
    def setup_context(ctx, inputs, output):
        return NotImplemented

    vjp = backward

    @classmethod
    def apply(cls, *args, **kwargs):
        from .._tensor import Tensor

        ctx = cls._backward_cls.__new__(cls._backward_cls)
        ctx.needs_input_grad = tuple(isinstance(a, Tensor) and a._requires_grad for a in args)
        prev = GRAD_ENABLED[0]
        GRAD_ENABLED[0] = False
        try:
            if cls.setup_context is not Function.setup_context:  # new style: forward has no ctx
                out = cls.forward(*args, **kwargs)
                cls.setup_context(ctx, args, out)
            else:
                out = cls.forward(ctx, *args, **kwargs)
        finally:
            GRAD_ENABLED[0] = prev
        is_tuple = isinstance(out, tuple)
        outs = out if is_tuple else (out,)
        if not (prev and any(ctx.needs_input_grad)):
            return out
        non_diff = getattr(ctx, "_non_diff", set())
        ctx.next_functions = tuple(grad_edge(a) if isinstance(a, Tensor) else NO_EDGE for a in args)
        ctx._in_meta = tuple((a._data.shape, a._data.dtype) if isinstance(a, Tensor) else None for a in args)
        ctx.n_outputs = len(outs)
        ctx._out_meta = []
        new_outs = []
        input_ids = {id(a) for a in args if isinstance(a, Tensor)}
        for i, o in enumerate(outs):
            if isinstance(o, Tensor) and id(o) not in non_diff and o.dtype.is_floating_point:
                if id(o) in input_ids and id(o) not in getattr(ctx, "_dirty", set()):
                    o = o._view_of(o._data)  # an input returned as is: give the output its own history
                o.grad_fn, o._output_nr, o._requires_grad = ctx, i, True
            new_outs.append(o)
            ctx._out_meta.append((o.shape, o) if isinstance(o, Tensor) else ((), None))
        ctx._out_meta = [(s, t.detach() if t is not None else None) for s, t in ctx._out_meta]
        return tuple(new_outs) if is_tuple else new_outs[0]


class InplaceFunction(Function):
    pass


def once_differentiable(fn):
    return fn
