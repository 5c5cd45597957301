"""Comparisons and logical ops: bool results, promotion across dtypes, NaN, no gradients."""

import numpy as np

from optest import ErrorSpec, OpSpec, arr, iarr, make_tests

A = arr(2, 3)
B = np.where(np.arange(6).reshape(2, 3) % 2 == 0, A, arr(2, 3, seed=4)).astype(np.float32)  # some equal
IN = iarr(2, 3, low=-2, high=3)
BOOL = np.array([True, False, True])
NAN = np.array([np.nan, 1.0, np.inf], np.float32)


def C(name, fn, args, ref=None, **kw):
    return OpSpec(name, fn, args, ref=ref, grad=False, **kw)


SPECS = [
    C("eq", lambda T, a, b: a == b, [A, B], np.equal),
    C("ne", lambda T, a, b: a != b, [A, B], np.not_equal),
    C("lt", lambda T, a, b: a < b, [A, B], np.less),
    C("le", lambda T, a, b: a <= b, [A, B], np.less_equal),
    C("gt", lambda T, a, b: T.gt(a, b), [A, B], np.greater),
    C("ge", lambda T, a, b: a.ge(b), [A, B], np.greater_equal),
    C("eq_scalar", lambda T, a: a == 1, [IN], lambda a: a == 1),
    C("lt_float_scalar_int_tensor", lambda T, a: a < 0.5, [IN], lambda a: a < 0.5),
    C("int_eq_float", lambda T, a: a == 1.0, [IN], lambda a: a == 1),
    C("int_vs_float_tensor", lambda T, a, b: a < b, [IN, A], np.less),
    C("broadcast_compare", lambda T, a, b: a > b, [A, arr(3, seed=3)], np.greater),
    C("reflected_compare", lambda T, a: 0 < a, [A], lambda a: a > 0),
    C("bool_vs_int", lambda T, a: a == 1, [BOOL], lambda a: a == 1),
    C("nan_compare", lambda T, a: a == a, [NAN], lambda a: a == a),
    C("nan_ne", lambda T, a: a != a, [NAN], lambda a: a != a),
    C("greater_alias", lambda T, a, b: T.greater(a, b), [A, B], np.greater),
    C("less_equal_alias", lambda T, a, b: T.less_equal(a, b), [A, B], np.less_equal),
    C("not_equal_alias", lambda T, a, b: T.not_equal(a, b), [A, B], np.not_equal),
    C("logical_and", lambda T, a, b: T.logical_and(a, b), [IN, A], np.logical_and),
    C("logical_or", lambda T, a, b: T.logical_or(a, b), [IN, BOOL], np.logical_or),
    C("logical_xor", lambda T, a, b: T.logical_xor(a, b), [BOOL, BOOL[::-1].copy()], np.logical_xor),
    C("logical_not_float", lambda T, a: T.logical_not(a), [A], np.logical_not),
    C("isclose", lambda T, a, b: T.isclose(a, b), [A, A + 1e-7], lambda a, b: np.ones(a.shape, bool)),
    C("isclose_nan", lambda T, a: T.isclose(a, a, equal_nan=True), [NAN], expected=[True, True, True]),
    C("isclose_nan_default", lambda T, a: T.isclose(a, a), [NAN], expected=[False, True, True]),
    C("allclose", lambda T, a, b: T.allclose(a, b), [A, A * (1 + 1e-6)], expected=True),
    C("allclose_false", lambda T, a, b: T.allclose(a, b), [A, B], expected=False),
    C("equal", lambda T, a, b: T.equal(a, b), [A, A], expected=True),
    C("equal_shape", lambda T, a, b: T.equal(a, b), [A, A[:1]], expected=False),
    C("eq_requires_grad", lambda T, a, b: a == b, [A, B], np.equal),
    C("where_bool", lambda T, a: T.where(a > 0, a, 0.0), [A], lambda a: np.where(a > 0, a, 0)),
    C("maximum_int", lambda T, a, b: T.maximum(a, b), [IN, iarr(2, 3, seed=1)], np.maximum),
    C("clamp_int", lambda T, a: T.clamp(a, -1, 1), [IN], lambda a: np.clip(a, -1, 1)),
    C("clamp_int_float_bound", lambda T, a: T.clamp(a, -0.5, 1.5), [IN],
      lambda a: np.clip(a, -0.5, 1.5).astype(np.float32)),
]

ERRORS = [
    ErrorSpec("compare_broadcast", lambda T, a, b: a < b, [arr(2, 3), arr(2, 4)],
              match=r"The size of tensor a \(3\) must match the size of tensor b \(4\) at non-singleton dimension 1"),
    ErrorSpec("bool_of_many", lambda T, a: bool(a > 0), [arr(2, 3)],
              match="Boolean value of Tensor with more than one value is ambiguous"),
]

test_forward, test_gradcheck, test_gradgradcheck, test_gradients_match_cpu, test_errors = make_tests(SPECS, ERRORS)
