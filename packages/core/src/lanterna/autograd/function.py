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

import functools
import warnings

from .grad_mode import GRAD_ENABLED
from .graph import NO_EDGE, Node, grad_edge, modified_error, raise_freed


class FunctionCtx:
    """What ``forward`` and ``backward`` share: saved tensors and flags."""

    def save_for_backward(self, *tensors):
        from .._tensor import Tensor

        for i, t in enumerate(tensors):
            if t is not None and not isinstance(t, Tensor):
                raise TypeError(f"save_for_backward can only save variables, but argument {i} is of type "
                                f"{type(t).__name__}")
        self.to_save = tensors

    def save_for_forward(self, *tensors):
        from .._tensor import Tensor

        for t in tensors:
            if not (isinstance(t, Tensor) or t is None):
                raise AssertionError("save_for_forward expects all arguments to be tensors; you should save "
                                     "non-tensors as attributes on ctx.")
        self.saved_for_forward = tensors

    @property
    def saved_tensors(self):
        saved = self.__dict__.get("_fn_saved")
        if saved is None:  # inside forward, or nothing saved
            return tuple(self.__dict__.get("to_save", ()))
        if saved is _FREED:
            raise_freed()
        for t, v, producer in zip(saved, self._fn_versions, self._fn_producers):
            if t is not None and t._version[0] != v:
                raise _modified(t, t._version[0], v, producer)
        return saved

    def mark_non_differentiable(self, *tensors):
        self._non_diff = {id(t) for t in tensors}

    def mark_dirty(self, *tensors):
        self._dirty = {id(t) for t in tensors}

    def set_materialize_grads(self, value: bool):
        self._materialize = bool(value)


def _modified(t, version, expected, producer):
    """The version error for a saved tensor; an output of the Function is named as such."""
    if producer is None:
        return modified_error(t, version, expected)
    fn, nr = producer
    err = modified_error(t, version, expected, producer=fn)
    if nr:
        err = RuntimeError(str(err).replace(", which is output 0 of", f", which is output {nr} of", 1))
    return err


class _Freed(tuple):
    pass


_FREED = _Freed()


class BackwardCFunction(Node, FunctionCtx):
    """The graph node of one ``Function.apply`` call; it is also the ``ctx``."""

    _function = None
    _forward_cls = None

    def _get_user_fn(self):
        backward_fn = self._forward_cls.backward
        vjp_fn = self._forward_cls.vjp
        if backward_fn is not Function.backward and vjp_fn is not Function.vjp:
            raise RuntimeError("Implementing both 'backward' and 'vjp' for a custom Function is not allowed. "
                               "You should only implement one of them.")
        return vjp_fn if vjp_fn is not Function.vjp else backward_fn

    def backward(self, *grads):
        if getattr(self, "_materialize", True):
            grads = tuple(
                g if g is not None or meta[1] is None else _zeros(meta) for g, meta in zip(grads, self._out_meta)
            )
        result = self._get_user_fn()(self, *grads)
        if not isinstance(result, tuple):
            result = (result,)
        n = len(self._is_tensor_arg)
        if len(result) > n and all(r is None for r in result[n:]):
            result = result[:n]
        if len(result) != n:
            raise RuntimeError(
                f"function {type(self).__name__} returned an incorrect number of gradients (expected {n}, got {len(result)})"
            )
        # one gradient per forward argument; the graph has edges for the tensor arguments only
        out = []
        for i, (r, is_tensor) in enumerate(zip(result, self._is_tensor_arg)):
            if is_tensor:
                if r is not None:
                    _check_grad_shape(self, r, self._arg_shapes[i], len(out))
                out.append(r)
            elif r is not None:
                raise RuntimeError(
                    f"function {type(self).__name__} returned a gradient different than None at position {i + 1}, "
                    "but the corresponding forward input was not a Variable"
                )
        return tuple(out)

    def release(self):
        super().release()
        if self.__dict__.get("_fn_saved") is not None:
            self._fn_saved = _FREED


def _check_grad_shape(node, g, shape, index):
    from .._tensor import Tensor

    if not isinstance(g, Tensor):
        return
    gshape = tuple(g.shape)
    if gshape == shape:
        return
    import numpy as np

    try:
        ok = np.broadcast_shapes(shape, gshape) == gshape
    except ValueError:
        ok = False
    if not ok and g.numel() != int(np.prod(shape, dtype=np.int64)):
        raise RuntimeError(
            f"Function {type(node).__name__} returned an invalid gradient at index {index} - got {list(gshape)} but "
            f"expected shape compatible with {list(shape)}"
        )


def _zeros(meta):
    shape, like = meta
    return like.new_zeros(shape)


class FunctionMeta(type):
    def __init__(cls, name, bases, attrs):
        super().__init__(name, bases, attrs)
        cls._backward_cls = type(name + "Backward", (BackwardCFunction,), {"_function": cls, "_forward_cls": cls})


