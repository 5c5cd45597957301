# ruff: noqa: E501  (the expected outputs are PyTorch's, verbatim)
"""Dtypes and PyTorch's promotion rules: dimensioned tensors > zero-dim tensors > Python numbers,
each lower group counting only when it is of a higher category (bool < integer < floating);
integer overflow wraps; integer division by zero raises. Expected outputs are PyTorch 2.13's."""

import itertools

import pytest

import lanterna as torch
from optest import run_snippet

SNIPPETS = [
    ('p_int_float_scalar', '(torch.tensor([1, 2]) + 2.5).dtype',
     'torch.float32'),
    ('p_int_div', '(torch.tensor([1, 2]) / torch.tensor([2, 2])).dtype',
     'torch.float32'),
    ('p_int_div_scalar', '(torch.tensor([3]) / 2).dtype',
     'torch.float32'),
    ('p_u8_i8', '(torch.tensor([1], dtype=torch.uint8) + torch.tensor([1], dtype=torch.int8)).dtype',
     'torch.int16'),
    ('p_i64_f16_0d', '(torch.tensor([1, 2]) + torch.tensor(1.5, dtype=torch.float16)).dtype',
     'torch.float16'),
    ('p_f16_f64_0d', '(torch.tensor([1.], dtype=torch.float16) + torch.tensor(1.5, dtype=torch.float64)).dtype',
     'torch.float16'),
    ('p_i32_i64_0d', '(torch.tensor([1], dtype=torch.int32) + torch.tensor(5)).dtype',
     'torch.int32'),
    ('p_i32_f64_0d', '(torch.tensor([1], dtype=torch.int32) + torch.tensor(5.)).dtype',
     'torch.float32'),
    ('p_bool_bool', '(torch.tensor([True]) + torch.tensor([True])).dtype',
     'torch.bool'),
    ('p_bool_int', '(torch.tensor([True]) + 1).dtype',
     'torch.int64'),
    ('p_bool_float', '(torch.tensor([True]) * 1.5).dtype',
     'torch.float32'),
    ('p_bool_i8', '(torch.tensor([True]) + torch.tensor([1], dtype=torch.int8)).dtype',
     'torch.int8'),
    ('p_u8_scalar_neg', '(torch.tensor([1], dtype=torch.uint8) - 3)',
     'tensor([254], dtype=torch.uint8)'),
    ('p_i8_overflow', 'torch.tensor([127], dtype=torch.int8) + 1',
     'tensor([-128], dtype=torch.int8)'),
    ('p_i8_mul_big', 'torch.tensor([1, 2], dtype=torch.int8) * 1000',
     'tensor([-24, -48], dtype=torch.int8)'),
    ('p_u8_gt_neg', 'torch.tensor([1, 2], dtype=torch.uint8) > -1',
     'tensor([False, False])'),
    ('p_f16_scalar', '(torch.tensor([1.], dtype=torch.float16) * 1e5)',
     'tensor([inf], dtype=torch.float16)'),
    ('p_i16_f32', '(torch.tensor([1], dtype=torch.int16) + torch.tensor([1.], dtype=torch.float32)).dtype',
     'torch.float32'),
    ('p_i64_f16', '(torch.tensor([1]) + torch.tensor([1.], dtype=torch.float16)).dtype',
     'torch.float16'),
    ('p_cmp_cross', 'torch.tensor([1, 2]) < torch.tensor([1.5, 1.5])',
     'tensor([ True, False])'),
    ('p_eq_float_scalar', 'torch.tensor([1, 2]) == 1.0',
     'tensor([ True, False])'),
    ('p_where_scalars', 'torch.where(torch.tensor([True, False]), 1.0, 0)',
     'tensor([1., 0.])'),
    ('p_where_ints', 'torch.where(torch.tensor([True, False]), 1, 0)',
     'tensor([1, 0])'),
    ('p_pow_int_float', '(torch.tensor([2]) ** 0.5).dtype',
     'torch.float32'),
    ('p_default_f64', 'torch.set_default_dtype(torch.float64)\nout = (torch.tensor([1.5]).dtype, (torch.tensor([1]) + 2.5).dtype, torch.arange(3.).dtype, torch.zeros(1).dtype)\ntorch.set_default_dtype(torch.float32)',
     '(torch.float64, torch.float64, torch.float64, torch.float64)'),
    ('p_default_int_err', 'torch.set_default_dtype(torch.int64)',
     '!! TypeError: only floating-point types are supported as the default type'),
    ('p_result_type', 'torch.result_type(torch.tensor([1]), 1.0), torch.result_type(torch.tensor([1], dtype=torch.uint8), -1), torch.result_type(2, 3.0)',
     '(torch.float32, torch.uint8, torch.float32)'),
    ('p_promote_types', 'torch.promote_types(torch.uint8, torch.int8), torch.promote_types(torch.bool, torch.uint8), torch.promote_types(torch.float16, torch.int64), torch.promote_types(torch.int32, torch.float16)',
     '(torch.int16, torch.uint8, torch.float16, torch.float16)'),
    ('p_can_cast', 'torch.can_cast(torch.float32, torch.int32), torch.can_cast(torch.int32, torch.float32), torch.can_cast(torch.int64, torch.int8), torch.can_cast(torch.bool, torch.uint8)',
     '(False, True, True, True)'),
    ('p_inplace_cast_err', 'x = torch.tensor([1, 2])\nx += 1.5',
     "!! RuntimeError: result type Float can't be cast to the desired output type Long"),
    ('p_inplace_int_ok', 'x = torch.tensor([1., 2.])\nx += torch.tensor([1, 1])\nout = x',
     'tensor([2., 3.])'),
    ('p_inplace_mul_int', 'x = torch.tensor([1, 2])\nx *= 2\nout = x',
     'tensor([2, 4])'),
    ('p_inplace_div_int', 'x = torch.tensor([1, 2])\nx /= 2',
     "!! RuntimeError: result type Float can't be cast to the desired output type Long"),
    ('p_floordiv_zero', 'torch.tensor([1]) // torch.tensor([0])',
     '!! RuntimeError: ZeroDivisionError'),
    ('p_int_div_zero', 'torch.tensor([1]) / torch.tensor([0])',
     'tensor([inf])'),
    ('p_float_div_zero', 'torch.tensor([1., -1., 0.]) / 0',
     'tensor([inf, -inf, nan])'),
    ('p_int_mod', 'torch.tensor([-7, 7]) % 3, torch.tensor([-7, 7]) % -3, torch.tensor([-7, 7]) // 2',
     '(tensor([2, 1]), tensor([-1, -2]), tensor([-4,  3]))'),
    ('p_fmod', 'torch.fmod(torch.tensor([-7, 7]), 3)',
     'tensor([-1,  1])'),
    ('p_cast_trunc', 'torch.tensor([3.9, -3.9]).long(), torch.tensor([-1.5]).to(torch.uint8)',
     '(tensor([ 3, -3]), tensor([255], dtype=torch.uint8))'),
    ('dtype_attrs', 'torch.float32.is_floating_point, torch.int32.is_signed, torch.uint8.is_signed, torch.float32.itemsize, torch.float64.is_complex',
     '(True, True, False, 4, False)'),
    ('dtype_aliases', 'torch.float is torch.float32, torch.double is torch.float64, torch.long is torch.int64, torch.int is torch.int32, torch.half is torch.float16, torch.short is torch.int16',
     '(True, True, True, True, True, True)'),
    ('finfo', 'torch.finfo(torch.float32)',
     'finfo(resolution=1e-06, min=-3.40282e+38, max=3.40282e+38, eps=1.19209e-07, smallest_normal=1.17549e-38, tiny=1.17549e-38, dtype=float32)'),
    ('finfo_f16', 'torch.finfo(torch.float16)',
     'finfo(resolution=0.001, min=-65504, max=65504, eps=0.000976562, smallest_normal=6.10352e-05, tiny=6.10352e-05, dtype=float16)'),
    ('finfo_default', 'torch.finfo().eps',
     '1.1920928955078125e-07'),
    ('iinfo', 'torch.iinfo(torch.int8), torch.iinfo(torch.uint8).max, torch.iinfo(torch.int64).min',
     '(iinfo(min=-128, max=127, dtype=int8), 255, -9223372036854775808)'),
    ('finfo_int_err', 'torch.finfo(torch.int32)',
     "!! TypeError: torch.finfo() requires a floating point input type. Use torch.iinfo to handle 'torch.finfo'"),
]

