"""In-place samplers ``geometric_``, ``log_normal_``, ``cauchy_`` and ``random_``'s bounds: PyTorch's
transforms of the mt19937 stream (checked against the formulas), their statistics, dtypes and
argument errors (PyTorch 2.13's wording, written out here)."""

from __future__ import annotations

import math

import numpy as np
import pytest

import lanterna as L
from lanterna import _rng


def uniforms(seed, n):
    """The 53-bit uniforms a generator seeded with ``seed`` hands out first."""
    return _rng.Generator(seed)._uniform53(n)


def test_geometric_is_ceil_log_u_over_log1p_minus_p():
    p = 0.3
    got = L.empty(500, dtype=L.float64).geometric_(p, generator=L.Generator().manual_seed(4)).numpy()
    expect = [math.ceil(math.log(u) / math.log1p(-p)) for u in uniforms(4, 500)]
    np.testing.assert_array_equal(got, expect)


def test_cauchy_is_median_plus_sigma_tan():
    got = L.empty(500, dtype=L.float64).cauchy_(1.5, 2.0, generator=L.Generator().manual_seed(9)).numpy()
    expect = [1.5 + 2.0 * math.tan(math.pi * (u - 0.5)) for u in uniforms(9, 500)]
    np.testing.assert_allclose(got, expect, rtol=1e-14)


def test_log_normal_is_exp_of_box_muller():
    u = uniforms(2, 4)  # two Box-Muller pairs: (u1, u2) -> r cos(theta), r sin(theta)
    z = []
    for u1, u2 in ((u[0], u[1]), (u[2], u[3])):
        r, theta = math.sqrt(-2 * math.log1p(-u2)), 2 * math.pi * u1
        z += [r * math.cos(theta), r * math.sin(theta)]
    got = L.empty(4, dtype=L.float64).log_normal_(0.5, 0.25, generator=L.Generator().manual_seed(2)).numpy()
    np.testing.assert_allclose(got, np.exp(0.5 + 0.25 * np.array(z)), rtol=1e-14)


def test_statistics():
    L.manual_seed(0)
    g = L.empty(20000, dtype=L.float64).geometric_(0.2).numpy()
    assert g.min() >= 1 and np.all(g == np.round(g))
    assert abs(g.mean() - 5.0) < 0.15 and abs(g.var() - 20.0) < 1.5  # 1/p, (1-p)/p^2
    ln = np.log(L.empty(20000, dtype=L.float64).log_normal_(1.0, 2.0).numpy())
    assert abs(ln.mean() - 1.0) < 0.05 and abs(ln.std() - 2.0) < 0.05
    c = L.empty(20000, dtype=L.float64).cauchy_(3.0, 0.5).numpy()
    q1, med, q3 = np.percentile(c, [25, 50, 75])  # median +- sigma
    assert abs(med - 3.0) < 0.03 and abs(q1 - 2.5) < 0.03 and abs(q3 - 3.5) < 0.03


def test_dtypes():
    L.manual_seed(1)
    for dt in (L.int64, L.int32, L.int16, L.int8, L.uint8, L.float16, L.float32):
        t = L.empty(50, dtype=dt).geometric_(0.5)
        assert t.dtype is dt and bool((t >= 1).all())
    with pytest.raises(NotImplementedError, match="\"geometric_cpu\" not implemented for 'Bool'"):
        L.empty(2, dtype=L.bool).geometric_(0.5)
    with pytest.raises(NotImplementedError, match="\"log_normal_cpu\" not implemented for 'Long'"):
        L.empty(2, dtype=L.int64).log_normal_()
    with pytest.raises(RuntimeError, match="Cauchy distribution is a continuous probability distribution. dtype "
                                           "must be a floating point but you specified int"):
        L.empty(2, dtype=L.int32).cauchy_()
    # an empty tensor returns before the kernel's dtype check (cauchy_ checks first)
    assert L.empty(0, dtype=L.bool).geometric_(0.5).numel() == 0
    assert L.empty(0, dtype=L.int64).log_normal_().numel() == 0
    assert L.empty(0, dtype=L.int64).normal_().numel() == 0
    with pytest.raises(RuntimeError, match="Cauchy"):
        L.empty(0, dtype=L.int64).cauchy_()


