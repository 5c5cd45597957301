"""``lanterna.func`` (``torch.func``): composable function transforms and functional module calls.

``grad``, ``grad_and_value``, ``vjp``, ``jvp``, ``jacrev``, ``jacfwd``, ``hessian``, ``linearize``
(see :mod:`lanterna.func._transforms`), ``vmap`` (a loop over the batch: see
:mod:`lanterna.func._vmap`), ``functional_call`` and ``stack_module_state``. The package loads on
first use of ``lanterna.func`` or ``lanterna.vmap``.

>>> import lanterna as torch
>>> m = torch.nn.Linear(2, 1)
>>> torch.func.functional_call(m, {"weight": torch.ones(1, 2), "bias": torch.zeros(1)}, torch.ones(1, 2))
tensor([[2.]])
>>> torch.func.vmap(torch.func.grad(lambda x: (x ** 2).sum()))(torch.tensor([[1.0, 2.0], [3.0, 4.0]]))
tensor([[2., 4.],
        [6., 8.]])
"""

from __future__ import annotations

from collections.abc import Sequence

from ._transforms import grad, grad_and_value, hessian, jacfwd, jacrev, jvp, linearize, vjp
from ._vmap import vmap

__all__ = [
    "grad",
    "grad_and_value",
    "vmap",
    "replace_all_batch_norm_modules_",
    "functionalize",
    "hessian",
    "jacfwd",
    "jacrev",
    "jvp",
    "linearize",
    "vjp",
    "functional_call",
    "stack_module_state",
    "debug_unwrap",
]


def functional_call(
    module, parameter_and_buffer_dicts, args=None, kwargs=None, *, tie_weights=True, strict=False
):
    """Call ``module(*args, **kwargs)`` with its parameters and buffers replaced by the tensors of
    ``parameter_and_buffer_dicts`` (a dict, or a sequence of dicts with distinct keys), by dotted
    name; the module is left as it was. Gradients flow to the given tensors.

    ``tie_weights``: tensors tied in the module (one object under two names) stay tied.
    ``strict``: the given names must be exactly the module's parameters and buffers.
    """
    import lanterna.nn.utils.stateless as stateless

    if isinstance(parameter_and_buffer_dicts, dict):
        parameters_and_buffers = parameter_and_buffer_dicts
    elif isinstance(parameter_and_buffer_dicts, Sequence):
        if not all(isinstance(d, dict) for d in parameter_and_buffer_dicts):
            raise ValueError("Expected all elements of parameter_and_buffer_dicts to be dictionaries")
        counts = {}
        for d in parameter_and_buffer_dicts:
            for k in d:
                counts[k] = counts.get(k, 0) + 1
        repeated_keys = [key for key, n in counts.items() if n > 1]
        if len(repeated_keys) > 0:
            raise ValueError(
                f"{repeated_keys} appeared in multiple dictionaries; behavior of functional call is ambiguous"
            )
        parameters_and_buffers = {k: v for d in parameter_and_buffer_dicts for k, v in d.items()}
    else:
        raise ValueError(
            f"Expected parameter_and_buffer_dicts to be a dict, or a list/tuple of dicts, "
            f"but got {type(parameter_and_buffer_dicts)}"
        )
    return stateless._functional_call(
        module, parameters_and_buffers, args, kwargs, tie_weights=tie_weights, strict=strict
    )


def stack_module_state(models):
    """``(params, buffers)``: each parameter and buffer of the same-class ``models``, stacked along a
    new first dimension, by name. Stacked parameters are new leaves (for an optimizer).

    >>> import lanterna as torch
    >>> params, buffers = torch.func.stack_module_state([torch.nn.Linear(3, 2) for _ in range(4)])
    >>> params["weight"].shape
    torch.Size([4, 2, 3])
    """
    import lanterna

    if len(models) == 0:
        raise RuntimeError("stack_module_state: Expected at least one model, got 0.")
    if not (all(m.training for m in models) or all(not m.training for m in models)):
        raise RuntimeError("stack_module_state: Expected all models to have the same training/eval mode.")
    model0_typ = type(models[0])
    if not all(type(m) is model0_typ for m in models):
        raise RuntimeError("stack_module_state: Expected all models to be of the same class.")

    def stacked_leaf(tensors, name):
        all_requires_grad = all(t.requires_grad for t in tensors)
        none_requires_grad = all(not t.requires_grad for t in tensors)
        if not all_requires_grad and not none_requires_grad:
            raise RuntimeError(f"Expected {name} from each model to have the same .requires_grad")
        result = lanterna.stack(tensors)
        if all_requires_grad:
            result = result.detach().requires_grad_()
        return result

    all_params = [dict(model.named_parameters()) for model in models]
    params = {k: stacked_leaf(tuple(p[k] for p in all_params), k) for k in all_params[0]}
    all_buffers = [dict(model.named_buffers()) for model in models]
    buffers = {k: stacked_leaf(tuple(b[k] for b in all_buffers), k) for k in all_buffers[0]}
    return params, buffers


def functionalize(func, *, remove="mutations"):
    """Accepted for compatibility: Lanterna runs eagerly, so the function is returned wrapped,
    its mutations left as they are (the results are the same)."""
    import functools

    if remove not in ("mutations", "mutations_and_views"):
        raise RuntimeError(
            f"functionalize(f, remove='mutations'): received invalid argument for remove={remove}. "
            "Valid options are:\n     remove='mutations': all inplace and out= operators will be removed "
            "from the program, and replaced with their out-of-place equivalents.\n     "
            "remove='mutations_and_views': In addition to the above, all aliasing operators {view} will be "
            "replaced with their non-aliasing counterparts, {view}_copy.\n"
        )

    @functools.wraps(func)
    def wrapped(*args, **kwargs):
        return func(*args, **kwargs)

    return wrapped


def debug_unwrap(tensor, *, recurse=True):
    """The tensor itself: Lanterna's transforms do not wrap tensors."""
    return tensor


def replace_all_batch_norm_modules_(root):
    """Make every batch-norm module of ``root`` (``root`` included) stop tracking running
    statistics (they become None), in place, so that it works under ``vmap``; returns ``root``."""
    from lanterna.nn.modules.batchnorm import _BatchNorm

    for module in root.modules():
        if isinstance(module, _BatchNorm) and module.track_running_stats:
            module.running_mean = None
            module.running_var = None
            module.num_batches_tracked = None
            module.track_running_stats = False
    return root
