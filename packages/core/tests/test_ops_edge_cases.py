"""Edge cases of core ops where PyTorch's behaviour is easy to miss: NaN, signed zeros and
infinities, empty slices, Python numbers meeting unsigned integers, float16 accumulation, ties in
gradients and the error cases. Values here are written out by hand (or from a formula);
``test_ops_edge_cases_oracle.py`` checks the same cases against PyTorch."""

import math

import numpy as np
import pytest

import lanterna

NAN, INF = math.nan, math.inf


def grad_of(fn, values, dtype=None, weights=None):
    """The gradient of ``sum(fn(x) * weights)`` with respect to a float64 ``x``."""
    x = lanterna.tensor(values, dtype=dtype or lanterna.float64, requires_grad=True)
    y = fn(x)
    w = lanterna.ones_like(y) if weights is None else lanterna.tensor(weights, dtype=y.dtype)
    (y * w).sum().backward()
    return x.grad.numpy()


def same(actual, expected):
    """Equal values, NaN where expected, and the sign of every zero."""
    a = np.asarray(actual.numpy() if hasattr(actual, "numpy") else actual, np.float64)
    e = np.asarray(expected, np.float64)
    assert a.shape == e.shape, (a, e)
    np.testing.assert_allclose(a, e, rtol=1e-6, atol=0, equal_nan=True)
    zeros = e == 0
    assert (np.signbit(a[zeros]) == np.signbit(e[zeros])).all(), (a, e)


# ---- unary ---------------------------------------------------------------------------------
def test_sign_of_nan_is_zero():
    for fn in (lanterna.sign, lanterna.sgn):
        same(fn(lanterna.tensor([NAN, -2.0, 0.0, 3.0])), [0.0, -1.0, 0.0, 1.0])
        same(fn(lanterna.tensor([NAN], dtype=lanterna.float16)), [0.0])


def test_abs_gradient_at_nan_is_zero():
    same(grad_of(lanterna.abs, [NAN, 2.0, -3.0, 0.0]), [0.0, 1.0, -1.0, 0.0])


def test_logit_gradient_is_nan_outside_unit_interval():
    same(grad_of(lanterna.logit, [-0.5, 1.5, 0.0, 1.0, 0.5]), [NAN, NAN, INF, INF, 4.0])
    # with eps, outside [eps, 1 - eps] the gradient is 0
    same(grad_of(lambda x: lanterna.logit(x, eps=0.0), [-0.5, 1.5, 0.5]), [0.0, 0.0, 4.0])


@pytest.mark.parametrize("name", ["floor", "ceil", "round", "trunc", "fix"])
def test_rounding_rejects_bool_and_keeps_integers(name):
    fn = getattr(lanterna, name)
    with pytest.raises(NotImplementedError, match="not implemented for 'Bool'"):
        fn(lanterna.tensor([True, False]))
    r = fn(lanterna.tensor([3, -2], dtype=lanterna.uint8 if name == "round" else lanterna.int64))
    assert r.dtype is (lanterna.uint8 if name == "round" else lanterna.int64)


def test_frac_rejects_integers_and_positive_rejects_bool():
    with pytest.raises(NotImplementedError, match="\"frac_cpu\" not implemented for 'Long'"):
        lanterna.frac(lanterna.tensor([3]))
    with pytest.raises(RuntimeError, match="operator, on a bool tensor is not supported"):
        lanterna.positive(lanterna.tensor([True]))


# ---- arithmetic ----------------------------------------------------------------------------
def test_number_divided_by_unsigned_tensor():
    u = lanterna.tensor([1, 2, 200], dtype=lanterna.uint8)
    for r in (lanterna.div(-3, u), lanterna.true_divide(-3, u), -3 / u):
        assert r.dtype is lanterna.float32
        same(r, [-3.0, -1.5, -0.015])


def test_float_ops_take_negative_numbers_before_unsigned_promotion():
    u = lanterna.tensor([0, 1, 7], dtype=lanterna.uint8)
    same(lanterna.copysign(u, -3), [-0.0, -1.0, -7.0])
    same(lanterna.xlogy(u, -3), [0.0, NAN, NAN])
    # a 0-dim int64 -1 with a uint8 tensor: the uint8 dtype wins, but the value is not wrapped to 255
    same(lanterna.atan2(u, lanterna.tensor(-1)), np.arctan2([0.0, 1.0, 7.0], -1.0).astype(np.float32))


def test_remainder_zero_keeps_dividend_sign():
    x = lanterna.tensor([-0.0, 0.0, 4.0, -4.0, 5.0])
    same(x % 2, [-0.0, 0.0, 0.0, -0.0, 1.0])
    same(x % -2, [-0.0, 0.0, 0.0, -0.0, -1.0])
    same(lanterna.remainder(-0.0, lanterna.tensor([2.0, -2.0])), [-0.0, -0.0])


def test_number_to_negative_integer_powers():
    same(2 ** lanterna.tensor([-7, 0, 3], dtype=lanterna.int8), [0, 1, 8])
    same(1 ** lanterna.tensor([-2, 3]), [1, 1])
    same((-1) ** lanterna.tensor([-3, -2]), [-1, 1])


