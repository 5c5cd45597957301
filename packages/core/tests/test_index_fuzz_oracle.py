"""Indexing compared with PyTorch: expressions found by fuzzing ``__getitem__``/``__setitem__``
where Lanterna and PyTorch disagreed (values, shapes, gradients and error messages)."""

import numpy as np
import pytest

import lanterna

pytestmark = pytest.mark.oracle
torch = pytest.importorskip("torch")

X3 = np.arange(24, dtype=np.float32).reshape(2, 3, 4) - 7.5


def _idx(M, spec):
    """``spec`` with NumPy arrays turned into tensors of library ``M``."""
    return tuple(M.from_numpy(i.copy()) if isinstance(i, np.ndarray) else i for i in spec)


def _outcome(M, fn):
    try:
        r = fn(M)
    except Exception as e:  # noqa: BLE001 - the type and message are compared
        return type(e).__name__, str(e).split("\n")[0]
    return tuple(None if t is None else (t.detach().numpy().copy(), str(t.dtype), tuple(t.shape)) for t in r)


def _same(fn):
    a, b = _outcome(torch, fn), _outcome(lanterna, fn)
    if isinstance(a[0], str) or isinstance(b[0], str):
        assert a == b
        return
    for (va, da, sa), (vb, db, sb) in zip(a, b):
        assert (da, sa) == (db, sb)
        np.testing.assert_allclose(vb, va, rtol=1e-6)


GETITEM = [
    (0, slice(None), [1, 2]),  # an int is a select, not part of the advanced broadcast
    (1, Ellipsis, np.array([3, 0, 3])),
    (np.array(1), slice(None), [0, 2]),
    (np.array(0, np.int32), None, np.arange(12).reshape(3, 4) % 3 == 0),
    (0, slice(1, -1), True, np.array([1, 0, 1, 1], np.uint8)),
    ([],),
    (slice(None), []),
    ([], np.array(-1), slice(0, -1, 3)),
    (Ellipsis, [2, 0], 1),
]


@pytest.mark.parametrize("spec", GETITEM, ids=str)
def test_getitem_value_and_grad(spec):
    def fn(M):
        x = M.from_numpy(X3.copy()).requires_grad_()
        y = x[_idx(M, spec)]
        w = M.arange(1, y.numel() + 1, dtype=M.float32).reshape(y.shape)
        (y * w).sum().backward()
        return y, x.grad

    _same(fn)


SETITEM = [
    ((0, slice(None), [1, 2]), np.arange(6, dtype=np.float32).reshape(3, 2)),
    ((0, slice(None), [1, 2]), np.arange(2, dtype=np.float32)),
    (([0, 1], slice(None), 1), np.arange(3, dtype=np.float32)),
    ((slice(0, -3, 2),), np.ones(4, np.float32)),  # empty region, broadcast value
    ((None, False, slice(None)), np.ones(4, np.float32)),
]


@pytest.mark.parametrize("spec,value", SETITEM, ids=str)
def test_setitem_value_and_grads(spec, value):
    def fn(M):
        x0 = M.from_numpy(X3.copy()).requires_grad_()
        v0 = M.from_numpy(value.copy()).requires_grad_()
        x = x0 * 1
        x[_idx(M, spec)] = v0 * 2
        w = M.arange(1, x.numel() + 1, dtype=M.float32).reshape(x.shape)
        (x * w).sum().backward()
        return x, x0.grad, v0.grad

    _same(fn)


def _set(spec, value):
    def fn(M):
        x = M.from_numpy(X3.copy())
        x[_idx(M, spec)] = M.from_numpy(value.copy()) if isinstance(value, np.ndarray) else value
        return (x,)

    return fn


ERRORS = [
    _set((slice(None), [1, 2]), np.ones((3, 2), np.float64)),  # advanced put does not cast a tensor
    _set(([0, 1],), np.ones((3, 4), np.int32)),
    _set((slice(None), [1, 2]), np.ones((2, 3, 2), np.float64)),  # shape mismatch reported before dtype
    _set((np.array([1, 0], np.uint8),), 1.0),  # masked_fill_ refuses uint8
    _set((0, np.array([1, 0, 1], np.uint8)), 5.0),
    _set((X3 > 0,), np.array([7.0])),  # a lone bool mask with one value: masked_fill_ casts
    _set((X3 > 0,), np.array(1, np.int32)),
    _set(False, np.ones(7, np.float32)),  # a top-level False writes nothing, whatever the value
    _set(([],), 1.0),
    lambda M: (M.from_numpy(X3.copy())[0:2.5],),
    lambda M: (M.from_numpy(X3.copy())[::-1],),
    lambda M: (M.from_numpy(X3.copy())[::-1, 0, 0, 0],),
    lambda M: (M.from_numpy(X3.copy())[5],),
    lambda M: (M.from_numpy(X3.copy()).index_put((M.tensor([1, 0]),), M.tensor(5.0, dtype=M.float64)),),
    lambda M: (M.from_numpy(X3.copy()).index_put((M.tensor([1, 1]),), M.tensor(5.0), accumulate=True),),
]


@pytest.mark.parametrize("fn", ERRORS)
def test_setitem_and_errors(fn):
    _same(fn)
