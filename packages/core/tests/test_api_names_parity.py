"""The ``torch`` / ``Tensor`` names added for parity, checked against formulas (no torch needed):
view copies, the unsafe splits, ``fill``, ``as_strided_scatter``, the ATen-signature nn ops, the
``native_*`` tuples, the layout / memory-format tags, streams and the small Tensor methods."""

import doctest
import importlib
import math
import pickle

import numpy as np
import pytest

import lanterna


def _np(t):
    return t.detach().numpy()


X = np.arange(12.0).reshape(3, 4)


@pytest.mark.parametrize("name", ["lanterna.ops.copies", "lanterna.ops.nn_aten", "lanterna.ops.tensor_misc",
                                  "lanterna._layout", "lanterna._stream", "lanterna._errors"])
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0


@pytest.mark.parametrize("fn, expected", [
    (lambda x: lanterna.transpose_copy(x, 0, 1), X.T),
    (lambda x: lanterna.permute_copy(x, (1, 0)), X.T),
    (lambda x: lanterna.t_copy(x), X.T),
    (lambda x: lanterna.diagonal_copy(x, 1), np.diagonal(X, 1)),
    (lambda x: lanterna.expand_copy(x[:1], (2, 4)), np.broadcast_to(X[:1], (2, 4))),
    (lambda x: lanterna.narrow_copy(x, 1, 1, 2), X[:, 1:3]),
    (lambda x: lanterna.select_copy(x, 1, 2), X[:, 2]),
    (lambda x: lanterna.slice_copy(x, 1, 0, None, 3), X[:, ::3]),
    (lambda x: lanterna.unfold_copy(x, 1, 2, 2), X.reshape(3, 2, 2)),
    (lambda x: lanterna.unsqueeze_copy(x, 1), X[:, None]),
    (lambda x: lanterna.squeeze_copy(x[None]), X),
    (lambda x: lanterna.view_copy(x, (4, 3)), X.reshape(4, 3)),
    (lambda x: lanterna.as_strided_copy(x, (2, 2), (1, 4)), np.array([[0.0, 4.0], [1.0, 5.0]])),
    (lambda x: lanterna.alias_copy(x), X),
])
def test_view_copies_are_contiguous_copies(fn, expected):
    x = lanterna.tensor(X, requires_grad=True)
    y = fn(x)
    np.testing.assert_array_equal(_np(y), expected)
    assert y.is_contiguous() and y._base is None
    assert y.grad_fn.name().endswith("_copy") or y.grad_fn.name() == "NarrowCopyBackward0"
    assert not y.grad_fn.is_view
    # the gradient of sum(y * w) is w scattered back where the view reads
    # the gradient of sum(y) counts how often each input element was read
    y.sum().backward()
    counts = np.zeros(X.size)
    np.add.at(counts, fn(lanterna.tensor(np.arange(X.size, dtype=np.float64).reshape(X.shape))).numpy()
              .astype(np.int64).reshape(-1), 1)
    np.testing.assert_array_equal(_np(x.grad).reshape(-1), counts)


def test_view_copy_gradient_equals_the_view_gradient():
    w = lanterna.tensor(np.linspace(-1, 1, 12).reshape(4, 3))
    x1, x2 = lanterna.tensor(X, requires_grad=True), lanterna.tensor(X, requires_grad=True)
    (lanterna.transpose_copy(x1, 0, 1) * w).sum().backward()
    (x2.transpose(0, 1) * w).sum().backward()
    np.testing.assert_array_equal(_np(x1.grad), _np(w).T)
    np.testing.assert_array_equal(_np(x1.grad), _np(x2.grad))


def test_view_copy_does_not_share_storage():
    x = lanterna.tensor(X)
    y = lanterna.view_copy(x, (12,))
    y.zero_()
    np.testing.assert_array_equal(_np(x), X)


def test_view_copy_of_a_view_leaves_the_input_node_alone():
    x = lanterna.tensor(X, requires_grad=True)
    v = x[None]
    name = v.grad_fn.name()
    lanterna.squeeze_copy(v, 1)  # nothing to squeeze: the op may return its input
    lanterna.view_copy(v, v.shape)
    assert v.grad_fn.name() == name and v.grad_fn.is_view


