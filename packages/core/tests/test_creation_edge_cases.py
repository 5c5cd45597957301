"""Tensor creation edge cases: values and errors pinned to PyTorch's behaviour."""

import warnings

import numpy as np
import pytest

import lanterna as torch


def test_list_of_multi_element_tensors_is_refused():
    with pytest.raises(ValueError, match="only one element tensors can be converted to Python scalars"):
        torch.tensor([torch.tensor([1.0, 2.0]), torch.tensor([3.0, 4.0])])
    with pytest.raises(TypeError, match="only integer tensors of a single element can be converted to an index"):
        torch.tensor([torch.tensor([1, 2]), torch.tensor([3, 4])])
    with pytest.raises(ValueError, match="only one element tensors"):
        torch.tensor([torch.tensor([]), torch.tensor([])])


def test_element_tensor_dtypes_join_the_inference():
    assert torch.tensor([torch.tensor(1.0, dtype=torch.float64), 2]).dtype == torch.float64
    assert torch.tensor([torch.tensor(1, dtype=torch.int8), torch.tensor(2, dtype=torch.int8)]).dtype == torch.int8
    with pytest.raises(TypeError, match="single element can be converted to an index"):
        torch.tensor([torch.tensor(1.5), 2], dtype=torch.int64)


def test_numpy_scalar_anywhere_in_list_sets_dtype():
    assert torch.tensor([1.5, np.float64(1)]).dtype == torch.float64
    assert torch.tensor([True, np.int8(-1)]).dtype == torch.int8
    assert torch.tensor([True, np.float16(2)]).dtype == torch.float16
    with pytest.raises(TypeError, match="'numpy.bool' object cannot be interpreted as an integer"):
        torch.tensor([np.bool_(True), 1])


def test_byte_swapped_array_message():
    a = np.arange(3, dtype=">f8")
    for fn in (torch.tensor, torch.as_tensor, torch.from_numpy):
        with pytest.raises(ValueError, match="byte order different from the native byte order"):
            fn(a)


def test_unsupported_array_type_named_as_numpy_class():
    with pytest.raises(TypeError, match="type numpy.object_"):
        torch.from_numpy(np.array([1, 2], dtype=object))
    with pytest.raises(TypeError, match="type numpy.object_"):
        torch.Tensor(np.array([1, 2], dtype=object))
    with pytest.raises(TypeError, match=r"expected np.ndarray \(got numpy.float64\)"):
        torch.from_numpy(np.float64(1))


def test_nan_into_integer_dtype_overflows():
    with pytest.raises(RuntimeError, match="value cannot be converted to type int32 without overflow"):
        torch.tensor([float("nan"), float("inf")], dtype=torch.int32)


def test_big_int_into_float_dtype():
    assert torch.tensor([2**63], dtype=torch.float64).tolist() == [9.223372036854776e18]
    assert torch.tensor([2**64], dtype=torch.bool).tolist() == [True]
    with pytest.raises(ValueError, match="Overflow when unpacking long long"):
        torch.tensor([2**64])


def test_string_inside_list():
    with pytest.raises(ValueError, match="too many dimensions 'str'"):
        torch.tensor(["a"])
    with pytest.raises(TypeError, match="must be real number, not NoneType"):
        torch.tensor([1, None], dtype=torch.float64)


def test_size_arguments():
    assert torch.zeros(torch.tensor(3)).shape == (3,)
    for bad in (True, torch.tensor(2.0), torch.tensor([2, 3])):
        with pytest.raises(TypeError, match="zeros\\(\\): argument 'size' \\(position 1\\) must be tuple of ints"):
            torch.zeros(bad)
    with pytest.raises(TypeError, match="randn\\(\\): argument 'size'"):
        torch.randn(2.0)


