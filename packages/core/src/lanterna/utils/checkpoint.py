"""``lanterna.utils.checkpoint`` (``torch.utils.checkpoint``): activation checkpointing.

Deviation: the function runs once, normally, and its activations are kept (there is no
recomputation in backward). Values and gradients are those of the plain call, so models that
checkpoint their blocks train unchanged; they just use the memory of an unchecked model.
"""

from __future__ import annotations

__all__ = ["checkpoint", "checkpoint_sequential"]


def checkpoint(function, *args, use_reentrant=None, context_fn=None, determinism_check="default", debug=False,
               preserve_rng_state=True, **kwargs):
    """``function(*args, **kwargs)`` (see the module docstring)."""
    if use_reentrant and kwargs:
        raise ValueError("Unexpected keyword arguments: " + ",".join(arg for arg in kwargs))
    return function(*args, **kwargs)


def checkpoint_sequential(functions, segments, input, use_reentrant=None, **kwargs):
    """Run ``functions`` (a list or ``nn.Sequential``) one after the other on ``input``."""
    if hasattr(functions, "children") and not isinstance(functions, (list, tuple)):
        functions = list(functions.children())
    for f in functions:
        input = f(input)
    return input