def test_gradient_of_zero_to_a_tensor_power():
    # d(0^x)/dx = 0^x * log(0): 0 for x >= 0, -inf where 0^x is inf, NaN for a NaN exponent
    same(grad_of(lambda x: 0.0 ** x, [2.0, 0.0, -1.5, NAN]), [0.0, 0.0, -INF, NAN])


def test_xlogy_gradient_at_zero_x():
    x = lanterna.tensor([0.0, 0.0, 0.0, 1.0, NAN], dtype=lanterna.float64, requires_grad=True)
    y = lanterna.tensor([2.0, 0.0, -1.0, 0.0, 1.0], dtype=lanterna.float64)
    lanterna.xlogy(x, y).sum().backward()
    same(x.grad, [math.log(2.0), 0.0, 0.0, -INF, 0.0])


@pytest.mark.parametrize("name", ["logaddexp", "logaddexp2"])
def test_logaddexp_gradient_with_infinite_inputs(name):
    fn = getattr(lanterna, name)
    a = lanterna.tensor([INF, -INF, 1.0, INF], dtype=lanterna.float64, requires_grad=True)
    b = lanterna.tensor([1.0, 1.0, -INF, INF], dtype=lanterna.float64, requires_grad=True)
    fn(a, b).sum().backward()
    same(a.grad, [1.0, 0.0, 1.0, NAN])
    same(b.grad, [0.0, 1.0, 0.0, NAN])


def test_ldexp_keeps_the_promoted_float_dtype():
    h = lanterna.tensor([1e-5, 1.5], dtype=lanterna.float16)
    r = lanterna.ldexp(h, lanterna.tensor([20, 2]))
    assert r.dtype is lanterna.float16
    same(r, [10.5, 6.0])  # float16(1e-5) * 2 ** 20, exact: 2 ** 20 itself would overflow a half
    d = lanterna.tensor(1.5, dtype=lanterna.float64)
    assert lanterna.ldexp(d, lanterna.tensor([2])).dtype is lanterna.float64
    assert lanterna.ldexp(lanterna.tensor([1]), lanterna.tensor([2])).dtype is lanterna.float32


def test_lerp_tensor_weight_uses_two_sided_formula():
    r = lanterna.lerp(lanterna.tensor([-INF, 1.0, 2.0]), lanterna.tensor([1.0, INF, 3.0]),
                      lanterna.tensor([0.6, 0.2, 1.0]))
    same(r, [-INF, INF, 3.0])


def test_clamp_with_one_tensor_bound_gives_nan_no_gradient():
    x = lanterna.tensor([NAN, -1.0, 2.0], dtype=lanterna.float64, requires_grad=True)
    lo = lanterna.tensor([0.0, 0.0, 0.0], dtype=lanterna.float64, requires_grad=True)
    lanterna.clamp(x, lo).sum().backward()
    same(x.grad, [0.0, 0.0, 1.0])
    same(lo.grad, [0.0, 1.0, 0.0])
    x.grad = None
    hi = lanterna.tensor([1.0, 1.0, 1.0], dtype=lanterna.float64)
    lanterna.clamp(x, max=hi).sum().backward()
    same(x.grad, [0.0, 1.0, 0.0])


@pytest.mark.parametrize("fn", [
    lambda c, m: lanterna.addmm(c, m, m.t(), beta=0),
    lambda c, m: lanterna.baddbmm(c[None], m[None], m.t()[None], beta=0)[0],
    lambda c, m: lanterna.addr(c, m[0], m[1], beta=0),
], ids=["addmm", "baddbmm", "addr"])
def test_beta_zero_ignores_nan_input(fn):
    m = lanterna.tensor([[1.0, 2.0], [3.0, 4.0]])
    r = fn(lanterna.full((2, 2), NAN), m)
    assert not bool(r.isnan().any())


def test_addmv_beta_zero_ignores_nan_input():
    m = lanterna.tensor([[1.0, 2.0], [3.0, 4.0]])
    same(lanterna.addmv(lanterna.full((2,), NAN), m, m[0], beta=0), [5.0, 11.0])


# ---- creation ------------------------------------------------------------------------------
def test_python_floats_round_once_into_the_requested_dtype():
    assert lanterna.tensor(0.3, dtype=lanterna.float64).item() == 0.3
    assert lanterna.tensor([0.1, 0.3], dtype=lanterna.float64).tolist() == [0.1, 0.3]
    assert lanterna.scalar_tensor(0.3, dtype=lanterna.float64).item() == 0.3
    assert lanterna.tensor([16777217.0], dtype=lanterna.int64).item() == 16777217
    assert lanterna.tensor(0.3).dtype is lanterna.float32  # the default is unchanged
    x = lanterna.tensor([1.0], dtype=lanterna.float64)
    assert lanterna.where(x > 5, x, 0.1).item() == 0.1


