"""Adafactor, Muon, SparseAdam, swap_in_optimizer_params_and_state, hooks, printing and checkpoint
interchange, against PyTorch."""

import copy
import importlib
import re

import numpy as np
import pytest

torch = pytest.importorskip("torch")
import lanterna

pytestmark = pytest.mark.oracle

SHAPES = [(3, 4), (5,), (2, 2, 3), (6, 2)]
MATRICES = [(3, 4), (6, 2)]


def _arrays(shapes, steps, seed=0):
    rng = np.random.default_rng(seed)
    init = [rng.standard_normal(s).astype(np.float32) for s in shapes]
    grads = [[rng.standard_normal(s).astype(np.float32) for s in shapes] for _ in range(steps)]
    return init, grads


def _build(mod, name, init, kw, groups=True):
    params = [mod.tensor(a, requires_grad=True) for a in init]
    if groups:  # two groups, the second with its own lr
        arg = [{"params": params[:1]}, {"params": params[1:], "lr": kw.get("lr", 0.01) / 2}]
    else:
        arg = params
    return params, getattr(mod.optim, name)(arg, **kw)


def _feed(tp, lp, grads, step):
    for i, (a, b) in enumerate(zip(tp, lp)):
        if step == 3 and i == 1:  # a parameter without gradient this step is skipped
            a.grad = b.grad = None
            continue
        a.grad = torch.tensor(grads[step][i])
        b.grad = lanterna.tensor(grads[step][i])


def _close(tp, lp, rtol):
    for a, b in zip(tp, lp):
        np.testing.assert_allclose(np.asarray(b.detach()), a.detach().numpy(), rtol=rtol, atol=rtol)


# ---- Adafactor ---------------------------------------------------------------------------------
ADAFACTOR = [{}, {"lr": 0.1}, {"lr": 0.05, "weight_decay": 0.1}, {"maximize": True},
             {"eps": (1e-3, 1e-3), "d": 1.5, "beta2_decay": -0.5}, {"lr": 0.02, "weight_decay": 0.5, "d": 1.0}]


@pytest.mark.parametrize("foreach", [None, False, True], ids=["default", "loop", "foreach"])
@pytest.mark.parametrize("kw", ADAFACTOR, ids=[str(i) for i in range(len(ADAFACTOR))])
def test_adafactor_ten_steps_match_torch(kw, foreach):
    # float32 tolerance: PyTorch's norms and means reduce in another order, and its loop path
    # fuses param + alpha * update into one rounding
    init, grads = _arrays(SHAPES, 10)
    kw = dict(kw, foreach=foreach)
    tp, to = _build(torch, "Adafactor", init, kw)
    lp, lo = _build(lanterna, "Adafactor", init, kw)
    for s in range(10):
        _feed(tp, lp, grads, s)
        to.step()
        lo.step()
    _close(tp, lp, rtol=1e-5)
    t_sd, l_sd = to.state_dict(), lo.state_dict()
    assert l_sd["param_groups"] == t_sd["param_groups"]
    for k, st in t_sd["state"].items():
        assert list(l_sd["state"][k]) == list(st)
        for key, v in st.items():
            np.testing.assert_allclose(np.asarray(l_sd["state"][k][key]), v.numpy(), rtol=1e-5, atol=1e-7)
    assert repr(lo) == repr(to)


def test_adafactor_tensor_lr_and_float64_match_torch():
    init, grads = _arrays(SHAPES[:2], 5)
    tp = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in init]
    lp = [lanterna.tensor(a, dtype=lanterna.float64, requires_grad=True) for a in init]
    to = torch.optim.Adafactor(tp, lr=torch.tensor(0.05), weight_decay=0.1)
    lo = lanterna.optim.Adafactor(lp, lr=lanterna.tensor(0.05), weight_decay=0.1)
    for s in range(5):
        for a, b, g in zip(tp, lp, grads[s]):
            a.grad, b.grad = torch.tensor(g, dtype=torch.float64), lanterna.tensor(g, dtype=lanterna.float64)
        to.step()
        lo.step()
    _close(tp, lp, rtol=1e-12)  # eps1 is float64's machine epsilon here
    assert repr(lo) == repr(to)


