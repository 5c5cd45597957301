"""Special functions: log-gamma, digamma and polygamma, the Hurwitz zeta function, the inverse
error function, modified Bessel functions of the first kind (plain and scaled), the normal
distribution's CDF and its inverse, the multivariate log-gamma.

The Array API standard has none of these, so each value kernel is a named kernel (``lgamma``,
``digamma`` ...; a backend may register its own) whose default computes in float64 on the host
with NumPy: vectorised series and recurrences, or the C library's ``lgamma``/``erf`` through
``math``. Results are cast back to the input's dtype. Gradients are Tensor ops (digamma for
lgamma, polygamma(n + 1) for polygamma(n) ...), so every function has higher derivatives.

>>> import lanterna as torch
>>> torch.lgamma(torch.tensor([0.5, 1.0, 10.0]))
tensor([ 0.5724,  0.0000, 12.8018])
>>> torch.polygamma(1, torch.tensor([1.0]))   # pi ** 2 / 6
tensor([1.6449])
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

from .. import _dtype as D
from .._tensor import Tensor
from ._apply import Node, apply, output_of
from .kernels import default_kernel, from_host, kernel, to_host

_make = Tensor._make


def _floating(a):
    """Integer and bool inputs compute in the default float dtype, as in PyTorch."""
    if not isinstance(a, Tensor):
        raise TypeError(f"expected a Tensor, got {type(a).__name__}")
    return a if a.dtype.is_floating_point else a.to(D.get_default_dtype())


def _on_host(fn, x, *args):
    """``fn`` applied in float64 on the host to array ``x``; the result in ``x``'s dtype and library."""
    h = np.asarray(to_host(x))
    with np.errstate(all="ignore"):
        r = np.asarray(fn(h.astype(np.float64), *args)).astype(h.dtype, copy=False)
    return r if isinstance(x, np.ndarray) else from_host(np.asarray(r, order="C"), x)


# ---- value kernels (float64 NumPy; the default of each named kernel) ---------------------------
def _lgamma_scalar(v):
    try:
        return math.lgamma(v)
    except (ValueError, OverflowError):  # poles (0, -1, -2 ...) and overflow: +inf, as the C library
        return math.inf


_lgamma_ufunc = np.frompyfunc(_lgamma_scalar, 1, 1)
_erf_ufunc = np.frompyfunc(math.erf, 1, 1)
_erfc_ufunc = np.frompyfunc(math.erfc, 1, 1)


def lgamma_np(x):
    """``log|Gamma(x)|`` (the C library's ``lgamma``, element by element)."""
    return np.asarray(_lgamma_ufunc(x), dtype=np.float64).reshape(np.shape(x))


def _shift_up(x, threshold, step):
    """Raise every element of ``x`` (finite, ``> -inf``) to at least ``threshold`` one unit at a
    time, calling ``step(mask, values)`` with the values before each move; returns the new ``x``."""
    x = x.copy()
    while True:
        m = x < threshold
        if not m.any():
            return x
        step(m, x[m])
        x[m] += 1.0


def digamma_np(x):
    """``psi(x) = d/dx log Gamma(x)``: the reflection formula for ``x < 0``, the recurrence
    ``psi(x) = psi(x + 1) - 1/x`` up to ``x >= 10``, then the asymptotic series. PyTorch's values
    at the poles: ``-inf`` at +0, ``+inf`` at -0, NaN at negative integers and at ``-inf``."""
    x = np.asarray(x, dtype=np.float64)
    out = np.full(x.shape, np.nan)
    finite = np.isfinite(x)
    neg = finite & (x < 0)
    r = np.zeros(x.shape)
    r[neg] = x[neg] - np.round(x[neg])  # x - nearest integer: exact, so tan(pi r) is accurate
    pole = neg & (r == 0)
    ok = finite & ~pole & (x != 0)
    y = np.where(neg, 1.0 - x, x)[ok]
    acc = np.zeros(y.shape)

    def step(m, v):
        acc[m] -= 1.0 / v

    y = _shift_up(y, 10.0, step)
    inv2 = 1.0 / (y * y)
    series = inv2 * (1 / 12 - inv2 * (1 / 120 - inv2 * (1 / 252 - inv2 * (1 / 240 - inv2 * (
        1 / 132 - inv2 * (691 / 32760 - inv2 / 12))))))
    val = acc + np.log(y) - 0.5 / y - series
    refl = np.zeros(x.shape)
    refl[neg] = -math.pi / np.tan(math.pi * r[neg])
    out[ok] = val + refl[ok]
    zero = x == 0
    out[zero] = np.where(np.signbit(x[zero]), math.inf, -math.inf)
    out[x == math.inf] = math.inf
    return out


