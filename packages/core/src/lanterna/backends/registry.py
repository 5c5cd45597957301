"""Plugin discovery (pluggy + entry points) and the registry of backends and kernels."""

from __future__ import annotations

import os
import warnings

import pluggy

from . import hookspecs

hookimpl = pluggy.HookimplMarker("lanterna")
ENTRY_POINT_GROUP = "lanterna.backends"
AUTOLOAD_ENV = "LANTERNA_DISABLE_PLUGIN_AUTOLOAD"


class PluginWarning(UserWarning):
    """A plugin failed to import or to register; Lanterna goes on without it."""


class Registry:
    """What plugins register into: device backends, named kernels, communication backends."""

    def __init__(self):
        self.backends: dict = {}
        self._owner: dict = {}  # device name -> plugin name, for clear duplicate errors
        self.comm_backends: dict = {}
        self.current_plugin = "<core>"
        self.plugin_manager = None
        self._comm_loaded = False

    def register_backend(self, backend) -> None:
        name = backend.name
        if not name or not isinstance(name, str):
            raise ValueError(f"backend {backend!r} has no device name")
        if name in self.backends:
            raise RuntimeError(
                f"device '{name}' is registered twice: by plugin '{self._owner[name]}' and by "
                f"plugin '{self.current_plugin}'; uninstall one of them"
            )
        self.backends[name] = backend
        self._owner[name] = self.current_plugin

    def register_kernel(self, device_type: str, name: str, fn) -> None:
        backend = self.backends.get(device_type)
        if backend is None:
            raise RuntimeError(
                f"plugin '{self.current_plugin}' registers kernel '{name}' for unknown device '{device_type}'"
            )
        backend.kernels[name] = fn

    def register_comm_backend(self, name: str, factory, devices=("cpu",)) -> None:
        self.comm_backends[name] = (factory, tuple(devices))

    def owner(self, device_name: str) -> str:
        return self._owner.get(device_name, "?")

    def load_comm_backends(self) -> dict:
        if not self._comm_loaded:
            self._comm_loaded = True
            self.plugin_manager.hook.lanterna_register_comm_backends(registry=self)
        return self.comm_backends


# Where a device type is expected to come from, for the error when it is missing.
KNOWN_PROVIDERS = {"cuda": "lanterna-cuda"}

REGISTRY = Registry()


def _iter_entry_points():
    from importlib.metadata import entry_points

    return entry_points(group=ENTRY_POINT_GROUP)


def load_plugins(registry: Registry = REGISTRY) -> Registry:
    """Register the CPU backend and every installed plugin. A broken plugin only warns."""
    from . import cpu

    pm = pluggy.PluginManager("lanterna")
    pm.add_hookspecs(hookspecs)
    registry.plugin_manager = pm
    plugins = [("cpu", cpu)]
    if not os.environ.get(AUTOLOAD_ENV):
        for ep in _iter_entry_points():
            try:
                plugins.append((ep.name, ep.load()))
            except Exception as exc:  # a plugin must never break `import lanterna`
                warnings.warn(f"lanterna plugin '{ep.name}' ({ep.value}) failed to import: {exc!r}",
                              PluginWarning, stacklevel=2)
    for name, module in plugins:
        try:
            if pm.get_plugin(name) is None:
                pm.register(module, name=name)
        except Exception as exc:
            warnings.warn(f"lanterna plugin '{name}' could not be registered: {exc!r}", PluginWarning,
                          stacklevel=2)
    # Call each plugin's hook on its own, so one failing plugin cannot stop the others.
    for hook_name in ("lanterna_register_backends", "lanterna_register_kernels"):
        for name, module in plugins:
            fn = getattr(module, hook_name, None)
            if fn is None:
                continue
            registry.current_plugin = name
            try:
                fn(registry=registry)
            except Exception as exc:
                if "registered twice" in str(exc):
                    raise
                warnings.warn(f"lanterna plugin '{name}' failed in {hook_name}: {exc!r}",
                              PluginWarning, stacklevel=2)
    registry.current_plugin = "<user>"
    return registry


def get_backend(device_type: str):
    backend = REGISTRY.backends.get(device_type)
    if backend is None:
        hint = KNOWN_PROVIDERS.get(device_type)
        where = f"install the '{hint}' package" if hint else "install the plugin that provides it"
        raise RuntimeError(
            f"no backend for device type '{device_type}': {where} "
            f"(registered devices: {', '.join(sorted(REGISTRY.backends))})"
        )
    return backend
