"""Switches for gradient recording: no_grad, enable_grad, set_grad_enabled, inference_mode."""

from __future__ import annotations

import functools

# One mutable cell read by every op: a list lookup is the cheapest global flag in CPython.
GRAD_ENABLED = [True]


def is_grad_enabled() -> bool:
    return GRAD_ENABLED[0]


class _GradModeContext:
    """Base for context managers that are also decorators, like PyTorch's."""

    mode = True

    def __enter__(self):
        self._prev = GRAD_ENABLED[0]
        GRAD_ENABLED[0] = self.mode
        return None

    def __exit__(self, *exc):
        GRAD_ENABLED[0] = self._prev
        return False

    def __call__(self, fn):
        # a fresh context per call keeps recursion and threads safe
        @functools.wraps(fn)
        def wrapper2(*args, **kwargs):
            ctx = self._clone()
            with ctx:
                return fn(*args, **kwargs)

        return wrapper2

    def _clone(self):
        return self.__class__()


class no_grad(_GradModeContext):
    """Disable gradient recording inside the block (or the decorated function).

    >>> import lanterna as torch
    >>> x = torch.ones(2, requires_grad=True)
    >>> with torch.no_grad():
    ...     y = x * 2
    >>> y.requires_grad
    False
    """

    mode = False


class enable_grad(_GradModeContext):
    mode = True


class set_grad_enabled(_GradModeContext):
    def __init__(self, mode: bool):
        self.mode = bool(mode)
        self._prev = GRAD_ENABLED[0]
        GRAD_ENABLED[0] = self.mode  # takes effect at once when used as a function, as in torch

    def __enter__(self):
        return None

    def __exit__(self, *exc):
        GRAD_ENABLED[0] = self._prev
        return False

    def _clone(self):
        ctx = set_grad_enabled.__new__(set_grad_enabled)
        ctx.mode = self.mode
        return _Plain(ctx.mode)

    def __call__(self, fn):
        GRAD_ENABLED[0] = self._prev  # used as a decorator: undo the immediate effect
        return super().__call__(fn)


class _Plain(_GradModeContext):
    def __init__(self, mode):
        self.mode = mode

    def _clone(self):
        return _Plain(self.mode)


class inference_mode(_GradModeContext):
    """Like ``no_grad`` (Lanterna has no separate inference tensors)."""

    def __init__(self, mode: bool = True):
        self.mode = not mode

    def _clone(self):
        return inference_mode(not self.mode)


def is_inference_mode_enabled() -> bool:
    return not GRAD_ENABLED[0]
