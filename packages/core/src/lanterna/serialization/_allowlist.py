"""What a weights-only load may name: PyTorch's globals mapped to lanterna's, the user's
allowlist (:func:`add_safe_globals`), and the modules no allowlist can open.

Also the trusting unpickler of ``weights_only=False`` loads, which resolves torch's names the
same way and everything else by import: it can run any code a file asks for.
"""

from __future__ import annotations

import pickle
from _compat_pickle import IMPORT_MAPPING, NAME_MAPPING

from . import _names

UnpicklingError = pickle.UnpicklingError

# never allowed, whatever the user allowlists (os.system, subprocess.Popen, builtins.eval ...)
# PyTorch blocks only the first four modules; lanterna blocks more, and says so only where it
# matters (a user allowlisted one): otherwise the error is PyTorch's "Unsupported global".
TORCH_BLOCKED_MODULES = frozenset(("sys", "os", "posix", "nt"))
BLOCKED_MODULES = frozenset(
    "os sys posix nt subprocess shutil socket pty importlib runpy ctypes multiprocessing code pickle "
    "marshal webbrowser signal".split()
)
BLOCKED_BUILTINS = frozenset(
    "eval exec compile open __import__ getattr setattr delattr globals locals vars input breakpoint exit "
    "quit help memoryview type object classmethod staticmethod property super".split()
)

_safe_globals: dict[str, object] = {}  # full name -> object, from add_safe_globals


def _full_name(entry) -> tuple[str, object]:
    if isinstance(entry, tuple):
        if len(entry) != 2:
            raise ValueError(
                f"Expected tuple of length 2 (global, str of callable full path), but got "
                f"tuple of length: {len(entry)}"
            )
        obj, name = entry
        if type(name) is not str:
            raise TypeError(
                f"Expected second item in tuple to be str of callable full path, but got: {type(name)}"
            )
        return name, obj
    return f"{entry.__module__}.{entry.__qualname__}", entry


def add_safe_globals(safe_globals: list) -> None:
    """Allow ``weights_only`` loads to use these classes/functions (``[cls, (obj, "mod.Name")]``).

    >>> import lanterna
    >>> class Config:
    ...     pass
    >>> lanterna.serialization.add_safe_globals([Config])
    >>> Config in lanterna.serialization.get_safe_globals()
    True
    >>> lanterna.serialization.clear_safe_globals()
    """
    for entry in safe_globals:
        _safe_globals[_full_name(entry)[0]] = entry


def get_safe_globals() -> list:
    """The entries added with :func:`add_safe_globals`."""
    return list(_safe_globals.values())


def clear_safe_globals() -> None:
    """Forget every entry added with :func:`add_safe_globals`."""
    _safe_globals.clear()


class safe_globals:
    """Context manager: :func:`add_safe_globals` for the duration of a ``with`` block."""

    def __init__(self, safe_globals: list):
        self.safe_globals = safe_globals

    def __enter__(self):
        self._before = dict(_safe_globals)
        add_safe_globals(self.safe_globals)

    def __exit__(self, *exc):
        _safe_globals.clear()
        _safe_globals.update(self._before)


def _user_global(full: str):
    entry = _safe_globals.get(full)
    if entry is None:
        return None
    return _full_name(entry)[1]


def unsupported_global_message(full: str) -> str:
    shown = full.removeprefix("builtins.")  # as torch.load names builtins: `eval`, not `builtins.eval`
    return (
        f"Unsupported global: GLOBAL {shown} was not an allowed global by default. Please use "
        f"`torch.serialization.add_safe_globals([{shown}])` or the "
        f"`torch.serialization.safe_globals([{shown}])` context manager to allowlist this global "
        "if you trust this class/function."
    )


def py3_name(module: str, name: str) -> tuple[str, str]:
    """The Python 3 name of a global a protocol 0-2 pickle spells the Python 2 way (``int`` is
    ``__builtin__.long`` there), mapped as Python's unpickler and torch.load map it."""
    if (module, name) in NAME_MAPPING:
        return NAME_MAPPING[(module, name)]
    return IMPORT_MAPPING.get(module, module), name


def resolve_weights_only_global(module: str, name: str):
    """The object a weights-only load may use for ``module.name``; raises if not allowed."""
    if type(module) is not str or type(name) is not str:
        raise UnpicklingError("GLOBAL module and name must be strings")
    module, name = py3_name(module, name)
    full = f"{module}.{name}"
    root = module.split(".")[0]
    if root in BLOCKED_MODULES or (module == "builtins" and name in BLOCKED_BUILTINS):
        if module in TORCH_BLOCKED_MODULES or _user_global(full) is not None:
            raise UnpicklingError(
                f"Trying to load unsupported GLOBAL {full} whose module {module} is blocked."
            )
        raise UnpicklingError(unsupported_global_message(full))
    obj = _names.torch_global(full)
    if obj is None:
        obj = _user_global(full)
    if obj is None:
        if full in _names.UNSUPPORTED:
            raise RuntimeError(
                f"the checkpoint uses {full} ({_names.UNSUPPORTED[full]}), which lanterna does not support"
            )
        raise UnpicklingError(unsupported_global_message(full))
    return obj


def full_unpickler(pickle_module, file, persistent_load, **kwargs):
    """Python's unpickler (for ``weights_only=False``) with torch's names mapped to lanterna's."""
    base = getattr(pickle_module, "Unpickler", pickle.Unpickler)

    class CheckpointUnpickler(base):
        def find_class(self, module, name):
            full = f"{module}.{name}"
            obj = _names.torch_global(full)
            if obj is not None:
                return obj
            if full in _names.UNSUPPORTED:
                raise RuntimeError(
                    f"the checkpoint uses {full} ({_names.UNSUPPORTED[full]}), which lanterna "
                    "does not support"
                )
            if module == "torch" or module.startswith("torch."):
                return _lanterna_counterpart(module, name)
            return super().find_class(module, name)

        def persistent_load(self, pid):
            return persistent_load(pid)

    return CheckpointUnpickler(file, **kwargs)


def _lanterna_counterpart(module: str, name: str):
    """``torch.nn.modules.linear.Linear`` -> ``lanterna.nn.modules.linear.Linear`` (or
    ``lanterna.nn.Linear``): lets whole PyTorch models load when lanterna has the same classes."""
    import importlib

    candidates = ["lanterna" + module[len("torch") :]]
    parts = module.split(".")
    if len(parts) > 1:
        candidates.append("lanterna." + parts[1])
    for mod_name in candidates:
        try:
            return getattr(importlib.import_module(mod_name), name)
        except (ImportError, AttributeError):
            continue
    raise RuntimeError(f"the checkpoint refers to {module}.{name}, which has no counterpart in lanterna")
