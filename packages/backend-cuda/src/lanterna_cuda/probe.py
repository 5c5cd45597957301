"""Is CUDA usable here, and if not, why? Answered cheaply, without importing CuPy.

``lanterna.cuda.is_available()`` must be fast and must not import CuPy (a 100 ms+ import that
also initialises CUDA state). The probe asks, cheapest first:

1. is CuPy installed?  (``importlib.util.find_spec``: no import)
2. can the NVIDIA driver library be loaded?  (``ctypes``: libcuda.so.1 / nvcuda.dll)
3. does the driver initialise and report at least one device?  (``cuInit``, ``cuDeviceGetCount``)

As with PyTorch's ``torch.cuda.is_available()``, step 3 initialises the driver (not a context);
CUDA cannot then be used in a process forked afterwards.
"""

from __future__ import annotations

import importlib.util
import sys
from typing import NamedTuple

INSTALL_HINT = "pip install 'lanterna-cuda[cuda12]' (or [cuda13], matching your CUDA driver)"
CUDA_ERROR_NO_DEVICE = 100


class Probe(NamedTuple):
    available: bool
    reason: str  # why not ("" when available)
    device_count: int = 0


def _driver_library_names():
    if sys.platform == "win32":
        return ("nvcuda.dll",)
    if sys.platform == "darwin":
        return ()
    return ("libcuda.so.1", "libcuda.so")


def load_driver():
    """The CUDA driver library, or None when no NVIDIA driver is installed."""
    import ctypes

    for name in _driver_library_names():
        try:
            return ctypes.CDLL(name)
        except OSError:
            continue
    return None


def _error_name(lib, code):
    import ctypes

    name = ctypes.c_char_p()
    try:
        if lib.cuGetErrorName(code, ctypes.byref(name)) == 0 and name.value:
            return name.value.decode()
    except Exception:
        pass
    return f"error {code}"


def probe(find_spec=importlib.util.find_spec, load_driver=load_driver) -> Probe:
    """Check, cheapest first, everything CUDA needs; never raises."""
    if find_spec("cupy") is None:
        return Probe(False, f"CUDA is not available: CuPy is not installed ({INSTALL_HINT})")
    lib = load_driver()
    if lib is None:
        return Probe(False, "CUDA is not available: no NVIDIA driver was found (libcuda could not be "
                            "loaded); install the NVIDIA driver for your GPU")
    import ctypes

    try:
        code = lib.cuInit(0)
        if code == CUDA_ERROR_NO_DEVICE:
            return Probe(False, "CUDA is not available: the NVIDIA driver found no CUDA device "
                                "(check CUDA_VISIBLE_DEVICES)")
        if code != 0:
            return Probe(False, f"CUDA is not available: the NVIDIA driver failed to initialise "
                                f"({_error_name(lib, code)})")
        count = ctypes.c_int(0)
        code = lib.cuDeviceGetCount(ctypes.byref(count))
        if code != 0:
            return Probe(False, f"CUDA is not available: cannot count devices ({_error_name(lib, code)})")
    except Exception as exc:  # an odd driver library: unavailable, never a crash
        return Probe(False, f"CUDA is not available: probing the driver failed ({exc!r})")
    if count.value < 1:
        return Probe(False, "CUDA is not available: no CUDA device was found")
    return Probe(True, "", count.value)
