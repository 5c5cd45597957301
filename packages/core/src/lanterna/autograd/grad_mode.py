"""Switches for gradient recording: no_grad, enable_grad, set_grad_enabled, inference_mode.

Each works as a context manager and as a decorator (``@torch.no_grad()`` or bare ``@torch.no_grad``).
"""

from __future__ import annotations

import functools
import inspect
import sys
import warnings

# One mutable cell read by every op: a list lookup is the cheapest global flag in CPython.
GRAD_ENABLED = [True]
INFERENCE_MODE = [False]


def is_grad_enabled() -> bool:
    """Whether ops are being recorded for autograd."""
    return GRAD_ENABLED[0]


def is_inference_mode_enabled() -> bool:
    """Whether an ``inference_mode`` block is active."""
    return INFERENCE_MODE[0]


def _decorate(ctx_factory, fn):
    """Run ``fn`` under a fresh context from ``ctx_factory`` (each step of it, for a generator)."""
    if isinstance(fn, type):
        warnings.warn(
            "Decorating classes is deprecated and will be disabled in future versions. You should only decorate "
            "functions or methods. To preserve the current behavior of class decoration, you can directly "
            "decorate the `__init__` method and nothing else.",
            FutureWarning, stacklevel=3,
        )
        orig = fn
        fn = lambda *args, **kwargs: orig(*args, **kwargs)  # noqa: E731
    if inspect.isgeneratorfunction(fn):
        return _wrap_generator(ctx_factory, fn)

    @functools.wraps(fn)
    def decorated(*args, **kwargs):
        with ctx_factory():
            return fn(*args, **kwargs)

    return decorated


def _wrap_generator(ctx_factory, func):
    """The context is active while the generator runs, not while its caller runs between steps."""

    @functools.wraps(func)
    def generator_context(*args, **kwargs):
        gen = func(*args, **kwargs)
        try:
            with ctx_factory():
                response = gen.send(None)
            while True:
                try:
                    request = yield response
                except GeneratorExit:
                    with ctx_factory():
                        gen.close()
                    raise
                except BaseException:
                    with ctx_factory():
                        response = gen.throw(*sys.exc_info())
                else:
                    with ctx_factory():
                        response = gen.send(request)
        except StopIteration as e:
            return e.value

    return generator_context


class _GradModeContext:
    """A context manager that is also a decorator (a fresh context per call: safe for recursion)."""

    mode = True

    def __new__(cls, orig_func=None):
        if orig_func is None:
            return super().__new__(cls)
        return cls()(orig_func)  # bare decorator: @torch.no_grad

    def __enter__(self):
        self._prev = GRAD_ENABLED[0]
        GRAD_ENABLED[0] = self.mode

    def __exit__(self, *exc):
        GRAD_ENABLED[0] = self._prev
        return False

    def __call__(self, fn):
        return _decorate(self.clone, fn)

    def clone(self):
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
    """Enable gradient recording inside the block, even within ``no_grad``."""

    mode = True


class set_grad_enabled(_GradModeContext):
    """``set_grad_enabled(mode)``: takes effect at once as a function, or for the block / the
    decorated function.

    >>> import lanterna as torch
    >>> with torch.set_grad_enabled(False):
    ...     torch.is_grad_enabled()
    False
    """

    def __new__(cls, mode):
        return object.__new__(cls)

    def __init__(self, mode):
        if not isinstance(mode, bool):
            raise TypeError(f"set_grad_enabled(): argument 'enabled' (position 1) must be bool, not "
                            f"{type(mode).__name__}")
        self.mode = mode
        self._prev = GRAD_ENABLED[0]
        GRAD_ENABLED[0] = self.mode

    def __enter__(self):
        pass

    def __call__(self, fn):
        GRAD_ENABLED[0] = self._prev  # used as a decorator: undo the immediate effect
        return super().__call__(fn)

    def clone(self):
        return _Switch(self.mode)


class _Switch(_GradModeContext):
    def __new__(cls, mode):
        return object.__new__(cls)

    def __init__(self, mode):
        self.mode = mode

    def clone(self):
        return _Switch(self.mode)


class inference_mode(_GradModeContext):
    """Like ``no_grad``, for inference; ``inference_mode(False)`` turns grad mode (back) on, as PyTorch does."""

    def __new__(cls, mode=True):
        if isinstance(mode, bool):
            return object.__new__(cls)
        return cls()(mode)  # bare decorator

    def __init__(self, mode=True):
        self.enabled = bool(mode)
        self.mode = not mode

    def __enter__(self):
        # InferenceMode(mode) sets grad mode to ``not mode`` and inference mode to ``mode``
        self._prev_inference = INFERENCE_MODE[0]
        INFERENCE_MODE[0] = self.enabled
        super().__enter__()

    def __exit__(self, *exc):
        INFERENCE_MODE[0] = self._prev_inference
        return super().__exit__(*exc)

    def clone(self):
        return inference_mode(self.enabled)
