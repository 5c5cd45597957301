"""``lanterna.distributions`` against ``torch.distributions`` (PyTorch 2.13, CPU): shapes, moments,
log_prob/cdf/entropy, support and expand, validation errors, and samples under a seed."""

from __future__ import annotations

import numpy as np
import pytest

import lanterna as L
import lanterna.distributions as LD

pytestmark = pytest.mark.oracle
torch = pytest.importorskip("torch")
TD = torch.distributions

COV = [[2.0, 0.5], [0.5, 1.0]]

# name -> (constructor taking (module, distributions module), a valid value as a list)
CASES = {
    "normal": (lambda m, D: D.Normal(m.tensor([0.0, 1.0]), m.tensor([1.0, 2.0])), [0.5, -1.0]),
    "normal_scalar": (lambda m, D: D.Normal(0.0, 1.0), 0.3),
    "normal_f64": (lambda m, D: D.Normal(m.tensor([0.0, 1.0], dtype=m.float64), 2.0), 0.3),
    "uniform": (lambda m, D: D.Uniform(m.tensor([0.0, 1.0]), m.tensor([1.0, 3.0])), [0.5, 2.9]),
    "bernoulli": (lambda m, D: D.Bernoulli(m.tensor([0.3, 0.7])), [1.0, 0.0]),
    "bernoulli_logits": (lambda m, D: D.Bernoulli(logits=m.tensor([0.3, -0.7])), [1.0, 0.0]),
    "categorical": (lambda m, D: D.Categorical(m.tensor([[0.2, 0.3, 0.5], [0.1, 0.1, 0.8]])), [2, 0]),
    "categorical_logits": (lambda m, D: D.Categorical(logits=m.tensor([0.2, 0.3, -0.5])), 1),
    "exponential": (lambda m, D: D.Exponential(m.tensor([0.5, 2.0])), [0.5, 1.0]),
    "exponential_scalar": (lambda m, D: D.Exponential(1.5), 0.3),
    "laplace": (lambda m, D: D.Laplace(m.tensor([0.0, 1.0]), m.tensor([1.0, 2.0])), [0.5, -1.0]),
    "onehot": (lambda m, D: D.OneHotCategorical(m.tensor([[0.2, 0.3, 0.5], [0.1, 0.1, 0.8]])),
               [[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]]),
    "mvn_cov": (lambda m, D: D.MultivariateNormal(m.tensor([0.0, 1.0]), covariance_matrix=m.tensor(COV)), [0.5, 0.2]),
    "mvn_tril": (lambda m, D: D.MultivariateNormal(m.tensor([[0.0, 1.0], [1.0, 2.0]]),
                                                   scale_tril=m.linalg.cholesky(m.tensor(COV))), [[0.5, 0.2], [1.0, 1.0]]),
    "mvn_prec": (lambda m, D: D.MultivariateNormal(m.tensor([0.0, 1.0]), precision_matrix=m.tensor(COV)),
                 [[0.5, 0.2], [0.1, 0.1], [3.0, -1.0]]),
}


def pair(name):
    make, value = CASES[name]
    return make(L, LD), make(torch, TD), value


def close(ours, theirs, rtol=1e-5, atol=1e-6):
    assert tuple(ours.shape) == tuple(theirs.shape)
    assert str(ours.dtype) == str(theirs.dtype)
    np.testing.assert_allclose(ours.numpy(), theirs.detach().numpy(), rtol=rtol, atol=atol)


def value_of(m, d, value):
    dtype = m.int64 if isinstance(value, int) or (isinstance(value, list) and isinstance(value[0], int)) else None
    return m.tensor(value, dtype=dtype)


@pytest.mark.parametrize("name", CASES)
def test_shapes_moments_and_densities(name):
    ours, theirs, value = pair(name)
    assert tuple(ours.batch_shape) == tuple(theirs.batch_shape)
    assert tuple(ours.event_shape) == tuple(theirs.event_shape)
    assert repr(ours) == repr(theirs)
    assert repr(ours.support) == repr(theirs.support)
    assert ours.has_rsample == theirs.has_rsample
    for attr in ("mean", "variance", "stddev", "mode"):
        a, b = getattr(ours, attr), getattr(theirs, attr)
        assert tuple(a.shape) == tuple(b.shape) and str(a.dtype) == str(b.dtype), attr
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-5, atol=1e-6, equal_nan=True)
    close(ours.entropy(), theirs.entropy())
    close(ours.log_prob(value_of(L, ours, value)), theirs.log_prob(value_of(torch, theirs, value)))
    try:
        expect = theirs.cdf(value_of(torch, theirs, value))
    except NotImplementedError:
        with pytest.raises(NotImplementedError):
            ours.cdf(value_of(L, ours, value))
    else:
        close(ours.cdf(value_of(L, ours, value)), expect)


