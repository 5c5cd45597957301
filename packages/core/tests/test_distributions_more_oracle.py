"""The further ``lanterna.distributions`` families (Gamma, Chi2, Beta, Dirichlet, StudentT, Cauchy,
LogNormal, HalfNormal, Gumbel, Poisson, Binomial, Geometric, Multinomial, Independent,
TransformedDistribution and the transforms) against ``torch.distributions`` (PyTorch 2.13, CPU):
shapes, moments, densities, CDFs, entropies, KL divergences, gradients, validation errors and, for
the families PyTorch samples by transforming uniform or normal draws, samples under a seed."""

from __future__ import annotations

import numpy as np
import pytest

import lanterna as L
import lanterna.distributions as LD

pytestmark = pytest.mark.oracle
torch = pytest.importorskip("torch")
TD = torch.distributions


def _affine_tanh(m, D):
    base = D.Normal(m.tensor([0.0, 1.0]), 1.0)
    return D.TransformedDistribution(base, [D.transforms.AffineTransform(1.0, m.tensor([2.0, 3.0])),
                                            D.transforms.TanhTransform()])


# name -> (constructor taking (module, distributions module), a valid value)
CASES = {
    "gamma": (lambda m, D: D.Gamma(m.tensor([0.5, 2.0, 9.0]), m.tensor([1.0, 3.0, 0.5])), [0.3, 1.0, 20.0]),
    "gamma_scalar": (lambda m, D: D.Gamma(2.0, 3.0), 0.7),
    "chi2": (lambda m, D: D.Chi2(m.tensor([1.0, 4.0])), [0.5, 3.0]),
    "beta": (lambda m, D: D.Beta(m.tensor([0.5, 2.0]), m.tensor([3.0, 2.0])), [0.2, 0.9]),
    "beta_scalar": (lambda m, D: D.Beta(2.0, 3.0), 0.4),
    "dirichlet": (lambda m, D: D.Dirichlet(m.tensor([[0.5, 2.0, 3.0], [0.5, 0.5, 0.9]])),
                  [[0.2, 0.3, 0.5], [0.1, 0.1, 0.8]]),
    "studentt": (lambda m, D: D.StudentT(m.tensor([0.5, 1.5, 5.0]), 1.0, 2.0), [0.3, -1.0, 4.0]),
    "cauchy": (lambda m, D: D.Cauchy(m.tensor([0.0, 1.0]), m.tensor([1.0, 2.0])), [0.5, -1.0]),
    "lognormal": (lambda m, D: D.LogNormal(m.tensor([0.0, 1.0]), m.tensor([1.0, 0.5])), [0.5, 2.0]),
    "halfnormal": (lambda m, D: D.HalfNormal(m.tensor([1.0, 2.0])), [0.5, 2.0]),
    "gumbel": (lambda m, D: D.Gumbel(m.tensor([0.0, 1.0]), m.tensor([1.0, 2.0])), [0.5, -1.0]),
    "gumbel_scalar": (lambda m, D: D.Gumbel(1.0, 2.0), 0.5),
    "poisson": (lambda m, D: D.Poisson(m.tensor([0.5, 4.0])), [0.0, 3.0]),
    "binomial": (lambda m, D: D.Binomial(5, m.tensor([0.3, 0.9])), [2.0, 5.0]),
    "binomial_logits": (lambda m, D: D.Binomial(m.tensor([4.0, 4.0]), logits=m.tensor([0.3, -1.0])), [1.0, 4.0]),
    "geometric": (lambda m, D: D.Geometric(m.tensor([0.3, 0.9])), [2.0, 0.0]),
    "geometric_logits": (lambda m, D: D.Geometric(logits=m.tensor([0.3, -1.0])), [2.0, 0.0]),
    "multinomial": (lambda m, D: D.Multinomial(4, m.tensor([[0.2, 0.3, 0.5], [0.1, 0.6, 0.3]])),
                    [[1.0, 1.0, 2.0], [0.0, 4.0, 0.0]]),
    "independent": (lambda m, D: D.Independent(D.Normal(m.tensor([[0.0, 1.0], [2.0, 3.0]]), 1.0), 1),
                    [[0.5, 0.2], [1.0, 1.0]]),
    "transformed": (_affine_tanh, [0.5, -0.3]),
    "logistic": (lambda m, D: D.TransformedDistribution(
        D.Uniform(0.0, 1.0), [D.transforms.SigmoidTransform().inv, D.transforms.AffineTransform(0.0, -1.0)]), 0.4),
}

