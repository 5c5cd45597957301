"""Tests for lanterna's tensor repr formatting (``lanterna/_tensor_str.py``).

The first group uses literal strings produced by PyTorch 2.13, so it runs without
torch. The second group compares against ``repr()`` of real torch tensors over many
random arrays and is skipped when torch is not installed.
"""

import importlib.util
import math
import pathlib
import sys

import numpy as np
import pytest

_MODULE_PATH = pathlib.Path(__file__).parents[1] / "src" / "lanterna" / "_tensor_str.py"


def _load_module():
    # Loaded by path so the tests work before the lanterna package is importable.
    spec = importlib.util.spec_from_file_location("_lanterna_tensor_str", _MODULE_PATH)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


ts = _load_module()
nan, inf = math.nan, math.inf


@pytest.fixture(autouse=True)
def _default_print_options():
    ts.set_printoptions(profile="default")
    yield
    ts.set_printoptions(profile="default")


# (array, format_tensor keyword arguments, print options, expected repr from torch)
LITERAL_CASES = [
    pytest.param(
        np.array([1.0, 2.0, 3.0], dtype=np.float32),
        {"dtype_name": "float32"},
        {},
        "tensor([1., 2., 3.])",
        id="float_vector",
    ),
    pytest.param(
        np.array([[0.12345, -1.0], [2.0, 3.0]], dtype=np.float32),
        {"dtype_name": "float32"},
        {},
        ("tensor([[ 0.1235, -1.0000],\n        [ 2.0000,  3.0000]])"),
        id="float_matrix",
    ),
    pytest.param(
        np.array(3.0, dtype=np.float32),
        {"dtype_name": "float32"},
        {},
        "tensor(3.)",
        id="scalar_float",
    ),
    pytest.param(
        np.array(3, dtype=np.int64),
        {"dtype_name": "int64"},
        {},
        "tensor(3)",
        id="scalar_int",
    ),
    pytest.param(
        np.array(True),
        {"dtype_name": "bool"},
        {},
        "tensor(True)",
        id="scalar_bool",
    ),
    pytest.param(
        np.array(-0.0, dtype=np.float32),
        {"dtype_name": "float32"},
        {},
        "tensor(-0.)",
        id="scalar_neg_zero",
    ),
    pytest.param(
        np.array(1e-5, dtype=np.float32),
        {"dtype_name": "float32"},
        {},
        "tensor(1.0000e-05)",
        id="scalar_small",
    ),
    pytest.param(
        np.array(2.5),
        {"dtype_name": "float64"},
        {},
        "tensor(2.5000, dtype=torch.float64)",
        id="scalar_float64",
    ),
    pytest.param(
        np.array([1e10, 1.0], dtype=np.float32),
        {"dtype_name": "float32"},
        {},
        "tensor([1.0000e+10, 1.0000e+00])",
        id="sci_large",
    ),
    pytest.param(
        np.array([1e-5, 0.5], dtype=np.float32),
        {"dtype_name": "float32"},
        {},
        "tensor([1.0000e-05, 5.0000e-01])",
        id="sci_small",
    ),
    pytest.param(
        np.array([1.5, 2000.0], dtype=np.float32),
        {"dtype_name": "float32"},
        {},
        "tensor([1.5000e+00, 2.0000e+03])",
        id="sci_ratio",
    ),
    pytest.param(
        np.array([1.5, 1000.0], dtype=np.float32),
        {"dtype_name": "float32"},
        {},
        "tensor([   1.5000, 1000.0000])",
        id="no_sci_ratio_below_1000",
    ),
    pytest.param(
        np.array([123456789.0], dtype=np.float64),
        {"dtype_name": "float64"},
        {},
        "tensor([1.2346e+08], dtype=torch.float64)",
        id="sci_single_large",
    ),
    pytest.param(
        np.array([nan, inf, -inf, -0.0, 1.5], dtype=np.float32),
        {"dtype_name": "float32"},
        {},
        "tensor([   nan,    inf,   -inf, -0.0000, 1.5000])",
        id="nonfinite",
    ),
    pytest.param(
        np.array([nan, 1.0, -inf], dtype=np.float32),
        {"dtype_name": "float32"},
        {},
        "tensor([nan, 1., -inf])",
        id="nonfinite_int_mode",
    ),
    pytest.param(
        np.array([nan, inf, 0.0], dtype=np.float32),
        {"dtype_name": "float32"},
        {},
        "tensor([nan, inf, 0.])",
        id="only_nonfinite",
    ),
    pytest.param(
        np.array([-0.0, 0.0, 1.0], dtype=np.float32),
        {"dtype_name": "float32"},
        {},
        "tensor([-0., 0., 1.])",
        id="negative_zero",
    ),
    pytest.param(
        np.array([1.0, -100.0, 10.0], dtype=np.float32),
        {"dtype_name": "float32"},
        {},
        "tensor([   1., -100.,   10.])",
        id="int_valued_alignment",
    ),
    pytest.param(
        np.arange(5),
        {"dtype_name": "int64"},
        {},
        "tensor([0, 1, 2, 3, 4])",
        id="int64_vector",
    ),
    pytest.param(
        np.array([[1, -20], [300, 4]], dtype=np.int64),
        {"dtype_name": "int64"},
        {},
        ("tensor([[  1, -20],\n        [300,   4]])"),
        id="int_alignment",
    ),
    pytest.param(
        np.array([1, 2], dtype=np.int32),
        {"dtype_name": "int32"},
        {},
        "tensor([1, 2], dtype=torch.int32)",
        id="int32_suffix",
    ),
    pytest.param(
        np.array([0, 255], dtype=np.uint8),
        {"dtype_name": "uint8"},
        {},
        "tensor([  0, 255], dtype=torch.uint8)",
        id="uint8_suffix",
    ),
    pytest.param(
        np.array([True, False]),
        {"dtype_name": "bool"},
        {},
        "tensor([ True, False])",
        id="bool_vector",
    ),
    pytest.param(
        np.array([1.5, 2.0]),
        {"dtype_name": "float64"},
        {},
        "tensor([1.5000, 2.0000], dtype=torch.float64)",
        id="float64_suffix",
    ),
    pytest.param(
        np.array([0.1, 2.0], dtype=np.float16),
        {"dtype_name": "float16"},
        {},
        "tensor([0.1000, 2.0000], dtype=torch.float16)",
        id="float16",
    ),
    pytest.param(
        np.array([0.10009765625, 2.0], dtype=np.float32),
        {"dtype_name": "bfloat16"},
        {},
        "tensor([0.1001, 2.0000], dtype=torch.bfloat16)",
        id="bfloat16",
    ),
    pytest.param(
        np.zeros(0, dtype=np.float32),
        {"dtype_name": "float32"},
        {},
        "tensor([])",
        id="empty_1d",
    ),
    pytest.param(
        np.zeros((0, 3), dtype=np.float32),
        {"dtype_name": "float32"},
        {},
        "tensor([], size=(0, 3))",
        id="empty_2d",
    ),
    pytest.param(
        np.zeros(0, dtype=np.int64),
        {"dtype_name": "int64"},
        {},
        "tensor([], dtype=torch.int64)",
        id="empty_int64",
    ),
    pytest.param(
        np.zeros((2, 0, 1), dtype=bool),
        {"dtype_name": "bool"},
        {},
        "tensor([], size=(2, 0, 1), dtype=torch.bool)",
        id="empty_bool_3d",
    ),
    pytest.param(
        np.arange(12, dtype=np.float32).reshape(2, 2, 3) / 7,
        {"dtype_name": "float32"},
        {},
        (
            "tensor([[[0.0000, 0.1429, 0.2857],\n"
            "         [0.4286, 0.5714, 0.7143]],\n"
            "\n"
            "        [[0.8571, 1.0000, 1.1429],\n"
            "         [1.2857, 1.4286, 1.5714]]])"
        ),
        id="tensor_3d",
    ),
    pytest.param(
        np.arange(16).reshape(2, 2, 2, 2),
        {"dtype_name": "int64"},
        {},
        (
            "tensor([[[[ 0,  1],\n"
            "          [ 2,  3]],\n"
            "\n"
            "         [[ 4,  5],\n"
            "          [ 6,  7]]],\n"
            "\n"
            "\n"
            "        [[[ 8,  9],\n"
            "          [10, 11]],\n"
            "\n"
            "         [[12, 13],\n"
            "          [14, 15]]]])"
        ),
        id="tensor_4d",
    ),
    pytest.param(
        np.arange(30, dtype=np.float32) - 10.5,
        {"dtype_name": "float32"},
        {},
        (
            "tensor([-10.5000,  -9.5000,  -8.5000,  -7.5000,  -6.5000,  -5.5000,  -4.5000,\n"
            "         -3.5000,  -2.5000,  -1.5000,  -0.5000,   0.5000,   1.5000,   2.5000,\n"
            "          3.5000,   4.5000,   5.5000,   6.5000,   7.5000,   8.5000,   9.5000,\n"
            "         10.5000,  11.5000,  12.5000,  13.5000,  14.5000,  15.5000,  16.5000,\n"
            "         17.5000,  18.5000])"
        ),
        id="wrap_long_row",
    ),
    pytest.param(
        np.arange(40, dtype=np.int64).reshape(2, 20) * 1000,
        {"dtype_name": "int64"},
        {},
        (
            "tensor([[    0,  1000,  2000,  3000,  4000,  5000,  6000,  7000,  8000,  9000,\n"
            "         10000, 11000, 12000, 13000, 14000, 15000, 16000, 17000, 18000, 19000],\n"
            "        [20000, 21000, 22000, 23000, 24000, 25000, 26000, 27000, 28000, 29000,\n"
            "         30000, 31000, 32000, 33000, 34000, 35000, 36000, 37000, 38000, 39000]])"
        ),
        id="wrap_2d_rows",
    ),
    pytest.param(
        np.arange(2000, dtype=np.float32),
        {"dtype_name": "float32"},
        {},
        (
            "tensor([0.0000e+00, 1.0000e+00, 2.0000e+00,  ..., 1.9970e+03, 1.9980e+03,\n"
            "        1.9990e+03])"
        ),
        id="summarize_1d",
    ),
    pytest.param(
        np.arange(2000).reshape(40, 50),
        {"dtype_name": "int64"},
        {},
        (
            "tensor([[   0,    1,    2,  ...,   47,   48,   49],\n"
            "        [  50,   51,   52,  ...,   97,   98,   99],\n"
            "        [ 100,  101,  102,  ...,  147,  148,  149],\n"
            "        ...,\n"
            "        [1850, 1851, 1852,  ..., 1897, 1898, 1899],\n"
            "        [1900, 1901, 1902,  ..., 1947, 1948, 1949],\n"
            "        [1950, 1951, 1952,  ..., 1997, 1998, 1999]])"
        ),
        id="summarize_2d",
    ),
    pytest.param(
        np.arange(2000, dtype=np.float32).reshape(10, 20, 10) / 3,
        {"dtype_name": "float32"},
        {},
        (
            "tensor([[[0.0000e+00, 3.3333e-01, 6.6667e-01,  ..., 2.3333e+00,\n"
            "          2.6667e+00, 3.0000e+00],\n"
            "         [3.3333e+00, 3.6667e+00, 4.0000e+00,  ..., 5.6667e+00,\n"
            "          6.0000e+00, 6.3333e+00],\n"
            "         [6.6667e+00, 7.0000e+00, 7.3333e+00,  ..., 9.0000e+00,\n"
            "          9.3333e+00, 9.6667e+00],\n"
            "         ...,\n"
            "         [5.6667e+01, 5.7000e+01, 5.7333e+01,  ..., 5.9000e+01,\n"
            "          5.9333e+01, 5.9667e+01],\n"
            "         [6.0000e+01, 6.0333e+01, 6.0667e+01,  ..., 6.2333e+01,\n"
            "          6.2667e+01, 6.3000e+01],\n"
            "         [6.3333e+01, 6.3667e+01, 6.4000e+01,  ..., 6.5667e+01,\n"
            "          6.6000e+01, 6.6333e+01]],\n"
            "\n"
            "        [[6.6667e+01, 6.7000e+01, 6.7333e+01,  ..., 6.9000e+01,\n"
            "          6.9333e+01, 6.9667e+01],\n"
            "         [7.0000e+01, 7.0333e+01, 7.0667e+01,  ..., 7.2333e+01,\n"
            "          7.2667e+01, 7.3000e+01],\n"
            "         [7.3333e+01, 7.3667e+01, 7.4000e+01,  ..., 7.5667e+01,\n"
            "          7.6000e+01, 7.6333e+01],\n"
            "         ...,\n"
            "         [1.2333e+02, 1.2367e+02, 1.2400e+02,  ..., 1.2567e+02,\n"
            "          1.2600e+02, 1.2633e+02],\n"
            "         [1.2667e+02, 1.2700e+02, 1.2733e+02,  ..., 1.2900e+02,\n"
            "          1.2933e+02, 1.2967e+02],\n"
            "         [1.3000e+02, 1.3033e+02, 1.3067e+02,  ..., 1.3233e+02,\n"
            "          1.3267e+02, 1.3300e+02]],\n"
            "\n"
            "        [[1.3333e+02, 1.3367e+02, 1.3400e+02,  ..., 1.3567e+02,\n"
            "          1.3600e+02, 1.3633e+02],\n"
            "         [1.3667e+02, 1.3700e+02, 1.3733e+02,  ..., 1.3900e+02,\n"
            "          1.3933e+02, 1.3967e+02],\n"
            "         [1.4000e+02, 1.4033e+02, 1.4067e+02,  ..., 1.4233e+02,\n"
            "          1.4267e+02, 1.4300e+02],\n"
            "         ...,\n"
            "         [1.9000e+02, 1.9033e+02, 1.9067e+02,  ..., 1.9233e+02,\n"
            "          1.9267e+02, 1.9300e+02],\n"
            "         [1.9333e+02, 1.9367e+02, 1.9400e+02,  ..., 1.9567e+02,\n"
            "          1.9600e+02, 1.9633e+02],\n"
            "         [1.9667e+02, 1.9700e+02, 1.9733e+02,  ..., 1.9900e+02,\n"
            "          1.9933e+02, 1.9967e+02]],\n"
            "\n"
            "        ...,\n"
            "\n"
            "        [[4.6667e+02, 4.6700e+02, 4.6733e+02,  ..., 4.6900e+02,\n"
            "          4.6933e+02, 4.6967e+02],\n"
            "         [4.7000e+02, 4.7033e+02, 4.7067e+02,  ..., 4.7233e+02,\n"
            "          4.7267e+02, 4.7300e+02],\n"
            "         [4.7333e+02, 4.7367e+02, 4.7400e+02,  ..., 4.7567e+02,\n"
            "          4.7600e+02, 4.7633e+02],\n"
            "         ...,\n"
            "         [5.2333e+02, 5.2367e+02, 5.2400e+02,  ..., 5.2567e+02,\n"
            "          5.2600e+02, 5.2633e+02],\n"
            "         [5.2667e+02, 5.2700e+02, 5.2733e+02,  ..., 5.2900e+02,\n"
            "          5.2933e+02, 5.2967e+02],\n"
            "         [5.3000e+02, 5.3033e+02, 5.3067e+02,  ..., 5.3233e+02,\n"
            "          5.3267e+02, 5.3300e+02]],\n"
            "\n"
            "        [[5.3333e+02, 5.3367e+02, 5.3400e+02,  ..., 5.3567e+02,\n"
            "          5.3600e+02, 5.3633e+02],\n"
            "         [5.3667e+02, 5.3700e+02, 5.3733e+02,  ..., 5.3900e+02,\n"
            "          5.3933e+02, 5.3967e+02],\n"
            "         [5.4000e+02, 5.4033e+02, 5.4067e+02,  ..., 5.4233e+02,\n"
            "          5.4267e+02, 5.4300e+02],\n"
            "         ...,\n"
            "         [5.9000e+02, 5.9033e+02, 5.9067e+02,  ..., 5.9233e+02,\n"
            "          5.9267e+02, 5.9300e+02],\n"
            "         [5.9333e+02, 5.9367e+02, 5.9400e+02,  ..., 5.9567e+02,\n"
            "          5.9600e+02, 5.9633e+02],\n"
            "         [5.9667e+02, 5.9700e+02, 5.9733e+02,  ..., 5.9900e+02,\n"
            "          5.9933e+02, 5.9967e+02]],\n"
            "\n"
            "        [[6.0000e+02, 6.0033e+02, 6.0067e+02,  ..., 6.0233e+02,\n"
            "          6.0267e+02, 6.0300e+02],\n"
            "         [6.0333e+02, 6.0367e+02, 6.0400e+02,  ..., 6.0567e+02,\n"
            "          6.0600e+02, 6.0633e+02],\n"
            "         [6.0667e+02, 6.0700e+02, 6.0733e+02,  ..., 6.0900e+02,\n"
            "          6.0933e+02, 6.0967e+02],\n"
            "         ...,\n"
            "         [6.5667e+02, 6.5700e+02, 6.5733e+02,  ..., 6.5900e+02,\n"
            "          6.5933e+02, 6.5967e+02],\n"
            "         [6.6000e+02, 6.6033e+02, 6.6067e+02,  ..., 6.6233e+02,\n"
            "          6.6267e+02, 6.6300e+02],\n"
            "         [6.6333e+02, 6.6367e+02, 6.6400e+02,  ..., 6.6567e+02,\n"
            "          6.6600e+02, 6.6633e+02]]])"
        ),
        id="summarize_3d",
    ),
    pytest.param(
        np.array([2.0, 3.0], dtype=np.float32),
        {"dtype_name": "float32", "grad_fn_name": "AddBackward0"},
        {},
        "tensor([2., 3.], grad_fn=<AddBackward0>)",
        id="grad_fn",
    ),
    pytest.param(
        np.array([[1.0, 2.5]], dtype=np.float32),
        {"dtype_name": "float32", "requires_grad": True},
        {},
        "tensor([[1.0000, 2.5000]], requires_grad=True)",
        id="requires_grad",
    ),
    pytest.param(
        np.array([0.5, 1.0]),
        {"dtype_name": "float64", "grad_fn_name": "MulBackward0"},
        {},
        "tensor([0.5000, 1.0000], dtype=torch.float64, grad_fn=<MulBackward0>)",
        id="grad_fn_float64",
    ),
    pytest.param(
        np.arange(9, dtype=np.float64) / 3,
        {"dtype_name": "float64", "requires_grad": True},
        {},
        (
            "tensor([0.0000, 0.3333, 0.6667, 1.0000, 1.3333, 1.6667, 2.0000, 2.3333, 2.6667],\n"
            "       dtype=torch.float64, requires_grad=True)"
        ),
        id="suffix_wrap",
    ),
    pytest.param(
        np.array([1.0, 2.0], dtype=np.float32),
        {"dtype_name": "float32", "device": "cuda:0"},
        {},
        "tensor([1., 2.], device='cuda:0')",
        id="device_suffix",
    ),
    pytest.param(
        np.arange(11, dtype=np.float64) / 3,
        {"dtype_name": "float64", "device": "cuda:0", "grad_fn_name": "DivBackward0"},
        {},
        (
            "tensor([0.0000, 0.3333, 0.6667, 1.0000, 1.3333, 1.6667, 2.0000, 2.3333, 2.6667,\n"
            "        3.0000, 3.3333], device='cuda:0', dtype=torch.float64,\n"
            "       grad_fn=<DivBackward0>)"
        ),
        id="device_dtype_grad_wrap",
    ),
    pytest.param(
        np.empty((2, 3), dtype=np.int64),
        {"dtype_name": "int64", "device": "meta"},
        {},
        "tensor(..., device='meta', size=(2, 3), dtype=torch.int64)",
        id="meta_device",
    ),
    pytest.param(
        np.array([1.12345, 2.5], dtype=np.float32),
        {"dtype_name": "float32"},
        {"precision": 2},
        "tensor([1.12, 2.50])",
        id="precision_2",
    ),
    pytest.param(
        np.array([1.5, 2.0], dtype=np.float32),
        {"dtype_name": "float32"},
        {"sci_mode": True},
        "tensor([1.5000e+00, 2.0000e+00])",
        id="sci_mode_forced_on",
    ),
    pytest.param(
        np.array([1e10, 0.5], dtype=np.float32),
        {"dtype_name": "float32"},
        {"sci_mode": False},
        "tensor([10000000000.0000,           0.5000])",
        id="sci_mode_forced_off",
    ),
    pytest.param(
        np.arange(10),
        {"dtype_name": "int64"},
        {"threshold": 5, "edgeitems": 2},
        "tensor([0, 1,  ..., 8, 9])",
        id="threshold_edgeitems",
    ),
    pytest.param(
        np.arange(10),
        {"dtype_name": "int64"},
        {"threshold": 5, "edgeitems": 0},
        "tensor([...], size=(10,))",
        id="edgeitems_zero",
    ),
    pytest.param(
        np.arange(20),
        {"dtype_name": "int64"},
        {"linewidth": 40},
        (
            "tensor([ 0,  1,  2,  3,  4,  5,  6,  7,\n"
            "         8,  9, 10, 11, 12, 13, 14, 15,\n"
            "        16, 17, 18, 19])"
        ),
        id="linewidth_40",
    ),
    pytest.param(
        np.array([[1.23456, 2.0]] * 3, dtype=np.float32),
        {"dtype_name": "float32"},
        {"profile": "short", "threshold": 2},
        ("tensor([[1.23, 2.00],\n        [1.23, 2.00],\n        [1.23, 2.00]])"),
        id="profile_short",
    ),
    pytest.param(
        np.array([1.5, 2.0], dtype=np.float32),
        {"dtype_name": "float32", "default_float_dtype_name": "float64"},
        {},
        "tensor([1.5000, 2.0000], dtype=torch.float32)",
        id="default_float64",
    ),
    pytest.param(
        np.array([1.5, 2.0]),
        {"dtype_name": "float64", "default_float_dtype_name": "float64"},
        {},
        "tensor([1.5000, 2.0000])",
        id="default_float64_no_suffix",
    ),
    pytest.param(
        np.array([1 + 2j, -0.5 - 1j], dtype=np.complex64),
        {"dtype_name": "complex64"},
        {},
        "tensor([ 1.0000+2.j, -0.5000-1.j])",
        id="complex",
    ),
    pytest.param(
        np.array([[1.0, 2.0], [3.0, 4.0]], dtype=np.float32),
        {"dtype_name": "float32", "prefix": "MyTensor("},
        {},
        ("MyTensor([[1., 2.],\n          [3., 4.]])"),
        id="subclass_prefix",
    ),
]


