"""Parametrizations, weight/spectral norm, fusion, skip_init, functional_call, lazy modules,
EmbeddingBag, CTC loss, MultiLabelMarginLoss and AdaptiveLogSoftmaxWithLoss, checked against their
definitions (brute force, finite differences); PyTorch itself is the oracle in test_breadth_oracle.py."""

import copy
import itertools
import math
import pickle
import warnings

import numpy as np
import pytest

import lanterna as torch
import lanterna.nn as nn
import lanterna.nn.functional as F
import lanterna.nn.utils.parametrize as P
from lanterna.autograd import gradcheck
from lanterna.backends.registry import REGISTRY


def a(t):
    return t.detach().numpy()


class Twice(nn.Module):
    def forward(self, X):
        return 2 * X

    def right_inverse(self, X):
        return X / 2


class Split(nn.Module):
    def forward(self, x, y):
        return x + y

    def right_inverse(self, X):
        return X * 0.25, X * 0.75


# ---- parametrize ----------------------------------------------------------------------------------------
def test_register_parametrization_swaps_class_and_keeps_the_parameter_object():
    m = nn.Linear(3, 2)
    w = m.weight
    before = a(w).copy()
    P.register_parametrization(m, "weight", Twice())
    assert type(m).__name__ == "ParametrizedLinear" and isinstance(m, nn.Linear)
    assert repr(type(m)) == "<class 'torch.nn.utils.parametrize.ParametrizedLinear'>"
    assert P.type_before_parametrizations(m) is nn.Linear
    # right_inverse stored w / 2 in the very same Parameter (an optimizer keeps working)
    assert m.parametrizations.weight.original is w
    np.testing.assert_allclose(a(w), before / 2)
    np.testing.assert_allclose(a(m.weight), before)
    assert list(m.state_dict()) == ["bias", "parametrizations.weight.original"]
    assert [n for n, _ in m.named_parameters()] == ["bias", "parametrizations.weight.original"]
    m(torch.ones(1, 3)).sum().backward()
    np.testing.assert_allclose(a(w.grad), np.full((2, 3), 2.0))
    P.remove_parametrizations(m, "weight")
    assert type(m) is nn.Linear and m.weight is w and not P.is_parametrized(m)
    np.testing.assert_allclose(a(m.weight), before)


def test_parametrization_chain_assignment_and_cache():
    m = nn.Linear(2, 2)
    P.register_parametrization(m, "weight", Twice())
    P.register_parametrization(m, "weight", Twice())
    assert len(m.parametrizations.weight) == 2
    m.weight = torch.ones(2, 2)  # through both right_inverses
    np.testing.assert_allclose(a(m.parametrizations.weight.original), np.full((2, 2), 0.25))
    np.testing.assert_allclose(a(m.weight), np.ones((2, 2)))
    calls = []
    m.parametrizations.weight[0].register_forward_hook(lambda *args: calls.append(1))
    with P.cached():
        assert m.weight is m.weight
        with P.cached():  # nested contexts share the cache
            m.weight
    assert len(calls) == 1
    assert m.weight is not m.weight


def test_parametrization_several_originals_and_buffers():
    m = nn.Linear(2, 2)
    w = a(m.weight).copy()
    P.register_parametrization(m, "weight", Split())
    pl = m.parametrizations.weight
    assert not pl.is_tensor and pl.ntensors == 2
    assert isinstance(pl.original0, nn.Parameter) and pl.original0.requires_grad
    np.testing.assert_allclose(a(m.weight), w)
    with pytest.raises(ValueError, match="Cannot leave unparametrized"):
        P.remove_parametrizations(m, "weight", leave_parametrized=False)
    P.remove_parametrizations(m, "weight")
    assert isinstance(m.weight, nn.Parameter)
    bn = nn.BatchNorm1d(3)
    P.register_parametrization(bn, "running_var", Twice())
    assert "parametrizations.running_var.original" in bn.state_dict()
    assert "parametrizations.running_var.original" in dict(bn.named_buffers())
    np.testing.assert_allclose(a(bn.running_var), np.ones(3))


