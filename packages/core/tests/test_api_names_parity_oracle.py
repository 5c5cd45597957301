"""PyTorch as the oracle for the public names Lanterna added to match ``torch`` / ``torch.Tensor`` /
``torch.nn.functional``: the ``*_copy`` view copies, the ATen-signature nn ops at the top level,
the ``native_*`` tuples, the smaller Tensor methods and the layout / memory-format tags. Values,
dtypes, grad_fn names, gradients and error cases are compared."""

import numpy as np
import pytest

import lanterna

pytestmark = pytest.mark.oracle
torch = pytest.importorskip("torch")


def _np(t):
    return t.detach().numpy()


def _pair(*arrays, grad=True):
    """The same float64 data as a Lanterna and a torch tensor (leaves requiring grad)."""
    lt = [lanterna.tensor(a, requires_grad=grad) for a in arrays]
    t = [torch.tensor(a, requires_grad=grad) for a in arrays]
    return lt, t


def _flat(out):
    return list(out) if isinstance(out, (tuple, list)) else [out]


def _compare(lt_out, t_out, rtol=1e-6, atol=1e-8):
    for a, b in zip(_flat(lt_out), _flat(t_out), strict=True):
        assert tuple(a.shape) == tuple(b.shape)
        assert str(a.dtype) == str(b.dtype)
        np.testing.assert_allclose(_np(a), _np(b), rtol=rtol, atol=atol)


def _grad_fn(t):
    return None if t.grad_fn is None else t.grad_fn.name().replace("torch::autograd::", "")


def _check_grads(lt_in, t_in, lt_out, t_out, rtol=1e-6, atol=1e-8):
    """Backward of the same weighted sum of every floating output: equal input gradients."""
    rng = np.random.default_rng(7)
    lt_loss, t_loss = 0, 0
    for a, b in zip(_flat(lt_out), _flat(t_out)):
        if b.requires_grad and b.dtype.is_floating_point:
            w = rng.standard_normal(tuple(b.shape))
            lt_loss = lt_loss + (a * lanterna.tensor(w)).sum()
            t_loss = t_loss + (b * torch.tensor(w)).sum()
    lt_loss.backward()
    t_loss.backward()
    for a, b in zip(lt_in, t_in):
        if b.grad is None:
            assert a.grad is None or not a.grad.abs().sum().item()
        else:
            np.testing.assert_allclose(_np(a.grad), _np(b.grad), rtol=rtol, atol=atol)


X = np.arange(12.0).reshape(3, 4) * 0.37 - 2.0

COPY_CASES = {
    "alias_copy": lambda T, x: T.alias_copy(x),
    "as_strided_copy": lambda T, x: T.as_strided_copy(x, (2, 2), (1, 2)),
    "as_strided_copy_offset": lambda T, x: T.as_strided_copy(x, (2, 3), (4, 1), 1),
    "diagonal_copy": lambda T, x: T.diagonal_copy(x, 1),
    "expand_copy": lambda T, x: T.expand_copy(x[:1], (3, 4)),
    "narrow_copy": lambda T, x: T.narrow_copy(x, 1, 1, 2),
    "narrow_copy_method": lambda T, x: x.narrow_copy(0, 1, 2),
    "permute_copy": lambda T, x: T.permute_copy(x, (1, 0)),
    "select_copy": lambda T, x: T.select_copy(x, 1, -1),
    "slice_copy": lambda T, x: T.slice_copy(x, 1, 1, 4, 2),
    "slice_copy_defaults": lambda T, x: T.slice_copy(x),
    "slice_copy_clamped": lambda T, x: T.slice_copy(x, 0, -10, 10),
    "split_copy": lambda T, x: T.split_copy(x, 3, 1),
    "split_with_sizes_copy": lambda T, x: T.split_with_sizes_copy(x, [1, 3], 1),
    "squeeze_copy": lambda T, x: T.squeeze_copy(x[None]),
    "squeeze_copy_dim": lambda T, x: T.squeeze_copy(x[None], 0),
    "squeeze_copy_dims": lambda T, x: T.squeeze_copy(x[None], (0,)),
    "squeeze_copy_nothing": lambda T, x: T.squeeze_copy(x),
    "t_copy": lambda T, x: T.t_copy(x),
    "transpose_copy": lambda T, x: T.transpose_copy(x, 0, 1),
    "unbind_copy": lambda T, x: T.unbind_copy(x, 1),
    "unfold_copy": lambda T, x: T.unfold_copy(x, 1, 2, 1),
    "unsqueeze_copy": lambda T, x: T.unsqueeze_copy(x, -1),
    "view_copy": lambda T, x: T.view_copy(x, (2, 6)),
    "view_copy_same_shape": lambda T, x: T.view_copy(x, (3, 4)),
    "permute_copy_identity": lambda T, x: T.permute_copy(x, (0, 1)),
}