# ---- Muon --------------------------------------------------------------------------------------
MUON = [{}, {"lr": 0.02}, {"lr": 0.02, "nesterov": False, "momentum": 0.9},
        {"lr": 0.05, "adjust_lr_fn": "match_rms_adamw", "weight_decay": 0.0},
        {"lr": 0.02, "ns_steps": 3, "adjust_lr_fn": "original", "ns_coefficients": (3.0, -3.2, 1.2)}]


@pytest.mark.parametrize("kw", MUON, ids=[str(i) for i in range(len(MUON))])
def test_muon_ten_steps_match_torch(kw):
    # small matrices: the emulated bfloat16 iteration gives PyTorch's bits (seen bit-exact on
    # AVX-512 CPUs); the tolerance leaves room for other CPUs' bfloat16 matmul kernels
    init, grads = _arrays(MATRICES, 10)
    tp, to = _build(torch, "Muon", init, kw)
    lp, lo = _build(lanterna, "Muon", init, kw)
    for s in range(10):
        _feed(tp, lp, grads, s)
        to.step()
        lo.step()
    _close(tp, lp, rtol=1e-6)
    assert repr(lo) == repr(to)
    assert str(lo.state_dict()) == str(to.state_dict())


def test_muon_larger_matrices_agree_to_bfloat16_precision():
    # a one-ulp bfloat16 difference in a long float32 accumulation grows through the iterations:
    # the updates agree to about 1% of a step
    rng = np.random.default_rng(5)
    for shape in [(64, 32), (24, 80)]:
        w = rng.standard_normal(shape).astype(np.float32)
        tp, lp = torch.tensor(w, requires_grad=True), lanterna.tensor(w, requires_grad=True)
        to, lo = torch.optim.Muon([tp], lr=0.02), lanterna.optim.Muon([lp], lr=0.02)
        for _ in range(5):
            g = rng.standard_normal(shape).astype(np.float32)
            tp.grad, lp.grad = torch.tensor(g), lanterna.tensor(g)
            to.step()
            lo.step()
        np.testing.assert_allclose(np.asarray(lp.detach()), tp.detach().numpy(), rtol=0, atol=0.02 * 0.05)


def test_muon_newton_schulz_matches_torch_bfloat16():
    from lanterna.optim._muon import _zeropower_via_newtonschulz as lz
    from torch.optim._muon import _zeropower_via_newtonschulz as tz

    rng = np.random.default_rng(1)
    coeffs = (3.4445, -4.7750, 2.0315)
    for shape in [(3, 4), (4, 3), (8, 8), (5, 16)]:
        g = rng.standard_normal(shape).astype(np.float32)
        t = tz(torch.tensor(g), coeffs, 5, 1e-7).float().numpy()
        lo = np.asarray(lz(lanterna.tensor(g), coeffs, 5, 1e-7))
        np.testing.assert_allclose(lo, t, rtol=0, atol=2**-7)  # at most a bfloat16 ulp or so
        assert (lo == t).mean() > 0.9


def test_round_to_bfloat16_matches_torch():
    from lanterna.optim._muon import _round_to_bfloat16

    rng = np.random.default_rng(2)
    x = np.concatenate([rng.standard_normal(2000).astype(np.float32) * 10.0 ** rng.integers(-30, 30, 2000),
                        np.array([0.0, -0.0, np.inf, -np.inf, 3.0e38, -3.0e38, 1e-40, 1.00390625, 1.01171875],
                                 dtype=np.float32)])
    t = torch.tensor(x).bfloat16().float().numpy()
    lo = np.asarray(_round_to_bfloat16(lanterna.tensor(x)))
    np.testing.assert_array_equal(lo, t)
    assert np.isnan(np.asarray(_round_to_bfloat16(lanterna.tensor([float("nan")])))).all()


# ---- SparseAdam --------------------------------------------------------------------------------
def test_sparse_adam_dense_gradient_error_and_format_match_torch():
    tp, lp = torch.zeros(3, requires_grad=True), lanterna.zeros(3, requires_grad=True)
    to, lo = torch.optim.SparseAdam([tp], lr=0.01), lanterna.optim.SparseAdam([lp], lr=0.01)
    assert repr(lo) == repr(to)
    assert str(lo.state_dict()) == str(to.state_dict())
    tp.grad, lp.grad = torch.ones(3), lanterna.ones(3)
    with pytest.raises(RuntimeError) as et:
        to.step()
    with pytest.raises(RuntimeError) as el:
        lo.step()
    assert str(el.value) == str(et.value)
    assert len(lo.state) == len(to.state) == 0