# Families PyTorch samples by transforming uniform or normal draws (or counting Categorical draws).
SEEDED = ["cauchy", "lognormal", "halfnormal", "gumbel", "gumbel_scalar", "geometric", "geometric_logits",
          "multinomial", "independent", "transformed", "logistic"]


def pair(name):
    make, value = CASES[name]
    return make(L, LD), make(torch, TD), value


def close(ours, theirs, rtol=1e-5, atol=1e-6):
    assert tuple(ours.shape) == tuple(theirs.shape)
    assert str(ours.dtype) == str(theirs.dtype)
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=rtol, atol=atol, equal_nan=True)


def _both(fn_ours, fn_theirs):
    """Both results, or both NotImplementedError."""
    try:
        expect = fn_theirs()
    except NotImplementedError:
        with pytest.raises(NotImplementedError):
            fn_ours()
        return None, None
    return fn_ours(), expect


@pytest.mark.parametrize("name", CASES)
def test_shapes_moments_and_densities(name):
    ours, theirs, value = pair(name)
    assert tuple(ours.batch_shape) == tuple(theirs.batch_shape)
    assert tuple(ours.event_shape) == tuple(theirs.event_shape)
    assert repr(ours) == repr(theirs)
    assert repr(ours.support) == repr(theirs.support)
    assert ours.has_rsample == theirs.has_rsample
    assert ours.has_enumerate_support == theirs.has_enumerate_support
    for attr in ("mean", "mode", "variance", "stddev"):
        a, b = _both(lambda: getattr(ours, attr), lambda: getattr(theirs, attr))
        if b is not None:
            close(a, b)
    a, b = _both(ours.entropy, theirs.entropy)
    if b is not None:
        close(a, b)
    close(ours.log_prob(L.tensor(value)), theirs.log_prob(torch.tensor(value)))
    a, b = _both(lambda: ours.cdf(L.tensor(value)), lambda: theirs.cdf(torch.tensor(value)))
    if b is not None:
        close(a, b)
    a, b = _both(lambda: ours.icdf(L.tensor(0.3)), lambda: theirs.icdf(torch.tensor(0.3)))
    if b is not None:
        close(a, b)


@pytest.mark.parametrize("name", CASES)
def test_expand_and_enumerate_support(name):
    ours, theirs, value = pair(name)
    shape = (3,) + tuple(theirs.batch_shape)
    a, b = ours.expand(shape), theirs.expand(torch.Size(shape))
    assert type(a) is type(ours) and tuple(a.batch_shape) == tuple(b.batch_shape)
    assert tuple(a.event_shape) == tuple(b.event_shape)
    close(a.log_prob(L.tensor(value)), b.log_prob(torch.tensor(value)))
    if theirs.has_enumerate_support:
        for expand in (True, False):
            close(ours.enumerate_support(expand), theirs.enumerate_support(expand))


@pytest.mark.parametrize("name", CASES)
@pytest.mark.parametrize("sample_shape", [(), (3,), (2, 2)])
def test_sample_shapes_and_dtypes(name, sample_shape):
    ours, theirs, _ = pair(name)
    methods = ("sample", "rsample") if theirs.has_rsample else ("sample",)
    for method in methods:
        L.manual_seed(5)
        torch.manual_seed(5)
        a = getattr(ours, method)(L.Size(sample_shape))
        b = getattr(theirs, method)(torch.Size(sample_shape))
        assert tuple(a.shape) == tuple(b.shape) and str(a.dtype) == str(b.dtype)
        if name in SEEDED:
            close(a, b, rtol=1e-6, atol=1e-6)
    if not theirs.has_rsample:
        with pytest.raises(NotImplementedError):
            ours.rsample()


@pytest.mark.parametrize("name", CASES)
def test_kl_with_itself(name):
    ours, theirs, _ = pair(name)
    a, b = _both(lambda: LD.kl_divergence(ours, pair(name)[0]), lambda: TD.kl_divergence(theirs, pair(name)[1]))
    if b is not None:
        close(a, b)


