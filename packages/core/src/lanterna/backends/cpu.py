"""The built-in CPU backend: NumPy. Registered through the same hook as any plugin."""

from __future__ import annotations

import numpy as np

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
        from .. import _rng  # on first use: ``import lanterna`` does not need the generator

        return _rng.default_generator


def tune_malloc():
    """Keep freed array memory in the heap instead of returning it to the OS at once.

    Eager NumPy allocates a fresh array per op; with glibc's defaults, arrays of a few hundred KB
    come from new mmap'd pages each time, and the page faults cost more than the arithmetic
    (about 30% of an LSTM training step here). PyTorch avoids this with its own caching
    allocator; raising glibc's thresholds gets the same effect. Linux/glibc only; set
    LANTERNA_MALLOC_TUNING=0 to leave malloc alone.
    """
    import os
    import sys

    if not sys.platform.startswith("linux") or os.environ.get("LANTERNA_MALLOC_TUNING") == "0":
        return False
    try:
        import ctypes  # already imported by NumPy

        libc = ctypes.CDLL(None)
        m_trim_threshold, m_top_pad, m_mmap_threshold = -1, -2, -3
        ok = libc.mallopt(m_mmap_threshold, 256 << 20)
        ok &= libc.mallopt(m_trim_threshold, 512 << 20)
        ok &= libc.mallopt(m_top_pad, 64 << 20)
        return bool(ok)
    except (OSError, AttributeError):  # not glibc (e.g. musl): nothing to tune
        return False


@hookimpl
def lanterna_register_backends(registry):
    tune_malloc()
    registry.register_backend(CPUBackend())