def test_split_copies_and_unsafe_splits():
    x = lanterna.tensor(X, requires_grad=True)
    parts = lanterna.split_copy(x, 2, 1)
    assert [p.grad_fn.name() for p in parts] == ["SplitBackward0_copy"] * 2
    np.testing.assert_array_equal(_np(parts[1]), X[:, 2:])
    pieces = lanterna.unbind_copy(x, 0)
    np.testing.assert_array_equal(_np(pieces[2]), X[2])
    sizes = lanterna.split_with_sizes_copy(x, [1, 3], 1)
    assert [tuple(p.shape) for p in sizes] == [(3, 1), (3, 3)]
    for fn, arg, node in ((lanterna.unsafe_split, 2, "UnsafeSplitBackward0"),
                          (lanterna.unsafe_chunk, 2, "UnsafeSplitBackward0"),
                          (lanterna.unsafe_split_with_sizes, [1, 3], "UnsafeSplitWithSizesBackward0")):
        out = fn(x, arg, 1)
        assert all(o.grad_fn.name() == node and o._base is None for o in out)
        sum(o.sum() * (i + 1) for i, o in enumerate(out)).backward()
    assert x.grad is not None


def test_unsafe_chunk_errors():
    with pytest.raises(RuntimeError, match="chunk expects `chunks` to be greater than 0"):
        lanterna.unsafe_chunk(lanterna.zeros(3), 0)


def test_detach_copy():
    x = lanterna.tensor(X, requires_grad=True)
    y = lanterna.detach_copy(x)
    assert y.requires_grad and y.grad_fn.name() == "NotImplemented"
    with pytest.raises(RuntimeError, match="derivative for aten::detach_copy is not implemented"):
        y.sum().backward()


def test_fill():
    x = lanterna.tensor(X, requires_grad=True)
    v = lanterna.tensor(2.0, dtype=lanterna.float64, requires_grad=True)
    y = lanterna.fill(x, v)
    np.testing.assert_array_equal(_np(y), np.full((3, 4), 2.0))
    y.sum().backward()
    assert v.grad.item() == 12.0 and not x.grad.abs().sum().item()
    assert lanterna.fill(lanterna.tensor([1, 2]), 2.7).tolist() == [2, 2]
    assert lanterna.fill(lanterna.tensor([True, False]), 0).tolist() == [False, False]
    with pytest.raises(RuntimeError, match="only supports 0-dimension value tensor"):
        lanterna.fill(x, lanterna.tensor([1.0, 2.0]))


def test_as_strided_scatter():
    x = lanterna.zeros(3, 4)
    y = lanterna.as_strided_scatter(x, lanterna.tensor([[1.0, 2.0], [3.0, 4.0]]), (2, 2), (1, 4), 1)
    expected = np.zeros(12)
    expected[[1, 5, 2, 6]] = [1.0, 2.0, 3.0, 4.0]
    np.testing.assert_array_equal(_np(y), expected.reshape(3, 4))
    assert not x.abs().sum().item()  # a copy: the input is unchanged
    with pytest.raises(RuntimeError, match="expected src to have a size equal to the slice of self"):
        lanterna.as_strided_scatter(x, lanterna.zeros(3), (2, 2), (1, 4))


# ---- nn ops at the top level ----------------------------------------------------------------------
def test_pixel_and_channel_shuffles():
    x = lanterna.arange(16.0).reshape(1, 4, 2, 2)
    y = lanterna.pixel_shuffle(x, 2)
    assert tuple(y.shape) == (1, 1, 4, 4)
    np.testing.assert_array_equal(_np(lanterna.pixel_unshuffle(y, 2)), _np(x))
    c = lanterna.channel_shuffle(lanterna.arange(6.0).reshape(1, 6, 1), 2)
    assert c.flatten().tolist() == [0.0, 3.0, 1.0, 4.0, 2.0, 5.0]
    z = lanterna.arange(6.0, requires_grad=True)
    (lanterna.channel_shuffle(z.reshape(1, 6, 1), 3).flatten() * lanterna.arange(6.0)).sum().backward()
    # the gradient of a permutation is its inverse permutation of the weights
    assert z.grad.tolist() == [0.0, 3.0, 1.0, 4.0, 2.0, 5.0]
    with pytest.raises(RuntimeError, match="Number of channels must be divisible by groups"):
        lanterna.channel_shuffle(lanterna.zeros(1, 4, 1), 3)


