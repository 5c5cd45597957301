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


# ---- numbers where only tensors are taken, bool/integer inputs without kernels, joining lists ----
RAISE_CASES = {
    "maximum_number_first": lambda T: T.maximum(2, T.tensor([1.0, 3.0])),
    "minimum_number_first": lambda T: T.minimum(2, T.tensor([1.0, 3.0])),
    "fmin_number_first": lambda T: T.fmin(2, T.tensor([1.0, 3.0])),
    "maximum_method_number": lambda T: T.tensor([1.0]).maximum(2),
    "logical_and_method_number": lambda T: T.tensor([1.0]).logical_and(1),
    "logical_or_number_first": lambda T: T.logical_or(1, T.tensor([1.0])),
    "logical_xor_number": lambda T: T.logical_xor(T.tensor([1.0]), 0),
    "atan2_number": lambda T: T.atan2(T.tensor([1.0]), 1),
    "arctan2_number_first": lambda T: T.arctan2(1, T.tensor([1.0])),
    "hypot_number": lambda T: T.hypot(T.tensor([1.0]), 1),
    "logaddexp_number": lambda T: T.logaddexp(T.tensor([1.0]), 1),
    "nextafter_number": lambda T: T.nextafter(T.tensor([1.0]), 1),
    "ldexp_number": lambda T: T.ldexp(T.tensor([1.0]), 1),
    "isclose_method_number": lambda T: T.tensor([1.0]).isclose(1),
    "dist_number": lambda T: T.dist(T.tensor([1.0]), 2),
    "heaviside_number": lambda T: T.heaviside(T.tensor([1.0]), 1),
    "heaviside_method_number": lambda T: T.tensor([1.0]).heaviside(1),
    "heaviside_mixed_dtypes": lambda T: T.heaviside(T.tensor([1.0]), T.tensor(1)),
    "heaviside_int_float": lambda T: T.heaviside(T.tensor([1]), T.tensor(1.0)),
    "fmod_number_first": lambda T: T.fmod(1, T.tensor([1.0])),
    "copysign_number_first": lambda T: T.copysign(1, T.tensor([1.0])),
    "eq_number_first": lambda T: T.eq(1, T.tensor([1.0])),
    "lerp_number_end": lambda T: T.lerp(T.tensor([1.0]), 2, 0.5),
    "float_minus_true": lambda T: T.tensor([1.0]) - True,
    "true_minus_float": lambda T: True - T.tensor([1.0]),
    "int_minus_false": lambda T: T.tensor([1]) - False,
    "sub_true": lambda T: T.sub(T.tensor([1.0]), True),
    "sub_true_first": lambda T: T.sub(True, T.tensor([1.0])),
    "rsub_true": lambda T: T.rsub(T.tensor([1.0]), True),
    "bool_minus_true": lambda T: T.tensor([True]) - True,
    "bool_shift_bool": lambda T: T.tensor([True]) << T.tensor([True]),
    "bool_shift_true": lambda T: T.bitwise_right_shift(T.tensor([True]), True),
    "bool_pow_bool": lambda T: T.tensor([True]) ** T.tensor([True]),
    "true_pow_bool": lambda T: True ** T.tensor([True]),
    "bool_mod_true": lambda T: T.tensor([True]) % True,
    "bool_mod_bool": lambda T: T.remainder(T.tensor([True]), T.tensor([True])),
    "bool_floordiv_bool": lambda T: T.tensor([True]) // T.tensor([True]),
    "bool_floor_divide_true": lambda T: T.floor_divide(T.tensor([True]), True),
    "bool_div_trunc": lambda T: T.div(T.tensor([True]), True, rounding_mode="trunc"),
    "bool_fmod_bool": lambda T: T.fmod(T.tensor([True]), T.tensor([True])),
    "hypot_int": lambda T: T.hypot(T.tensor([1]), T.tensor([2])),
    "hypot_bool": lambda T: T.hypot(T.tensor([True]), T.tensor([True])),
    "logaddexp_int": lambda T: T.logaddexp(T.tensor([1]), T.tensor([2])),
    "logaddexp2_int": lambda T: T.logaddexp2(T.tensor([1]), T.tensor([2])),
    "nanmean_int": lambda T: T.nanmean(T.tensor([1, 2])),
    "nanmean_bool": lambda T: T.nanmean(T.tensor([True])),
    "logcumsumexp_int": lambda T: T.logcumsumexp(T.tensor([1, 2]), 0),
    "logcumsumexp_bool": lambda T: T.logcumsumexp(T.tensor([True]), 0),
    "argmax_bool": lambda T: T.argmax(T.tensor([True, False])),
    "argmin_bool_dim": lambda T: T.argmin(T.tensor([True, False]), 0),
    "topk_bool": lambda T: T.topk(T.tensor([True, False]), 1),
    "median_bool": lambda T: T.median(T.tensor([True, False])),
    "median_bool_dim": lambda T: T.median(T.tensor([True, False]), 0),
    "nanmedian_bool_dim": lambda T: T.nanmedian(T.tensor([True, False]), 0),
    "kthvalue_bool": lambda T: T.kthvalue(T.tensor([True, False]), 1),
    "clamp_bool_bool": lambda T: T.clamp(T.tensor([True]), min=True, max=True),
    "clamp_max_bool": lambda T: T.clamp(T.tensor([True]), max=False),
    "clamp_uint8_over": lambda T: T.clamp(T.tensor([1], dtype=T.uint8), max=300),
    "clamp_uint8_under": lambda T: T.clamp(T.tensor([1], dtype=T.uint8), min=-256),
    "clamp_int16_over": lambda T: T.clamp(T.tensor([1], dtype=T.int16), max=70000),
    "clamp_int64_over": lambda T: T.clamp(T.tensor([1]), max=2**63),
    "where_int8_over": lambda T: T.where(T.tensor([True]), 300, T.tensor([1], dtype=T.int8)),
    "masked_fill_uint8_over": lambda T: T.masked_fill(T.tensor([1], dtype=T.uint8), T.tensor([True]), 300),
    "imag_of_real": lambda T: T.imag(T.tensor([1.0])),
    "imag_property": lambda T: T.tensor([1.0]).imag,
    "stack_number": lambda T: T.stack([T.tensor([1.0]), 2]),
    "cat_number_first": lambda T: T.cat([2.0, T.tensor([1.0])]),
    "cat_none": lambda T: T.cat((T.tensor([1.0]), T.tensor([1.0]), None)),
    "hstack_list": lambda T: T.hstack([T.tensor([1.0]), [1.0]]),
    "vstack_number": lambda T: T.vstack([T.tensor([1.0]), 2]),
}


