"""PyTorch as the oracle: the same weights (copied through state dicts as NumPy arrays) and inputs
must give the same outputs and gradients, the same errors, the same reprs, and, seeded alike, the
same initial weights and dropout masks."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import lanterna as lt  # noqa: E402
import lanterna.nn as lnn  # noqa: E402
import lanterna.nn.functional as LF  # noqa: E402

pytestmark = pytest.mark.oracle
TF = torch.nn.functional
tnn = torch.nn


def _np(t):
    return t.detach().cpu().numpy() if isinstance(t, torch.Tensor) else t.detach().numpy()


def _copy_state(src, dst):
    """torch module -> lanterna module, through NumPy arrays."""
    dst.load_state_dict({k: lt.tensor(_np(v)) for k, v in src.state_dict().items()})


def _pair_inputs(arrays, grad):
    ts = [torch.tensor(a, requires_grad=grad and a.dtype.kind == "f") for a in arrays]
    ls = [lt.tensor(a, requires_grad=grad and a.dtype.kind == "f") for a in arrays]
    return ts, ls


def _compare(t_out, l_out, tol):
    t_list = t_out if isinstance(t_out, tuple) else (t_out,)
    l_list = l_out if isinstance(l_out, tuple) else (l_out,)
    for a, b in zip(t_list, l_list):
        assert tuple(a.shape) == tuple(b.shape)
        np.testing.assert_allclose(_np(b), _np(a), rtol=tol, atol=tol)


def check_module(make, input_arrays, tol=1e-9, train=True, grad_inputs=True):
    """Build the layer in both libraries (float64), sync weights, compare outputs and all grads."""
    rng = np.random.default_rng(0)
    tm = make(tnn).double()
    lm = make(lnn).double()
    _copy_state(tm, lm)
    tm.train(train)
    lm.train(train)
    ts, ls = _pair_inputs(input_arrays, grad_inputs)
    t_out, l_out = tm(*ts), lm(*ls)
    _compare(t_out, l_out, tol)
    t_first = t_out[0] if isinstance(t_out, tuple) else t_out
    l_first = l_out[0] if isinstance(l_out, tuple) else l_out
    if not t_first.requires_grad:
        return
    g = rng.standard_normal(tuple(t_first.shape))
    t_first.backward(torch.tensor(g))
    l_first.backward(lt.tensor(g))
    for a, b in zip(ts, ls):
        if a.grad is not None:
            np.testing.assert_allclose(_np(b.grad), _np(a.grad), rtol=tol, atol=tol)
    tp = dict(tm.named_parameters())
    for name, p in lm.named_parameters():
        if tp[name].grad is None:
            assert p.grad is None, name
        else:
            np.testing.assert_allclose(_np(p.grad), _np(tp[name].grad), rtol=tol, atol=tol, err_msg=name)
    for (name, tb), (_, lb) in zip(tm.named_buffers(), lm.named_buffers()):
        np.testing.assert_allclose(_np(lb), _np(tb), rtol=tol, atol=tol, err_msg=name)


R = np.random.default_rng(42)


def x(*shape):
    return R.standard_normal(shape)


MODULE_CASES = [
    ("Linear", lambda nn: nn.Linear(5, 3), [x(4, 5)]),
    ("Linear3d", lambda nn: nn.Linear(5, 3, bias=False), [x(2, 4, 5)]),
    ("Bilinear", lambda nn: nn.Bilinear(3, 4, 2), [x(5, 3), x(5, 4)]),
    ("Conv2d", lambda nn: nn.Conv2d(3, 4, 3, stride=2, padding=1), [x(2, 3, 7, 6)]),
    ("Conv2dGroupsDil", lambda nn: nn.Conv2d(4, 6, (3, 2), dilation=(2, 1), groups=2), [x(2, 4, 8, 6)]),
    ("Conv2dSame", lambda nn: nn.Conv2d(2, 3, 4, padding="same"), [x(1, 2, 6, 7)]),
    ("Conv2dReflect", lambda nn: nn.Conv2d(2, 3, 3, padding=1, padding_mode="reflect"), [x(1, 2, 5, 5)]),
    ("Conv2dCircular", lambda nn: nn.Conv2d(2, 3, 3, padding=2, padding_mode="circular"), [x(1, 2, 5, 5)]),
    ("Conv1d", lambda nn: nn.Conv1d(3, 5, 3, stride=2, padding=1), [x(2, 3, 9)]),
    ("ConvTranspose2d", lambda nn: nn.ConvTranspose2d(3, 2, 3, stride=2, padding=1, output_padding=1), [x(2, 3, 4, 4)]),
    ("ConvTranspose2dGroups", lambda nn: nn.ConvTranspose2d(4, 4, 2, groups=2, dilation=2), [x(1, 4, 3, 3)]),
    ("ConvTranspose1d", lambda nn: nn.ConvTranspose1d(2, 3, 4, stride=3), [x(2, 2, 5)]),
    ("MaxPool2d", lambda nn: nn.MaxPool2d(3, 2, 1, ceil_mode=True), [x(2, 3, 7, 8)]),
    ("MaxPool2dDil", lambda nn: nn.MaxPool2d(2, 1, dilation=2), [x(1, 2, 6, 6)]),
    ("MaxPool1d", lambda nn: nn.MaxPool1d(3, 2), [x(2, 3, 9)]),
    ("AvgPool2d", lambda nn: nn.AvgPool2d(3, 2, 1, ceil_mode=True, count_include_pad=False), [x(2, 3, 7, 8)]),
    ("AvgPool2dDiv", lambda nn: nn.AvgPool2d(2, divisor_override=3), [x(2, 3, 6, 6)]),
    ("AvgPool1d", lambda nn: nn.AvgPool1d(2), [x(2, 3, 8)]),
    ("AdaptiveAvgPool2d", lambda nn: nn.AdaptiveAvgPool2d((3, 5)), [x(2, 3, 7, 8)]),
    ("AdaptiveAvgPool2d1", lambda nn: nn.AdaptiveAvgPool2d(1), [x(2, 3, 7, 8)]),
    ("AdaptiveMaxPool2d", lambda nn: nn.AdaptiveMaxPool2d((4, 3)), [x(2, 3, 7, 8)]),
    ("BatchNorm1d", lambda nn: nn.BatchNorm1d(4), [x(6, 4)]),
    ("BatchNorm2d", lambda nn: nn.BatchNorm2d(3, momentum=0.3), [x(4, 3, 3, 3)]),
    ("BatchNorm2dNoAffine", lambda nn: nn.BatchNorm2d(3, affine=False, track_running_stats=False), [x(4, 3, 2, 2)]),
    ("LayerNorm", lambda nn: nn.LayerNorm([3, 4]), [x(2, 3, 4)]),
    ("GroupNorm", lambda nn: nn.GroupNorm(2, 4), [x(3, 4, 5)]),
    ("InstanceNorm2d", lambda nn: nn.InstanceNorm2d(3, affine=True), [x(2, 3, 4, 4)]),
    ("LocalResponseNorm", lambda nn: nn.LocalResponseNorm(3), [x(2, 5, 3, 3)]),
    ("PReLU", lambda nn: nn.PReLU(3), [x(4, 3, 2)]),
    ("Embedding", lambda nn: nn.Embedding(10, 3, padding_idx=2), [R.integers(0, 10, (3, 4))]),
    ("Upsample", lambda nn: nn.Upsample(scale_factor=2), [x(1, 2, 3, 4)]),
    ("UpsampleBilinear", lambda nn: nn.Upsample(size=(5, 7), mode="bilinear"), [x(1, 2, 3, 4)]),
    ("UpsampleBicubicAC", lambda nn: nn.Upsample(scale_factor=1.5, mode="bicubic", align_corners=True), [x(1, 2, 4, 4)]),
    ("UpsampleLinear", lambda nn: nn.Upsample(scale_factor=2.5, mode="linear"), [x(1, 2, 4)]),
    ("ReflectionPad2d", lambda nn: nn.ReflectionPad2d((1, 2, 0, 1)), [x(1, 2, 3, 4)]),
    ("ReplicationPad2d", lambda nn: nn.ReplicationPad2d(2), [x(1, 2, 3, 4)]),
    ("ZeroPad2d", lambda nn: nn.ZeroPad2d((1, 0, 2, 1)), [x(1, 2, 3, 4)]),
    ("PixelShuffle", lambda nn: nn.PixelShuffle(2), [x(1, 8, 2, 3)]),
    ("Unfold", lambda nn: nn.Unfold((2, 3), padding=1, stride=2), [x(2, 3, 5, 6)]),
    ("Fold", lambda nn: nn.Fold((4, 5), 2), [x(2, 8, 12)]),
    ("Flatten", lambda nn: nn.Flatten(), [x(2, 3, 4)]),
    ("CosineSimilarity", lambda nn: nn.CosineSimilarity(), [x(3, 4), x(3, 4)]),
    ("PairwiseDistance", lambda nn: nn.PairwiseDistance(p=3), [x(3, 4), x(3, 4)]),
    ("Sequential", lambda nn: nn.Sequential(nn.Conv2d(2, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2),
                                            nn.Flatten(), nn.Linear(16, 3), nn.LogSoftmax(1)), [x(3, 2, 6, 6)]),
]


@pytest.mark.parametrize("name, make, inputs", MODULE_CASES, ids=[c[0] for c in MODULE_CASES])
def test_module_matches_torch(name, make, inputs):
    check_module(make, inputs)


def test_batchnorm_eval_matches_torch_after_training_steps():
    def make(nn):
        return nn.BatchNorm2d(3)

    tm, lm = make(tnn).double(), make(lnn).double()
    for _ in range(3):
        a = x(4, 3, 2, 2)
        tm(torch.tensor(a))
        lm(lt.tensor(a))
    for (n, tb), (_, lb) in zip(tm.named_buffers(), lm.named_buffers()):
        np.testing.assert_allclose(_np(lb), _np(tb), rtol=1e-12, err_msg=n)
    check_module(lambda nn: tm if nn is tnn else lm, [x(2, 3, 2, 2)], train=False)


ACTIVATIONS = ["ReLU", "ReLU6", "LeakyReLU", "ELU", "SELU", "CELU", "GELU", "SiLU", "Mish", "Sigmoid", "Tanh",
               "Softplus", "Softsign", "Hardtanh", "Hardswish", "Hardsigmoid", "LogSigmoid", "Tanhshrink",
               "Softshrink", "Hardshrink", "GLU"]


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_activation_matches_torch(name):
    check_module(lambda nn: getattr(nn, name)(), [x(3, 4) * 3])


@pytest.mark.parametrize("name, kw", [("Softmax", {"dim": 1}), ("LogSoftmax", {"dim": 0}), ("Softmin", {"dim": 1}),
                                      ("GELU", {"approximate": "tanh"}), ("Threshold", {"threshold": 0.1, "value": 3.0}),
                                      ("Softplus", {"beta": 2.0, "threshold": 1.0}), ("RReLU", {})])
def test_parametrised_activation_matches_torch(name, kw):
    check_module(lambda nn: getattr(nn, name)(**kw), [x(3, 4) * 3], train=False)


LOSS_CASES = [
    ("MSELoss", lambda nn: nn.MSELoss(), lambda: [x(3, 4), x(3, 4)]),
    ("L1Loss", lambda nn: nn.L1Loss(reduction="sum"), lambda: [x(3, 4), x(3, 4)]),
    ("SmoothL1Loss", lambda nn: nn.SmoothL1Loss(beta=0.5, reduction="none"), lambda: [x(3, 4), x(3, 4)]),
    ("HuberLoss", lambda nn: nn.HuberLoss(delta=0.3), lambda: [x(3, 4), x(3, 4)]),
    ("CrossEntropy", lambda nn: nn.CrossEntropyLoss(), lambda: [x(5, 4), R.integers(0, 4, 5)]),
    ("CrossEntropyWeightsIgnore", lambda nn: nn.CrossEntropyLoss(weight=(torch if nn is tnn else lt).tensor(
        [1.0, 2, 3, 4], dtype=(torch if nn is tnn else lt).float64), ignore_index=1, label_smoothing=0.1),
     lambda: [x(6, 4), np.array([0, 1, 2, 3, 1, 2])]),
    ("CrossEntropy2d", lambda nn: nn.CrossEntropyLoss(reduction="none"), lambda: [x(2, 3, 4, 2), R.integers(0, 3, (2, 4, 2))]),
    ("CrossEntropyProbs", lambda nn: nn.CrossEntropyLoss(label_smoothing=0.2),
     lambda: [x(4, 3), np.abs(x(4, 3)) / np.abs(x(4, 3)).sum()]),
    ("NLLLoss", lambda nn: nn.NLLLoss(reduction="sum"), lambda: [x(5, 4), R.integers(0, 4, 5)]),
    ("BCELoss", lambda nn: nn.BCELoss(), lambda: [R.uniform(0.05, 0.95, (3, 4)), R.uniform(0, 1, (3, 4))]),
    ("BCEWithLogits", lambda nn: nn.BCEWithLogitsLoss(pos_weight=torch.tensor([1.0, 2, 3, 0.5]).double()
                                                      if nn is tnn else lt.tensor([1.0, 2, 3, 0.5]).double()),
     lambda: [x(3, 4), R.uniform(0, 1, (3, 4))]),
    ("KLDiv", lambda nn: nn.KLDivLoss(reduction="batchmean"), lambda: [x(3, 4), R.uniform(0, 1, (3, 4))]),
    ("KLDivLogTarget", lambda nn: nn.KLDivLoss(reduction="sum", log_target=True), lambda: [x(3, 4), x(3, 4)]),
    ("HingeEmbedding", lambda nn: nn.HingeEmbeddingLoss(), lambda: [x(3, 4), R.choice([-1.0, 1.0], (3, 4))]),
    ("SoftMargin", lambda nn: nn.SoftMarginLoss(), lambda: [x(3, 4), R.choice([-1, 1], (3, 4))]),
    ("MultiLabelSoftMargin", lambda nn: nn.MultiLabelSoftMarginLoss(), lambda: [x(3, 4), R.uniform(0, 1, (3, 4))]),
    ("MultiMargin", lambda nn: nn.MultiMarginLoss(p=2, margin=0.5), lambda: [x(3, 4), R.integers(0, 4, 3)]),
    ("PoissonNLL", lambda nn: nn.PoissonNLLLoss(full=True), lambda: [x(3, 4), R.uniform(0, 4, (3, 4))]),
    ("CosineEmbedding", lambda nn: nn.CosineEmbeddingLoss(margin=0.2),
     lambda: [x(4, 3), x(4, 3), R.choice([-1.0, 1.0], 4)]),
    ("MarginRanking", lambda nn: nn.MarginRankingLoss(0.1), lambda: [x(5), x(5), R.choice([-1.0, 1.0], 5)]),
    ("TripletMargin", lambda nn: nn.TripletMarginLoss(swap=True), lambda: [x(4, 3), x(4, 3), x(4, 3)]),
]


@pytest.mark.parametrize("name, make, inputs", LOSS_CASES, ids=[c[0] for c in LOSS_CASES])
def test_loss_matches_torch(name, make, inputs):
    check_module(make, inputs())


def test_gaussian_nll_matches_torch():
    a, b, v = x(3, 4), x(3, 4), R.uniform(0.1, 2, (3, 4))
    ts, ls = _pair_inputs([a, b, v], True)
    t, l_ = TF.gaussian_nll_loss(*ts, full=True), LF.gaussian_nll_loss(*ls, full=True)
    _compare(t, l_, 1e-10)
    t.backward()
    l_.backward()
    for p, q in zip(ts, ls):
        np.testing.assert_allclose(_np(q.grad), _np(p.grad), rtol=1e-10)


FUNCTIONAL_CASES = [
    ("one_hot", lambda F, T: F.one_hot(T.tensor([[0, 3], [2, 1]]), 5)),
    ("normalize", lambda F, T: F.normalize(T.tensor([[3.0, 4.0], [0.0, 0.0]]), dim=1)),
    ("pad_neg", lambda F, T: F.pad(T.arange(12.0).reshape(3, 4), (-1, 2, 1, -1), value=7.0)),
    ("pad_circular", lambda F, T: F.pad(T.arange(12.0).reshape(1, 3, 4), (2, 1), mode="circular")),
    ("interp_nearest_exact", lambda F, T: F.interpolate(T.arange(12.0).reshape(1, 1, 3, 4), size=(5, 7),
                                                         mode="nearest-exact")),
    ("interp_area", lambda F, T: F.interpolate(T.arange(30.0).reshape(1, 1, 5, 6), size=(3, 4), mode="area")),
    ("interp_nearest_scale", lambda F, T: F.interpolate(T.arange(12.0).reshape(1, 1, 3, 4), scale_factor=1.7)),
    ("max_pool_indices", lambda F, T: F.max_pool2d(T.arange(49.0).reshape(1, 1, 7, 7).sin(), 3, 2, 1,
                                                  return_indices=True)[1]),
    ("adaptive_max_indices", lambda F, T: F.adaptive_max_pool2d(T.arange(42.0).reshape(1, 1, 6, 7).cos(), (4, 3),
                                                              return_indices=True)[1]),
    ("pdist", lambda F, T: F.pdist(T.arange(12.0).reshape(4, 3).sin())),
    ("pixel_unshuffle", lambda F, T: F.pixel_unshuffle(T.arange(32.0).reshape(1, 2, 4, 4), 2)),
    ("softmax_dtype", lambda F, T: F.softmax(T.tensor([1.0, 2.0, 3.0]), 0, dtype=T.float64)),
    ("log_softmax_large", lambda F, T: F.log_softmax(T.tensor([[1e4, -1e4, 0.0]]), 1)),
    ("cross_entropy_large", lambda F, T: F.cross_entropy(T.tensor([[1e4, -1e4, 0.0]]), T.tensor([2]))),
    ("bce_logits_large", lambda F, T: F.binary_cross_entropy_with_logits(T.tensor([1e3, -1e3]), T.tensor([0.0, 1.0]))),
    ("embedding_max_norm", lambda F, T: F.embedding(T.tensor([0, 2]), T.arange(12.0).reshape(4, 3), max_norm=2.0)),
]


@pytest.mark.parametrize("name, fn", FUNCTIONAL_CASES, ids=[c[0] for c in FUNCTIONAL_CASES])
def test_functional_values_match_torch(name, fn):
    t_out, l_out = fn(TF, torch), fn(LF, lt)
    np.testing.assert_allclose(_np(l_out), _np(t_out), rtol=1e-6, atol=1e-6)
    assert str(t_out.dtype).replace("torch.", "") == str(l_out.dtype).replace("torch.", "")


ERROR_CASES = [
    ("linear", lambda F, T: F.linear(T.randn(2, 3), T.randn(4, 5))),
    ("linear_batched", lambda F, T: F.linear(T.randn(2, 2, 3), T.randn(4, 5))),
    ("linear_module", lambda F, T: (T.nn.Linear(3, 4))(T.randn(2, 5))),
    ("linear_dtype", lambda F, T: (T.nn.Linear(3, 4))(T.randn(2, 3).double())),
    ("conv_dims", lambda F, T: F.conv2d(T.randn(2, 3), T.randn(6, 3, 5, 5))),
    ("conv_channels", lambda F, T: F.conv2d(T.randn(1, 1, 28, 28), T.randn(6, 3, 5, 5))),
    ("conv_kernel", lambda F, T: F.conv2d(T.randn(1, 3, 4, 4), T.randn(6, 3, 5, 5))),
    ("conv_groups", lambda F, T: F.conv2d(T.randn(1, 4, 8, 8), T.randn(6, 2, 3, 3), groups=3)),
    ("conv_same_stride", lambda F, T: F.conv2d(T.randn(1, 3, 8, 8), T.randn(6, 3, 3, 3), stride=2, padding="same")),
    ("conv_bias", lambda F, T: F.conv2d(T.randn(1, 3, 8, 8), T.randn(6, 3, 3, 3), bias=T.randn(5))),
    ("conv_transposed_channels", lambda F, T: F.conv_transpose2d(T.randn(1, 3, 8, 8), T.randn(4, 3, 3, 3))),
    ("pool_too_small", lambda F, T: F.max_pool2d(T.randn(1, 3, 2, 2), 3)),
    ("pool_pad", lambda F, T: F.max_pool2d(T.randn(1, 3, 8, 8), 3, padding=2)),
    ("ce_batch", lambda F, T: F.cross_entropy(T.randn(3, 5), T.tensor([1, 2]))),
    ("ce_bounds", lambda F, T: F.cross_entropy(T.randn(3, 5), T.tensor([1, 2, 7]))),
    ("ce_dtype", lambda F, T: F.cross_entropy(T.randn(3, 5), T.tensor([1.0, 2, 3]))),
    ("ce_reduction", lambda F, T: F.cross_entropy(T.randn(3, 5), T.tensor([1, 2, 3]), reduction="foo")),
    ("ce_spatial", lambda F, T: F.cross_entropy(T.randn(3, 5, 2, 2), T.zeros(3, 2, 3).long())),
    ("bce_range", lambda F, T: F.binary_cross_entropy(T.tensor([0.5, 1.5]), T.tensor([0.0, 1.0]))),
    ("bce_logits_shape", lambda F, T: F.binary_cross_entropy_with_logits(T.rand(3, 1), T.rand(3))),
    ("embedding_range", lambda F, T: F.embedding(T.tensor([5]), T.randn(3, 2))),
    ("one_hot_classes", lambda F, T: F.one_hot(T.tensor([3]), 2)),
    ("dropout_p", lambda F, T: F.dropout(T.randn(2), 1.5)),
    ("layer_norm_shape", lambda F, T: F.layer_norm(T.randn(2, 4), (5,))),
    ("bn_training_one_value", lambda F, T: F.batch_norm(T.randn(1, 3), None, None, training=True)),
    ("glu_odd", lambda F, T: F.glu(T.randn(2, 3), 1)),
    ("pad_odd", lambda F, T: F.pad(T.randn(2, 3), (1,))),
    ("load_state_dict", lambda F, T: T.nn.Linear(2, 2).load_state_dict({"weight": T.zeros(3, 3), "junk": T.ones(1)})),
    ("setattr_param", lambda F, T: setattr(T.nn.Linear(2, 2), "weight", T.ones(2, 2))),
    ("modulelist_call", lambda F, T: T.nn.ModuleList()(T.ones(1))),
    ("module_to_int", lambda F, T: T.nn.Linear(2, 2).to(T.int64)),
]


@pytest.mark.parametrize("name, fn", ERROR_CASES, ids=[c[0] for c in ERROR_CASES])
def test_errors_match_torch(name, fn):
    with pytest.raises(Exception) as t_info:
        fn(TF, torch)
    with pytest.raises(Exception) as l_info:
        fn(LF, lt)
    assert type(l_info.value) is type(t_info.value) or (
        issubclass(type(t_info.value), type(l_info.value)) or issubclass(type(l_info.value), type(t_info.value)))
    t_msg, l_msg = str(t_info.value), str(l_info.value)
    assert l_msg.replace("lanterna", "torch") == t_msg, f"\ntorch:    {t_msg}\nlanterna: {l_msg}"


INIT_CASES = ["nn.Linear(20, 30)", "nn.Conv2d(3, 8, 3)", "nn.Conv1d(2, 3, 5, bias=False)", "nn.ConvTranspose2d(4, 2, 3)",
              "nn.Embedding(10, 4, padding_idx=3)", "nn.Bilinear(3, 4, 5)", "nn.PReLU(2)", "nn.BatchNorm2d(3)",
              "nn.LayerNorm(4)", "nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))"]


@pytest.mark.parametrize("ctor", INIT_CASES)
def test_seeded_initialisation_is_bit_exact(ctor):
    torch.manual_seed(0)
    t = eval(ctor, {"nn": tnn})
    lt.manual_seed(0)
    m = eval(ctor, {"nn": lnn})
    for (n, a), (_, b) in zip(t.state_dict().items(), m.state_dict().items()):
        assert np.array_equal(_np(a), _np(b)), n


def test_seeded_dropout_masks_and_init_functions_are_bit_exact():
    torch.manual_seed(3)
    lt.manual_seed(3)
    assert np.array_equal(_np(TF.dropout(torch.ones(500), 0.3)), _np(LF.dropout(lt.ones(500), 0.3)))
    assert np.array_equal(_np(TF.dropout2d(torch.ones(4, 8, 2, 2), 0.5)), _np(LF.dropout2d(lt.ones(4, 8, 2, 2), 0.5)))
    for name, kw in [("trunc_normal_", {"std": 0.02}), ("trunc_normal_", {"a": 2.0, "b": 2.5}),
                     ("xavier_uniform_", {}), ("kaiming_normal_", {"mode": "fan_out"}), ("normal_", {"std": 3.0})]:
        a, b = torch.empty(30, 20), lt.empty(30, 20)
        getattr(tnn.init, name)(a, **kw)
        getattr(lnn.init, name)(b, **kw)
        assert np.array_equal(_np(a), _np(b)), name
    a, b = torch.empty(6, 4), lt.empty(6, 4)
    tnn.init.orthogonal_(a)
    lnn.init.orthogonal_(b)
    np.testing.assert_allclose(_np(b), _np(a), atol=1e-5)


REPR_CASES = ["nn.Conv2d(3, 8, 3, stride=2, padding=1, bias=False)", "nn.BatchNorm1d(4, momentum=None)",
              "nn.LayerNorm((3, 4), eps=1e-6)", "nn.Embedding(5, 2, max_norm=2.0, norm_type=1.0)",
              "nn.Upsample(size=3)", "nn.TransformerEncoderLayer if False else nn.ModuleList([nn.ReLU()] * 3)",
              "nn.Sequential(nn.Linear(1, 2), nn.Sequential(nn.ReLU(), nn.Dropout(0.2)), nn.ModuleDict({'a': nn.Tanh()}))",
              "nn.ParameterList([nn.Parameter(torch.ones(2))])"]


@pytest.mark.parametrize("expr", REPR_CASES)
def test_repr_matches_torch(expr):
    t = eval(expr, {"nn": tnn, "torch": torch})
    m = eval(expr, {"nn": lnn, "torch": lt})
    assert repr(m) == repr(t)


def test_parameter_and_tensor_prints_match_torch():
    torch.manual_seed(0)
    lt.manual_seed(0)
    t, m = tnn.Linear(3, 2), lnn.Linear(3, 2)
    assert repr(m.weight) == repr(t.weight)
    assert str(m.bias) == str(t.bias)
    assert repr(m(lt.ones(1, 3))) == repr(t(torch.ones(1, 3)))
    loss_t = TF.cross_entropy(t(torch.ones(2, 3)), torch.tensor([0, 1]))
    loss_l = LF.cross_entropy(m(lt.ones(2, 3)), lt.tensor([0, 1]))
    assert repr(loss_l) == repr(loss_t)
    assert repr(m.state_dict()) == repr(t.state_dict())


def test_lenet_training_curve_matches_torch():
    """Seeded alike, LeNet with dropout and SGD+momentum follows PyTorch's loss curve step for step."""

    def build(nn):
        return nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(6, 16, 5), nn.ReLU(),
                             nn.MaxPool2d(2), nn.Flatten(), nn.Linear(16 * 3 * 3, 32), nn.ReLU(), nn.Dropout(0.2),
                             nn.Linear(32, 10))

    data = np.random.default_rng(0).standard_normal((16, 1, 20, 20)).astype(np.float32)
    labels = np.random.default_rng(1).integers(0, 10, 16)
    curves = []
    for lib, nn, F in ((torch, tnn, TF), (lt, lnn, LF)):
        lib.manual_seed(0)
        model = build(nn)
        velocity = [lib.zeros_like(p) for p in model.parameters()]
        xs, ys = lib.tensor(data), lib.tensor(labels)
        losses = []
        for _ in range(4):
            loss = F.cross_entropy(model(xs), ys)
            loss.backward()
            with lib.no_grad():
                for p, v in zip(model.parameters(), velocity):
                    v.mul_(0.9).add_(p.grad)
                    p.sub_(0.05 * v)
                    p.grad = None
            losses.append(float(loss))
        curves.append(losses)
    np.testing.assert_allclose(curves[1], curves[0], rtol=1e-4)


