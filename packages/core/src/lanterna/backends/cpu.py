"""The built-in CPU backend: NumPy. Registered through the same hook as any plugin."""

from __future__ import annotations

import numpy as np

from .. import _rng
from .base import Backend
from .hookspecs import hookspec  # noqa: F401  (documents where the hooks come from)
from .registry import hookimpl


class CPUBackend(Backend):
    name = "cpu"
    indexless = True

    def load_xp(self):
        return np

    @property
    def xp(self):  # NumPy is always there: skip the availability check on the hot path
        return np

    def from_numpy(self, array, index):
        return array

    def to_numpy(self, array):
        return array

    def generator(self, index):
        return _rng.default_generator

    def device_count(self):
        return 1


@hookimpl
def lanterna_register_backends(registry):
    registry.register_backend(CPUBackend())