DTYPES = [torch.bool, torch.uint8, torch.int8, torch.int16, torch.int32, torch.int64, torch.float16,
          torch.float32, torch.float64]


@pytest.mark.parametrize("name,code,expected", SNIPPETS, ids=[s[0] for s in SNIPPETS])
def test_snippet(name, code, expected):
    assert run_snippet(torch, code) == expected


def _category(d):
    return 0 if d is torch.bool else 2 if d.is_floating_point else 1


@pytest.mark.parametrize("a,b", list(itertools.product(DTYPES, DTYPES)), ids=str)
def test_promote_types_rules(a, b):
    r = torch.promote_types(a, b)
    assert r is torch.promote_types(b, a)
    assert _category(r) == max(_category(a), _category(b))
    if _category(a) != _category(b):
        hi = a if _category(a) > _category(b) else b
        assert r is hi  # a float with an integer stays that float; an integer with bool stays that integer
    elif a is b:
        assert r is a
    tensor_result = (torch.zeros(2, dtype=a) + torch.zeros(2, dtype=b)).dtype if a is not torch.bool or b is not torch.bool else torch.bool
    assert tensor_result is r


@pytest.mark.parametrize("d", DTYPES, ids=str)
def test_scalar_rules(d):
    x = torch.zeros(2, dtype=d)
    assert (x + 1.5).dtype is (d if d.is_floating_point else torch.get_default_dtype())
    assert (x + 1).dtype is (torch.int64 if d is torch.bool else d)
    assert (x + True).dtype is d
    assert (x + torch.tensor(1.5, dtype=torch.float64)).dtype is (d if d.is_floating_point else torch.float64)
    assert (x / 2).dtype is (d if d.is_floating_point else torch.get_default_dtype())
