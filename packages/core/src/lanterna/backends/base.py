"""The Backend interface: everything a device is, in one object a plugin registers.

A plugin subclasses :class:`Backend`, fills in what differs (the array namespace, moving data to
and from host NumPy, availability), and registers one instance from its
``lanterna_register_backends`` hook. From that single object Lanterna derives the whole device:
creation functions with ``device=``, every op (through ``xp`` and named kernels), random numbers,
``lanterna.<name>`` module functions, ``.to(name)``, save/load with ``map_location`` and
``pin_memory``. See ``docs/plugins.md`` for a walk-through.
"""

from __future__ import annotations

import numpy as np


class BackendUnavailable(RuntimeError, AssertionError):
    """A tensor was sent to a device that cannot run here (its plugin is missing, or the
    hardware, driver or array library is).

    It is a RuntimeError, and also an AssertionError because PyTorch raises that one for
    ``.cuda()`` in a build without CUDA ("Torch not compiled with CUDA enabled").
    """


class _LazyNamespace:
    """``backend.xp``: the first access checks availability, imports the array library and
    stores it on the instance, so that every later access is a plain attribute lookup."""

    def __get__(self, backend, owner=None):
        if backend is None:
            return self
        if not backend.is_available():
            raise BackendUnavailable(backend.unavailable_reason())
        xp = backend.load_xp()
        backend.__dict__["xp"] = xp
        return xp


class _DtypeMap(dict):
    """Caches ``backend.to_lanterna_dtype`` per array dtype."""

    def __init__(self, backend):
        super().__init__()
        self._backend = backend

    def __missing__(self, array_dtype):
        d = self._backend.to_lanterna_dtype(array_dtype)
        self[array_dtype] = d
        return d


class Backend:
    """One device type. Subclass it, fill in what differs, register it from a plugin.

    The per-op hot path reads ``backend.xp`` (the array namespace) and ``backend.kernels``;
    everything else runs rarely (moving data, seeding, querying devices).
    """

    #: device type, as in ``tensor.to("name")``
    name: str = ""
    #: True where the device has one canonical index (e.g. ``cpu``); tensors then report no index
    indexless: bool = False
    #: True for devices with their own memory that host data is uploaded to (GPUs): the
    #: "accelerator" that ``pin_memory()`` pins for and ``DataLoader(pin_memory=True)`` targets
    is_accelerator: bool = False
    #: names of the lanterna dtypes this device can hold
    supported_dtypes = frozenset(
        ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"]
    )

    def __init__(self):
        self._generators: dict = {}
        #: named kernels this backend overrides: name -> callable (see ``lanterna.ops.kernels``)
        self.kernels: dict = {}
        #: array dtype -> lanterna dtype, read by ``Tensor.dtype`` (a dict lookup on the hot path;
        #: filled lazily from ``to_lanterna_dtype``). Keep this attribute.
        self.dtypes = _DtypeMap(self)

    #: the array namespace (Python Array API standard) that core's ops call; loaded on first
    #: use, then a plain instance attribute (the per-op hot path)
    xp = _LazyNamespace()

    def load_xp(self):
        """Import and return the Array API namespace (called once, lazily).

        Raise :class:`BackendUnavailable` with a reason if the library cannot be imported.
        """
        raise NotImplementedError

    # --- availability: must be cheap and must not import the array library
    def is_available(self) -> bool:
        """Whether tensors can be created on this device here (cache the answer if it costs)."""
        return True

    def unavailable_reason(self) -> str:
        """One sentence telling the user why ``is_available()`` is False and what to do."""
        return f"the '{self.name}' backend is not available"

    def device_count(self) -> int:
        return 1 if self.is_available() else 0

    def current_device(self) -> int:
        return 0

    def set_device(self, index: int) -> None:
        if index != 0:
            raise RuntimeError(f"{self.name} has only device 0")

    def synchronize(self, index: int | None = None) -> None:
        """Wait for the device's queued work (asynchronous devices only)."""

    # --- moving data
    def from_numpy(self, array: np.ndarray, index: int):
        """Return ``array`` (a host NumPy array) as a new array on device ``index``."""
        raise NotImplementedError

    def to_numpy(self, array) -> np.ndarray:
        """Return a host NumPy array with the contents of a device array."""
        raise NotImplementedError

    def device_index(self, array) -> int:
        """The device index an array lives on."""
        return 0

    def pin_memory(self, array: np.ndarray) -> np.ndarray:
        """A copy of host ``array`` in memory this device reads fast (page-locked); by default
        the array itself."""
        return array

    def is_pinned(self, array: np.ndarray) -> bool:
        return False

    def full(self, shape, value, dtype, index: int):
        """A new array of ``shape`` filled with ``value`` (``dtype`` is a lanterna dtype)."""
        return self.from_numpy(np.full(shape, value, dtype=dtype.np), index)

    # --- dtypes: lanterna dtype <-> the array library's dtype (NumPy's for NumPy and CuPy)
    def dtype(self, dtype):
        """The array library's dtype object for lanterna ``dtype``; raise TypeError if the
        device cannot hold it."""
        return dtype.np

    def to_lanterna_dtype(self, array_dtype):
        """The lanterna dtype of an array whose dtype is ``array_dtype``."""
        from .._dtype import from_numpy_dtype

        return from_numpy_dtype(array_dtype)

    # --- random numbers
    def generator(self, index: int):
        """The default generator of device ``index``.

        It has the methods of :class:`lanterna._rng.Generator` (``manual_seed``, ``uniform``,
        ``normal``, ``random_int``, ``randperm``, ``bernoulli`` ...) and may return host NumPy
        arrays (core then moves them to the device) or arrays of this device.

        The default is one host generator per device index running PyTorch's CPU stream, so a
        device without random numbers of its own draws exactly what the CPU draws.
        """
        g = self._generators.get(index)
        if g is None:
            g = self._generators[index] = self.new_generator(index)
        return g

    def new_generator(self, index: int):
        """A fresh generator for ``lanterna.Generator(device=...)`` (default: a host one)."""
        from .. import _rng

        return _rng.Generator()

    def manual_seed(self, seed: int) -> None:
        """Seed the default generator of every device index."""
        for i in range(max(self.device_count(), 1)):
            self.generator(i).manual_seed(seed)

    # --- extra ``lanterna.<name>.*`` functions (e.g. memory_allocated); name -> callable
    def module_functions(self) -> dict:
        return {}

    def __repr__(self):
        return f"<{type(self).__name__} '{self.name}'>"