def test_out_is_written():
    o = torch.empty(1)
    assert torch.zeros(2, 3, out=o) is o and o.shape == (2, 3) and o.sum().item() == 0
    o = torch.empty(2, dtype=torch.int32)
    torch.ones(2, out=o)
    assert o.tolist() == [1, 1] and o.dtype == torch.int32
    o = torch.empty(2)
    torch.arange(5, out=o)
    assert o.tolist() == [0.0, 1.0, 2.0, 3.0, 4.0]
    o = torch.empty(2, dtype=torch.float64)
    torch.full((2,), 3, out=o)
    assert o.tolist() == [3.0, 3.0]
    torch.eye(2, out=o)
    assert o.tolist() == [[1.0, 0.0], [0.0, 1.0]]
    torch.linspace(0, 1, 5, out=o)
    assert o.tolist() == [0.0, 0.25, 0.5, 0.75, 1.0]


def test_full_fill_value():
    assert torch.full((2,), torch.tensor(3, dtype=torch.int8)).dtype == torch.int64
    assert torch.full((2,), -1, dtype=torch.uint8).tolist() == [255, 255]
    with pytest.raises(RuntimeError, match="value cannot be converted to type uint8_t without overflow"):
        torch.full((2,), 300, dtype=torch.uint8)
    with pytest.raises(RuntimeError, match="value cannot be converted to type int without overflow"):
        torch.full((2,), float("nan"), dtype=torch.int32)
    with pytest.raises(RuntimeError, match="value cannot be converted to type float without overflow"):
        torch.full((2,), 1e300, dtype=torch.float32)
    with pytest.raises(TypeError, match="full\\(\\): argument 'size' \\(position 1\\) must be tuple of ints, not int"):
        torch.full(2, 1)
    with pytest.raises(TypeError, match="must be Number, not Tensor"):
        torch.full((2,), torch.tensor([1, 2]))


def test_arange_integer_dtype_truncates_arguments():
    assert torch.arange(0, 3, 1.7, dtype=torch.int64).tolist() == [0, 1, 2]
    assert torch.arange(0.5, 3, dtype=torch.int64).tolist() == [0, 1, 2]
    assert torch.arange(0, 3.7, dtype=torch.int32).tolist() == [0, 1, 2, 3]
    with pytest.raises(ValueError, match="step must be nonzero"):
        torch.arange(0, 3, 0.5, dtype=torch.int64)
    with pytest.raises(NotImplementedError, match="\"arange_cpu\" not implemented for 'Bool'"):
        torch.arange(5, dtype=torch.bool)
    with pytest.raises(RuntimeError, match="unsupported range: 0 -> nan"):
        torch.arange(float("nan"))


def test_range_is_inclusive_and_deprecated():
    with pytest.warns(UserWarning, match="torch.range is deprecated"):
        r = torch.range(0, 1, 0.1)
    assert r.shape == (11,) and r.dtype == torch.float32
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert torch.range(0.5, 3).tolist() == [0.5, 1.5, 2.5]
        assert torch.range(3, 0, -1).tolist() == [3.0, 2.0, 1.0, 0.0]


def test_linspace_rounds_each_element_once_in_its_dtype():
    # PyTorch: step in float32, end - step * 3 fused: 1 - 1.0000000298 (not 0)
    t = torch.linspace(-1, 1, 7)
    assert t[3].item() == np.float32(-2.9802322387695312e-08)
    assert torch.linspace(0.1, 0.9, 9)[1].item() == np.float32(0.19999999)
    with pytest.raises(NotImplementedError, match="\"linspace_cpu\" not implemented for 'Bool'"):
        torch.linspace(0, 1, 5, dtype=torch.bool)


# ---- random creation functions and index helpers: argument handling ------------------------------
def test_randint_bounds_must_fit_the_dtype():
    with pytest.raises(RuntimeError, match="to - 1 is out of bounds for unsigned char"):
        torch.randint(300, (3,), dtype=torch.uint8)
    with pytest.raises(RuntimeError, match="to - 1 is out of bounds for bool"):
        torch.randint(3, (3,), dtype=torch.bool)
    with pytest.raises(RuntimeError, match="from is out of bounds for signed char"):
        torch.randint(-200, 5, (3,), dtype=torch.int8)
    assert torch.randint(256, (3,), dtype=torch.uint8).dtype == torch.uint8
    assert torch.randint(2, (3,), dtype=torch.bool).dtype == torch.bool