# Bernoulli numbers B_2 ... B_24 divided by (2j)!, for the Euler-Maclaurin tail of the zeta sum
_B2J = [Fraction(1, 6), Fraction(-1, 30), Fraction(1, 42), Fraction(-1, 30), Fraction(5, 66),
        Fraction(-691, 2730), Fraction(7, 6), Fraction(-3617, 510), Fraction(43867, 798),
        Fraction(-174611, 330), Fraction(854513, 138), Fraction(-236364091, 2730)]
_B2J_OVER_FACT = [float(b / math.factorial(2 * j)) for j, b in enumerate(_B2J, 1)]
_MAX_SHIFT = 1 << 20  # further below zero than this, a non-integer q needs too many terms: NaN


def zeta_np(s, q):
    """Hurwitz zeta ``sum_k (q + k) ** -s`` for ``s > 1`` (arrays, broadcast), by the direct sum
    up to ``q + k >= s + 10`` and the Euler-Maclaurin tail. At ``q`` a non-positive integer the
    sum diverges: ``+inf``; ``s == 1``: ``+inf``; ``s < 1``: NaN (as Cephes, hence PyTorch)."""
    s, q = np.broadcast_arrays(np.asarray(s, dtype=np.float64), np.asarray(q, dtype=np.float64))
    s, q = s.copy(), q.copy()
    out = np.full(s.shape, np.nan)
    pole = (q <= 0) & (q == np.floor(q))
    out[s == 1] = math.inf
    out[pole & (s > 1)] = math.inf
    # a negative non-integer q is defined only for integer s (q ** -s)
    ok = (s > 1) & ~pole & np.isfinite(q) & ~np.isnan(s) & ((q > 0) | (s == np.floor(s))) & (q > -_MAX_SHIFT)
    out[(s > 1) & (q == math.inf)] = 0.0
    ss, a = s[ok], q[ok]
    acc = np.zeros(a.shape)
    thr = ss + 10.0

    def step(m, v):
        acc[m] += v ** -ss[m]

    a = a.copy()
    while True:
        m = a < thr
        if not m.any():
            break
        step(m, a[m])
        a[m] += 1.0
    tail = a ** (1.0 - ss) / (ss - 1.0) + 0.5 * a ** -ss
    fac = ss * a ** (-ss - 1.0)
    for j, c in enumerate(_B2J_OVER_FACT, 1):
        if j > 1:
            fac = fac * (ss + 2 * j - 3) * (ss + 2 * j - 2) / (a * a)
        tail = tail + c * fac
    out[ok] = acc + tail
    return out


def _trigamma_np(x):
    """``psi'(x)``: reflection below 1/2 (PyTorch's: huge, finite values at negative integers)."""
    x = np.asarray(x, dtype=np.float64)
    low = x < 0.5
    out = np.where(low, 0.0, 0.0)
    with np.errstate(all="ignore"):
        s = np.sin(math.pi * x[low])
        out[low] = math.pi ** 2 / (s * s)
        y = np.where(low, 1.0 - x, x)
        z = zeta_np(2.0, y)
    return np.where(low, out - z, z)


def polygamma_np(x, n):
    """``psi^(n)(x) = (-1) ** (n + 1) n! zeta(n + 1, x)`` (``n >= 1``); digamma for ``n == 0``."""
    if n == 0:
        return digamma_np(x)
    if n == 1:
        return _trigamma_np(x)
    x = np.asarray(x, dtype=np.float64)
    r = (-1.0) ** (n + 1) * math.factorial(n) * zeta_np(float(n + 1), x)
    r[x == math.inf] = math.nan  # as PyTorch (Cephes' zeta at q = inf)
    return r