@pytest.mark.parametrize("name", sorted(COPY_CASES))
def test_view_copies_match_torch(name):
    (lx,), (tx,) = _pair(X)
    lt_out, t_out = COPY_CASES[name](lanterna, lx), COPY_CASES[name](torch, tx)
    _compare(lt_out, t_out)
    for a, b in zip(_flat(lt_out), _flat(t_out)):
        assert _grad_fn(a) == _grad_fn(b)
        assert a.is_contiguous() and a.stride() == b.stride()
        assert a._base is None and b._base is None
    _check_grads([lx], [tx], lt_out, t_out)


def test_view_copies_own_their_storage():
    x, tx = lanterna.tensor(X), torch.tensor(X)
    y, ty = lanterna.transpose_copy(x, 0, 1), torch.transpose_copy(tx, 0, 1)
    y.add_(1)
    ty.add_(1)
    np.testing.assert_array_equal(_np(x), _np(tx))  # the input did not change
    np.testing.assert_array_equal(_np(y), _np(ty))


def test_view_copy_of_a_view_keeps_the_input_history():
    (lx,), (tx,) = _pair(X)
    lv, tv = lx[1:], tx[1:]
    lt_out, t_out = lanterna.view_copy(lv, (8,)), torch.view_copy(tv, (8,))
    assert _grad_fn(lv) == _grad_fn(tv)  # the input's own node is not renamed
    _check_grads([lx], [tx], lt_out, t_out)


def test_view_copy_dtype_has_no_grad_fn():
    (lx,), (tx,) = _pair(X.astype(np.float32))
    a, b = lanterna.view_copy(lx, lanterna.int32), torch.view_copy(tx, torch.int32)
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert a.grad_fn is None and b.grad_fn is None


def test_detach_copy_requires_grad_but_has_no_derivative():
    (lx,), (tx,) = _pair(X)
    a, b = lanterna.detach_copy(lx), torch.detach_copy(tx)
    _compare(a, b)
    assert a.requires_grad == b.requires_grad
    assert _grad_fn(a) == _grad_fn(b) == "NotImplemented"
    with pytest.raises(RuntimeError) as t_err:
        b.sum().backward()
    with pytest.raises(RuntimeError, match="derivative for aten::detach_copy is not implemented") as l_err:
        a.sum().backward()
    assert str(l_err.value) == str(t_err.value)


@pytest.mark.parametrize("fn", ["unsafe_chunk", "unsafe_split", "unsafe_split_with_sizes"])
def test_unsafe_splits(fn):
    (lx,), (tx,) = _pair(X)
    arg = [1, 3] if fn == "unsafe_split_with_sizes" else 2
    lt_out, t_out = getattr(lanterna, fn)(lx, arg, 1), getattr(torch, fn)(tx, arg, 1)
    _compare(lt_out, t_out)
    method_out = getattr(lx, fn)(arg, 1)
    _compare(method_out, t_out)
    for a, b in zip(lt_out, t_out):
        assert _grad_fn(a) == _grad_fn(b)
        assert (a._base is None) == (b._base is None)
    _check_grads([lx], [tx], lt_out, t_out)


