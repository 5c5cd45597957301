"""The built-in CPU backend: NumPy. Registered through the same hook as any plugin."""

from __future__ import annotations

import numpy as np

from .. import _rng
from .base import Backend
from .registry import hookimpl


class CPUBackend(Backend):
    name = "cpu"
    indexless = True

    def __init__(self):
        super().__init__()
        self.xp = np  # NumPy is always there: no lazy load, no availability check

    def load_xp(self):
        return np

    def device_count(self):
        return 1

    def from_numpy(self, array, index):
        return array

    def to_numpy(self, array):
        return array

    def generator(self, index):
        return _rng.default_generator


@hookimpl
def lanterna_register_backends(registry):
    registry.register_backend(CPUBackend())
