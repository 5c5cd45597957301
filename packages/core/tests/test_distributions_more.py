"""The further ``lanterna.distributions`` families, checked against closed forms: densities and
CDFs, sample statistics (the Gamma-based families, Poisson and Binomial sample the right law, not
PyTorch's numbers), unbiased ``rsample`` gradients, transforms and KL divergences."""

from __future__ import annotations

import math

import numpy as np
import pytest

import lanterna as L
from lanterna.distributions import (Beta, Binomial, Chi2, Dirichlet, Gamma, Geometric, Gumbel, HalfNormal,
                                    Independent, LogNormal, Multinomial, Normal, Poisson, StudentT,
                                    TransformedDistribution, Uniform, constraints, kl_divergence, transforms)
from lanterna.distributions._sampling import standard_gamma_grad_np
from lanterna.ops.specfun import igamma_np


def f64(x):
    return L.tensor(x, dtype=L.float64)


def test_gamma_beta_poisson_binomial_geometric_log_probs():
    a, r, x = 2.5, 1.5, 0.7
    expect = a * math.log(r) + (a - 1) * math.log(x) - r * x - math.lgamma(a)
    assert Gamma(f64(a), f64(r)).log_prob(f64(x)).item() == pytest.approx(expect, rel=1e-12)
    a, b, x = 0.5, 3.0, 0.2
    expect = (a - 1) * math.log(x) + (b - 1) * math.log1p(-x) - (math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b))
    assert Beta(f64(a), f64(b)).log_prob(f64(x)).item() == pytest.approx(expect, rel=1e-12)
    assert Poisson(f64(3.0)).log_prob(f64(2.0)).item() == pytest.approx(math.log(9 / 2 * math.exp(-3)), rel=1e-12)
    assert Binomial(5, f64(0.3)).log_prob(f64(2.0)).item() == pytest.approx(math.log(10 * 0.09 * 0.7**3), rel=1e-12)
    assert Geometric(f64(0.3)).log_prob(f64(2.0)).item() == pytest.approx(math.log(0.7**2 * 0.3), rel=1e-12)
    lp = Dirichlet(f64([1.0, 1.0, 1.0])).log_prob(f64([0.2, 0.3, 0.5]))
    assert lp.item() == pytest.approx(math.log(2.0), rel=1e-12)  # uniform on the 2-simplex: density 2!
    counts = f64([1.0, 0.0, 2.0])
    expect = math.log(3 * 0.2 * 0.5**2)  # 3! / (1! 0! 2!) p0 p2^2
    assert Multinomial(3, f64([0.2, 0.3, 0.5])).log_prob(counts).item() == pytest.approx(expect, rel=1e-12)


def test_studentt_lognormal_halfnormal_gumbel_formulas():
    df, loc, scale, x = 3.0, 1.0, 2.0, 0.3
    y = (x - loc) / scale
    expect = (math.lgamma((df + 1) / 2) - math.lgamma(df / 2) - 0.5 * math.log(df * math.pi) - math.log(scale)
              - (df + 1) / 2 * math.log1p(y * y / df))
    assert StudentT(f64(df), loc, scale).log_prob(f64(x)).item() == pytest.approx(expect, rel=1e-12)
    expect = -math.log(0.5) - math.log(2.0) - 0.5 * math.log(2 * math.pi) - (math.log(0.5) - 1) ** 2 / 8
    assert LogNormal(f64(1.0), f64(2.0)).log_prob(f64(0.5)).item() == pytest.approx(expect, rel=1e-12)
    assert HalfNormal(f64(2.0)).cdf(f64(1.0)).item() == pytest.approx(math.erf(1 / (2 * math.sqrt(2))), rel=1e-12)
    g = Gumbel(f64(1.0), f64(2.0))
    assert g.cdf(f64(0.5)).item() == pytest.approx(math.exp(-math.exp(0.25)), rel=1e-12)
    assert g.icdf(f64(0.3)).item() == pytest.approx(1.0 - 2.0 * math.log(-math.log(0.3)), rel=1e-12)


def test_gammainc_closed_forms_and_gradient():
    x = f64([0.1, 1.0, 3.0, 12.0])
    xs = x.numpy()
    np.testing.assert_allclose(L.special.gammainc(f64(1.0), x).numpy(), 1 - np.exp(-xs), rtol=1e-13)
    np.testing.assert_allclose(L.special.gammainc(f64(2.0), x).numpy(), 1 - np.exp(-xs) * (1 + xs), rtol=1e-12)
    np.testing.assert_allclose(L.special.gammaincc(f64(0.5), x).numpy(),
                               [math.erfc(math.sqrt(v)) for v in xs], rtol=1e-12)
    xg = f64([0.5, 4.0]).requires_grad_()
    L.special.gammainc(f64(3.0), xg).sum().backward()
    xv = np.array([0.5, 4.0])
    np.testing.assert_allclose(xg.grad.numpy(), xv**2 * np.exp(-xv) / 2, rtol=1e-12)  # the Gamma(3) density
    chi2_cdf = Chi2(f64(2.0)).cdf(f64(3.0)).item()
    assert chi2_cdf == pytest.approx(1 - math.exp(-1.5), rel=1e-12)