def erfinv_np(y):
    """Inverse error function: a closed-form first guess (Winitzki's), then Halley steps on
    ``erf(x) = y`` (on ``erfc(x) = 1 - |y|`` near the ends, where that keeps full precision)."""
    y = np.asarray(y, dtype=np.float64)
    out = np.full(y.shape, np.nan)
    ay = np.abs(y)
    inside = ay < 1
    out[ay == 1] = np.copysign(math.inf, y[ay == 1])
    t = ay[inside]
    a = 0.147
    ln = np.log1p(-t * t)
    b = 2 / (math.pi * a) + ln / 2
    x = np.sqrt(np.sqrt(b * b - ln / a) - b)
    tail = t > 0.5
    one_minus = 1.0 - t  # exact for t in [0.5, 1]
    for _ in range(3):
        e = np.asarray(_erf_ufunc(x), dtype=np.float64) - t
        if tail.any():
            e[tail] = one_minus[tail] - np.asarray(_erfc_ufunc(x[tail]), dtype=np.float64)
        d = 2 / math.sqrt(math.pi) * np.exp(-x * x)
        u = e / d
        x = x - u / (1 + x * u)
    x[t == 0] = 0.0
    out[inside] = np.copysign(x, y[inside])
    return out


def bessel_i_np(x, nu, scaled):
    """Modified Bessel function of the first kind ``I_nu(x)`` for ``nu`` 0 or 1 (times
    ``exp(-|x|)`` if ``scaled``): the power series (positive terms: no cancellation) up to
    ``|x| = 20``, the asymptotic expansion beyond. PyTorch's values at infinity: NaN unscaled,
    (signed) zero scaled."""
    x = np.asarray(x, dtype=np.float64)
    ax = np.abs(x)
    out = np.full(x.shape, np.nan)
    small = ax <= 20
    xs = ax[small]
    h = 0.25 * xs * xs
    term = np.ones(xs.shape) if nu == 0 else 0.5 * xs
    total = term.copy()
    k = 0
    while True:
        k += 1
        term = term * h / (k * (k + nu))
        total = total + term
        if not (term > 1e-17 * total).any() or k > 200:
            break
    out[small] = total * np.exp(-xs) if scaled else total
    big = np.isfinite(ax) & ~small
    xb = ax[big]
    mu = 4.0 * nu * nu
    t = np.ones(xb.shape)
    s = np.ones(xb.shape)
    for k in range(1, 60):
        t = -t * (mu - (2 * k - 1) ** 2) / (8.0 * k * xb)
        s = s + t
    val = s / np.sqrt(2 * math.pi * xb)
    out[big] = val if scaled else val * np.exp(xb)
    if scaled:
        out[np.isinf(x)] = 0.0
    if nu == 1:
        out = np.copysign(out, x)
    return out


@default_kernel
def lgamma_kernel(x):
    return _on_host(lgamma_np, x)


@default_kernel
def digamma_kernel(x):
    return _on_host(digamma_np, x)


@default_kernel
def polygamma_kernel(x, n):
    return _on_host(polygamma_np, x, n)


@default_kernel
def erfinv_kernel(x):
    return _on_host(erfinv_np, x)


@default_kernel
def bessel_i_kernel(x, nu, scaled):
    return _on_host(bessel_i_np, x, nu, scaled)


@default_kernel
def hurwitz_zeta_kernel(s, q):
    hs, hq = np.asarray(to_host(s)), np.asarray(to_host(q))
    with np.errstate(all="ignore"):
        r = zeta_np(hs, hq).astype(hs.dtype)
    return r if isinstance(s, np.ndarray) else from_host(np.asarray(r, order="C"), s)


# ---- ops ---------------------------------------------------------------------------------------
class LgammaBackward0(Node):
    def forward(self, a):
        self.save(a)
        return kernel(a._backend, "lgamma_kernel")(a._data)

    def backward(self, grad):
        return grad * digamma(self.saved[0])


class DigammaBackward0(Node):
    def forward(self, a):
        self.save(a)
        return kernel(a._backend, "digamma_kernel")(a._data)

    def backward(self, grad):
        return grad * polygamma(1, self.saved[0])


