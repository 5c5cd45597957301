"""PyTorch as the oracle for test_api_gaps.py: distributions (values, gradients, samples under a
seed), fft helpers, assert_close messages, GradScaler's scale trajectory and dtype facts."""

import math

import numpy as np
import pytest

import lanterna

pytestmark = pytest.mark.oracle
torch = pytest.importorskip("torch")


def _np(t):
    return t.detach().cpu().numpy() if isinstance(t, torch.Tensor) else t.detach().numpy()


@pytest.mark.parametrize("name", ["bfloat16", "complex64", "complex128", "cfloat", "cdouble", "chalf", "uint16",
                                  "uint32", "uint64", "float8_e4m3fn", "float8_e5m2"])
def test_dtype_facts(name):
    t, lt = getattr(torch, name), getattr(lanterna, name)
    assert repr(lt) == repr(t)
    assert (lt.is_floating_point, lt.is_complex, lt.is_signed, lt.itemsize) == \
        (t.is_floating_point, t.is_complex, t.is_signed, t.itemsize)


def test_finfo_bfloat16():
    t, lt = torch.finfo(torch.bfloat16), lanterna.finfo(lanterna.bfloat16)
    for attr in ("bits", "eps", "max", "min", "tiny", "smallest_normal", "resolution"):
        assert getattr(lt, attr) == getattr(t, attr), attr


def _pair(make, *args):
    """The same distribution in both libraries, from float64 NumPy parameters."""
    lt_args = [lanterna.tensor(a, dtype=lanterna.float32, requires_grad=True) for a in args]
    t_args = [torch.tensor(a, dtype=torch.float32, requires_grad=True) for a in args]
    return make(lanterna.distributions, lt_args), make(torch.distributions, t_args), lt_args, t_args


CASES = {
    "Normal": (lambda D, a: D.Normal(*a), [[0.0, 1.5, -2.0], [1.0, 0.5, 3.0]], [0.3, 1.0, -4.0]),
    "Uniform": (lambda D, a: D.Uniform(*a), [[0.0, -1.0, 2.0], [1.0, 2.0, 5.0]], [0.5, 1.9, 2.0]),
    "Bernoulli_probs": (lambda D, a: D.Bernoulli(probs=a[0]), [[0.1, 0.5, 0.9]], [1.0, 0.0, 1.0]),
    "Bernoulli_logits": (lambda D, a: D.Bernoulli(logits=a[0]), [[-3.0, 0.0, 2.0]], [0.0, 1.0, 1.0]),
    "Categorical_probs": (lambda D, a: D.Categorical(probs=a[0]), [[[0.2, 0.3, 0.5], [0.6, 0.3, 0.1]]], [2, 0]),
    "Categorical_logits": (lambda D, a: D.Categorical(logits=a[0]), [[[1.0, -1.0, 0.5], [0.0, 2.0, 0.1]]], [1, 2]),
}


