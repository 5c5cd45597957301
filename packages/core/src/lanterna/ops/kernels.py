"""Named kernels: the few computations the Array API cannot express (well) portably.

Core ships a default for each, written against ``xp`` or through host NumPy; a backend
overrides one by putting a callable under the same name in ``backend.kernels`` (directly or
through the ``lanterna_register_kernels`` hook). Looking one up is a dict access, never a hook call.
"""

from __future__ import annotations

import numpy as np

DEFAULTS: dict = {}


def default_kernel(fn):
    DEFAULTS[fn.__name__] = fn
    return fn


def kernel(backend, name):
    fn = backend.kernels.get(name)
    return fn if fn is not None else DEFAULTS[name]


# ---- host round trips: the portable default for arrays that are not NumPy's -----------------
def to_host(a):
    """A device array's contents as a NumPy array, through DLPack (the standard's interchange
    protocol; works for host-resident libraries). Other arguments pass through."""
    if isinstance(a, np.ndarray) or not hasattr(a, "__dlpack__"):
        return a
    try:
        return np.from_dlpack(a)
    except (BufferError, RuntimeError, TypeError, ValueError) as exc:
        raise NotImplementedError(
            f"cannot bring a {type(a).__name__} to host memory ({exc}); the backend must register its "
            "own implementation of this named kernel"
        ) from None


def from_host(h, like):
    """NumPy array ``h`` as an array of ``like``'s library, on ``like``'s device."""
    xp = like.__array_namespace__()
    return xp.asarray(h, device=like.device)


def _host_index(index):
    return tuple(to_host(i) for i in index) if isinstance(index, tuple) else to_host(index)


def _on_host_inplace(np_fn, out, index, values):
    """Run in-place NumPy kernel ``np_fn(h, index, values)`` on a host copy of ``out`` and write
    the result back (one standard ``out[...] = ...`` assignment)."""
    h = np.array(to_host(out))
    np_fn(h, _host_index(index), to_host(values))
    out[...] = from_host(h, out)


def _setitem(h, index, values):
    h[index] = values


# ---- indexing the standard lacks: scatter-add, fancy get/set ---------------------------------
@default_kernel
def index_add(out, index, values):
    """``out[index] += values`` where repeated indices accumulate (scatter-add), in place."""
    if isinstance(out, np.ndarray):
        np.add.at(out, index, values)
    else:
        _on_host_inplace(np.add.at, out, index, values)


@default_kernel
def index_mul(out, index, values):
    """``out[index] *= values`` where repeated indices multiply, in place."""
    if isinstance(out, np.ndarray):
        np.multiply.at(out, index, values)
    else:
        _on_host_inplace(np.multiply.at, out, index, values)


@default_kernel
def index_get(x, index):
    """``x[index]`` for an advanced (NumPy-style) index: integer arrays, lists and boolean masks
    mixed with slices. The standard specifies only a subset of these."""
    if isinstance(x, np.ndarray):
        return x[index]
    return from_host(np.ascontiguousarray(to_host(x)[_host_index(index)]), x)


@default_kernel
def index_set(out, index, values):
    """``out[index] = values`` for an advanced index, in place (the standard has no fancy
    ``__setitem__``)."""
    if isinstance(out, np.ndarray):
        out[index] = values
    else:
        _on_host_inplace(_setitem, out, index, values)


# ---- for code that holds arrays but not their backend (the elementwise ``compute`` functions)
def namespace(x):
    """The Array API namespace of array ``x``; NumPy for arrays that do not say (NumPy's ufuncs
    dispatch to CuPy arrays through ``__array_ufunc__``)."""
    ns = getattr(x, "__array_namespace__", None)
    return np if ns is None else ns()


def is_integral(x):
    """Whether array ``x`` holds integers or bools."""
    kind = getattr(x.dtype, "kind", None)  # NumPy's and CuPy's dtypes
    if kind is not None:
        return kind in "iub"
    return namespace(x).isdtype(x.dtype, ("integral", "bool"))


def fmod(x, y):
    """C's ``fmod`` (the remainder takes the dividend's sign). The standard has only
    ``remainder`` (the divisor's sign): adjust it where the signs differ."""
    if isinstance(x, np.ndarray):
        return np.fmod(x, y)
    xp = namespace(x)
    r = xp.remainder(x, y)
    return xp.where((r != 0) & ((r < 0) != (x < 0)), r - y, r)


