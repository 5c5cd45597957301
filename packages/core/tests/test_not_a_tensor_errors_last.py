"""PyTorch's errors for a non-tensor given to clip, where, masked_fill, scatter, the bitwise ops,
the comparison aliases and the functional softmax / losses / convolutions (messages as PyTorch
2.13 writes them)."""

import numpy as np
import pytest

import lanterna as torch
import lanterna.nn.functional as F

CLAMP_OVERLOADS = (" * (Tensor input, Tensor min = None, Tensor max = None, *, Tensor out = None)\n"
                   " * (Tensor input, Number min = None, Number max = None, *, Tensor out = None)\n")


@pytest.mark.parametrize("args, kwargs, got", [(([1.0], 0.0), {}, "list, float"), ((1.5,), {"max": 1.0}, "float, max=float"),
                                               ((1.5, 0.0, 1.0), {}, "float, float, float")])
def test_clip_names_itself(args, kwargs, got):
    with pytest.raises(TypeError) as info:
        torch.clip(*args, **kwargs)
    assert str(info.value) == (f"clip() received an invalid combination of arguments - got ({got}), "
                               f"but expected one of:\n{CLAMP_OVERLOADS}")


def test_clip_still_clamps():
    assert torch.clip(torch.tensor([-2.0, 0.5, 3.0]), -1, 1).tolist() == [-1.0, 0.5, 1.0]
    assert torch.tensor([-2.0, 3.0]).clip(max=1).tolist() == [-2.0, 1.0]


@pytest.mark.parametrize("bad, shown", [([True], "list"), (1.5, "float"), (None, "NoneType"),
                                        (np.array([True]), "numpy.ndarray")])
def test_where_one_argument(bad, shown):
    with pytest.raises(TypeError, match=rf"^where\(\): argument 'condition' \(position 1\) must be Tensor, not {shown}$"):
        torch.where(bad)


def test_where_three_arguments_marks_each_overload():
    t = torch.ones(2)
    with pytest.raises(TypeError) as info:
        torch.where([True, False], t, 0.0)
    assert str(info.value) == (
        "where() received an invalid combination of arguments - got (list, Tensor, float), but expected one of:\n"
        " * (Tensor condition)\n"
        " * (Tensor condition, Tensor input, Tensor other, *, Tensor out = None)\n"
        " * (Tensor condition, Number self, Tensor other)\n"
        "      didn't match because some of the arguments have invalid types: (!list of [bool, bool]!, !Tensor!, !float!)\n"
        " * (Tensor condition, Tensor input, Number other)\n"
        "      didn't match because some of the arguments have invalid types: (!list of [bool, bool]!, Tensor, !float!)\n"
        " * (Tensor condition, Number self, Number other)\n"
        "      didn't match because some of the arguments have invalid types: (!list of [bool, bool]!, !Tensor!, !float!)\n")


def test_masked_fill_not_a_tensor():
    with pytest.raises(TypeError) as info:
        torch.masked_fill(1.5, torch.ones(2, dtype=torch.bool), torch.tensor(0.0))
    assert str(info.value) == (
        "masked_fill() received an invalid combination of arguments - got (float, Tensor, Tensor), but expected one of:\n"
        " * (Tensor input, Tensor mask, Tensor value)\n"
        "      didn't match because some of the arguments have invalid types: (!float!, Tensor, Tensor)\n"
        " * (Tensor input, Tensor mask, Number value)\n"
        "      didn't match because some of the arguments have invalid types: (!float!, Tensor, !Tensor!)\n")


@pytest.mark.parametrize("kwargs, got", [({}, "list, int, Tensor, float"), ({"value": 1.0}, "list, int, Tensor, value=float")])
def test_scatter_not_a_tensor(kwargs, got):
    index = torch.zeros(2, dtype=torch.long)
    with pytest.raises(TypeError) as info:
        torch.scatter([1.0, 2.0], 0, index, *([] if kwargs else [1.0]), **kwargs)
    assert str(info.value) == (
        f"scatter() received an invalid combination of arguments - got ({got}), but expected one of:\n"
        " * (Tensor input, int dim, Tensor index, Tensor src, *, Tensor out = None)\n"
        " * (Tensor input, int dim, Tensor index, Tensor src, *, str reduce, Tensor out = None)\n"
        " * (Tensor input, int dim, Tensor index, Number value, *, Tensor out = None)\n"
        " * (Tensor input, int dim, Tensor index, Number value, *, str reduce, Tensor out = None)\n")