KL_PAIRS = [
    lambda m, D: (D.Gamma(m.tensor([0.5, 2.0]), 1.5), D.Gamma(2.0, m.tensor([0.5, 3.0]))),
    lambda m, D: (D.Chi2(m.tensor([3.0])), D.Chi2(m.tensor([5.0]))),
    lambda m, D: (D.Beta(m.tensor([0.5, 2.0]), 1.5), D.Beta(2.0, m.tensor([0.5, 3.0]))),
    lambda m, D: (D.Dirichlet(m.tensor([0.5, 2.0, 1.0])), D.Dirichlet(m.tensor([[1.0, 1.0, 1.0], [3.0, 0.2, 2.0]]))),
    lambda m, D: (D.Poisson(m.tensor([0.5, 2.0])), D.Poisson(3.0)),
    lambda m, D: (D.Binomial(6, m.tensor([0.2, 0.7])), D.Binomial(6, m.tensor([0.5, 0.1]))),
    lambda m, D: (D.Binomial(6, m.tensor([0.2, 0.7])), D.Binomial(4, m.tensor([0.5, 0.1]))),
    lambda m, D: (D.Geometric(m.tensor([0.2, 0.7])), D.Geometric(m.tensor([0.5, 0.1]))),
    lambda m, D: (D.Gumbel(m.tensor([0.0, 1.0]), 2.0), D.Gumbel(1.0, m.tensor([0.5, 3.0]))),
    lambda m, D: (D.Cauchy(m.tensor([0.0, 1.0]), 2.0), D.Cauchy(1.0, m.tensor([0.5, 3.0]))),
    lambda m, D: (D.HalfNormal(m.tensor([1.0, 2.0])), D.HalfNormal(m.tensor([3.0, 0.5]))),
    lambda m, D: (D.LogNormal(m.tensor([0.0, 1.0]), 2.0), D.LogNormal(1.0, m.tensor([0.5, 3.0]))),
    lambda m, D: (D.Independent(D.Normal(m.zeros(2, 3), 1.0), 1), D.Independent(D.Normal(m.ones(2, 3), 2.0), 1)),
    lambda m, D: (D.Bernoulli(m.tensor([0.2, 0.7])), D.Poisson(m.tensor([0.5, 2.0]))),
    lambda m, D: (D.Beta(2.0, m.tensor([0.5, 3.0])), D.Exponential(1.5)),
    lambda m, D: (D.Beta(2.0, m.tensor([0.5, 3.0])), D.Gamma(1.5, 2.0)),
    lambda m, D: (D.Beta(2.0, m.tensor([0.5, 3.0])), D.Normal(0.3, 2.0)),
    lambda m, D: (D.Beta(2.0, m.tensor([0.5, 3.0])), D.Uniform(m.tensor([0.0, 0.1]), 1.0)),
    lambda m, D: (D.Exponential(m.tensor([0.5, 3.0])), D.Gamma(1.5, 2.0)),
    lambda m, D: (D.Exponential(m.tensor([0.5, 3.0])), D.Gumbel(0.5, 2.0)),
    lambda m, D: (D.Exponential(m.tensor([0.5, 3.0])), D.Normal(0.5, 2.0)),
    lambda m, D: (D.Exponential(m.tensor([0.5, 3.0])), D.Beta(0.5, 2.0)),
    lambda m, D: (D.Gamma(m.tensor([0.5, 3.0]), 2.0), D.Exponential(1.5)),
    lambda m, D: (D.Gamma(m.tensor([0.5, 3.0]), 2.0), D.Gumbel(0.5, 2.0)),
    lambda m, D: (D.Gamma(m.tensor([0.5, 3.0]), 2.0), D.Normal(0.5, 2.0)),
    lambda m, D: (D.Gumbel(m.tensor([0.5, 3.0]), 2.0), D.Normal(0.5, 2.0)),
    lambda m, D: (D.Laplace(m.tensor([0.5, 3.0]), 2.0), D.Normal(0.5, 2.0)),
    lambda m, D: (D.Normal(m.tensor([0.5, 3.0]), 2.0), D.Gumbel(0.5, 2.0)),
    lambda m, D: (D.Normal(m.tensor([0.5, 3.0]), 2.0), D.Laplace(0.5, 2.0)),
    lambda m, D: (D.Normal(m.tensor([0.5, 3.0]), 2.0), D.Gamma(0.5, 2.0)),
    lambda m, D: (D.Poisson(m.tensor([0.5, 3.0])), D.Binomial(3, m.tensor([0.5, 0.2]))),
    lambda m, D: (D.Uniform(m.tensor([0.1, -0.5]), 0.7), D.Beta(0.5, 2.0)),
    lambda m, D: (D.Uniform(m.tensor([0.1, -0.5]), 0.7), D.Exponential(2.0)),
    lambda m, D: (D.Uniform(m.tensor([0.1, -0.5]), 0.7), D.Gamma(2.0, 0.5)),
    lambda m, D: (D.Uniform(m.tensor([0.1, -0.5]), 0.7), D.Gumbel(2.0, 0.5)),
    lambda m, D: (D.Uniform(m.tensor([0.1, -0.5]), 0.7), D.Normal(2.0, 0.5)),
]


