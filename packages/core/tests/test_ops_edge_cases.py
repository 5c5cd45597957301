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


# ---- numbers where PyTorch takes only tensors; bool and integer inputs it refuses ------------
T3 = lambda: lanterna.tensor([1.0, -2.0, 3.0])  # noqa: E731
B3 = lambda: lanterna.tensor([True, False, True])  # noqa: E731
I3 = lambda: lanterna.tensor([1, 2, 3])  # noqa: E731


@pytest.mark.parametrize("name", ["maximum", "minimum", "fmax", "fmin", "atan2", "arctan2", "hypot", "logaddexp",
                                  "logaddexp2", "logical_and", "logical_or", "logical_xor", "isclose", "nextafter",
                                  "ldexp", "dist"])
def test_tensor_only_binary_ops_refuse_numbers(name):
    fn = getattr(lanterna, name)
    with pytest.raises(TypeError, match=rf"^{name}\(\): argument 'input' \(position 1\) must be Tensor, not int$"):
        fn(2, T3())
    with pytest.raises(TypeError, match=rf"^{name}\(\): argument 'other' \(position 2\) must be Tensor, not int$"):
        fn(T3(), 2)
    with pytest.raises(TypeError, match=rf"^{name}\(\): argument 'other' \(position 1\) must be Tensor, not float$"):
        getattr(T3(), name)(2.0)


def test_number_first_overloads_that_do_not_exist():
    for name in ("fmod", "copysign", "eq", "lt"):
        with pytest.raises(TypeError, match=rf"^{name}\(\) received an invalid combination of arguments - got "
                                            r"\(int, Tensor\)"):
            getattr(lanterna, name)(1, T3())
    with pytest.raises(TypeError, match=r"lerp\(\) received an invalid combination .* got \(Tensor, int, float\)"):
        lanterna.lerp(T3(), 2, 0.5)
    # ... while these do take a number first
    assert lanterna.bitwise_and(1, I3()).tolist() == [1, 0, 1]
    assert lanterna.remainder(1, T3()).tolist() == [0.0, -1.0, 1.0]
    assert lanterna.copysign(T3(), -1).tolist() == [-1.0, -2.0, -3.0]


def test_heaviside_needs_tensors_of_one_dtype():
    with pytest.raises(TypeError, match="argument 'values' \\(position 2\\) must be Tensor, not int"):
        lanterna.heaviside(T3(), 1)
    with pytest.raises(TypeError, match="argument 'values' \\(position 1\\) must be Tensor, not int"):
        T3().heaviside(1)
    for values in (lanterna.tensor(1), lanterna.tensor(1.0, dtype=lanterna.float64)):
        with pytest.raises(RuntimeError, match="heaviside is not yet implemented for tensors with different dtypes."):
            lanterna.heaviside(T3(), values)
    same(lanterna.heaviside(lanterna.tensor([-1.0, 0.0, 2.0]), lanterna.tensor(0.5)), [0.0, 0.5, 1.0])


@pytest.mark.parametrize("call", [lambda: T3() - True, lambda: True - T3(), lambda: I3() - False,
                                  lambda: lanterna.sub(T3(), True), lambda: lanterna.sub(True, T3()),
                                  lambda: lanterna.rsub(T3(), True), lambda: T3().sub(True)])
def test_subtracting_a_python_bool_is_refused(call):
    with pytest.raises(RuntimeError, match="^Subtraction, the `-` operator, with a bool tensor is not supported"):
        call()


def test_subtracting_a_python_bool_from_a_bool_tensor_names_two_bools():
    for call in (lambda: B3() - True, lambda: True - B3()):
        with pytest.raises(RuntimeError, match="with two bool tensors is not supported"):
            call()
    assert (T3() - 1).tolist() == [0.0, -3.0, 2.0]  # numbers still subtract