def test_unsafe_split_outputs_can_be_changed_in_place():
    a = lanterna.randn(4, 3, requires_grad=True).mul(1)
    ta = torch.randn(4, 3, requires_grad=True).mul(1)
    for parts in (a.unsafe_split(2), ta.unsafe_split(2)):
        parts[0].mul_(2)  # a view of a non-leaf would be fine too; here no view bookkeeping applies
        assert parts[0]._base is None


def test_fill_values_dtypes_grads():
    (lx, lv), (tx, tv) = _pair(X, np.array(2.5))
    a, b = lanterna.fill(lx, lv), torch.fill(tx, tv)
    _compare(a, b)
    assert _grad_fn(a) == _grad_fn(b) == "FillBackward1"
    _check_grads([lx, lv], [tx, tv], a, b)
    a, b = lanterna.fill(lanterna.tensor(X), 1), torch.fill(torch.tensor(X), 1)
    _compare(a, b)
    a, b = lanterna.fill(lanterna.tensor([1, 2]), 2.7), torch.fill(torch.tensor([1, 2]), 2.7)
    _compare(a, b)
    (lx,), (tx,) = _pair(X)
    a, b = lanterna.fill(lx, 3.0), torch.fill(tx, 3.0)
    assert _grad_fn(a) == _grad_fn(b) == "FillBackward0"
    _check_grads([lx], [tx], a, b)


def test_fill_rejects_a_non_scalar_tensor():
    with pytest.raises(RuntimeError) as t_err:
        torch.fill(torch.zeros(2), torch.tensor([1.0, 2.0]))
    with pytest.raises(RuntimeError) as l_err:
        lanterna.fill(lanterna.zeros(2), lanterna.tensor([1.0, 2.0]))
    assert str(l_err.value) == str(t_err.value)


def test_as_strided_scatter_values_and_grads():
    # (PyTorch's gradient for ``input`` is the scattered region's, which this reproduces)
    src = np.array([[10.0, 20.0], [30.0, 40.0]])
    (lx, ls), (tx, ts) = _pair(X, src)
    a = lanterna.as_strided_scatter(lx, ls, (2, 2), (1, 2), 1)
    b = torch.as_strided_scatter(tx, ts, (2, 2), (1, 2), 1)
    _compare(a, b)
    assert _grad_fn(a) == _grad_fn(b)
    _check_grads([lx, ls], [tx, ts], a, b)
    _compare(lanterna.tensor(X).as_strided_scatter(lanterna.zeros(3), (3,), (4,)),
             torch.tensor(X).as_strided_scatter(torch.zeros(3), (3,), (4,)))


@pytest.mark.parametrize("args", [((3,), (2, 2), (1, 2)), ((2, 2), (2, 2), (1, 20))])
def test_as_strided_scatter_errors(args):
    shape, size, stride = args
    with pytest.raises(RuntimeError) as t_err:
        torch.as_strided_scatter(torch.zeros(3, 4), torch.zeros(shape), size, stride)
    with pytest.raises(RuntimeError) as l_err:
        lanterna.as_strided_scatter(lanterna.zeros(3, 4), lanterna.zeros(shape), size, stride)
    assert str(l_err.value) == str(t_err.value)


# ---- nn ops at the top level ----------------------------------------------------------------------
IMG = np.linspace(-2.0, 2.0, 2 * 4 * 3 * 3).reshape(2, 4, 3, 3)
A = np.linspace(-1.5, 2.0, 12).reshape(3, 4)
B = np.linspace(0.1, 0.9, 12).reshape(3, 4)[::-1].copy()
TGT = np.array([1.0, -1.0, 1.0])