class PolygammaBackward0(Node):
    def forward(self, a):
        self.save(a)
        return kernel(a._backend, "polygamma_kernel")(a._data, self.n)

    def backward(self, grad):
        return grad * polygamma(self.n + 1, self.saved[0])


class ErfinvBackward0(Node):
    def forward(self, a):
        self.out = kernel(a._backend, "erfinv_kernel")(a._data)
        return self.out

    def backward(self, grad):
        r = output_of(self, self.out, grad)
        return grad * (math.sqrt(math.pi) / 2) * (r * r).exp()


class I0Backward0(Node):
    def forward(self, a):
        self.save(a)
        return kernel(a._backend, "bessel_i_kernel")(a._data, 0, False)

    def backward(self, grad):
        return grad * i1(self.saved[0])


class SpecialI0EBackward0(Node):
    def forward(self, a):
        self.save(a)
        self.out = kernel(a._backend, "bessel_i_kernel")(a._data, 0, True)
        return self.out

    def backward(self, grad):
        (a,) = self.saved
        return grad * (i1e(a) - a.sgn() * output_of(self, self.out, grad))


def _over_x(r, a):
    """``r / a`` with 1/2 where ``a == 0`` (the limit of I1(x)/x), safe for double backward."""
    zero = a == 0
    return (r / a.masked_fill(zero, 1.0)).masked_fill(zero, 0.5)


class SpecialI1Backward0(Node):
    def forward(self, a):
        self.save(a)
        self.out = kernel(a._backend, "bessel_i_kernel")(a._data, 1, False)
        return self.out

    def backward(self, grad):
        (a,) = self.saved
        return grad * (i0(a) - _over_x(output_of(self, self.out, grad), a))


class SpecialI1EBackward0(Node):
    def forward(self, a):
        self.save(a)
        self.out = kernel(a._backend, "bessel_i_kernel")(a._data, 1, True)
        return self.out

    def backward(self, grad):
        (a,) = self.saved
        out = output_of(self, self.out, grad)
        return grad * (i0e(a) - a.sgn() * out - _over_x(out, a))


class MvlgammaBackward0(Node):
    def forward(self, a):
        self.save(a)
        lg = kernel(a._backend, "lgamma_kernel")
        x = a._data
        total = lg(x)
        for i in range(1, self.p):
            total = total + lg(x - 0.5 * i)
        return total + a._backend.xp.asarray(self.p * (self.p - 1) / 4 * math.log(math.pi), dtype=x.dtype)

    def backward(self, grad):
        (a,) = self.saved
        d = digamma(a)
        for i in range(1, self.p):
            d = d + digamma(a - 0.5 * i)
        return grad * d


def lgamma(input):
    """``log|Gamma(input)|`` (``inf`` at the poles 0, -1, -2 ...)."""
    return apply(LgammaBackward0, _floating(input))


def digamma(input):
    """``d/dx log Gamma(x)`` (``-inf`` at 0, NaN at negative integers, as PyTorch)."""
    return apply(DigammaBackward0, _floating(input))


def polygamma(n, input):
    """The ``n``-th derivative of digamma (``n >= 0``)."""
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"polygamma(): argument 'n' (position 1) must be int, not {type(n).__name__}")
    if n < 0:
        raise RuntimeError("polygamma(n, x) does not support negative n.")
    return apply(PolygammaBackward0, _floating(input), n=n)


def _polygamma_method(self, n):
    """``Tensor.polygamma(n)`` is ``torch.polygamma(n, self)``."""
    return polygamma(n, self)


def erfinv(input):
    """Inverse error function (``±inf`` at ``±1``, NaN outside ``[-1, 1]``)."""
    return apply(ErfinvBackward0, _floating(input))


def i0(input):
    """Modified Bessel function of the first kind, order 0."""
    return apply(I0Backward0, _floating(input))


def i0e(input):
    """``exp(-|x|) * i0(x)``."""
    return apply(SpecialI0EBackward0, _floating(input))


def i1(input):
    """Modified Bessel function of the first kind, order 1."""
    return apply(SpecialI1Backward0, _floating(input))


def i1e(input):
    """``exp(-|x|) * i1(x)``."""
    return apply(SpecialI1EBackward0, _floating(input))


