"""Attributes of ``lanterna`` that load on first use: subpackages and device modules."""

from __future__ import annotations

import importlib
import sys
import types

# subpackage -> the distribution that provides it
SUBPACKAGES = {
    "nn": "lanterna-nn",
    "optim": "lanterna-optim",
    "utils": "lanterna-core",
    "distributed": "lanterna-distributed",
    "multiprocessing": "lanterna-distributed",  # torch.multiprocessing's spawn ships with the distributed package
}


# optional subpackage -> the distribution to install for it
DISTRIBUTIONS = {
    "lanterna.nn": "lanterna-nn",
    "lanterna.optim": "lanterna-optim",
    "lanterna.utils.data": "lanterna-data",
    "lanterna.distributed": "lanterna-distributed",
    "lanterna.multiprocessing": "lanterna-distributed",
}


def missing_message(fullname):
    dist = DISTRIBUTIONS[fullname]
    return f"No module named '{fullname}': install the '{dist}' package (pip install {dist})"


class MissingSubpackageFinder:
    """Last on ``sys.meta_path``: an optional subpackage that no finder before it found is not
    installed, so ``import lanterna.optim`` fails naming the distribution to install. It also
    makes the device modules importable (``from torch.cuda.amp import GradScaler``)."""

    @staticmethod
    def find_spec(fullname, path=None, target=None):
        if fullname in DISTRIBUTIONS:
            raise ModuleNotFoundError(missing_message(fullname), name=fullname)
        parts = fullname.split(".")
        if parts[0] == "lanterna" and len(parts) in (2, 3) and _is_device_name(parts[1]):
            if len(parts) == 2 or parts[2] == "amp":
                from importlib.machinery import ModuleSpec

                return ModuleSpec(fullname, _DeviceModuleLoader, is_package=len(parts) == 2)
        return None


class _DeviceModuleLoader:
    """Loads ``lanterna.<device>`` (a :class:`DeviceModule`) and ``lanterna.<device>.amp``."""

    @staticmethod
    def create_module(spec):
        parts = spec.name.split(".")
        module = lazy_attribute(parts[1])
        return module if len(parts) == 2 else module.amp

    @staticmethod
    def exec_module(module):
        pass


def _is_device_name(name):
    from .backends.registry import REGISTRY

    return name in REGISTRY.backends or name in _DEVICE_MODULE_NAMES


def install_import_hook():
    """Append :class:`MissingSubpackageFinder` to ``sys.meta_path`` (once)."""
    if MissingSubpackageFinder not in sys.meta_path:
        sys.meta_path.append(MissingSubpackageFinder)


class DeviceModule(types.ModuleType):
    """``lanterna.cuda`` and friends: PyTorch's module functions for any device type.

    Works for device types nobody registered, too: ``is_available()`` is then False.
    """

    def __init__(self, name):
        super().__init__(f"lanterna.{name}")
        self._name = name
        self.__path__ = []  # a package, so that ``import lanterna.cuda.amp`` works
        self._amp = None

    @property
    def amp(self):
        """``torch.cuda.amp``: ``autocast`` and ``GradScaler`` for this device type."""
        if self._amp is None:
            from .amp import device_amp

            self._amp = device_amp(self._name)
            sys.modules.setdefault(self._amp.__name__, self._amp)
        return self._amp

    def is_bf16_supported(self, including_emulation=True):
        return False  # no bfloat16 arrays (see lanterna.bfloat16)

    def _backend(self):
        from .backends.registry import REGISTRY

        return REGISTRY.backends.get(self._name)

    def is_available(self):
        b = self._backend()
        try:
            return bool(b is not None and b.is_available())
        except Exception:
            return False

    def device_count(self):
        b = self._backend()
        return b.device_count() if b is not None and self.is_available() else 0

    def _require(self):
        from .backends.registry import get_backend

        b = get_backend(self._name)
        if not b.is_available():
            raise RuntimeError(b.unavailable_reason())
        return b

    def current_device(self):
        return self._require().current_device()

    def set_device(self, device):
        from ._device import device as Device

        idx = device if isinstance(device, int) else Device(device).index or 0
        self._require().set_device(idx)

    def synchronize(self, device=None):
        if self.is_available():
            self._backend().synchronize(device)

    def manual_seed(self, seed):
        if self.is_available():
            self._backend().manual_seed(int(seed))

    manual_seed_all = manual_seed

    def seed(self):
        pass

    seed_all = seed

    def is_initialized(self):
        return self.is_available()

    def __getattr__(self, item):
        if item.startswith("__"):
            raise AttributeError(item)
        b = self._backend()
        fns = b.module_functions() if b is not None else {}
        if item in fns:
            return fns[item]
        if item in ("empty_cache", "reset_peak_memory_stats", "init", "ipc_collect"):
            return lambda *a, **k: None
        if item in ("memory_allocated", "max_memory_allocated", "memory_reserved", "max_memory_reserved"):
            return lambda *a, **k: 0
        raise AttributeError(f"module 'lanterna.{self._name}' has no attribute '{item}'")

    def __repr__(self):
        return f"<lanterna device module '{self._name}'>"


_DEVICE_MODULE_NAMES = ("cuda", "mps", "xpu")


def lazy_attribute(name):
    lanterna = sys.modules["lanterna"]
    if name in SUBPACKAGES:
        try:
            mod = importlib.import_module(f"lanterna.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"lanterna.{name}" and exc.name in DISTRIBUTIONS:
                raise ImportError(missing_message(f"lanterna.{name}"), name=f"lanterna.{name}") from None
            raise
        setattr(lanterna, name, mod)
        return mod
    from .backends.registry import REGISTRY

    if name in REGISTRY.backends or name in _DEVICE_MODULE_NAMES:
        mod = DeviceModule(name)
        setattr(lanterna, name, mod)
        sys.modules.setdefault(f"lanterna.{name}", mod)
        return mod
    raise AttributeError(f"module 'lanterna' has no attribute '{name}'")
