"""``lanterna.testing`` (``torch.testing``): ``assert_close`` with PyTorch's default tolerances."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

__all__ = ["assert_allclose", "assert_close"]

# dtype name -> (rtol, atol): PyTorch's defaults
_TOLERANCES = {"float16": (1e-3, 1e-5), "float32": (1.3e-6, 1e-5), "float64": (1e-7, 1e-7)}


def _to_tensor(value):
    from ._tensor import Tensor
    from ._dtype import float64
    from .ops.creation import as_tensor

    if isinstance(value, Tensor):
        return value
    return as_tensor(value, dtype=float64) if isinstance(value, float) else as_tensor(value)  # Python floats: double


def _fail(msg, default):
    if msg is None:
        raise AssertionError(default)
    raise AssertionError(msg(default) if callable(msg) else msg)


def _compare(actual, expected, rtol, atol, equal_nan, check_device, check_dtype, msg, path):
    from ._tensor import Tensor

    where = "" if not path else f"\n\nThe failure occurred for item {''.join(f'[{p!r}]' for p in path)}"
    scalar = not isinstance(actual, Tensor) and not isinstance(expected, Tensor)
    if scalar and type(actual) is not type(expected) and check_dtype:
        _fail(msg, f"The values for attribute 'type' do not match: {type(actual)} != {type(expected)}.{where}")
    a, e = _to_tensor(actual), _to_tensor(expected)
    if a.shape != e.shape:
        _fail(msg, f"The values for attribute 'shape' do not match: {a.shape} != {e.shape}.{where}")
    if check_device and a.device != e.device:
        _fail(msg, f"The values for attribute 'device' do not match: {a.device} != {e.device}.{where}")
    if check_dtype and a.dtype != e.dtype and not scalar:
        _fail(msg, f"The values for attribute 'dtype' do not match: {a.dtype} != {e.dtype}.{where}")
    if (rtol is None) != (atol is None):
        missing = "rtol" if rtol is None else "atol"
        raise ValueError(f"Both 'rtol' and 'atol' must be either specified or omitted, but got no {missing}.")
    if rtol is None:
        tols = [_TOLERANCES.get(d.name, (0.0, 0.0)) for d in (a.dtype, e.dtype)]
        rtol, atol = max(t[0] for t in tols), max(t[1] for t in tols)
    x = a._host().astype(np.float64) if a.dtype.is_floating_point or e.dtype.is_floating_point else a._host()
    y = e._host().astype(x.dtype)
    if a.dtype.name == "bool" or not (a.dtype.is_floating_point or e.dtype.is_floating_point):
        close = x == y
    else:
        close = np.isclose(x, y, rtol=rtol, atol=atol, equal_nan=equal_nan)
    if close.all():
        return
    total, bad = close.size, int((~close).sum())
    diff = np.abs(x.astype(np.float64) - y.astype(np.float64))
    diff_masked = np.where(close, 0.0, np.nan_to_num(diff, nan=math.inf))
    idx = np.unravel_index(int(np.argmax(diff_masked)), close.shape) if close.ndim else ()
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = np.where(close, 0.0, np.nan_to_num(diff / np.abs(y.astype(np.float64)), nan=math.inf))
    ridx = np.unravel_index(int(np.argmax(rel)), close.shape) if close.ndim else ()
    kind = "Scalars" if close.ndim == 0 else "Tensor-likes"
    exact = x.dtype.kind != "f"
    verdict, abs_diff = ("equal", int(diff[idx])) if exact else ("close", diff[idx])
    abs_tol, rel_tol = ("", "") if exact else (f" (up to {atol} allowed)", f" (up to {rtol} allowed)")
    if close.ndim == 0:
        text = (f"{kind} are not {verdict}!\n\nExpected {y.item()} but got {x.item()}.\n"
                f"Absolute difference: {abs_diff}{abs_tol}\n"
                f"Relative difference: {rel.item()}{rel_tol}")
    else:
        text = (f"{kind} are not {verdict}!\n\nMismatched elements: {bad} / {total} ({100 * bad / total:.1f}%)\n"
                f"Greatest absolute difference: {abs_diff} at index {tuple(int(i) for i in idx)}{abs_tol}\n"
                f"Greatest relative difference: {rel[ridx]} at index {tuple(int(i) for i in ridx)}{rel_tol}")
    _fail(msg, text + where)


def assert_close(actual, expected, *, allow_subclasses=True, rtol=None, atol=None, equal_nan=False,
                 check_device=True, check_dtype=True, check_layout=True, check_stride=False, msg=None,
                 _path=()):
    """Raise an AssertionError unless ``actual`` and ``expected`` are close: for floating values
    ``|actual - expected| <= atol + rtol * |expected|`` elementwise, with the dtype's default
    tolerances when none are given; other values must be equal. Sequences and mappings are
    compared item by item. Shapes, devices and dtypes must match (``check_dtype=False`` relaxes
    the last)."""
    from ._tensor import Tensor

    if isinstance(actual, (str, bytes)) or isinstance(expected, (str, bytes)):
        if actual != expected:
            _fail(msg, f"{actual!r} != {expected!r}")
        return
    if isinstance(actual, Mapping) and isinstance(expected, Mapping):
        if set(actual) != set(expected):
            _fail(msg, f"The keys of the mappings do not match:\nactual: {sorted(actual)}\n"
                       f"expected: {sorted(expected)}")
        for k in expected:
            assert_close(actual[k], expected[k], rtol=rtol, atol=atol, equal_nan=equal_nan,
                         check_device=check_device, check_dtype=check_dtype, msg=msg, _path=(*_path, k))
        return
    if isinstance(actual, Sequence) and isinstance(expected, Sequence) and not isinstance(actual, Tensor):
        if len(actual) != len(expected):
            _fail(msg, f"The length of the sequences mismatch: {len(actual)} != {len(expected)}")
        for i, (a, e) in enumerate(zip(actual, expected)):
            assert_close(a, e, rtol=rtol, atol=atol, equal_nan=equal_nan, check_device=check_device,
                         check_dtype=check_dtype, msg=msg, _path=(*_path, i))
        return
    ok = (int, float, bool, np.number, np.ndarray, Tensor)
    if not isinstance(actual, ok) or not isinstance(expected, ok):
        if actual is None and expected is None:
            return
        raise TypeError(f"No comparison pair was able to handle inputs of type {type(actual)} and {type(expected)}.")
    _compare(actual, expected, rtol, atol, equal_nan, check_device, check_dtype, msg, _path)


def assert_allclose(actual, expected, rtol=None, atol=None, equal_nan=True, msg=""):
    """Deprecated PyTorch form: like ``assert_close`` without the dtype check."""
    assert_close(actual, expected, rtol=rtol, atol=atol, equal_nan=equal_nan, check_dtype=False,
                 msg=msg or None)