def test_parametrization_errors():
    class Shrink(nn.Module):
        def forward(self, X):
            return X[0]

    with pytest.raises(ValueError, match="may not change the shape"):
        P.register_parametrization(nn.Linear(2, 3), "weight", Shrink())
    with pytest.raises(ValueError, match="does not have a parameter, a buffer, or a parametrized element"):
        P.register_parametrization(nn.Linear(2, 2), "foo", Twice())
    P.register_parametrization(nn.Linear(2, 3), "weight", Shrink(), unsafe=True)
    m = P.register_parametrization(nn.Linear(2, 2), "weight", nn.Tanh())
    with pytest.raises(RuntimeError, match="Tanh does not implement right_inverse"):
        m.weight = torch.zeros(2, 2)
    with pytest.raises(ValueError, match="does not have a parametrization on bias"):
        P.remove_parametrizations(m, "bias")
    with pytest.raises(RuntimeError, match="Serialization of parametrized modules"):
        pickle.dumps(m)
    c = copy.deepcopy(m)
    assert type(c).__name__ == "ParametrizedLinear"
    np.testing.assert_allclose(a(c.weight), a(m.weight))


def test_parametrized_module_state_dict_round_trip_and_train_mode():
    src = P.register_parametrization(nn.Linear(3, 3), "weight", Twice())
    dst = P.register_parametrization(nn.Linear(3, 3), "weight", Twice())
    dst.load_state_dict(src.state_dict())
    np.testing.assert_allclose(a(dst.weight), a(src.weight))
    p = Twice()
    P.register_parametrization(nn.Linear(2, 2).eval(), "weight", p)
    assert p.training is False
    other = nn.Linear(3, 3)
    P.transfer_parametrizations_and_params(src, other)
    np.testing.assert_allclose(a(other.weight), a(src.weight))


# ---- weight norm / spectral norm / orthogonal ------------------------------------------------------------
@pytest.mark.parametrize("dim", [0, 1, None])
def test_weight_norm_formula(dim):
    m = nn.utils.parametrizations.weight_norm(nn.Linear(4, 3).double(), dim=dim)
    g = m.parametrizations.weight.original0
    v = a(m.parametrizations.weight.original1)
    if dim is None:
        expect = a(g) * v / np.linalg.norm(v)
        assert g.shape == ()
    else:
        axes = tuple(i for i in range(2) if i != dim)
        expect = a(g) * v / np.sqrt((v**2).sum(axes, keepdims=True))
    np.testing.assert_allclose(a(m.weight), expect)
    x = torch.randn(2, 4, dtype=torch.float64)
    gv = (m.parametrizations.weight.original0, m.parametrizations.weight.original1)

    def f(g_, v_):
        return F.linear(
            x, nn.utils.weight_norm.__globals__["_weight_norm"](v_, g_, -1 if dim is None else dim)
        )

    assert gradcheck(f, tuple(t.detach().clone().requires_grad_() for t in gv))


def test_legacy_weight_norm_hook():
    with pytest.warns(FutureWarning):
        m = nn.utils.weight_norm(nn.Linear(4, 3))
    assert list(m.state_dict()) == ["bias", "weight_g", "weight_v"]
    assert m.weight_g.shape == (3, 1)
    m.weight_g.data = m.weight_g.data * 2
    out = m(torch.ones(1, 4))  # the pre-hook recomputes weight
    np.testing.assert_allclose(a(m.weight), 2 * a(m.weight_v), rtol=1e-6)
    out.sum().backward()
    assert m.weight_g.grad is not None and m.weight_v.grad is not None
    nn.utils.remove_weight_norm(m)
    assert list(m.state_dict()) == ["bias", "weight"]
    assert not m._forward_pre_hooks


def _sigma(w):
    return np.linalg.svd(w.reshape(w.shape[0], -1), compute_uv=False)[0]


def test_spectral_norm_normalises_the_largest_singular_value():
    torch.manual_seed(0)
    m = nn.utils.parametrizations.spectral_norm(nn.Linear(6, 5).double())
    for _ in range(10):
        m.weight  # each access in training mode runs one power iteration
    assert abs(_sigma(a(m.weight)) - 1) < 1e-6
    assert list(m.state_dict()) == [
        "bias",
        "parametrizations.weight.original",
        "parametrizations.weight.0._u",
        "parametrizations.weight.0._v",
    ]
    m.eval()
    u = a(m.parametrizations.weight[0]._u).copy()
    m.weight
    np.testing.assert_array_equal(a(m.parametrizations.weight[0]._u), u)  # no iteration in eval mode
    with pytest.raises(ValueError, match="n_power_iterations to be positive"):
        nn.utils.parametrizations.spectral_norm(nn.Linear(2, 2), n_power_iterations=0)
    with pytest.raises(IndexError, match="Dimension out of range"):
        nn.utils.parametrizations.spectral_norm(nn.Linear(2, 2), dim=2)


