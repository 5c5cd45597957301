"""PyTorch as the oracle for the edge cases of test_ops_edge_cases.py: values (NaN, the sign of
zeros, infinities), dtypes, shapes, gradients and which calls raise. Skipped where torch is not
installed."""

import math

import numpy as np
import pytest

import lanterna

pytestmark = pytest.mark.oracle
torch = pytest.importorskip("torch")

NAN, INF = math.nan, math.inf


def _np(t):
    return t.detach().numpy(force=True) if isinstance(t, torch.Tensor) else t.detach().numpy()


def assert_same(mine, theirs):
    """Same dtype, shape, values (NaN where NaN) and sign of every zero."""
    if isinstance(theirs, (tuple, list)):
        assert len(mine) == len(theirs)
        for m, t in zip(mine, theirs):
            assert_same(m, t)
        return
    assert repr(mine.dtype) == str(theirs.dtype), (mine.dtype, theirs.dtype)
    assert tuple(mine.shape) == tuple(theirs.shape)
    a, e = _np(mine), _np(theirs)
    if e.dtype.kind == "f":
        a, e = a.astype(np.float64), e.astype(np.float64)
        np.testing.assert_allclose(a, e, rtol=1e-6, atol=1e-12, equal_nan=True)
        zeros = e == 0
        assert (np.signbit(a[zeros]) == np.signbit(e[zeros])).all(), (a, e)
    else:
        np.testing.assert_array_equal(a, e)


# each case: f(lib) -> tensor(s)
VALUE_CASES = {
    "sign_nan": lambda T: T.sign(T.tensor([NAN, -2.0, -0.0, 3.0])),
    "sgn_nan_half": lambda T: T.sgn(T.tensor([NAN, -1.0], dtype=T.float16)),
    "div_number_by_uint8": lambda T: T.div(-3, T.tensor([1, 2, 200], dtype=T.uint8)),
    "true_divide_number_by_uint8": lambda T: T.true_divide(-3, T.tensor([0, 7], dtype=T.uint8)),
    "copysign_uint8_negative_number": lambda T: T.copysign(T.tensor([0, 1, 7], dtype=T.uint8), -3),
    "xlogy_uint8_negative_number": lambda T: T.xlogy(T.tensor([0, 1, 7], dtype=T.uint8), -3),
    "atan2_uint8_negative_0dim": lambda T: T.atan2(T.tensor([0, 1, 7], dtype=T.uint8), T.tensor(-1)),
    "copysign_uint8_negative_0dim": lambda T: T.copysign(T.tensor([0, 1, 7], dtype=T.uint8), T.tensor(-1)),
    "remainder_signed_zero": lambda T: T.tensor([-0.0, 0.0, 4.0, -4.0, 5.0]) % 2,
    "remainder_negative_divisor": lambda T: T.tensor([-0.0, 0.0, 4.0, -4.0, 5.0]) % -2,
    "remainder_number_first": lambda T: T.remainder(-0.0, T.tensor([2.0, -2.0])),
    "remainder_half": lambda T: T.remainder(T.tensor([-0.0, 3.0], dtype=T.float16), 3),
    "number_pow_negative_int": lambda T: 2 ** T.tensor([-7, 0, 3], dtype=T.int8),
    "minus_one_pow_negative_int": lambda T: (-1) ** T.tensor([-3, -2, 5]),
    "ldexp_half_int": lambda T: T.ldexp(T.tensor([1e-5, 1.5], dtype=T.float16), T.tensor([20, 2])),
    "ldexp_half_uint8": lambda T: T.ldexp(T.tensor([1.5], dtype=T.float16), T.tensor([2], dtype=T.uint8)),
    "ldexp_double_scalar": lambda T: T.ldexp(T.tensor(1.5, dtype=T.float64), T.tensor([2], dtype=T.uint8)),
    "lerp_tensor_weight_inf": lambda T: T.lerp(T.tensor([-INF, 1.0, 2.0]), T.tensor([1.0, INF, 3.0]),
                                               T.tensor([0.6, 0.2, 1.0])),
    "addmm_beta0_nan": lambda T: T.addmm(T.full((2, 2), NAN), T.tensor([[1.0, 2.0], [3.0, 4.0]]),
                                         T.tensor([[1.0, 0.0], [0.0, 1.0]]), beta=0),
    "addmv_beta0_nan": lambda T: T.addmv(T.full((2,), NAN), T.tensor([[1.0, 2.0], [3.0, 4.0]]),
                                         T.tensor([1.0, 1.0]), beta=0),
    "baddbmm_beta0_nan": lambda T: T.baddbmm(T.full((1, 2, 2), NAN), T.ones(1, 2, 3), T.ones(1, 3, 2),
                                             beta=0),
    "addbmm_beta0_nan": lambda T: T.addbmm(T.full((2, 2), NAN), T.ones(2, 2, 3), T.ones(2, 3, 2), beta=0),
    "addr_beta0_nan": lambda T: T.addr(T.full((2, 2), NAN), T.tensor([1.0, 2.0]), T.tensor([3.0, 4.0]),
                                       beta=0),
    "tensor_double_from_python_float": lambda T: T.tensor([0.1, 0.3], dtype=T.float64),
    "scalar_tensor_double": lambda T: T.scalar_tensor(0.3, dtype=T.float64),
    "tensor_int_from_large_float": lambda T: T.tensor([16777217.0], dtype=T.int64),
    "where_double_python_float": lambda T: T.where(T.tensor([False]), T.tensor([1.0], dtype=T.float64), 0.1),
    "std_half_large": lambda T: T.tensor([[1.5, 6e4, 6e4], [0.5, 0.25, -1.0]], dtype=T.float16).std(1),
    "std_half_squares_overflow": lambda T: T.tensor([300.0, -300.0, 1.0], dtype=T.float16).std(),
    "norm_half_large": lambda T: T.tensor([[1.5, 60000.0], [0.5, 0.25]], dtype=T.float16).norm(dim=0),
    "logsumexp_empty_dim": lambda T: T.logsumexp(T.zeros(0, 3), 0),
    "logsumexp_empty_other_dim": lambda T: T.logsumexp(T.zeros(0, 3), 1),
    "median_dim_nan": lambda T: tuple(T.median(T.tensor([[1.0, NAN, 2.0, NAN], [3.0, 1.0, 2.0, 0.0]]), 1)),
    "median_dim0_nan": lambda T: tuple(T.median(T.tensor([[1.0, NAN], [3.0, 1.0], [NAN, NAN]]), 0)),
    "median_all_nan": lambda T: T.median(T.tensor([1.0, NAN, 2.0])),
    "quantile_minus_inf": lambda T: T.quantile(
        T.tensor([[0.5, 0.25, -INF], [1.0, 2.0, INF]], dtype=T.float64), 0.3, dim=1),
    "nanquantile_double": lambda T: T.nanquantile(T.tensor([1.0, NAN, 2.0], dtype=T.float64), 0.3),
    "unique_nan": lambda T: T.unique(T.tensor([NAN, 1.0, NAN, 2.0, 1.0]), return_inverse=True,
                                     return_counts=True),
}