@pytest.mark.parametrize("name", list(RAISE_CASES))
def test_raises_like_torch(name):
    f = RAISE_CASES[name]
    with pytest.raises(Exception) as theirs:
        f(torch)
    with pytest.raises(type(theirs.value)) as mine:
        f(lanterna)
    assert str(mine.value) == str(theirs.value)


def _u8(T):
    return T.tensor([1, 2, 200], dtype=T.uint8)


MORE_VALUE_CASES = {
    "bool_pow_true": lambda T: T.tensor([True, False]) ** True,
    "bool_pow_false": lambda T: T.pow(T.tensor([True, False]), False),
    "bool_pow_two": lambda T: T.tensor([True, False]) ** 2,
    "bool_shift_number": lambda T: T.tensor([True, False]) << 1,
    "bool_mod_int": lambda T: T.tensor([True, False]) % 2,
    "sinc_float16": lambda T: T.sinc(T.tensor([0.5, 1e-3, 2.0, 0.1, 0.3, 3.3, 1.7, 0.77, -4.0], dtype=T.float16)),
    "maximum_zero_ties": lambda T: T.maximum(T.tensor([0.0, -0.0]), T.tensor([-0.0, 0.0])),
    "minimum_zero_ties": lambda T: T.minimum(T.tensor([0.0, -0.0]), T.tensor([-0.0, 0.0])),
    "fmax_zero_ties": lambda T: T.fmax(T.tensor([0.0, -0.0, NAN]), T.tensor([-0.0, 0.0, -0.0])),
    "fmin_zero_ties": lambda T: T.fmin(T.tensor([0.0, -0.0]), T.tensor([-0.0, 0.0])),
    "amax_zero_ties": lambda T: T.stack([T.tensor([0.0, -0.0]).amax(), T.tensor([-0.0, 0.0]).amax()]),
    "amin_zero_ties": lambda T: T.stack([T.tensor([0.0, -0.0]).amin(), T.tensor([-0.0, 0.0, 1.0]).amin()]),
    "amax_dim_zero_ties": lambda T: T.tensor([[0.0, -0.0, 1.0], [-0.0, 0.0, -1.0]]).amax(0),
    "amin_dims_zero_ties": lambda T: T.tensor([[[-0.0, 0.0], [0.0, -0.0]]]).amin((0, 2), keepdim=True),
    "max_zero_ties": lambda T: T.tensor([0.0, -0.0]).max(),
    "clamp_min_zero_ties": lambda T: T.clamp(T.tensor([0.0, -0.0]), min=-0.0),
    "clamp_max_zero_ties": lambda T: T.clamp(T.tensor([0.0, -0.0]), max=0.0),
    "clamp_both_zero_ties": lambda T: T.clamp(T.tensor([0.0, -0.0]), min=0.0, max=-0.0),
    "clamp_tensor_zero_ties": lambda T: T.clamp(T.tensor([0.0, -0.0]), min=T.tensor(0.0), max=T.tensor(-0.0)),
    "clamp_nan_bound": lambda T: T.clamp(T.tensor([1.0, NAN]), min=NAN),
    "nextafter_float16_ties": lambda T: T.nextafter(T.tensor([0.0, -0.0, 1.0], dtype=T.float16),
                                                    T.tensor([-0.0, 0.0, 1.0], dtype=T.float16)),
    "kthvalue_nan_k1": lambda T: tuple(T.kthvalue(T.tensor([NAN, NAN, NAN]), 1)),
    "kthvalue_nan_k2": lambda T: tuple(T.kthvalue(T.tensor([NAN, NAN, NAN]), 2)),
    "kthvalue_nan_rows": lambda T: tuple(T.kthvalue(T.tensor([[NAN, 1.0, NAN, NAN], [NAN, NAN, 2.0, 2.0]]), 3, 1)),
    "topk_nan_ties": lambda T: tuple(T.topk(T.tensor([NAN, 1.0, NAN, NAN, 0.0]), 2)),
    "angle_float": lambda T: T.angle(T.tensor([1.0, -0.0, 0.0, -1.0, NAN, -INF])),
    "angle_int": lambda T: T.angle(T.tensor([-1, 0, 1])),
    "angle_bool": lambda T: T.angle(T.tensor([True, False])),
    "angle_float16": lambda T: T.tensor([-1.0, 0.5], dtype=T.float16).angle(),
    "angle_float64": lambda T: T.angle(T.tensor([-1.0, 0.5], dtype=T.float64)),
    "real_int": lambda T: T.real(T.tensor([1, 2])),
    "conj_physical_int": lambda T: T.conj_physical(T.tensor([1, 2])),
    "sub_number_first_wraps": lambda T: T.sub(-300, _u8(T)),
    "mul_number_first_wraps": lambda T: T.mul(300, _u8(T)),
    "mul_number_first_int8": lambda T: T.mul(-300, T.tensor([1, 2], dtype=T.int8)),
    "remainder_number_first_wraps": lambda T: T.remainder(-300, _u8(T)),
    "floor_divide_number_first_wraps": lambda T: T.floor_divide(-300, _u8(T)),
    "bitwise_and_number_first_wraps": lambda T: T.bitwise_and(300, _u8(T)),
    "sub_number_first_uint8": lambda T: T.sub(5, _u8(T)),
    "where_negative_uint8": lambda T: T.where(T.tensor([True, False, True]), -1, _u8(T)),
    "clamp_uint8_negative_min": lambda T: T.clamp(_u8(T), min=-1),
    "clamp_uint8_min_max": lambda T: T.clamp(_u8(T), min=-1, max=-2),
    "clamp_uint8_min_255": lambda T: T.clamp(_u8(T), min=-255),
    "masked_fill_uint8_negative": lambda T: T.masked_fill(_u8(T), T.tensor([True, False, True]), -1),
    "rsub_number_uint8": lambda T: -300 - _u8(T),
}


