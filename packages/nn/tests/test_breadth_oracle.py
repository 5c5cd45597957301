"""PyTorch as the oracle for the newer corners of nn: parametrizations (weight/spectral norm,
orthogonal), the legacy weight/spectral norm hooks, fusion, functional_call, lazy modules,
EmbeddingBag, CTC loss, MultiLabelMarginLoss and AdaptiveLogSoftmaxWithLoss. Same seeds (so the
same initial weights), same inputs; outputs, every gradient, buffers, state-dict keys and reprs."""

import copy
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import lanterna as lt  # noqa: E402
import lanterna.nn as lnn  # noqa: E402
import lanterna.nn.functional as LF  # noqa: E402

pytestmark = [pytest.mark.oracle, pytest.mark.filterwarnings("ignore::FutureWarning")]
TF = torch.nn.functional
tnn = torch.nn


def _np(t):
    return t.detach().cpu().numpy() if isinstance(t, torch.Tensor) else t.detach().numpy()


def close(lan, ref, tol=1e-10, msg=""):
    a, b = _np(lan), _np(ref)
    assert a.shape == b.shape, (msg, a.shape, b.shape)
    np.testing.assert_allclose(a, b, rtol=tol, atol=tol, err_msg=msg)


def seeded(make_t, make_l, seed=0):
    torch.manual_seed(seed)
    tm = make_t()
    lt.manual_seed(seed)
    lm = make_l()
    return tm, lm


def same_state(tm, lm, tol=1e-10):
    ts, ls = tm.state_dict(), lm.state_dict()
    assert list(ts) == list(ls)
    for k in ts:
        close(ls[k], ts[k], tol, k)


def same_grads(tm, lm, tol=1e-10):
    tp = dict(tm.named_parameters())
    lp = dict(lm.named_parameters())
    assert list(tp) == list(lp)
    for k in tp:
        if tp[k].grad is None:
            assert lp[k].grad is None, k
        else:
            close(lp[k].grad, tp[k].grad, tol, k)


def run_both(tm, lm, x, tol=1e-10, g_seed=1):
    """Forward both on the float64 input ``x``, backward a random cotangent, compare everything."""
    tx = torch.tensor(x, requires_grad=True)
    lx = lt.tensor(x, requires_grad=True)
    to, lo = tm(tx), lm(lx)
    close(lo, to, tol, "output")
    g = np.random.default_rng(g_seed).standard_normal(tuple(to.shape))
    to.backward(torch.tensor(g))
    lo.backward(lt.tensor(g))
    close(lx.grad, tx.grad, tol, "input grad")
    same_grads(tm, lm, tol)
    same_state(tm, lm, tol)


R = np.random.default_rng(7)


# ---- parametrizations ------------------------------------------------------------------------------
@pytest.mark.parametrize("dim", [0, 1, None, -1])
def test_parametrizations_weight_norm(dim):
    tm, lm = seeded(
        lambda: torch.nn.utils.parametrizations.weight_norm(tnn.Linear(5, 4).double(), dim=dim),
        lambda: lnn.utils.parametrizations.weight_norm(lnn.Linear(5, 4).double(), dim=dim),
    )
    assert repr(tm) == repr(lm)
    same_state(tm, lm)
    run_both(tm, lm, R.standard_normal((3, 5)))


def test_parametrizations_weight_norm_conv_and_legacy_state_dict():
    tm, lm = seeded(
        lambda: torch.nn.utils.parametrizations.weight_norm(tnn.Conv2d(2, 3, 3).double(), dim=1),
        lambda: lnn.utils.parametrizations.weight_norm(lnn.Conv2d(2, 3, 3).double(), dim=1),
    )
    run_both(tm, lm, R.standard_normal((2, 2, 5, 5)))
    # a state dict of the legacy hook form (weight_g / weight_v) loads into the parametrization
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        old = torch.nn.utils.weight_norm(tnn.Linear(4, 3).double())
    sd = {k: lt.tensor(_np(v)) for k, v in old.state_dict().items()}
    new = lnn.utils.parametrizations.weight_norm(lnn.Linear(4, 3).double())
    new.load_state_dict(sd)
    close(new.weight, old.weight)


