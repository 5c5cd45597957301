"""PyTorch as the oracle for op differences found by a randomized parity sweep: values, dtypes,
input gradients (at the kinks where a formula divides 0 by 0) and which calls raise (and with
which exception type). Skipped where torch is not installed."""

import numpy as np
import pytest

import lanterna

pytestmark = pytest.mark.oracle
torch = pytest.importorskip("torch")

INF = float("inf")


def _np(t):
    return t.detach().numpy(force=True) if isinstance(t, torch.Tensor) else t.detach().numpy()


def _same(mine, theirs):
    if isinstance(theirs, (tuple, list)):
        assert len(mine) == len(theirs)
        for m, t in zip(mine, theirs):
            _same(m, t)
        return
    assert str(mine.dtype) == str(theirs.dtype)
    assert tuple(mine.shape) == tuple(theirs.shape)
    np.testing.assert_allclose(_np(mine).astype(np.float64), _np(theirs).astype(np.float64),
                               rtol=1e-6, atol=1e-12, equal_nan=True)


def _grads(fn, *arrays):
    """``fn(lib, *leaves)`` in both libraries with an upstream gradient of ones; every leaf's
    gradient (None where it has none)."""
    out = {}
    for lib in (torch, lanterna):
        leaves = [lib.tensor(a, requires_grad=True) for a in arrays]
        y = fn(lib, *leaves)
        y.backward(lib.ones_like(y))
        out[lib.__name__] = [t.grad for t in leaves]
    return out["lanterna"], out["torch"]


def _same_grads(fn, *arrays):
    mine, theirs = _grads(fn, *arrays)
    for m, t in zip(mine, theirs):
        assert (m is None) == (t is None)
        if t is not None:
            _same(m, t)


def _same_error(fn):
    """Both raise, with the same exception type."""
    with pytest.raises(Exception) as theirs:
        fn(torch)
    with pytest.raises(type(theirs.value)):
        fn(lanterna)


# ---- gradients at 0/0 kinks ------------------------------------------------------------------
@pytest.mark.parametrize("p", [0.5, 1.5, 3.0, -1.0, -0.5])
def test_vector_norm_grad_with_zero_entries(p):
    _same_grads(lambda L, x: L.linalg.vector_norm(x, p), np.array([0.0, 1.0, -2.0, 0.5]))
    _same_grads(lambda L, x: L.norm(x, p, dim=1), np.array([[0.0, 1.0], [0.0, 0.0], [2.0, -3.0]]))


def test_zero_norm_leaves_grad_undefined_but_cdist_gives_zeros():
    mine, theirs = _grads(lambda L, x: L.linalg.vector_norm(x, 0), np.array([0.0, 1.0, -2.0]))
    assert mine[0] is None and theirs[0] is None
    _same_grads(lambda L, a, b: L.cdist(a, b, p=0), np.array([[0.0, 1.0], [2.0, 3.0]]), np.array([[1.0, 1.0]]))
    _same_grads(lambda L, a: L.nn.functional.pdist(a, 0), np.array([[0.0, 1.0], [2.0, 3.0], [2.0, 0.0]]))


def test_pow_tensor_exponent_grad_at_zero_zero():
    _same_grads(lambda L, a, b: a ** b, np.array([0.0, 0.0, 2.0, 0.0]), np.array([0.0, 2.0, 0.0, 0.5]))
    _same_grads(lambda L, a: a ** L.tensor(0.0, dtype=L.float64), np.array([0.0, 3.0]))


def test_atan2_grad_at_origin():
    _same_grads(lambda L, a, b: L.atan2(a, b), np.array([0.0, 1.0, 0.0]), np.array([0.0, 0.0, -1.0]))


def test_xlog1py_grad_at_zero_input():
    _same_grads(lambda L, a, b: L.special.xlog1py(a, b), np.array([0.0, 0.0, 2.0, 0.0]), np.array([-1.0, 1.0, 0.5, -2.0]))


def test_index_fill_tensor_value_gets_gradient():
    _same_grads(lambda L, x, v: x.index_fill(1, L.tensor([0, 2]), v), np.arange(12.0).reshape(3, 4), np.array(2.5))


# ---- values and dtypes -----------------------------------------------------------------------
def test_vector_norm_inf_over_nonempty_dim_of_empty_tensor_keeps_shape():
    for lib in (torch, lanterna):
        assert tuple(lib.linalg.vector_norm(lib.ones(0, 3), INF, dim=1).shape) == (0,)