def mvlgamma(input, p):
    """Multivariate log-gamma of dimension ``p``:
    ``p(p-1)/4 log(pi) + sum_{i<p} lgamma(input - i/2)``."""
    if isinstance(p, bool) or not isinstance(p, int):
        raise TypeError(f"mvlgamma(): argument 'p' (position 2) must be int, not {type(p).__name__}")
    if p < 1:
        raise RuntimeError("p has to be greater than or equal to 1")
    return apply(MvlgammaBackward0, _floating(input), p=p)


multigammaln = mvlgamma


class SpecialZetaBackward0(Node):
    def forward(self, s, q):
        self.save(s, q)
        return kernel(s._backend, "hurwitz_zeta_kernel")(s._data, q._data)

    def backward(self, grad):
        s, q = self.saved
        if self.next_functions[0][0] is not None:
            raise RuntimeError("the derivative for 'self' is not implemented.")
        return None, grad * -s * zeta(s + 1, q)


def zeta(input, other):
    """Hurwitz zeta ``sum_k (other + k) ** -input`` (differentiable in ``other`` only, as PyTorch)."""
    from .pointwise import apply_broadcast, promote

    if not isinstance(input, Tensor) and not isinstance(other, Tensor):
        raise TypeError("zeta(): expected at least one Tensor argument")
    s, q = promote(input, other)
    if not s.dtype.is_floating_point:
        s, q = s.to(D.get_default_dtype()), q.to(D.get_default_dtype())
    return apply_broadcast(SpecialZetaBackward0, s, q)


# ---- the normal distribution ---------------------------------------------------------------------
def ndtr(input):
    """The standard normal CDF, ``erfc(-x / sqrt(2)) / 2``."""
    x = _floating(input)
    return _renamed((x * (-1 / math.sqrt(2))).erfc() * 0.5, "MulBackward1")


def ndtri_np(p):
    """The inverse of the normal CDF: Newton steps on ``log(erfc(t)) = log(2 min(p, 1 - p))`` (the
    log keeps full relative precision far into the tails), from an ``erfinv`` or asymptotic guess."""
    p = np.asarray(p, dtype=np.float64)
    out = np.full(p.shape, np.nan)
    out[p == 0] = -math.inf
    out[p == 1] = math.inf
    inside = (p > 0) & (p < 1)
    q = p[inside]
    lower = q < 0.5
    z = np.where(lower, 2 * q, 2 * (1 - q))  # erfc(t) = z, t >= 0 (1 - q is exact for q >= 1/2)
    t = np.where(z > 1e-8, erfinv_np(np.minimum(1 - z, 1 - 1e-16)), np.sqrt(-np.log(np.maximum(z, 1e-300))))
    t = np.maximum(t, 0.0)
    logz = np.log(z)
    for _ in range(8):
        ex = _erfcx_np(t)  # exp(t^2) erfc(t): log erfc(t) = log(ex) - t^2, no underflow
        h = np.log(ex) - t * t - logz
        dh = -2 / math.sqrt(math.pi) / ex
        t = np.maximum(t - h / dh, 0.0)
    out[inside] = np.where(lower, -math.sqrt(2) * t, math.sqrt(2) * t)
    return out


@default_kernel
def ndtri_kernel(x):
    return _on_host(ndtri_np, x)


class SpecialNdtriBackward0(Node):
    def forward(self, a):
        self.out = kernel(a._backend, "ndtri_kernel")(a._data)
        return self.out

    def backward(self, grad):
        r = output_of(self, self.out, grad)
        return grad * math.sqrt(2 * math.pi) * (r * r * 0.5).exp()


def ndtri(input):
    """The inverse of :func:`ndtr` (the standard normal quantile function)."""
    return apply(SpecialNdtriBackward0, _floating(input))


def _renamed(t, name):
    """``t`` with its grad_fn reporting PyTorch's node name (composite ops)."""
    if t.grad_fn is not None:
        t.grad_fn.name = lambda: name
    return t