def test_legacy_spectral_norm_and_removal_round_trip():
    torch.manual_seed(0)
    m = nn.utils.spectral_norm(nn.Conv2d(2, 4, 3).double(), n_power_iterations=30)
    assert list(m.state_dict()) == ["bias", "weight_orig", "weight_u", "weight_v"]
    assert m.state_dict()._metadata[""]["spectral_norm"] == {"weight.version": 1}
    m(torch.zeros(1, 2, 5, 5, dtype=torch.float64))
    assert abs(_sigma(a(m.weight)) - 1) < 1e-6
    with pytest.raises(RuntimeError, match="Cannot register two spectral_norm hooks"):
        nn.utils.spectral_norm(m)
    nn.utils.remove_spectral_norm(m)
    assert list(m.state_dict()) == ["bias", "weight"]
    m.load_state_dict(m.state_dict())  # (PyTorch leaves a stale load hook here that breaks this)
    with pytest.raises(ValueError, match="spectral_norm of 'weight' not found"):
        nn.utils.remove_spectral_norm(m)
    t = nn.utils.spectral_norm(nn.ConvTranspose2d(4, 2, 3))
    assert t.weight_u.shape == (2,)  # dim 1 for transposed convolutions


@pytest.mark.parametrize(
    "shape,omap", [((4, 4), None), ((3, 5), None), ((5, 3), "cayley"), ((6, 2), "householder")]
)
def test_orthogonal(shape, omap):
    m = nn.utils.parametrizations.orthogonal(nn.Linear(*shape).double(), orthogonal_map=omap)
    w = a(m.weight)
    small = min(w.shape)
    gram = w @ w.T if w.shape[0] == small else w.T @ w
    np.testing.assert_allclose(gram, np.eye(small), atol=1e-10)
    # move away from the starting point (off the diagonal: the householder map reads signs from it)
    off_diagonal = 1 - torch.eye(*m.weight.shape, dtype=torch.float64)
    with torch.no_grad():
        m.parametrizations.weight.original.add_(
            torch.randn(m.weight.shape, dtype=torch.float64) * off_diagonal
        )
    w = a(m.weight)
    gram = w @ w.T if w.shape[0] == small else w.T @ w
    np.testing.assert_allclose(gram, np.eye(small), atol=1e-10)
    with pytest.raises(ValueError, match="orthogonal_map has to be one of"):
        nn.utils.parametrizations.orthogonal(nn.Linear(2, 2), orthogonal_map="qr")
    with pytest.raises(ValueError, match="Expected a matrix or batch of matrices"):
        nn.utils.parametrizations.orthogonal(nn.Linear(2, 2), "bias")


def test_matrix_exp_helper_against_eigendecomposition():
    """The orthogonal parametrization's map (core's ``linalg.matrix_exp``)."""
    _matrix_exp = torch.linalg.matrix_exp
    rng = np.random.default_rng(0)
    s = rng.standard_normal((4, 4))
    s = s + s.T
    evals, evecs = np.linalg.eigh(s)
    expect = evecs @ np.diag(np.exp(evals)) @ evecs.T
    np.testing.assert_allclose(a(_matrix_exp(torch.tensor(s))), expect, rtol=1e-12)
    assert gradcheck(_matrix_exp, (torch.tensor(rng.standard_normal((3, 3)) * 2, requires_grad=True),))


