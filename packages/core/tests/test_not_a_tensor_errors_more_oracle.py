"""PyTorch as the oracle for test_not_a_tensor_errors_more.py: binary/ternary pointwise, matmul,
linalg, indexing, sorting and nan-reduction functions given a non-tensor first (or second) argument
raise the same exception type with the same message."""

import numpy as np
import pytest

import lanterna
from oracle_summary import NOT_TENSORS, raised as _raised

pytestmark = pytest.mark.oracle
torch = pytest.importorskip("torch")

T, I, B = "tensor", "index", "mask"  # placeholders, made per library

#: (name, arguments after the bad input)
CALLS = [(n, (T,)) for n in "maximum minimum fmax fmin atan2 hypot logaddexp copysign isclose allclose equal "
                             "eq ne lt le gt ge matmul mm bmm mv dot outer linalg.solve".split()]
CALLS += [(n, ()) for n in "linalg.norm linalg.inv linalg.det linalg.svd linalg.qr det inverse nonzero sort argsort "
                           "unique count_nonzero aminmax nansum nanmean cat stack".split()]
CALLS += [("clamp", (0.0,)), ("lerp", (T, 0.5)), ("addcmul", (T, T)), ("addcdiv", (T, T)), ("addmm", (T, T)),
          ("gather", (0, I)), ("index_select", (0, I)), ("masked_select", (B,)), ("take", (I,)), ("topk", (1,)),
          ("kthvalue", (1,))]

BAD = {**NOT_TENSORS, "ndarray": np.array([1.0, 2.0])}


def _arg(lib, a):
    return {T: lambda: lib.ones(2), I: lambda: lib.zeros(2, dtype=lib.long),
            B: lambda: lib.ones(2, dtype=lib.bool)}.get(a, lambda: a)()


def _fn(lib, name):
    for part in name.split("."):
        lib = getattr(lib, part)
    return lib



@pytest.mark.parametrize("bad", BAD.values(), ids=BAD.keys())
@pytest.mark.parametrize("name, args", CALLS, ids=[f"{n}{len(a)}" for n, a in CALLS])
def test_same_error_as_torch(name, args, bad):
    expected = _raised(_fn(torch, name), bad, *[_arg(torch, a) for a in args])
    assert _raised(_fn(lanterna, name), bad, *[_arg(lanterna, a) for a in args]) == expected


@pytest.mark.parametrize("bad", BAD.values(), ids=BAD.keys())
@pytest.mark.parametrize("name", "matmul mm bmm mv dot outer linalg.solve".split())
def test_second_argument_same_error_as_torch(name, bad):
    expected = _raised(_fn(torch, name), torch.ones(2), bad)
    assert _raised(_fn(lanterna, name), lanterna.ones(2), bad) == expected
