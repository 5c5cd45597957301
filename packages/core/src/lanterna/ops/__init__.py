"""Op families. Importing this package binds every op's Tensor method (see ``methods.py``)."""

from . import methods  # noqa: F401