def test_randint_argument_errors():
    with pytest.raises(TypeError, match="argument 'high' \\(position 1\\) must be int, not float"):
        torch.randint(5.0, (3,))
    with pytest.raises(TypeError, match="invalid combination of arguments - got \\(int, float, tuple\\)"):
        torch.randint(0, 5.5, (3,))
    with pytest.raises(TypeError, match="argument 'size' \\(position 2\\) must be tuple of ints, not int"):
        torch.randint(5, 3)
    with pytest.raises(TypeError, match="invalid combination of arguments - got \\(int\\)"):
        torch.randint(10)
    assert torch.randint(5, size=(3,)).shape == (3,)
    assert torch.randint(low=1, high=5, size=(2,)).shape == (2,)


def test_random_out_sets_the_dtype():
    assert torch.randint(5, (3,), out=torch.empty(3, dtype=torch.int32)).dtype == torch.int32
    assert torch.rand(2, out=torch.empty(3, dtype=torch.float64)).dtype == torch.float64
    assert torch.randperm(4, out=torch.empty(1)).dtype == torch.float32
    with pytest.raises(RuntimeError, match="dtype Double does not match dtype of out parameter \\(Float\\)"):
        torch.rand(2, dtype=torch.float64, out=torch.empty(2))


def test_randperm_argument_errors():
    with pytest.raises(RuntimeError, match="negative dimension -1"):
        torch.randperm(-1)
    with pytest.raises(RuntimeError, match="value cannot be converted to type uint8_t without overflow"):
        torch.randperm(300, dtype=torch.uint8)
    assert sorted(torch.randperm(256, dtype=torch.uint8).tolist()) == list(range(256))
    with pytest.raises(NotImplementedError, match="\"randperm\" not implemented for 'Bool'"):
        torch.randperm(5, dtype=torch.bool)
    with pytest.raises(TypeError, match="argument 'n' \\(position 1\\) must be int, not float"):
        torch.randperm(5.0)
    with pytest.raises(RuntimeError, match="n cannot be greater than 2049 for Half type."):
        torch.randperm(4096, dtype=torch.float16)


def test_rand_randn_size_keyword_and_integer_dtypes():
    assert torch.rand(size=(2, 3)).shape == (2, 3)
    assert torch.randn(size=(2, 3)).shape == (2, 3)
    with pytest.raises(NotImplementedError, match="\"check_uniform_bounds\" not implemented for 'Long'"):
        torch.rand(2, 3, dtype=torch.int64)
    with pytest.raises(NotImplementedError, match="\"normal_kernel_cpu\" not implemented for 'Bool'"):
        torch.randn(2, dtype=torch.bool)
    with pytest.raises(NotImplementedError, match="check_uniform_bounds"):
        torch.rand_like(torch.zeros(2, dtype=torch.int64))
    with pytest.raises(TypeError, match="invalid combination"):
        torch.rand()


