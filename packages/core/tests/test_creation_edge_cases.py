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