@pytest.mark.parametrize("name", list(MORE_VALUE_CASES))
def test_more_values_match_torch(name):
    f = MORE_VALUE_CASES[name]
    assert_same(f(lanterna), f(torch))


def test_identity_of_complex_views_matches_torch():
    for T in (torch, lanterna):
        t = T.tensor([1.0, -2.0])
        assert T.conj(t) is t and T.conj_physical(t) is t and T.resolve_conj(t) is t and T.resolve_neg(t) is t
        assert T.real(t) is t and t.real is t and t.conj() is t
        assert not t.is_conj() and not t.is_neg()


def test_angle_gradient_matches_torch():
    grads = []
    for T in (lanterna, torch):
        x = T.tensor([-1.0, 2.0, 0.0], dtype=T.float64, requires_grad=True)
        y = T.angle(x)
        assert type(y.grad_fn).__name__ == "AngleBackward0"
        y.sum().backward()
        grads.append(x.grad)
    assert_same(*grads)


@pytest.mark.parametrize("include_self", [True, False])
@pytest.mark.parametrize("src_values", [[[0.5, 1.2, 0.0, 1.7], [1.3, 0.6, 2.0, 0.9]],   # a lone zero
                                        [[0.0, 1.2, 0.0, 1.7], [1.3, 0.6, 0.0, 0.9]]])  # two zeros in one place