# ---- functions the standard lacks ------------------------------------------------------------
@default_kernel
def erf(x):
    """The error function (not in the standard): correctly rounded through the C library."""
    from . import special

    if isinstance(x, np.ndarray):
        if x.size > 4096:  # large arrays: Cody's vectorised rational approximations, in float64
            from .nn_special import erf as erf_vectorised

            return erf_vectorised(np, x.astype(np.float64)).astype(x.dtype)
        return special.erf(np, x)
    h = to_host(x)
    return from_host(special.erf(np, np.asarray(h)), x)


@default_kernel
def im2col(x, kh, kw, stride, padding, dilation):
    """Unfold (N, C, H, W) into (N, C, kh, kw, OH, OW) windows with a strided view (no copy)."""
    if not isinstance(x, np.ndarray):
        return _im2col_portable(x, kh, kw, stride, padding, dilation)
    sh, sw = stride
    ph, pw = padding
    dh, dw = dilation
    if ph or pw:
        x = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    n, c, h, w = x.shape
    oh = (h - dh * (kh - 1) - 1) // sh + 1
    ow = (w - dw * (kw - 1) - 1) // sw + 1
    s0, s1, s2, s3 = x.strides
    return np.lib.stride_tricks.as_strided(
        x, (n, c, kh, kw, oh, ow), (s0, s1, s2 * dh, s3 * dw, s2 * sh, s3 * sw), writeable=False
    )


@default_kernel
def col2im(cols, x_shape, kh, kw, stride, padding, dilation):
    """Adjoint of im2col: add (N, C, kh, kw, OH, OW) windows back into (N, C, H, W)."""
    n, c, h, w = x_shape
    sh, sw = stride
    ph, pw = padding
    dh, dw = dilation
    if isinstance(cols, np.ndarray):
        out = np.zeros((n, c, h + 2 * ph, w + 2 * pw), dtype=cols.dtype)
    else:
        xp = cols.__array_namespace__()
        out = xp.zeros((n, c, h + 2 * ph, w + 2 * pw), dtype=cols.dtype, device=cols.device)
    oh, ow = cols.shape[4], cols.shape[5]
    for i in range(kh):
        for j in range(kw):
            hi, wj = i * dh, j * dw
            out[:, :, hi:hi + sh * (oh - 1) + 1:sh, wj:wj + sw * (ow - 1) + 1:sw] += cols[:, :, i, j]
    return out[:, :, ph:ph + h, pw:pw + w] if (ph or pw) else out


def _im2col_portable(x, kh, kw, stride, padding, dilation):
    """im2col with the standard alone: zero padding by assignment, one strided slice per kernel
    offset, stacked (a copy, where NumPy's version is a view)."""
    xp = x.__array_namespace__()
    sh, sw = stride
    ph, pw = padding
    dh, dw = dilation
    n, c, h, w = x.shape
    if ph or pw:
        padded = xp.zeros((n, c, h + 2 * ph, w + 2 * pw), dtype=x.dtype, device=x.device)
        padded[:, :, ph:ph + h, pw:pw + w] = x
        x, h, w = padded, h + 2 * ph, w + 2 * pw
    oh = (h - dh * (kh - 1) - 1) // sh + 1
    ow = (w - dw * (kw - 1) - 1) // sw + 1
    cols = [x[:, :, i * dh:i * dh + sh * (oh - 1) + 1:sh, j * dw:j * dw + sw * (ow - 1) + 1:sw]
            for i in range(kh) for j in range(kw)]
    return xp.reshape(xp.stack(cols, axis=2), (n, c, kh, kw, oh, ow))


# ---- reductions ------------------------------------------------------------------------------
@default_kernel
def reduce_sum(x, axis, keepdims, dtype):
    """``xp.sum``. On NumPy the ufunc reduction itself: ``np.sum``'s Python wrapper costs more
    than summing a small tensor."""
    if isinstance(x, np.ndarray):
        return np.add.reduce(x, axis=axis, dtype=dtype, keepdims=keepdims)
    return namespace(x).sum(x, axis=axis, keepdims=keepdims, dtype=dtype)