@pytest.mark.parametrize("alpha,x", [(0.3, 0.05), (2.0, 0.5), (2.0, 3.0), (5.0, 9.0), (20.0, 19.0), (20.0, 35.0),
                                     (40.0, 30.0)])
def test_standard_gamma_grad_is_implicit_derivative_of_the_cdf(alpha, x):
    h = 1e-5 * alpha
    dcdf = (igamma_np(alpha + h, x) - igamma_np(alpha - h, x)) / (2 * h)
    pdf = math.exp((alpha - 1) * math.log(x) - x - math.lgamma(alpha))
    assert float(standard_gamma_grad_np(alpha, x)) == pytest.approx(-float(dcdf) / pdf, rel=2e-3)


def test_gamma_family_samples_follow_the_law():
    L.manual_seed(0)
    s = Gamma(f64([0.5, 3.0]), f64([2.0, 0.5])).sample((40000,)).numpy()
    np.testing.assert_allclose(s.mean(0), [0.25, 6.0], rtol=0.03)
    np.testing.assert_allclose(s.var(0), [0.125, 12.0], rtol=0.06)
    assert (s > 0).all()
    s = Chi2(f64(4.0)).sample((40000,)).numpy()
    assert abs(s.mean() - 4.0) < 0.1 and abs(s.var() - 8.0) < 0.4
    s = Beta(f64(2.0), f64(5.0)).sample((40000,)).numpy()
    assert ((s > 0) & (s < 1)).all() and abs(s.mean() - 2 / 7) < 0.005
    assert abs(s.var() - 10 / (49 * 8)) < 0.002
    d = Dirichlet(f64([1.0, 2.0, 3.0]))
    s = d.sample((40000,)).numpy()
    np.testing.assert_allclose(s.sum(-1), 1.0, rtol=1e-12)
    np.testing.assert_allclose(s.mean(0), d.mean.numpy(), atol=0.005)
    np.testing.assert_allclose(s.var(0), d.variance.numpy(), atol=0.003)
    s = StudentT(f64(5.0), 1.0, 2.0).sample((40000,)).numpy()
    assert abs(np.median(s) - 1.0) < 0.05 and abs(s.var() - 4.0 * 5 / 3) < 0.5


def test_discrete_samples_follow_the_law():
    L.manual_seed(1)
    s = Poisson(f64([0.5, 7.0])).sample((40000,)).numpy()
    np.testing.assert_array_equal(s, np.round(s))
    np.testing.assert_allclose(s.mean(0), [0.5, 7.0], rtol=0.03)
    np.testing.assert_allclose(s.var(0), [0.5, 7.0], rtol=0.06)
    s = Binomial(10, f64([0.2, 0.9])).sample((40000,)).numpy()
    assert s.min() >= 0 and s.max() <= 10 and (s == np.round(s)).all()
    np.testing.assert_allclose(s.mean(0), [2.0, 9.0], rtol=0.02)
    np.testing.assert_allclose(s.var(0), [1.6, 0.9], rtol=0.06)
    s = Geometric(f64(0.25)).sample((40000,)).numpy()
    assert abs(s.mean() - 3.0) < 0.1 and s.min() == 0
    s = Multinomial(6, f64([0.2, 0.3, 0.5])).sample((20000,)).numpy()
    assert s.shape == (20000, 3) and (s.sum(-1) == 6).all()
    np.testing.assert_allclose(s.mean(0), [1.2, 1.8, 3.0], rtol=0.03)


def test_samples_are_reproducible_under_a_seed():
    for d in (Gamma(2.0, 1.0), Beta(2.0, 3.0), Dirichlet(L.tensor([1.0, 2.0])), Poisson(L.tensor([3.0])),
              Binomial(4, L.tensor([0.3])), StudentT(3.0)):
        L.manual_seed(7)
        a = d.sample((5,))
        L.manual_seed(7)
        b = d.sample((5,))
        assert a.dtype == L.float32 and a.tolist() == b.tolist()


def test_rsample_gradients_are_unbiased():
    """The pathwise gradient of E[x] must be the gradient of the mean (within Monte Carlo error)."""
    L.manual_seed(2)
    n = 40000
    a, r = f64(2.0).requires_grad_(), f64(1.5).requires_grad_()
    Gamma(a, r).rsample((n,)).mean().backward()
    assert a.grad.item() == pytest.approx(1 / 1.5, rel=0.02) and r.grad.item() == pytest.approx(-2 / 1.5**2, rel=0.02)
    c1, c0 = f64(2.0).requires_grad_(), f64(3.0).requires_grad_()
    Beta(c1, c0).rsample((n,)).mean().backward()
    assert c1.grad.item() == pytest.approx(3 / 25, rel=0.03) and c0.grad.item() == pytest.approx(-2 / 25, rel=0.03)
    conc = f64([1.0, 2.0, 4.0]).requires_grad_()
    (Dirichlet(conc).rsample((n,))[:, 0]).mean().backward()  # d/dc (c0 / sum c)
    np.testing.assert_allclose(conc.grad.numpy(), [6 / 49, -1 / 49, -1 / 49], atol=0.004)