@pytest.mark.parametrize(
    "make,shape",
    [
        (lambda nn: nn.Linear(5, 4), (3, 5)),
        (lambda nn: nn.Conv2d(2, 3, 3), (2, 2, 6, 6)),
        (lambda nn: nn.ConvTranspose2d(3, 2, 3), (2, 3, 4, 4)),
        (lambda nn: nn.Conv1d(3, 4, 2), (2, 3, 7)),
    ],
)
def test_parametrizations_spectral_norm(make, shape):
    tm, lm = seeded(
        lambda: torch.nn.utils.parametrizations.spectral_norm(make(tnn).double()),
        lambda: lnn.utils.parametrizations.spectral_norm(make(lnn).double()),
    )
    assert repr(tm) == repr(lm)
    same_state(tm, lm, 1e-9)
    for _ in range(2):  # each training-mode access runs a power iteration
        run_both(tm, lm, R.standard_normal(shape), 1e-9)
    tm.eval()
    lm.eval()
    run_both(tm, lm, R.standard_normal(shape), 1e-9)


def test_parametrizations_spectral_norm_1d_and_dim():
    tm, lm = seeded(
        lambda: torch.nn.utils.parametrizations.spectral_norm(tnn.Linear(5, 4).double(), "bias"),
        lambda: lnn.utils.parametrizations.spectral_norm(lnn.Linear(5, 4).double(), "bias"),
    )
    run_both(tm, lm, R.standard_normal((3, 5)))
    tm, lm = seeded(
        lambda: torch.nn.utils.parametrizations.spectral_norm(tnn.Linear(5, 4).double(), dim=-1, eps=1e-6),
        lambda: lnn.utils.parametrizations.spectral_norm(lnn.Linear(5, 4).double(), dim=-1, eps=1e-6),
    )
    run_both(tm, lm, R.standard_normal((3, 5)))


@pytest.mark.parametrize(
    "shape,omap,triv",
    [
        ((4, 4), None, True),
        ((3, 5), None, True),
        ((5, 3), "cayley", True),
        ((5, 3), "householder", False),
        ((4, 4), "householder", True),
        ((3, 5), "matrix_exp", True),
        ((4, 4), "cayley", True),
    ],
)
def test_parametrizations_orthogonal(shape, omap, triv):
    tm, lm = seeded(
        lambda: torch.nn.utils.parametrizations.orthogonal(
            tnn.Linear(*shape).double(), orthogonal_map=omap, use_trivialization=triv
        ),
        lambda: lnn.utils.parametrizations.orthogonal(
            lnn.Linear(*shape).double(), orthogonal_map=omap, use_trivialization=triv
        ),
        seed=3,
    )
    same_state(tm, lm, 1e-12)
    run_both(tm, lm, R.standard_normal((2, shape[0])), 1e-9)
    # away from the identity point of the trivialization: after an optimizer-like update
    with torch.no_grad():
        tm.parametrizations.weight.original.add_(
            torch.tensor(R.standard_normal(tuple(tm.weight.shape)) * 0.3)
        )
    lm.parametrizations.weight.original.data = lt.tensor(_np(tm.parametrizations.weight.original))
    tm.zero_grad()
    lm.zero_grad()
    run_both(tm, lm, R.standard_normal((2, shape[0])), 1e-9)


def test_orthogonal_assignment():
    tm, lm = seeded(
        lambda: torch.nn.utils.parametrizations.orthogonal(tnn.Linear(4, 4).double()),
        lambda: lnn.utils.parametrizations.orthogonal(lnn.Linear(4, 4).double()),
    )
    q = R.standard_normal((4, 4))
    tm.weight = torch.tensor(q)
    lm.weight = lt.tensor(q)
    same_state(tm, lm, 1e-12)
    close(lm.weight, tm.weight, 1e-12)


