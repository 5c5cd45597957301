"""Loss modules against NumPy formulas (every reduction), gradient checks, and argument errors."""

import math

import numpy as np
import pytest

import lanterna as torch
import lanterna.nn as nn
import lanterna.nn.functional as F
from lanterna.autograd import gradcheck, gradgradcheck

rng = np.random.default_rng(2)


def t64(*shape, low=None, grad=True):
    a = rng.standard_normal(shape) if low is None else rng.uniform(low[0], low[1], shape)
    return torch.tensor(a, dtype=torch.float64, requires_grad=grad)


def close(a, b, tol=1e-8):
    a = a.detach().numpy() if isinstance(a, torch.Tensor) else np.asarray(a)
    return np.allclose(a, b, atol=tol, rtol=tol)


def reduce(v, reduction):
    return {"none": v, "mean": v.mean(), "sum": v.sum()}[reduction]


def log_softmax(a, axis=1):
    m = a.max(axis, keepdims=True)
    return a - m - np.log(np.exp(a - m).sum(axis, keepdims=True))


REDUCTIONS = ["none", "mean", "sum"]


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_regression_losses(reduction):
    x, y = t64(3, 4), t64(3, 4)
    a, b = x.detach().numpy(), y.detach().numpy()
    d = a - b
    cases = [
        (nn.MSELoss(reduction=reduction), d ** 2),
        (nn.L1Loss(reduction=reduction), np.abs(d)),
        (nn.SmoothL1Loss(reduction=reduction, beta=0.5), np.where(np.abs(d) < 0.5, 0.5 * d ** 2 / 0.5, np.abs(d) - 0.25)),
        (nn.HuberLoss(reduction=reduction, delta=0.5), np.where(np.abs(d) < 0.5, 0.5 * d ** 2, 0.5 * (np.abs(d) - 0.25))),
    ]
    for loss, ref in cases:
        assert close(loss(x, y), reduce(ref, reduction)), type(loss).__name__
        assert gradcheck(lambda p, q, fn=loss: fn(p, q), (x, y))


def test_mse_broadcast_warning_and_double_backward():
    with pytest.warns(UserWarning, match="Using a target size"):
        F.mse_loss(torch.randn(3, 1), torch.randn(3))
    assert gradgradcheck(F.mse_loss, (t64(2, 3), t64(2, 3)))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_indices_weight_ignore(reduction):
    x = t64(5, 4)
    target = torch.tensor([0, 3, 1, 1, 2])
    w = torch.tensor([1.0, 2.0, 0.5, 1.5], dtype=torch.float64)
    lp = log_softmax(x.detach().numpy())
    per = -lp[np.arange(5), target.numpy()] * w.numpy()[target.numpy()]
    per[2] = 0.0  # ignored (target 1 at position 2 is set to ignore below)
    tgt = target.clone()
    tgt[2] = -100
    out = nn.CrossEntropyLoss(weight=w, reduction=reduction)(x, tgt)
    wsum = w.numpy()[target.numpy()].sum() - w.numpy()[1]
    ref = {"none": per, "sum": per.sum(), "mean": per.sum() / wsum}[reduction]
    assert close(out, ref)
    assert gradcheck(lambda p: F.cross_entropy(p, tgt, weight=w, reduction=reduction), (x,))


def test_cross_entropy_label_smoothing_and_probabilities():
    x = t64(4, 3)
    target = torch.tensor([0, 2, 1, 2])
    lp = log_softmax(x.detach().numpy())
    eps = 0.2
    onehot = np.eye(3)[target.numpy()]
    smooth = onehot * (1 - eps) + eps / 3
    ref = -(smooth * lp).sum(1).mean()
    assert close(F.cross_entropy(x, target, label_smoothing=eps), ref)
    probs = torch.tensor(smooth)
    assert close(F.cross_entropy(x, probs), ref)
    assert close(F.cross_entropy(x, probs, reduction="none"), -(smooth * lp).sum(1))
    assert gradcheck(lambda p: F.cross_entropy(p, target, label_smoothing=eps), (x,))
    assert gradgradcheck(lambda p: F.cross_entropy(p, target), (x,))


def test_cross_entropy_spatial_and_unbatched():
    x = t64(2, 3, 2, 2)
    target = torch.tensor([[[0, 1], [2, 2]], [[1, 1], [0, 2]]])
    lp = log_softmax(x.detach().numpy())
    ref = -np.take_along_axis(lp, target.numpy()[:, None], 1)[:, 0]
    out = F.cross_entropy(x, target, reduction="none")
    assert out.shape == (2, 2, 2) and close(out, ref)
    assert out.grad_fn.name() == "NllLoss2DBackward0"
    assert gradcheck(lambda p: F.cross_entropy(p, target), (x,))
    v = t64(4)
    assert close(F.cross_entropy(v, torch.tensor(2)), -log_softmax(v.detach().numpy(), 0)[2])