# ---- fusion, skip_init, functional_call ---------------------------------------------------------------
def test_fuse_conv_bn_and_linear_bn():
    conv, bn = nn.Conv2d(2, 3, 3).double(), nn.BatchNorm2d(3).double()
    x = torch.randn(4, 2, 5, 5, dtype=torch.float64)
    bn(conv(x))  # running statistics
    conv.eval(), bn.eval()
    fused = nn.utils.fuse_conv_bn_eval(conv, bn)
    np.testing.assert_allclose(a(fused(x)), a(bn(conv(x))), atol=1e-12)
    assert fused.weight is not conv.weight and isinstance(fused.bias, nn.Parameter)
    lin, bn1 = nn.Linear(3, 4).double().eval(), nn.BatchNorm1d(4).double().eval()
    fused = nn.utils.fuse_linear_bn_eval(lin, bn1)
    y = torch.randn(2, 3, dtype=torch.float64)
    np.testing.assert_allclose(a(fused(y)), a(bn1(lin(y))), atol=1e-12)
    with pytest.raises(AssertionError, match="To fuse"):
        nn.utils.fuse_linear_bn_eval(lin, nn.BatchNorm1d(3).eval())


def test_skip_init():
    torch.manual_seed(1)
    m = nn.utils.skip_init(nn.Linear, 8, 4, bias=False)
    after = torch.rand(3)
    torch.manual_seed(1)
    np.testing.assert_array_equal(a(after), a(torch.rand(3)))  # no random draws were spent
    assert m.weight.shape == (4, 8) and m.bias is None
    with pytest.raises(RuntimeError, match="Expected a Module"):
        nn.utils.skip_init(int)
    with pytest.raises(RuntimeError, match="must support a 'device' arg"):
        nn.utils.skip_init(nn.ReLU)


class Tied(nn.Module):
    def __init__(self):
        super().__init__()
        self.foo = nn.Parameter(torch.ones(()))
        self.bar = self.foo

    def forward(self, x):
        return x + self.foo + self.bar


def test_functional_call():
    m = nn.Linear(2, 1)
    w0 = a(m.weight).copy()
    w = torch.tensor([[1.0, 2.0]], requires_grad=True)
    out = torch.func.functional_call(m, {"weight": w}, torch.ones(1, 2))
    out.sum().backward()
    np.testing.assert_allclose(a(w.grad), [[1.0, 1.0]])
    assert m.weight.grad is None and m.bias.grad is not None
    np.testing.assert_array_equal(a(m.weight), w0)
    assert isinstance(m.weight, nn.Parameter)
    kw = torch.func.functional_call(m, {"weight": w.detach()}, args=(), kwargs={"input": torch.ones(1, 2)})
    np.testing.assert_allclose(a(kw), a(out))
    # tied weights
    t = Tied()
    assert float(torch.func.functional_call(t, {"foo": torch.zeros(())}, torch.zeros(()))) == 0.0
    assert (
        float(torch.func.functional_call(t, {"foo": torch.zeros(())}, torch.zeros(()), tie_weights=False))
        == 1.0
    )
    with pytest.raises(ValueError, match="which are tied"):
        torch.func.functional_call(t, {"foo": torch.zeros(()), "bar": torch.ones(())}, torch.zeros(()))
    with pytest.raises(RuntimeError, match=r"Missing key\(s\): 'bias'"):
        torch.func.functional_call(m, {"weight": w}, torch.ones(1, 2), strict=True)
    with pytest.raises(RuntimeError, match=r"Unexpected key\(s\): 'nope'"):
        torch.func.functional_call(m, {"weight": w, "bias": w[0], "nope": w}, torch.ones(1, 2), strict=True)
    with pytest.raises(ValueError, match="appeared in multiple dictionaries"):
        torch.func.functional_call(m, ({"weight": w}, {"weight": w}), torch.ones(1, 2))
    with pytest.warns(FutureWarning, match="stateless.functional_call` is deprecated"):
        nn.utils.stateless.functional_call(m, {"weight": w}, torch.ones(1, 2))


def test_functional_call_with_parametrization_original():
    m = P.register_parametrization(nn.Linear(2, 2), "weight", Twice())
    out = torch.func.functional_call(m, {"parametrizations.weight.original": torch.eye(2)}, torch.ones(1, 2))
    np.testing.assert_allclose(a(out - m.bias), [[2.0, 2.0]])


def test_stack_module_state():
    models = [nn.Linear(3, 2) for _ in range(3)]
    params, buffers = torch.func.stack_module_state(models)
    assert params["weight"].shape == (3, 2, 3) and params["weight"].is_leaf and params["weight"].requires_grad
    np.testing.assert_array_equal(a(params["bias"][1]), a(models[1].bias))
    assert buffers == {}
    with pytest.raises(RuntimeError, match="same class"):
        torch.func.stack_module_state([nn.Linear(3, 2), nn.Identity()])