NN_CASES = {
    "pixel_shuffle": (lambda T, x: T.pixel_shuffle(x, 2), [IMG]),
    "pixel_unshuffle": (lambda T, x: T.pixel_unshuffle(x, 1), [IMG]),
    "channel_shuffle": (lambda T, x: T.channel_shuffle(x, 2), [IMG]),
    "prelu_channels": (lambda T, x, w: T.prelu(x, w), [A, np.array([0.1, 0.2, -0.3, 0.4])]),
    "prelu_shared": (lambda T, x, w: T.prelu(x, w), [IMG, np.array([0.25])]),
    "prelu_0d": (lambda T, x, w: T.prelu(x, w), [np.array(-2.0), np.array([0.25])]),
    "prelu_1d": (lambda T, x, w: T.prelu(x, w), [np.array([-2.0, 3.0]), np.array([0.25])]),
    "prelu_method": (lambda T, x, w: x.prelu(w), [IMG, np.array([0.1, 0.2, 0.3, 0.4])]),
    "hardshrink": (lambda T, x: T.hardshrink(x, 0.7), [A]),
    "hardshrink_method": (lambda T, x: x.hardshrink(), [A]),
    "rrelu_eval": (lambda T, x: T.rrelu(x, 0.1, 0.3), [A]),
    "kl_div_none": (lambda T, x, y: T.kl_div(x, y), [A, B]),
    "kl_div_mean": (lambda T, x, y: T.kl_div(x, y, 1), [A, B]),
    "kl_div_log_target": (lambda T, x, y: T.kl_div(x, y, 2, log_target=True), [A, B]),
    "bce_logits": (lambda T, x, y: T.binary_cross_entropy_with_logits(x, y, None, None, 1), [A, B]),
    "bce_logits_default": (lambda T, x, y: T.binary_cross_entropy_with_logits(x, y), [A, B]),
    "cosine_embedding": (lambda T, x, y: T.cosine_embedding_loss(x, y, T.tensor(TGT), 0.1), [A, B]),
    "cosine_embedding_sum": (lambda T, x, y: T.cosine_embedding_loss(x, y, T.tensor(TGT), 0.1, 2), [A, B]),
    "hinge_embedding": (lambda T, x: T.hinge_embedding_loss(x, T.tensor(np.sign(A - 0.2)), 0.5, 1), [A]),
    "margin_ranking": (lambda T, x, y: T.margin_ranking_loss(x[0], y[0], T.tensor([1.0, -1, 1, -1]), 0.2, 1),
                       [A, B]),
    "poisson_nll": (lambda T, x, y: T.poisson_nll_loss(x, y * 5, True, True, 1e-8, 1), [A, B]),
    "poisson_nll_rate": (lambda T, x, y: T.poisson_nll_loss(y, x.abs(), False, False, 1e-8, 0), [A, B]),
    "triplet_margin": (lambda T, x, y: T.triplet_margin_loss(x, y, y.flip(0), 1.0, 2.0, 1e-6, True), [A, B]),
    "instance_norm": (lambda T, x, w: T.instance_norm(x, w, w * 0.5, None, None, True, 0.1, 1e-5, False),
                      [IMG, np.array([1.0, 2.0, 0.5, -1.0])]),
    "rms_norm": (lambda T, x, w: T.rms_norm(x, [4], w, 1e-6), [A, np.array([1.0, 2.0, 0.5, -1.0])]),
    "rms_norm_default_eps": (lambda T, x: T.rms_norm(x, (3, 4)), [A]),
    "constant_pad_nd": (lambda T, x: T.constant_pad_nd(x, [1, 2], 3.5), [A]),
    "constant_pad_nd_crop": (lambda T, x: T.constant_pad_nd(x, [-1, 1, 1, -1]), [A]),
    "convolution": (lambda T, x, w: T.convolution(x, w, None, [1, 1], [1, 0], [1, 1], False, [0, 0], 2),
                    [IMG, np.linspace(-1, 1, 4 * 2 * 2 * 2).reshape(4, 2, 2, 2)]),
    "convolution_transposed": (
        lambda T, x, w, b: T.convolution(x, w, b, [2, 1], [0, 0], [1, 1], True, [1, 0], 1),
        [IMG, np.linspace(-1, 1, 4 * 3 * 2 * 2).reshape(4, 3, 2, 2), np.array([0.1, 0.2, 0.3])]),
    "convolution_1d": (lambda T, x, w: T.convolution(x, w, None, [1], [0], [2], False, [0], 1),
                       [A[None], np.linspace(-1, 1, 6).reshape(2, 3, 1)]),
    "max_pool1d_with_indices": (lambda T, x: T.max_pool1d_with_indices(x, 2), [A[None]]),
    "max_pool1d_with_indices_stride": (lambda T, x: T.max_pool1d_with_indices(x, [2], [1], [1]), [A[None]]),
    "native_layer_norm": (lambda T, x, w, b: T.native_layer_norm(x, [3, 3], w, b, 1e-5),
                          [IMG, np.full((3, 3), 1.5), np.full((3, 3), 0.1)]),
    "native_batch_norm_train": (lambda T, x: T.native_batch_norm(x, None, None, None, None, True, 0.1, 1e-5),
                                [IMG]),
    "native_batch_norm_eval": (lambda T, x, w: T.native_batch_norm(x, w, None, T.zeros(4, dtype=T.float64),
                                                                  T.ones(4, dtype=T.float64), False, 0.1, 1e-5),
                               [IMG, np.array([1.0, 2.0, 0.5, -1.0])]),
    "native_group_norm": (lambda T, x: T.native_group_norm(x, None, None, 2, 4, 9, 2, 1e-5), [IMG]),
    "native_dropout_eval": (lambda T, x: T.native_dropout(x, 0.5, False), [A]),
}


