"""Unary math: values against NumPy, gradients by finite differences and at the kinks."""

import math

import numpy as np

from optest import ErrorSpec, OpSpec, arr, iarr, make_tests

X = arr(2, 3)
POS = arr(2, 3, low=0.2, high=2.0)
UNIT = arr(2, 3, low=-0.9, high=0.9)
BIG = arr(2, 3, low=1.1, high=3.0)
INT = iarr(2, 3, low=-3, high=4)
KINK = np.array([-1.5, 0.0, 2.0], np.float32)
_erf = np.vectorize(math.erf)


def _unary(name, ref, x=X, **kw):
    return OpSpec(name, lambda T, a, n=name: getattr(T, n)(a), [x], ref=ref, **kw)


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


SPECS = [
    _unary("abs", np.abs),
    _unary("neg", np.negative),
    _unary("exp", np.exp),
    _unary("exp2", np.exp2),
    _unary("expm1", np.expm1),
    _unary("log", np.log, POS),
    _unary("log2", np.log2, POS),
    _unary("log10", np.log10, POS),
    _unary("log1p", np.log1p, POS),
    _unary("sqrt", np.sqrt, POS),
    _unary("rsqrt", lambda x: 1 / np.sqrt(x), POS),
    _unary("sin", np.sin),
    _unary("cos", np.cos),
    _unary("tan", np.tan, UNIT),
    _unary("tanh", np.tanh),
    _unary("sinh", np.sinh),
    _unary("cosh", np.cosh),
    _unary("asin", np.arcsin, UNIT),
    _unary("acos", np.arccos, UNIT),
    _unary("atan", np.arctan),
    _unary("asinh", np.arcsinh),
    _unary("acosh", np.arccosh, BIG),
    _unary("atanh", np.arctanh, UNIT),
    _unary("sigmoid", _sigmoid),
    _unary("relu", lambda x: np.maximum(x, 0)),
    _unary("sign", np.sign, grad=False),
    _unary("sgn", np.sign, grad_of=[]),
    _unary("floor", np.floor, grad=False),
    _unary("ceil", np.ceil, grad=False),
    _unary("round", np.round, grad=False),
    _unary("trunc", np.trunc, grad=False),
    _unary("frac", lambda x: x - np.trunc(x)),
    _unary("reciprocal", lambda x: 1 / x, POS),
    _unary("erf", _erf),
    _unary("erfc", lambda x: 1 - _erf(x)),
    _unary("square", np.square),
    _unary("sinc", np.sinc),
    OpSpec("sinc_zero", lambda T, x: T.sinc(x), [np.array([0.0, 0.5], np.float32)], expected=[1.0, 2 / np.pi],
           grad_expected=[[0.0, -4 / np.pi]], grad=False),
    _unary("logit", lambda x: np.log(x / (1 - x)), arr(2, 3, low=0.1, high=0.9)),
    OpSpec("round_decimals", lambda T, x: T.round(x, decimals=2), [X], ref=lambda x: np.round(x, 2),
           grad=False),
    OpSpec("sigmoid_extreme", lambda T, x: T.sigmoid(x), [np.array([-100.0, 0.0, 100.0], np.float32)],
           expected=[0.0, 0.5, 1.0], grad=False),
    # methods and operators
    OpSpec("method_exp", lambda T, x: x.exp(), [X], ref=np.exp),
    OpSpec("op_neg", lambda T, x: -x, [X], ref=np.negative),
    OpSpec("op_abs", lambda T, x: abs(x), [X], ref=np.abs),
    # integer inputs: float ops promote to the default dtype, the others keep the dtype
    OpSpec("exp_int", lambda T, x: T.exp(x), [INT], ref=lambda x: np.exp(x).astype(np.float32)),
    OpSpec("sqrt_int", lambda T, x: T.sqrt(x), [np.abs(INT)], ref=lambda x: np.sqrt(x).astype(np.float32)),
    OpSpec("sigmoid_int", lambda T, x: T.sigmoid(x), [INT], ref=_sigmoid),
    OpSpec("abs_int", lambda T, x: T.abs(x), [INT], ref=np.abs),
    OpSpec("neg_int", lambda T, x: -x, [INT], ref=np.negative),
    OpSpec("sign_int", lambda T, x: T.sign(x), [INT], ref=np.sign),
    OpSpec("relu_int", lambda T, x: T.relu(x), [INT], ref=lambda x: np.maximum(x, 0)),
    OpSpec("floor_int", lambda T, x: T.floor(x), [INT], ref=np.floor),
    OpSpec("round_int", lambda T, x: T.round(x), [INT], ref=np.round),
    OpSpec("square_int", lambda T, x: T.square(x), [INT], ref=np.square),
    OpSpec("float64_exp", lambda T, x: T.exp(x), [X.astype(np.float64)], ref=np.exp),
    OpSpec("float16_exp", lambda T, x: T.exp(x), [X.astype(np.float16)], ref=np.exp, atol=1e-2, rtol=1e-2,
           grad=False),
    OpSpec("zero_dim", lambda T, x: T.exp(x), [np.array(0.5, np.float32)], ref=np.exp),
    OpSpec("empty", lambda T, x: T.exp(x), [np.zeros((0, 3), np.float32)], ref=np.exp),
    # kinks: PyTorch's subgradient conventions
    OpSpec("relu_kink", lambda T, x: T.relu(x), [KINK], grad_expected=[[0, 0, 1]], grad=False),
    OpSpec("abs_kink", lambda T, x: T.abs(x), [KINK], grad_expected=[[-1, 0, 1]], grad=False),
    OpSpec("sign_kink", lambda T, x: T.sign(x), [KINK], grad_expected=[[0, 0, 0]], grad=False),
    OpSpec("sqrt_zero", lambda T, x: T.sqrt(x), [np.array([0.0, 4.0], np.float32)],
           grad_expected=[[np.inf, 0.25]], grad=False),
    OpSpec("floor_kink", lambda T, x: T.floor(x), [np.array([1.0, 1.5], np.float32)], grad_expected=[[0, 0]],
           grad=False),
    OpSpec("round_half_even", lambda T, x: T.round(x), [np.array([0.5, 1.5, 2.5, -0.5], np.float32)],
           expected=[0.0, 2.0, 2.0, -0.0], grad=False),
    OpSpec("log_zero_negative", lambda T, x: T.log(x), [np.array([0.0, -1.0], np.float32)],
           expected=[-np.inf, np.nan], grad=False),
    OpSpec("reciprocal_zero", lambda T, x: T.reciprocal(x), [np.array([0.0, 2.0], np.float32)],
           expected=[np.inf, 0.5], grad_expected=[[-np.inf, -0.25]], grad=False),
    # other elementwise helpers
    OpSpec("nan_to_num", lambda T, x: T.nan_to_num(x), [np.array([np.nan, np.inf, -np.inf, 1.0], np.float32)],
           expected=[0.0, 3.4028234663852886e38, -3.4028234663852886e38, 1.0], grad=False),
    OpSpec("nan_to_num_args", lambda T, x: T.nan_to_num(x, nan=1.0, posinf=2.0, neginf=-2.0),
           [np.array([np.nan, np.inf, -np.inf, 1.0], np.float32)], expected=[1.0, 2.0, -2.0, 1.0], grad=False),
    OpSpec("isnan", lambda T, x: T.isnan(x), [np.array([np.nan, 1.0], np.float32)], expected=[True, False]),
    OpSpec("isinf", lambda T, x: T.isinf(x), [np.array([np.inf, 1.0], np.float32)], expected=[True, False]),
    OpSpec("isfinite", lambda T, x: T.isfinite(x), [np.array([np.inf, 1.0, np.nan], np.float32)],
           expected=[False, True, False]),
    OpSpec("isfinite_int", lambda T, x: T.isfinite(x), [INT], ref=lambda x: np.ones(x.shape, bool)),
    OpSpec("logical_not", lambda T, x: T.logical_not(x), [INT], ref=lambda x: x == 0),
    OpSpec("signbit", lambda T, x: T.signbit(x), [np.array([-0.0, 0.0, -1.0], np.float32)],
           expected=[True, False, True]),
    # chains (double backward through several nodes)
    OpSpec("chain", lambda T, x: T.tanh(T.exp(x) * T.sin(x)), [X], ref=lambda x: np.tanh(np.exp(x) * np.sin(x))),
]

