"""Special functions the Array API standard lacks, with portable defaults."""

from __future__ import annotations

import math

import numpy as np

_erf_scalar = np.frompyfunc(math.erf, 1, 1)


def erf(xp, x):
    """Error function, correctly rounded via the C library (NumPy has no ufunc for it)."""
    if xp is np:
        return _erf_scalar(x).astype(x.dtype) if x.ndim else np.asarray(math.erf(float(x)), dtype=x.dtype)
    host = np.asarray(x.get() if hasattr(x, "get") else x)
    return xp.asarray(_erf_scalar(host).astype(host.dtype))