@pytest.mark.parametrize("case", list(CASES))
def test_distribution_values_and_gradients(case):
    make, params, value = CASES[case]
    ld, td, la, ta = _pair(make, *params)
    is_cat = case.startswith("Categorical")
    lv = lanterna.tensor(value) if is_cat else lanterna.tensor(value, dtype=lanterna.float32)
    tv = torch.tensor(value) if is_cat else torch.tensor(value, dtype=torch.float32)
    assert tuple(ld.batch_shape) == tuple(td.batch_shape) and tuple(ld.event_shape) == tuple(td.event_shape)
    assert repr(ld) == repr(td)
    lo = ld.log_prob(lv) + ld.entropy()
    to = td.log_prob(tv) + td.entropy()
    np.testing.assert_allclose(_np(lo), _np(to), rtol=1e-5, atol=1e-6)
    lo.sum().backward()
    to.sum().backward()
    for a, b in zip(la, ta):
        np.testing.assert_allclose(_np(a.grad), _np(b.grad), rtol=1e-5, atol=1e-6)
    for attr in ("mean", "variance", "stddev", "mode"):
        np.testing.assert_allclose(_np(getattr(ld, attr)), _np(getattr(td, attr)), rtol=1e-6, atol=1e-7)
    if case in ("Normal", "Uniform"):
        np.testing.assert_allclose(_np(ld.cdf(lv)), _np(td.cdf(tv)), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("case", list(CASES))
def test_samples_follow_torch_stream(case):
    make, params, _ = CASES[case]
    ld, td, _, _ = _pair(make, *params)
    lanterna.manual_seed(7)
    torch.manual_seed(7)
    ls, ts = ld.sample((4,)), td.sample((4,))
    assert tuple(ls.shape) == tuple(ts.shape) and str(ls.dtype) == str(ts.dtype)
    np.testing.assert_allclose(_np(ls), _np(ts), rtol=1e-6)
    if td.has_rsample:
        np.testing.assert_allclose(_np(ld.rsample((2,))), _np(td.rsample((2,))), rtol=1e-6)


@pytest.mark.parametrize("case", list(CASES))
def test_kl_divergence(case):
    make, params, _ = CASES[case]
    shifted = [list(np.asarray(p) * 0.5 + (0.25 if not case.startswith("Categorical") else 0.1)) for p in params]
    if case == "Uniform":
        shifted = [[-1.0, -2.0, 1.0], [2.0, 3.0, 6.0]]
    lp, tp, _, _ = _pair(make, *params)
    lq, tq, _, _ = _pair(make, *shifted)
    np.testing.assert_allclose(_np(lanterna.distributions.kl_divergence(lp, lq)),
                               _np(torch.distributions.kl_divergence(tp, tq)), rtol=1e-5, atol=1e-6)


def test_validation_message():
    with pytest.raises(ValueError) as t:
        torch.distributions.Normal(0.0, -1.0)
    with pytest.raises(ValueError) as lt:
        lanterna.distributions.Normal(0.0, -1.0)
    assert str(lt.value) == str(t.value)


@pytest.mark.parametrize("n", [1, 4, 5, 8])
def test_fft_helpers(n):
    np.testing.assert_allclose(_np(lanterna.fft.fftfreq(n, 0.3)), _np(torch.fft.fftfreq(n, 0.3)), rtol=1e-6)
    np.testing.assert_allclose(_np(lanterna.fft.rfftfreq(n, 0.3)), _np(torch.fft.rfftfreq(n, 0.3)), rtol=1e-6)
    x = np.arange(n * 3, dtype=np.float32).reshape(n, 3)
    for dim in (None, 0, (0, 1), -1):
        assert np.array_equal(_np(lanterna.fft.fftshift(lanterna.tensor(x), dim=dim)),
                              _np(torch.fft.fftshift(torch.tensor(x), dim=dim)))
        assert np.array_equal(_np(lanterna.fft.ifftshift(lanterna.tensor(x), dim=dim)),
                              _np(torch.fft.ifftshift(torch.tensor(x), dim=dim)))


@pytest.mark.parametrize("actual,expected,kwargs", [
    ([1.0, 2.0], [1.0, 2.5], {}),
    ([1.0, 2.0, 3.0], [1.0, 2.0, 3.1], {}),
    ([[1.0, 2.0], [3.0, 4.0]], [[1.5, 2.0], [3.0, 4.0]], {"rtol": 0.1, "atol": 0.0}),
    ([1.0], [1.2], {}),
    ([1, 2, 3], [1, 2, 4], {}),
])
def test_assert_close_messages(actual, expected, kwargs):
    with pytest.raises(AssertionError) as t:
        torch.testing.assert_close(torch.tensor(actual), torch.tensor(expected), **kwargs)
    with pytest.raises(AssertionError) as lt:
        lanterna.testing.assert_close(lanterna.tensor(actual), lanterna.tensor(expected), **kwargs)
    first = lambda s: s.splitlines()[:3]  # noqa: E731  (the difference lines print floats alike)
    assert first(str(lt.value)) == first(str(t.value))


@pytest.mark.parametrize("actual,expected", [(1.0, 1.2), (3, 4), ("tensor", 1.5), ("tensor", 2.5)])
def test_assert_close_scalar_messages(actual, expected):
    if actual == "tensor":
        t_args, l_args = (torch.tensor(1.0), torch.tensor(expected)), (lanterna.tensor(1.0), lanterna.tensor(expected))
    else:
        t_args = l_args = (actual, expected)
    with pytest.raises(AssertionError) as t:
        torch.testing.assert_close(*t_args)
    with pytest.raises(AssertionError) as lt:
        lanterna.testing.assert_close(*l_args)
    assert str(lt.value) == str(t.value)


def test_assert_close_dtype_and_shape_messages():
    for a, b in (((2,), (3,)),):
        with pytest.raises(AssertionError) as t:
            torch.testing.assert_close(torch.ones(a), torch.ones(b))
        with pytest.raises(AssertionError) as lt:
            lanterna.testing.assert_close(lanterna.ones(a), lanterna.ones(b))
        assert str(lt.value) == str(t.value)
    with pytest.raises(AssertionError) as t:
        torch.testing.assert_close(torch.ones(2), torch.ones(2, dtype=torch.float64))
    with pytest.raises(AssertionError) as lt:
        lanterna.testing.assert_close(lanterna.ones(2), lanterna.ones(2, dtype=lanterna.float64))
    assert str(lt.value) == str(t.value)


def test_grad_scaler_trajectory():
    """Same scale after each update and same weights, with an inf gradient on some steps."""
    import lanterna.nn as lnn
    import lanterna.optim as loptim

    w0 = np.array([[0.5, -0.25, 1.0]], dtype=np.float32)
    lw = lnn.Parameter(lanterna.tensor(w0))
    tw = torch.nn.Parameter(torch.tensor(w0))
    lopt, topt = loptim.SGD([lw], lr=0.1), torch.optim.SGD([tw], lr=0.1)
    lsc = lanterna.amp.GradScaler("cpu", init_scale=64.0, growth_interval=2)
    tsc = torch.amp.GradScaler("cpu", init_scale=64.0, growth_interval=2)
    x = np.array([[1.0, 2.0, 3.0]], dtype=np.float32)
    for step in range(6):
        for w, opt, sc, lib in ((lw, lopt, lsc, lanterna), (tw, topt, tsc, torch)):
            opt.zero_grad()
            sc.scale((w * lib.tensor(x)).sum() ** 2).backward()
            if step in (2, 3):
                w.grad[0, 1] = math.inf
            sc.step(opt)
            sc.update()
        assert lsc.get_scale() == tsc.get_scale(), step
        np.testing.assert_allclose(_np(lw), _np(tw), rtol=1e-6)
    assert lsc.state_dict() == tsc.state_dict()