# ---- legacy hooks -----------------------------------------------------------------------------------
@pytest.mark.parametrize("dim", [0, 1, None])
def test_legacy_weight_norm(dim):
    tm, lm = seeded(
        lambda: torch.nn.utils.weight_norm(tnn.Conv1d(3, 4, 2).double(), dim=dim),
        lambda: lnn.utils.weight_norm(lnn.Conv1d(3, 4, 2).double(), dim=dim),
    )
    assert list(tm.state_dict()) == list(lm.state_dict()) == ["bias", "weight_g", "weight_v"]
    assert tm.weight_g.shape == lm.weight_g.shape
    run_both(tm, lm, R.standard_normal((2, 3, 6)))
    torch.nn.utils.remove_weight_norm(tm)
    lnn.utils.remove_weight_norm(lm)
    assert list(tm.state_dict()) == list(lm.state_dict())
    close(lm.weight, tm.weight)
    assert type(lm.weight) is lnn.Parameter


def test_legacy_weight_norm_warns_and_errors():
    with pytest.warns(FutureWarning, match="deprecated"):
        m = lnn.utils.weight_norm(lnn.Linear(2, 2))
    with pytest.raises(RuntimeError, match="Cannot register two weight_norm hooks"):
        lnn.utils.weight_norm(m)
    with pytest.raises(ValueError, match="weight_norm of 'bias' not found"):
        lnn.utils.remove_weight_norm(m, "bias")


@pytest.mark.parametrize(
    "make,shape",
    [
        (lambda nn: nn.Linear(5, 4), (3, 5)),
        (lambda nn: nn.ConvTranspose1d(3, 2, 3), (2, 3, 4)),
    ],
)
def test_legacy_spectral_norm(make, shape):
    tm, lm = seeded(
        lambda: torch.nn.utils.spectral_norm(make(tnn).double(), n_power_iterations=2),
        lambda: lnn.utils.spectral_norm(make(lnn).double(), n_power_iterations=2),
    )
    assert list(tm.state_dict()) == list(lm.state_dict())
    assert tm.state_dict()._metadata[""] == lm.state_dict()._metadata[""]
    same_state(tm, lm)
    for _ in range(2):
        run_both(tm, lm, R.standard_normal(shape), 1e-9)
    tm.eval()
    lm.eval()
    run_both(tm, lm, R.standard_normal(shape), 1e-9)
    torch.nn.utils.remove_spectral_norm(tm)
    lnn.utils.remove_spectral_norm(lm)
    same_state(tm, lm, 1e-9)


def test_legacy_spectral_norm_old_state_dict_upgrade():
    # a version-0 state dict (weight saved, no weight_v): weight_v is solved for on load
    tm, lm = seeded(
        lambda: torch.nn.utils.spectral_norm(tnn.Linear(5, 4).double()),
        lambda: lnn.utils.spectral_norm(lnn.Linear(5, 4).double()),
    )
    tm(torch.zeros(1, 5, dtype=torch.float64))
    old = {k: v for k, v in tm.state_dict().items() if k != "weight_v"}
    old["weight"] = tm.weight.detach()
    lsd = {k: lt.tensor(_np(v)) for k, v in old.items()}
    from collections import OrderedDict

    lsd = OrderedDict(lsd)
    lsd._metadata = {"": {"version": 1}}
    tsd = OrderedDict(old)
    tsd._metadata = {"": {"version": 1}}
    tm.load_state_dict(tsd)
    lm.load_state_dict(lsd)
    same_state(tm, lm, 1e-8)


