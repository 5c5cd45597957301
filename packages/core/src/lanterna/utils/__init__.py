"""``lanterna.utils``: other distributions add subpackages here (``lanterna.utils.data``)."""

from pkgutil import extend_path

__path__ = extend_path(__path__, __name__)


def __getattr__(name):
    if name == "data":
        import importlib

        try:
            return importlib.import_module("lanterna.utils.data")
        except ModuleNotFoundError as exc:
            if exc.name and exc.name.startswith("lanterna.utils.data"):
                raise ImportError(
                    "lanterna.utils.data is not installed: install the 'lanterna-data' package "
                    "(pip install lanterna-data)"
                ) from None
            raise
    if name == "checkpoint":
        import importlib

        return importlib.import_module("lanterna.utils.checkpoint")
    raise AttributeError(f"module 'lanterna.utils' has no attribute '{name}'")