@pytest.mark.parametrize("call, kernel", [
    (lambda: B3() << B3(), "lshift_cpu"), (lambda: B3() >> True, "rshift_cpu"),
    (lambda: B3() ** B3(), "pow"), (lambda: True ** B3(), "pow"), (lambda: lanterna.pow(True, B3()), "pow"),
    (lambda: B3() % True, "remainder_cpu"), (lambda: lanterna.remainder(True, B3()), "remainder_cpu"),
    (lambda: B3() // B3(), "div_floor_cpu"), (lambda: lanterna.div(B3(), True, rounding_mode="trunc"), "div_trunc_cpu"),
    (lambda: lanterna.fmod(B3(), True), "fmod_cpu"),
    (lambda: lanterna.hypot(I3(), I3()), "hypot_cpu"), (lambda: lanterna.logaddexp(B3(), B3()), "logaddexp_cpu"),
    (lambda: lanterna.logaddexp2(I3(), I3()), "logaddexp2_cpu"),
    (lambda: lanterna.logcumsumexp(I3(), 0), "logcumsumexp_out_cpu"), (lambda: lanterna.median(B3()), "median_cpu"),
    (lambda: lanterna.median(B3(), 0), "median_out"), (lambda: lanterna.nanmedian(B3()), "median_cpu"),
    (lambda: lanterna.kthvalue(B3(), 1), "kthvalue_cpu"), (lambda: lanterna.clamp(B3(), min=True), "clamp_min_scalar_cpu"),
])
def test_bool_and_integer_inputs_without_a_kernel(call, kernel):
    with pytest.raises(NotImplementedError, match=f'^"{kernel}" not implemented for '):
        call()


def test_bool_and_integer_inputs_that_still_work():
    assert (B3() << 1).tolist() == [2, 0, 2] and (B3() % 2).tolist() == [1, 0, 1]
    assert lanterna.hypot(I3(), T3()).dtype is lanterna.float32
    assert (B3() ** 2).dtype is lanterna.int64


def test_reductions_refusing_bool_or_integer_input():
    for name in ("argmax", "argmin"):
        with pytest.raises(RuntimeError, match=f"^{name}\\(\\): does not support bool input$"):
            getattr(lanterna, name)(B3())
    with pytest.raises(RuntimeError, match="^topk does not support bool dtypes on CPU$"):
        lanterna.topk(B3(), 1)
    with pytest.raises(RuntimeError, match="nanmean\\(\\): expected input to have floating point or complex dtype "
                                           "but got Long"):
        lanterna.nanmean(I3())


def test_bool_to_a_bool_power_stays_bool():
    r = B3() ** True
    assert r.dtype is lanterna.bool and r.tolist() == [True, False, True]
    r = lanterna.pow(B3(), False)
    assert r.dtype is lanterna.bool and r.tolist() == [True, True, True]


def test_sinc_float16_is_computed_in_float32():
    x = lanterna.tensor([2.0, 0.1, 3.3, 1.7], dtype=lanterna.float16)
    expect = np.sinc(x.numpy().astype(np.float32)).astype(np.float16)  # one rounding, from float32
    assert lanterna.sinc(x).numpy().tolist() == expect.tolist()
    assert lanterna.sinc(x)[0].item() == 0.0  # sin(2 pi) in float32, not a float16 -3e-4


# ---- signed-zero ties ----------------------------------------------------------------------
def test_binary_max_min_keep_the_first_zero_on_ties():
    a, b = lanterna.tensor([0.0, -0.0]), lanterna.tensor([-0.0, 0.0])
    for fn in (lanterna.maximum, lanterna.minimum, lanterna.fmax, lanterna.fmin):
        same(fn(a, b), [0.0, -0.0])
        same(fn(b, a), [-0.0, 0.0])
    same(lanterna.fmax(lanterna.tensor([NAN, -0.0]), lanterna.tensor([1.0, 0.0])), [1.0, -0.0])


def test_clamp_keeps_the_input_zero_on_ties():
    x = lanterna.tensor([0.0, -0.0])
    for kw in ({"min": -0.0}, {"min": 0.0}, {"max": -0.0}, {"max": 0.0}, {"min": 0.0, "max": -0.0},
               {"min": lanterna.tensor(-0.0)}, {"max": lanterna.tensor(0.0)}):
        same(lanterna.clamp(x, **kw), [0.0, -0.0])
    same(lanterna.clamp_min(x, -0.0), [0.0, -0.0])
    same(lanterna.clamp(lanterna.tensor([NAN, 1.0]), min=0.0), [NAN, 1.0])
    same(lanterna.clamp(lanterna.tensor([1.0]), min=NAN), [NAN])


def test_amax_amin_keep_the_first_zero():
    same(lanterna.tensor([0.0, -0.0]).amax(), 0.0)
    same(lanterna.tensor([-0.0, 0.0]).amax(), -0.0)
    same(lanterna.tensor([0.0, -0.0, -1.0]).amin(0), -1.0)
    same(lanterna.tensor([1.0, -0.0, 0.0]).amin(), -0.0)
    same(lanterna.tensor([[0.0, -0.0, 1.0], [-0.0, 0.0, -1.0]]).amax(0), [0.0, -0.0, 1.0])
    same(lanterna.tensor([[[-0.0, -0.0], [0.0, 0.0]]]).amin((1, 0)), [-0.0, -0.0])
    # max() without dim keeps the last (as PyTorch)
    same(lanterna.tensor([0.0, -0.0]).max(), -0.0)


def test_nextafter_float16_of_equal_values_is_other():
    x = lanterna.tensor([0.0, -0.0, 1.0], dtype=lanterna.float16)
    y = lanterna.tensor([-0.0, 0.0, 1.0], dtype=lanterna.float16)
    same(lanterna.nextafter(x, y), [-0.0, 0.0, 1.0])


# ---- scatter_reduce prod backward ---------------------------------------------------------
@pytest.mark.parametrize("include_self", [True, False])
def test_scatter_reduce_prod_gradcheck(include_self):
    from lanterna.autograd import gradcheck, gradgradcheck

    base = lanterna.tensor([[1.5, 0.0, 0.7, 1.2], [0.9, 1.1, 1.3, 0.6], [1.4, 0.8, 1.6, 1.9]], dtype=lanterna.float64,
                           requires_grad=True)
    src = lanterna.tensor([[0.0, 1.2, 0.5, 1.7], [1.3, 0.6, 0.0, 0.9]], dtype=lanterna.float64, requires_grad=True)
    index = lanterna.tensor([[0, 1, 2, 0], [2, 1, 2, 1]])
    fn = lambda a, s: a.scatter_reduce(0, index, s, "prod", include_self=include_self)  # noqa: E731
    assert gradcheck(fn, (base, src))
    assert gradgradcheck(fn, (base, src))


def test_scatter_reduce_prod_gradient_by_formula():
    # out[0] = 2 * 3 * 0 (a lone zero in src): d/dsrc0 = 2 * 3, d/dsrc1 = 0, d/dself = 0
    base = lanterna.tensor([2.0], dtype=lanterna.float64, requires_grad=True)
    src = lanterna.tensor([3.0, 0.0], dtype=lanterna.float64, requires_grad=True)
    base.scatter_reduce(0, lanterna.tensor([0, 0]), src, "prod").sum().backward()
    same(base.grad, [0.0])
    same(src.grad, [0.0, 6.0])


# ---- kthvalue on NaN ties -----------------------------------------------------------------
def test_kthvalue_among_nans_replays_quickselect():
    x = lanterna.tensor([NAN, NAN, NAN])
    assert lanterna.kthvalue(x, 1).indices.item() == 1
    assert lanterna.kthvalue(x, 2).indices.item() == 0


# ---- complex views of real tensors ----------------------------------------------------------
def test_angle_of_real_numbers():
    same(lanterna.angle(lanterna.tensor([1.0, -0.0, 0.0, -1.0, NAN, -INF])), [0.0, 0.0, 0.0, math.pi, NAN, math.pi])
    r = lanterna.angle(lanterna.tensor([-1, 0, 1]))
    assert r.dtype is lanterna.float32
    same(r, [math.pi, 0.0, 0.0])
    assert lanterna.angle(lanterna.tensor([-1.0], dtype=lanterna.float16)).dtype is lanterna.float16
    assert lanterna.tensor([True]).angle().dtype is lanterna.float32
    same(grad_of(lanterna.angle, [-1.0, 2.0]), [0.0, 0.0])


def test_conj_real_and_friends_of_real_tensors():
    t = T3()
    for fn in (lanterna.conj, lanterna.conj_physical, lanterna.resolve_conj, lanterna.resolve_neg, lanterna.real):
        assert fn(t) is t
    assert t.conj() is t and t.real is t and t.resolve_conj() is t and t.conj_physical() is t
    assert not t.is_conj() and not t.is_neg() and not lanterna.is_conj(t) and not lanterna.is_neg(t)
    with pytest.raises(RuntimeError, match="^imag is not implemented for tensors with non-complex dtypes.$"):
        t.imag
    with pytest.raises(RuntimeError, match="imag is not implemented"):
        lanterna.imag(t)


# ---- lists of tensors ---------------------------------------------------------------------
@pytest.mark.parametrize("fn", ["stack", "cat", "hstack", "vstack", "dstack", "column_stack"])
def test_joining_names_the_element_that_is_not_a_tensor(fn):
    with pytest.raises(TypeError, match="^expected Tensor as element 1 in argument 0, but got int$"):
        getattr(lanterna, fn)([T3(), 2])
    with pytest.raises(TypeError, match="^expected Tensor as element 2 in argument 0, but got NoneType$"):
        getattr(lanterna, fn)((T3(), T3(), None))


# ---- Python integers meeting narrower integer tensors ---------------------------------------
def test_number_first_integers_wrap_into_the_tensor_dtype():
    u = lanterna.tensor([1, 2, 200], dtype=lanterna.uint8)
    assert lanterna.sub(-300, u).tolist() == [211, 210, 12]
    assert lanterna.mul(300, u).tolist() == [44, 88, 96]
    assert lanterna.bitwise_and(300, u).tolist() == [0, 0, 8]
    assert lanterna.remainder(-300, u).tolist() == [0, 0, 12]
    assert lanterna.mul(-300, lanterna.tensor([1, 2], dtype=lanterna.int8)).tolist() == [-44, -88]
    assert lanterna.sub(5, u).dtype is lanterna.uint8


def test_integer_bounds_and_fill_values_use_the_checked_conversion():
    u = lanterna.tensor([1, 2, 200], dtype=lanterna.uint8)
    assert lanterna.clamp(u, min=-1).tolist() == [255, 255, 255]  # -1 wraps to 255
    assert lanterna.clamp(u, min=-1, max=3).tolist() == [3, 3, 3]
    assert lanterna.masked_fill(u, lanterna.tensor([True, False, True]), -1).tolist() == [255, 2, 255]
    with pytest.raises(RuntimeError, match="^value cannot be converted to type uint8_t without overflow$"):
        lanterna.clamp(u, max=300)
    with pytest.raises(RuntimeError, match="^value cannot be converted to type uint8_t without overflow$"):
        lanterna.clamp(u, min=-256)
    with pytest.raises(RuntimeError, match="^value cannot be converted to type int8_t without overflow$"):
        lanterna.where(lanterna.tensor([True]), 300, lanterna.tensor([1], dtype=lanterna.int8))
    with pytest.raises(RuntimeError, match="^value cannot be converted to type int without overflow$"):
        lanterna.clamp(lanterna.tensor([1], dtype=lanterna.int32), max=2**40)


def test_size_takes_only_integers():
    import numpy as np

    assert lanterna.Size([1, np.int64(2), lanterna.tensor(3)]) == (1, 2, 3)
    assert all(type(s) is int for s in lanterna.Size([np.int32(4), lanterna.tensor(5)]))
    with pytest.raises(TypeError, match=r"torch.Size\(\) takes an iterable of 'int' \(item 1 is 'float'\)"):
        lanterna.Size([1, 2.0])


def test_relu_keeps_signed_zero_and_nan_and_passes_nan_gradients():
    x = lanterna.tensor([-0.0, math.nan, -math.nan, -1.0, 2.0, -math.inf, math.inf], requires_grad=True)
    y = lanterna.relu(x)
    bits = y.detach().numpy().view(np.int32)
    assert bits[0] == np.float32(-0.0).view(np.int32) and bits[3] == 0 and bits[5] == 0  # -0.0 kept, +0.0 made
    assert np.isnan(y.detach().numpy()[1:3]).all()
    y.backward(lanterna.full((7,), -3.0))
    g = x.grad.numpy()
    assert g.tolist() == [0.0, -3.0, -3.0, 0.0, -3.0, 0.0, -3.0]
    assert not np.signbit(g[[0, 3, 5]]).any()  # a select: +0.0, not -3 * 0 = -0.0
    # the same under create_graph (the Tensor-op path of the backward)
    x.grad = None
    (gx,) = lanterna.autograd.grad(lanterna.relu(x).sum(), x, create_graph=True)
    assert gx.tolist()[1:3] == [1.0, 1.0] and gx.tolist()[0] == 0.0


def test_relu_refuses_bool():
    for f in (lambda t: lanterna.relu(t), lambda t: t.relu_(), lambda t: lanterna.nn.functional.relu(t, inplace=True)):
        with pytest.raises(RuntimeError, match="Boolean inputs not supported for relu"):
            f(lanterna.tensor([True, False]))
    assert lanterna.relu(lanterna.tensor([-1, 2])).tolist() == [0, 2]
