"""Samplers PyTorch implements as dedicated C++ kernels (Gamma, Dirichlet, Binomial), with
PyTorch's reparameterized gradients.

The draws follow the right distribution and are reproducible under ``manual_seed`` (a NumPy
generator seeded from Lanterna's stream), but they are not PyTorch's numbers: PyTorch's kernels
are rejection samplers whose consumption of the stream is data dependent. The gradients of
``rsample`` are PyTorch's implicit-reparameterization formulas (``_standard_gamma_grad`` and
``_dirichlet_grad``: the same series and rational approximations, computed in float64).
"""

from __future__ import annotations

import math

import numpy as np

import lanterna

from ..autograd.function import Function
from ..ops.specfun import digamma_np


def numpy_rng(device):
    """A NumPy generator seeded from the default generator of ``device`` (one 31-bit draw)."""
    from ..ops.creation import _gen_and_place

    gen, _ = _gen_and_place(None, device)
    return np.random.default_rng(int(gen.random_int((), 0, 2**31 - 1, np.int64)))


def _host64(t):
    return np.asarray(t.detach().numpy(), dtype=np.float64)


def _like(arr, t):
    return lanterna.tensor(np.array(arr, order="C"), dtype=t.dtype, device=t.device)


# ---- reparameterized gradients (ports of PyTorch's formulas, vectorised) -------------------------
_GAMMA_UV = np.array([
    [0.16009398, -0.094634809, 0.025146376, -0.0030648343, 1, 0.32668115, 0.10406089, 0.0014179084],
    [0.53487893, 0.1298071, 0.065735949, -0.0015649758, 0.16639465, 0.020070113, -0.0035938915, -0.00058392623],
    [0.040121004, -0.0065914022, -0.0026286047, -0.0013441777, 0.017050642, -0.0021309326, 0.00085092367,
     -1.5247877e-07],
])


def standard_gamma_grad_np(alpha, x):
    """``d x / d alpha`` for ``x ~ Gamma(alpha, 1)``: ``-(d cdf / d alpha) / pdf`` at ``x``."""
    alpha, x = np.broadcast_arrays(np.asarray(alpha, np.float64), np.asarray(x, np.float64))
    with np.errstate(all="ignore"):
        # Taylor series of the incomplete gamma function, for small x.
        numer, denom = np.ones_like(x), alpha.copy()
        series1, series2 = numer / denom, numer / (denom * denom)
        for i in range(1, 6):
            numer = numer * (-x / i)
            denom = denom + 1
            series1 = series1 + numer / denom
            series2 = series2 + numer / (denom * denom)
        pow_x_alpha = x**alpha
        pdf = x ** (alpha - 1) * np.exp(-x)
        cdf_alpha = (np.log(x) - digamma_np(alpha)) * pow_x_alpha * series1 - pow_x_alpha * series2
        small = -cdf_alpha / pdf
        small = np.where(np.isnan(small), 0.0, small)
        # Rice saddle-point expansion, for large alpha (a polynomial near the mode).
        near = (1 + 24 * alpha * (1 + 12 * alpha)) * (
            1440 * alpha * alpha + 6 * x * (53 - 120 * x) - 65 * x * x / alpha + alpha * (107 + 3600 * x)
        ) / (1244160 * alpha**4)
        sq = np.sqrt(8 * alpha)
        term2 = sq / (alpha - x)
        term3 = (x - alpha - alpha * np.log(x / alpha)) ** -1.5
        term23 = np.where(x < alpha, term2 - term3, term2 + term3)
        term1 = np.log(x / alpha) * term23 - np.sqrt(2 / alpha) * (alpha + x) / ((alpha - x) * (alpha - x))
        stirling = 1 + 1 / (12 * alpha) * (1 + 1 / (24 * alpha))
        saddle = np.where((0.9 * alpha <= x) & (x <= 1.1 * alpha), near, -stirling * x * term1 / sq)
        # A bivariate rational approximation elsewhere.
        u, v = np.log(x / alpha), np.log(alpha)
        c = [_GAMMA_UV[0, i] + u * (_GAMMA_UV[1, i] + u * _GAMMA_UV[2, i]) for i in range(8)]
        p = c[0] + v * (c[1] + v * (c[2] + v * c[3]))
        q = c[4] + v * (c[5] + v * (c[6] + v * c[7]))
        rational = np.exp(p / q)
    return np.where(x < 0.8, small, np.where(alpha > 8.0, saddle, rational))