def test_prelu_gradients_against_the_formula():
    x = lanterna.tensor([[-2.0, 3.0], [1.0, -4.0]], requires_grad=True)
    w = lanterna.tensor([0.5, 0.25], requires_grad=True)
    y = lanterna.prelu(x, w)
    assert y.tolist() == [[-1.0, 3.0], [1.0, -1.0]]
    assert y.grad_fn.name() == "PreluKernelBackward0"
    y.sum().backward()
    assert x.grad.tolist() == [[0.5, 1.0], [1.0, 0.25]]
    assert w.grad.tolist() == [-2.0, -4.0]  # sum of x where x <= 0, per channel


def test_losses_take_int_reductions():
    a, b = lanterna.tensor([[0.2, -0.5]]), lanterna.tensor([[0.3, 0.7]])
    pointwise = b * (b.log() - a)
    np.testing.assert_allclose(_np(lanterna.kl_div(a, b)), _np(pointwise), rtol=1e-6)  # default: none
    np.testing.assert_allclose(lanterna.kl_div(a, b, 1).item(), pointwise.mean().item(), rtol=1e-6)
    np.testing.assert_allclose(lanterna.kl_div(a, b, 2).item(), pointwise.sum().item(), rtol=1e-6)
    h = lanterna.hinge_embedding_loss(lanterna.tensor([0.3, 2.0]), lanterna.tensor([1.0, -1.0]), 1.0, 2)
    assert math.isclose(h.item(), 0.3, rel_tol=1e-6)
    with pytest.raises(TypeError, match="argument 'reduction' must be int, not str"):
        lanterna.margin_ranking_loss(a, b, a, 0.0, "mean")


def test_native_norm_tuples():
    x = lanterna.tensor(np.linspace(-1, 1, 24).reshape(2, 3, 4))
    out, mean, rstd = lanterna.native_layer_norm(x, [4], None, None, 1e-5)
    xs = _np(x)
    np.testing.assert_allclose(_np(mean), xs.mean(-1, keepdims=True), rtol=1e-6)
    np.testing.assert_allclose(_np(rstd), 1 / np.sqrt(xs.var(-1, keepdims=True) + 1e-5), rtol=1e-6)
    out, save_mean, save_invstd = lanterna.native_batch_norm(x, None, None, None, None, True, 0.1, 1e-5)
    np.testing.assert_allclose(_np(save_mean), xs.mean((0, 2)), rtol=1e-6)
    _, m, s = lanterna.native_batch_norm(x, None, None, lanterna.zeros(3, dtype=lanterna.float64),
                                         lanterna.ones(3, dtype=lanterna.float64), False, 0.1, 1e-5)
    assert tuple(m.shape) == tuple(s.shape) == (0,)
    out, mean, rstd = lanterna.native_group_norm(x, None, None, 2, 3, 4, 3, 1e-5)
    assert tuple(mean.shape) == (2, 3)
    np.testing.assert_allclose(_np(mean), xs.mean(-1), rtol=1e-6)


def test_native_dropout():
    x = lanterna.ones(1000)
    out, mask = lanterna.native_dropout(x, 0.25, True)
    assert mask.dtype == lanterna.bool
    np.testing.assert_allclose(_np(out), _np(mask) / 0.75, rtol=1e-6)
    out, mask = lanterna.native_dropout(x, 0.25, False)
    assert mask.all().item() and (out == x).all().item()