@pytest.mark.parametrize("kw", [{}, {"lr": 0.01, "betas": (0.8, 0.9), "eps": 1e-3}, {"lr": 0.05, "maximize": True}])
def test_sparse_adam_rule_matches_torch_on_sparse_gradients(kw):
    """The functional rule with dense gradients equals PyTorch's SparseAdam fed ``grad.to_sparse()``."""
    from lanterna.optim._functional import sparse_adam

    rng = np.random.default_rng(3)
    init = [rng.standard_normal(s).astype(np.float32) for s in [(6, 4), (7,)]]
    tp = [torch.tensor(a, requires_grad=True) for a in init]
    to = torch.optim.SparseAdam(tp, **kw)
    lp = [lanterna.tensor(a) for a in init]
    exp_avgs = [lanterna.zeros_like(p) for p in lp]
    exp_avg_sqs = [lanterna.zeros_like(p) for p in lp]
    b1, b2 = kw.get("betas", (0.9, 0.999))
    for s in range(10):
        gs = [rng.standard_normal(a.shape).astype(np.float32) * (rng.random(a.shape) < 0.5) for a in init]
        for a, g in zip(tp, gs):
            a.grad = torch.tensor(g).to_sparse()
        to.step()
        with lanterna.no_grad():
            sparse_adam(lp, [lanterna.tensor(g) for g in gs], exp_avgs, exp_avg_sqs, [s + 1] * len(lp),
                        eps=kw.get("eps", 1e-8), beta1=b1, beta2=b2, lr=kw.get("lr", 1e-3),
                        maximize=kw.get("maximize", False))
    for a, b, m, v in zip(tp, lp, exp_avgs, exp_avg_sqs):
        st = to.state[a]
        np.testing.assert_array_equal(np.asarray(m), st["exp_avg"].numpy())  # bit for bit
        np.testing.assert_array_equal(np.asarray(v), st["exp_avg_sq"].numpy())
        # PyTorch's vectorised sqrt may differ from a correctly rounded one by an ulp
        np.testing.assert_allclose(np.asarray(b), a.detach().numpy(), rtol=1e-6, atol=1e-7)


def test_sparse_adam_torch_checkpoint_loads(tmp_path):
    rng = np.random.default_rng(4)
    init = rng.standard_normal((5, 3)).astype(np.float32)
    tp = torch.tensor(init, requires_grad=True)
    to = torch.optim.SparseAdam([tp], lr=0.01)
    for _ in range(3):
        tp.grad = torch.tensor(rng.standard_normal((5, 3)).astype(np.float32)).to_sparse()
        to.step()
    torch.save(to.state_dict(), tmp_path / "sparse_adam.pt")
    lp = lanterna.tensor(init, requires_grad=True)
    lo = lanterna.optim.SparseAdam([lp], lr=0.01)
    lo.load_state_dict(lanterna.load(tmp_path / "sparse_adam.pt"))
    assert lo.state[lp]["step"] == 3 and isinstance(lo.state[lp]["step"], int)
    assert str(lo.state_dict()) == str(to.state_dict())
    assert repr(lo) == repr(to)