@default_kernel
def value_range(x):
    """``(min, max)`` of a non-empty array, as 0-d arrays or scalars (for index checks); on NumPy
    the ufunc reductions themselves, without ``np.min``'s Python wrapper."""
    if isinstance(x, np.ndarray):
        return np.minimum.reduce(x, axis=None), np.maximum.reduce(x, axis=None)
    xp = namespace(x)
    return xp.min(x), xp.max(x)


# ---- nn kernels ------------------------------------------------------------------------------
@default_kernel
def log_softmax(x, axis):
    """``z - log(sum(exp(z)))`` with ``z = x - max(x)`` over ``axis`` (no overflow for large
    logits). On NumPy the ufunc reductions themselves: the Python wrappers of ``np.max`` and
    ``np.sum`` cost more than the arithmetic on a batch of class scores."""
    if isinstance(x, np.ndarray):
        z = x - np.maximum.reduce(x, axis=axis, keepdims=True)
        z -= np.log(np.add.reduce(np.exp(z), axis=axis, keepdims=True))
        return z
    xp = namespace(x)
    z = x - xp.max(x, axis=axis, keepdims=True)
    z -= xp.log(xp.sum(xp.exp(z), axis=axis, keepdims=True))
    return z


_INT_OF_FLOAT = {2: np.int16, 4: np.int32, 8: np.int64}


@default_kernel
def relu(x):
    """``0 if x < 0 else x`` (keeps -0.0 and NaN, as PyTorch does). On NumPy the select is a
    bitwise AND with a mask, several times faster than ``where`` on data of mixed signs."""
    if isinstance(x, np.ndarray) and x.ndim and x.dtype.kind == "f" and x.itemsize in _INT_OF_FLOAT:
        return _and_not(np.less(x, 0, out=np.empty(x.shape, _INT_OF_FLOAT[x.itemsize])), x)
    xp = namespace(x)
    return xp.where(x < 0, xp.zeros_like(x), x)


@default_kernel
def relu_backward(out, grad):
    """PyTorch's ``threshold_backward(grad, out, 0)``: +0.0 where ``out <= 0``, else ``grad`` (NaN
    outputs pass their gradient on)."""
    if (isinstance(grad, np.ndarray) and grad.ndim and grad.dtype.kind == "f" and grad.itemsize in _INT_OF_FLOAT
            and out.shape == grad.shape):
        return _and_not(np.less_equal(out, 0, out=np.empty(grad.shape, _INT_OF_FLOAT[grad.itemsize])), grad)
    xp = namespace(grad)
    return xp.where(out <= 0, xp.zeros_like(grad), grad)


def _and_not(flags, x):
    """``+0.0 where flags else x``, for ``flags`` an integer array of 0/1 the width of ``x``'s floats,
    reused as the result: three passes (the comparison that wrote ``flags`` included), and a
    bitwise AND instead of a branchy select on data of mixed signs."""
    flags -= 1  # all bits set where x is kept, 0 where it is zeroed
    flags &= x.view(flags.dtype)
    return flags.view(x.dtype)


@default_kernel
def select_or_zero(cond, x):
    """``x where cond else +0.0``: exact like ``where`` (no -0.0 from ``x * 0``, no NaN from
    ``inf * 0``) but, on NumPy, a bitwise AND instead of a branchy select."""
    if isinstance(x, np.ndarray) and x.ndim and x.dtype.kind == "f" and x.itemsize in _INT_OF_FLOAT:
        itype = _INT_OF_FLOAT[x.itemsize]
        cond = np.asarray(cond)
        if cond.shape != x.shape:  # broadcasting
            mask = np.negative(cond.view(np.int8), dtype=itype)  # True -> all bits set
            return (x.view(itype) & mask).view(x.dtype)
        # the same in place in one buffer: a plain cast, then two in-place ops (faster than a
        # casting ``negative`` and a third array)
        out = cond.view(np.int8).astype(itype)
        np.negative(out, out=out)
        np.bitwise_and(x.view(itype), out, out=out)
        return out.view(x.dtype)
    xp = namespace(x)
    return xp.where(cond, x, xp.zeros_like(x))