@pytest.mark.parametrize(("array", "kwargs", "options", "expected"), LITERAL_CASES)
def test_literal_repr(array, kwargs, options, expected):
    ts.set_printoptions(**options)
    assert ts.format_tensor(array, **kwargs) == expected


def test_literal_case_count():
    assert len(LITERAL_CASES) >= 30


def test_set_and_get_printoptions():
    assert ts.get_printoptions() == {
        "precision": 4,
        "threshold": 1000,
        "edgeitems": 3,
        "linewidth": 80,
        "sci_mode": None,
    }
    ts.set_printoptions(precision=2, sci_mode=True)
    assert ts.PRINT_OPTS.precision == 2
    assert ts.PRINT_OPTS.sci_mode is True
    # Like torch, a call without sci_mode resets it to automatic.
    ts.set_printoptions(linewidth=100)
    assert ts.PRINT_OPTS.sci_mode is None
    assert ts.PRINT_OPTS.precision == 2
    ts.set_printoptions(profile="full")
    assert ts.PRINT_OPTS.threshold == math.inf
    assert ts.PRINT_OPTS.precision == 4
    ts.set_printoptions(profile="short", precision=3)
    assert (ts.PRINT_OPTS.precision, ts.PRINT_OPTS.edgeitems) == (3, 2)