# ---- lazy modules --------------------------------------------------------------------------------------
def test_lazy_linear_materialises_and_becomes_linear():
    torch.manual_seed(0)
    m = nn.LazyLinear(3)
    assert isinstance(m.weight, nn.UninitializedParameter) and m.has_uninitialized_params()
    assert repr(m.weight) == "<UninitializedParameter>"
    with pytest.raises(RuntimeError, match="Can't access the shape of an uninitialized parameter"):
        m.weight.shape
    sd = m.state_dict()
    assert isinstance(sd["weight"], nn.UninitializedParameter)
    m(torch.zeros(2, 5))
    assert type(m) is nn.Linear and m.in_features == 5 and type(m.weight) is nn.Parameter
    torch.manual_seed(0)
    ref = nn.Linear(5, 3)
    np.testing.assert_array_equal(a(m.weight), a(ref.weight))  # same random stream as Linear
    assert not m._forward_pre_hooks and not m._load_state_dict_pre_hooks


def test_lazy_modules_dtype_copy_and_load():
    m = nn.LazyConv2d(4, 3).double()
    m(torch.zeros(1, 2, 5, 5, dtype=torch.float64))
    assert m.weight.dtype == torch.float64 and m.weight.shape == (4, 2, 3, 3)
    c = copy.deepcopy(nn.LazyBatchNorm1d())
    assert isinstance(c.running_mean, nn.UninitializedBuffer)
    c(torch.randn(4, 3))
    assert type(c) is nn.BatchNorm1d and type(c.running_mean) is torch.Tensor and c.num_batches_tracked == 1
    lazy = nn.LazyLinear(2)
    lazy.load_state_dict(nn.Linear(3, 2).state_dict())
    assert type(lazy) is nn.LazyLinear and lazy.weight.shape == (2, 3)
    lazy(torch.zeros(1, 3))
    assert type(lazy) is nn.Linear and lazy.in_features == 3
    with pytest.raises(RuntimeError, match="Expected 2D \\(unbatched\\) or 3D \\(batched\\) input"):
        nn.LazyConv1d(2, 2)(torch.zeros(3))


def test_uninitialized_buffer_is_a_buffer():
    m = nn.Module()
    m.b = nn.UninitializedBuffer(persistent=False)
    assert "b" in m._buffers and "b" in m._non_persistent_buffers_set
    m.b.materialize((2,))
    assert type(m.b) is torch.Tensor and m.b.shape == (2,)


# ---- EmbeddingBag --------------------------------------------------------------------------------------
def _bags_reference(w, inp, offsets, mode, psw=None, padding_idx=None):
    ends = list(offsets[1:]) + [len(inp)]
    out = []
    for s, e in zip(offsets, ends):
        rows = [
            w[i] * (1.0 if psw is None else psw[k]) for k, i in enumerate(inp[s:e], s) if i != padding_idx
        ]
        if not rows:
            out.append(np.zeros(w.shape[1]))
        elif mode == "sum":
            out.append(np.sum(rows, 0))
        elif mode == "mean":
            out.append(np.mean(rows, 0))
        else:
            out.append(np.max(rows, 0))
    return np.array(out)


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
@pytest.mark.parametrize("padding_idx", [None, 3])
def test_embedding_bag_against_loops(mode, padding_idx):
    rng = np.random.default_rng(0)
    w = rng.standard_normal((7, 4))
    inp = np.array([3, 1, 4, 1, 5, 3, 2, 6, 3])
    offsets = [0, 2, 2, 5, 8]
    psw = rng.standard_normal(len(inp)) if mode == "sum" else None
    out = F.embedding_bag(
        torch.tensor(inp),
        torch.tensor(w),
        torch.tensor(offsets),
        mode=mode,
        per_sample_weights=None if psw is None else torch.tensor(psw),
        padding_idx=padding_idx,
    )
    np.testing.assert_allclose(a(out), _bags_reference(w, inp, offsets, mode, psw, padding_idx), atol=1e-12)

    def f(weight, *extra):
        return F.embedding_bag(
            torch.tensor(inp),
            weight,
            torch.tensor(offsets),
            mode=mode,
            per_sample_weights=extra[0] if extra else None,
            padding_idx=padding_idx,
        )

    args = (torch.tensor(w, requires_grad=True),)
    if psw is not None:
        args += (torch.tensor(psw, requires_grad=True),)
    assert gradcheck(f, args)