_DIRICHLET_C = np.array([
    [[[1.003668233, -0.01061107488, -0.0657888334, 0.01201642863],
      [0.6336835991, -0.3557432599, 0.05486251648, -0.001465281033],
      [-0.03276231906, 0.004474107445, 0.002429354597, -0.0001557569013]],
     [[0.221950385, -0.3187676331, 0.01799915743, 0.01074823814],
      [-0.2951249643, 0.06219954479, 0.01535556598, 0.001550077057],
      [0.02155310298, 0.004170831599, 0.001292462449, 6.976601077e-05]],
     [[-0.05980841433, 0.008441916499, 0.01085618172, 0.002319392565],
      [0.02911413504, 0.01400243777, -0.002721828457, 0.000751041181],
      [0.005900514878, -0.001936558688, -9.495446725e-06, 5.385558597e-05]]],
    [[[1, -0.02924021934, -0.04438342661, 0.007285809825],
      [0.6357567472, -0.3473456711, 0.05454656494, -0.002407477521],
      [-0.03301322327, 0.004845219414, 0.00231480583, -0.0002307248149]],
     [[0.5925320577, -0.1757678135, 0.01505928619, 0.000564515273],
      [0.1014815858, -0.06589186703, 0.01272886114, -0.0007316646956],
      [-0.007258481865, 0.001096195486, 0.0003934994223, -4.12701925e-05]],
     [[0.06469649321, -0.0236701437, 0.002902096474, -5.896963079e-05],
      [0.001925008108, -0.002869809258, 0.0008000589141, -6.063713228e-05],
      [-0.0003477407336, 6.959756487e-05, 1.097287507e-05, -1.650964693e-06]]],
])


def _beta_grad_alpha_small(x, alpha, beta):
    """Taylor expansion near x = 0 of the Beta gradient with respect to alpha."""
    factor = digamma_np(alpha) - digamma_np(alpha + beta) - np.log(x)
    numer = np.ones_like(x)
    series = numer / alpha * (factor + 1 / alpha)
    for i in range(1, 11):
        numer = numer * (i - beta) * x / i
        denom = alpha + i
        series = series + numer / denom * (factor + 1 / denom)
    result = x * (1 - x) ** -beta * series
    return np.where(np.isnan(result), 0.0, result)


def _beta_grad_beta_small(x, alpha, beta):
    """Taylor expansion near x = 0 of the Beta gradient with respect to beta."""
    factor = digamma_np(alpha + beta) - digamma_np(beta)
    numer, betas, dbetas = np.ones_like(x), np.ones_like(x), np.zeros_like(x)
    series = factor / alpha
    for i in range(1, 9):
        numer = numer * (-x / i)
        dbetas = dbetas * (beta - i) + betas
        betas = betas * (beta - i)
        series = series + numer / (alpha + i) * (dbetas + factor * betas)
    result = -((1 - x) ** (1 - beta)) * series
    return np.where(np.isnan(result), 0.0, result)


def _beta_grad_alpha_mid(x, alpha, beta):
    """Rice saddle-point expansion for large alpha and beta."""
    total = alpha + beta
    mean = alpha / total
    std = np.sqrt(alpha * beta / (total + 1)) / total
    b2 = beta * beta
    poly = 47 * x * b2 * b2 + alpha * (
        (43 + 20 * (16 + 27 * beta) * x) * b2 * beta + alpha * (
            3 * (59 + 180 * beta - 90 * x) * b2 + alpha * (
                (453 + 1620 * beta * (1 - x) - 455 * x) * beta + alpha * (8 * (1 - x) * (135 * beta - 11)))))
    prefactor_num = (1 + 12 * alpha) * (1 + 12 * beta) / (total * total)
    prefactor_den = 12960 * alpha**3 * b2 * (1 + 12 * total)
    near = prefactor_num / (1 - x) * poly / prefactor_den
    prefactor = -x / np.sqrt(2 * alpha * beta / total)
    stirling = ((1 + 1 / (12 * alpha) + 1 / (288 * alpha * alpha)) * (1 + 1 / (12 * beta) + 1 / (288 * b2))
                / (1 + 1 / (12 * total) + 1 / (288 * total * total)))
    axbx = alpha * (x - 1) + beta * x
    term1 = ((2 * alpha * alpha * (x - 1) + alpha * beta * (x - 1) - x * b2)
             / (np.sqrt(2 * alpha / beta) * total**1.5 * axbx * axbx))
    term2 = 0.5 * np.log(alpha / (total * x))
    term3 = np.sqrt(8 * alpha * beta / total) / (beta * x + alpha * (x - 1))
    term4 = (beta * np.log(beta / (total * (1 - x))) + alpha * np.log(alpha / (total * x))) ** -1.5
    far = stirling * prefactor * (term1 + term2 * (term3 + np.where(x < mean, term4, -term4)))
    return np.where((mean - 0.1 * std <= x) & (x <= mean + 0.1 * std), near, far)


