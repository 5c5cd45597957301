"""PyTorch-exact CPU random numbers (the ``torch.Generator`` mt19937 stream) in pure NumPy.

Every sampler consumes the 32-bit mt19937 stream exactly as PyTorch 2.13's CPU kernels do
(``CPUGeneratorImpl``, ``DistributionsHelper.h``, ``cpu/DistributionTemplates.h``,
``cpu/DistributionKernels.cpp``, ``Sampling``/``MultinomialKernel``, ``randperm_cpu``), so a
seeded sequence of calls reproduces torch number for number. The raw stream comes in bulk from
NumPy's ``MT19937`` bit generator with torch's seeding (``init_genrand`` of the low 32 bits).

Torch's AVX2 kernels are compiled with ``-mfma``, so GCC contracts ``a * b + c`` into fused
multiply-adds; :func:`_fma32` / :func:`_fma64` reproduce those single roundings exactly.
"""

from __future__ import annotations

import math
import os
import struct

import numpy as np

_DEFAULT_SEED = 67280421310721  # c10::detail::default_rng_seed_val
_N = 624  # mt19937 state words
_STATE_SIZE, _LEGACY_STATE_SIZE = 5056, 5048  # sizeof(CPUGeneratorImplState[Legacy])
_MASK24, _MASK53 = np.uint64((1 << 24) - 1), np.uint64((1 << 53) - 1)
_F = np.float32


def _size(shape) -> tuple:
    return (int(shape),) if isinstance(shape, (int, np.integer)) else tuple(int(s) for s in shape)


def _cast(x: np.ndarray, dtype: np.dtype) -> np.ndarray:
    # c10::Half is constructed from float, so double -> half rounds through float32 first.
    if dtype == np.float16 and x.dtype == np.float64:
        x = x.astype(np.float32)
    return x.astype(dtype, copy=False)


def _chunked(fn, x: np.ndarray, rows: int = 65536) -> np.ndarray:
    """``fn(x)`` over cache-sized slices: the many-pass float emulation runs ~2-3x faster so."""
    if len(x) <= rows:
        return fn(x)
    return np.concatenate([fn(x[i : i + rows]) for i in range(0, len(x), rows)])


def _two_sum(a, b):
    s = a + b
    bb = s - a
    return s, (a - (s - bb)) + (b - bb)


def _nudge(s: np.ndarray, err: np.ndarray) -> np.ndarray:
    """Move inexact sums ``s`` (exact value ``s + err``) one float64 ulp towards the exact value
    when their last bit is even: the sum rounded to odd, which a second rounding cannot spoil."""
    step = np.where((err > 0) == (s > 0), 1, -1) * ((err != 0) & ((s.view(np.int64) & 1) == 0))
    return (s.view(np.int64) + step).view(np.float64)


def _fma32(a, b, c) -> np.ndarray:
    """Correctly rounded float32 ``a * b + c`` (what ``vfmadd`` computes)."""
    p = np.multiply(a, b, dtype=np.float64)  # exact: 24 + 24 bits fit in 53
    s = p + np.float64(c) if np.ndim(c) == 0 else p + c
    # Rounding to float64 then float32 only differs from one rounding when the float64 sum
    # lands exactly on a float32 halfway point but is inexact; nudge those towards the exact sum.
    tie = np.flatnonzero((s.view(np.int64) & 0x1FFFFFFF) == 0x10000000)
    if tie.size:
        c = np.broadcast_to(np.asarray(c, np.float64), s.shape).ravel()[tie]
        s = s.ravel()  # a fresh array: the view writes through
        s[tie] = _nudge(*_two_sum(p.ravel()[tie], c))
        s = s.reshape(p.shape)
    return s.astype(np.float32)