@pytest.mark.parametrize("op", ["sum", "prod", "nansum"])
@pytest.mark.parametrize("dtype", ["int16", "uint8", "int32", "bool"])
def test_reduction_keeps_explicit_integer_dtype(op, dtype):
    for make in (lambda L: L.tensor([200, 100, 3], dtype=L.uint8), lambda L: L.tensor([True, True, False])):
        if op == "nansum" and dtype == "bool":
            continue
        _same(getattr(lanterna, op)(make(lanterna), dtype=getattr(lanterna, dtype)),
              getattr(torch, op)(make(torch), dtype=getattr(torch, dtype)))
    _same(lanterna.sum(lanterna.tensor([[1, 2]], dtype=lanterna.uint8), 1, dtype=getattr(lanterna, dtype)),
          torch.sum(torch.tensor([[1, 2]], dtype=torch.uint8), 1, dtype=getattr(torch, dtype)))


@pytest.mark.parametrize("op", ["cumsum", "cumprod"])
@pytest.mark.parametrize("dtype", ["int16", "uint8", "int32", "float64"])
def test_scan_keeps_explicit_dtype(op, dtype):
    _same(getattr(lanterna, op)(lanterna.tensor([200, 100, 3], dtype=lanterna.uint8), 0, dtype=getattr(lanterna, dtype)),
          getattr(torch, op)(torch.tensor([200, 100, 3], dtype=torch.uint8), 0, dtype=getattr(torch, dtype)))


def test_trace_of_unsigned_integers():
    _same(lanterna.trace(lanterna.tensor([[1, 2], [3, 4]], dtype=lanterna.uint8)),
          torch.trace(torch.tensor([[1, 2], [3, 4]], dtype=torch.uint8)))


def test_index_ops_on_zero_dim_tensors():
    for fn in (lambda L: L.index_add(L.tensor(1.0), 0, L.tensor([0]), L.tensor(2.0)),
               lambda L: L.index_copy(L.tensor(1.0), 0, L.tensor([0]), L.tensor(2.0)),
               lambda L: L.index_fill(L.tensor(1.0), 0, L.tensor([0]), 2.0)):
        _same(fn(lanterna), fn(torch))


def test_unfold_zero_dim_backward():
    _same_grads(lambda L, x: x.unfold(0, 1, 1) * 3, np.array(2.0))


