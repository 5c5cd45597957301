"""Tensor creation edge cases compared against PyTorch: dtype, shape, exact values, or the error."""

import warnings

import numpy as np
import pytest

import lanterna

pytestmark = pytest.mark.oracle
torch = pytest.importorskip("torch")


def _run(lib, src):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            v = eval(src, {"torch": lib, "np": np})
        except Exception as e:  # noqa: BLE001 - the error is the result compared
            # (the list of supported NumPy types is Lanterna's own: it has no complex or uint16-64)
            return ("error", type(e).__name__, str(e).split("\n")[0].split(" The only supported types")[0])
    if isinstance(v, lib.Tensor):
        a = v.detach().numpy()
        return (str(v.dtype), tuple(v.shape), a.tobytes(), v.requires_grad)
    return ("value", repr(v))


CASES = [
    # tensor() from lists holding tensors and NumPy scalars
    "torch.tensor([torch.tensor([1., 2.]), torch.tensor([3., 4.])])",
    "torch.tensor([torch.tensor([1, 2]), torch.tensor([3, 4])])",
    "torch.tensor([torch.tensor([1, 2]), torch.tensor([3, 4])], dtype=torch.float64)",
    "torch.tensor([torch.tensor([]), torch.tensor([])])",
    "torch.tensor([torch.tensor([1]), torch.tensor([3])])",
    "torch.tensor([torch.tensor(1., dtype=torch.float64), 2])",
    "torch.tensor([torch.tensor(1, dtype=torch.int8), torch.tensor(2, dtype=torch.int8)])",
    "torch.tensor([torch.tensor(2, dtype=torch.int32), 1.5])",
    "torch.tensor([torch.tensor(1.5), 2], dtype=torch.int64)",
    "torch.tensor([1.5, np.float64(1)])",
    "torch.tensor([True, np.int32(3)])",
    "torch.tensor([True, np.float16(2)])",
    "torch.tensor([np.bool_(True), 1])",
    "torch.tensor([np.float32(2.5), 1], dtype=torch.int64)",
    "torch.tensor([np.float32(2.5), 1], dtype=torch.float64)",
    # NumPy arrays
    "torch.tensor(np.arange(3, dtype='>f8'))",
    "torch.from_numpy(np.arange(3, dtype='>i4'))",
    "torch.as_tensor(np.arange(3, dtype='>i2'))",
    "torch.from_numpy(np.array([1, 2], dtype=object))",
    "torch.Tensor(np.array([1, 2], dtype=object))",
    "torch.LongTensor(np.array([1, 0], dtype='datetime64[s]'))",
    "torch.from_numpy(np.float64(1))",
    # Python scalars out of range, strings, None
    "torch.tensor([float('nan'), float('inf')], dtype=torch.int32)",
    "torch.tensor(float('nan'), dtype=torch.int64)",
    "torch.tensor([2**63], dtype=torch.float64)",
    "torch.tensor([2**64], dtype=torch.bool)",
    "torch.tensor([1.5, 2**64], dtype=torch.float64)",
    "torch.tensor([2**64])",
    "torch.tensor(['a'])",
    "torch.tensor([None], dtype=torch.float64)",
    "torch.tensor([1, None], dtype=torch.int32)",
    # sizes
    "torch.zeros(torch.tensor(3))",
    "torch.zeros(True)",
    "torch.ones(torch.tensor(2.))",
    "torch.empty(torch.tensor([2, 3]))",
    "torch.rand(2.0)",
    "torch.randn((2, 3.0))",
    # full
    "torch.full(2, 1)",
    "torch.full((2,), torch.tensor(3, dtype=torch.int8))",
    "torch.full((2,), 300, dtype=torch.uint8)",
    "torch.full((2,), -1, dtype=torch.uint8)",
    "torch.full((2,), -129, dtype=torch.int8)",
    "torch.full((2,), float('nan'), dtype=torch.int32)",
    "torch.full((2,), 2**40, dtype=torch.int32)",
    "torch.full((2,), 2**63)",
    "torch.full((2,), 1e300, dtype=torch.float32)",
    "torch.full((2,), torch.tensor([1, 2]))",
    "torch.full((2,), 'a')",
    # out=
    "(lambda o: (torch.zeros(2, 3, out=o), o)[1])(torch.empty(1))",
    "(lambda o: torch.zeros(2, 3, out=o) is o)(torch.empty(1))",
    "(lambda o: (torch.ones(2, out=o), o)[1])(torch.empty(2, dtype=torch.int32))",
    "(lambda o: (torch.arange(5, out=o), o)[1])(torch.empty(2))",
    "(lambda o: (torch.full((2,), 3, out=o), o)[1])(torch.empty(2, dtype=torch.float64))",
    "(lambda o: (torch.eye(2, out=o), o)[1])(torch.empty(2))",
    "(lambda o: (torch.linspace(0, 1, 5, out=o), o)[1])(torch.empty(2))",
    # eye
    "torch.eye(2.0)",
    # arange / range
    "torch.arange(0, 3, 0.5, dtype=torch.int64)",
    "torch.arange(0.1, 1.7, 0.2, dtype=torch.int64)",
    "torch.arange(0, 3.7, dtype=torch.int64)",
    "torch.arange(0, 3.7, dtype=torch.int32)",
    "torch.arange(0.5, 3, dtype=torch.int64)",
    "torch.arange(0, 3, 1.7, dtype=torch.int64)",
    "torch.arange(0, 5, 1.5, dtype=torch.int32)",
    "torch.arange(0, 5, dtype=torch.bool)",
    "torch.arange(float('nan'))",
    "torch.arange(0, float('inf'))",
    "torch.range(0, 3)",
    "torch.range(0, 3, 0.5)",
    "torch.range(0.5, 3)",
    "torch.range(3, 0, -1)",
    "torch.range(0, 1, 0.1)",
    "torch.range(3)",
    "torch.range(0, 3, dtype=torch.int64)",
    "torch.range(3, 0)",
    # linspace / logspace, bit-exact
    "torch.linspace(-1, 1, 7)",
    "torch.linspace(0.1, 0.9, 9)",
    "torch.linspace(0, 1, 100)",
    "torch.linspace(1, 0, 1000)",
    "torch.linspace(2.5, -7.25, 101)",
    "torch.linspace(3, -2, 17)",
    "torch.linspace(0, 1000, 999)",
    "torch.linspace(0, 1, 7, dtype=torch.float16)",
    "torch.linspace(0, 100, 33, dtype=torch.float16)",
    "torch.linspace(-3, 3, 4, dtype=torch.int64)",
    "torch.linspace(0, 10, 7, dtype=torch.int32)",
    "torch.linspace(0, 255, 17, dtype=torch.uint8)",
    "torch.linspace(0, 1, 6, dtype=torch.float64)",
    "torch.linspace(0, 1, 5, dtype=torch.bool)",
    "torch.logspace(-1, 1, 7)",
    "torch.logspace(0, 3, 4, dtype=torch.int64)",
    "torch.logspace(0, 2, 5, dtype=torch.float16)",
]


@pytest.mark.parametrize("src", CASES)
def test_matches_torch(src):
    assert _run(lanterna, src) == _run(torch, src)


@pytest.mark.parametrize("src", [
    "torch.tensor([[1, 2], [3, 'a']])",
    "torch.tensor([[1, 2], [3, 'a']], dtype=torch.float64)",
    "torch.tensor('abc', dtype=torch.float64)",
    "torch.tensor(['a', 1])",
])
def test_string_errors_match_torch(src):
    assert _run(lanterna, src) == _run(torch, src)