@pytest.mark.parametrize("name", sorted(NN_CASES))
def test_nn_ops_at_top_level_match_torch(name):
    fn, arrays = NN_CASES[name]
    lt_in, t_in = _pair(*arrays)
    lt_out, t_out = fn(lanterna, *lt_in), fn(torch, *t_in)
    _compare(lt_out, t_out, rtol=1e-5, atol=1e-7)
    _check_grads(lt_in, t_in, lt_out, t_out, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("name", ["channel_shuffle", "pixel_shuffle", "prelu_channels", "prelu_0d", "hardshrink",
                                  "constant_pad_nd", "convolution", "kl_div_log_target", "bce_logits"])
def test_nn_op_grad_fn_names(name):
    fn, arrays = NN_CASES[name]
    lt_in, t_in = _pair(*arrays)
    assert _grad_fn(_flat(fn(lanterna, *lt_in))[0]) == _grad_fn(_flat(fn(torch, *t_in))[0])


def test_native_channel_shuffle_has_no_derivative():
    (lx,), (tx,) = _pair(IMG)
    a, b = lanterna.native_channel_shuffle(lx, 2), torch.native_channel_shuffle(tx, 2)
    _compare(a, b)
    assert a.requires_grad and b.requires_grad
    with pytest.raises(RuntimeError, match="native_channel_shuffle is not implemented"):
        a.sum().backward()


def test_native_dropout_under_a_seed():
    x = np.linspace(-1, 1, 200).reshape(10, 20)
    for train in (True, None):
        lanterna.manual_seed(3)
        torch.manual_seed(3)
        (lx,), (tx,) = _pair(x)
        lt_out, t_out = lanterna.native_dropout(lx, 0.3, train), torch.native_dropout(tx, 0.3, train)
        _compare(lt_out, t_out)
        assert _grad_fn(lt_out[0]) == _grad_fn(t_out[0]) == "NativeDropoutBackward0"
        _check_grads([lx], [tx], lt_out, t_out)


def test_feature_alpha_dropout_under_a_seed():
    x = np.linspace(-1, 1, 2 * 6 * 5).reshape(2, 6, 5)
    lanterna.manual_seed(5)
    torch.manual_seed(5)
    (lx,), (tx,) = _pair(x)
    a, b = lanterna.feature_alpha_dropout(lx, 0.4, True), torch.feature_alpha_dropout(tx, 0.4, True)
    _compare(a, b)
    _check_grads([lx], [tx], a, b)
    assert lanterna.feature_alpha_dropout(lx, 0.4, False) is lx


def test_rrelu_training_under_a_seed():
    lanterna.manual_seed(11)
    torch.manual_seed(11)
    (lx,), (tx,) = _pair(A)
    a, b = lanterna.rrelu(lx, 0.1, 0.4, True), torch.rrelu(tx, 0.1, 0.4, True)
    _compare(a, b)
    _check_grads([lx], [tx], a, b)
    la, ta = lanterna.tensor(A), torch.tensor(A)
    assert lanterna.rrelu_(la) is la and torch.rrelu_(ta) is ta
    _compare(la, ta)


def test_deprecated_norms():
    (lx,), (tx,) = _pair(A)
    with pytest.warns(UserWarning, match="frobenius_norm is deprecated"):
        a = lanterna.frobenius_norm(lx, [0, 1], True)
    with pytest.warns(UserWarning):
        b = torch.frobenius_norm(tx, [0, 1], True)
    _compare(a, b)
    _check_grads([lx], [tx], a, b)
    with pytest.warns(UserWarning, match="nuclear_norm is deprecated"):
        _compare(lanterna.nuclear_norm(lanterna.tensor(A)), torch.nuclear_norm(torch.tensor(A)))
    with pytest.warns(UserWarning):
        _compare(lanterna.nuclear_norm(lanterna.tensor(A), True), torch.nuclear_norm(torch.tensor(A), True))
    with pytest.warns(UserWarning):
        _compare(lanterna.nuclear_norm(lanterna.tensor(IMG), [1, 2]), torch.nuclear_norm(torch.tensor(IMG), [1, 2]))


def _same_error(fn, exc=RuntimeError):
    with pytest.raises(exc) as t_err:
        fn(torch)
    with pytest.raises(exc) as l_err:
        fn(lanterna)
    assert str(l_err.value) == str(t_err.value)


@pytest.mark.parametrize("case", [
    lambda T: T.channel_shuffle(T.zeros(2, 4, 3), 3),
    lambda T: T.channel_shuffle(T.zeros(3, 3), 1),
    lambda T: T.channel_shuffle(T.zeros(2, 4, 3), 0),
    lambda T: T.prelu(T.zeros(3, 4), T.tensor([0.1, 0.2])),
    lambda T: T.constant_pad_nd(T.zeros(3, 4), [1, 2, 3]),
    lambda T: T.native_dropout(T.tensor([1, 2]), 0.5, True),
    lambda T: T.pixel_shuffle(T.zeros(1, 3, 2, 2), 2),
])
def test_nn_op_errors_match_torch(case):
    _same_error(case)


@pytest.mark.parametrize("case", [
    lambda T: T.hardshrink(T.tensor([1, 2])),
])
def test_nn_op_dtype_errors_match_torch(case):
    _same_error(case, NotImplementedError)


def test_loss_reduction_must_be_an_int():
    with pytest.raises(TypeError) as t_err:
        torch.kl_div(torch.zeros(2), torch.zeros(2), reduction="sum")
    with pytest.raises(TypeError) as l_err:
        lanterna.kl_div(lanterna.zeros(2), lanterna.zeros(2), reduction="sum")
    assert str(l_err.value) == str(t_err.value)


# ---- nn.functional names ----------------------------------------------------------------------------
def test_functional_names_match_torch():
    import lanterna.nn.functional as LF
    import torch.nn.functional as TF

    (lx,), (tx,) = _pair(A[None])
    a, b = LF.adaptive_max_pool1d_with_indices(lx, 2), TF.adaptive_max_pool1d_with_indices(tx, 2)
    _compare(a, b)
    _check_grads([lx], [tx], a, b)
    la, ta = lanterna.tensor(A), torch.tensor(A)
    assert LF.celu_(la, 0.5) is la and TF.celu_(ta, 0.5) is ta
    _compare(la, ta)
    la, ta = lanterna.tensor(A), torch.tensor(A)
    LF.selu_(la)
    TF.selu_(ta)
    _compare(la, ta)
    _compare(LF.native_channel_shuffle(lanterna.tensor(IMG), 4), TF.native_channel_shuffle(torch.tensor(IMG), 4))


def test_functional_losses_unchanged_by_the_shared_kernels():
    import lanterna.nn.functional as LF
    import torch.nn.functional as TF

    (lx, ly), (tx, ty) = _pair(A, B)
    for red in ("none", "sum", "batchmean"):
        _compare(LF.kl_div(lx, ly, reduction=red), TF.kl_div(tx, ty, reduction=red))
    _compare(LF.cosine_embedding_loss(lx, ly, lanterna.tensor(TGT)),
             TF.cosine_embedding_loss(tx, ty, torch.tensor(TGT)))
    _compare(LF.poisson_nll_loss(lx, ly, full=True), TF.poisson_nll_loss(tx, ty, full=True))
    _compare(LF.instance_norm(lanterna.tensor(IMG)), TF.instance_norm(torch.tensor(IMG)))


# ---- Tensor methods ------------------------------------------------------------------------------
def test_igamma_inplace_methods():
    x, o = np.array([0.5, 1.0, 3.0]), np.array([1.0, 2.0, 0.5])
    for name in ("igamma_", "igammac_"):
        la, ta = lanterna.tensor(x), torch.tensor(x)
        assert getattr(la, name)(lanterna.tensor(o)) is la
        getattr(ta, name)(torch.tensor(o))
        _compare(la, ta)


def test_map_and_map2():
    x = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    la, ta = lanterna.tensor(x), torch.tensor(x)
    la.map_(lanterna.tensor([1.0, 2.0, 3.0], dtype=lanterna.float64), lambda a, b: a * b + 1)
    ta.map_(torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64), lambda a, b: a * b + 1)
    _compare(la, ta)
    la.map2_(lanterna.tensor(x), lanterna.tensor(x), lambda a, b, c: a - b * c)
    ta.map2_(torch.tensor(x), torch.tensor(x), lambda a, b, c: a - b * c)
    _compare(la, ta)
    with pytest.raises(TypeError) as t_err:
        ta.map_(torch.tensor([1, 2, 3]), lambda a, b: a)
    with pytest.raises(TypeError) as l_err:
        la.map_(lanterna.tensor([1, 2, 3]), lambda a, b: a)
    assert str(l_err.value) == str(t_err.value)


