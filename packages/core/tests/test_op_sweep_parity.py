"""Formula checks (no PyTorch needed) for the op fixes of the parity sweep: gradients where a
naive formula gives 0/0, dtypes of reductions and scans with an explicit ``dtype=``, 0-d inputs
of the index ops, and the argument checks (with PyTorch's exception types)."""

import math

import numpy as np
import pytest

import lanterna
from lanterna.autograd import gradcheck, gradgradcheck


def _grad(fn, *values):
    leaves = [lanterna.tensor(v, dtype=lanterna.float64, requires_grad=True) for v in values]
    y = fn(*leaves)
    y.backward(lanterna.ones_like(y))
    return [None if t.grad is None else t.grad.tolist() for t in leaves]


def _f64(*values):
    return [lanterna.tensor(v, dtype=lanterna.float64, requires_grad=True) for v in values]


# ---- gradients -------------------------------------------------------------------------------
@pytest.mark.parametrize("p", [0.5, 1.5, 3.0])
def test_vector_norm_grad_is_zero_at_zero_entries(p):
    x = [0.0, 1.0, -2.0]
    norm = sum(abs(v) ** p for v in x) ** (1 / p)
    # d|x|_p / dx_i = sign(x_i) |x_i|^(p-1) / |x|_p^(p-1), taken as 0 at x_i == 0
    expected = [0.0 if v == 0 else math.copysign(abs(v) ** (p - 1), v) / norm ** (p - 1) for v in x]
    (g,) = _grad(lambda t: lanterna.linalg.vector_norm(t, p), x)
    np.testing.assert_allclose(g, expected, rtol=1e-12)


def test_negative_order_norm_with_a_zero_entry_has_zero_grad():
    (g,) = _grad(lambda t: lanterna.linalg.vector_norm(t, -1), [0.0, 1.0, 2.0])
    assert g == [0.0, 0.0, 0.0]


def test_vector_norm_gradcheck_fractional_orders():
    (x,) = _f64([[0.3, -1.2, 2.0], [1.5, 0.7, -0.4]])
    for p in (0.5, 1.5, 3.0, -1.0):
        assert gradcheck(lambda t: lanterna.linalg.vector_norm(t, p, dim=1), (x,))


def test_zero_order_norm_has_no_gradient():
    (g,) = _grad(lambda t: lanterna.linalg.vector_norm(t, 0), [0.0, 1.0])
    assert g is None


def test_cdist_zero_order_gives_zero_gradients():
    ga, gb = _grad(lambda a, b: lanterna.cdist(a, b, p=0), [[0.0, 1.0], [2.0, 3.0]], [[1.0, 1.0]])
    assert ga == [[0.0, 0.0], [0.0, 0.0]] and gb == [[0.0, 0.0]]


def test_pow_tensor_exponent_zero_gives_zero_base_gradient():
    ga, _ = _grad(lambda a, b: a ** b, [0.0, 0.0, 2.0], [0.0, 2.0, 3.0])
    assert ga == [0.0, 0.0, 12.0]  # b a^(b-1), with 0 where b == 0 (not 0 * 0^-1 = NaN)


def test_atan2_gradient_at_origin_is_zero():
    ga, gb = _grad(lambda a, b: lanterna.atan2(a, b), [0.0, 1.0], [0.0, 1.0])
    assert ga == [0.0, 0.5] and gb == [0.0, -0.5]
    assert gradcheck(lanterna.atan2, tuple(_f64([0.5, -1.0], [2.0, 0.3])))


def test_xlog1py_gradient():
    ga, gb = _grad(lambda a, b: lanterna.special.xlog1py(a, b), [0.0, 0.0, 2.0], [-1.0, 1.0, 1.0])
    # d/da = log1p(b), except 0 where a == 0 and b <= -1; d/db = a / (1 + b)
    assert ga == [0.0, math.log(2.0), math.log(2.0)]
    assert gb[1:] == [0.0, 1.0]
    args = tuple(_f64([0.5, -1.0], [2.0, 0.3]))
    assert gradcheck(lanterna.special.xlog1py, args)
    assert gradgradcheck(lanterna.special.xlog1py, args)


