"""Layers as modules: parameters and their default initialisation, forward against the functional
form or a formula, float64 gradient checks, train/eval behaviour and argument errors."""

import math

import numpy as np
import pytest

import lanterna as torch
import lanterna.nn as nn
import lanterna.nn.functional as F
from lanterna.autograd import gradcheck

rng = np.random.default_rng(1)


def t64(*shape, grad=True):
    return torch.tensor(rng.standard_normal(shape), dtype=torch.float64, requires_grad=grad)


def close(a, b, tol=1e-8):
    a = a.detach().numpy() if isinstance(a, torch.Tensor) else np.asarray(a)
    b = b.detach().numpy() if isinstance(b, torch.Tensor) else np.asarray(b)
    return a.shape == b.shape and np.allclose(a, b, atol=tol, rtol=tol)


def module_gradcheck(module, *inputs):
    """gradcheck w.r.t. the inputs and every parameter of a float64 module."""
    module = module.double()
    params = list(module.parameters())
    n = len(inputs)

    def fn(*args):
        saved = [p.data for p in params]
        for p, a in zip(params, args[n:]):
            p.data = a.detach()
        try:
            out = _call_with(module, params, args[n:], args[:n])
        finally:
            for p, s in zip(params, saved):
                p.data = s
        return out

    leaves = tuple(inputs) + tuple(p.detach().clone().requires_grad_(True) for p in params)
    return gradcheck(fn, leaves)


def _call_with(module, params, values, inputs):
    # temporarily swap each Parameter for a differentiable tensor: route through the registry
    owners = [(m, name) for m in module.modules() for name, p in m._parameters.items() if p is not None]
    originals = [m._parameters[name] for m, name in owners]
    for (m, name), v in zip(owners, values):
        m._parameters[name] = v
    try:
        return module(*inputs)
    finally:
        for (m, name), p in zip(owners, originals):
            m._parameters[name] = p


# ---- Linear & co ------------------------------------------------------------------------------
def test_linear_shapes_init_bounds_and_forward():
    torch.manual_seed(0)
    lin = nn.Linear(20, 30)
    assert lin.weight.shape == (30, 20) and lin.bias.shape == (30,)
    bound = 1 / math.sqrt(20)  # kaiming_uniform_(a=sqrt(5)) gives the same bound as the bias
    assert float(lin.weight.abs().max()) <= bound and float(lin.bias.abs().max()) <= bound
    assert float(lin.weight.abs().max()) > 0.8 * bound
    x = torch.randn(5, 20)
    assert close(lin(x), x.numpy() @ lin.weight.detach().numpy().T + lin.bias.detach().numpy(), 1e-5)
    assert nn.Linear(3, 2, bias=False).bias is None
    assert module_gradcheck(nn.Linear(3, 2), t64(4, 3))
    with pytest.raises(RuntimeError, match=r"mat1 and mat2 shapes cannot be multiplied \(2x5 and 3x4\)"):
        nn.Linear(3, 4)(torch.randn(2, 5))
    lin64 = nn.Linear(2, 2, dtype=torch.float64)
    assert lin64.weight.dtype == torch.float64


def test_same_seed_same_weights():
    torch.manual_seed(3)
    a = nn.Linear(4, 4)
    torch.manual_seed(3)
    b = nn.Linear(4, 4)
    assert close(a.weight, b.weight, 0) and close(a.bias, b.bias, 0)


def test_identity_bilinear_flatten_unflatten():
    x = torch.randn(2, 3)
    assert nn.Identity(54, unused="x")(x) is x
    assert module_gradcheck(nn.Bilinear(2, 3, 2), t64(4, 2), t64(4, 3))
    assert nn.Flatten()(torch.zeros(2, 3, 4, 5)).shape == (2, 60)
    assert nn.Flatten(0, 1)(torch.zeros(2, 3, 4)).shape == (6, 4)
    assert nn.Unflatten(1, (2, 5))(torch.zeros(3, 10)).shape == (3, 2, 5)
    with pytest.raises(TypeError, match="unflattened_size must be tuple of ints"):
        nn.Unflatten(1, (2.0, 5))


