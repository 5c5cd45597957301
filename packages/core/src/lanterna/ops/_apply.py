"""How an op runs: operands in, forward on arrays, a graph node attached when gradients are needed.

Writing an op (see docs/writing-an-op.md)::

    class ExpBackward0(Node):
        def forward(self, x):              # Tensors in, an array out
            self.out = x._backend.xp.exp(x._data)
            return self.out
        def backward(self, grad):          # Tensor ops, so double backward works
            return grad * self.output()

    def exp(x):
        return apply(ExpBackward0, x)
"""

from __future__ import annotations

from .. import _dtype as D
from .._tensor import Tensor
from ..autograd.grad_mode import GRAD_ENABLED
from ..autograd.graph import ANOMALY, Node, grad_edge

_make = Tensor._make


def attach(node, inputs, out, exact_grads=False):
    """Record ``node`` as the producer of ``out``, differentiable w.r.t. ``inputs``.
    ``exact_grads``: the node's backward always returns each input's shape and dtype, so the
    engine need not check or fit them (``_in_meta`` None)."""
    n = len(inputs)
    if n == 1:  # unary, binary and ternary ops (addmm's three): no comprehension frames
        t = inputs[0]
        node.next_functions = (grad_edge(t),)
        node._in_meta = None if exact_grads else ((t._data.shape, t._data.dtype),)
    elif n == 2:
        a, b = inputs
        node.next_functions = (grad_edge(a), grad_edge(b))
        if exact_grads:
            node._in_meta = None
        else:
            da, db = a._data, b._data
            node._in_meta = ((da.shape, da.dtype), (db.shape, db.dtype))
    elif n == 3:
        a, b, c = inputs
        node.next_functions = (grad_edge(a), grad_edge(b), grad_edge(c))
        if exact_grads:
            node._in_meta = None
        else:
            da, db, dc = a._data, b._data, c._data
            node._in_meta = ((da.shape, da.dtype), (db.shape, db.dtype), (dc.shape, dc.dtype))
    else:
        node.next_functions = tuple([grad_edge(t) for t in inputs])
        # each input's shape and array dtype: the engine fits gradients to them (undoing broadcasting)
        node._in_meta = None if exact_grads else tuple([(t._data.shape, t._data.dtype) for t in inputs])
    out.grad_fn = node
    out._requires_grad = True
    if ANOMALY[0]:
        _record_trace(node)
    return out


def attach_same_shape(node, a, b, out):
    """``attach`` for a binary op whose inputs and output share one shape and dtype, so its
    gradients need no fitting: ``_in_meta`` stays None and the engine skips the checks."""
    fa = a.grad_fn
    fb = b.grad_fn
    node.next_functions = (
        (fa, a._output_nr) if fa is not None else grad_edge(a),
        (fb, b._output_nr) if fb is not None else grad_edge(b),
    )
    node._in_meta = None
    out.grad_fn = node
    out._requires_grad = True
    if ANOMALY[0]:
        _record_trace(node)
    return out


def _record_trace(node):
    import traceback

    node._trace = traceback.format_stack()[:-3]


def apply(cls, *inputs, **params):
    """Run op ``cls`` on tensors ``inputs``; keyword ``params`` become node attributes."""
    node = cls.__new__(cls)
    if params:
        node.__dict__.update(params)
    a0 = inputs[0]
    out = _make(node.forward(*inputs), a0._backend, a0._device)
    if node.is_view:  # shares storage: in-place changes must be seen by the version check
        out._version = a0._version
        out._base = a0 if a0._base is None else a0._base
    if GRAD_ENABLED[0]:
        for t in inputs:
            if t._requires_grad:
                return attach(node, inputs, out)
    return out


def apply_nograd(data, like):
    return _make(data, like._backend, like._device)


def output_of(node, data, like):
    """Rebuild an op's output from its saved array, as the graph's tensor (for backward formulas
    that use the result, e.g. exp): no reference cycle, and double backward still flows."""
    dirty = node.__dict__.get("_out_dirty")
    if dirty is not None:  # the output was changed in place after being saved (see ops/inplace.py)
        raise dirty
    t = _make(data, like._backend, like._device)
    t.grad_fn = node
    t._requires_grad = True
    return t


def check_same_device(a, b, op="op"):
    if a._device is not b._device:
        raise RuntimeError(
            f"Expected all tensors to be on the same device, but found at least two devices, "
            f"{a._device} and {b._device}! (when checking arguments for {op})"
        )


def as_tensor_like(value, like, dtype=None):
    """A Python number or array-like as a tensor on ``like``'s device."""
    if isinstance(value, Tensor):
        return value
    from .creation import tensor

    d = dtype or (D.result_type(like, value) if isinstance(value, (int, float, bool)) else None)
    if dtype is None and type(value) is int and d is not None and d._category == 1:
        # a number operand (``f(number, tensor)``) joins like PyTorch's wrapped number: it takes the
        # tensor's integer dtype with a C++ cast, so 300 wraps into a uint8 rather than refusing
        value = _wrap_int(value, d)
    return tensor(value, dtype=d, device=like._device)


def binary_operands(a, b, op):
    """Bring two operands to one dtype and device under PyTorch's promotion rules.

    Returns ``(a, b)`` where ``a`` is a Tensor and ``b`` is a Tensor or a Python number that
    combines with ``a``'s array without changing its dtype.
    """
    if isinstance(b, Tensor):
        if not isinstance(a, Tensor):
            a = as_tensor_like(a, b)
        if a._device is not b._device:
            # a zero-dim CPU tensor joins a tensor of any device, as in PyTorch
            if b._data.ndim == 0 and b._device.type == "cpu":
                b = b.to(a._device)
            elif a._data.ndim == 0 and a._device.type == "cpu":
                a = a.to(b._device)
            else:
                check_same_device(a, b, op)
        da = a.dtype
        db = b.dtype
        if da is not db:
            rt = D.result_type(a, b)
            if da is not rt:
                a = cast(a, rt)
            if db is not rt:
                b = cast(b, rt)
        return a, b
    if isinstance(b, (float, int)):
        if type(b) is not float and type(b) is not int and type(b) is not bool:
            b = b.item()  # np.float64 is a float: PyTorch treats NumPy scalars as Python numbers
        da = a.dtype
        if isinstance(b, bool):
            if da is D.bool_:
                return a, b
            return a, int(b)
        if isinstance(b, float) and not da.is_floating_point:
            a = cast(a, D.get_default_dtype())
        elif da is D.bool_:
            a = cast(a, D.int64)
        elif type(b) is int and da._category == 1 and (b < 0 or b > 127):
            b = _wrap_int(b, da)
        return a, b
    if hasattr(b, "__array__") or isinstance(b, (list, tuple)):
        return binary_operands(a, as_tensor_like(b, a), op)
    return NotImplemented, None


def _wrap_int(b, dtype):
    """A Python int taken into an integer tensor's dtype, wrapping like PyTorch's C++ cast (NumPy
    would refuse an out-of-range integer)."""
    import numpy as np

    info = np.iinfo(dtype.np)
    if info.min <= b <= info.max:
        return b
    if not -(2**63) <= b < 2**64:
        raise RuntimeError(f"value cannot be converted to type {dtype.name} without overflow")
    span = info.max - info.min + 1
    return (b - info.min) % span + info.min


def cast(t, dtype):
    from .elementwise import cast as _cast

    return _cast(t, dtype)


__all__ = ["Node", "apply", "attach", "binary_operands", "output_of", "check_same_device"]
