"""The Backend interface: everything a device is, in one object a plugin registers."""

from __future__ import annotations

import numpy as np


class BackendUnavailable(RuntimeError):
    """Raised when a tensor is sent to a device whose backend cannot run here."""


class Backend:
    """One device type. Subclass it, fill in what differs, register it from a plugin.

    The per-op hot path reads ``backend.xp`` (the array namespace) and ``backend.kernels``;
    everything else runs rarely (moving data, seeding, querying devices).
    """

    #: device type, as in ``tensor.to("name")``
    name: str = ""
    #: True where the device has one canonical index (e.g. ``cpu``); tensors then report no index
    indexless: bool = False
    #: names of the lanterna dtypes this device can hold
    supported_dtypes = frozenset(
        ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"]
    )

    def __init__(self):
        self._xp = None
        #: named kernels this backend overrides: name -> callable
        self.kernels: dict = {}

    # --- the array namespace, loaded on first use so that importing a plugin stays cheap
    @property
    def xp(self):
        if self._xp is None:
            if not self.is_available():
                raise BackendUnavailable(self.unavailable_reason())
            self._xp = self.load_xp()
        return self._xp

    def load_xp(self):
        """Import and return the Array API namespace (called once, lazily)."""
        raise NotImplementedError

    # --- availability
    def is_available(self) -> bool:
        return True

    def unavailable_reason(self) -> str:
        return f"the '{self.name}' backend is not available"

    def device_count(self) -> int:
        return 1 if self.is_available() else 0

    def current_device(self) -> int:
        return 0

    def set_device(self, index: int) -> None:
        if index != 0:
            raise RuntimeError(f"{self.name} has only device 0")

    def synchronize(self, index: int | None = None) -> None:
        pass

    # --- moving data
    def from_numpy(self, array: np.ndarray, index: int):
        """Return ``array`` (a host NumPy array) as an array on device ``index``."""
        raise NotImplementedError

    def to_numpy(self, array) -> np.ndarray:
        """Return a host NumPy array with the contents of a device array."""
        raise NotImplementedError

    def device_index(self, array) -> int:
        """The device index an array lives on."""
        return 0

    def pin_memory(self, array: np.ndarray) -> np.ndarray:
        return array

    def full(self, shape, value, dtype, index: int):
        """A new array of ``shape`` filled with ``value`` (``dtype`` is a lanterna dtype)."""
        return self.from_numpy(np.full(shape, value, dtype=dtype.np), index)

    # --- dtypes: lanterna dtype <-> the array library's dtype (NumPy's for NumPy and CuPy)
    def dtype(self, dtype):
        return dtype.np

    def to_lanterna_dtype(self, array_dtype):
        from .._dtype import from_numpy_dtype

        return from_numpy_dtype(array_dtype)

    # --- random numbers
    def generator(self, index: int):
        """The default generator of device ``index``: an object with the methods of
        :class:`lanterna._rng.Generator` (``manual_seed``, ``uniform``, ``normal``, ``random_int``,
        ``randperm``, ``bernoulli``, ``multinomial``) returning arrays of this device."""
        raise NotImplementedError

    def new_generator(self, index: int):
        """A fresh generator for ``lanterna.Generator(device=...)``."""
        raise NotImplementedError(f"{self.name} does not provide separate generators")

    def manual_seed(self, seed: int) -> None:
        for i in range(max(self.device_count(), 1)):
            self.generator(i).manual_seed(seed)

    # --- extra ``lanterna.<name>.*`` functions (e.g. memory_allocated); name -> callable
    def module_functions(self) -> dict:
        return {}

    def __repr__(self):
        return f"<{type(self).__name__} '{self.name}'>"