# ---- construction errors -----------------------------------------------------------------------
def test_new_optimizer_errors_match_torch():
    calls = [
        lambda m, p: m.optim.Adafactor([p], lr=-1.0),
        lambda m, p: m.optim.Adafactor([p], lr=m.tensor([0.1, 0.2])),
        lambda m, p: m.optim.Adafactor([p], beta2_decay=0.5),
        lambda m, p: m.optim.Adafactor([p], eps=(-1.0, 1e-3)),
        lambda m, p: m.optim.Adafactor([p], eps=(None, -1e-3)),
        lambda m, p: m.optim.Adafactor([p], d=0.5),
        lambda m, p: m.optim.Adafactor([p], weight_decay=-0.1),
        lambda m, p: m.optim.Adafactor([p], foo=1),
        lambda m, p: m.optim.Muon([p], lr=-1.0),
        lambda m, p: m.optim.Muon([p], momentum=-0.5),
        lambda m, p: m.optim.Muon([p], weight_decay=-0.1),
        lambda m, p: m.optim.Muon([p], adjust_lr_fn="other"),
        lambda m, p: m.optim.Muon([p, m.zeros(3, requires_grad=True)]),
        lambda m, p: m.optim.Muon([m.zeros(2, 2, 2, requires_grad=True)]),
        lambda m, p: m.optim.Muon([p], lr=m.tensor([0.1, 0.2])),
        lambda m, p: m.optim.SparseAdam([p], lr=0.0),
        lambda m, p: m.optim.SparseAdam([p], eps=0.0),
        lambda m, p: m.optim.SparseAdam([p], betas=(1.0, 0.9)),
        lambda m, p: m.optim.SparseAdam([p], betas=(0.9, -0.1)),
        lambda m, p: m.optim.SparseAdam([p], lr=m.tensor([0.1, 0.2])),
        lambda m, p: m.optim.SparseAdam([], lr=0.1),
        lambda m, p: importlib.import_module(m.__name__ + ".optim._muon")._zeropower_via_newtonschulz(
            m.zeros(2, 2, 2), (1.0, 2.0, 3.0), 5, 1e-7),
        lambda m, p: importlib.import_module(m.__name__ + ".optim._muon")._zeropower_via_newtonschulz(
            m.zeros(2, 2), (1.0, 2.0), 5, 1e-7),
        lambda m, p: importlib.import_module(m.__name__ + ".optim._muon")._zeropower_via_newtonschulz(
            m.zeros(2, 2), (1.0, 2.0, 3.0), 100, 1e-7),
        lambda m, p: importlib.import_module(m.__name__ + ".optim._muon").muon(
            [p], [p], [p], foreach=True, lr=0.1, weight_decay=0.0, momentum=0.9, nesterov=True,
            ns_coefficients=(1.0, 2.0, 3.0), ns_steps=5, eps=1e-7, adjust_lr_fn=None, has_complex=False),
    ]
    for call in calls:
        with pytest.raises(Exception) as et:
            call(torch, torch.zeros(2, 3, requires_grad=True))
        with pytest.raises(type(et.value)) as el:
            call(lanterna, lanterna.zeros(2, 3, requires_grad=True))
        assert str(el.value) == str(et.value)


def test_defaults_match_torch():
    import inspect

    for name in ["Adafactor", "Muon", "SparseAdam"]:
        ts = inspect.signature(getattr(torch.optim, name).__init__)
        ls = inspect.signature(getattr(lanterna.optim, name).__init__)
        assert [(p.name, p.default, p.kind) for p in ls.parameters.values()] == [
            (p.name, p.default, p.kind) for p in ts.parameters.values()]
        tp, lp = torch.zeros(2, 2, requires_grad=True), lanterna.zeros(2, 2, requires_grad=True)
        assert getattr(lanterna.optim, name)([lp]).defaults == getattr(torch.optim, name)([tp]).defaults


def test_public_names_match_torch():
    missing = {n for n in dir(torch.optim) if not n.startswith("__")} - set(dir(lanterna.optim))
    assert missing == set()
    assert set(torch.optim.__all__) == set(lanterna.optim.__all__)
    sched = torch.optim.lr_scheduler
    public = {n for n in dir(sched) if not n.startswith("_") and getattr(getattr(sched, n), "__module__", "") in (
        "torch.optim.lr_scheduler", "torch.optim.optimizer")}
    assert public - set(dir(lanterna.optim.lr_scheduler)) == set()


# ---- printing and checkpoints: every optimizer --------------------------------------------------
ALL = [
    ("SGD", {"lr": 0.1, "momentum": 0.9, "nesterov": True}), ("Adam", {"lr": 0.01, "amsgrad": True}),
    ("AdamW", {"lr": 0.01}), ("Adamax", {"lr": 0.01}), ("NAdam", {"lr": 0.01, "decoupled_weight_decay": True}),
    ("RAdam", {"lr": 0.01}), ("RMSprop", {"lr": 0.01, "momentum": 0.5, "centered": True}),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.01}), ("Adadelta", {}), ("Rprop", {}), ("ASGD", {"t0": 2}),
    ("Adafactor", {"lr": 0.05}), ("Adafactor", {"foreach": True, "weight_decay": 0.1}), ("Muon", {"lr": 0.02}),
]


