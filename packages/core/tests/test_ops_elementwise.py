"""Binary arithmetic: broadcasting, scalars, reflected operators, dtype promotion, integer
division semantics, and gradients (including the unbroadcasting of gradients)."""

import numpy as np

from optest import ErrorSpec, OpSpec, arr, iarr, make_tests

A = arr(2, 3)
B = arr(2, 3, seed=5)
ROW = arr(3, seed=6)
COL = arr(2, 1, seed=7)
POS = arr(2, 3, low=0.5, high=2.0)
NZ = arr(2, 3, low=0.5, high=2.0, seed=9) * np.array([1, -1, 1], np.float32)  # no zeros, both signs
IN = iarr(2, 3, low=-7, high=8)
J = iarr(2, 3, low=1, high=4, seed=3) * np.array([1, -1, 1])
I8 = np.array([127, -128, 5], np.int8)
U8 = np.array([250, 3, 7], np.uint8)
BOOL = np.array([True, False, True])
BOOL2 = np.array([True, True, False])
F16_0D = np.array(1.5, np.float16)
F64 = arr(2, 3, seed=11, dtype=np.float64)


def S(name, fn, args, ref=None, **kw):
    return OpSpec(name, fn, args, ref=ref, **kw)


SPECS = [
    # arithmetic with broadcasting (gradients are summed back to each input's shape)
    S("add", lambda T, a, b: a + b, [A, B], np.add),
    S("add_row", lambda T, a, b: a + b, [A, ROW], np.add),
    S("add_col_row", lambda T, a, b: T.add(a, b), [COL, ROW], np.add),
    S("add_alpha", lambda T, a, b: T.add(a, b, alpha=2.5), [A, B], lambda a, b: a + 2.5 * b),
    S("add_scalar", lambda T, a: a + 2, [A], lambda a: a + 2),
    S("radd_scalar", lambda T, a: 2.5 + a, [A], lambda a: a + 2.5),
    S("sub", lambda T, a, b: a - b, [A, ROW], np.subtract),
    S("sub_alpha", lambda T, a, b: T.sub(a, b, alpha=3), [A, B], lambda a, b: a - 3 * b),
    S("rsub_scalar", lambda T, a: 1 - a, [A], lambda a: 1 - a),
    S("rsub_fn", lambda T, a, b: T.rsub(a, b), [A, B], lambda a, b: b - a),
    S("mul", lambda T, a, b: a * b, [A, COL], np.multiply),
    S("mul_scalar", lambda T, a: a * 3, [A], lambda a: a * 3),
    S("rmul_scalar", lambda T, a: 0.5 * a, [A], lambda a: a * 0.5),
    S("div", lambda T, a, b: a / b, [A, NZ], np.divide),
    S("div_scalar", lambda T, a: a / 4, [A], lambda a: a / 4),
    S("rdiv_scalar", lambda T, a: 2 / a, [NZ], lambda a: 2 / a),
    S("div_floor", lambda T, a, b: T.div(a, b, rounding_mode="floor"), [A, NZ], lambda a, b: np.floor(a / b),
      grad=False),
    S("div_trunc", lambda T, a, b: T.div(a, b, rounding_mode="trunc"), [A, NZ], lambda a, b: np.trunc(a / b),
      grad=False),
    S("true_divide", lambda T, a, b: T.true_divide(a, b), [A, NZ], np.divide),
    S("pow_scalar", lambda T, a: a ** 3, [A], lambda a: a ** 3),
    S("pow_half", lambda T, a: a ** 0.5, [POS], np.sqrt),
    S("pow_neg", lambda T, a: T.pow(a, -2), [POS], lambda a: a ** -2.0),
    S("pow_zero", lambda T, a: a ** 0, [A], lambda a: a ** 0),
    S("pow_tensor", lambda T, a, b: a ** b, [POS, A], np.power),
    S("rpow_scalar", lambda T, a: 2 ** a, [A], lambda a: 2.0 ** a),
    S("rpow_float", lambda T, a: 1.5 ** a, [A], lambda a: 1.5 ** a),
    S("pow_fn_scalar_base", lambda T, a: T.pow(3.0, a), [A], lambda a: 3.0 ** a),
    S("float_power", lambda T, a: T.float_power(a, 2), [A], lambda a: a ** 2),
    S("remainder", lambda T, a, b: a % b, [A, NZ], np.mod, gradgrad=False),
    S("remainder_scalar", lambda T, a: T.remainder(a, 1.5), [A], lambda a: np.mod(a, 1.5)),
    S("fmod", lambda T, a, b: T.fmod(a, b), [A, NZ], np.fmod, gradgrad=False),
    S("fmod_scalar", lambda T, a: T.fmod(a, -1.5), [A], lambda a: np.fmod(a, -1.5)),
    S("floor_divide_float", lambda T, a, b: a // b, [A, NZ], np.floor_divide, grad_of=[]),
    S("maximum", lambda T, a, b: T.maximum(a, b), [A, B], np.maximum),
    S("minimum", lambda T, a, b: T.minimum(a, b), [A, ROW], np.minimum),
    S("fmax", lambda T, a, b: T.fmax(a, b), [np.array([1.0, np.nan, 2.0], np.float32),
                                              np.array([np.nan, 3.0, 1.0], np.float32)],
      expected=[1.0, 3.0, 2.0], grad=False),
    S("maximum_nan", lambda T, a, b: T.maximum(a, b), [np.array([1.0, np.nan], np.float32),
                                                        np.array([np.nan, 3.0], np.float32)],
      expected=[np.nan, np.nan], grad=False),
    S("atan2", lambda T, a, b: T.atan2(a, b), [A, NZ], np.arctan2),
    S("hypot", lambda T, a, b: T.hypot(a, b), [A, NZ], np.hypot),
    S("lerp", lambda T, a, b: T.lerp(a, b, 0.3), [A, B], lambda a, b: a + 0.3 * (b - a)),
    S("lerp_tensor_weight", lambda T, a, b, w: T.lerp(a, b, w), [A, B, arr(2, 3, low=0, high=1, seed=2)],
      lambda a, b, w: a + w * (b - a)),
    S("addcmul", lambda T, a, b, c: T.addcmul(a, b, c, value=0.5), [A, B, ROW], lambda a, b, c: a + 0.5 * b * c),
    S("addcdiv", lambda T, a, b, c: T.addcdiv(a, b, c, value=2), [A, B, NZ], lambda a, b, c: a + 2 * b / c),
    S("xlogy", lambda T, a, b: T.xlogy(a, b), [A, POS], lambda a, b: a * np.log(b)),
    S("copysign", lambda T, a, b: T.copysign(a, b), [A, NZ], np.copysign, grad_of=[0]),
    S("logaddexp", lambda T, a, b: T.logaddexp(a, b), [A, B], np.logaddexp),
    S("logaddexp2", lambda T, a, b: a.logaddexp2(b), [A, B], np.logaddexp2),
    S("heaviside", lambda T, a, v: T.heaviside(a, v), [np.array([-1.0, 0.0, 2.0], np.float32),
                                                       np.array([0.5], np.float32)], expected=[0.0, 0.5, 1.0],
      grad_of=[]),
    S("dist", lambda T, a, b: T.dist(a, b, 3), [A, B], lambda a, b: (np.abs(a - b) ** 3).sum() ** (1 / 3),
      grad_fn=False),
    S("float64_add", lambda T, a, b: a + b, [F64, A], np.add),
    S("zero_dim_add", lambda T, a, b: a * b, [np.array(2.0, np.float32), A], np.multiply),
    S("reflected_numpy_scalar", lambda T, a: np.float64(2.0) * a, [A], lambda a: 2 * a),
    S("chain_broadcast", lambda T, a, b, c: (a * b + c) / (1 + b * b), [A, COL, ROW],
      lambda a, b, c: (a * b + c) / (1 + b * b)),
    S("clamp", lambda T, a: T.clamp(a, -0.5, 0.5), [A], lambda a: np.clip(a, -0.5, 0.5)),
    S("clamp_min_only", lambda T, a: a.clamp(min=0.1), [A], lambda a: np.maximum(a, 0.1)),
    S("clamp_max_fn", lambda T, a: T.clamp_max(a, 0.2), [A], lambda a: np.minimum(a, 0.2)),
    S("clamp_min_fn", lambda T, a: T.clamp_min(a, 0.2), [A], lambda a: np.maximum(a, 0.2)),
    S("clip", lambda T, a: a.clip(-1, 1), [A], lambda a: np.clip(a, -1, 1)),
    S("clamp_tensor_bounds", lambda T, a, lo, hi: a.clamp(lo, hi), [A, ROW * 0.5 - 1, ROW * 0.5 + 1],
      lambda a, lo, hi: np.minimum(np.maximum(a, lo), hi)),
    S("clamp_tensor_min", lambda T, a, lo: T.clamp(a, min=lo), [A, B], np.maximum),
    S("clamp_min_gt_max", lambda T, a: a.clamp(1.0, -1.0), [A], lambda a: np.full_like(a, -1.0), grad=False),
    # kinks: clamp passes the gradient at its bounds
    S("clamp_kink", lambda T, a: a.clamp(0, 1), [np.array([-1.0, 0.0, 0.5, 1.0, 2.0], np.float32)],
      grad_expected=[[0, 1, 1, 1, 0]], grad=False),
    S("clamp_tensor_kink", lambda T, a, lo, hi: a.clamp(lo, hi), [np.array([0.0, 1.0, 2.0, 3.0], np.float32),
                                                                  np.array([0.0, 1.5, 2.0, 3.0], np.float32),
                                                                  np.array([1.0, 2.0, 2.0, 2.0], np.float32)],
      grad_expected=[[1, 0, 1, 0], [0, 1, 0, 0], [0, 0, 0, 1]], grad=False),
    # kinks: maximum/minimum ties share the gradient; remainder at the divisor's multiples
    S("maximum_tie", lambda T, a, b: T.maximum(a, b), [np.array([1.0, 2.0, 3.0], np.float32),
                                                        np.array([1.0, 1.0, 4.0], np.float32)],
      grad_expected=[[0.5, 1.0, 0.0], [0.5, 0.0, 1.0]], grad=False),
    S("minimum_tie", lambda T, a, b: T.minimum(a, b), [np.array([1.0, 2.0], np.float32),
                                                        np.array([1.0, 1.0], np.float32)],
      grad_expected=[[0.5, 0.0], [0.5, 1.0]], grad=False),
    S("pow_at_zero", lambda T, a: a ** 2, [np.array([0.0, 1.0], np.float32)], grad_expected=[[0.0, 2.0]]),
    S("pow_tensor_zero_base", lambda T, a, b: a ** b, [np.array([0.0, 2.0], np.float32),
                                                        np.array([2.0, 3.0], np.float32)],
      grad_expected=[[0.0, 12.0], [0.0, 8 * np.log(2.0)]], grad=False),
    # dtype promotion
    S("int_plus_float_scalar", lambda T, a: a + 2.5, [IN], lambda a: (a + 2.5).astype(np.float32)),
    S("int_times_int_scalar", lambda T, a: a * 3, [IN], lambda a: a * 3),
    S("int_div_int", lambda T, a, b: a / b, [IN, J], lambda a, b: (a / b).astype(np.float32)),
    S("int_div_scalar", lambda T, a: a / 2, [IN], lambda a: (a / 2).astype(np.float32)),
    S("scalar_div_int", lambda T, a: 6 / a, [J], lambda a: (6 / a).astype(np.float32)),
    S("int_plus_float_tensor", lambda T, a, b: a + b, [IN, A], lambda a, b: a + b, grad_of=[1]),
    S("uint8_plus_int8", lambda T, a, b: a + b, [U8, I8], lambda a, b: a.astype(np.int16) + b),
    S("int8_overflow", lambda T, a: a + 1, [I8], lambda a: (a + 1).astype(np.int8)),
    S("uint8_wrap", lambda T, a: a + 10, [U8], lambda a: (a.astype(np.int64) + 10).astype(np.uint8)),
    S("uint8_times_scalar", lambda T, a: a * 2, [U8], lambda a: (a.astype(np.int64) * 2).astype(np.uint8)),
    S("int64_plus_f16_0dim", lambda T, a, b: a + b, [IN, F16_0D], lambda a, b: (a + 1.5).astype(np.float16),
      grad=False),
    S("f32_plus_f64_0dim", lambda T, a, b: a + b, [A, np.array(1.5)], lambda a, b: (a + b).astype(np.float32)),
    S("int32_plus_int64_0dim", lambda T, a, b: a + b, [IN.astype(np.int32), np.array(3)],
      lambda a, b: (a + b).astype(np.int32)),
    S("int_plus_f32_0dim", lambda T, a, b: a + b, [IN.astype(np.int32), np.array(1.5, np.float32)],
      lambda a, b: (a + b).astype(np.float32), grad=False),
    S("f16_plus_f32", lambda T, a, b: a + b, [A.astype(np.float16), B], lambda a, b: a + b, atol=1e-3,
      grad=False),
    S("bool_plus_bool", lambda T, a, b: a + b, [BOOL, BOOL2], lambda a, b: a | b),
    S("bool_times_bool", lambda T, a, b: a * b, [BOOL, BOOL2], lambda a, b: a & b),
    S("bool_plus_int", lambda T, a: a + 1, [BOOL], lambda a: a.astype(np.int64) + 1),
    S("bool_times_float", lambda T, a: a * 2.5, [BOOL], lambda a: (a * 2.5).astype(np.float32)),
    S("bool_plus_true", lambda T, a: a + True, [BOOL], lambda a: a | True),
    S("int_plus_bool_scalar", lambda T, a: a + True, [IN], lambda a: a + 1),
    S("int_pow_int", lambda T, a: a ** 2, [IN], lambda a: a ** 2),
    S("int_pow_float", lambda T, a: a ** 0.5, [np.abs(IN)], lambda a: (a ** 0.5).astype(np.float32)),
    S("scalar_pow_int_tensor", lambda T, a: 2 ** a, [np.abs(IN)], lambda a: 2 ** a),
    S("float_scalar_pow_int_tensor", lambda T, a: 2.0 ** a, [np.abs(IN)],
      lambda a: (2.0 ** a).astype(np.float32)),
    # integer division semantics (Python's: floor, remainder has the divisor's sign)
    S("int_floordiv", lambda T, a, b: a // b, [IN, J], np.floor_divide),
    S("int_floordiv_scalar", lambda T, a: a // 2, [IN], lambda a: a // 2),
    S("int_rfloordiv", lambda T, a: 7 // a, [J], lambda a: 7 // a),
    S("int_mod", lambda T, a, b: a % b, [IN, J], np.mod),
    S("int_mod_neg_scalar", lambda T, a: a % -3, [IN], lambda a: a % -3),
    S("int_rmod", lambda T, a: 7 % a, [J], lambda a: 7 % a),
    S("int_fmod", lambda T, a, b: T.fmod(a, b), [IN, J], np.fmod),
    S("int_div_floor", lambda T, a, b: T.div(a, b, rounding_mode="floor"), [IN, J], np.floor_divide),
    S("int_div_trunc", lambda T, a, b: T.div(a, b, rounding_mode="trunc"), [IN, J],
      lambda a, b: np.trunc(a / b).astype(np.int64)),
    S("float_mod_neg", lambda T, a: a % -3, [np.array([-7.0, 7.0], np.float32)], expected=[-1.0, -2.0],
      grad=False),
    S("float_floordiv", lambda T, a: a // 2, [np.array([-7.0, 7.0], np.float32)], expected=[-4.0, 3.0],
      grad_of=[]),
    S("float_div_by_zero", lambda T, a: a / 0, [np.array([-1.0, 0.0, 1.0], np.float32)],
      expected=[-np.inf, np.nan, np.inf], grad=False),
    # bitwise
    S("bitwise_and", lambda T, a, b: a & b, [IN, J], np.bitwise_and),
    S("bitwise_or", lambda T, a, b: a | b, [IN, J], np.bitwise_or),
    S("bitwise_xor", lambda T, a, b: a ^ b, [BOOL, BOOL2], np.bitwise_xor),
    S("bitwise_not", lambda T, a: ~a, [IN], np.invert),
    S("bool_invert", lambda T, a: ~a, [BOOL], np.invert),
    S("shift_left", lambda T, a: a << 2, [np.abs(IN)], lambda a: a << 2),
    S("shift_right", lambda T, a: a >> 1, [np.abs(IN)], lambda a: a >> 1),
]

ERRORS = [
    ErrorSpec("broadcast_mismatch", lambda T, a, b: a + b, [arr(2, 3), arr(2, 4)],
              match=r"The size of tensor a \(3\) must match the size of tensor b \(4\) at non-singleton dimension 1"),
    ErrorSpec("broadcast_mismatch_mul", lambda T, a, b: a * b, [arr(2, 3), arr(4)],
              match=r"The size of tensor a \(3\) must match the size of tensor b \(4\) at non-singleton dimension 1"),
    ErrorSpec("broadcast_mismatch_dim0", lambda T, a, b: a - b, [arr(3, 2), arr(4, 2)],
              match=r"The size of tensor a \(3\) must match the size of tensor b \(4\) at non-singleton dimension 0"),
    ErrorSpec("bool_sub", lambda T, a, b: a - b, [BOOL, BOOL2], match="Subtraction, the `-` operator, with two bool"),
    ErrorSpec("bool_rsub", lambda T, a: 1 - a, [BOOL], match="Subtraction, the `-` operator, with a bool tensor"),
    ErrorSpec("int_neg_pow", lambda T, a: a ** -1, [IN], match="Integers to negative integer powers are not allowed"),
    ErrorSpec("int_div_zero", lambda T, a: a // 0, [IN], match="ZeroDivisionError"),
    ErrorSpec("int_mod_zero", lambda T, a: a % 0, [IN], match="ZeroDivisionError"),
    ErrorSpec("bitwise_float", lambda T, a, b: a & b, [A, B], match=r"\"bitwise_and_cpu\" not implemented for 'Float'"),
    ErrorSpec("add_string", lambda T, a: a + "x", [A], exc=TypeError),
]

test_forward, test_gradcheck, test_gradgradcheck, test_gradients_match_cpu, test_errors = make_tests(SPECS, ERRORS)