def test_geometric_integer_overflow_wraps_like_cpp():
    """double -> small int goes through int32 (low bits kept); out of int32/int64 range: the minimum."""
    L.manual_seed(3)
    wide = L.empty(20, dtype=L.float64).geometric_(1e-3).numpy().astype(np.int64)
    L.manual_seed(3)
    u8 = L.empty(20, dtype=L.uint8).geometric_(1e-3).numpy()
    np.testing.assert_array_equal(u8, wide % 256)
    assert L.empty(3, dtype=L.int64).geometric_(1e-300).tolist() == [-(2**63)] * 3
    assert L.empty(3, dtype=L.int32).geometric_(1e-300).tolist() == [-(2**31)] * 3


@pytest.mark.parametrize("call,exc,msg", [
    (lambda t: t.geometric_(0), RuntimeError, "geometric_ expects p to be in (0, 1), but got p=0"),
    (lambda t: t.geometric_(1.5), RuntimeError, "geometric_ expects p to be in (0, 1), but got p=1.5"),
    (lambda t: t.geometric_(float("nan")), RuntimeError, "but got p=nan"),
    (lambda t: t.geometric_(), TypeError, 'geometric_() missing 1 required positional arguments: "p"'),
    (lambda t: t.geometric_(0.5, 0.2), TypeError, "geometric_() takes 1 positional argument but 2 were given"),
    (lambda t: t.geometric_("a"), TypeError, "geometric_(): argument 'p' (position 1) must be float, not str"),
    (lambda t: t.log_normal_(1, 0), RuntimeError, "log_normal_ expects std > 0.0, but found std=0"),
    (lambda t: t.log_normal_(0, -0.123456789), RuntimeError, "but found std=-0.123457"),
    (lambda t: t.log_normal_(std="b"), TypeError, "log_normal_(): argument 'std' must be float, not str"),
    (lambda t: t.cauchy_(0, -1), RuntimeError, "cauchy_ expects sigma > 0.0, but found sigma=-1"),
    (lambda t: t.cauchy_(0, 1, 2), TypeError, "cauchy_() takes from 0 to 2 positional arguments but 3 were given"),
    (lambda t: t.cauchy_(foo=1), TypeError, "cauchy_() got an unexpected keyword argument 'foo'"),
    (lambda t: t.cauchy_(generator=3), TypeError, "cauchy_(): argument 'generator' must be torch.Generator, not int"),
    (lambda t: t.uniform_(-3e38, 3e38), RuntimeError, "uniform_ expects to-from <= std::numeric_limits<Float>::max()"),
    (lambda t: t.uniform_(-4e38, 0), RuntimeError, "from is out of bounds for float"),
])
def test_argument_errors(call, exc, msg):
    with pytest.raises(exc) as info:
        call(L.empty(3))
    assert msg in str(info.value)


def test_parameters_accept_numbers_and_0d_tensors():
    a = L.empty(4).cauchy_(L.tensor(1.5), generator=L.Generator().manual_seed(0))
    b = L.empty(4).cauchy_(1.5, generator=L.Generator().manual_seed(0))
    assert a.tolist() == b.tolist()
    with pytest.raises(TypeError, match="must be float, not Tensor"):
        L.empty(2).cauchy_(L.tensor([1.0, 2.0]))


def test_strided_tensor_is_filled_in_memory_order():
    x = L.zeros(4, 5)
    L.manual_seed(0)
    x.t().uniform_()  # the storage of x gets the stream in order
    L.manual_seed(0)
    np.testing.assert_array_equal(x.numpy().ravel(), L.rand(20).numpy())


