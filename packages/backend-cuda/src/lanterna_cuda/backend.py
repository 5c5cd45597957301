"""The ``cuda`` Backend: CuPy arrays as tensor storage, one object for the whole device.

Core's ops run unchanged on CUDA: they call ``backend.xp``, here CuPy through
``array_api_compat.cupy`` (CuPy's own namespace follows NumPy's, whose signatures differ from
the Array API standard in a few places core relies on: ``reshape(copy=)``, ``asarray(copy=)``,
``astype`` as a function, ``cumulative_sum``). The kernels the standard lacks are in
:mod:`lanterna_cuda.kernels`.

Devices: ``cuda:N`` is CuPy's device N. Lanterna does not switch the current device per op (as
PyTorch does): compute on ``cuda:N`` under ``lanterna.cuda.set_device(N)`` or
``with lanterna.cuda.device(N):``.
"""

from __future__ import annotations

import sys

import numpy as np

from lanterna.backends import Backend, BackendUnavailable

from . import probe as _probe


class CUDABackend(Backend):
    name = "cuda"
    is_accelerator = True

    def __init__(self, probe=_probe.probe):
        super().__init__()
        self._probe_fn = probe
        self._probe = None
        self._cupy = None
        self._memory = None  # MemoryStats, installed on first use

    # --- availability (cheap: never imports CuPy)
    def _probed(self) -> _probe.Probe:
        if self._probe is None:
            self._probe = self._probe_fn()
        return self._probe

    def is_available(self) -> bool:
        return self._probed().available

    def unavailable_reason(self) -> str:
        return self._probed().reason or "CUDA is not available"

    def device_count(self) -> int:
        return self._probed().device_count

    def load_xp(self):
        try:
            import cupy
            from array_api_compat import cupy as xp
        except Exception as exc:  # a wheel for another CUDA, a missing runtime library ...
            raise BackendUnavailable(f"CUDA is not available: CuPy failed to import ({exc!r}); "
                                     f"{_probe.INSTALL_HINT}") from exc
        self._cupy = cupy
        from .memory import MemoryStats

        self._memory = MemoryStats(cupy)
        return xp

    @property
    def cupy(self):
        """The cupy module (loads the backend on first use; clear error if it cannot)."""
        if self._cupy is None:
            self.xp  # noqa: B018  (loads CuPy or raises BackendUnavailable with the reason)
        return self._cupy

    # --- devices
    def _check_index(self, index):
        n = self.device_count()
        if not 0 <= index < n:
            raise RuntimeError(f"CUDA error: invalid device ordinal (cuda:{index}; {n} device(s) visible)")

    def current_device(self) -> int:
        return self.cupy.cuda.runtime.getDevice()

    def set_device(self, index: int) -> None:
        self._check_index(index)
        self.cupy.cuda.runtime.setDevice(index)

    def synchronize(self, index=None) -> None:
        cp = self.cupy
        cp.cuda.Device(self.current_device() if index is None else _index(index)).synchronize()

    def device_index(self, array) -> int:
        return array.device.id

    # --- moving data
    def from_numpy(self, array, index):
        self._check_index(index)
        cp = self.cupy
        with cp.cuda.Device(index):
            return cp.asarray(array)

    def to_numpy(self, array):
        return self.cupy.asnumpy(array)

    def full(self, shape, value, dtype, index):
        self._check_index(index)
        cp = self.cupy
        with cp.cuda.Device(index):
            return cp.full(shape, value, dtype=dtype.np)

    def pin_memory(self, array):
        """A copy of host ``array`` in page-locked memory (faster, asynchronous uploads)."""
        cp = self.cupy
        mem = cp.cuda.alloc_pinned_memory(max(array.nbytes, 1))
        out = np.frombuffer(mem, array.dtype, array.size).reshape(array.shape)
        out[...] = array
        return out

    def is_pinned(self, array) -> bool:
        if self._cupy is None:  # nothing can be pinned before CuPy is loaded
            return False
        cuda = self._cupy.cuda
        pinned = (cuda.PinnedMemoryPointer, getattr(cuda, "PinnedMemory", cuda.PinnedMemoryPointer))
        base = array
        while base is not None:
            if isinstance(base, pinned):
                return True
            base = getattr(base, "base", None)
        return False

    # --- random numbers: CuPy's cuRAND streams, one per device
    def new_generator(self, index):
        from .random import CUDAGenerator

        return CUDAGenerator(self, index)

    # --- lanterna.cuda.* beyond the functions every device module has
    def module_functions(self) -> dict:
        from . import module

        return module.functions(self)


def _index(device) -> int:
    """A device given as int, 'cuda:1' or lanterna.device, as an index."""
    if isinstance(device, int):
        return device
    index = getattr(device, "index", None)
    if index is None and isinstance(device, str):
        index = int(device.partition(":")[2] or 0)
    return index or 0


def loaded() -> bool:
    """Whether CuPy has been imported in this process (by Lanterna or anyone)."""
    return "cupy" in sys.modules
