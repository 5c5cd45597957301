"""``lanterna.distributions``: the closed-form densities and moments, sample statistics, shapes,
support/expand and validation, checked against the formulas."""

from __future__ import annotations

import math

import numpy as np
import pytest

import lanterna as L
from lanterna.distributions import (Bernoulli, Categorical, Exponential, Laplace, MultivariateNormal, Normal,
                                    OneHotCategorical, Uniform, constraints, kl_divergence)


def test_exponential_formulas_and_samples():
    d = Exponential(L.tensor([0.5, 2.0]))
    x = L.tensor([0.5, 1.0])
    np.testing.assert_allclose(d.log_prob(x).numpy(), np.log([0.5, 2.0]) - np.array([0.5, 2.0]) * [0.5, 1.0],
                               rtol=1e-6)
    np.testing.assert_allclose(d.cdf(x).numpy(), 1 - np.exp(-np.array([0.25, 2.0])), rtol=1e-6)
    np.testing.assert_allclose(d.entropy().numpy(), 1 - np.log([0.5, 2.0]), rtol=1e-6)
    L.manual_seed(0)
    s = Exponential(L.tensor(2.0, dtype=L.float64)).sample((20000,)).numpy()
    assert s.min() >= 0 and abs(s.mean() - 0.5) < 0.02 and abs(s.var() - 0.25) < 0.02


def test_laplace_formulas_and_samples():
    d = Laplace(L.tensor(1.0), L.tensor(2.0))
    np.testing.assert_allclose(d.log_prob(L.tensor(0.0)).item(), -math.log(4.0) - 0.5, rtol=1e-6)
    np.testing.assert_allclose(d.cdf(L.tensor(1.0)).item(), 0.5)
    np.testing.assert_allclose(d.icdf(L.tensor(0.5)).item(), 1.0)
    assert d.variance.item() == 8.0 and d.entropy().item() == pytest.approx(1 + math.log(4.0))
    L.manual_seed(1)
    s = Laplace(0.0, 1.0).sample((20000,)).numpy()
    assert abs(np.median(s)) < 0.03 and abs(s.var() - 2.0) < 0.1


def test_one_hot_categorical():
    d = OneHotCategorical(L.tensor([0.2, 0.3, 0.5]))
    assert tuple(d.event_shape) == (3,) and tuple(d.batch_shape) == ()
    L.manual_seed(0)
    s = d.sample((4000,))
    assert tuple(s.shape) == (4000, 3) and bool((s.sum(-1) == 1).all())
    np.testing.assert_allclose(s.numpy().mean(0), [0.2, 0.3, 0.5], atol=0.03)
    assert d.log_prob(L.tensor([0.0, 0.0, 1.0])).item() == pytest.approx(math.log(0.5))
    assert d.mode.tolist() == [0.0, 0.0, 1.0]
    assert d.enumerate_support().tolist() == np.eye(3).tolist()


def test_multivariate_normal_log_prob_and_samples():
    cov = np.array([[2.0, 0.5], [0.5, 1.0]])
    d = MultivariateNormal(L.tensor([0.0, 1.0], dtype=L.float64), covariance_matrix=L.tensor(cov))
    x = np.array([0.5, 0.2])
    diff = x - [0.0, 1.0]
    expect = -0.5 * (2 * math.log(2 * math.pi) + math.log(np.linalg.det(cov)) + diff @ np.linalg.solve(cov, diff))
    assert d.log_prob(L.tensor(x)).item() == pytest.approx(expect, rel=1e-12)
    assert d.entropy().item() == pytest.approx(0.5 * 2 * (1 + math.log(2 * math.pi)) + 0.5 * math.log(np.linalg.det(cov)))
    np.testing.assert_allclose(d.precision_matrix.numpy(), np.linalg.inv(cov), rtol=1e-12)
    np.testing.assert_allclose(d.scale_tril.numpy(), np.linalg.cholesky(cov), rtol=1e-12)
    L.manual_seed(0)
    s = d.sample((20000,)).numpy()
    np.testing.assert_allclose(np.cov(s.T), cov, atol=0.06)
    by_precision = MultivariateNormal(L.tensor([0.0, 1.0], dtype=L.float64), precision_matrix=L.tensor(np.linalg.inv(cov)))
    np.testing.assert_allclose(by_precision.covariance_matrix.numpy(), cov, rtol=1e-10)
    kl = kl_divergence(d, MultivariateNormal(L.zeros(2, dtype=L.float64), scale_tril=L.eye(2, dtype=L.float64)))
    expect = 0.5 * (np.trace(cov) + 1.0 - 2 - math.log(np.linalg.det(cov)))  # mean diff [0, 1]
    assert kl.item() == pytest.approx(expect, rel=1e-10)


def test_support_expand_and_validation():
    assert repr(Normal(0.0, 1.0).support) == "Real()"
    assert repr(Bernoulli(0.3).support) == "Boolean()"
    assert repr(Categorical(L.tensor([0.5, 0.5])).support) == "IntegerInterval(lower_bound=0, upper_bound=1)"
    assert repr(constraints.positive) == "GreaterThan(lower_bound=0.0)"
    e = Normal(L.tensor([0.0, 1.0]), 1.0).expand((3, 2))
    assert tuple(e.batch_shape) == (3, 2) and tuple(e.sample().shape) == (3, 2)
    assert Bernoulli(L.tensor([0.3, 0.6])).enumerate_support().tolist() == [[0.0, 0.0], [1.0, 1.0]]
    with pytest.raises(ValueError, match="to be within the support"):
        Uniform(0.0, 1.0).log_prob(L.tensor(2.0))
    with pytest.raises(ValueError, match="LessThan"):
        Uniform(1.0, 0.0)
    with pytest.raises(ValueError, match="Exactly one of covariance_matrix or precision_matrix or scale_tril"):
        MultivariateNormal(L.zeros(2))
    with pytest.raises(NotImplementedError):
        Normal(0.0, 1.0).enumerate_support()


def test_bernoulli_entropy_is_binary_cross_entropy():
    p = np.array([0.3, 0.7, 0.01])
    d = Bernoulli(L.tensor(p, dtype=L.float64))
    np.testing.assert_allclose(d.entropy().numpy(), -(p * np.log(p) + (1 - p) * np.log1p(-p)), rtol=1e-12)
    np.testing.assert_allclose(d.log_prob(L.tensor([1.0, 0.0, 1.0], dtype=L.float64)).numpy(),
                               np.log([0.3, 0.3, 0.01]), rtol=1e-12)
