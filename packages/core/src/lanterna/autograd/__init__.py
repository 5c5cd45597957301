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


def _make_grads(outputs, grad_outputs, is_grads_batched=False):
    from .._tensor import Tensor

    grads = []
    for i, (o, g) in enumerate(zip(outputs, grad_outputs)):
        if g is None:
            # an output that needs no gradient keeps None: the engine then names it
            g = _implicit_grad(o, i) if o._requires_grad else None
        elif not isinstance(g, Tensor):
            raise TypeError(f"gradients can be either Tensors or None, but got {type(g).__name__}")
        else:
            gshape = g.shape[1:] if is_grads_batched else g.shape
            if gshape != o.shape:
                if is_grads_batched:
                    raise RuntimeError(
                        "If `is_grads_batched=True`, we interpret the first dimension of each grad_output as "
                        "the batch dimension. The sizes of the remaining dimensions are expected to match the "
                        f"shape of corresponding output, but a mismatch was detected: grad_output[{i}] has a "
                        f"shape of {g.shape[2:]} and output[{i}] has a shape of {o.shape}. If you only want some "
                        "tensors in `grad_output` to be considered batched, consider using vmap."
                    )
                raise RuntimeError(
                    f"Mismatch in shape: grad_output[{i}] has a shape of {g.shape} and output[{i}] has a shape of {o.shape}."
                )
            if g._data.dtype != o._data.dtype:
                # as PyTorch's engine: a root gradient takes its output's dtype before any node sees it
                g = g.to(o.dtype)
        grads.append(g)
    return grads


def _check_roots(tensors, grads):
    """The engine's error for an output that neither requires grad nor got a gradient."""
    for i, (t, g) in enumerate(zip(tensors, grads)):
        if g is None or not (t._requires_grad or t.grad_fn is not None):
            raise RuntimeError(f"element {i} of tensors does not require grad and does not have a grad_fn")


def _inputs_tuple(inputs, fn):
    from .._tensor import Tensor

    if isinstance(inputs, Tensor):
        return (inputs,)
    if type(inputs) is dict:
        return tuple(inputs.values())
    from collections.abc import Mapping

    if isinstance(inputs, Mapping):
        raise TypeError(f"`inputs` argument to `{fn}()` must be a dict, not {type(inputs).__name__}. "
                        "Other Mapping types are not supported.")
    return tuple(inputs)


_WARNED_CREATE_GRAPH = [False]


def _warn_create_graph_cycle():
    """PyTorch's warning (once per process) for ``backward(create_graph=True)``."""
    import warnings

    _WARNED_CREATE_GRAPH[0] = True
    warnings.warn(
        "Using backward() with create_graph=True will create a reference cycle between the parameter and its "
        "gradient which can cause a memory leak. We recommend using autograd.grad when creating the graph to "
        "avoid this. If you have to use this function, make sure to reset the .grad fields of your parameters to "
        "None after use to break the cycle and avoid the leak.", UserWarning, stacklevel=3)


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """Accumulate gradients of ``tensors`` into the leaves' ``.grad``."""
    if retain_graph is None:
        retain_graph = create_graph
    if create_graph and not _WARNED_CREATE_GRAPH[0]:
        _warn_create_graph_cycle()
    if grad_tensors is None and inputs is None and hasattr(tensors, "grad_fn"):  # loss.backward()
        run_backward((tensors,), (_implicit_grad(tensors, 0),), retain_graph, create_graph)
        return
    from .._tensor import Tensor

    if inputs is not None:
        inputs = _inputs_tuple(inputs, "backward")
        if not inputs:
            raise RuntimeError("`inputs` argument to `backward()` cannot be empty.")
        for t in inputs:
            if isinstance(t, Tensor) and not t._requires_grad and t.grad_fn is None:
                raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
    tensors = [tensors] if isinstance(tensors, Tensor) else list(tensors)
    if grad_tensors is None:
        grad_tensors = [None] * len(tensors)
    elif isinstance(grad_tensors, Tensor):
        grad_tensors = [grad_tensors]
    grads = _make_grads(tensors, list(grad_tensors))
    _check_roots(tensors, grads)
    if inputs is not None:
        captured = run_backward(tensors, grads, retain_graph, create_graph, inputs=list(inputs), allow_unused=True,
                                accumulate=False)
        for t, g in zip(inputs, captured):
            if g is not None:
                g = g if create_graph else g.detach()
                t._grad = g.clone() if t._grad is None else t._grad + g
        return
    run_backward(tensors, grads, retain_graph, create_graph)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False, only_inputs=True,
         allow_unused=None, is_grads_batched=False, materialize_grads=False):
    """Gradients of ``outputs`` w.r.t. ``inputs``, returned (not accumulated into ``.grad``).

    ``inputs`` may be a dict of tensors: the gradients then come back as a dict with its keys.
    With ``is_grads_batched``, the first dimension of each ``grad_outputs`` tensor is a batch of
    vectors: one backward per vector, the results stacked along a new first dimension.
    """
    from .._tensor import Tensor

    if materialize_grads and allow_unused is False:
        raise ValueError(
            "Expected allow_unused to be True or not passed when materialize_grads=True, "
            "but got: allow_unused=False."
        )
    if allow_unused is None:
        allow_unused = materialize_grads
    outputs = [outputs] if isinstance(outputs, Tensor) else list(outputs)
    inputs_tuple = _inputs_tuple(inputs, "grad")
    if not inputs_tuple:
        raise RuntimeError("`inputs` argument to `grad()` cannot be empty.")
    if not only_inputs:
        import warnings

        warnings.warn(
            "only_inputs argument is deprecated and is ignored now (defaults to True). To accumulate gradient "
            "for other parts of the graph, please use torch.autograd.backward.",
            FutureWarning, stacklevel=2,
        )
    if grad_outputs is None:
        grad_outputs = [None] * len(outputs)
    elif isinstance(grad_outputs, Tensor):
        grad_outputs = [grad_outputs]
    grads = _make_grads(outputs, list(grad_outputs), is_grads_batched)
    _check_roots(outputs, grads)
    for t in inputs_tuple:
        if not isinstance(t, Tensor):
            raise TypeError(f"inputs must be tensors, got {type(t).__name__}")
        if not (t._requires_grad or t.grad_fn is not None):
            raise RuntimeError("One of the differentiated Tensors does not require grad")
    if retain_graph is None:
        retain_graph = create_graph
    if is_grads_batched:
        result = _batched_grad(outputs, grads, inputs_tuple, retain_graph, create_graph, allow_unused)
    else:
        result = run_backward(outputs, grads, retain_graph, create_graph, inputs=list(inputs_tuple),
                              allow_unused=allow_unused, accumulate=False)
        if not create_graph:
            result = [g.detach() if g is not None else None for g in result]
    if materialize_grads:
        result = [g if g is not None else t.new_zeros(t.shape).requires_grad_(create_graph)
                  for g, t in zip(result, inputs_tuple)]
    if type(inputs) is dict:
        return dict(zip(inputs.keys(), result))
    return tuple(result)


