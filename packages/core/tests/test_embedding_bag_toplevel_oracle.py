"""PyTorch as the oracle for ``lanterna.embedding_bag`` (the top-level 4-tuple form)."""

import numpy as np
import pytest

import lanterna

pytestmark = pytest.mark.oracle
torch = pytest.importorskip("torch")

CASES = [
    # mode, include_last_offset, padding_idx, per_sample_weights, dtype
    (0, False, None, False, "float32"),
    (0, False, None, True, "float64"),
    (0, True, None, False, "float64"),
    (1, False, None, False, "float32"),
    (1, False, 3, False, "float64"),
    (1, True, -2, False, "float32"),
    (2, False, None, False, "float32"),
    (2, False, 4, False, "float64"),
    (2, True, None, False, "float32"),
]


@pytest.mark.parametrize("mode,last,pad,psw,dtype", CASES)
@pytest.mark.parametrize("itype", ["int64", "int32"])
def test_matches_torch(mode, last, pad, psw, dtype, itype):
    rng = np.random.default_rng(0)
    w_np = rng.standard_normal((7, 3)).astype(dtype)
    idx_np = np.array([1, 3, 4, 4, 0, 6, 3, 2], dtype=itype)
    offs_np = np.array([0, 3, 3, 6, 8] if last else [0, 3, 3, 6], dtype=itype)
    psw_np = rng.standard_normal(8).astype(dtype) if psw else None
    grad_np = rng.standard_normal((4, 3)).astype(dtype)

    def run(lib):
        w = lib.tensor(w_np, requires_grad=True)
        p = None if psw_np is None else lib.tensor(psw_np)
        res = lib.embedding_bag(w, lib.tensor(idx_np), lib.tensor(offs_np), False, mode, False, p, last, pad)
        res[0].backward(lib.tensor(grad_np))
        return res, w.grad

    (t_res, t_grad), (l_res, l_grad) = run(torch), run(lanterna)
    np.testing.assert_allclose(l_res[0].detach().numpy(), t_res[0].detach().numpy(), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(l_grad.numpy(), t_grad.numpy(), rtol=1e-6, atol=1e-6)
    for lt, tt in zip(l_res[1:], t_res[1:]):
        assert tuple(lt.shape) == tuple(tt.shape)
        assert str(lt.dtype) == str(tt.dtype)
        np.testing.assert_array_equal(lt.numpy(), tt.numpy())