ERRORS = [
    ErrorSpec("neg_bool", lambda T, x: -x, [np.array([True, False])], match="Negation, the `-` operator, on a bool"),
]

test_forward, test_gradcheck, test_gradgradcheck, test_gradients_match_cpu, test_errors = make_tests(SPECS, ERRORS)




_NO_WARNINGS = """
import warnings
import numpy as np
import lanterna
x = lanterna.tensor([0.0, -1.0, 1.0])
with warnings.catch_warnings(record=True) as caught:
    r = [lanterna.log(x), x.sqrt(), x / 0, x ** 0.5, lanterna.tensor([1, 2]) // lanterna.tensor([1, 1])]
    assert not caught, [str(w.message) for w in caught]
    assert r[0][0].item() == float("-inf") and r[2][2].item() == float("inf")
    np.log(np.zeros(1))
    assert [str(w.message) for w in caught] == ["divide by zero encountered in log"]
"""


def test_no_floating_point_warnings_like_pytorch():
    """1/0, log(0), sqrt(-1) give inf/-inf/nan silently in PyTorch; NumPy's warnings about them
    are silenced for Lanterna's ops only: the user's own NumPy code still warns. (A program of its
    own: pytest resets warning filters set while it imports test modules.)"""
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-c", _NO_WARNINGS], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