@pytest.mark.parametrize("make", KL_PAIRS)
def test_kl_between_families_and_parameters(make):
    close(LD.kl_divergence(*make(L, LD)), TD.kl_divergence(*make(torch, TD)))


def test_kl_unregistered_and_mismatched_pairs_raise():
    for make in (lambda m, D: (D.Poisson(1.0), D.Gamma(1.0, 1.0)),
                 lambda m, D: (D.LogNormal(0.0, 1.0), D.HalfNormal(1.0)),
                 lambda m, D: (D.Binomial(2, m.tensor([0.5])), D.Binomial(4, m.tensor([0.5]))),
                 lambda m, D: (D.Independent(D.Normal(m.zeros(2, 3), 1.0), 1),
                               D.Independent(D.Normal(m.zeros(2, 3), 1.0), 2))):
        with pytest.raises(NotImplementedError):
            TD.kl_divergence(*make(torch, TD))
        with pytest.raises(NotImplementedError):
            LD.kl_divergence(*make(L, LD))


# (constructor from float64 parameter tensors, parameter values, a valid value)
GRAD_CASES = [
    (lambda D, a, b: D.Gamma(a, b), ([0.5, 2.0, 9.0], [1.0, 3.0, 0.5]), [0.3, 1.0, 20.0]),
    (lambda D, a: D.Chi2(a), ([1.0, 4.0],), [0.5, 3.0]),
    (lambda D, a, b: D.Beta(a, b), ([0.5, 2.0], [3.0, 2.0]), [0.2, 0.9]),
    (lambda D, a: D.Dirichlet(a), ([[0.5, 2.0, 3.0]],), [[0.2, 0.3, 0.5]]),
    (lambda D, a, b, c: D.StudentT(a, b, c), ([0.5, 1.5, 5.0], [0.0, 1.0, -1.0], [1.0, 2.0, 0.5]), [0.3, -1.0, 4.0]),
    (lambda D, a, b: D.Cauchy(a, b), ([0.0, 1.0], [1.0, 2.0]), [0.5, -1.0]),
    (lambda D, a, b: D.LogNormal(a, b), ([0.0, 1.0], [1.0, 0.5]), [0.5, 2.0]),
    (lambda D, a: D.HalfNormal(a), ([1.0, 2.0],), [0.5, 2.0]),
    (lambda D, a, b: D.Gumbel(a, b), ([0.0, 1.0], [1.0, 2.0]), [0.5, -1.0]),
    (lambda D, a: D.Poisson(a), ([0.5, 4.0],), [0.0, 3.0]),
    (lambda D, a: D.Binomial(5, a), ([0.3, 0.9],), [2.0, 5.0]),
    (lambda D, a: D.Geometric(a), ([0.3, 0.9],), [2.0, 0.0]),
    (lambda D, a: D.Multinomial(4, a), ([[0.2, 0.3, 0.5]],), [[1.0, 1.0, 2.0]]),
]


def _grads(m, D, make, params, value, what):
    ps = [m.tensor(p, dtype=m.float64, requires_grad=True) for p in params]
    d = make(D, *ps)
    x = m.tensor(value, dtype=m.float64)
    out = {"log_prob": lambda: d.log_prob(x), "entropy": d.entropy, "mean": lambda: d.mean,
           "variance": lambda: d.variance}[what]()
    if not out.requires_grad:  # a constant (Cauchy's NaN mean ...)
        return out, [None for _ in ps]
    (out * m.arange(1, out.numel() + 1, dtype=m.float64).reshape(out.shape)).sum().backward()
    return out, [p.grad for p in ps]