@pytest.mark.parametrize("name", list(VALUE_CASES))
def test_values_match_torch(name):
    f = VALUE_CASES[name]
    assert_same(f(lanterna), f(torch))


# bit for bit: a Python float rounded through float32 first is only ~1e-8 off
EXACT_CASES = ["tensor_double_from_python_float", "scalar_tensor_double", "tensor_int_from_large_float",
               "where_double_python_float", "nanquantile_double"]


@pytest.mark.parametrize("name", EXACT_CASES)
def test_values_match_torch_exactly(name):
    f = VALUE_CASES[name]
    mine, theirs = f(lanterna), f(torch)
    assert repr(mine.dtype) == str(theirs.dtype) and mine.tolist() == theirs.tolist()


# each case: (f(lib, x) -> tensor, x values); the gradient of sum(f(x) * w) for float64 x
GRAD_CASES = {
    "abs_nan": (lambda T, x: x.abs(), [NAN, 2.0, -3.0, 0.0]),
    "logit_outside": (lambda T, x: T.logit(x), [-0.5, 1.5, 0.0, 1.0, 0.5]),
    "logit_eps_zero": (lambda T, x: T.logit(x, eps=0.0), [-0.5, 1.5, 0.5]),
    "zero_pow_tensor": (lambda T, x: 0.0 ** x, [2.0, 0.0, -1.5, NAN]),
    "xlogy_zero_x": (lambda T, x: T.xlogy(x, T.tensor([2.0, 0.0, -1.0, 0.0, 1.0], dtype=T.float64)),
                     [0.0, 0.0, 0.0, 1.0, NAN]),
    "logaddexp_inf": (lambda T, x: T.logaddexp(x, T.tensor([1.0, 1.0, -INF], dtype=T.float64)),
                      [INF, -INF, 1.0]),
    "logaddexp_inf_other": (lambda T, x: T.logaddexp(T.tensor([INF, 1.0], dtype=T.float64), x), [1.0, -INF]),
    "logaddexp2_inf": (lambda T, x: T.logaddexp2(x, T.tensor([1.0, 1.0, -INF], dtype=T.float64)),
                       [INF, -INF, 1.0]),
    "clamp_min_tensor_nan": (lambda T, x: T.clamp(x, T.zeros(3, dtype=T.float64)), [NAN, -1.0, 2.0]),
    "clamp_max_tensor_nan": (lambda T, x: T.clamp(x, max=T.ones(3, dtype=T.float64)), [NAN, -1.0, 2.0]),
    "clamp_min_bound_grad": (lambda T, x: T.clamp(T.tensor([NAN, -1.0, 2.0], dtype=T.float64), x),
                             [0.0, 0.0, 0.0]),
    "amax_nan": (lambda T, x: T.amax(x, 1), [[1.0, NAN, 2.0], [3.0, 3.0, 0.0]]),
    "amin_nan_all": (lambda T, x: T.amin(x), [[1.0, NAN], [-1.0, -1.0]]),
    "aminmax_nan": (lambda T, x: T.stack(tuple(T.aminmax(x, dim=0))), [[1.0, NAN], [2.0, 0.0]]),
    "max_nan_all": (lambda T, x: x.max(), [1.0, NAN, NAN]),
    "std_constant_slice": (lambda T, x: x.std(1), [[2.0, 2.0, 2.0], [1.0, 2.0, 3.0]]),
    "std_mean_constant_slice": (lambda T, x: T.std_mean(x, 1)[0], [[2.0, 2.0, 2.0], [1.0, 2.0, 3.0]]),
    "var_correction_above_count": (lambda T, x: x.var(0, correction=5), [1.0, 2.0, 6.0]),
    "inf_norm_nan": (lambda T, x: T.linalg.vector_norm(x, INF, dim=1), [[1.0, -3.0], [NAN, 2.0]]),
    "median_all_nan": (lambda T, x: T.median(x), [1.0, NAN, 3.0, NAN]),
    "median_dim_nan": (lambda T, x: T.median(x, 1).values, [[1.0, NAN, 3.0], [2.0, 1.0, 0.0]]),
    "quantile_inf": (lambda T, x: T.quantile(x, 0.3, dim=1), [[0.5, 0.25, -INF], [1.0, 2.0, 3.0]]),
    "scatter_reduce_amax_exclude_self": (
        lambda T, x: T.ones(1, 3, dtype=T.float64).scatter_reduce(1, T.tensor([[0, 1, 1]]), x, "amax",
                                                                   include_self=False), [[1.0, 0.0, 0.0]]),
    "scatter_reduce_amin_exclude_self_base": (
        lambda T, x: x.scatter_reduce(1, T.tensor([[0, 0]]), T.tensor([[1.0, 3.0]], dtype=T.float64), "amin",
                                      include_self=False), [[1.0, 2.0]]),
    "index_reduce_amax_exclude_self": (
        lambda T, x: T.ones(3, dtype=T.float64).index_reduce(0, T.tensor([0, 1, 1]), x, "amax",
                                                             include_self=False),
        [1.0, 0.0, 0.0]),
}