class Function(metaclass=FunctionMeta):
    """Subclass with static ``forward(ctx, *args)`` and ``backward(ctx, *grad_outputs)``."""

    generate_vmap_rule = False

    def __init__(self, *args, **kwargs):
        warnings.warn(
            f"{self.__class__} should not be instantiated. Methods on autograd functions are all static, so you "
            "should invoke them on the class itself. Instantiating an autograd function will raise an error in a "
            "future version of PyTorch.",
            DeprecationWarning, stacklevel=2,
        )

    def __call__(self, *args, **kwargs):
        raise RuntimeError(
            "Legacy autograd function with non-static forward method is deprecated. Please use new-style autograd "
            "function with static forward method. (Example: "
            "https://pytorch.org/docs/stable/autograd.html#torch.autograd.Function)"
        )

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("You must implement the forward function for custom autograd.Function.")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("You must implement either the backward or vjp method for your custom autograd.Function to use it with backward mode AD.")

    vjp = backward

    @staticmethod
    def jvp(ctx, *grad_inputs):
        raise NotImplementedError("You must implement the jvp function for custom autograd.Function to use it "
                                  "with forward mode AD.")

    @staticmethod
    def vmap(info, in_dims, *args):
        raise NotImplementedError("To use autograd.Function with vmap, you must either override the vmap "
                                  "staticmethod or set generate_vmap_rule=True.")

    @staticmethod
    def setup_context(ctx, inputs, output):
        return NotImplemented

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
        dirty = ctx.__dict__.get("_dirty") or set()
        if dirty:
            for a in args:
                if isinstance(a, Tensor) and id(a) in dirty:
                    if a.grad_fn is None and a._requires_grad and prev:
                        raise RuntimeError("a leaf Variable that requires grad has been used in an in-place operation.")
                    a._version[0] += 1  # PyTorch counts mark_dirty as one more in-place change
        if not (prev and any(ctx.needs_input_grad)):
            return out
        non_diff = ctx.__dict__.get("_non_diff") or set()
        ctx._is_tensor_arg = tuple(isinstance(a, Tensor) for a in args)
        ctx._arg_shapes = tuple(tuple(a.shape) if isinstance(a, Tensor) else None for a in args)
        ctx.next_functions = tuple(grad_edge(a) for a in args if isinstance(a, Tensor))
        ctx._in_meta = tuple((a._data.shape, a._data.dtype) for a in args if isinstance(a, Tensor))
        ctx.n_outputs = len(outs)
        out_meta = []
        new_outs = []
        input_ids = {id(a) for a in args if isinstance(a, Tensor)}
        for i, o in enumerate(outs):
            if isinstance(o, Tensor) and id(o) not in non_diff and o.dtype.is_floating_point:
                if id(o) in input_ids and id(o) not in dirty:
                    o = o._view_of(o._data)  # an input returned as is: give the output its own history
                o.grad_fn, o._output_nr, o._requires_grad = ctx, i, True
            new_outs.append(o)
            out_meta.append((tuple(o.shape), o.detach()) if isinstance(o, Tensor) else ((), None))
        ctx._out_meta = out_meta
        to_save = ctx.__dict__.get("to_save")
        if to_save:
            # saved now (as PyTorch does after forward): the versions include mark_dirty's
            ctx._fn_saved = to_save
            ctx._fn_versions = tuple(t._version[0] if t is not None else 0 for t in to_save)
            out_pos = {id(o): i for i, o in enumerate(new_outs) if isinstance(o, Tensor) and o.grad_fn is ctx}
            ctx._fn_producers = tuple((ctx, out_pos[id(t)]) if t is not None and id(t) in out_pos else None
                                      for t in to_save)
        return tuple(new_outs) if is_tuple else new_outs[0]


class InplaceFunction(Function):
    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace


class NestedIOFunction(Function):
    pass


class _DelayedError(Function):
    """The node behind results of a ``once_differentiable`` backward run under create_graph."""

    @staticmethod
    def forward(ctx, msg, *tensors):
        ctx.msg = msg
        return tuple(t.detach() for t in tensors)

    @staticmethod
    def backward(ctx, *grads):
        raise RuntimeError(ctx.msg)


def once_differentiable(fn):
    """Run a Function's ``backward`` without recording a graph; differentiating its result again
    raises an error (rather than silently returning wrong higher-order gradients)."""

    @functools.wraps(fn)
    def wrapper(ctx, *args, **kwargs):
        from .._tensor import Tensor

        prev = GRAD_ENABLED[0]
        GRAD_ENABLED[0] = False
        try:
            outputs = fn(ctx, *args, **kwargs)
        finally:
            GRAD_ENABLED[0] = prev
        if not prev:
            return outputs
        if not any(isinstance(a, Tensor) and a.requires_grad for a in args):
            return outputs
        is_tuple = isinstance(outputs, tuple)
        outs = outputs if is_tuple else (outputs,)
        idx = [i for i, o in enumerate(outs) if isinstance(o, Tensor)]
        marked = list(outs)
        if idx:
            tensors = tuple(outs[i].detach().requires_grad_(True) for i in idx)
            res = _DelayedError.apply("trying to differentiate twice a function that was marked with "
                                      "@once_differentiable", *tensors)
            for i, r in zip(idx, res):
                marked[i] = r
        return tuple(marked) if is_tuple else marked[0]

    return wrapper