# ---- reductions ----------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["amax", "amin"])
def test_amax_gradient_is_nan_for_a_nan_result(name):
    fn = getattr(lanterna, name)
    same(grad_of(lambda x: fn(x, 1), [[1.0, NAN, 2.0], [3.0, 3.0, 0.0 if name == "amax" else 5.0]]),
         [[NAN, NAN, NAN], [0.5, 0.5, 0.0]])
    # max() without dim shares a NaN result's gradient among the NaNs
    same(grad_of(lambda x: x.max() if name == "amax" else x.min(), [1.0, NAN, NAN]), [0.0, 0.5, 0.5])


def test_aminmax_gradient_is_nan_for_a_nan_result():
    same(grad_of(lambda x: lanterna.stack(lanterna.aminmax(x, dim=0)), [1.0, NAN]), [NAN, NAN])


def test_std_gradient_of_a_constant_slice_is_zero():
    same(grad_of(lambda x: x.std(1), [[2.0, 2.0, 2.0], [1.0, 2.0, 3.0]]),
         [[0.0, 0.0, 0.0], [-0.5, 0.0, 0.5]])


def test_var_gradient_with_correction_above_count():
    # PyTorch divides by n - correction even when it is negative
    same(grad_of(lambda x: x.var(0, correction=5), [1.0, 2.0, 6.0]), [2.0, 1.0, -3.0])


def test_float16_var_std_norm_accumulate_in_float32():
    h = lanterna.tensor([60000.0, 60000.0, 1.0], dtype=lanterna.float16)
    assert h.std().dtype is lanterna.float16 and math.isfinite(h.std().item())
    assert abs(h.std(correction=0).item() - np.std([60000.0, 60000.0, 1.0])) < 32
    n = lanterna.tensor([60000.0, 0.25], dtype=lanterna.float16).norm()
    assert n.dtype is lanterna.float16 and n.item() == 60000.0


def test_inf_norm_gradient_with_nan():
    same(grad_of(lambda x: lanterna.linalg.vector_norm(x, INF, dim=1), [[1.0, -3.0], [NAN, 2.0]]),
         [[0.0, -1.0], [0.0, 0.0]])


def test_logsumexp_of_an_empty_slice_is_minus_inf():
    same(lanterna.logsumexp(lanterna.zeros(0, 3), 0), [-INF, -INF, -INF])
    assert lanterna.logsumexp(lanterna.zeros(0, 3), 1).shape == (0,)


def test_logcumsumexp_of_empty_backward():
    x = lanterna.zeros(0, 3, dtype=lanterna.float64, requires_grad=True)
    lanterna.logcumsumexp(x, 0).sum().backward()
    assert x.grad.shape == (0, 3)


def test_median_with_nan_is_nan():
    x = lanterna.tensor([[1.0, NAN, 2.0, NAN], [3.0, 1.0, 2.0, 0.0]])
    r = lanterna.median(x, 1)
    same(r.values, [NAN, 1.0])
    assert r.indices.tolist() == [1, 1]  # the first NaN
    assert math.isnan(lanterna.median(x).item())
    same(grad_of(lanterna.median, [1.0, NAN, 3.0, NAN]), [0.0, 0.5, 0.0, 0.5])


def test_quantile_interpolates_towards_infinities():
    x = lanterna.tensor([[0.5, 0.25, -INF], [1.0, 2.0, INF]], dtype=lanterna.float64)
    same(lanterna.quantile(x, 0.3, dim=1), [-INF, 1.6])
    assert lanterna.nanquantile(lanterna.tensor([1.0, NAN, 2.0], dtype=lanterna.float64), 0.3).item() == 1.3


def test_unique_keeps_every_nan():
    u, inv, counts = lanterna.unique(lanterna.tensor([NAN, 1.0, NAN, 2.0, 1.0]), return_inverse=True,
                                     return_counts=True)
    same(u, [1.0, 2.0, NAN, NAN])
    assert inv.tolist() == [2, 0, 3, 1, 0] and counts.tolist() == [2, 1, 1, 1]


# ---- indexing ------------------------------------------------------------------------------
def test_gather_and_index_select_reject_negative_indices():
    x = lanterna.arange(6.0).reshape(2, 3)
    with pytest.raises(RuntimeError, match="index -1 is out of bounds for dimension 1 with size 3"):
        x.gather(1, lanterna.tensor([[0, -1]]))
    with pytest.raises(IndexError, match="index out of range in self"):
        x.index_select(1, lanterna.tensor([-1]))


@pytest.mark.parametrize("how", ["scatter_reduce", "index_reduce"])
def test_amax_reduce_excluding_self_still_counts_equal_self_in_ties(how):
    # the input's 1.0 ties with the source's 1.0: PyTorch splits the gradient two ways even though
    # include_self=False leaves the input out of the result
    src = lanterna.tensor([[1.0, 0.0]], dtype=lanterna.float64, requires_grad=True)
    base = lanterna.ones(1, 2, dtype=lanterna.float64)
    if how == "scatter_reduce":
        out = base.scatter_reduce(1, lanterna.tensor([[0, 1]]), src, "amax", include_self=False)
    else:
        out = base.index_reduce(1, lanterna.tensor([0, 1]), src, "amax", include_self=False)
    out.sum().backward()
    same(src.grad, [[0.5, 1.0]])
