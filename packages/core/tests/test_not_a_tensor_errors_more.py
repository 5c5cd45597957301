"""PyTorch's TypeError for a non-tensor given to binary/ternary pointwise, matmul, linalg, indexing,
sorting and nan-reduction functions (messages as PyTorch 2.13 writes them)."""

import numpy as np
import pytest

import lanterna as torch

BAD = {"float": (1.5, "float"), "int": (2, "int"), "list": ([1.0, 2.0], "list"), "None": (None, "NoneType"),
       "ndarray": (np.array([1.0, 2.0]), "numpy.ndarray")}

#: (function, arguments after the bad input, the name and parameter PyTorch's message gives)
CALLS = [
    (torch.maximum, lambda: (torch.ones(2),), "maximum", "input"),
    (torch.atan2, lambda: (torch.ones(2),), "atan2", "input"),
    (torch.addcmul, lambda: (torch.ones(2), torch.ones(2)), "addcmul", "input"),
    (torch.addcdiv, lambda: (torch.ones(2), torch.ones(2)), "addcdiv", "input"),
    (torch.allclose, lambda: (torch.ones(2),), "allclose", "input"),
    (torch.equal, lambda: (torch.ones(2),), "equal", "input"),
    (torch.matmul, lambda: (torch.ones(2),), "matmul", "input"),
    (torch.mm, lambda: (torch.ones(2, 2),), "mm", "input"),
    (torch.outer, lambda: (torch.ones(2),), "outer", "input"),
    (torch.addmm, lambda: (torch.ones(2, 2), torch.ones(2, 2)), "addmm", "input"),
    (torch.det, lambda: (), "det", "input"),
    (torch.inverse, lambda: (), "inverse", "input"),
    (torch.linalg.det, lambda: (), "linalg_det", "A"),
    (torch.linalg.inv, lambda: (), "linalg_inv", "A"),
    (torch.linalg.svd, lambda: (), "linalg_svd", "A"),
    (torch.linalg.qr, lambda: (), "linalg_qr", "A"),
    (torch.linalg.solve, lambda: (torch.ones(2, 2),), "linalg_solve", "A"),
    (torch.linalg.norm, lambda: (), "linalg_norm", "input"),
    (torch.gather, lambda: (0, torch.zeros(1, dtype=torch.long)), "gather", "input"),
    (torch.index_select, lambda: (0, torch.zeros(1, dtype=torch.long)), "index_select", "input"),
    (torch.masked_select, lambda: (torch.ones(2, dtype=torch.bool),), "masked_select", "input"),
    (torch.take, lambda: (torch.zeros(1, dtype=torch.long),), "take", "input"),
    (torch.nonzero, lambda: (), "nonzero", "input"),
    (torch.sort, lambda: (), "sort", "input"),
    (torch.argsort, lambda: (), "argsort", "input"),
    (torch.topk, lambda: (1,), "topk", "input"),
    (torch.kthvalue, lambda: (1,), "kthvalue", "input"),
    (torch.unique, lambda: (), "_unique2", "input"),
    (torch.count_nonzero, lambda: (), "count_nonzero", "input"),
    (torch.aminmax, lambda: (), "aminmax", "input"),
    (torch.nansum, lambda: (), "nansum", "input"),
    (torch.nanmean, lambda: (), "nanmean", "input"),
]


@pytest.mark.parametrize("bad, shown", BAD.values(), ids=BAD.keys())
@pytest.mark.parametrize("fn, rest, name, arg", CALLS, ids=[c[2] for c in CALLS])
def test_first_argument_not_a_tensor(fn, rest, name, arg, bad, shown):
    with pytest.raises(TypeError) as info:
        fn(bad, *rest())
    assert str(info.value) == f"{name}(): argument '{arg}' (position 1) must be Tensor, not {shown}"


@pytest.mark.parametrize("fn, name, arg", [(torch.matmul, "matmul", "other"), (torch.mm, "mm", "mat2"),
                                           (torch.bmm, "bmm", "mat2"), (torch.mv, "mv", "vec"),
                                           (torch.dot, "dot", "tensor"), (torch.outer, "outer", "vec2"),
                                           (torch.linalg.solve, "linalg_solve", "B")])
def test_second_argument_not_a_tensor(fn, name, arg):
    with pytest.raises(TypeError, match=rf"^{name}\(\): argument '{arg}' \(position 2\) must be Tensor, not list$"):
        fn(torch.ones(2), [1.0])


def test_numpy_array_spelled_with_its_module():
    with pytest.raises(TypeError, match=r"not numpy\.ndarray$"):
        torch.cat(np.ones(2))
    with pytest.raises(TypeError, match=r"got \(numpy\.ndarray, Tensor\)"):
        torch.eq(np.ones(2), torch.ones(2))


def test_clamp_lists_its_overloads():
    with pytest.raises(TypeError) as info:
        torch.clamp([1.0], 0.0)
    assert str(info.value).startswith("clamp() received an invalid combination of arguments - got (list, float), "
                                      "but expected one of:\n * (Tensor input, Tensor min = None")
