"""``lanterna.jit`` (``torch.jit``): accepted where model code merely *uses* TorchScript.

Lanterna runs eagerly: ``script`` and ``trace`` return what they are given (a deliberate
deviation; the result behaves as the eager module or function), ``is_scripting()`` and
``is_tracing()`` are False, the decorators (``ignore``, ``unused``, ``export``, ``interface``)
leave their function unchanged. Saving or loading TorchScript archives is not supported.
"""

from __future__ import annotations

from typing import Final  # noqa: F401  (torch.jit.Final)

__all__ = ["Attribute", "Final", "ScriptFunction", "ScriptModule", "annotate", "export", "freeze", "ignore",
           "interface", "is_scripting", "is_tracing", "load", "optimize_for_inference", "save", "script",
           "script_if_tracing", "trace", "trace_module", "unused"]

_NO_ARCHIVES = ("TorchScript archives are not supported by Lanterna (it has no TorchScript compiler); "
                "save the state_dict with torch.save and rebuild the model in Python instead")


class ScriptModule:
    """Never instantiated: ``isinstance(m, torch.jit.ScriptModule)`` is False for every module."""


class ScriptFunction:
    """Never instantiated (see :class:`ScriptModule`)."""


def script(obj, optimize=None, _frames_up=0, _rcb=None, example_inputs=None):
    """Returns ``obj`` unchanged (eager execution stands in for the compiled form)."""
    return obj


def trace(func, example_inputs=None, *args, **kwargs):
    """Returns ``func`` unchanged: the eager module or function, with its Python control flow."""
    return func


def trace_module(mod, inputs, *args, **kwargs):
    return mod


def script_if_tracing(fn):
    return fn


def freeze(mod, preserved_attrs=None, optimize_numerics=True):
    return mod


def optimize_for_inference(mod, other_methods=None):
    return mod


def is_scripting():
    return False


def is_tracing():
    return False


def _decorator(fn=None, **kwargs):
    if callable(fn):
        return fn
    return lambda f: f


ignore = unused = _decorator


def export(fn):
    return fn


def interface(obj):
    return obj


def annotate(the_type, the_value):
    return the_value


def Attribute(value, type=None):  # noqa: N802  (PyTorch's name)
    return value


def save(m, f, _extra_files=None):
    raise RuntimeError(f"torch.jit.save: {_NO_ARCHIVES}")


def load(f, map_location=None, _extra_files=None, _restore_shapes=False):
    raise RuntimeError(f"torch.jit.load: {_NO_ARCHIVES}")