@pytest.mark.parametrize("name", list(GRAD_CASES))
def test_gradients_match_torch(name):
    f, values = GRAD_CASES[name]
    outs, grads = [], []
    for T in (lanterna, torch):
        x = T.tensor(values, dtype=T.float64, requires_grad=True)
        y = f(T, x)
        w = T.linspace(0.5, 1.5, y.numel(), dtype=T.float64).reshape(y.shape)
        (y * w).sum().backward()
        outs.append(y.detach())
        grads.append(x.grad)
    assert_same(*outs)
    assert_same(*grads)


ERROR_CASES = {
    "floor_bool": lambda T: T.floor(T.tensor([True])),
    "ceil_bool": lambda T: T.ceil(T.tensor([True])),
    "round_bool": lambda T: T.round(T.tensor([True])),
    "trunc_bool": lambda T: T.trunc(T.tensor([True])),
    "fix_bool": lambda T: T.fix(T.tensor([False])),
    "frac_int": lambda T: T.frac(T.tensor([3])),
    "frac_uint8": lambda T: T.frac(T.tensor([3], dtype=T.uint8)),
    "positive_bool": lambda T: T.positive(T.tensor([True])),
    "gather_negative_index": lambda T: T.arange(6.0).reshape(2, 3).gather(1, T.tensor([[0, -1]])),
    "index_select_negative_index": lambda T: T.arange(6.0).reshape(2, 3).index_select(0, T.tensor([-1])),
}


@pytest.mark.parametrize("name", list(ERROR_CASES))
def test_both_raise(name):
    f = ERROR_CASES[name]
    with pytest.raises(Exception) as theirs:
        f(torch)
    with pytest.raises(type(theirs.value)) as mine:
        f(lanterna)
    assert str(mine.value) == str(theirs.value)