# ---- convolution and pooling ------------------------------------------------------------------
def test_conv2d_module_init_forward_and_padding_modes():
    conv = nn.Conv2d(3, 4, 3, padding=1)
    fan_in = 3 * 9
    assert conv.weight.shape == (4, 3, 3, 3)
    assert float(conv.weight.abs().max()) <= 1 / math.sqrt(fan_in) + 1e-7
    x = torch.randn(2, 3, 5, 5)
    assert close(conv(x), F.conv2d(x, conv.weight, conv.bias, padding=1), 1e-6)
    for mode in ("reflect", "replicate", "circular"):
        c = nn.Conv2d(2, 2, 3, padding=1, padding_mode=mode)
        y = torch.randn(1, 2, 4, 4)
        ref = F.conv2d(F.pad(y, (1, 1, 1, 1), mode=mode), c.weight, c.bias)
        assert close(c(y), ref, 1e-6)
    assert nn.Conv2d(1, 1, 3, padding="same")(torch.randn(1, 1, 5, 6)).shape == (1, 1, 5, 6)
    assert module_gradcheck(nn.Conv2d(2, 2, 2, stride=2, groups=2), t64(1, 2, 4, 4))
    with pytest.raises(ValueError, match="in_channels must be divisible by groups"):
        nn.Conv2d(3, 4, 3, groups=2)
    with pytest.raises(ValueError, match="Invalid padding string 'full'"):
        nn.Conv2d(3, 4, 3, padding="full")


def test_conv1d_and_transposed_modules():
    c1 = nn.Conv1d(2, 3, 3, stride=2)
    x = torch.randn(4, 2, 9)
    assert c1(x).shape == (4, 3, 4)
    ct = nn.ConvTranspose2d(4, 2, 3, stride=2, padding=1)
    assert ct.weight.shape == (4, 2, 3, 3)
    y = torch.randn(1, 4, 5, 5)
    assert ct(y).shape == (1, 2, 9, 9)
    assert ct(y, output_size=(10, 10)).shape == (1, 2, 10, 10)
    with pytest.raises(ValueError, match="requested an output size of"):
        ct(y, output_size=(12, 12))
    assert module_gradcheck(nn.ConvTranspose1d(2, 1, 2, stride=2), t64(1, 2, 3))
    with pytest.raises(ValueError, match='Only "zeros" padding mode is supported for ConvTranspose2d'):
        nn.ConvTranspose2d(1, 1, 3, padding_mode="reflect")


def test_pooling_modules():
    x = torch.randn(2, 3, 8, 8)
    assert close(nn.MaxPool2d(2)(x), F.max_pool2d(x, 2))
    out, idx = nn.MaxPool2d(2, return_indices=True)(x)
    assert close(nn.MaxUnpool2d(2)(out, idx), F.max_unpool2d(out, idx, 2))
    assert close(nn.AvgPool2d(3, 2, 1)(x), F.avg_pool2d(x, 3, 2, 1))
    assert nn.AdaptiveAvgPool2d((1, 1))(x).shape == (2, 3, 1, 1)
    assert nn.AdaptiveAvgPool2d((None, 3))(x).shape == (2, 3, 8, 3)
    assert nn.AdaptiveMaxPool2d(3)(x).shape == (2, 3, 3, 3)
    assert nn.MaxPool1d(2)(torch.randn(2, 3, 8)).shape == (2, 3, 4)
    assert nn.AvgPool1d(2)(torch.randn(2, 3, 8)).shape == (2, 3, 4)
    assert nn.AdaptiveAvgPool1d(2)(torch.randn(2, 3, 8)).shape == (2, 3, 2)
    lp = nn.LPPool2d(2, 2)(x.abs())
    assert close(lp, (F.avg_pool2d(x ** 2, 2) * 4).sqrt(), 1e-5)


# ---- normalisation ----------------------------------------------------------------------------
def test_batchnorm_train_eval_momentum_and_tracking():
    bn = nn.BatchNorm2d(3)
    assert close(bn.weight, np.ones(3)) and close(bn.bias, np.zeros(3))
    x = torch.randn(4, 3, 2, 2) * 3 + 1
    y = bn(x)
    a = x.numpy()
    assert close(y.mean((0, 2, 3)), np.zeros(3), 1e-5)
    assert close(bn.running_mean, 0.1 * a.mean((0, 2, 3)), 1e-5)
    assert int(bn.num_batches_tracked) == 1
    bn.eval()
    ev = bn(x)
    ref = (a - bn.running_mean.numpy().reshape(1, 3, 1, 1)) / np.sqrt(bn.running_var.numpy().reshape(1, 3, 1, 1) + 1e-5)
    assert close(ev, ref, 1e-5)
    assert int(bn.num_batches_tracked) == 1
    cma = nn.BatchNorm1d(2, momentum=None)
    x1, x2 = torch.randn(5, 2), torch.randn(5, 2)
    cma(x1)
    cma(x2)
    assert close(cma.running_mean, (x1.numpy().mean(0) + x2.numpy().mean(0)) / 2, 1e-6)
    nostats = nn.BatchNorm1d(2, track_running_stats=False, affine=False).eval()
    assert nostats.running_mean is None and close(nostats(x1).mean(0), np.zeros(2), 1e-6)
    assert module_gradcheck(nn.BatchNorm1d(2), t64(4, 2))
    with pytest.raises(ValueError, match=r"expected 4D input \(got 2D input\)"):
        nn.BatchNorm2d(3)(torch.randn(2, 3))
    bn.reset_running_stats()
    assert int(bn.num_batches_tracked) == 0 and close(bn.running_var, np.ones(3))


