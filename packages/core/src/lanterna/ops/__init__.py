"""Op families (``lanterna/ops/<family>.py``). Importing this package puts every op's Tensor
method in place (see ``methods.py``); each family itself loads on first use."""

import importlib

from . import methods  # noqa: F401


def __getattr__(name):
    """``lanterna.ops.<family>`` loads the family (as ``import lanterna.ops.<family>`` does)."""
    if name.startswith("_"):
        raise AttributeError(f"module '{__name__}' has no attribute '{name}'")
    try:
        return importlib.import_module(f"{__name__}.{name}")
    except ModuleNotFoundError as exc:
        if exc.name != f"{__name__}.{name}":
            raise
        raise AttributeError(f"module '{__name__}' has no attribute '{name}'") from None