@pytest.mark.parametrize("name", CASES)
@pytest.mark.parametrize("sample_shape", [(), (3,), (2, 2)])
def test_samples_under_a_seed(name, sample_shape):
    ours, theirs, _ = pair(name)
    for method in ("sample", "rsample"):
        if method == "rsample" and not theirs.has_rsample:
            continue
        L.manual_seed(5)
        torch.manual_seed(5)
        a = getattr(ours, method)(L.Size(sample_shape))
        b = getattr(theirs, method)(torch.Size(sample_shape))
        close(a, b, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("name", CASES)
def test_expand_and_enumerate_support(name):
    ours, theirs, value = pair(name)
    shape = (3,) + tuple(theirs.batch_shape)
    a, b = ours.expand(shape), theirs.expand(torch.Size(shape))
    assert tuple(a.batch_shape) == tuple(b.batch_shape) and type(a) is type(ours)
    close(a.log_prob(value_of(L, a, value)), b.log_prob(value_of(torch, b, value)))
    close(a.mean, b.mean) if not name.startswith("categorical") else None
    if theirs.has_enumerate_support:
        for expand in (True, False):
            close(ours.enumerate_support(expand), theirs.enumerate_support(expand))
    else:
        with pytest.raises(NotImplementedError):
            ours.enumerate_support()


@pytest.mark.parametrize("name", CASES)
def test_kl_with_itself_is_zero(name):
    ours, theirs, _ = pair(name)
    close(LD.kl_divergence(ours, pair(name)[0]), TD.kl_divergence(theirs, pair(name)[1]))


def test_kl_between_different_parameters():
    for make in (lambda m, D: (D.Laplace(m.tensor([0.0, 1.0]), 1.0), D.Laplace(1.0, m.tensor([2.0, 3.0]))),
                 lambda m, D: (D.Exponential(m.tensor([0.5, 2.0])), D.Exponential(1.5)),
                 lambda m, D: (D.MultivariateNormal(m.tensor([0.0, 0.0]), m.tensor(COV)),
                               D.MultivariateNormal(m.tensor([[1.0, 0.0], [0.0, 1.0]]), scale_tril=m.eye(2)))):
        close(LD.kl_divergence(*make(L, LD)), TD.kl_divergence(*make(torch, TD)))


BAD = [
    lambda m, D: D.Normal(m.tensor([0.0]), m.tensor([-1.0])),
    lambda m, D: D.Normal(0.0, 1.0).log_prob(m.tensor([1.0, float("nan")])),
    lambda m, D: D.Uniform(m.tensor(1.0), m.tensor(0.0)),
    lambda m, D: D.Uniform(0.0, 1.0).log_prob(m.tensor(2.0)),
    lambda m, D: D.Bernoulli(m.tensor(0.5)).log_prob(m.tensor(0.5)),
    lambda m, D: D.Categorical(m.tensor([0.5, 0.5])).log_prob(m.tensor(2)),
    lambda m, D: D.Exponential(m.tensor([-1.0])),
    lambda m, D: D.Exponential(m.tensor([1.0])).log_prob(m.tensor([-1.0])),
    lambda m, D: D.Laplace(0.0, -1.0),
    lambda m, D: D.OneHotCategorical(m.tensor([0.5, 0.5])).log_prob(m.tensor([0.5, 0.5])),
    lambda m, D: D.OneHotCategorical(m.tensor([0.5, 0.5])).log_prob(m.tensor([1.0, 0.0, 0.0])),
    lambda m, D: D.MultivariateNormal(m.tensor(0.0), m.tensor(COV)),
    lambda m, D: D.MultivariateNormal(m.tensor([0.0, 0.0])),
    lambda m, D: D.MultivariateNormal(m.tensor([0.0, 0.0]), m.tensor([1.0, 1.0])),
    lambda m, D: D.MultivariateNormal(m.tensor([0.0, 0.0]), m.tensor([[1.0, 2.0], [2.0, 1.0]])),
    lambda m, D: D.MultivariateNormal(m.tensor([0.0, 0.0]), scale_tril=m.tensor([[1.0, 2.0], [0.0, 1.0]])),
    lambda m, D: D.MultivariateNormal(m.tensor([0.0, 0.0]), m.tensor(COV)).log_prob(m.tensor([1.0, 2.0, 3.0])),
]


@pytest.mark.parametrize("make", BAD)
def test_validation_errors_match(make):
    with pytest.raises(ValueError) as theirs:
        make(torch, TD)
    with pytest.raises(ValueError) as ours:
        make(L, LD)
    assert str(ours.value).splitlines()[0] == str(theirs.value).splitlines()[0]


def test_validation_can_be_switched_off():
    for m, D in ((L, LD), (torch, TD)):
        assert D.Normal(m.tensor([0.0]), m.tensor([-1.0]), validate_args=False).scale.tolist() == [-1.0]
        lp = D.Uniform(0.0, 1.0, validate_args=False).log_prob(m.tensor(2.0))
        assert lp.item() == float("-inf")