@pytest.mark.parametrize("make", [
    lambda T: T.zeros(2, 3),
    lambda T: T.zeros(2, 3).t(),
    lambda T: T.zeros(2, 1, 3),
    lambda T: T.zeros(2, 3, 4).permute(2, 0, 1),
    lambda T: T.zeros(2, 3).expand(4, 2, 3),
    lambda T: T.zeros(1, 1),
    lambda T: T.zeros(()),
])
def test_dim_order(make):
    assert make(lanterna).dim_order() == make(torch).dim_order()


def test_small_methods():
    la, ta = lanterna.tensor(A), torch.tensor(A)
    a, b = la.new_empty_strided((2, 3), (1, 2)), ta.new_empty_strided((2, 3), (1, 2))
    assert a.shape == b.shape and a.dtype == lanterna.float64
    assert la.new_empty_strided((2,), (1,), dtype=lanterna.int32).dtype == lanterna.int32
    assert la.const_data_ptr() == la.data_ptr()
    assert la.is_distributed() is ta.is_distributed() is False
    assert str(la.grad_dtype) == str(ta.grad_dtype)
    with pytest.warns(UserWarning, match="volatile was removed"):
        assert la.volatile is False
    assert repr(la.layout) == repr(ta.layout) == "torch.strided"


def test_as_subclass():
    class LSub(lanterna.Tensor):
        pass

    class TSub(torch.Tensor):
        pass

    (lx,), (tx,) = _pair(A)
    a, b = lx.as_subclass(LSub), tx.as_subclass(TSub)
    assert type(a) is LSub and type(b) is TSub
    assert _grad_fn(a) == _grad_fn(b) == "AliasBackward0"
    _compare(a, b)
    (a * 2).sum().backward()
    (b * 2).sum().backward()
    np.testing.assert_allclose(_np(lx.grad), _np(tx.grad))
    plain = lanterna.tensor(A).as_subclass(LSub)
    assert not plain.requires_grad and plain.grad_fn is None