def log_ndtr(input):
    """``log(ndtr(x))``, accurate for very negative ``x`` (through ``erfc``'s asymptotics)."""
    x = _floating(input)
    t = x * (-1 / math.sqrt(2))
    # log(erfc(t) / 2); for large t, erfc(t) underflows: use erfcx(t) = exp(t^2) erfc(t)
    big = t > 5
    safe_t = t.masked_fill(~big, 6.0)
    asym = -(safe_t * safe_t) + (erfcx(safe_t) * 0.5).log()
    direct = (t.masked_fill(big, 0.0).erfc() * 0.5).log()
    return _renamed(direct.masked_fill(big, 0.0) + asym.masked_fill(~big, 0.0), "SpecialLogNdtrBackward0")


def erfcx(input):
    """The scaled complementary error function ``exp(x^2) erfc(x)``."""
    x = _floating(input)
    return apply(SpecialErfcxBackward0, x)


def _erfcx_np(x):
    x = np.asarray(x, dtype=np.float64)
    out = np.empty(x.shape)
    small = x < 25
    with np.errstate(all="ignore"):
        out[small] = np.exp(x[small] ** 2) * np.asarray(_erfc_ufunc(x[small]), dtype=np.float64)
    xb = x[~small]
    # asymptotic: 1/(x sqrt(pi)) * sum_k (-1)^k (2k-1)!! / (2x^2)^k
    t = np.ones(xb.shape)
    s = np.ones(xb.shape)
    for k in range(1, 20):
        t = -t * (2 * k - 1) / (2 * xb * xb)
        s = s + t
    out[~small] = s / (xb * math.sqrt(math.pi))
    out[x == math.inf] = 0.0
    return out


@default_kernel
def erfcx_kernel(x):
    return _on_host(_erfcx_np, x)


class SpecialErfcxBackward0(Node):
    def forward(self, a):
        self.save(a)
        self.out = kernel(a._backend, "erfcx_kernel")(a._data)
        return self.out

    def backward(self, grad):
        (a,) = self.saved
        return grad * (2 * a * output_of(self, self.out, grad) - 2 / math.sqrt(math.pi))


class SpecialEntrBackward0(Node):
    def forward(self, a):
        self.save(a)
        xp = a._backend.xp
        x = a._data
        pos = x > 0
        safe = xp.where(pos, x, xp.ones_like(x))
        r = xp.where(pos, -safe * xp.log(safe), xp.zeros_like(x))
        r = xp.where(x < 0, xp.full_like(x, -math.inf), r)
        return xp.where(xp.isnan(x), x, r)

    def backward(self, grad):
        return grad * -(1 + self.saved[0].log())


def entr(input):
    """``-x log(x)`` for ``x > 0``, 0 at 0, ``-inf`` below 0."""
    return apply(SpecialEntrBackward0, _floating(input))


class SpecialXlog1PyBackward0(Node):
    def forward(self, a, b):
        self.save(a, b)
        xp = a._backend.xp
        x, y = a._data, b._data
        with np.errstate(all="ignore"):
            r = x * xp.log1p(y)
        return xp.where((x == 0) & ~xp.isnan(y), xp.zeros((), dtype=r.dtype), r)

    def backward(self, grad):
        a, b = self.saved
        # d/dx is log1p(y) even at x == 0, except where y <= -1 makes it 0, as PyTorch:
        # xlog1py(grad, y).masked_fill((x == 0) & (y <= -1), 0)
        return xlog1py(grad, b).masked_fill((a == 0) & (b <= -1), 0), grad * a / (b + 1)


def xlog1py(input, other):
    """``input * log1p(other)``, 0 where ``input`` is 0 (unless ``other`` is NaN)."""
    from .pointwise import apply_broadcast, promote

    a, b = promote(input, other)
    if not a.dtype.is_floating_point:
        a, b = a.to(D.get_default_dtype()), b.to(D.get_default_dtype())
    return apply_broadcast(SpecialXlog1PyBackward0, a, b)


# ---- regularized incomplete gamma functions ------------------------------------------------------
def _igamma_series(a, x):
    """``P(a, x)`` by its power series (converges fast for ``x < a + 1``)."""
    term = 1.0 / a
    total = term.copy()
    n = a.copy()
    for _ in range(2000):
        n = n + 1
        term = term * x / n
        total = total + term
        if np.all(np.abs(term) <= np.abs(total) * 1e-17):
            break
    return total * np.exp(-x + a * np.log(x) - lgamma_np(a))