# ---- fusion, skip_init, functional_call ----------------------------------------------------------------
@pytest.mark.parametrize("transpose", [False, True])
def test_fuse_conv_bn_eval(transpose):
    def make(nn):
        conv = (nn.ConvTranspose2d(3, 4, 3) if transpose else nn.Conv2d(3, 4, 3)).double()
        bn = nn.BatchNorm2d(4).double()
        return conv, bn

    torch.manual_seed(0)
    tc, tb = make(tnn)
    lt.manual_seed(0)
    lc, lb = make(lnn)
    x = R.standard_normal((4, 3, 6, 6))
    # non-trivial running statistics and affine parameters
    tb(tc(torch.tensor(x)))
    lb(lc(lt.tensor(x)))
    with torch.no_grad():
        tb.weight.uniform_(0.5, 1.5)
        tb.bias.uniform_(-1, 1)
    lb.weight.data = lt.tensor(_np(tb.weight))
    lb.bias.data = lt.tensor(_np(tb.bias))
    tc.eval(), tb.eval(), lc.eval(), lb.eval()
    tf = torch.nn.utils.fuse_conv_bn_eval(tc, tb, transpose=transpose)
    lf = lnn.utils.fuse_conv_bn_eval(lc, lb, transpose=transpose)
    assert type(lf) is type(lc) and lf is not lc
    same_state(tf, lf, 1e-12)
    close(lf(lt.tensor(x)), tf(torch.tensor(x)), 1e-10)
    close(lf(lt.tensor(x)), lb(lc(lt.tensor(x))), 1e-10)


def test_fuse_linear_bn_eval_and_weights():
    torch.manual_seed(1)
    tl, tb = tnn.Linear(3, 4).double(), tnn.BatchNorm1d(4).double()
    lt.manual_seed(1)
    ll, lb = lnn.Linear(3, 4).double(), lnn.BatchNorm1d(4).double()
    x = R.standard_normal((5, 3))
    tb(tl(torch.tensor(x)))
    lb(ll(lt.tensor(x)))
    for m in (tl, tb, ll, lb):
        m.eval()
    tf = torch.nn.utils.fuse_linear_bn_eval(tl, tb)
    lf = lnn.utils.fuse_linear_bn_eval(ll, lb)
    same_state(tf, lf, 1e-12)
    with pytest.raises(AssertionError, match="Fusion only for eval!"):
        lnn.utils.fuse_linear_bn_eval(ll.train(), lb)
    w, b = lnn.utils.fuse_conv_bn_weights(lt.ones(2, 1, 1), None, lt.zeros(2), lt.ones(2), 0.0, None, None)
    tw, tb2 = torch.nn.utils.fuse_conv_bn_weights(
        torch.ones(2, 1, 1), None, torch.zeros(2), torch.ones(2), 0.0, None, None
    )
    close(w, tw)
    close(b, tb2)
    assert isinstance(w, lnn.Parameter) and w.requires_grad == tw.requires_grad
    assert b.requires_grad == tb2.requires_grad


def test_skip_init_leaves_rng_alone():
    torch.manual_seed(5)
    lt.manual_seed(5)
    tm = torch.nn.utils.skip_init(tnn.Linear, 6, 3)
    lm = lnn.utils.skip_init(lnn.Linear, 6, 3)
    assert repr(tm) == repr(lm)
    assert tm.weight.shape == lm.weight.shape
    close(lt.randn(4), torch.randn(4), 1e-6)


def test_functional_call_matches():
    tm, lm = seeded(
        lambda: tnn.Sequential(tnn.Linear(3, 4), tnn.BatchNorm1d(4)).double(),
        lambda: lnn.Sequential(lnn.Linear(3, 4), lnn.BatchNorm1d(4)).double(),
    )
    w = R.standard_normal((4, 3))
    x = R.standard_normal((5, 3))
    tw, lw = torch.tensor(w, requires_grad=True), lt.tensor(w, requires_grad=True)
    tbuf = {"1.running_mean": torch.zeros(4, dtype=torch.float64)}
    lbuf = {"1.running_mean": lt.zeros(4, dtype=lt.float64)}
    to = torch.func.functional_call(tm, ({"0.weight": tw}, tbuf), (torch.tensor(x),))
    lo = lt.func.functional_call(lm, ({"0.weight": lw}, lbuf), (lt.tensor(x),))
    close(lo, to)
    to.sum().backward()
    lo.sum().backward()
    close(lw.grad, tw.grad)
    same_grads(tm, lm)
    same_state(tm, lm)  # the module itself is untouched (its running_mean too)
    close(lbuf["1.running_mean"], tbuf["1.running_mean"])  # the given buffer got the update


