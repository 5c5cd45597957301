"""Plugin discovery (entry points + pluggy) and the registry of backends and kernels.

``import lanterna`` calls :func:`load_plugins` once. It registers the built-in CPU backend and
every module listed under the ``lanterna.backends`` entry-point group, each in its own
try/except: a plugin that fails to import or to register produces a :class:`PluginWarning`
naming it, and Lanterna goes on without it. ``LANTERNA_DISABLE_PLUGIN_AUTOLOAD=1`` skips the
entry points (only the CPU backend is registered).

Nothing here runs per op: ops read ``tensor._backend.xp`` and ``backend.kernels``.
"""

from __future__ import annotations

import os
import sys
import warnings

import pluggy

from . import hookspecs
from .base import BackendUnavailable

hookimpl = pluggy.HookimplMarker("lanterna")
ENTRY_POINT_GROUP = "lanterna.backends"
AUTOLOAD_ENV = "LANTERNA_DISABLE_PLUGIN_AUTOLOAD"

# Where a device type is expected to come from, for the error when it is missing.
KNOWN_PROVIDERS = {"cuda": "lanterna-cuda", "strict": "lanterna-array-api-strict"}


class PluginWarning(UserWarning):
    """A plugin failed to import or to register; Lanterna goes on without it."""


class DuplicateDeviceError(RuntimeError):
    """Two plugins registered the same device name (``.device``)."""

    def __init__(self, message, device=None):
        super().__init__(message)
        self.device = device


class Registry:
    """What plugins register into: device backends, named kernels, communication backends."""

    def __init__(self):
        #: device name -> Backend (the hot path reads this dict, or a tensor's own ``_backend``)
        self.backends: dict = {}
        #: communication backend name -> (factory, device types) for lanterna.distributed
        self.comm_backends: dict = {}
        #: plugin name -> the loaded plugin module (the CPU backend is the plugin 'cpu')
        self.plugins: dict = {}
        self._owner: dict = {}  # device name -> plugin name, for clear duplicate errors
        self._conflicts: dict = {}  # device name -> the error that makes it unusable
        self._ready: set = set()  # device names checked available (get_backend's fast path)
        self.current_plugin = "<user>"
        self.plugin_manager = None
        self._comm_loaded = False

    def register_backend(self, backend) -> None:
        """Register ``backend`` under ``backend.name``; a second backend of that name is an error."""
        name = backend.name
        if not name or not isinstance(name, str):
            raise ValueError(f"backend {backend!r} has no device name")
        if name in self.backends or name in self._conflicts:
            first = self._owner.get(name, "?")
            raise DuplicateDeviceError(
                f"device '{name}' is registered twice: by plugin '{first}' and by plugin "
                f"'{self.current_plugin}'; uninstall one of them", device=name,
            )
        self.backends[name] = backend
        self._owner[name] = self.current_plugin
        self._ready.discard(name)

    def unregister_backend(self, name: str) -> None:
        self.backends.pop(name, None)
        self._owner.pop(name, None)
        self._ready.discard(name)

    def register_kernel(self, device_type: str, name: str, fn) -> None:
        """Make ``fn`` the named kernel ``name`` on ``device_type`` (see ``lanterna.ops.kernels``)."""
        backend = self.backends.get(device_type)
        if backend is None:
            raise RuntimeError(
                f"plugin '{self.current_plugin}' registers kernel '{name}' for unknown device "
                f"'{device_type}'"
            )
        backend.kernels[name] = fn

    def register_comm_backend(self, name: str, factory, devices=("cpu",)) -> None:
        """Register a ``lanterna.distributed`` communication backend (``gloo``, ``mpi``, ``nccl``)."""
        self.comm_backends[name] = (factory, tuple(devices))

    def owner(self, device_name: str) -> str:
        """The plugin that registered ``device_name``."""
        return self._owner.get(device_name, "?")

    def get(self, device_type: str):
        """The usable backend of ``device_type`` or a clear error (see :func:`get_backend`)."""
        backend = self.backends.get(device_type)
        if backend is None:
            conflict = self._conflicts.get(device_type)
            if conflict:
                raise DuplicateDeviceError(conflict, device=device_type)
            hint = KNOWN_PROVIDERS.get(device_type)
            where = f"install the '{hint}' package" if hint else "install the plugin that provides it"
            raise BackendUnavailable(
                f"no backend for device type '{device_type}': {where} "
                f"(registered devices: {', '.join(sorted(self.backends))})"
            )
        if not backend.is_available():
            raise BackendUnavailable(backend.unavailable_reason())
        self._ready.add(device_type)
        return backend

    def load_comm_backends(self) -> dict:
        """Call every plugin's ``lanterna_register_comm_backends`` once (lazily) and return them."""
        if not self._comm_loaded:
            self._comm_loaded = True
            _call_each(self, "lanterna_register_comm_backends")
        return self.comm_backends


REGISTRY = Registry()


class EntryPoint:
    """One ``name = module[:attr]`` line of a distribution's ``entry_points.txt``."""

    __slots__ = ("name", "value", "group", "dist")

    def __init__(self, name, value, group=ENTRY_POINT_GROUP, dist=None):
        self.name, self.value, self.group, self.dist = name, value, group, dist

    def load(self):
        import importlib

        module, _, attr = self.value.partition(":")
        obj = importlib.import_module(module.strip())
        for part in filter(None, attr.strip().split(".")):
            obj = getattr(obj, part)
        return obj

    def __repr__(self):
        return f"EntryPoint(name={self.name!r}, value={self.value!r}, dist={self.dist!r})"


