"""The backend contract: what a device plugin registers, and how it is found.

Write a plugin by subclassing :class:`Backend` and exposing hook implementations marked with
:data:`hookimpl` from a module listed under the ``lanterna.backends`` entry point.
"""

from .base import Backend, BackendUnavailable
from .registry import (
    AUTOLOAD_ENV,
    ENTRY_POINT_GROUP,
    REGISTRY,
    PluginWarning,
    Registry,
    get_backend,
    hookimpl,
)

__all__ = [
    "AUTOLOAD_ENV", "ENTRY_POINT_GROUP", "REGISTRY", "Backend", "BackendUnavailable",
    "PluginWarning", "Registry", "get_backend", "hookimpl",
]