def test_cross_entropy_stable_for_large_logits():
    x = torch.tensor([[1e4, 0.0, -1e4]], requires_grad=True)
    loss = F.cross_entropy(x, torch.tensor([1]))
    assert math.isclose(float(loss), 1e4, rel_tol=1e-6)
    loss.backward()
    assert bool(torch.isfinite(x.grad).all())
    assert close(x.grad, [[1.0, -1.0, 0.0]], 1e-6)


def test_cross_entropy_errors():
    with pytest.raises(ValueError, match=r"Expected input batch_size \(3\) to match target batch_size \(2\)."):
        F.cross_entropy(torch.randn(3, 5), torch.tensor([1, 2]))
    with pytest.raises(IndexError, match="Target 7 is out of bounds."):
        F.cross_entropy(torch.randn(3, 5), torch.tensor([1, 2, 7]))
    with pytest.raises(RuntimeError, match="expected target dtype to be Long or Byte, but got Float"):
        F.nll_loss(torch.randn(3, 5), torch.tensor([1.0, 2.0, 3.0]))
    with pytest.raises(ValueError, match="foo is not a valid value for reduction"):
        F.cross_entropy(torch.randn(3, 5), torch.tensor([1, 2, 3]), reduction="foo")
    assert math.isnan(float(F.cross_entropy(torch.randn(2, 3), torch.tensor([-100, -100]))))


def test_nll_loss_legacy_reduction_args():
    x = t64(3, 4)
    t = torch.tensor([0, 1, 3])
    with pytest.warns(UserWarning, match="size_average and reduce args will be deprecated"):
        s = F.nll_loss(x, t, size_average=False)
    assert close(s, -x.detach().numpy()[np.arange(3), t.numpy()].sum())
    with pytest.warns(UserWarning):
        assert nn.NLLLoss(reduce=False).reduction == "none"


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_binary_losses(reduction):
    p = t64(3, 4, low=(0.05, 0.95))
    y = t64(3, 4, low=(0, 1))
    w = t64(3, 4, low=(0.5, 2), grad=False)
    a, b, c = p.detach().numpy(), y.detach().numpy(), w.numpy()
    bce = -(b * np.log(a) + (1 - b) * np.log(1 - a)) * c
    assert close(nn.BCELoss(weight=w, reduction=reduction)(p, y), reduce(bce, reduction))
    assert gradcheck(lambda q, r: F.binary_cross_entropy(q, r, w, reduction=reduction), (p, y))
    z = t64(3, 4)
    pw = torch.tensor([1.0, 2.0, 0.5, 3.0], dtype=torch.float64)
    s = 1 / (1 + np.exp(-z.detach().numpy()))
    ref = -(pw.numpy() * b * np.log(s) + (1 - b) * np.log(1 - s)) * c
    assert close(nn.BCEWithLogitsLoss(weight=w, pos_weight=pw, reduction=reduction)(z, y), reduce(ref, reduction))
    assert gradcheck(lambda q, r: F.binary_cross_entropy_with_logits(q, r, w, pos_weight=pw, reduction=reduction),
                     (z, y))


def test_binary_losses_extreme_and_errors():
    assert float(F.binary_cross_entropy(torch.tensor([0.0]), torch.tensor([1.0]))) == 100.0  # log clamped at -100
    big = F.binary_cross_entropy_with_logits(torch.tensor([1000.0, -1000.0]), torch.tensor([0.0, 1.0]))
    assert math.isclose(float(big), 1000.0, rel_tol=1e-6)
    with pytest.raises(RuntimeError, match="all elements of input should be between 0 and 1"):
        F.binary_cross_entropy(torch.tensor([1.5]), torch.tensor([1.0]))
    with pytest.raises(ValueError, match="Using a target size"):
        F.binary_cross_entropy(torch.rand(3, 1), torch.rand(3))
    with pytest.raises(ValueError, match=r"Target size \(torch.Size\(\[3\]\)\) must be the same as input size"):
        F.binary_cross_entropy_with_logits(torch.rand(3, 1), torch.rand(3))


def test_kl_div_reductions():
    x = torch.tensor(log_softmax(rng.standard_normal((3, 4))), requires_grad=True)
    p = np.exp(log_softmax(rng.standard_normal((3, 4))))
    p[0, 0] = 0.0
    t = torch.tensor(p)
    a = x.detach().numpy()
    pointwise = np.where(p > 0, p * np.log(np.where(p > 0, p, 1)), 0) - p * a
    assert close(nn.KLDivLoss(reduction="batchmean")(x, t), pointwise.sum() / 3)
    assert close(nn.KLDivLoss(reduction="sum")(x, t), pointwise.sum())
    with pytest.warns(UserWarning, match="reduction: 'mean' divides the total loss"):
        assert close(nn.KLDivLoss()(x, t), pointwise.mean())
    lt = torch.tensor(np.log(p + 1e-3))
    assert close(F.kl_div(x, lt, reduction="sum", log_target=True), (np.exp(lt.numpy()) * (lt.numpy() - a)).sum())
    assert gradcheck(lambda q: F.kl_div(q, t, reduction="batchmean"), (x,))