# ---- module-level names -----------------------------------------------------------------------------
def test_layout_and_memory_format_tags():
    for name in ("strided", "contiguous_format", "channels_last", "channels_last_3d", "preserve_format",
                 "legacy_contiguous_format"):
        assert repr(getattr(lanterna, name)) == repr(getattr(torch, name))
        assert str(type(getattr(lanterna, name))) == str(type(getattr(torch, name)))
    assert str(lanterna.layout) == str(torch.layout)
    assert str(lanterna.memory_format) == str(torch.memory_format)
    assert lanterna.legacy_contiguous_format is lanterna.contiguous_format
    assert (lanterna.channels_last == lanterna.contiguous_format) == (torch.channels_last == torch.contiguous_format)


def test_module_flags_and_queries():
    assert lanterna.newaxis is torch.newaxis is None
    assert lanterna.get_device(lanterna.zeros(1)) == torch.get_device(torch.zeros(1)) == -1
    assert lanterna.is_distributed(lanterna.zeros(1)) is torch.is_distributed(torch.zeros(1))
    assert lanterna.has_lapack is torch.has_lapack is True
    assert lanterna.has_spectral is torch.has_spectral is True
    assert lanterna.compiled_with_cxx11_abi() is torch.compiled_with_cxx11_abi()
    assert lanterna.is_warn_always_enabled() is torch.is_warn_always_enabled() is False
    for cls in ("AcceleratorError", "OutOfMemoryError"):
        assert str(getattr(lanterna, cls)) == str(getattr(torch, cls))
        assert issubclass(getattr(lanterna, cls), RuntimeError)