def test_embedding_bag_module():
    m = nn.EmbeddingBag(10, 3, mode="sum", padding_idx=-1)
    assert m.padding_idx == 9 and np.all(a(m.weight[9]) == 0)
    assert repr(m) == "EmbeddingBag(10, 3, mode='sum', padding_idx=9)"
    out = m(torch.tensor([[1, 2, 9], [4, 9, 9]]))
    np.testing.assert_allclose(a(out), [a(m.weight[1] + m.weight[2]), a(m.weight[4])], atol=1e-6)
    frozen = nn.EmbeddingBag.from_pretrained(torch.eye(3), mode="max")
    assert not frozen.weight.requires_grad
    np.testing.assert_array_equal(a(frozen(torch.tensor([0, 2]), torch.tensor([0]))), [[1.0, 0.0, 1.0]])
    with pytest.raises(ValueError, match="max mode does not support scaling"):
        F.embedding_bag(
            torch.tensor([0]), torch.eye(2), torch.tensor([0]), mode="max", scale_grad_by_freq=True
        )


# ---- losses --------------------------------------------------------------------------------------------
def _ctc_brute_force(lp, target, blank=0):
    """-log of the total probability of every frame labelling that collapses to ``target``."""
    T, C = lp.shape
    total = 0.0
    for path in itertools.product(range(C), repeat=T):
        collapsed = [k for k, _ in itertools.groupby(path) if k != blank]
        if collapsed == list(target):
            total += math.exp(sum(lp[t, c] for t, c in enumerate(path)))
    return -math.log(total) if total > 0 else math.inf


@pytest.mark.parametrize("target,blank", [([1, 2], 0), ([1, 1], 0), ([2], 1), ([], 0), ([2, 0, 2], 1)])
def test_ctc_loss_against_brute_force(target, blank):
    rng = np.random.default_rng(len(target) + blank)
    T, C = 5, 3
    logits = rng.standard_normal((T, 1, C))
    lp = torch.tensor(logits).log_softmax(2)
    tg = torch.tensor([target if target else [0]])
    loss = F.ctc_loss(lp, tg, (T,), (len(target),), blank=blank, reduction="none")
    assert math.isclose(float(loss[0]), _ctc_brute_force(a(lp)[:, 0], target, blank), rel_tol=1e-10)

    # through log_softmax the gradient is the true one: finite differences on the logits
    def f(x):
        return F.ctc_loss(x.log_softmax(2), tg, (T,), (len(target),), blank=blank, reduction="sum")

    assert gradcheck(f, (torch.tensor(logits, requires_grad=True),))


def test_ctc_loss_batch_reductions_and_infinity():
    rng = np.random.default_rng(3)
    lp = torch.tensor(rng.standard_normal((6, 3, 4))).log_softmax(2)
    tg = torch.tensor([[1, 2, 3], [1, 1, 0], [3, 0, 0]])
    il, tl = torch.tensor([6, 4, 2]), torch.tensor([3, 2, 1])
    per = F.ctc_loss(lp, tg, il, tl, reduction="none")
    for b in range(3):
        ref = _ctc_brute_force(a(lp)[: int(il[b]), b], a(tg)[b, : int(tl[b])].tolist())
        assert math.isclose(float(per[b]), ref, rel_tol=1e-10)
    np.testing.assert_allclose(float(F.ctc_loss(lp, tg, il, tl)), float((per / tl).mean()))
    np.testing.assert_allclose(float(nn.CTCLoss(reduction="sum")(lp, tg, il, tl)), float(per.sum()))
    # a target longer than the input cannot be aligned
    x = lp.detach().requires_grad_()
    bad = F.ctc_loss(x, tg, torch.tensor([6, 1, 2]), tl, reduction="none")
    assert math.isinf(float(bad[1]))
    z = F.ctc_loss(x, tg, torch.tensor([6, 1, 2]), tl, reduction="sum", zero_infinity=True)
    z.backward()
    assert np.all(a(x.grad)[:, 1] == 0) and np.isfinite(a(x.grad)).all()