def test_embedding_and_ranking_losses():
    x1, x2 = t64(4, 3), t64(4, 3)
    y = torch.tensor([1, -1, 1, -1], dtype=torch.float64)
    a, b = x1.detach().numpy(), x2.detach().numpy()
    cos = (a * b).sum(1) / np.sqrt(((a * a).sum(1) + 1e-12) * ((b * b).sum(1) + 1e-12))
    ref = np.where(y.numpy() == 1, 1 - cos, np.maximum(cos - 0.1, 0))
    assert close(nn.CosineEmbeddingLoss(margin=0.1)(x1, x2, y), ref.mean())
    assert gradcheck(lambda p, q: F.cosine_embedding_loss(p, q, y), (x1, x2))
    s1, s2 = t64(4), t64(4)
    mr = np.maximum(-y.numpy() * (s1.detach().numpy() - s2.detach().numpy()) + 0.3, 0)
    assert close(nn.MarginRankingLoss(0.3)(s1, s2, y), mr.mean())
    anc, pos, neg = t64(4, 3), t64(4, 3), t64(4, 3)
    dp = np.linalg.norm(anc.detach().numpy() - pos.detach().numpy() + 1e-6, axis=1)
    dn = np.linalg.norm(anc.detach().numpy() - neg.detach().numpy() + 1e-6, axis=1)
    assert close(nn.TripletMarginLoss(margin=1.0)(anc, pos, neg), np.maximum(dp - dn + 1, 0).mean())
    assert gradcheck(lambda p, q, r: F.triplet_margin_loss(p, q, r), (anc, pos, neg))
    with pytest.raises(ValueError, match="TripletMarginLoss: expected margin to be greater than 0"):
        nn.TripletMarginLoss(margin=0)
    custom = nn.TripletMarginWithDistanceLoss(distance_function=lambda u, v: (u - v).abs().sum(-1))
    l1p = np.abs(anc.detach().numpy() - pos.detach().numpy()).sum(1)
    l1n = np.abs(anc.detach().numpy() - neg.detach().numpy()).sum(1)
    assert close(custom(anc, pos, neg), np.maximum(l1p - l1n + 1, 0).mean())


def test_other_losses():
    x = t64(3, 4)
    y = torch.tensor(rng.choice([-1.0, 1.0], (3, 4)))
    a, b = x.detach().numpy(), y.numpy()
    assert close(nn.HingeEmbeddingLoss(margin=0.5)(x, y), np.where(b == 1, a, np.maximum(0.5 - a, 0)).mean())
    assert close(nn.SoftMarginLoss()(x, y), np.log1p(np.exp(-b * a)).mean())
    tgt = torch.tensor(rng.uniform(0, 1, (3, 4)))
    s = 1 / (1 + np.exp(-a))
    ml = -(tgt.numpy() * np.log(s) + (1 - tgt.numpy()) * np.log(1 - s)).mean(1)
    assert close(nn.MultiLabelSoftMarginLoss()(x, tgt), ml.mean())
    cls = torch.tensor([0, 3, 1])
    mm = np.maximum(1 - a[np.arange(3), cls.numpy()][:, None] + a, 0)
    mm[np.arange(3), cls.numpy()] = 0
    assert close(nn.MultiMarginLoss()(x, cls), (mm.sum(1) / 4).mean())
    rate = torch.tensor(rng.uniform(0, 3, (3, 4)))
    assert close(nn.PoissonNLLLoss()(x, rate), (np.exp(a) - rate.numpy() * a).mean())
    var = torch.tensor(rng.uniform(0.5, 2, (3, 4)))
    g = 0.5 * (np.log(var.numpy()) + (a - rate.numpy()) ** 2 / var.numpy())
    assert close(nn.GaussianNLLLoss()(x, rate, var), g.mean())
    assert gradcheck(lambda p: F.multi_margin_loss(p, cls), (x,))
    assert gradcheck(lambda p: F.gaussian_nll_loss(p, rate, var), (x,))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_nll_fast_path_equals_general_path(reduction):
    """Without class weights and ignored rows, nll_loss keeps one coefficient instead of one per
    row: losses and gradients (first and second order) must be the same bits as the general path,
    which unit class weights force."""
    torch.manual_seed(0)
    x = torch.randn(7, 5, dtype=torch.float32, requires_grad=True)
    y = torch.tensor([0, 4, 2, 2, 1, 3, 0])
    results = []
    for weight in (None, torch.ones(5)):
        loss = torch.nn.functional.cross_entropy(x, y, weight=weight, reduction=reduction)
        (g,) = torch.autograd.grad(loss.sum(), x, create_graph=True)
        (gg,) = torch.autograd.grad((g * g).sum(), x)
        results.append([t.detach().numpy().tobytes() for t in (loss, g, gg)])
    assert results[0] == results[1]