def test_layernorm_groupnorm_instancenorm_modules():
    ln = nn.LayerNorm(4)
    x = torch.randn(3, 4)
    assert close(ln(x), F.layer_norm(x, (4,), ln.weight, ln.bias))
    assert nn.LayerNorm([2, 3], elementwise_affine=False).weight is None
    assert module_gradcheck(nn.LayerNorm(3), t64(2, 3))
    gn = nn.GroupNorm(2, 4)
    y = torch.randn(2, 4, 3)
    assert close(gn(y), F.group_norm(y, 2, gn.weight, gn.bias))
    with pytest.raises(ValueError, match=r"num_channels \(5\) must be divisible by num_groups \(2\)"):
        nn.GroupNorm(2, 5)
    inn = nn.InstanceNorm1d(4)
    z = torch.randn(2, 4, 5)
    assert close(inn(z).mean(-1), np.zeros((2, 4)), 1e-6)
    assert inn(z[0]).shape == (4, 5)
    assert nn.RMSNorm(4)(torch.randn(2, 4)).shape == (2, 4)
    assert nn.LocalResponseNorm(2)(torch.randn(1, 4, 3, 3)).shape == (1, 4, 3, 3)


# ---- activations ------------------------------------------------------------------------------
ACT_MODULES = [
    (nn.ReLU(), F.relu), (nn.ReLU6(), F.relu6), (nn.LeakyReLU(0.3), lambda x: F.leaky_relu(x, 0.3)),
    (nn.ELU(0.5), lambda x: F.elu(x, 0.5)), (nn.SELU(), F.selu), (nn.CELU(2.0), lambda x: F.celu(x, 2.0)),
    (nn.GELU(), F.gelu), (nn.GELU("tanh"), lambda x: F.gelu(x, approximate="tanh")), (nn.SiLU(), F.silu),
    (nn.Mish(), F.mish), (nn.Sigmoid(), torch.sigmoid), (nn.Tanh(), torch.tanh), (nn.Softplus(2), lambda x: F.softplus(x, 2)),
    (nn.Softsign(), F.softsign), (nn.Hardtanh(-2, 2), lambda x: F.hardtanh(x, -2, 2)), (nn.Hardswish(), F.hardswish),
    (nn.Hardsigmoid(), F.hardsigmoid), (nn.LogSigmoid(), F.logsigmoid), (nn.Softmax(1), lambda x: F.softmax(x, 1)),
    (nn.LogSoftmax(1), lambda x: F.log_softmax(x, 1)), (nn.Softmin(1), lambda x: F.softmin(x, 1)),
    (nn.Threshold(0.1, 2.0), lambda x: F.threshold(x, 0.1, 2.0)), (nn.GLU(), F.glu), (nn.Hardshrink(), F.hardshrink),
    (nn.Softshrink(), F.softshrink), (nn.Tanhshrink(), F.tanhshrink),
]


@pytest.mark.parametrize("module, fn", ACT_MODULES, ids=[type(m).__name__ for m, _ in ACT_MODULES])
def test_activation_modules_match_functional(module, fn):
    x = torch.randn(3, 4)
    assert close(module(x), fn(x))


def test_inplace_flag_and_prelu_rrelu_softmax2d():
    x = torch.tensor([-1.0, 1.0])
    assert nn.ReLU(inplace=True)(x) is x and close(x, [0.0, 1.0])
    pre = nn.PReLU(3)
    assert close(pre.weight, np.full(3, 0.25))
    y = torch.randn(2, 3, 4)
    assert close(pre(y), torch.where(y > 0, y, 0.25 * y))
    assert module_gradcheck(nn.PReLU(), t64(5))
    rr = nn.RReLU(0.1, 0.3)
    rr.eval()
    assert close(rr(torch.tensor([-1.0])), [-0.2])
    rr.train()
    v = rr(-torch.ones(1000))
    assert float(v.max()) <= -0.1 + 1e-6 and float(v.min()) >= -0.3 - 1e-6
    s2 = nn.Softmax2d()(torch.randn(2, 3, 4, 4))
    assert close(s2.sum(1), np.ones((2, 4, 4)), 1e-6)
    with pytest.raises(AssertionError, match=r"max_val \(1\) must be greater than min_val \(2\)"):
        nn.Hardtanh(2, 1)