def test_device_generator_without_the_sampler_uses_the_transform():
    """A device generator offering only uniform/normal still gets geometric_/log_normal_/cauchy_."""

    class Plain:  # uniform and normal draws only (numbers: a 53-bit stream)
        def __init__(self):
            self._g = _rng.Generator(6)

        def uniform(self, shape, dtype, low=0.0, high=1.0):
            return self._g.uniform(shape, dtype, low, high)

        def normal(self, shape, dtype, mean=0.0, std=1.0):
            return self._g.normal(shape, dtype, mean, std)

    gen = L.Generator()
    gen._impl = Plain()
    u = _rng.Generator(6).uniform(64, np.float64)
    got = L.empty(64, dtype=L.float64).geometric_(0.25, generator=gen).numpy()
    np.testing.assert_array_equal(got, np.ceil(np.log(u) / math.log1p(-0.25)))
    gen._impl = Plain()
    got = L.empty(64, dtype=L.float64).cauchy_(1.0, 2.0, generator=gen).numpy()
    np.testing.assert_allclose(got, 1.0 + 2.0 * np.tan(math.pi * (u - 0.5)), rtol=1e-12)
    gen._impl = Plain()
    got = L.empty(64, dtype=L.float32).log_normal_(0.0, 1.0, generator=gen)
    assert got.dtype is L.float32
    np.testing.assert_allclose(got.numpy(), np.exp(_rng.Generator(6).normal(64, np.float64)), rtol=1e-6)


# ---- random_ ------------------------------------------------------------------------------------
@pytest.mark.parametrize("args", [(5.5,), (1.5, 3.7), (1, 3.0), (True,), (False, True), (None,), (None, 3),
                                  (np.float64(3.0),), (L.tensor(3.0),), (L.tensor([3]),)])
def test_random_refuses_non_int_bounds(args):
    with pytest.raises(TypeError, match=r"random_\(\) received an invalid combination of arguments"):
        L.empty(3).random_(*args)


@pytest.mark.parametrize("kwargs", [{"from": 2}, {"to": None}, {"from": 2.5, "to": 4}, {"foo": 1}])
def test_random_refuses_bad_keywords(kwargs):
    with pytest.raises(TypeError, match="invalid combination"):
        L.empty(3).random_(**kwargs)


@pytest.mark.parametrize("dtype,args,msg", [
    ("int8", (0, 300), "to - 1 is out of bounds for signed char"),
    ("int8", (-129, 0), "from is out of bounds for signed char"),
    ("uint8", (-1, 5), "from is out of bounds for unsigned char"),
    ("bool", (5,), "to - 1 is out of bounds for bool"),
    ("int16", (2**31,), "to - 1 is out of bounds for short int"),
    ("int32", (2**63 - 1,), "to - 1 is out of bounds for int"),
    ("float16", (2**31,), "to - 1 is out of bounds for c10::Half"),
    ("int8", (128, None), "from is out of bounds for signed char"),
    ("float16", (2048, None), "random_ expects 'from' casted to dtype to be less than or equal to 'to_inc' casted to "
                              "dtype, but got from=2048 > to_inc=2048"),
    ("float32", (2**25 + 1, 2**25 + 2), "random_ expects 'from' casted to dtype to be less than 'to' casted to dtype"),
    ("int64", (4, 2), "random_ expects 'from' to be less than 'to', but got from=4 >= to=2"),
])
def test_random_bound_errors(dtype, args, msg):
    with pytest.raises(RuntimeError) as info:
        L.empty(3, dtype=getattr(L, dtype)).random_(*args)
    assert msg in str(info.value)


def test_random_overflowing_bound():
    with pytest.raises(ValueError, match="Overflow when unpacking long long"):
        L.empty(3).random_(2**63)


def test_random_from_to_dtype_max():
    L.manual_seed(0)
    i8 = L.empty(2000, dtype=L.int8).random_(-5, None).numpy()
    assert i8.min() == -5 and i8.max() == 127
    b = L.empty(50, dtype=L.bool).random_(1, None)
    assert bool(b.all())
    h = L.empty(200, dtype=L.float16).random_(2046, None).numpy()
    assert set(h.tolist()) == {2046.0, 2047.0, 2048.0}
    assert L.empty(5, dtype=L.int64).random_(-(2**63), None).dtype is L.int64
    with pytest.raises(RuntimeError, match="random_full_64_bits_range_kernel_cpu handles only"):
        L.empty(5, dtype=L.int32).random_(-(2**63), None)


def test_random_warns_beyond_exact_float_integers():
    with pytest.warns(UserWarning, match=r"to - 1 is out of bounds \[-\(2\^24\), 2\^24\]"):
        L.empty(2).random_(0, 2**31)