def _fma64(a, b, c) -> np.ndarray:
    """Correctly rounded float64 ``a * b + c`` (Boldo & Melquiond: exact product, round-to-odd)."""
    a, b, c = np.broadcast_arrays(*(np.asarray(v, np.float64) for v in (a, b, c)))
    ph = a * b  # Dekker/Veltkamp splitting gives the exact product ph + pl
    ah = 134217729.0 * a
    ah = ah - (ah - a)
    bh = 134217729.0 * b
    bh = bh - (bh - b)
    pl = ((ah * bh - ph) + ah * (b - bh) + (a - ah) * bh) + (a - ah) * (b - bh)
    th, tl = _two_sum(c, ph)
    with np.errstate(invalid="ignore", over="ignore"):
        out = th + _nudge(*_two_sum(tl, pl))
    # The error terms are NaN once a * b or the sum overflows (or an input is inf/NaN): there
    # the plain expression already has the fused result (inf, -inf or NaN).
    return np.where(np.isfinite(out), out, ph + c) if not np.isfinite(out).all() else out


def _affine(z, std, mean, fma):
    """``fma(z, std, mean)`` with the cheap exact cases (std == 1 or mean == 0) skipped."""
    if std == 1:
        return z + z.dtype.type(mean)
    if mean == 0:
        return z * z.dtype.type(std) + z.dtype.type(0)  # + 0 turns -0.0 into +0.0 like fma
    return fma(z, z.dtype.type(std), z.dtype.type(mean))


def _log256_ps(x: np.ndarray) -> np.ndarray:
    """float32 ``log256_ps`` from ATen's avx_mathfun.h (Cephes), with GCC's FMA contractions."""
    bits = x.view(np.int32)  # x in (0, 1]: no denormal / invalid handling needed
    e = ((bits >> 23) - 127).astype(_F) + _F(1)
    x = ((bits & ~0x7F800000) | 0x3F000000).view(_F)  # mantissa scaled to [0.5, 1)
    small = x < _F(0.707106781186547524)
    e -= small.astype(_F)
    x = (x - _F(1)) + np.where(small, x, _F(0))
    z = x * x
    y = np.full_like(x, _F(7.0376836292e-2))
    for p in (
        -1.1514610310e-1,
        1.1676998740e-1,
        -1.2420140846e-1,
        1.4249322787e-1,
        -1.6668057665e-1,
        2.0000714765e-1,
        -2.4999993993e-1,
        3.3333331174e-1,
    ):
        y = _fma32(y, x, _F(p))
    y = _fma32(y * x, z, e * _F(-2.12194440e-4))
    y = y - z * _F(0.5)  # z * 0.5 is exact, so fusing cannot change it
    return (x + y) + e * _F(0.693359375)  # e * q2 is exact too