# ---- dropout ------------------------------------------------------------------------------------
def test_dropout_modules_train_and_eval():
    d = nn.Dropout(0.5)
    x = torch.ones(1000)
    torch.manual_seed(0)
    y = d(x)
    assert 0.4 < float((y == 0).float().mean()) < 0.6
    d.eval()
    assert d(x) is x
    assert nn.Dropout2d(0.5).eval()(torch.ones(2, 3, 4, 4)).shape == (2, 3, 4, 4)
    with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1"):
        nn.Dropout(-0.1)
    torch.manual_seed(5)
    a = nn.Dropout(0.3)(torch.ones(50))
    torch.manual_seed(5)
    b = nn.Dropout(0.3)(torch.ones(50))
    assert close(a, b, 0)


# ---- embedding ----------------------------------------------------------------------------------
def test_embedding_module():
    torch.manual_seed(0)
    emb = nn.Embedding(10, 3, padding_idx=1)
    assert close(emb.weight[1], np.zeros(3))
    assert abs(float(nn.Embedding(1000, 10).weight.std()) - 1) < 0.05  # N(0, 1) initialisation
    idx = torch.tensor([[1, 2], [3, 1]])
    out = emb(idx)
    assert out.shape == (2, 2, 3)
    out.sum().backward()
    assert close(emb.weight.grad[1], np.zeros(3)) and close(emb.weight.grad[2], np.ones(3))
    neg = nn.Embedding(5, 2, padding_idx=-1)
    assert neg.padding_idx == 4
    with pytest.raises(AssertionError, match="Padding_idx must be within num_embeddings"):
        nn.Embedding(5, 2, padding_idx=5)


def test_embedding_from_pretrained():
    w = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
    frozen = nn.Embedding.from_pretrained(w)
    assert not frozen.weight.requires_grad and close(frozen(torch.tensor([1])), [[3.0, 4.0]])
    trainable = nn.Embedding.from_pretrained(w, freeze=False, padding_idx=0)
    assert trainable.weight.requires_grad and trainable.padding_idx == 0
    with pytest.raises(AssertionError, match="Embeddings parameter is expected to be 2-dimensional"):
        nn.Embedding.from_pretrained(torch.ones(3))


# ---- upsampling, padding, shuffles, distances ---------------------------------------------------
def test_upsample_padding_shuffle_distance_fold_modules():
    x = torch.randn(1, 2, 3, 3)
    assert close(nn.Upsample(scale_factor=2)(x), F.interpolate(x, scale_factor=2.0))
    assert close(nn.Upsample(size=(5, 5), mode="bilinear")(x), F.interpolate(x, size=(5, 5), mode="bilinear"))
    assert close(nn.UpsamplingBilinear2d(scale_factor=2)(x),
                 F.interpolate(x, scale_factor=2.0, mode="bilinear", align_corners=True))
    assert close(nn.ZeroPad2d((1, 0, 2, 0))(x), F.pad(x, (1, 0, 2, 0)))
    assert close(nn.ReflectionPad2d(1)(x), F.pad(x, (1, 1, 1, 1), mode="reflect"))
    assert close(nn.ReplicationPad1d(2)(x[0]), F.pad(x[0], (2, 2), mode="replicate"))
    assert close(nn.ConstantPad1d(1, 2.5)(x[0, 0]), F.pad(x[0, 0], (1, 1), value=2.5))
    assert nn.PixelShuffle(2)(torch.randn(1, 8, 2, 2)).shape == (1, 2, 4, 4)
    a, b = torch.randn(3, 4), torch.randn(3, 4)
    assert close(nn.CosineSimilarity()(a, b), F.cosine_similarity(a, b))
    assert close(nn.PairwiseDistance()(a, b), F.pairwise_distance(a, b))
    cols = nn.Unfold(2)(x)
    assert cols.shape == (1, 8, 4)
    assert nn.Fold((3, 3), 2)(cols).shape == (1, 2, 3, 3)