def test_stream_and_event_on_cpu():
    assert repr(lanterna.Stream()) == repr(torch.Stream())
    assert repr(lanterna.Event()) == repr(torch.Event())
    assert repr(lanterna.Event(enable_timing=True)) == repr(torch.Event(enable_timing=True))
    assert lanterna.Stream().query() is torch.Stream().query() is True
    assert lanterna.Stream() == lanterna.Stream()
    for T in (torch, lanterna):
        with pytest.raises(RuntimeError, match="cpu backend doesn't support events"):
            T.Event().record()
        with pytest.raises(ValueError, match="enable_timing=True"):
            T.Event().elapsed_time(T.Event())


def test_the_added_names_exist_in_both():
    names = ["alias_copy", "as_strided_copy", "as_strided_scatter", "binary_cross_entropy_with_logits",
             "channel_shuffle", "constant_pad_nd", "convolution", "cosine_embedding_loss", "detach_copy",
             "diagonal_copy", "expand_copy", "feature_alpha_dropout", "feature_alpha_dropout_", "fill",
             "frobenius_norm", "hardshrink", "hinge_embedding_loss", "instance_norm", "kl_div",
             "margin_ranking_loss", "max_pool1d_with_indices", "narrow_copy", "native_batch_norm",
             "native_channel_shuffle", "native_dropout", "native_group_norm", "native_layer_norm",
             "nuclear_norm", "permute_copy", "pixel_shuffle", "pixel_unshuffle", "poisson_nll_loss", "prelu",
             "rms_norm", "rrelu", "rrelu_", "select_copy", "slice_copy", "split_copy", "split_with_sizes_copy",
             "squeeze_copy", "t_copy", "transpose_copy", "triplet_margin_loss", "unbind_copy", "unfold_copy",
             "unsafe_chunk", "unsafe_split", "unsafe_split_with_sizes", "unsqueeze_copy", "view_copy"]
    for name in names:
        assert hasattr(torch, name), name
        assert callable(getattr(lanterna, name)), name
        assert name in dir(lanterna), name