def _sincos256_ps(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """float32 ``sincos256_ps`` from avx_mathfun.h for x >= 0, with GCC's FMA contractions."""
    j = (x * _F(1.27323954473516)).astype(np.int32)  # x * 4/pi, truncated
    j = (j + 1) & ~1
    y = j.astype(_F)
    # Extended-precision range reduction. y <= 8 is a small integer, so y * DP1 and y * DP2 are
    # exact (DP1, DP2 have few mantissa bits) and only the DP3 step depends on the fusing.
    x = (x + y * _F(-0.78515625)) + y * _F(-2.4187564849853515625e-4)
    x = _fma32(y, _F(-3.77489497744594108e-8), x)
    z = x * x
    yc = _fma32(_fma32(_F(2.443315711809948e-5), z, _F(-1.388731625493765e-3)), z, _F(4.166664568298827e-2))
    yc = _fma32(yc * z, z, -(z * _F(0.5))) + _F(1)
    ys = _fma32(_fma32(_F(-1.9515295891e-4), z, _F(8.3321608736e-3)), z, _F(-1.6666654611e-1))
    ys = _fma32(ys * z, x, x)
    use_sin_poly = (j & 2) == 0
    s, c = np.where(use_sin_poly, ys, yc), np.where(use_sin_poly, yc, ys)
    return np.where((j & 4) != 0, -s, s), np.where(((j - 2) & 4) == 0, -c, c)


def _normal_fill_16_avx2(u: np.ndarray, mean: float, std: float) -> np.ndarray:
    """``normal_fill_16_AVX2`` on rows of 16 uniforms: Box-Muller of (1 - u[:8], u[8:])."""
    radius = np.sqrt(_F(-2) * _log256_ps(_F(1) - u[:, :8]))
    sin, cos = _sincos256_ps(_F(2.0 * math.pi) * u[:, 8:])
    return _affine(np.concatenate([radius * cos, radius * sin], axis=1), std, mean, _fma32)


def _libm(fn, a: np.ndarray) -> np.ndarray:
    """``fn`` (a ``math`` function: the C library's, which PyTorch's scalar code calls) on every
    element of float64 ``a``. NumPy's own float64 ``log``/``log1p`` take SIMD code on CPUs with
    AVX-512, which differs from the C library in the last bit for about 1 value in 300 (and
    NumPy builds differ in which functions they vectorise)."""
    return np.fromiter(map(fn, a.ravel().tolist()), np.float64, a.size).reshape(a.shape)


def _normal_fill_16_double(u: np.ndarray, mean: float, std: float) -> np.ndarray:
    """``normal_fill_16<double>`` (the C library's log, cos and sin, element by element)."""
    radius = np.sqrt(-2.0 * _libm(math.log, 1.0 - u[:, :8]))
    theta = (2.0 * math.pi) * u[:, 8:]
    cos, sin = _libm(math.cos, theta), _libm(math.sin, theta)
    return _affine(np.concatenate([radius * cos, radius * sin], 1), std, mean, _fma64)


def _c_int64(x: float) -> int:
    """``static_cast<int64_t>(double)`` as x86 computes it: out of range (or inf/NaN) gives INT64_MIN."""
    return int(x) if -(2.0**63) <= x < 2.0**63 else -(1 << 63)


def float_bounds(low: int, high: int, dtype) -> tuple[int, int]:
    """ATen's ``update_from`` / ``update_to`` for a floating ``dtype``: move ``[low, high)`` inwards
    where the float type cannot tell ``low + 1`` from ``low`` (or ``high - 1`` from ``high``)."""
    dtype = np.dtype(dtype)
    digits = {2: 11, 4: 24, 8: 53}[dtype.itemsize]

    def as_f(v: int) -> int:  # static_cast<int64_t>(static_cast<scalar_t>(v)); half via float
        with np.errstate(over="ignore"):
            f = np.array(v, np.int64).astype(np.float32 if digits == 11 else dtype).astype(dtype)
        return _c_int64(float(f))

    if as_f(low + 1) < low:
        low = as_f(low + 1) + (1 << (abs(low + 1).bit_length() - digits))
    if as_f(high - 1) >= high:
        high = as_f(high - 1) - (1 << (abs(high - 1).bit_length() - digits))
    return low, high


def _from_double(x: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """``static_cast<scalar_t>(double)`` of PyTorch's serial kernels. Integers follow x86's
    truncating conversion: int64 out of range gives INT64_MIN; the narrower types convert through
    int32 (out of range: INT32_MIN) and keep the low bits."""
    dtype = np.dtype(dtype)
    if dtype.kind == "f":
        return _cast(x, dtype)
    wide = dtype == np.int64
    lim = 2.0**63 if wide else 2.0**31
    ok = (x >= -lim) & (x < lim)  # False for NaN too
    out = np.where(ok, x, 0).astype(np.int64 if wide else np.int32)
    out[~ok] = np.iinfo(out.dtype).min
    return out.astype(dtype)


def _c_exp(x: float) -> float:
    try:
        return math.exp(x)
    except OverflowError:  # C's exp returns inf
        return math.inf


def _c_log(x: float) -> float:
    return math.log(x) if x > 0 else -math.inf  # x >= 0 here; C's log(0) is -inf


class Generator:
    """One CPU generator: torch's mt19937 plus its cached Box-Muller samples."""

    def __init__(self, seed: int = _DEFAULT_SEED):
        self._bits_ = None
        self.manual_seed(seed)

    @property
    def _bits(self):
        """The mt19937 stream, created on the first draw: importing ``numpy.random`` costs more
        than the rest of ``import lanterna``, so it waits until a random number is needed."""
        bits = self._bits_
        if bits is None:
            bits = self._bits_ = np.random.MT19937(0)
            bits._legacy_seeding(self._seed & 0xFFFFFFFF)
        return bits

    # --- seeding and state ------------------------------------------------------------
    def manual_seed(self, seed: int) -> Generator:
        """``torch.Generator.manual_seed``: negative seeds wrap to uint64; mt19937 uses 32 bits."""
        seed = int(seed)
        if not -(1 << 63) <= seed < (1 << 64):
            raise RuntimeError("Overflow when unpacking long long")
        self._seed = seed % (1 << 64)
        if self._bits_ is not None:
            self._bits_._legacy_seeding(self._seed & 0xFFFFFFFF)
        self._fresh = True  # torch reports next_ = 0 until the first draw
        self._next_double: float | None = None
        self._next_float: float | None = None
        return self

    def seed(self) -> int:
        """Reseed from the OS entropy pool and return the new seed."""
        s = int.from_bytes(os.urandom(8), "little")
        self.manual_seed(s)
        return s

    def initial_seed(self) -> int:
        return self._seed

    def get_state(self) -> np.ndarray:
        """5056 bytes laid out like ``CPUGeneratorImplState``: interchangeable with torch."""
        st = self._bits.state["state"]
        pos = int(st["pos"])
        head = struct.pack("<QiiQ", self._seed, _N + 1 - pos, 1, 0 if self._fresh else pos)
        key = np.asarray(st["key"], dtype="<u8").tobytes()
        dbl = self._next_double
        tail = struct.pack("<dddi4x", 0.0, dbl or 0.0, 0.0, dbl is not None)
        tail += struct.pack("<f?3x", self._next_float or 0.0, self._next_float is not None)
        return np.frombuffer(head + key + tail, dtype=np.uint8).copy()

    def set_state(self, state) -> None:
        b = np.asarray(state, dtype=np.uint8).tobytes()
        if len(b) not in (_STATE_SIZE, _LEGACY_STATE_SIZE):
            raise RuntimeError(
                f"Expected either a CPUGeneratorImplStateLegacy of size "
                f"{_LEGACY_STATE_SIZE} or a CPUGeneratorImplState of size "
                f"{_STATE_SIZE} but found the input RNG state size to be {len(b)}"
            )
        seed, left, seeded, nxt = struct.unpack_from("<QiiQ", b, 0)
        if not (seeded and 0 < left <= _N and nxt <= _N):
            raise RuntimeError("Invalid mt19937 state")
        key = np.frombuffer(b, dtype="<u8", count=_N, offset=24).astype(np.uint32)
        # torch draws state[next_] while left_ > 1 and regenerates when left_ reaches 1.
        pos = _N if left == 1 else nxt
        self._bits.state = {"bit_generator": "MT19937", "state": {"key": key, "pos": pos}}
        self._seed, self._fresh = seed, (left == 1 and nxt == 0)
        normal_y, valid = struct.unpack_from("<8xd8xi", b, 5016)
        self._next_double = normal_y if valid else None
        self._next_float = None
        if len(b) == _STATE_SIZE:
            f, fvalid = struct.unpack_from("<f?", b, 5048)
            self._next_float = f if fvalid else None

    # --- raw stream -----------------------------------------------------------------------
    def _random(self, n: int) -> np.ndarray:
        """n x ``random()``: 32-bit draws (as uint64)."""
        if n:
            self._fresh = False
        return self._bits.random_raw(n)  # uint64 holding 32-bit values

    def _random64(self, n: int) -> np.ndarray:
        """n x ``random64()``: the first 32-bit draw is the high word."""
        r = self._random(2 * n)
        return (r[0::2] << np.uint64(32)) | r[1::2]

    def _uniform24(self, n: int) -> np.ndarray:
        """``uniform_real_distribution<float>(0, 1)``: 24 random bits."""
        return (self._random(n) & _MASK24).astype(_F) * _F(2.0**-24)

    def _uniform53(self, n: int) -> np.ndarray:
        """``uniform_real_distribution<double>(0, 1)``: 53 bits of ``random64()``."""
        return (self._random64(n) & _MASK53).astype(np.float64) * 2.0**-53

    # --- distributions --------------------------------------------------------------------
    def uniform(self, shape, dtype, low=0.0, high=1.0) -> np.ndarray:
        """``torch.rand`` / ``Tensor.uniform_(low, high)`` for float16/32/64."""
        shape, dtype = _size(shape), np.dtype(dtype)
        n = math.prod(shape)
        if dtype == np.float64:
            lo, hi = float(low), float(high)
            out = _chunked(lambda x: _affine(x, hi - lo, lo, _fma64), self._uniform53(n))
        elif dtype in (np.float32, np.float16):
            lo, hi = _F(low), _F(high)  # half samples through float (its opmath type)
            out = _chunked(lambda x: _affine(x, hi - lo, lo, _fma32), self._uniform24(n)).astype(dtype)
        else:
            raise TypeError(f"uniform_ not implemented for {dtype}")
        # A sample that rounded up to `high` in the output dtype is mapped back to `low`.
        bounds = _cast(np.array([low, high], dtype=np.float64), dtype)
        out[out >= bounds[1]] = bounds[0]
        return out.reshape(shape)

    def _normal_scalar(self, n: int, mean: float, std: float) -> np.ndarray:
        """``normal_distribution<double>``: Box-Muller pairs, the sine half cached."""
        out = np.empty(n)
        for i in range(n):
            if self._next_double is not None:
                out[i], self._next_double = self._next_double, None
                continue
            u1, u2 = self._uniform53(2).tolist()
            r = math.sqrt(-2.0 * math.log1p(-u2))
            theta = 2.0 * math.pi * u1
            self._next_double = r * math.sin(theta)
            out[i] = r * math.cos(theta)
        return _affine(out, float(std), float(mean), _fma64)

    def normal(self, shape, dtype, mean=0.0, std=1.0) -> np.ndarray:
        """``torch.randn`` / ``Tensor.normal_(mean, std)`` on a contiguous tensor.

        Fewer than 16 elements use the scalar Box-Muller path (and the cached sample); 16 or
        more use ``normal_fill``: all uniforms first, transformed 16 at a time, and when the
        size is not a multiple of 16 the last 16 outputs are redone from 16 fresh uniforms.
        """
        shape, dtype = _size(shape), np.dtype(dtype)
        n = math.prod(shape)
        if dtype not in (np.float16, np.float32, np.float64):
            raise TypeError(f"normal_ not implemented for {dtype}")
        if n < 16:
            return _cast(self._normal_scalar(n, mean, std), dtype).reshape(shape)
        m, tail = n - n % 16, n % 16 != 0
        if dtype == np.float64:
            fill, u = _normal_fill_16_double, self._uniform53(n)
            extra = self._uniform53(16) if tail else None
        else:
            fill, mean, std = _normal_fill_16_avx2, _F(mean), _F(std)
            # float32 draws every uniform up front; half draws block by block (no n % 16 extra).
            u = self._uniform24(n if dtype == np.float32 else m)
            extra = self._uniform24(16) if tail else None
        out = np.empty(n, dtype=u.dtype)
        out[:m] = _chunked(lambda rows: fill(rows, mean, std), u[:m].reshape(-1, 16), 4096).ravel()
        if tail:
            out[-16:] = fill(extra.reshape(1, 16), mean, std).ravel()
        return out.astype(dtype, copy=False).reshape(shape)

    def normal_tensor(self, mean, std, dtype) -> np.ndarray:
        """``torch.normal(mean, std)`` with tensor mean and/or std (float std: scalar)."""
        dtype = np.dtype(dtype)
        if np.ndim(std) == 0 and not isinstance(std, np.ndarray):
            # normal(Tensor mean, float std): output.normal_(0, std).add_(mean)
            z = self.normal(np.shape(mean), dtype, 0.0, float(std))
            return (z + np.asarray(mean, dtype)).astype(dtype)
        shape = np.broadcast_shapes(np.shape(mean), np.shape(std))
        z = self.normal(shape, dtype, 0.0, 1.0)  # then output.mul_(std).add_(mean)
        return ((z * np.asarray(std, dtype)).astype(dtype) + np.asarray(mean, dtype)).astype(dtype)

    def random_int(self, shape, low, high, dtype) -> np.ndarray:
        """``torch.randint(low, high, shape)`` / ``Tensor.random_(low, high)``: ``v % range + low``."""
        shape, dtype = _size(shape), np.dtype(dtype)
        low, high = int(low), int(high)
        if low >= high:
            raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")
        if dtype.kind == "f":
            # update_from / update_to: shrink bounds that the float type cannot represent.
            low, high = float_bounds(low, high, dtype)
            if low >= high:
                raise RuntimeError(
                    f"random_ expects 'from' casted to dtype to be less than 'to' casted to dtype, but got "
                    f"from={low} >= to={high}"
                )
        rng, n = high - low, math.prod(shape)
        # OSS builds use random64() from 2**28 up ("allow approx 5% skew").
        v = self._random64(n) if rng >= 1 << 28 else self._random(n)
        v = ((v % np.uint64(rng)) + np.uint64(low % (1 << 64))).view(np.int64)
        return (v.astype(np.float32) if dtype == np.float16 else v).astype(dtype).reshape(shape)

    def random_full(self, shape, dtype) -> np.ndarray:
        """``Tensor.random_()`` without bounds: PyTorch's ``uniform_int_distribution<T>``. double and
        int64 take ``random64()``, the rest ``random()``; bool keeps the low bit, floats
        ``v % (2**digits + 1)``, integers ``v % (max + 1)``."""
        shape, dtype = _size(shape), np.dtype(dtype)
        n = math.prod(shape)
        v = self._random64(n) if dtype in (np.float64, np.int64) else self._random(n)
        if dtype == np.bool_:
            return (v & np.uint64(1)).astype(np.bool_).reshape(shape)
        if dtype.kind == "f":
            v = v % np.uint64((1 << {2: 11, 4: 24, 8: 53}[dtype.itemsize]) + 1)
        else:
            v = v % np.uint64(int(np.iinfo(dtype).max) + 1)
        return v.astype(dtype).reshape(shape)

    def randperm(self, n, dtype=np.int64) -> np.ndarray:
        """``torch.randperm(n)``: swap-based Fisher-Yates with ``random() % (n - i)``."""
        n = int(n)
        if n < 0xFFFFFFFF // 20:
            perm = list(range(n))
            if n > 1:
                z = self._random(n - 1) % np.arange(n, 1, -1, dtype=np.uint64)
                for i, k in enumerate(z.tolist()):  # inherently sequential swaps
                    perm[i], perm[i + k] = perm[i + k], perm[i]
            return np.array(perm, dtype=np.int64).astype(dtype)
        # Huge n: torch switches to the "inside-out" shuffle with random64() (slow here).
        perm = np.empty(n, dtype=np.int64)
        for i, k in enumerate((self._random64(n) % np.arange(1, n + 1, dtype=np.uint64)).tolist()):
            perm[i] = perm[k]
            perm[k] = i
        return perm.astype(dtype)

    def bernoulli(self, p, shape=None, dtype=np.float32) -> np.ndarray:
        """``Tensor.bernoulli_(float p)`` (53-bit uniform < p; also what dropout draws) or
        ``torch.bernoulli(p_tensor)`` (float64 p: 53-bit uniform; other p: 24-bit uniform)."""
        dtype = np.dtype(dtype)
        if np.ndim(p) == 0 and not isinstance(p, np.ndarray):
            shape = _size(shape)
            return (self._uniform53(math.prod(shape)) < float(p)).astype(dtype).reshape(shape)
        p = np.asarray(p)
        shape = p.shape if shape is None else _size(shape)
        p = np.broadcast_to(p, shape)
        u = self._uniform53(p.size) if p.dtype == np.float64 else self._uniform24(p.size)
        return (u.reshape(shape) < p.astype(u.dtype)).astype(dtype)

    def exponential(self, shape, dtype, lambd=1.0) -> np.ndarray:
        """``Tensor.exponential_(lambd)``: ``-1/lambd * log1p(-u)`` in double, then cast."""
        shape = _size(shape)
        u = self._uniform53(math.prod(shape))
        return _cast((-1.0 / float(lambd)) * _libm(math.log1p, -u), np.dtype(dtype)).reshape(shape)

    def normal_serial(self, shape, dtype, mean=0.0, std=1.0) -> np.ndarray:
        """``Tensor.normal_`` on a non-contiguous tensor: one ``normal_distribution<double>`` draw
        per element (in memory order), whatever the size, then cast."""
        shape = _size(shape)
        return _cast(self._normal_scalar(math.prod(shape), mean, std), np.dtype(dtype)).reshape(shape)

    def random_full64(self, shape, dtype) -> np.ndarray:
        """``Tensor.random_(-2**63, None)``: ``static_cast<T>(int64_t(random64()))`` (int64, float, double)."""
        shape = _size(shape)
        v = self._random64(math.prod(shape)).view(np.int64)
        return v.astype(np.dtype(dtype)).reshape(shape)

    def geometric(self, shape, dtype, p) -> np.ndarray:
        """``Tensor.geometric_(p)``: ``ceil(log(u) / log1p(-p))`` in double (u: 53-bit uniform), then cast."""
        shape = _size(shape)
        u = self._uniform53(math.prod(shape))
        x = np.ceil(_libm(_c_log, u) / math.log1p(-float(p)))
        return _from_double(x, dtype).reshape(shape)

    def log_normal(self, shape, dtype, mean=1.0, std=2.0) -> np.ndarray:
        """``Tensor.log_normal_(mean, std)``: ``exp`` of a ``normal_distribution<double>`` draw (the
        scalar Box-Muller with its cached sample) per element, then cast."""
        shape = _size(shape)
        z = self._normal_scalar(math.prod(shape), mean, std)
        return _cast(_libm(_c_exp, z), np.dtype(dtype)).reshape(shape)

    def cauchy(self, shape, dtype, median=0.0, sigma=1.0) -> np.ndarray:
        """``Tensor.cauchy_(median, sigma)``: ``median + sigma * tan(pi * (u - 0.5))`` in double, u
        clamped to [eps, 1 - eps] (the sum fused into one rounding, as the compiled kernel does)."""
        shape = _size(shape)
        eps = np.finfo(np.float64).eps
        u = np.clip(self._uniform53(math.prod(shape)), eps, 1 - eps)
        t = _libm(math.tan, math.pi * (u - 0.5))
        return _cast(_fma64(t, float(sigma), float(median)), np.dtype(dtype)).reshape(shape)

    def multinomial(self, probs, num_samples, replacement=False) -> np.ndarray:
        """``torch.multinomial`` for 1-D or 2-D probabilities (int64 indices)."""
        probs = np.asarray(probs)
        rows = np.atleast_2d(probs)
        k = int(num_samples)
        if not replacement or k == 1:
            # Gumbel-style trick: top-k of p / q with q ~ Exp(1) drawn in probs' dtype.
            q = rows / self.exponential(rows.shape, rows.dtype)
            if k == 1:
                out = np.argmax(q, axis=1)[:, None]
            else:  # NB: torch's (unstable) topk may order exact ties differently
                out = np.argsort(-q, axis=1, kind="stable")[:, :k]
        else:
            acc = np.float32 if rows.dtype == np.float16 else rows.dtype
            cum = np.cumsum(rows.astype(acc), axis=1)  # sequential, like torch's loop
            cum = (cum / cum[:, -1:]).astype(acc)
            cum[:, -1] = 1
            u = self._uniform53(rows.shape[0] * k).reshape(-1, k)
            out = np.stack([np.searchsorted(c.astype(np.float64), r, side="left") for c, r in zip(cum, u)])
        out = out.astype(np.int64)
        return out[0] if probs.ndim == 1 else out


default_generator = Generator()
