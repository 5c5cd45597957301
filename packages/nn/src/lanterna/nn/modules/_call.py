"""``Module.__call__`` when hooks are registered (the hook-free path is inline in ``Module``)."""

from __future__ import annotations

import warnings

from lanterna import Tensor

from . import _hooks as M
from ._hooks import BackwardHook


def call_with_hooks(self, args, kwargs):
    """Run forward pre-hooks, backward-hook wiring, ``forward`` and forward hooks, as PyTorch does."""
    result = None
    called_always = set()
    try:
        full_bw, non_full_bw = [], []
        bw_pre = []
        if self._backward_pre_hooks or M._global_backward_pre_hooks:
            bw_pre = self._get_backward_pre_hooks()
        if self._backward_hooks or M._global_backward_hooks:
            full_bw, non_full_bw = self._get_backward_hooks()

        for hook_id, hook in (*M._global_forward_pre_hooks.items(), *self._forward_pre_hooks.items()):
            if hook_id in self._forward_pre_hooks_with_kwargs:
                out = hook(self, args, kwargs)
                if out is not None:
                    if isinstance(out, tuple) and len(out) == 2:
                        args, kwargs = out
                    else:
                        raise RuntimeError(
                            "forward pre-hook must return None or a tuple of (new_args, new_kwargs), "
                            f"but got {out}."
                        )
            else:
                out = hook(self, args)
                if out is not None:
                    args = out if isinstance(out, tuple) else (out,)

        bw_hook = None
        if full_bw or bw_pre:
            bw_hook = BackwardHook(self, full_bw, bw_pre)
            args = bw_hook.setup_input_hook(args)

        result = self.forward(*args, **kwargs)

        for hook_id, hook in (*M._global_forward_hooks.items(), *self._forward_hooks.items()):
            if (
                hook_id in self._forward_hooks_always_called
                or hook_id in M._global_forward_hooks_always_called
            ):
                called_always.add(hook_id)
            if hook_id in self._forward_hooks_with_kwargs or hook_id in M._global_forward_hooks_with_kwargs:
                out = hook(self, args, kwargs, result)
            else:
                out = hook(self, args, result)
            if out is not None:
                result = out

        if bw_hook is not None:
            if not isinstance(result, (Tensor, tuple)):
                warnings.warn(
                    "For backward hooks to be called, module output should be a Tensor or a tuple of "
                    f"Tensors but received {type(result)}",
                    stacklevel=3,
                )
            result = bw_hook.setup_output_hook(result)

        if non_full_bw:
            var = result
            while not isinstance(var, Tensor):
                var = (
                    next(v for v in var.values() if isinstance(v, Tensor))
                    if isinstance(var, dict)
                    else var[0]
                )
            grad_fn = var.grad_fn
            if grad_fn is not None:
                for hook in non_full_bw:
                    _register_legacy_hook(grad_fn, hook, self)
                _maybe_warn_non_full_backward_hook(args, result, grad_fn)
        return result
    except Exception:
        for hook_id, hook in M._global_forward_hooks.items():
            if hook_id in M._global_forward_hooks_always_called and hook_id not in called_always:
                try:
                    out = hook(self, args, result)
                    if out is not None:
                        result = out
                except Exception as e:
                    warnings.warn(
                        "global module forward hook with ``always_call=True`` raised an exception that "
                        f"was silenced as another error was raised in forward: {e}",
                        stacklevel=2,
                    )
        for hook_id, hook in self._forward_hooks.items():
            if hook_id in self._forward_hooks_always_called and hook_id not in called_always:
                try:
                    if hook_id in self._forward_hooks_with_kwargs:
                        out = hook(self, args, kwargs, result)
                    else:
                        out = hook(self, args, result)
                    if out is not None:
                        result = out
                except Exception as e:
                    warnings.warn(
                        "module forward hook with ``always_call=True`` raised an exception that was "
                        f"silenced as another error was raised in forward: {e}",
                        stacklevel=2,
                    )
        raise


def _register_legacy_hook(grad_fn, hook, module):
    """``register_backward_hook``: hook(module, grad_input, grad_output) on the output's grad_fn."""

    def wrapped(grad_inputs, grad_outputs):
        return hook(module, tuple(grad_inputs), tuple(grad_outputs))  # a tuple replaces grad_input

    grad_fn.register_hook(wrapped)


def _maybe_warn_non_full_backward_hook(inputs, result, grad_fn):
    """PyTorch's FutureWarnings for the cases where ``register_backward_hook`` misses gradients."""
    if not isinstance(result, Tensor):
        if not (isinstance(result, tuple) and all(isinstance(r, Tensor) for r in result)):
            warnings.warn(
                "Using non-full backward hooks on a Module that does not return a "
                "single Tensor or a tuple of Tensors is deprecated and will be removed "
                "in future versions. This hook will be missing some of the grad_output. "
                "Please use register_full_backward_hook to get the documented behavior.",
                FutureWarning,
                stacklevel=4,
            )
            return
    else:
        result = (result,)
    if not isinstance(inputs, Tensor):
        if not (isinstance(inputs, tuple) and all(isinstance(i, Tensor) for i in inputs)):
            warnings.warn(
                "Using non-full backward hooks on a Module that does not take as input a "
                "single Tensor or a tuple of Tensors is deprecated and will be removed "
                "in future versions. This hook will be missing some of the grad_input. "
                "Please use register_full_backward_hook to get the documented behavior.",
                FutureWarning,
                stacklevel=4,
            )
            return
    else:
        inputs = (inputs,)
    out_grad_fn = {r.grad_fn for r in result if r.grad_fn is not None}
    if len(out_grad_fn) == 0 or (len(out_grad_fn) == 1 and grad_fn not in out_grad_fn):
        warnings.warn(
            "Using a non-full backward hook when outputs are nested in python data structure "
            "is deprecated and will be removed in future versions. This hook will be missing "
            "some grad_output.",
            FutureWarning,
            stacklevel=4,
        )
    elif len(out_grad_fn) > 1:
        warnings.warn(
            "Using a non-full backward hook when outputs are generated by different autograd Nodes "
            "is deprecated and will be removed in future versions. This hook will be missing "
            "some grad_output. Please use register_full_backward_hook to get the documented behavior.",
            FutureWarning,
            stacklevel=4,
        )
    else:
        # the hook sees the grad_fn's own inputs: right only when they are the module's inputs
        inputs_grad_fn = {i.grad_fn for i in inputs if i.grad_fn is not None}
        next_functions = {n[0] for n in grad_fn.next_functions}
        if inputs_grad_fn != next_functions:
            warnings.warn(
                "Using a non-full backward hook when the forward contains multiple autograd Nodes "
                "is deprecated and will be removed in future versions. This hook will be missing "
                "some grad_input. Please use register_full_backward_hook to get the documented "
                "behavior.",
                FutureWarning,
                stacklevel=4,
            )
