"""The 'strict' device: Lanterna tensors whose storage is an ``array_api_strict`` array.

This module is what the ``lanterna.backends`` entry point names. Importing it is cheap:
``array_api_strict`` is imported only when the first tensor goes to the device.

>>> import lanterna as torch
>>> x = torch.ones(2, 3).to("strict")
>>> x.device
device(type='strict', index=0)
>>> (x * 2).sum().item()
12.0
"""

from __future__ import annotations

import importlib.util

import numpy as np

from lanterna.backends import Backend, hookimpl

_NAMES = ("bool", "uint8", "int8", "int16", "int32", "int64", "float32", "float64")


class StrictBackend(Backend):
    """One device (index 0) whose array namespace is ``array_api_strict``."""

    name = "strict"
    # array-api-strict implements the standard's dtypes only: there is no float16
    supported_dtypes = frozenset(_NAMES)

    def __init__(self):
        super().__init__()
        self._to_library: dict = {}
        self._to_lanterna: dict = {}

    # --- availability: a cheap probe, no import
    def is_available(self) -> bool:
        return importlib.util.find_spec("array_api_strict") is not None

    def unavailable_reason(self) -> str:
        return "the 'strict' device needs the array-api-strict package: pip install array-api-strict"

    def load_xp(self):
        import array_api_strict

        return array_api_strict

    def set_device(self, index: int) -> None:
        self._check_index(index)

    def _check_index(self, index):
        if index not in (0, None):
            raise RuntimeError(f"the 'strict' device has only index 0, got strict:{index}")

    # --- moving data: DLPack is the standard's interchange protocol
    def from_numpy(self, array, index):
        self._check_index(index)
        if array.dtype.name not in self.supported_dtypes:
            raise TypeError(f"the 'strict' device does not support torch.{array.dtype.name}")
        return self.xp.asarray(array, copy=True)

    def to_numpy(self, array):
        return np.from_dlpack(array).copy()

    # --- dtypes: lanterna's names are the standard's names
    def dtype(self, dtype):
        if not self._to_library:
            self._build_dtype_maps()
        try:
            return self._to_library[dtype.name]
        except KeyError:
            raise TypeError(f"the 'strict' device does not support {dtype}") from None

    def to_lanterna_dtype(self, array_dtype):
        if not self._to_lanterna:
            self._build_dtype_maps()
        return self._to_lanterna[array_dtype]

    def _build_dtype_maps(self):
        import lanterna

        for name in _NAMES:
            lib = getattr(self.xp, name)
            self._to_library[name] = lib
            self._to_lanterna[lib] = getattr(lanterna, name)

    # Random numbers: the base class keeps one host generator per device index (PyTorch's CPU
    # stream) and core moves its draws here, so a seeded model starts with the CPU's weights.

    def module_functions(self) -> dict:
        """Extra ``lanterna.strict.*`` functions, beside the standard ones every device gets."""
        return {"namespace": lambda: self.xp}


@hookimpl
def lanterna_register_backends(registry):
    registry.register_backend(StrictBackend())
