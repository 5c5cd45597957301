"""Automatic differentiation: ``backward``, ``grad``, custom ``Function``, grad modes, checks."""

from __future__ import annotations

from . import functional, graph
from .function import Function, FunctionCtx, InplaceFunction, once_differentiable
from .grad_mode import enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled
from .gradcheck import GradcheckError, gradcheck, gradgradcheck
from .graph import ANOMALY, run_backward


def _implicit_grad(o, i):
    """The gradient ``backward()`` assumes for output ``o`` (number ``i``): one, for a scalar."""
    if not o._requires_grad:
        raise RuntimeError(f"element {i} of tensors does not require grad and does not have a grad_fn")
    if o._data.size != 1:
        raise RuntimeError("grad can be implicitly created only for scalar outputs")
    if not o.dtype.is_floating_point:
        raise RuntimeError(f"grad can be implicitly created only for real scalar outputs but got {o.dtype}")
    # asarray rather than ones_like: NumPy's ones and ones_like are Python-level functions of
    # several calls, and this runs on every loss.backward()
    data = o._data
    xp = o._backend.xp
    one = xp.asarray(1, dtype=data.dtype, device=data.device)
    if data.ndim:
        one = xp.reshape(one, data.shape)
    return o._make(one, o._backend, o._device)


def _make_grads(outputs, grad_outputs):
    from .._tensor import Tensor

    grads = []
    for i, (o, g) in enumerate(zip(outputs, grad_outputs)):
        if g is None:
            g = _implicit_grad(o, i)
        elif not isinstance(g, Tensor):
            g = o.new_full(o.shape, g)
        elif g.shape != o.shape:
            raise RuntimeError(
                f"Mismatch in shape: grad_output[{i}] has a shape of {g.shape} and output[{i}] has a shape of {o.shape}."
            )
        grads.append(g)
    return grads


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """Accumulate gradients of ``tensors`` into the leaves' ``.grad``."""
    if retain_graph is None:
        retain_graph = create_graph
    if grad_tensors is None and inputs is None and hasattr(tensors, "grad_fn"):  # loss.backward()
        run_backward((tensors,), (_implicit_grad(tensors, 0),), retain_graph, create_graph)
        return
    from .._tensor import Tensor

    tensors = [tensors] if isinstance(tensors, Tensor) else list(tensors)
    if grad_tensors is None:
        grad_tensors = [None] * len(tensors)
    elif isinstance(grad_tensors, Tensor):
        grad_tensors = [grad_tensors]
    grads = _make_grads(tensors, list(grad_tensors))
    if inputs is not None:
        inputs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
        captured = run_backward(tensors, grads, retain_graph, create_graph, inputs=inputs, allow_unused=True,
                                accumulate=False)
        for t, g in zip(inputs, captured):
            if g is not None:
                g = g if create_graph else g.detach()
                t._grad = g.clone() if t._grad is None else t._grad + g
        return
    run_backward(tensors, grads, retain_graph, create_graph)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False, only_inputs=True,
         allow_unused=None, is_grads_batched=False, materialize_grads=False):
    """Gradients of ``outputs`` w.r.t. ``inputs``, returned (not accumulated into ``.grad``)."""
    from .._tensor import Tensor

    outputs = [outputs] if isinstance(outputs, Tensor) else list(outputs)
    single = isinstance(inputs, Tensor)
    inputs = [inputs] if single else list(inputs)
    if grad_outputs is None:
        grad_outputs = [None] * len(outputs)
    elif isinstance(grad_outputs, Tensor):
        grad_outputs = [grad_outputs]
    grads = _make_grads(outputs, list(grad_outputs))
    if retain_graph is None:
        retain_graph = create_graph
    if allow_unused is None:
        allow_unused = materialize_grads
    result = run_backward(outputs, grads, retain_graph, create_graph, inputs=inputs,
                          allow_unused=allow_unused, accumulate=False)
    if materialize_grads:
        result = [g if g is not None else t.new_zeros(t.shape) for g, t in zip(result, inputs)]
    if not create_graph:
        result = [g.detach() if g is not None else None for g in result]
    return tuple(result)


def Variable(data, requires_grad=False, volatile=False):
    """Legacy wrapper: in modern PyTorch (and here) a Variable is just a Tensor."""
    from .._tensor import Tensor

    if not isinstance(data, Tensor):
        raise TypeError("Variable data has to be a tensor")
    if requires_grad:
        data.requires_grad_(True)
    return data


class detect_anomaly:
    """Check every backward for NaNs and name the forward op that produced them (a context
    manager and a decorator)."""

    def __init__(self, check_nan=True):
        self.check_nan = check_nan

    def __enter__(self):
        import warnings

        warnings.warn("Anomaly Detection has been enabled. This mode will increase the runtime and should only be "
                      "enabled for debugging.", UserWarning, stacklevel=2)
        self._prev = (ANOMALY[0], _CHECK_NAN[0])
        ANOMALY[0], _CHECK_NAN[0] = True, self.check_nan
        return self

    def __exit__(self, *exc):
        ANOMALY[0], _CHECK_NAN[0] = self._prev
        return False

    def __call__(self, fn):
        import functools

        @functools.wraps(fn)
        def wrapper(*a, **k):
            with detect_anomaly(self.check_nan):
                return fn(*a, **k)

        return wrapper


_CHECK_NAN = [True]


class set_detect_anomaly:
    """Turn anomaly detection on or off (at once, or for a ``with`` block)."""

    def __init__(self, mode, check_nan=True):
        self._prev = (ANOMALY[0], _CHECK_NAN[0])
        ANOMALY[0], _CHECK_NAN[0] = bool(mode), bool(check_nan)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        ANOMALY[0], _CHECK_NAN[0] = self._prev
        return False


def is_anomaly_enabled():
    return ANOMALY[0]


def is_anomaly_check_nan_enabled():
    return ANOMALY[0] and _CHECK_NAN[0]


__all__ = [
    "Function", "FunctionCtx", "GradcheckError", "InplaceFunction", "Variable", "backward", "detect_anomaly",
    "enable_grad", "grad", "gradcheck", "gradgradcheck", "graph", "inference_mode", "is_grad_enabled",
    "no_grad", "once_differentiable", "set_detect_anomaly", "set_grad_enabled", "is_anomaly_enabled",
    "is_anomaly_check_nan_enabled", "functional",
]