# ---- which calls raise -----------------------------------------------------------------------
ERROR_CASES = {
    "diff_0d": lambda L: L.diff(L.tensor(1.0)),
    "diff_negative_n": lambda L: L.diff(L.ones(3), n=-1),
    "fliplr_1d": lambda L: L.fliplr(L.ones(3)),
    "flipud_0d": lambda L: L.flipud(L.tensor(1.0)),
    "rot90_1d": lambda L: L.rot90(L.ones(3)),
    "rot90_one_dim": lambda L: L.rot90(L.ones(2, 2), 1, (0,)),
    "rot90_same_dims": lambda L: L.rot90(L.ones(2, 2), 1, (0, -2)),
    "cross_ndim_mismatch": lambda L: L.linalg.cross(L.ones(4, 3), L.ones(3)),
    "cross_dtype_mismatch": lambda L: L.cross(L.ones(4, 3), L.ones(4, 3, dtype=L.float64), dim=1),
    "narrow_0d": lambda L: L.narrow(L.tensor(1.0), 0, 0, 1),
    "as_strided_out_of_bounds": lambda L: L.ones(5).as_strided((3, 3), (3, 3)),
    "as_strided_offset_out_of_bounds": lambda L: L.ones(5).as_strided((3,), (1,), 3),
    "as_strided_negative_stride": lambda L: L.ones(5).as_strided((3,), (-1,)),
    "bincount_negative": lambda L: L.bincount(L.tensor([-1, 2])),
    "bincount_float": lambda L: L.bincount(L.tensor([1.0, 2.0])),
    "bincount_bool": lambda L: L.bincount(L.tensor([True, False])),
    "bincount_weights_length": lambda L: L.bincount(L.tensor([1, 2]), L.tensor([1.0, 2.0, 3.0])),
    "histc_int": lambda L: L.histc(L.tensor([1, 2])),
    "histc_zero_bins": lambda L: L.histc(L.tensor([1.0, 2.0]), bins=0),
    "searchsorted_batch_mismatch": lambda L: L.searchsorted(L.ones(2, 3), L.ones(3, 3)),
    "searchsorted_bad_side": lambda L: L.searchsorted(L.ones(3), L.ones(3), side="middle"),
    "searchsorted_scalar_batched": lambda L: L.searchsorted(L.ones(2, 3), 1.0),
    "bucketize_2d_boundaries": lambda L: L.bucketize(L.ones(3), L.ones(2, 3)),
    "masked_select_not_broadcastable": lambda L: L.masked_select(L.ones(3, 4), L.ones(4, 3, dtype=L.bool)),
    "masked_scatter_dtype": lambda L: L.ones(2).masked_scatter(L.ones(2, dtype=L.bool), L.ones(2, dtype=L.float64)),
    "index_add_dtype": lambda L: L.ones(3, 4).index_add(0, L.tensor([0]), L.ones(1, 4, dtype=L.float64)),
    "index_add_out_of_bounds": lambda L: L.ones(3, 4).index_add(0, L.tensor([5]), L.ones(1, 4)),
    "index_add_negative": lambda L: L.ones(3, 4).index_add(0, L.tensor([-1]), L.ones(1, 4)),
    "index_add_source_shape": lambda L: L.ones(3, 4).index_add(0, L.tensor([0, 1]), L.ones(2, 5)),
    "index_add_count": lambda L: L.ones(3, 4).index_add(0, L.tensor([0, 1]), L.ones(3, 4)),
    "index_copy_dtype": lambda L: L.ones(3, 4).index_copy(0, L.tensor([0]), L.ones(1, 4, dtype=L.float64)),
    "index_copy_int32_index": lambda L: L.ones(3, 4).index_copy(0, L.tensor([0], dtype=L.int32), L.ones(1, 4)),
    "index_copy_count": lambda L: L.ones(3, 4).index_copy(0, L.tensor([0, 1]), L.ones(3, 4)),
    "index_fill_int32_index": lambda L: L.ones(3, 4).index_fill(0, L.tensor([0], dtype=L.int32), 1.0),
    "index_fill_1d_value": lambda L: L.ones(3, 4).index_fill(0, L.tensor([0]), L.tensor([1.0])),
    "index_fill_2d_index": lambda L: L.ones(3, 4).index_fill(0, L.tensor([[0]]), 1.0),
    "scatter_add_dtype": lambda L: L.ones(3, 4).scatter_add(0, L.zeros(1, 4, dtype=L.long), L.ones(1, 4, dtype=L.float64)),
    "scatter_index_larger_than_src": lambda L: L.ones(3, 4).scatter(0, L.zeros(2, 4, dtype=L.long), L.ones(1, 4)),
    "scatter_index_larger_than_self": lambda L: L.ones(3, 4).scatter(0, L.zeros(4, 5, dtype=L.long), 1.0),
    "scatter_index_ndim": lambda L: L.ones(3, 4).scatter(0, L.zeros(1, 2, 1, dtype=L.long), L.ones(1, 4)),
    "vector_norm_str_ord": lambda L: L.linalg.vector_norm(L.ones(3), "fro"),
    "vector_norm_inf_empty": lambda L: L.linalg.vector_norm(L.ones(0), INF),
    "vector_norm_neg_empty_dim": lambda L: L.linalg.vector_norm(L.ones(0, 3), -1, dim=0),
    "norm_nuc_int_dim": lambda L: L.norm(L.ones(3, 4), "nuc", dim=1),
    "norm_fro_three_dims": lambda L: L.norm(L.ones(3, 4, 5), "fro", dim=(0, 1, 2)),
    "linalg_norm_fro_1d": lambda L: L.linalg.norm(L.ones(3), "fro"),
    "linalg_norm_ord_3d_without_dim": lambda L: L.linalg.norm(L.ones(3, 4, 2), 2),
    "matrix_norm_same_dims": lambda L: L.linalg.matrix_norm(L.ones(3, 3), "fro", dim=(0, 0)),
    "matrix_norm_bad_ord": lambda L: L.linalg.matrix_norm(L.ones(3, 3), 3),
    "trace_bool": lambda L: L.trace(L.ones(2, 2, dtype=L.bool)),
    "lerp_int": lambda L: L.lerp(L.tensor([1, 2]), L.tensor([3, 4]), 0.5),
    "lerp_end_dtype": lambda L: L.lerp(L.ones(2), L.ones(2, dtype=L.float64), 0.5),
    "lerp_weight_dtype": lambda L: L.lerp(L.ones(2), L.ones(2), L.ones(2, dtype=L.float64)),
    "cumsum_bool_dtype": lambda L: L.cumsum(L.ones(2, dtype=L.bool), 0, dtype=L.bool),
}


@pytest.mark.parametrize("name", sorted(ERROR_CASES))
def test_raises_like_torch(name):
    _same_error(ERROR_CASES[name])


def test_accepted_like_torch():
    """Calls next to the refused ones above that PyTorch accepts."""
    for fn in (lambda L: L.lerp(L.ones(2), L.ones(2), L.tensor(0.5, dtype=L.float64)),
               lambda L: L.rot90(L.ones(2, 3, 4), 5, (2, 0)),
               lambda L: L.ones(3, 4).index_fill(0, L.tensor([-1]), 2.0),
               lambda L: L.ones(3, 4).scatter_add(0, L.zeros(2, 3, dtype=L.long), L.ones(2, 4)),
               lambda L: L.searchsorted(L.tensor([1.0, 2.0]), L.tensor([[0.5, 3.0]]), side="right"),
               lambda L: L.narrow(L.arange(5.0), 0, -2, 2)):
        _same(fn(lanterna), fn(torch))
