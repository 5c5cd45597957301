"""Helpers of ``Module``: loading one module's tensors from a state dict, type names for errors."""

from __future__ import annotations

import lanterna
from lanterna import Tensor

from ..parameter import Parameter, is_lazy


def _typename(obj):
    """``torch.typename``: 'torch.FloatTensor' for tensors, the qualified class name otherwise."""
    if isinstance(obj, Tensor):
        return obj.type()
    module = getattr(obj, "__module__", "") or ""
    if hasattr(obj, "__qualname__"):
        qualname = obj.__qualname__
    elif hasattr(obj, "__name__"):
        qualname = obj.__name__
    else:
        module = obj.__class__.__module__ or ""
        qualname = obj.__class__.__qualname__
    return qualname if module in ("", "builtins") else f"{module}.{qualname}"


def _load_module_state(module, state_dict, prefix, local_state, strict, assign, missing_keys, error_msgs):
    """Copy (or with ``assign``, set) each of ``local_state``'s tensors from ``state_dict``."""
    for name, param in local_state.items():
        key = prefix + name
        if key not in state_dict:
            if strict:
                missing_keys.append(key)
            continue
        input_param = state_dict[key]
        if not isinstance(input_param, Tensor):
            error_msgs.append(
                f'While copying the parameter named "{key}", expected torch.Tensor or Tensor-like object from '
                f"checkpoint but received {type(input_param)}"
            )
            continue
        lazy = is_lazy(param)
        if not lazy and param.dim() == 0 and input_param.dim() == 1 and input_param.shape[0] == 1:
            input_param = input_param[0]
        if not lazy and input_param.shape != param.shape:
            error_msgs.append(
                f"size mismatch for {key}: copying a param with shape {input_param.shape} from checkpoint, "
                f"the shape in current model is {param.shape}."
            )
            continue
        try:
            with lanterna.no_grad():
                if assign:
                    if isinstance(param, Parameter):
                        if not isinstance(input_param, Parameter):
                            input_param = Parameter(input_param, requires_grad=param.requires_grad)
                        else:
                            input_param.requires_grad_(param.requires_grad)
                    setattr(module, name, input_param)
                elif lazy:
                    param.materialize(input_param.shape)
                    param.copy_(input_param)
                else:
                    param.copy_(input_param)
        except Exception as ex:
            error_msgs.append(
                f'While copying the parameter named "{key}", whose dimensions in the model are {param.size()} '
                f"and whose dimensions in the checkpoint are {input_param.size()}, an exception occurred : {ex.args}."
            )