def test_multilabel_margin_loss_definition():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 5))
    y = np.array([[3, 0, -1, 1, 2], [4, 4, 1, -1, -1], [-1, 0, 1, 2, 3]])
    out = F.multilabel_margin_loss(torch.tensor(x), torch.tensor(y), reduction="none")
    for n in range(3):
        tg = []
        for v in y[n]:
            if v < 0:
                break
            tg.append(v)
        ref = sum(max(0.0, 1 - x[n, j] + x[n, i]) for j in tg for i in range(5) if i not in tg) / 5
        assert math.isclose(float(out[n]), ref, rel_tol=1e-12)
    assert gradcheck(
        lambda t: F.multilabel_margin_loss(t, torch.tensor(y)), (torch.tensor(x, requires_grad=True),)
    )
    assert repr(nn.MultiLabelMarginLoss()) == "MultiLabelMarginLoss()"


def test_adaptive_log_softmax():
    m = nn.AdaptiveLogSoftmaxWithLoss(8, 12, cutoffs=[3, 7], div_value=2.0).double()
    x = torch.randn(6, 8, dtype=torch.float64)
    lp = m.log_prob(x)
    np.testing.assert_allclose(a(lp.exp().sum(1)), np.ones(6), atol=1e-12)
    y = torch.tensor([0, 2, 3, 6, 7, 11])
    out = m(x, y)
    np.testing.assert_allclose(a(out.output), a(lp.gather(1, y.unsqueeze(1)).squeeze(1)), atol=1e-12)
    np.testing.assert_allclose(float(out.loss), -float(out.output.mean()))
    np.testing.assert_array_equal(a(m.predict(x)), a(lp.argmax(1)))
    with pytest.raises(RuntimeError, match="0D or 1D target tensor expected"):
        m(x, y.reshape(2, 3))


def test_utils_namespace():
    for name in (
        "parametrize",
        "parametrizations",
        "stateless",
        "weight_norm",
        "remove_weight_norm",
        "spectral_norm",
        "remove_spectral_norm",
        "skip_init",
        "fuse_conv_bn_eval",
        "fuse_conv_bn_weights",
        "fuse_linear_bn_eval",
        "fuse_linear_bn_weights",
    ):
        assert hasattr(nn.utils, name), name
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        nn.utils.parametrizations.weight_norm(nn.Linear(2, 2))  # the new form does not warn


DEVICES = [name for name, b in REGISTRY.backends.items() if b.is_available()]


@pytest.mark.parametrize("device", DEVICES)
def test_new_layers_run_on_every_device(device):
    """Same results and gradients on every available backend as on the CPU."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((6, 2, 4))
    tg, il, tl = torch.tensor([[1, 2], [3, 3]]), (6, 5), (2, 2)
    cpu_x = torch.tensor(x, requires_grad=True)
    dev_x = torch.tensor(x, device=device, requires_grad=True)
    for xi in (cpu_x, dev_x):
        F.ctc_loss(xi.log_softmax(2), tg, il, tl).backward()
    np.testing.assert_allclose(dev_x.grad.cpu().numpy(), a(cpu_x.grad), atol=1e-12)
    w = rng.standard_normal((6, 3))
    inp, offs = [1, 2, 4, 5, 1], [0, 2, 2]
    for mode in ("sum", "mean", "max"):
        outs = []
        for dev in ("cpu", device):
            wi = torch.tensor(w, device=dev, requires_grad=True)
            out = F.embedding_bag(
                torch.tensor(inp, device=dev), wi, torch.tensor(offs, device=dev), mode=mode, padding_idx=4
            )
            out.sum().backward()
            outs.append((out.detach().cpu().numpy(), wi.grad.cpu().numpy()))
        np.testing.assert_allclose(outs[1][0], outs[0][0], atol=1e-12)
        np.testing.assert_allclose(outs[1][1], outs[0][1], atol=1e-12)
    for make in (
        lambda: nn.utils.parametrizations.spectral_norm(nn.Linear(3, 4)),
        lambda: nn.utils.parametrizations.orthogonal(nn.Linear(3, 3)),
        lambda: nn.LazyLinear(4),
    ):
        m = make().to(device)
        assert m(torch.randn(2, 3, device=device)).device.type == torch.device(device).type
    y = F.multilabel_margin_loss(
        torch.randn(2, 4, device=device), torch.tensor([[1, -1, 0, 0], [2, 3, -1, 0]], device=device)
    )
    assert y.device.type == torch.device(device).type