@pytest.mark.parametrize("name,kw", ALL, ids=[f"{n}-{i}" for i, (n, _) in enumerate(ALL)])
def test_torch_checkpoint_resumes_in_lanterna(name, kw, tmp_path):
    """torch.save(optimizer.state_dict()) -> lanterna.load -> load_state_dict: training continues
    as in PyTorch, and the loaded optimizer prints (repr and state_dict) exactly as PyTorch's."""
    shapes = MATRICES if name == "Muon" else SHAPES
    init, grads = _arrays(shapes, 6, seed=7)
    tp, to = _build(torch, name, init, kw)
    for s in range(3):
        for i, a in enumerate(tp):
            a.grad = torch.tensor(grads[s][i])
        to.step()
    torch.save(to.state_dict(), tmp_path / "optim.pt")
    lp, lo = _build(lanterna, name, [a.detach().numpy() for a in tp], kw)
    lo.load_state_dict(lanterna.load(tmp_path / "optim.pt"))
    assert repr(lo) == repr(to)
    assert str(lo.state_dict()) == str(to.state_dict())
    for s in range(3, 6):
        _feed(tp, lp, grads, s)
        to.step()
        lo.step()
    _close(tp, lp, rtol=2e-5 if name == "Adafactor" else 1e-6)


@pytest.mark.parametrize("name,kw", ALL, ids=[f"{n}-{i}" for i, (n, _) in enumerate(ALL)])
def test_lanterna_checkpoint_resumes_in_torch(name, kw, tmp_path):
    shapes = MATRICES if name == "Muon" else SHAPES
    init, grads = _arrays(shapes, 6, seed=8)
    lp, lo = _build(lanterna, name, init, kw)
    for s in range(3):
        for i, b in enumerate(lp):
            b.grad = lanterna.tensor(grads[s][i])
        lo.step()
    lanterna.save(lo.state_dict(), tmp_path / "optim.pt")
    tp, to = _build(torch, name, [np.asarray(b.detach()) for b in lp], kw)
    to.load_state_dict(torch.load(tmp_path / "optim.pt", weights_only=True))
    assert str(lo.state_dict()) == str(to.state_dict())
    for s in range(3, 6):
        _feed(tp, lp, grads, s)
        to.step()
        lo.step()
    _close(tp, lp, rtol=2e-5 if name == "Adafactor" else 1e-6)


REPRS = [
    ("SGD", {}), ("SGD", {"lr": 0.5, "momentum": 0.9, "weight_decay": 1e-4, "foreach": False}),
    ("Adam", {}), ("Adam", {"betas": (0.8, 0.99), "fused": True}), ("AdamW", {"amsgrad": True}),
    ("Adamax", {}), ("NAdam", {}), ("RAdam", {"decoupled_weight_decay": True}), ("RMSprop", {}),
    ("Adagrad", {}), ("Adadelta", {}), ("Rprop", {}), ("ASGD", {}), ("LBFGS", {}),
    ("LBFGS", {"line_search_fn": "strong_wolfe", "history_size": 5}), ("Adafactor", {}),
    ("Adafactor", {"eps": (1e-30, 1e-3), "lr": 0.1}), ("Muon", {}), ("SparseAdam", {}),
]


@pytest.mark.parametrize("name,kw", REPRS, ids=[f"{n}-{i}" for i, (n, _) in enumerate(REPRS)])
def test_repr_and_fresh_state_dict_print_like_torch(name, kw):
    for named in (False, True):
        tp, lp = torch.zeros(2, 2, requires_grad=True), lanterna.zeros(2, 2, requires_grad=True)
        to = getattr(torch.optim, name)([("w", tp)] if named else [tp], **kw)
        lo = getattr(lanterna.optim, name)([("w", lp)] if named else [lp], **kw)
        assert repr(lo) == repr(to)
        assert str(lo.state_dict()) == str(to.state_dict())