@pytest.mark.parametrize("fn, name", [(torch.bitwise_and, "bitwise_and"), (torch.bitwise_left_shift, "bitwise_left_shift")])
def test_bitwise_two_numbers(fn, name):
    with pytest.raises(TypeError) as info:
        fn(1, 2)
    assert str(info.value) == (
        f"{name}() received an invalid combination of arguments - got (int, int), but expected one of:\n"
        " * (Tensor input, Tensor other, *, Tensor out = None)\n"
        " * (Number self, Tensor other)\n"
        "      didn't match because some of the arguments have invalid types: (!int!, !int!)\n"
        " * (Tensor input, Number other, *, Tensor out = None)\n")


@pytest.mark.parametrize("fn, name", [(torch.eq, "eq"), (torch.greater_equal, "greater_equal"), (torch.not_equal, "not_equal")])
def test_comparison_two_numbers_names_the_alias(fn, name):
    with pytest.raises(TypeError, match=rf"^{name}\(\) received an invalid combination of arguments - got \(float, float\)"):
        fn(1.0, 2.0)


def test_comparison_aliases_compute():
    a = torch.tensor([1.0, 2.0, 3.0])
    assert torch.greater_equal(a, 2.0).tolist() == [False, True, True]
    assert torch.less(a, 2.0).tolist() == [True, False, False]
    assert torch.not_equal(a, 2.0).tolist() == [True, False, True]


@pytest.mark.parametrize("fn, attr", [(F.softmax, "softmax"), (F.log_softmax, "log_softmax")])
def test_functional_softmax_leaks_the_attribute_error(fn, attr):
    with pytest.raises(AttributeError, match=rf"^'list' object has no attribute '{attr}'$"):
        fn([1.0], 0)
    with pytest.raises(AttributeError, match=rf"^'numpy.ndarray' object has no attribute '{attr}'$"):
        fn(np.ones(2), dim=0)


def test_functional_mse_loss_asks_for_size():
    with pytest.raises(AttributeError, match=r"^'list' object has no attribute 'size'$"):
        F.mse_loss([1.0], torch.ones(1))
    with pytest.raises(AttributeError, match=r"^'list' object has no attribute 'size'$"):
        F.mse_loss(torch.ones(1), [1.0])


def test_functional_cross_entropy_names_the_aten_op():
    with pytest.raises(TypeError, match=r"^cross_entropy_loss\(\): argument 'input' \(position 1\) must be Tensor, "
                                        r"not numpy\.ndarray$"):
        F.cross_entropy(np.ones(2), torch.zeros(2, dtype=torch.long))
    with pytest.raises(TypeError, match=r"^cross_entropy_loss\(\): argument 'target' \(position 2\) must be Tensor, "
                                        r"not list$"):
        F.cross_entropy(torch.ones(2, 2), [1])


@pytest.mark.parametrize("input, weight, got", [([1.0], torch.ones(1, 1, 1, 1), "list, Tensor"),
                                                (torch.ones(1, 1, 2, 2), [1.0], "Tensor, list")])
def test_functional_conv2d_lists_its_overloads(input, weight, got):
    with pytest.raises(TypeError) as info:
        F.conv2d(input, weight)
    assert str(info.value) == (
        f"conv2d() received an invalid combination of arguments - got ({got}), but expected one of:\n"
        " * (Tensor input, Tensor weight, Tensor bias = None, tuple of ints stride = 1, tuple of ints padding = 0, "
        "tuple of ints dilation = 1, int groups = 1)\n"
        " * (Tensor input, Tensor weight, Tensor bias = None, tuple of ints stride = 1, str padding = \"valid\", "
        "tuple of ints dilation = 1, int groups = 1)\n")