def test_index_fill_tensor_value_gradient():
    x, v = _f64(np.arange(12.0).reshape(3, 4), 2.5)
    idx = lanterna.tensor([0, 2])
    y = x.index_fill(1, idx, v)
    assert y[:, [0, 2]].tolist() == [[2.5, 2.5]] * 3
    y.backward(lanterna.ones_like(y))
    assert v.grad.item() == 6.0  # one per filled element
    assert x.grad[:, [0, 2]].abs().sum().item() == 0.0
    assert gradcheck(lambda a, b: a.index_fill(1, idx, b), (x, v))


def test_unfold_of_zero_dim_tensor_backward():
    (g,) = _grad(lambda t: t.unfold(0, 1, 1) * 3, 2.0)
    assert g == 3.0


# ---- values and dtypes -----------------------------------------------------------------------
def test_sum_and_prod_keep_an_explicit_integer_dtype_and_wrap():
    u = lanterna.tensor([200, 100, 3], dtype=lanterna.uint8)
    assert lanterna.sum(u, dtype=lanterna.int16).dtype is lanterna.int16
    assert lanterna.sum(u, dtype=lanterna.uint8).item() == 303 % 256
    assert lanterna.prod(u, dtype=lanterna.int16).item() == 60000 - 65536
    assert lanterna.nansum(u, 0, dtype=lanterna.int32).dtype is lanterna.int32
    b = lanterna.tensor([True, True, False])
    assert lanterna.sum(b, dtype=lanterna.bool).item() is True
    assert lanterna.prod(b, dtype=lanterna.bool).item() is False
    assert lanterna.sum(u).dtype is lanterna.int64  # without dtype: int64, as before


def test_cumsum_cumprod_keep_an_explicit_dtype():
    u = lanterna.tensor([200, 100, 3], dtype=lanterna.uint8)
    assert lanterna.cumsum(u, 0, dtype=lanterna.uint8).tolist() == [200, 44, 47]
    assert lanterna.cumprod(u, 0, dtype=lanterna.int32).dtype is lanterna.int32
    assert u.cumsum(0, dtype=lanterna.int16).dtype is lanterna.int16
    assert lanterna.cumsum(u, 0).dtype is lanterna.int64
    with pytest.raises(NotImplementedError):
        lanterna.cumsum(u, 0, dtype=lanterna.bool)


def test_trace_of_unsigned_integers_is_int64():
    t = lanterna.trace(lanterna.tensor([[1, 2], [3, 4]], dtype=lanterna.uint8))
    assert t.dtype is lanterna.int64 and t.item() == 5


def test_inf_norm_over_a_nonempty_dim_of_an_empty_tensor():
    r = lanterna.linalg.vector_norm(lanterna.ones(0, 3), math.inf, dim=1)
    assert tuple(r.shape) == (0,)


def test_index_ops_on_zero_dim_tensors():
    one = lanterna.tensor(1.0)
    assert lanterna.index_add(one, 0, lanterna.tensor([0]), lanterna.tensor(2.0)).tolist() == 3.0
    assert lanterna.index_copy(one, 0, lanterna.tensor([0]), lanterna.tensor(2.0)).tolist() == 2.0
    assert lanterna.index_fill(one, 0, lanterna.tensor([0]), 5.0).tolist() == 5.0


def test_index_fill_negative_index_counts_from_the_end():
    r = lanterna.zeros(2, 3).index_fill(1, lanterna.tensor([-1]), 1.0)
    assert r.tolist() == [[0.0, 0.0, 1.0], [0.0, 0.0, 1.0]]