def test_normal_bernoulli_multinomial_poisson_checks():
    with pytest.raises(RuntimeError, match="normal expects std >= 0.0, but found std -1"):
        torch.normal(0., -1., (3,))
    with pytest.raises(RuntimeError, match="normal expects all elements of std >= 0.0"):
        torch.normal(torch.zeros(3), torch.tensor([1., -1., 1.]))
    with pytest.raises(RuntimeError, match="The size of tensor a \\(3\\) must match the size of tensor b \\(2\\)"):
        torch.normal(torch.zeros(3), torch.ones(2))
    with pytest.raises(RuntimeError, match="Expected p_in >= 0 && p_in <= 1"):
        torch.bernoulli(torch.tensor([0.5, 1.5]))
    with pytest.raises(RuntimeError, match="bernoulli_ expects p to be in \\[0, 1\\], but got p=1.5"):
        torch.bernoulli(torch.tensor([0.5, 0.5]), 1.5)
    with pytest.raises(RuntimeError, match="cannot sample n_sample <= 0 samples"):
        torch.multinomial(torch.tensor([0.2, 0.8]), 0)
    with pytest.raises(RuntimeError, match="sum of probabilities <= 0"):
        torch.multinomial(torch.tensor([0., 0.]), 1)
    with pytest.raises(RuntimeError, match="only supports floating-point dtypes for input, got: Long"):
        torch.multinomial(torch.tensor([1, 2]), 1)
    with pytest.raises(RuntimeError, match="invalid Poisson rate"):
        torch.poisson(torch.tensor([-1., 2.]))


def test_tri_indices_argument_checks():
    with pytest.raises(RuntimeError, match="^row must be non-negative, got-1$"):
        torch.tril_indices(-1, 3)
    with pytest.raises(RuntimeError, match="^col must be non-negative, got-2$"):
        torch.triu_indices(3, -2)
    with pytest.raises(NotImplementedError, match="\"tril_indices\" not implemented for 'Float'"):
        torch.tril_indices(3, 3, dtype=torch.float32)
    with pytest.raises(TypeError, match="argument 'row' \\(position 1\\) must be int, not float"):
        torch.tril_indices(3.0, 3)
    assert torch.tril_indices(3, 3, dtype=torch.int32).dtype == torch.int32


def test_new_factories_keywords():
    t = torch.zeros(2)
    for name in ("new_zeros", "new_ones", "new_empty"):
        with pytest.raises(TypeError, match=f"{name}\\(\\) got an unexpected keyword argument 'out'"):
            getattr(t, name)(2, out=torch.empty(2))
        assert getattr(t, name)(size=(2, 3)).shape == (2, 3)
    with pytest.raises(TypeError, match="new_full\\(\\) got an unexpected keyword argument 'out'"):
        t.new_full((2,), 1, out=torch.empty(2))
    with pytest.raises(TypeError, match="new_full\\(\\): argument 'size' \\(position 1\\) must be tuple of ints"):
        t.new_full(2, 3)
    with pytest.raises(RuntimeError, match="Trying to create tensor with negative dimension -1"):
        t.new_zeros(-1)


def test_random_without_bounds_stays_in_each_dtypes_range():
    torch.manual_seed(0)
    f = torch.empty(2000).random_()
    assert f.min().item() >= 0 and f.max().item() <= 2 ** 24 and (f == f.floor()).all()
    assert set(torch.empty(200, dtype=torch.bool).random_().tolist()) == {False, True}
    u = torch.empty(2000, dtype=torch.uint8).random_()
    assert u.min().item() >= 0 and u.max().item() <= 255 and u.max().item() > 200
    i8 = torch.empty(2000, dtype=torch.int8).random_()
    assert i8.min().item() >= 0 and i8.max().item() <= 127


def test_inplace_samplers_check_their_arguments():
    with pytest.raises(RuntimeError, match=r"uniform_ expects to return a \[from, to\) range, but found from=2 > to=1"):
        torch.empty(3).uniform_(2, 1)
    with pytest.raises(RuntimeError, match="normal expects std >= 0.0, but found std -1"):
        torch.empty(3).normal_(0, -1)
    with pytest.raises(RuntimeError, match="exponential_ expects lambda > 0.0, but found lambda=0"):
        torch.empty(3).exponential_(0)
    with pytest.raises(RuntimeError, match=r"bernoulli_ expects p to be in \[0, 1\], but got p=1.5"):
        torch.empty(3).bernoulli_(1.5)
    with pytest.raises(NotImplementedError, match="check_uniform_bounds"):
        torch.empty(3, dtype=torch.int64).uniform_()
    assert torch.empty(3).uniform_(1, 1).tolist() == [1.0, 1.0, 1.0]