def test_transforms_invert_and_log_det_is_the_derivative():
    x = f64([-1.5, 0.2, 2.0])
    for t in (transforms.ExpTransform(), transforms.SigmoidTransform(), transforms.TanhTransform(),
              transforms.SoftplusTransform(), transforms.AffineTransform(1.0, -3.0),
              transforms.ComposeTransform([transforms.AffineTransform(0.5, 2.0), transforms.TanhTransform()])):
        y = t(x)
        np.testing.assert_allclose(t.inv(y).numpy(), x.numpy(), rtol=1e-9, atol=1e-12)
        h = 1e-6
        deriv = (t(x + h).numpy() - t(x - h).numpy()) / (2 * h)
        np.testing.assert_allclose(t.log_abs_det_jacobian(x, y).numpy(), np.log(np.abs(deriv)), rtol=1e-6, atol=1e-8)
    assert repr(transforms.ExpTransform().inv) == "_InverseTransform(ExpTransform())"
    assert transforms.ExpTransform() == transforms.ExpTransform() and transforms.identity_transform(x) is x
    with pytest.raises(ValueError, match="cache_size must be 0 or 1"):
        transforms.TanhTransform(cache_size=3)


def test_transformed_distribution_and_independent():
    base = Normal(f64([0.0, 1.0]), f64([1.0, 2.0]))
    d = TransformedDistribution(base, [transforms.ExpTransform()])
    v = f64([0.5, 3.0])
    np.testing.assert_allclose(d.log_prob(v).numpy(), LogNormal(base.loc, base.scale).log_prob(v).numpy(),
                               rtol=1e-12)
    assert repr(d.support) == "GreaterThan(lower_bound=0.0)" and d.has_rsample
    np.testing.assert_allclose(d.cdf(v).numpy(), base.cdf(v.log()).numpy(), rtol=1e-12)
    flipped = TransformedDistribution(Uniform(0.0, 1.0), transforms.AffineTransform(0.0, -1.0))
    assert flipped.cdf(L.tensor(-0.25)).item() == pytest.approx(0.75)  # a decreasing map: 1 - F
    ind = Independent(Normal(L.zeros(4, 3), 1.0), 1)
    assert tuple(ind.batch_shape) == (4,) and tuple(ind.event_shape) == (3,)
    x = L.randn(4, 3)
    np.testing.assert_allclose(ind.log_prob(x).numpy(), Normal(0.0, 1.0).log_prob(x).sum(-1).numpy(), rtol=1e-6)
    assert repr(ind.support) == "IndependentConstraint(Real(), 1)"
    with pytest.raises(ValueError, match="Expected reinterpreted_batch_ndims <= len"):
        Independent(Normal(0.0, 1.0), 1)


def test_kl_divergences_against_monte_carlo_and_closed_forms():
    p, q = Gamma(f64(2.0), f64(1.0)), Gamma(f64(3.0), f64(2.0))
    L.manual_seed(3)
    x = p.sample((200000,))
    mc = (p.log_prob(x) - q.log_prob(x)).mean().item()
    assert kl_divergence(p, q).item() == pytest.approx(mc, abs=0.01)
    assert kl_divergence(p, p).item() == pytest.approx(0.0, abs=1e-12)
    expect = 2 * math.log(2 / 3) - (2 - 3)
    assert kl_divergence(Poisson(f64(2.0)), Poisson(f64(3.0))).item() == pytest.approx(expect, rel=1e-12)
    b1, b2 = Beta(f64(2.0), f64(3.0)), Beta(f64(1.0), f64(1.0))
    assert kl_divergence(b1, b2).item() == pytest.approx(-b1.entropy().item(), rel=1e-12)  # q is uniform
    ind = kl_divergence(Independent(Normal(L.zeros(2, 3), 1.0), 1), Independent(Normal(L.ones(2, 3), 1.0), 1))
    np.testing.assert_allclose(ind.numpy(), [1.5, 1.5], rtol=1e-6)
    assert kl_divergence(Chi2(f64(3.0)), Chi2(f64(3.0))).item() == pytest.approx(0.0, abs=1e-12)


def test_constraints_and_supports():
    assert repr(constraints.nonnegative_integer) == "IntegerGreaterThan(lower_bound=0)"
    assert repr(Binomial(f64([3.0, 4.0]), f64([0.2, 0.3])).support).startswith("IntegerInterval(lower_bound=0,")
    assert constraints.is_dependent(Binomial.support) and not constraints.is_dependent(constraints.real)
    assert constraints.multinomial(3).check(L.tensor([[1.0, 2.0], [2.0, 2.0]])).tolist() == [True, False]
    assert constraints.half_open_interval(0.0, 1.0).check(L.tensor([0.0, 1.0])).tolist() == [True, False]
    with pytest.raises(ValueError, match="Expected parameter df"):
        Chi2(L.tensor([-1.0]))
    assert Chi2(L.tensor([-1.0]), validate_args=False).df.tolist() == [-1.0]