def test_printoptions_context_restores():
    with ts.printoptions(precision=1):
        assert (
            ts.format_tensor(np.array([0.25]), dtype_name="float32") == "tensor([0.2])"
        )
    assert (
        ts.format_tensor(np.array([0.25]), dtype_name="float32") == "tensor([0.2500])"
    )


def test_profile_full_disables_summarization():
    ts.set_printoptions(profile="full")
    text = ts.format_tensor(np.arange(1001), dtype_name="int64")
    assert "..." not in text
    # Width-4 numbers take 6 columns, so (80 - 7) // 6 = 12 fit per line.
    assert text.count("\n") == math.ceil(1001 / 12) - 1


# ---------------------------------------------------------------------------
# Randomized comparison against torch.

_INT_DTYPES = ["int8", "int16", "int32", "int64", "uint8"]
_FLOAT_DTYPES = ["float32", "float64", "float16", "bfloat16"]
_ALL_DTYPES = [*_FLOAT_DTYPES, "float32", "float32", *_INT_DTYPES, "bool", "complex64"]


def _random_shape(rng):
    ndim = int(rng.integers(0, 5))
    if ndim == 0:
        return ()
    kind = rng.random()
    if kind < 0.1:
        # Empty tensor: one dimension is zero.
        shape = list(rng.integers(0, 5, size=ndim))
        shape[int(rng.integers(ndim))] = 0
        return tuple(int(n) for n in shape)
    if kind < 0.5:
        # Element counts around the summarisation threshold of 1000.
        target = int(rng.integers(900, 1400))
        shape = [1] * ndim
        for axis in range(ndim - 1):
            shape[axis] = int(rng.integers(1, 12))
        shape[-1] = max(1, target // math.prod(shape[:-1]))
        return tuple(int(n) for n in rng.permutation(shape))
    return tuple(int(n) for n in rng.integers(1, 9 if ndim > 2 else 30, size=ndim))


def _random_floats(rng, shape):
    size = math.prod(shape)
    pattern = rng.random()
    if pattern < 0.3:
        # One magnitude for the whole tensor.
        values = rng.standard_normal(size) * 10.0 ** rng.uniform(-8, 12)
    elif pattern < 0.55:
        # Mixed magnitudes, often triggering scientific notation.
        low = rng.uniform(-8, 10)
        values = rng.choice([-1.0, 1.0], size) * 10.0 ** rng.uniform(low, low + 4, size)
    elif pattern < 0.8:
        # Integral values print as "1." unless scientific notation kicks in.
        values = np.round(rng.standard_normal(size) * 10.0 ** rng.uniform(0, 10))
    else:
        values = rng.standard_normal(size).round(int(rng.integers(0, 6)))
    if size and rng.random() < 0.4:
        specials = rng.choice([nan, inf, -inf, -0.0, 0.0], size=int(rng.integers(1, 4)))
        values[rng.integers(0, size, size=specials.size)] = specials
    return values.reshape(shape)


def _random_case(rng):
    """Return (numpy array for lanterna, torch tensor, dtype name)."""
    torch = pytest.importorskip("torch")
    dtype_name = str(rng.choice(_ALL_DTYPES))
    shape = _random_shape(rng)
    size = math.prod(shape)
    if dtype_name == "bool":
        array = rng.random(size).reshape(shape) < 0.5
    elif dtype_name in _INT_DTYPES:
        info = np.iinfo(dtype_name)
        high = min(info.max, 10 ** int(rng.integers(1, 19)))
        low = 0 if dtype_name == "uint8" else max(info.min, -high)
        array = rng.integers(low, high, size=shape, endpoint=True, dtype=dtype_name)
    elif dtype_name == "complex64":
        # Assign the parts separately: ``inf * 1j`` would create a nan real part.
        array = np.empty(shape, dtype=np.complex64)
        array.real = _random_floats(rng, shape)
        array.imag = _random_floats(rng, shape)
    else:
        with np.errstate(over="ignore"):
            values = _random_floats(rng, shape)
            storage = "float32" if dtype_name == "bfloat16" else dtype_name
            array = np.asarray(values, dtype=storage)
    array = np.asarray(array)  # 0-d results come back as NumPy scalars
    tensor = torch.from_numpy(array)
    if dtype_name == "bfloat16":
        # lanterna passes bfloat16 data as float32 holding the rounded values.
        tensor = tensor.to(torch.bfloat16)
        array = tensor.float().numpy()
    return array, tensor, dtype_name


def _random_options(rng):
    if rng.random() < 0.7:
        return {}
    options = {
        "precision": int(rng.integers(1, 9)),
        "linewidth": int(rng.integers(30, 160)),
        "edgeitems": int(rng.integers(0, 5)),
        "threshold": int(rng.choice([10, 100, 1000, 5000])),
        "sci_mode": [None, True, False][int(rng.integers(3))],
    }
    return {k: v for k, v in options.items() if rng.random() < 0.6}


@pytest.fixture
def torch_default_options():
    torch = pytest.importorskip("torch")
    torch.set_printoptions(profile="default")
    yield torch
    torch.set_printoptions(profile="default")
    torch.set_default_dtype(torch.float32)


@pytest.mark.parametrize("seed", range(8))
def test_random_arrays_match_torch(torch_default_options, seed):
    torch = torch_default_options
    rng = np.random.default_rng(seed)
    for _ in range(100):
        array, tensor, dtype_name = _random_case(rng)
        options = _random_options(rng)
        ts.set_printoptions(profile="default", **options)
        torch.set_printoptions(profile="default", **options)
        expected = repr(tensor)
        actual = ts.format_tensor(array, dtype_name=dtype_name)
        assert actual == expected, (array.shape, dtype_name, options)


@pytest.mark.parametrize("seed", range(3))
def test_random_autograd_suffixes_match_torch(torch_default_options, seed):
    rng = np.random.default_rng(100 + seed)
    checked = 0
    while checked < 60:
        array, tensor, dtype_name = _random_case(rng)
        if not (tensor.is_floating_point() or tensor.is_complex()):
            continue
        checked += 1
        leaf = tensor.clone().requires_grad_(True)
        actual = ts.format_tensor(array, dtype_name=dtype_name, requires_grad=True)
        assert actual == repr(leaf)
        # clone() keeps every value (including -0.0 and nan) and adds a grad_fn.
        result = leaf.clone()
        grad_fn_name = type(result.grad_fn).__name__
        actual = ts.format_tensor(
            array, dtype_name=dtype_name, grad_fn_name=grad_fn_name
        )
        assert actual == repr(result)


def test_random_device_suffixes_match_torch(torch_default_options):
    # A CPU-only torch cannot make CUDA tensors, so build the expected text with
    # torch's own suffix-wrapping helper around torch's tensor body.
    from torch._tensor_str import _add_suffixes, _tensor_str

    rng = np.random.default_rng(7)
    for _ in range(100):
        array, tensor, dtype_name = _random_case(rng)
        if tensor.numel() == 0:
            continue
        device = str(rng.choice(["cuda:0", "cuda:1", "mps:0"]))
        suffixes = [f"device='{device}'"]
        if dtype_name not in ("float32", "complex64", "int64", "bool"):
            suffixes.append(f"dtype={tensor.dtype}")
        grad_fn_name = None
        if tensor.is_floating_point() and rng.random() < 0.5:
            grad_fn_name = "AddmmBackward0"
            suffixes.append(f"grad_fn=<{grad_fn_name}>")
        expected = _add_suffixes("tensor(" + _tensor_str(tensor, 7), suffixes, 7, False)
        actual = ts.format_tensor(
            array, dtype_name=dtype_name, device=device, grad_fn_name=grad_fn_name
        )
        assert actual == expected


def test_random_default_float64_matches_torch(torch_default_options):
    torch = torch_default_options
    torch.set_default_dtype(torch.float64)
    rng = np.random.default_rng(11)
    for _ in range(100):
        array, tensor, dtype_name = _random_case(rng)
        actual = ts.format_tensor(
            array, dtype_name=dtype_name, default_float_dtype_name="float64"
        )
        assert actual == repr(tensor)


def test_meta_tensors_match_torch(torch_default_options):
    torch = torch_default_options
    for shape in [(), (0,), (2, 3), (4, 0, 1)]:
        for dtype in (torch.float32, torch.float64, torch.int64, torch.bool):
            tensor = torch.empty(shape, dtype=dtype, device="meta")
            array = np.empty(shape)
            dtype_name = str(dtype).removeprefix("torch.")
            assert ts.format_tensor(
                array, dtype_name=dtype_name, device="meta"
            ) == repr(tensor)


def test_tensor_subclass_prefix_matches_torch(torch_default_options):
    torch = torch_default_options

    class MyTensor(torch.Tensor):
        pass

    rng = np.random.default_rng(3)
    for _ in range(30):
        array, tensor, dtype_name = _random_case(rng)
        expected = repr(tensor.as_subclass(MyTensor))
        assert (
            ts.format_tensor(array, dtype_name=dtype_name, prefix="MyTensor(")
            == expected
        )


def test_parameter_matches_torch(torch_default_options):
    torch = torch_default_options
    array = np.arange(24, dtype=np.float32).reshape(2, 3, 4) / 7
    parameter = torch.nn.Parameter(torch.from_numpy(array.copy()))
    body = ts.format_tensor(array, dtype_name="float32", requires_grad=True)
    assert "Parameter containing:\n" + body == repr(parameter)


# ---------------------------------------------------------------------------
# ``tensor_contents`` (torch's ``Tensor.__repr__(tensor_contents=...)``) and
# ``torch.return_types``; expected strings come from PyTorch 2.13.


@pytest.mark.parametrize(
    ("array", "kwargs", "expected"),
    [
        pytest.param(
            np.array([1.0, 2.0], dtype=np.float32),
            {"dtype_name": "float32"},
            "tensor(XYZ)",
            id="replaces_values",
        ),
        pytest.param(
            np.zeros((2, 0), dtype=np.float32),
            {"dtype_name": "float32"},
            "tensor(XYZ, size=(2, 0))",
            id="empty_keeps_size",
        ),
        pytest.param(
            np.array([1.0, 2.0], dtype=np.float32),
            {"dtype_name": "float32", "requires_grad": True},
            "tensor(XYZ, requires_grad=True)",
            id="requires_grad",
        ),
        pytest.param(
            np.array([7, 9], dtype=np.int32),
            {"dtype_name": "int32"},
            "tensor(XYZ, dtype=torch.int32)",
            id="dtype_suffix",
        ),
        pytest.param(
            np.empty((2, 3)),
            {"dtype_name": "int64", "device": "meta"},
            "tensor(XYZ, device='meta', size=(2, 3), dtype=torch.int64)",
            id="meta",
        ),
    ],
)
def test_tensor_contents_replaces_values(array, kwargs, expected):
    assert ts.format_tensor(array, tensor_contents="XYZ", **kwargs) == expected


def test_return_types_print_as_torch():
    import lanterna as torch

    result = torch.tensor([[1.0, 5.0], [3.0, 2.0]]).max(1)
    assert repr(type(result)) == "<class 'torch.return_types.max'>"
    assert str(type(torch.sort(torch.tensor([2, 1])))) == "<class 'torch.return_types.sort'>"
    assert repr(result) == (
        "torch.return_types.max(\nvalues=tensor([5., 3.]),\nindices=tensor([1, 0]))"
    )
    assert (result.n_fields, result.n_sequence_fields, result.n_unnamed_fields) == (2, 2, 0)


def test_return_types_built_from_one_sequence():
    import lanterna as torch

    built = torch.return_types.topk((torch.tensor([3.0]), torch.tensor([0])))
    assert repr(built) == "torch.return_types.topk(\nvalues=tensor([3.]),\nindices=tensor([0]))"
    assert repr(torch.return_types.aminmax([1, 2])) == "torch.return_types.aminmax(\nmin=1,\nmax=2)"


def test_subclasses_print_under_their_own_name_and_format_as_objects():
    import lanterna

    class Marked(lanterna.Tensor):
        pass

    t = lanterna.tensor([1.0, 2.0])
    m = object.__new__(Marked)
    for slot in ("_data", "_backend", "_device", "_requires_grad", "grad_fn", "_version"):
        setattr(m, slot, getattr(t, slot))
    assert repr(m) == "Marked([1., 2.])" and str(m) == repr(m)
    assert format(lanterna.tensor(2.5), ".1f") == "2.5"

    class Quiet(lanterna.Tensor):
        def __repr__(self):
            return "quiet"

    q = object.__new__(Quiet)
    for slot in ("_data", "_backend", "_device", "_requires_grad", "grad_fn", "_version"):
        setattr(q, slot, getattr(lanterna.tensor(1.0), slot))
    assert str(q) == "quiet" and format(q, "") == "quiet"  # 0-d subclasses format as objects