def _igammac_fraction(a, x):
    """``Q(a, x)`` by its continued fraction (modified Lentz; converges fast for ``x >= a + 1``)."""
    tiny = 1e-300
    b = x + 1.0 - a
    c = np.full(x.shape, 1.0 / tiny)
    d = 1.0 / b
    h = d.copy()
    for i in range(1, 2000):
        an = -i * (i - a)
        b = b + 2.0
        d = an * d + b
        d = np.where(np.abs(d) < tiny, tiny, d)
        c = b + an / c
        c = np.where(np.abs(c) < tiny, tiny, c)
        d = 1.0 / d
        delta = d * c
        h = h * delta
        if np.all(np.abs(delta - 1.0) <= 1e-16):
            break
    return np.exp(-x + a * np.log(x) - lgamma_np(a)) * h


def igamma_np(a, x, upper=False):
    """The regularized lower (``upper=False``: ``P``) or upper (``Q = 1 - P``) incomplete gamma
    function, with PyTorch's values at the edges (NaN for negative arguments, ``a == 0`` ...)."""
    a, x = np.broadcast_arrays(np.asarray(a, np.float64), np.asarray(x, np.float64))
    out = np.full(a.shape, np.nan)
    inner = (a > 0) & (x > 0) & np.isfinite(a) & np.isfinite(x)
    ai, xi = a[inner], x[inner]
    use_series = xi < ai + 1
    p = np.empty(ai.shape)
    if use_series.any():
        p[use_series] = _igamma_series(ai[use_series], xi[use_series])
    if (~use_series).any():
        p[~use_series] = 1.0 - _igammac_fraction(ai[~use_series], xi[~use_series])
    q = np.empty(ai.shape)
    if use_series.any():
        q[use_series] = 1.0 - p[use_series]
    if (~use_series).any():
        q[~use_series] = _igammac_fraction(ai[~use_series], xi[~use_series])
    out[inner] = q if upper else p
    lower_edge = np.select([(a >= 0) & (x == 0) & (a > 0), (a == 0) & (x > 0), (x == np.inf) & (a >= 0) & (a < np.inf),
                            (a == np.inf) & (x >= 0) & (x < np.inf)], [0.0, 1.0, 1.0, 0.0], np.nan)
    edge = ~inner
    out[edge] = (1.0 - lower_edge[edge]) if upper else lower_edge[edge]
    return out


@default_kernel
def igamma_kernel(a, x, upper):
    ha, hx = np.asarray(to_host(a)), np.asarray(to_host(x))
    with np.errstate(all="ignore"):
        r = igamma_np(ha, hx, upper).astype(ha.dtype)
    return r if isinstance(a, np.ndarray) else from_host(np.asarray(r, order="C"), a)


class IgammaBackward0(Node):
    def forward(self, a, x):
        self.save(a, x)
        return kernel(a._backend, "igamma_kernel")(a._data, x._data, self.upper)

    def backward(self, grad):
        a, x = self.saved
        if self.next_functions[0][0] is not None:
            raise RuntimeError(f"the derivative for '{'igammac' if self.upper else 'igamma'}: input' is not "
                               "implemented.")
        d = (-x + (a - 1) * x.log() - lgamma(a)).exp()  # the Gamma(a, 1) density
        return None, grad * (-d if self.upper else d)


def _igamma(input, other, upper):
    from .pointwise import apply_broadcast, promote

    if not isinstance(input, Tensor) and not isinstance(other, Tensor):
        raise TypeError(f"{'igammac' if upper else 'igamma'}(): expected at least one Tensor argument")
    a, x = promote(input, other)
    if not a.dtype.is_floating_point:
        a, x = a.to(D.get_default_dtype()), x.to(D.get_default_dtype())
    return apply_broadcast(IgammaBackward0, a, x, upper=upper)


def igamma(input, other):
    """The regularized lower incomplete gamma function ``P(input, other)`` (``special.gammainc``);
    differentiable in ``other`` only, as PyTorch."""
    return _igamma(input, other, False)


def igammac(input, other):
    """The regularized upper incomplete gamma function ``Q = 1 - P`` (``special.gammaincc``)."""
    return _igamma(input, other, True)