# ---- lazy modules ---------------------------------------------------------------------------------------
LAZY = [
    ("LazyLinear", (3,), (2, 5)),
    ("LazyConv1d", (4, 3), (2, 3, 8)),
    ("LazyConv2d", (4, 3), (2, 3, 6, 6)),
    ("LazyConv2d", (4, 3), (3, 6, 6)),
    ("LazyConvTranspose1d", (4, 3), (2, 3, 5)),
    ("LazyConvTranspose2d", (4, 2), (2, 3, 4, 4)),
    ("LazyBatchNorm1d", (), (4, 3)),
    ("LazyBatchNorm2d", (), (4, 3, 2, 2)),
    ("LazyInstanceNorm1d", (), (2, 3, 6)),
    ("LazyInstanceNorm2d", (), (2, 3, 4, 4)),
]


@pytest.mark.parametrize("name,args,shape", LAZY)
def test_lazy_modules(name, args, shape):
    tm, lm = seeded(
        lambda: getattr(tnn, name)(*args, dtype=torch.float64),
        lambda: getattr(lnn, name)(*args, dtype=lt.float64),
    )
    assert repr(tm) == repr(lm)
    assert list(tm.state_dict()) == list(lm.state_dict())
    x = R.standard_normal(shape)
    torch.manual_seed(2)
    lt.manual_seed(2)
    run_both(tm, lm, x)
    assert type(lm) is getattr(lnn, name.replace("Lazy", ""))
    assert type(tm).__name__ == type(lm).__name__
    assert repr(tm) == repr(lm)


def test_lazy_load_state_dict_then_forward():
    src = tnn.Linear(4, 3).double()
    tm = tnn.LazyLinear(3, dtype=torch.float64)
    lm = lnn.LazyLinear(3, dtype=lt.float64)
    tm.load_state_dict(src.state_dict())
    lm.load_state_dict({k: lt.tensor(_np(v)) for k, v in src.state_dict().items()})
    assert type(lm) is lnn.LazyLinear and repr(lm) == repr(tm)
    run_both(tm, lm, R.standard_normal((2, 4)))
    assert type(lm) is lnn.Linear and repr(lm) == repr(tm)


# ---- EmbeddingBag ----------------------------------------------------------------------------------------
BAG_CASES = [
    dict(mode="sum"),
    dict(mode="mean"),
    dict(mode="max"),
    dict(mode="sum", padding_idx=2),
    dict(mode="mean", padding_idx=2),
    dict(mode="max", padding_idx=-4),
    dict(mode="sum", include_last_offset=True),
    dict(mode="mean", include_last_offset=True),
    dict(mode="sum", max_norm=1.0),
    dict(mode="mean", max_norm=1.5, norm_type=1.0),
]


@pytest.mark.parametrize("kw", BAG_CASES, ids=str)
def test_embedding_bag(kw):
    tm, lm = seeded(
        lambda: tnn.EmbeddingBag(6, 3, **kw).double(), lambda: lnn.EmbeddingBag(6, 3, **kw).double()
    )
    assert repr(tm) == repr(lm)
    same_state(tm, lm)
    rng = np.random.default_rng(3)
    inp = np.array([1, 2, 2, 4, 5, 0, 3, 2, 1])
    offs = np.array([0, 3, 3, 6])
    psw = rng.standard_normal(9) if kw["mode"] == "sum" else None
    tp = torch.tensor(psw, requires_grad=True) if psw is not None else None
    lp = lt.tensor(psw, requires_grad=True) if psw is not None else None
    to = tm(torch.tensor(inp), torch.tensor(offs), per_sample_weights=tp)
    lo = lm(lt.tensor(inp), lt.tensor(offs), per_sample_weights=lp)
    close(lo, to)
    g = rng.standard_normal(tuple(to.shape))
    to.backward(torch.tensor(g))
    lo.backward(lt.tensor(g))
    same_grads(tm, lm)
    same_state(tm, lm)  # max_norm renormalises rows in place
    if psw is not None:
        close(lp.grad, tp.grad)
    inp2 = np.array([[1, 2, 2], [4, 5, 0]])
    close(lm(lt.tensor(inp2)), tm(torch.tensor(inp2)))