def dirichlet_grad_np(x, alpha, total):
    """``d x / d alpha`` for ``x ~ Beta(alpha, total - alpha)``, scaled by ``1 / (1 - x)``: what a
    Dirichlet component's reparameterized gradient is built from."""
    x, alpha, total = np.broadcast_arrays(*(np.asarray(v, np.float64) for v in (x, alpha, total)))
    beta = total - alpha
    boundary = total * x * (1 - x)
    with np.errstate(all="ignore"):
        near0 = _beta_grad_alpha_small(x, alpha, beta)
        near1 = -_beta_grad_beta_small(1 - x, beta, alpha)
        mid = _beta_grad_alpha_mid(x, alpha, beta)
        u = np.log(x)
        a = np.log(alpha) - u
        b = np.log(total) - a
        pow_u, pow_a = (1, u, u * u), (1, a, a * a)
        p = q = 0.0
        for i in range(3):
            for j in range(3):
                ua = pow_u[i] * pow_a[j]
                cp, cq = _DIRICHLET_C[0, i, j], _DIRICHLET_C[1, i, j]
                p = p + ua * (cp[0] + b * (cp[1] + b * (cp[2] + b * cp[3])))
                q = q + ua * (cq[0] + b * (cq[1] + b * (cq[2] + b * cq[3])))
        rational = p / q * (x * (digamma_np(total) - digamma_np(alpha)) / beta)
    return np.select([(x <= 0.5) & (boundary < 2.5), (x >= 0.5) & (boundary < 0.75), (alpha > 6) & (beta > 6)],
                     [near0, near1, mid], rational)


# ---- samplers ------------------------------------------------------------------------------------
class _StandardGamma(Function):
    """``torch._standard_gamma``: Gamma(alpha, 1) draws, differentiable in ``alpha``."""

    @staticmethod
    def forward(ctx, alpha):
        a = _host64(alpha)
        draws = np.asarray(numpy_rng(alpha.device).standard_gamma(np.where(a > 0, a, 1.0)))
        tiny = np.finfo(alpha.dtype.np).tiny
        x = np.where(a > 0, np.maximum(draws.astype(alpha.dtype.np), tiny), np.where(a == 0, 0.0, np.nan))
        out = _like(x, alpha)
        ctx.save_for_backward(alpha, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        alpha, x = ctx.saved_tensors
        return grad * _like(standard_gamma_grad_np(_host64(alpha), _host64(x)), alpha)


def standard_gamma(alpha):
    return _StandardGamma.apply(alpha)


class _SampleDirichlet(Function):
    """``torch._sample_dirichlet``: normalised Gamma draws, clamped into ``[tiny, 1)`` as PyTorch
    does; the backward is PyTorch's ``_Dirichlet`` rule."""

    @staticmethod
    def forward(ctx, concentration):
        a = _host64(concentration)
        gammas = np.maximum(np.asarray(numpy_rng(concentration.device).standard_gamma(a)), np.finfo(np.float64).tiny)
        dt = concentration.dtype.np
        x = (gammas / gammas.sum(-1, keepdims=True)).astype(dt)
        x = np.minimum(np.nextafter(dt.type(1), dt.type(0)), np.maximum(np.finfo(dt).tiny, x))
        out = _like(x, concentration)
        ctx.save_for_backward(out, concentration)
        return out

    @staticmethod
    def backward(ctx, grad):
        x, concentration = ctx.saved_tensors
        a = _host64(concentration)
        g = _like(dirichlet_grad_np(_host64(x), a, np.broadcast_to(a.sum(-1, keepdims=True), a.shape)), x)
        return g * (grad - (x * grad).sum(-1, True))


def sample_dirichlet(concentration):
    return _SampleDirichlet.apply(concentration)


def binomial(count, prob):
    """``torch.binomial(count, prob)``: integer-valued floats; NaN where ``prob`` is NaN."""
    n, p = _host64(count), _host64(prob)
    ok = np.isfinite(p) & (n >= 0)
    trials, success = np.where(ok, n, 0).astype(np.int64), np.where(ok, p.clip(0, 1), 0.0)
    draws = np.asarray(numpy_rng(count.device).binomial(trials, success))
    return _like(np.where(ok, draws, math.nan), prob)


def poisson(rate):
    """``torch.poisson(rate)``."""
    return lanterna.poisson(rate)
