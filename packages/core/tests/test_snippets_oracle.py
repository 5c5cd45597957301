"""Re-run the snippets of the Tensor API, dtype and autograd tests in PyTorch: their expected
outputs must still be what PyTorch prints. Skipped where torch is not installed."""

import itertools

import pytest

import optest
import test_autograd
import test_dtype
import test_tensor_api

pytestmark = pytest.mark.oracle
torch = pytest.importorskip("torch")

ALL = [(mod.__name__, *s) for mod in (test_tensor_api, test_dtype, test_autograd) for s in mod.SNIPPETS]


@pytest.mark.parametrize("module,name,code,expected", ALL, ids=[f"{m}-{n}" for m, n, _, _ in ALL])
def test_snippet_matches_torch(module, name, code, expected):
    assert optest.run_snippet(torch, code) == expected


NAMES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"]


@pytest.mark.parametrize("a,b", list(itertools.product(NAMES, NAMES)))
def test_promotion_matches_torch(a, b):
    import lanterna

    ta, tb = getattr(torch, a), getattr(torch, b)
    la, lb = getattr(lanterna, a if a != "bool" else "bool"), getattr(lanterna, b)
    assert repr(lanterna.promote_types(la, lb)) == str(torch.promote_types(ta, tb))
    for lhs_dim, rhs_dim in ((1, 0), (0, 1), (0, 0)):
        lt = lanterna.zeros((2,) * lhs_dim, dtype=la) + lanterna.zeros((2,) * rhs_dim, dtype=lb) \
            if not (a == b == "bool") else None
        tt = torch.zeros((2,) * lhs_dim, dtype=ta) + torch.zeros((2,) * rhs_dim, dtype=tb) \
            if not (a == b == "bool") else None
        if lt is not None:
            assert repr(lt.dtype) == str(tt.dtype), (lhs_dim, rhs_dim)
    for scalar in (1, 1.5, True, -1):
        try:
            expected = str((torch.zeros(2, dtype=ta) + scalar).dtype)
        except RuntimeError:
            continue
        assert repr((lanterna.zeros(2, dtype=la) + scalar).dtype) == expected, scalar