# ---- argument checks -------------------------------------------------------------------------
L = lanterna
ERRORS = [
    (RuntimeError, lambda: L.diff(L.tensor(1.0))),
    (RuntimeError, lambda: L.fliplr(L.ones(3))),
    (RuntimeError, lambda: L.flipud(L.tensor(1.0))),
    (RuntimeError, lambda: L.rot90(L.ones(3))),
    (RuntimeError, lambda: L.rot90(L.ones(2, 2), 1, (0, -2))),
    (IndexError, lambda: L.rot90(L.ones(2, 2), 1, (0, 2))),
    (RuntimeError, lambda: L.linalg.cross(L.ones(4, 3), L.ones(3))),
    (RuntimeError, lambda: L.cross(L.ones(4, 3), L.ones(4, 3, dtype=L.float64), dim=1)),
    (RuntimeError, lambda: L.narrow(L.tensor(1.0), 0, 0, 1)),
    (RuntimeError, lambda: L.ones(5).as_strided((3, 3), (3, 3))),
    (RuntimeError, lambda: L.ones(5).as_strided((3,), (-1,))),
    (RuntimeError, lambda: L.bincount(L.tensor([-1, 2]))),
    (NotImplementedError, lambda: L.bincount(L.tensor([1.0, 2.0]))),
    (NotImplementedError, lambda: L.bincount(L.tensor([True]))),
    (NotImplementedError, lambda: L.histc(L.tensor([1, 2]))),
    (RuntimeError, lambda: L.histc(L.tensor([1.0]), bins=0)),
    (RuntimeError, lambda: L.searchsorted(L.ones(2, 3), L.ones(3, 3))),
    (RuntimeError, lambda: L.searchsorted(L.ones(3), L.ones(3), side="middle")),
    (RuntimeError, lambda: L.bucketize(L.ones(3), L.ones(2, 3))),
    (RuntimeError, lambda: L.masked_select(L.ones(3, 4), L.ones(4, 3, dtype=L.bool))),
    (RuntimeError, lambda: L.ones(3, 4).index_add(0, L.tensor([0]), L.ones(1, 4, dtype=L.float64))),
    (RuntimeError, lambda: L.ones(3, 4).index_add(0, L.tensor([5]), L.ones(1, 4))),
    (RuntimeError, lambda: L.ones(3, 4).index_add(0, L.tensor([0, 1]), L.ones(2, 5))),
    (RuntimeError, lambda: L.ones(3, 4).index_copy(0, L.tensor([0]), L.ones(1, 4, dtype=L.float64))),
    (IndexError, lambda: L.ones(3, 4).index_copy(0, L.tensor([0, 1]), L.ones(3, 4))),
    (IndexError, lambda: L.ones(3, 4).index_fill(0, L.tensor([0], dtype=L.int32), 1.0)),
    (RuntimeError, lambda: L.ones(3, 4).index_fill(0, L.tensor([0]), L.tensor([1.0]))),
    (RuntimeError, lambda: L.ones(3, 4).scatter_add(0, L.zeros(1, 4, dtype=L.long), L.ones(1, 4, dtype=L.float64))),
    (RuntimeError, lambda: L.ones(3, 4).scatter(0, L.zeros(2, 4, dtype=L.long), L.ones(1, 4))),
    (RuntimeError, lambda: L.ones(2).masked_scatter(L.ones(2, dtype=L.bool), L.ones(2, dtype=L.float64))),
    (TypeError, lambda: L.linalg.vector_norm(L.ones(3), "fro")),
    (RuntimeError, lambda: L.linalg.vector_norm(L.ones(0), math.inf)),
    (RuntimeError, lambda: L.norm(L.ones(3, 4), "nuc", dim=1)),
    (RuntimeError, lambda: L.linalg.norm(L.ones(3), "fro")),
    (RuntimeError, lambda: L.linalg.norm(L.ones(3, 4, 2), 2)),
    (RuntimeError, lambda: L.linalg.matrix_norm(L.ones(3, 3), "fro", dim=(0, 0))),
    (NotImplementedError, lambda: L.trace(L.ones(2, 2, dtype=L.bool))),
    (NotImplementedError, lambda: L.lerp(L.tensor([1, 2]), L.tensor([3, 4]), 0.5)),
    (RuntimeError, lambda: L.lerp(L.ones(2), L.ones(2, dtype=L.float64), 0.5)),
]


@pytest.mark.parametrize("exc, call", ERRORS)
def test_argument_checks(exc, call):
    with pytest.raises(exc):
        call()