def test_embedding_bag_scale_grad_by_freq():
    # (indices chosen so that PyTorch's CPU kernel, which looks the counts up by sorted position,
    # scales as documented)
    tm, lm = seeded(
        lambda: tnn.EmbeddingBag(6, 3, mode="mean", scale_grad_by_freq=True).double(),
        lambda: lnn.EmbeddingBag(6, 3, mode="mean", scale_grad_by_freq=True).double(),
    )
    inp, offs = np.array([0, 1, 2, 2, 2]), np.array([0, 2])
    to = tm(torch.tensor(inp), torch.tensor(offs))
    lo = lm(lt.tensor(inp), lt.tensor(offs))
    to.sum().backward()
    lo.sum().backward()
    same_grads(tm, lm)


def test_embedding_bag_functional_and_errors():
    w = R.standard_normal((10, 3))

    def both(*args, **kw):
        res = []
        for lib, F in ((torch, TF), (lt, LF)):
            a = [lib.tensor(v) if isinstance(v, np.ndarray) else v for v in args]
            try:
                res.append(F.embedding_bag(*a, **kw))
            except Exception as e:  # noqa: BLE001
                res.append(e)
        t, lr = res
        if isinstance(t, Exception):
            assert type(lr) is type(t) and str(lr).split("\n")[0] == str(t).split("\n")[0], (lr, t)
        else:
            close(lr, t)

    both(np.array([1, 2, 4, 5, 4, 3, 2, 9]), w, np.array([0, 4]), mode="max")
    both(np.array([1, 2, 4, 5]), w, np.array([0, 0, 2]), mode="mean")
    both(np.array([], dtype=np.int64), w, np.array([0, 0]))
    both(np.array([1, 2, 4, 5]), w, np.array([1, 2]))
    both(np.array([1, 2, 4, 5]), w, np.array([0, 5]))
    both(np.array([1, 2, 4, 14]), w, np.array([0, 2]))
    both(np.array([1.0, 2.0]), w, np.array([0, 1]))
    both(np.array([1, 2]), w, np.array([0, 1]), mode="foo")
    both(np.array([1, 2]), w, np.array([[0, 1]]))
    both(np.array([1, 2]), w)
    both(np.array([[1, 2]]), w, np.array([0]))
    both(np.array([1, 2]), w, np.array([0, 1]), padding_idx=10)
    both(np.array([1, 2]), w, np.array([0, 1]), mode="mean", per_sample_weights=np.ones(2))


# ---- losses -----------------------------------------------------------------------------------------------
CTC_CASES = [
    dict(T=10, N=3, C=5, S=4, il=[10, 8, 6], tl=[4, 3, 2], reduction="none"),
    dict(T=10, N=3, C=5, S=4, il=[10, 8, 6], tl=[4, 3, 2], reduction="mean"),
    dict(T=10, N=3, C=5, S=4, il=[10, 8, 6], tl=[4, 3, 2], reduction="sum", concat=True),
    dict(T=10, N=3, C=5, S=4, il=[10, 8, 6], tl=[4, 0, 2], blank=2),
    dict(T=10, N=3, C=5, S=4, il=[10, 8, 6], tl=[4, 0, 2], blank=4, logits=False),
    dict(T=4, N=3, C=5, S=4, il=[4, 2, 0], tl=[4, 2, 0]),
    dict(T=4, N=3, C=5, S=4, il=[4, 2, 0], tl=[4, 2, 0], zero_infinity=True, reduction="mean"),
    dict(T=4, N=3, C=5, S=4, il=[4, 2, 1], tl=[4, 2, 1], zero_infinity=True, reduction="sum"),
    dict(T=30, N=4, C=6, S=10, il=[30, 25, 20, 12], tl=[10, 7, 5, 3], reduction="mean", repeats=True),
    dict(T=1, N=1, C=3, S=1, il=[1], tl=[1]),
    dict(T=6, N=2, C=4, S=3, il=[6, 5], tl=[3, 2], tuples=True),
]