def test_scatter_reduce_prod_gradient_matches_torch(include_self, src_values):
    outs = []
    for T in (lanterna, torch):
        a = T.tensor([[1.5, 0.0, 0.7, 1.2], [0.9, 1.1, 1.3, 0.6], [1.4, 0.8, 1.6, 1.9]], dtype=T.float64,
                     requires_grad=True)
        s = T.tensor(src_values, dtype=T.float64, requires_grad=True)
        y = a.scatter_reduce(0, T.tensor([[0, 1, 2, 0], [2, 1, 2, 1]]), s, "prod", include_self=include_self)
        w = T.linspace(0.5, 1.5, y.numel(), dtype=T.float64).reshape(y.shape)
        (y * w).sum().backward()
        outs.append((y.detach(), a.grad, s.grad))
    assert_same(*outs)


def test_size_of_non_integers_raises_like_torch():
    for T in (torch, lanterna):
        with pytest.raises(TypeError, match=r"torch.Size\(\) takes an iterable of 'int' \(item 0 is 'tuple'\)"):
            T.Size([(1, 2)])


def test_relu_special_values_and_gradients_match_torch():
    vals = [-0.0, math.nan, -math.nan, -1.0, 2.0, -math.inf, math.inf, 0.0]
    outs = []
    for T in (torch, lanterna):
        x = T.tensor(vals, requires_grad=True)
        y = T.relu(x)
        y.backward(T.full((len(vals),), -2.5))
        outs.append((y.detach().numpy().view(np.int32).tolist(), x.grad.numpy().view(np.int32).tolist()))
    assert outs[0] == outs[1]