@pytest.mark.parametrize("case", GRAD_CASES)
@pytest.mark.parametrize("what", ["log_prob", "entropy", "mean", "variance"])
def test_parameter_gradients(case, what):
    make, params, value = case
    try:
        expect, expect_grads = _grads(torch, TD, make, params, value, what)
    except NotImplementedError:
        pytest.skip(f"PyTorch has no {what} here")
    out, grads = _grads(L, LD, make, params, value, what)
    close(out, expect, rtol=1e-10, atol=1e-12)
    for g, e in zip(grads, expect_grads):
        if e is None:
            assert g is None or not bool(g.abs().sum())
        else:
            np.testing.assert_allclose(g.numpy(), e.numpy(), rtol=1e-8, atol=1e-12, equal_nan=True)


def test_cdf_gradients_and_values():
    for make in (lambda m, D, x: D.Gamma(m.tensor([0.5, 2.0, 30.0], dtype=m.float64), 1.5).cdf(x),
                 lambda m, D, x: D.Chi2(m.tensor([1.0, 4.0, 60.0], dtype=m.float64)).cdf(x),
                 lambda m, D, x: D.HalfNormal(m.tensor([1.0, 2.0, 3.0], dtype=m.float64)).cdf(x),
                 lambda m, D, x: D.LogNormal(0.0, m.tensor([1.0, 2.0, 3.0], dtype=m.float64)).cdf(x)):
        xs = []
        for m, D in ((L, LD), (torch, TD)):
            x = m.tensor([0.3, 2.5, 40.0], dtype=m.float64, requires_grad=True)
            out = make(m, D, x)
            out.sum().backward()
            xs.append((out, x.grad))
        close(xs[0][0], xs[1][0], rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(xs[0][1].numpy(), xs[1][1].numpy(), rtol=1e-8, atol=1e-14)


def test_gammainc_matches_torch():
    a = np.array([0.1, 0.5, 1, 2, 5, 10, 50, 200, 0, 0, 3, np.inf, 2, 0.5, 3, -1.0])
    x = np.array([0.01, 0.3, 1, 5, 3, 12, 45, 210, 1, 0, 0, 3, np.inf, 1e-30, 100, 1.0])
    for name in ("gammainc", "gammaincc"):
        ours = getattr(L.special, name)(L.tensor(a), L.tensor(x))
        theirs = getattr(torch.special, name)(torch.tensor(a), torch.tensor(x))
        close(ours, theirs, rtol=1e-9, atol=1e-300)
        f32 = getattr(L.special, name)(L.tensor([2.0, 0.5]), L.tensor([1.5, 3.0]))
        close(f32, getattr(torch.special, name)(torch.tensor([2.0, 0.5]), torch.tensor([1.5, 3.0])))
    for m in (L, torch):  # no derivative with respect to the shape parameter, as PyTorch
        a_ = m.tensor([2.0], requires_grad=True)
        with pytest.raises(RuntimeError, match="igamma: input"):
            m.special.gammainc(a_, m.tensor([1.0])).sum().backward()


def test_gamma_rsample_gradients_are_torch_implicit_reparameterization():
    alpha = L.tensor([0.3, 1.0, 2.5, 12.0], dtype=L.float64, requires_grad=True)
    rate = L.tensor([1.0, 2.0, 0.5, 3.0], dtype=L.float64, requires_grad=True)
    L.manual_seed(0)
    s = LD.Gamma(alpha, rate).rsample((50,))
    s.sum().backward()
    z = torch.tensor(s.detach().numpy() * rate.detach().numpy())  # the standard Gamma draws
    a = torch.tensor(alpha.detach().numpy()).expand_as(z)
    r = torch.tensor(rate.detach().numpy())
    expect = (torch._standard_gamma_grad(a, z) / r).sum(0)
    np.testing.assert_allclose(alpha.grad.numpy(), expect.numpy(), rtol=1e-10)
    np.testing.assert_allclose(rate.grad.numpy(), (-z / r**2).sum(0).numpy(), rtol=1e-10)


def test_dirichlet_and_beta_rsample_gradients_are_torch_formulas():
    conc = L.tensor([[0.5, 2.0, 3.0], [8.0, 7.0, 0.3]], dtype=L.float64, requires_grad=True)
    L.manual_seed(1)
    x = LD.Dirichlet(conc).rsample((20,))
    weights = L.arange(3, dtype=L.float64) + 1.0
    (x * weights).sum().backward()
    tx, tc = torch.tensor(x.detach().numpy()), torch.tensor(conc.detach().numpy()).expand(20, 2, 3)
    g = torch._dirichlet_grad(tx, tc, tc.sum(-1, True).expand_as(tc))
    w = torch.tensor(weights.numpy()).expand_as(tx)
    expect = (g * (w - (tx * w).sum(-1, True))).sum(0)
    np.testing.assert_allclose(conc.grad.numpy(), expect.numpy(), rtol=1e-9)

    c1 = L.tensor([0.7, 4.0], dtype=L.float64, requires_grad=True)
    c0 = L.tensor([2.0, 9.0], dtype=L.float64, requires_grad=True)
    L.manual_seed(2)
    b = LD.Beta(c1, c0).rsample((30,))
    b.sum().backward()
    tb = torch.tensor(b.detach().numpy())
    both = torch.stack([tb, 1 - tb], -1)
    tcon = torch.stack([torch.tensor(c1.detach().numpy()), torch.tensor(c0.detach().numpy())], -1).expand(30, 2, 2)
    g = torch._dirichlet_grad(both, tcon, tcon.sum(-1, True).expand_as(tcon))
    grad_out = torch.tensor([1.0, 0.0], dtype=torch.float64).expand_as(both)
    expect = (g * (grad_out - (both * grad_out).sum(-1, True))).sum(0)
    np.testing.assert_allclose(c1.grad.numpy(), expect[:, 0].numpy(), rtol=1e-9)
    np.testing.assert_allclose(c0.grad.numpy(), expect[:, 1].numpy(), rtol=1e-9)


BAD = [
    lambda m, D: D.Gamma(m.tensor([1.0]), m.tensor([-1.0])),
    lambda m, D: D.Gamma(1.0, 1.0).log_prob(m.tensor(-1.0)),
    lambda m, D: D.Chi2(m.tensor([-1.0])),
    lambda m, D: D.Beta(m.tensor([0.0]), m.tensor([1.0])),
    lambda m, D: D.Beta(1.0, 1.0).log_prob(m.tensor(1.5)),
    lambda m, D: D.Dirichlet(m.tensor(1.0)),
    lambda m, D: D.Dirichlet(m.tensor([1.0, -1.0])),
    lambda m, D: D.Dirichlet(m.tensor([1.0, 1.0])).log_prob(m.tensor([0.5, 0.6])),
    lambda m, D: D.StudentT(m.tensor([-1.0])),
    lambda m, D: D.Cauchy(0.0, -1.0),
    lambda m, D: D.LogNormal(0.0, -1.0),
    lambda m, D: D.LogNormal(0.0, 1.0).log_prob(m.tensor(-1.0)),
    lambda m, D: D.HalfNormal(m.tensor([-1.0])),
    lambda m, D: D.HalfNormal(1.0).log_prob(m.tensor(-1.0)),
    lambda m, D: D.Gumbel(0.0, -1.0),
    lambda m, D: D.Poisson(m.tensor([-1.0])),
    lambda m, D: D.Poisson(m.tensor([1.0])).log_prob(m.tensor([0.5])),
    lambda m, D: D.Binomial(5, m.tensor([1.5])),
    lambda m, D: D.Binomial(m.tensor([2.5]), m.tensor([0.5])),
    lambda m, D: D.Binomial(5, m.tensor([0.5])).log_prob(m.tensor([6.0])),
    lambda m, D: D.Binomial(5),
    lambda m, D: D.Geometric(m.tensor([0.0])),
    lambda m, D: D.Geometric(m.tensor([1.5])),
    lambda m, D: D.Geometric(m.tensor([0.5])).log_prob(m.tensor([-1.0])),
    lambda m, D: D.Multinomial(3, m.tensor([0.5, -0.5])),
    lambda m, D: D.Multinomial(3, m.tensor([0.5, 0.5])).log_prob(m.tensor([-1.0, 2.0])),
    lambda m, D: D.Independent(D.Normal(0.0, 1.0), 1),
    lambda m, D: D.Independent(D.Normal(m.zeros(2), 1.0), 1).log_prob(m.tensor([0.0, float("nan")])),
    lambda m, D: D.TransformedDistribution(D.Normal(0.0, 1.0), "exp"),
    lambda m, D: D.TransformedDistribution(D.Normal(0.0, 1.0), [D.transforms.ExpTransform()]).log_prob(
        m.tensor(-1.0)),
    lambda m, D: D.transforms.ExpTransform(cache_size=2),
]


@pytest.mark.parametrize("make", BAD)
def test_validation_errors_match(make):
    with pytest.raises(Exception) as theirs:
        make(torch, TD)
    with pytest.raises(type(theirs.value)) as ours:
        make(L, LD)
    assert str(ours.value).splitlines()[0] == str(theirs.value).splitlines()[0]


def test_multinomial_and_binomial_edge_errors():
    for m, D in ((L, LD), (torch, TD)):
        with pytest.raises(NotImplementedError, match="inhomogeneous total_count"):
            D.Multinomial(m.tensor(3), m.tensor([0.5, 0.5]))
        with pytest.raises(NotImplementedError, match="Inhomogeneous total count not supported by `entropy`"):
            D.Binomial(m.tensor([2.0, 3.0]), m.tensor([0.5, 0.5])).entropy()
        with pytest.raises(NotImplementedError):
            D.Poisson(m.tensor([2.0])).entropy()


TRANSFORMS = [
    (lambda m, T: T.ExpTransform(), [-1.0, 0.5, 2.0]),
    (lambda m, T: T.AffineTransform(1.0, -2.0), [-1.0, 0.5, 2.0]),
    (lambda m, T: T.AffineTransform(m.tensor([1.0, 0.0, 2.0]), m.tensor([2.0, 3.0, -0.5])), [-1.0, 0.5, 2.0]),
    (lambda m, T: T.SigmoidTransform(), [-30.0, 0.5, 2.0]),
    (lambda m, T: T.TanhTransform(), [-3.0, 0.5, 2.0]),
    (lambda m, T: T.SoftplusTransform(), [-3.0, 0.5, 25.0]),
    (lambda m, T: T.PowerTransform(m.tensor(2.5)), [0.1, 0.5, 2.0]),
    (lambda m, T: T.ExpTransform().inv, [0.1, 0.5, 2.0]),
    (lambda m, T: T.ComposeTransform([T.AffineTransform(0.5, 2.0), T.SigmoidTransform(), T.AffineTransform(-1.0, 2.0)]),
     [-1.0, 0.5, 2.0]),
    (lambda m, T: T.ComposeTransform([T.ExpTransform(), T.AffineTransform(0.0, -1.0)]).inv, [-3.0, -0.5, -2.0]),
    (lambda m, T: T.IndependentTransform(T.ExpTransform(), 1), [-1.0, 0.5, 2.0]),
]


@pytest.mark.parametrize("case", TRANSFORMS)
def test_transforms_match(case):
    make, x = case
    ours, theirs = make(L, LD.transforms), make(torch, TD.transforms)
    lx, tx = L.tensor(x), torch.tensor(x)
    ly, ty = ours(lx), theirs(tx)
    close(ly, ty)
    close(ours.inv(ly), theirs.inv(ty))
    close(ours.log_abs_det_jacobian(lx, ly), theirs.log_abs_det_jacobian(tx, ty))
    assert repr(ours) == repr(theirs)
    assert repr(ours.domain) == repr(theirs.domain) and repr(ours.codomain) == repr(theirs.codomain)
    assert ours.bijective == theirs.bijective
    sign = theirs.sign
    assert (ours.sign == sign) if isinstance(sign, int) else bool((ours.sign == L.tensor(sign.numpy())).all())
    assert ours == make(L, LD.transforms) or type(ours).__eq__ is LD.transforms.Transform.__eq__


def test_transform_cache_returns_the_same_tensor():
    t = LD.transforms.TanhTransform(cache_size=1)
    x = L.tensor([30.0])
    y = t(x)
    assert t.inv(y) is x  # atanh(1.0) would be inf: the cache avoids it, as PyTorch
    assert t.with_cache(0) is not t and LD.transforms.ExpTransform().with_cache(1)._cache_size == 1