@pytest.mark.parametrize("case", CTC_CASES, ids=lambda c: ",".join(f"{k}={v}" for k, v in c.items()))
def test_ctc_loss(case):
    c = dict(case)
    rng = np.random.default_rng(11)
    T, N, C, S = c["T"], c["N"], c["C"], c["S"]
    blank = c.get("blank", 0)
    x = rng.standard_normal((T, N, C))
    tg = rng.integers(0, C, (N, S))
    tg[tg == blank] = (blank + 1) % C
    if c.get("repeats"):
        tg[:, 1] = tg[:, 0]  # repeated labels need a blank in between
    if c.get("concat"):
        tg = np.concatenate([tg[b, : c["tl"][b]] for b in range(N)])
    g = rng.standard_normal(N) if c.get("reduction", "none") == "none" else np.array(1.0)
    res = []
    for lib, F in ((torch, TF), (lt, LF)):
        xi = lib.tensor(x, requires_grad=True)
        lp = F.log_softmax(xi, 2) if c.get("logits", True) else xi
        il, tl = (
            (tuple(c["il"]), tuple(c["tl"]))
            if c.get("tuples")
            else (lib.tensor(c["il"]), lib.tensor(c["tl"]))
        )
        out = F.ctc_loss(
            lp,
            lib.tensor(tg),
            il,
            tl,
            blank=blank,
            reduction=c.get("reduction", "none"),
            zero_infinity=c.get("zero_infinity", False),
        )
        out.backward(lib.tensor(g))
        res.append((out, xi.grad))
    (to, tgd), (lo, lgd) = res
    close(lo, to, 1e-10)
    assert np.array_equal(np.isnan(_np(lgd)), np.isnan(_np(tgd)))
    close(lgd, tgd, 1e-10)


def test_ctc_loss_module_unbatched_float32_and_errors():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((7, 4)).astype(np.float32)
    tgt = np.array([1, 3, 3])
    res = []
    for lib, nn in ((torch, tnn), (lt, lnn)):
        xi = lib.tensor(x, requires_grad=True)
        loss = nn.CTCLoss(blank=0)(xi.log_softmax(1), lib.tensor(tgt), lib.tensor(7), lib.tensor(3))
        loss.backward()
        res.append((loss, xi.grad))
    close(res[1][0], res[0][0], 1e-5)
    close(res[1][1], res[0][1], 1e-5)
    assert repr(lnn.CTCLoss(blank=2, zero_infinity=True)) == repr(tnn.CTCLoss(blank=2, zero_infinity=True))
    lp = lt.randn(5, 2, 4).log_softmax(2).requires_grad_()
    tg = lt.tensor([[1, 2], [3, 3]])
    for il, tl, msg in [
        ((6, 4), (2, 2), "Expected input_lengths to have value at most 5, but got value 6"),
        ((5, 4), (3, 2), "Expected tensor to have size at least 3 at dimension 1, but got size 2"),
        ((5, 4), (-1, 2), "Expected target_lengths to have value at least 0, but got value -1"),
        ((5,), (1, 2), "input_lengths must be of size batch_size"),
    ]:
        with pytest.raises(RuntimeError, match=msg):
            LF.ctc_loss(lp, tg, il, tl)
    with pytest.raises(RuntimeError, match="blank must be in label range"):
        LF.ctc_loss(lp, tg, (5, 4), (1, 2), blank=4)
    with pytest.raises(ValueError, match="foo is not a valid value for reduction"):
        LF.ctc_loss(lp, tg, (5, 4), (1, 2), reduction="foo")
    g = lt.autograd.grad(LF.ctc_loss(lp, tg, (5, 4), (2, 2)), lp, create_graph=True)[0]
    with pytest.raises(RuntimeError, match="derivative for aten::_ctc_loss_backward is not implemented"):
        g.sum().backward()


