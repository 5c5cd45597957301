"""The backend contract: what a device plugin registers, and how it is found.

Write a plugin by subclassing :class:`Backend` and exposing hook implementations marked with
:data:`hookimpl` from a module listed under the ``lanterna.backends`` entry point (the hooks are
specified in :mod:`lanterna.backends.hookspecs`). See ``docs/plugins.md``.
"""

from .base import Backend, BackendUnavailable
from .registry import (
    AUTOLOAD_ENV,
    ENTRY_POINT_GROUP,
    REGISTRY,
    DuplicateDeviceError,
    PluginWarning,
    Registry,
    get_backend,
    hookimpl,
)

__all__ = [
    "AUTOLOAD_ENV", "ENTRY_POINT_GROUP", "REGISTRY", "Backend", "BackendUnavailable",
    "DuplicateDeviceError", "PluginWarning", "Registry", "get_backend", "hookimpl",
]


def __getattr__(name):
    """PyTorch's flag modules (``torch.backends.cudnn.benchmark = True`` ...), loaded on first use."""
    if name in ("cudnn", "mps", "cuda"):
        import importlib

        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module '{__name__}' has no attribute '{name}'")