def test_state_dict_interchange_with_torch():
    torch.manual_seed(0)
    t = tnn.Sequential(tnn.Conv2d(1, 2, 3), tnn.BatchNorm2d(2), tnn.Flatten(), tnn.Linear(8, 3))
    t(torch.randn(4, 1, 4, 4))  # move the running statistics
    m = lnn.Sequential(lnn.Conv2d(1, 2, 3), lnn.BatchNorm2d(2), lnn.Flatten(), lnn.Linear(8, 3))
    _copy_state(t, m)
    t.eval()
    m.eval()
    a = np.random.default_rng(0).standard_normal((2, 1, 4, 4)).astype(np.float32)
    np.testing.assert_allclose(_np(m(lt.tensor(a))), _np(t(torch.tensor(a))), rtol=1e-5, atol=1e-6)
    assert list(m.state_dict()) == list(t.state_dict())
    assert list(m.state_dict()._metadata) == list(t.state_dict()._metadata)


@pytest.mark.parametrize("kw", [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1),
                                dict(kernel_size=(2, 3), stride=1, dilation=(1, 2))])
def test_max_pool_ties_and_nans_match_torch(kw):
    """After a ReLU many windows hold equal maxima: the gradient goes to the first, as in PyTorch;
    a NaN always wins its window."""
    a = np.random.default_rng(0).integers(-2, 2, (2, 3, 6, 7)).astype(np.float32)
    a[0, 0, 0, :2] = np.nan
    a[1, 1, 2, 2] = np.nan
    t, m = torch.tensor(a, requires_grad=True), lt.tensor(a, requires_grad=True)
    (to, ti), (lo, li) = TF.max_pool2d(t, return_indices=True, **kw), LF.max_pool2d(m, return_indices=True, **kw)
    assert np.array_equal(_np(ti), _np(li))
    np.testing.assert_array_equal(_np(lo), _np(to))
    g = np.random.default_rng(1).standard_normal(tuple(to.shape)).astype(np.float32)
    to.backward(torch.tensor(g))
    lo.backward(lt.tensor(g))
    np.testing.assert_allclose(_np(m.grad), _np(t.grad), atol=1e-6)