def test_convolution_dispatches_on_the_weight():
    x = lanterna.ones(1, 1, 4)
    w = lanterna.ones(1, 1, 2)
    y = lanterna.convolution(x, w, None, [1], [0], [1], False, [0], 1)
    assert y.flatten().tolist() == [2.0, 2.0, 2.0]
    y = lanterna.convolution(x, w, None, [1], [0], [1], True, [0], 1)
    assert y.flatten().tolist() == [1.0, 2.0, 2.0, 2.0, 1.0]


def test_constant_pad_nd_and_max_pool_with_indices():
    y = lanterna.constant_pad_nd(lanterna.ones(2), [1, 2], 7.0)
    assert y.tolist() == [7.0, 1.0, 1.0, 7.0, 7.0]
    with pytest.raises(RuntimeError, match="Length of pad must be even"):
        lanterna.constant_pad_nd(lanterna.ones(2), [1])
    values, index = lanterna.max_pool1d_with_indices(lanterna.tensor([[1.0, 3.0, 2.0, 0.0]]), 2)
    assert values.tolist() == [[3.0, 2.0]] and index.tolist() == [[1, 2]]


# ---- tags, flags, streams, Tensor methods ------------------------------------------------------------
def test_layout_and_memory_format():
    assert repr(lanterna.strided) == "torch.strided"
    assert str(type(lanterna.strided)) == "<class 'torch.layout'>"
    assert str(type(lanterna.channels_last)) == "<class 'torch.memory_format'>"
    assert lanterna.channels_last != lanterna.contiguous_format
    assert lanterna.legacy_contiguous_format is lanterna.contiguous_format
    assert lanterna.zeros(1).layout is lanterna.strided
    assert pickle.loads(pickle.dumps(lanterna.channels_last)) is lanterna.channels_last


def test_module_flags():
    assert lanterna.newaxis is None
    assert lanterna.has_mkl is False and lanterna.has_lapack is True
    assert lanterna.set_flush_denormal(True) is False  # NumPy has no flush-to-zero mode
    lanterna.set_warn_always(True)
    try:
        assert lanterna.is_warn_always_enabled()
    finally:
        lanterna.set_warn_always(False)
    assert lanterna.get_device(lanterna.zeros(1)) == -1
    with pytest.raises(RuntimeError):
        raise lanterna.OutOfMemoryError("out of memory")


def test_streams_and_events():
    s = lanterna.Stream()
    assert s.query() and s.synchronize() is None and s.device == lanterna.device("cpu")
    with pytest.raises(RuntimeError, match="cpu backend doesn't support events"):
        s.record_event()
    assert lanterna.Event().query()


def test_tensor_methods():
    x = lanterna.tensor([1.0, 2.0, 3.0])
    x.map_(lanterna.tensor([10.0, 20.0, 30.0]), lambda a, b: a + b)
    assert x.tolist() == [11.0, 22.0, 33.0]
    x.map2_(x, lanterna.tensor([1.0, 1.0, 1.0]), lambda a, b, c: a - b + c)
    assert x.tolist() == [1.0, 1.0, 1.0]
    assert lanterna.zeros(2, 3, 4).permute(1, 2, 0).dim_order() == (2, 0, 1)  # strides (4, 1, 12)
    assert lanterna.zeros(2, 3).new_empty_strided((2, 3), (1, 2)).shape == (2, 3)
    assert lanterna.tensor([1.0, 2.0]).hardshrink(1.5).tolist() == [0.0, 2.0]
    y = lanterna.tensor([1.0, 2.0]).igamma_(lanterna.tensor([1.0, 1.0]))
    np.testing.assert_allclose(_np(y), [1 - math.exp(-1.0), 1 - 2 * math.exp(-1.0)], rtol=1e-6)
    assert x.const_data_ptr() == x.data_ptr() and x.is_distributed() is False


def test_as_subclass_shares_data_and_history():
    class Sub(lanterna.Tensor):
        pass

    x = lanterna.tensor([1.0, 2.0], requires_grad=True)
    s = x.as_subclass(Sub)
    assert type(s) is Sub and s.grad_fn.name() == "AliasBackward0"
    (s * 3).sum().backward()
    assert x.grad.tolist() == [3.0, 3.0]
    with pytest.raises(TypeError):
        x.as_subclass(int)