def test_lbfgs_state_dict_prints_like_torch(tmp_path):
    rng = np.random.default_rng(9)
    x0 = rng.standard_normal(4).astype(np.float32)
    xt = torch.tensor(x0, requires_grad=True)
    ot = torch.optim.LBFGS([xt], max_iter=3, history_size=2)

    def closure():
        ot.zero_grad()
        loss = ((xt - 1) ** 4).sum()
        loss.backward()
        return loss

    ot.step(closure)
    torch.save(ot.state_dict(), tmp_path / "lbfgs.pt")
    xl = lanterna.tensor(xt.detach().numpy(), requires_grad=True)
    ol = lanterna.optim.LBFGS([xl], max_iter=3, history_size=2)
    ol.load_state_dict(lanterna.load(tmp_path / "lbfgs.pt"))
    assert str(ol.state_dict()) == str(ot.state_dict())


# ---- hooks -------------------------------------------------------------------------------------
def _hook_scenario(m):
    """Registers, fires and removes every kind of optimizer hook; returns what happened, in order."""
    optimizer_mod = importlib.import_module(m.__name__ + ".optim.optimizer")
    log = []
    p, q = m.zeros(2, requires_grad=True), m.zeros(3, requires_grad=True)
    opt = m.optim.Adam([{"params": [p]}, {"params": [q], "lr": 0.5}], lr=0.1)

    def closure():
        log.append("closure")
        return m.tensor(1.0)

    h1 = opt.register_step_pre_hook(lambda o, a, k: log.append(("pre1", o is opt, len(a), sorted(k))))
    h2 = opt.register_step_pre_hook(lambda o, a, k: (a, {"closure": closure}))
    opt.register_step_post_hook(lambda o, a, k: log.append(("post", len(a), sorted(k))))
    g1 = optimizer_mod.register_optimizer_step_pre_hook(lambda o, a, k: log.append(("gpre", type(o).__name__)))
    g2 = optimizer_mod.register_optimizer_step_post_hook(lambda o, a, k: log.append(("gpost", type(o).__name__)))
    p.grad, q.grad = m.ones(2), m.ones(3)
    log.append(("out", float(opt.step())))  # the pre-hook supplied the closure
    h2.remove()
    h2.remove()
    opt.step(closure)
    g1.remove()
    g2.remove()
    with h1:
        opt.step()
    opt.step()
    log.append(("handle", type(h1).__name__, isinstance(h1.id, int)))

    opt.register_state_dict_pre_hook(lambda o: log.append("sd_pre_a"))
    opt.register_state_dict_pre_hook(lambda o: log.append("sd_pre_b"), prepend=True)
    opt.register_state_dict_post_hook(lambda o, sd: log.append(("sd_post_a", sorted(sd))))

    def add_extra(o, sd):
        return {**sd, "extra": 7}

    opt.register_state_dict_post_hook(add_extra, prepend=True)
    sd = opt.state_dict()
    log.append(("sd", sorted(sd), sd["extra"], [g["params"] for g in sd["param_groups"]], sorted(sd["state"])))

    opt.register_load_state_dict_pre_hook(lambda o, s: log.append(("ld_pre_a", sorted(s), s is sd)))

    def strip(o, s):
        s = dict(s)
        s.pop("extra")
        s["param_groups"][1]["lr"] = 0.25
        return s

    opt.register_load_state_dict_pre_hook(strip, prepend=True)
    opt.register_load_state_dict_post_hook(lambda o: log.append(("ld_post_a", o.param_groups[1]["lr"])))
    opt.register_load_state_dict_post_hook(lambda o: log.append("ld_post_b"), prepend=True)
    opt.load_state_dict(sd)
    log.append(("after", sorted(sd), opt.param_groups[1]["lr"]))

    opt.register_step_pre_hook(lambda o, a, k: 5)
    try:
        opt.step()
    except RuntimeError as e:
        log.append(("err", re.sub(r" at 0x[0-9a-fA-F]+", "", str(e))))

    class Plain(m.optim.Optimizer):
        def __init__(self, params):
            super().__init__(params, {"lr": 1.0})

        def step(self, closure=None):
            log.append("plain-step")
            return 3

    o2, o3 = Plain([p]), Plain([q])
    o2.register_step_post_hook(lambda o, a, k: log.append("plain-post"))
    log.append(("plain", o2.step(), o3.step(), getattr(Plain.step, "hooked", None)))
    log.append(("attributes", sorted(vars(opt))))
    return log


def test_hooks_behave_like_torch():
    assert _hook_scenario(lanterna) == _hook_scenario(torch)


