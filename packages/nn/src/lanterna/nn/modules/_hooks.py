"""Hook handles and the machinery behind ``Module.register_full_backward_hook``."""

from __future__ import annotations

import warnings
import weakref
from collections import OrderedDict

from lanterna import Tensor, is_grad_enabled
from lanterna.autograd import Function


class RemovableHandle:
    """A handle that removes a hook from the dict(s) it was registered in.

    >>> import lanterna as torch
    >>> m = torch.nn.Linear(2, 2)
    >>> h = m.register_forward_hook(lambda mod, inp, out: None)
    >>> len(m._forward_hooks)
    1
    >>> h.remove(); len(m._forward_hooks)
    0
    """

    next_id = 0

    def __init__(self, hooks_dict, *, extra_dict=None):
        self.hooks_dict_ref = weakref.ref(hooks_dict)
        self.id = RemovableHandle.next_id
        RemovableHandle.next_id += 1
        if isinstance(extra_dict, dict):
            extra_dict = [extra_dict]
        self.extra_dict_ref = tuple(weakref.ref(d) for d in extra_dict or ())

    def remove(self):
        """Unregister the hook (idempotent)."""
        for ref in (self.hooks_dict_ref, *self.extra_dict_ref):
            d = ref()
            if d is not None and self.id in d:
                del d[self.id]

    def __getstate__(self):
        return (self.hooks_dict_ref(), self.id, tuple(ref() for ref in self.extra_dict_ref))

    def __setstate__(self, state):
        self.hooks_dict_ref = weakref.ref(state[0] if state[0] is not None else OrderedDict())
        self.id = state[1]
        RemovableHandle.next_id = max(RemovableHandle.next_id, self.id + 1)
        self.extra_dict_ref = tuple(weakref.ref(d) for d in (state[2] if len(state) > 2 else ()) if d is not None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


class _WrappedHook:
    """A hook bound to a module through a weak reference (load_state_dict pre-hooks)."""

    def __init__(self, hook, module=None):
        self.hook = hook
        self.module = weakref.ref(module) if module is not None else None

    def __call__(self, *args, **kwargs):
        if self.module is None:
            return self.hook(*args, **kwargs)
        module = self.module()
        if module is None:
            raise RuntimeError("You are trying to call the hook of a dead Module!")
        return self.hook(module, *args, **kwargs)


class BackwardHookFunction(Function):
    """Identity on a group of tensors; its backward is where module backward hooks run."""

    @staticmethod
    def forward(ctx, *tensors):
        ctx.mark_non_differentiable(*[t for t in tensors if not t.requires_grad])
        return tensors

    @staticmethod
    def backward(ctx, *grads):
        callback = ctx.callback
        return callback(grads) if callback is not None else grads


class BackwardHook:
    """Calls full backward (pre-)hooks of one module call with the grads of its inputs/outputs.

    The module's tensor inputs and outputs are routed through ``BackwardHookFunction`` nodes:
    the output node sees ``grad_output`` (and runs the pre-hooks, which may replace it), the
    input node sees ``grad_input`` and runs the hooks (which may replace it).
    """

    def __init__(self, module, user_hooks, user_pre_hooks):
        self.module = module
        self.user_hooks = user_hooks
        self.user_pre_hooks = user_pre_hooks
        self.grad_outputs = None
        self.n_inputs = self.n_outputs = -1
        self.input_index = self.output_index = None

    @staticmethod
    def _pack(indices, values, size):
        res = [None] * size
        for i, v in zip(indices, values):
            res[i] = v
        return tuple(res)

    def _wrap(self, args, callback):
        idx = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        if not (is_grad_enabled() and any(args[i].requires_grad for i in idx)):
            return args, None
        ctx_out = BackwardHookFunction.apply(*[args[i] for i in idx])
        new = ctx_out if isinstance(ctx_out, tuple) else (ctx_out,)
        node = next(t.grad_fn for t in new if t.grad_fn is not None)
        node.callback = callback
        out = list(args)
        for i, t in zip(idx, new):
            out[i] = t
        return tuple(out), idx

    def _input_grads(self, grads):
        if self.grad_outputs is None:  # gradient reached the inputs without passing the outputs
            return grads
        res = self._pack(self.input_index, grads, self.n_inputs)
        for hook in self.user_hooks:
            out = hook(self.module, res, self.grad_outputs)
            if out is None:
                continue
            if len(out) != len(res):
                raise RuntimeError(
                    f"Backward hook returned an invalid number of grad_input, got {len(out)}, but expected {len(res)}"
                )
            res = out
        self.grad_outputs = None
        return tuple(res[i] for i in self.input_index)

    def _output_grads(self, grads):
        self.grad_outputs = self._pack(self.output_index, grads, self.n_outputs)
        for hook in self.user_pre_hooks:
            out = hook(self.module, self.grad_outputs)
            if out is None:
                continue
            if len(out) != len(self.grad_outputs):
                raise RuntimeError(
                    f"Backward pre hook returned an invalid number of grad_output, got {len(out)}, "
                    f"but expected {len(self.grad_outputs)}"
                )
            self.grad_outputs = tuple(out)
        local = self.grad_outputs
        if self.input_index is None:  # no input requires grad: fire the hooks now
            warnings.warn(
                "Full backward hook is firing when gradients are computed with respect to module outputs "
                "since no inputs require gradients.", stacklevel=2,
            )
            grad_inputs = self._pack([], [], self.n_inputs)
            for hook in self.user_hooks:
                res = hook(self.module, grad_inputs, self.grad_outputs)
                if res is not None and not (isinstance(res, tuple) and all(r is None for r in res)):
                    raise RuntimeError(
                        "Backward hook for Modules where no input requires gradient should always return None "
                        "or None for all gradients."
                    )
            self.grad_outputs = None
        return tuple(local[i] for i in self.output_index)

    def setup_input_hook(self, args):
        res, self.input_index = self._wrap(args, self._input_grads)
        self.n_inputs = len(args)
        return res

    def setup_output_hook(self, result):
        is_tuple = isinstance(result, tuple)
        args = result if is_tuple else (result,)
        res, self.output_index = self._wrap(args, self._output_grads)
        self.n_outputs = len(args)
        return res if is_tuple else res[0]