def _iter_entry_points(group: str = ENTRY_POINT_GROUP):
    """The entry points of ``group`` of every installed distribution, in ``sys.path`` order.

    ``importlib.metadata`` would do, but importing it (email, zipfile, csv ...) costs about half
    of ``import numpy``; reading the few ``entry_points.txt`` files ourselves costs well under a
    millisecond. As in importlib.metadata, the first distribution of a name on the path wins.
    The files are read with raw ``os`` calls: most distributions have none, and a failed
    ``os.open`` is several times cheaper than a failed ``open()``.
    """
    header = f"[{group}]".encode()
    seen = set()
    found = []
    for path in sys.path:
        if not isinstance(path, str):
            continue
        try:
            names = os.listdir(path or ".")
        except OSError:  # not a directory (zip files, missing entries)
            continue
        metas = sorted(n for n in names if n.endswith((".dist-info", ".egg-info")))
        for meta in metas:
            dist = meta.rpartition(".")[0].split("-")[0].replace("_", "-").replace(".", "-").lower()
            if dist in seen:
                continue
            seen.add(dist)
            text = _read(os.path.join(path or ".", meta, "entry_points.txt"))
            if text is not None and header in text:
                found.extend(_parse_group(text.decode("utf-8"), header.decode(), group, dist))
    return found


def _read(filename):
    """The bytes of ``filename``, or None where it cannot be read."""
    try:
        fd = os.open(filename, os.O_RDONLY)
    except OSError:
        return None
    try:
        chunks = []
        while chunk := os.read(fd, 1 << 16):
            chunks.append(chunk)
        return b"".join(chunks)
    except OSError:
        return None
    finally:
        os.close(fd)


def _parse_group(text, header, group, dist):
    out, inside = [], False
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("["):
            inside = line == header
        elif inside and "=" in line and not line.startswith(("#", ";")):
            name, _, value = line.partition("=")
            out.append(EntryPoint(name.strip(), value.strip(), group, dist))
    return out


def _warn(message):
    warnings.warn(message, PluginWarning, stacklevel=4)


def load_plugins(registry: Registry = REGISTRY) -> Registry:
    """Register the CPU backend and every installed plugin. A broken plugin only warns."""
    from . import cpu

    pm = pluggy.PluginManager("lanterna")
    pm.add_hookspecs(hookspecs)
    registry.plugin_manager = pm
    candidates = [("cpu", cpu)]
    if not os.environ.get(AUTOLOAD_ENV):
        for ep in _iter_entry_points():
            where = f"{ep.value}" + (f", from distribution '{ep.dist}'" if getattr(ep, "dist", None) else "")
            try:
                candidates.append((ep.name, ep.load()))
            except Exception as exc:  # a plugin must never break `import lanterna`
                _warn(f"lanterna plugin '{ep.name}' ({where}) failed to import: {exc!r}; it is skipped")
    for name, module in candidates:
        if name in registry.plugins:
            _warn(f"two lanterna plugins are named '{name}'; the second ({module!r}) is skipped")
            continue
        try:
            pm.register(module, name=name)  # checks hook names and signatures against hookspecs
        except Exception as exc:
            _warn(f"lanterna plugin '{name}' could not be registered: {exc}; it is skipped")
            continue
        registry.plugins[name] = module
    _call_each(registry, "lanterna_register_backends")
    _call_each(registry, "lanterna_register_kernels")
    return registry


def _call_each(registry, hook_name):
    """Call ``hook_name`` on each plugin on its own, so that one failing plugin cannot stop the
    others; undo what a failing plugin registered before it raised."""
    if registry.plugin_manager is None:
        return
    caller = getattr(registry.plugin_manager.hook, hook_name)
    impls = {impl.plugin_name: impl for impl in caller.get_hookimpls()}
    for name in list(registry.plugins):
        impl = impls.get(name)
        if impl is None:
            continue
        registry.current_plugin = name
        before = set(registry.backends)
        try:
            impl.function(**{arg: registry for arg in impl.argnames})  # pluggy: a subset of args
        except DuplicateDeviceError as exc:
            registry._conflicts[exc.device] = str(exc)
            registry.unregister_backend(exc.device)
            _warn(f"{exc}. Device '{exc.device}' is disabled until then")
        except Exception as exc:
            for dev in set(registry.backends) - before:
                registry.unregister_backend(dev)
            _warn(f"lanterna plugin '{name}' failed in {hook_name}: {exc!r}; it is skipped")
        finally:
            registry.current_plugin = "<user>"


def accelerator(device=None):
    """The backend of ``device`` (a device type, string or ``lanterna.device``), or without one
    the first available accelerator (a backend with ``is_accelerator``, ``cuda`` first), as
    PyTorch's "current accelerator"; None when there is none. Used by ``pin_memory``."""
    if device is not None:
        name = getattr(device, "type", None) or str(device).partition(":")[0]
        return get_backend(name)
    names = [n for n, b in REGISTRY.backends.items() if b.is_accelerator]
    names.sort(key=lambda n: (n != "cuda", n))
    for name in names:
        try:
            if REGISTRY.backends[name].is_available():
                return REGISTRY.backends[name]
        except Exception:  # a probe that fails means "not available"
            continue
    return None


def get_backend(device_type: str):
    """The backend of ``device_type``, checked usable here; otherwise one clear error that says
    why (no plugin provides it, two plugins claim it, or its hardware/driver/library is missing)."""
    backend = REGISTRY.backends.get(device_type)
    if backend is not None and device_type in REGISTRY._ready:
        return backend
    return REGISTRY.get(device_type)
