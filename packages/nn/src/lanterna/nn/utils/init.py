"""``skip_init``: build a module without running its parameter initialisation."""

from __future__ import annotations

import inspect

import lanterna

from ..modules.module import Module

__all__ = ["skip_init"]


def skip_init(module_cls, *args, **kwargs):
    """``module_cls(*args, **kwargs)`` with uninitialised parameters and buffers (the module class
    must accept ``device``). As in PyTorch, the random number generator is left untouched.

    >>> import lanterna as torch
    >>> torch.nn.utils.skip_init(torch.nn.Linear, 5, 1)
    Linear(in_features=5, out_features=1, bias=True)
    """
    if not isinstance(module_cls, type) or not issubclass(module_cls, Module):
        raise RuntimeError(f"Expected a Module; got {module_cls}")
    if "device" not in inspect.signature(module_cls).parameters:
        raise RuntimeError("Module must support a 'device' arg to skip initialization")
    final_device = kwargs.pop("device", "cpu")
    # PyTorch builds on the meta device (no storage, no random draws); here the module is built
    # for real and the generator state restored, so the draws leave no trace either
    state = lanterna.get_rng_state()
    try:
        module = module_cls(*args, **kwargs)
    finally:
        lanterna.set_rng_state(state)
    return module.to_empty(device=final_device)