@pytest.mark.parametrize(
    "target",
    [
        [[3, 0, -1, 1], [1, 2, 3, 0]],
        [[3, 3, -1, 1], [-1, 2, 3, 0]],
        [[0, 1, 2, 3], [2, -1, -1, -1]],
    ],
)
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_multilabel_margin_loss(target, reduction):
    # row 1 with target 2: the hinge of class 1 sits exactly at its kink (1 - 0.5 - 0.5 = 0: no gradient)
    x = np.array([[0.1, 0.2, 0.4, 0.8], [0.5, -0.5, 0.5, 0.25]])
    res = []
    for lib, nn in ((torch, tnn), (lt, lnn)):
        xi = lib.tensor(x, requires_grad=True)
        out = nn.MultiLabelMarginLoss(reduction=reduction)(xi, lib.tensor(target))
        out.sum().backward()
        res.append((out, xi.grad))
    close(res[1][0], res[0][0])
    close(res[1][1], res[0][1])
    # unbatched
    close(
        LF.multilabel_margin_loss(lt.tensor(x[0]), lt.tensor(target[0]), reduction=reduction),
        TF.multilabel_margin_loss(torch.tensor(x[0]), torch.tensor(target[0]), reduction=reduction),
    )


def test_multilabel_margin_loss_errors():
    x = lt.zeros(1, 4)
    with pytest.raises(RuntimeError, match=r"inconsistent target size: \[1, 3\] for input of size: \[1, 4\]"):
        LF.multilabel_margin_loss(x, lt.zeros(1, 3, dtype=lt.long))
    with pytest.raises(RuntimeError, match="expected scalar type Long but found Float"):
        LF.multilabel_margin_loss(x, lt.zeros(1, 4))
    with pytest.raises(RuntimeError, match="argument #2 'target' is out of range"):
        LF.multilabel_margin_loss(x, lt.tensor([[4, -1, 0, 0]]))
    with pytest.raises(RuntimeError, match="Expected non-empty vector or matrix"):
        LF.multilabel_margin_loss(lt.zeros(2, 0), lt.zeros(2, 0, dtype=lt.long))


def test_adaptive_log_softmax_with_loss():
    tm, lm = seeded(
        lambda: tnn.AdaptiveLogSoftmaxWithLoss(16, 20, [5, 12], div_value=2.0, head_bias=True).double(),
        lambda: lnn.AdaptiveLogSoftmaxWithLoss(16, 20, [5, 12], div_value=2.0, head_bias=True).double(),
    )
    assert repr(tm) == repr(lm)
    same_state(tm, lm)
    x = R.standard_normal((7, 16))
    y = np.array([0, 4, 5, 11, 12, 19, 3])
    tx, lx = torch.tensor(x, requires_grad=True), lt.tensor(x, requires_grad=True)
    to, lo = tm(tx, torch.tensor(y)), lm(lx, lt.tensor(y))
    assert lo._fields == to._fields == ("output", "loss")
    close(lo.output, to.output)
    close(lo.loss, to.loss)
    to.loss.backward()
    lo.loss.backward()
    close(lx.grad, tx.grad)
    same_grads(tm, lm)
    close(lm.log_prob(lx), tm.log_prob(tx))
    assert lm.predict(lx).tolist() == tm.predict(tx).tolist()
    close(lm(lx[0], lt.tensor(y[0])).output, tm(tx[0], torch.tensor(y[0])).output)
    with pytest.raises(RuntimeError, match=r"Target values should be in \[0, 19\]"):
        lm(lx, lt.tensor([0, 1, 2, 3, 4, 5, 20]))
    with pytest.raises(ValueError, match="cutoffs should be a sequence of unique"):
        lnn.AdaptiveLogSoftmaxWithLoss(16, 20, [5, 5])


def test_deepcopy_of_parametrized_module_matches():
    tm, lm = seeded(
        lambda: torch.nn.utils.parametrizations.spectral_norm(tnn.Linear(4, 3).double()),
        lambda: lnn.utils.parametrizations.spectral_norm(lnn.Linear(4, 3).double()),
    )
    tc, lc = copy.deepcopy(tm), copy.deepcopy(lm)
    assert type(lc).__name__ == type(tc).__name__ == "ParametrizedLinear"
    run_both(tc, lc, R.standard_normal((2, 4)))