@pytest.mark.parametrize("name,kw", [("Adafactor", {}), ("Muon", {}), ("SGD", {"momentum": 0.9})])
def test_step_hooks_fire_for_new_optimizers(name, kw):
    logs = []
    for m in (torch, lanterna):
        log = []
        p = m.zeros(2, 2, requires_grad=True)
        opt = getattr(m.optim, name)([p], **kw)
        opt.register_step_pre_hook(lambda o, a, k, log=log: log.append("pre"))
        opt.register_step_post_hook(lambda o, a, k, log=log: log.append(("post", len(o.state))))
        p.grad = m.ones(2, 2)
        opt.step()
        logs.append(log)
    assert logs[0] == logs[1] == ["pre", ("post", 1)]


# ---- swap_in_optimizer_params_and_state --------------------------------------------------------
def _swap_scenario(m):
    init, grads = _arrays([(3, 2), (4,)], 4, seed=11)
    params = [m.tensor(a, requires_grad=True) for a in init]
    opt = m.optim.Adam([{"params": params[:1]}, {"params": params[1:], "lr": 0.05}], lr=0.01)
    for i, p in enumerate(params):
        p.grad = m.tensor(grads[0][i])
    opt.step()
    saved = copy.deepcopy(opt.state_dict())
    saved["param_groups"][0]["lr"] = 0.1
    others = {f"p{i}": m.tensor(a * 2, requires_grad=True) for i, a in enumerate(init)}
    for i, p in enumerate(others.values()):
        p.grad = m.tensor(grads[1][i])
    groups_before = [g["params"] for g in opt.param_groups]
    with m.optim.swap_in_optimizer_params_and_state(opt, others, saved):
        inside = [g["lr"] for g in opt.param_groups]
        opt.step()
    out = {
        "inside": inside,
        "lr": [g["lr"] for g in opt.param_groups],
        "same_lists": all(a is b["params"] for a, b in zip(groups_before, opt.param_groups)),
        "others": [np.asarray(p.detach()).tolist() for p in others.values()],
        "params": [np.asarray(p.detach()).tolist() for p in params],
        "saved_step": [float(s["step"]) for s in saved["state"].values()],
        "live_step": [float(opt.state[p]["step"]) for p in params],
    }
    errors = []
    for bad in [
        lambda: {"state": [], "param_groups": saved["param_groups"]},
        lambda: {"state": {params[0]: {}}, "param_groups": saved["param_groups"]},
        lambda: {"state": {0: 1}, "param_groups": saved["param_groups"]},
        lambda: {"state": saved["state"], "param_groups": ()},
        lambda: {"state": saved["state"], "param_groups": saved["param_groups"][:1]},
        lambda: {"state": saved["state"], "param_groups": [saved["param_groups"][0], 3]},
        lambda: {"state": saved["state"], "param_groups": [saved["param_groups"][0], {"params": ["a"]}]},
        lambda: {"state": saved["state"], "param_groups": [saved["param_groups"][0], {"params": [1, 2]}]},
        lambda: {"state": saved["state"], "param_groups": [saved["param_groups"][0], {"params": [1], "x": 1}]},
        lambda: {"state": {**saved["state"], 9: {}}, "param_groups": saved["param_groups"]},
        lambda: [],
    ]:
        try:
            with m.optim.swap_in_optimizer_params_and_state(opt, others, bad()):
                pass
        except RuntimeError as e:
            errors.append(str(e))
    try:
        with m.optim.swap_in_optimizer_params_and_state(opt, {"a": params[0]}, saved):
            pass
    except RuntimeError as e:
        errors.append(str(e))
    fresh = m.optim.SGD([m.zeros(1, requires_grad=True)])
    try:
        with m.optim.swap_in_optimizer_params_and_state(fresh, {}, fresh.state_dict()):
            pass
    except RuntimeError as e:
        errors.append(str(e))
    out["errors"] = errors
    return out


def test_swap_in_optimizer_params_and_state_matches_torch():
    t, lo = _swap_scenario(torch), _swap_scenario(lanterna)
    assert lo.pop("errors") == t.pop("errors")
    for key in ["others", "params"]:
        for a, b in zip(lo.pop(key), t.pop(key)):
            np.testing.assert_allclose(a, b, rtol=1e-6)
    assert lo == t