def _batched_grad(outputs, grads, inputs, retain_graph, create_graph, allow_unused):
    """``is_grads_batched``: one backward per row of the grad_outputs, stacked (PyTorch uses vmap)."""
    from ..ops.joining import stack

    n = grads[0].shape[0]
    for g in grads[1:]:
        if g.shape[0] != n:
            raise ValueError(f"vmap: Expected all tensors to have the same size in the mapped dimension, "
                             f"got sizes {[x.shape[0] for x in grads]} for the mapped dimension")
    rows = []
    for k in range(n):
        # every pass but the last keeps the graph for the next one
        keep = retain_graph or k < n - 1
        res = run_backward(outputs, [g[k] for g in grads], keep, create_graph, inputs=list(inputs),
                           allow_unused=allow_unused, accumulate=False)
        rows.append(res)
    out = []
    for i, t in enumerate(inputs):
        col = [r[i] for r in rows]
        if all(c is None for c in col):
            out.append(None)
            continue
        col = [c if c is not None else t.new_zeros(t.shape) for c in col]
        s = stack(col)
        out.append(s if create_graph else s.detach())
    return out


def Variable(data, requires_grad=False, volatile=False):
    """Legacy wrapper: in modern PyTorch (and here) a Variable is just a Tensor."""
    from .._tensor import Tensor

    if not isinstance(data, Tensor):
        raise TypeError("Variable data has to be a tensor")
    if requires_grad:
        data.requires_grad_(True)
    return data


# (enabled, check_nan). The engine's flag ANOMALY is on only while NaNs are checked: checking
# NaNs is all anomaly mode does in the engine, so check_nan=False leaves it off.
_ANOMALY_MODE = [False, True]


def _set_anomaly(enabled, check_nan):
    _ANOMALY_MODE[0], _ANOMALY_MODE[1] = enabled, check_nan
    ANOMALY[0] = enabled and check_nan


class detect_anomaly:
    """Check every backward for NaNs and name the forward op that produced them (a context
    manager only: PyTorch's is not a decorator either)."""

    def __init__(self, check_nan=True):
        import warnings

        self.prev = _ANOMALY_MODE[0]
        self.check_nan = check_nan
        self.prev_check_nan = _ANOMALY_MODE[1]
        warnings.warn("Anomaly Detection has been enabled. This mode will increase the runtime and should only be "
                      "enabled for debugging.", UserWarning, stacklevel=2)

    def __enter__(self):
        _set_anomaly(True, self.check_nan)

    def __exit__(self, *exc):
        _set_anomaly(self.prev, self.prev_check_nan)
        return False


class set_detect_anomaly:
    """Turn anomaly detection on or off (at once, or for a ``with`` block)."""

    def __init__(self, mode, check_nan=True):
        self.prev = _ANOMALY_MODE[0]
        self.prev_check_nan = _ANOMALY_MODE[1]
        _set_anomaly(bool(mode), bool(check_nan))

    def __enter__(self):
        pass

    def __exit__(self, *exc):
        _set_anomaly(self.prev, self.prev_check_nan)
        return False


def is_anomaly_enabled():
    return _ANOMALY_MODE[0]


def is_anomaly_check_nan_enabled():
    return _ANOMALY_MODE[1]


def __getattr__(name):
    # ``torch.autograd.profiler`` loads on first use: ``import lanterna`` does not need it
    if name == "profiler":
        import importlib

        return importlib.import_module(f"{__name__}.profiler")
    raise AttributeError(f"module '{__name__}' has no attribute '{name}'")


__all__ = [
    "Function", "FunctionCtx", "GradcheckError", "InplaceFunction", "Variable", "backward", "detect_anomaly",
    "enable_grad", "grad", "gradcheck", "gradgradcheck", "graph", "inference_mode", "is_grad_enabled",
    "no_grad", "once_differentiable", "set_detect_anomaly", "set_grad_enabled", "is_anomaly_enabled",
    "is_anomaly_check_nan_enabled", "functional",
]
