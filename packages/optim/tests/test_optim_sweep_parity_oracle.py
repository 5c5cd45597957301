"""Optimizers against PyTorch where the rounding is particular: a tensor ``lr`` with float64
parameters, ASGD's two code paths, and continuing from a checkpoint PyTorch saved."""

import copy

import numpy as np
import pytest

torch = pytest.importorskip("torch")
import lanterna

pytestmark = pytest.mark.oracle

SHAPES = [(3, 4), (5,), (2, 3)]


def _data(steps, seed=0):
    rng = np.random.default_rng(seed)
    init = [rng.standard_normal(s) for s in SHAPES]
    grads = [[rng.standard_normal(s) for s in SHAPES] for _ in range(steps)]
    return init, grads


def _build(mod, name, kw, dtype, init, tensor_lr=False):
    dt = getattr(mod, dtype)
    params = [mod.tensor(a, dtype=dt, requires_grad=True) for a in init]
    frozen = mod.ones(3, dtype=dt)  # no grad ever: skipped
    kw = dict(kw)
    lr, lr2 = kw.get("lr", 1.0), kw.get("lr", 1.0) / 2
    if tensor_lr:
        kw["lr"], lr2 = mod.tensor(lr), mod.tensor(lr2)
    groups = [{"params": params[:1]}, {"params": [*params[1:], frozen], "lr": lr2}]
    return params, getattr(mod.optim, name)(groups, **kw)


def _feed(params, mod, grads):
    for i, (p, g) in enumerate(zip(params, grads)):
        p.grad = mod.tensor(g, dtype=p.dtype)


def _steps(params, opt, mod, grads, start=0):
    for s, gs in enumerate(grads, start):
        _feed(params, mod, gs)
        if s == 3:  # one parameter without a gradient this step
            params[1].grad = None
        opt.step()


def _assert_close(tp, lp, dtype):
    # float64: to the last bits; float32: to a unit or two in the last place
    rtol, atol = (1e-12, 1e-14) if dtype == "float64" else (1e-6, 1e-7)
    for a, b in zip(tp, lp):
        np.testing.assert_allclose(np.asarray(b.detach()), a.detach().numpy(), rtol=rtol, atol=atol)


TENSOR_LR = [
    ("Adam", {"lr": 0.01}),
    ("Adam", {"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True, "amsgrad": True}),
    ("AdamW", {"lr": 0.01, "amsgrad": True, "maximize": True, "weight_decay": 0.3}),
    ("Adamax", {"lr": 0.01, "weight_decay": 0.1, "maximize": True, "betas": (0.7, 0.9)}),
    ("NAdam", {"lr": 0.01, "momentum_decay": 0.01}),
    ("NAdam", {"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True, "maximize": True}),
    ("RAdam", {"lr": 0.01}),
    ("RAdam", {"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True, "betas": (0.5, 0.6)}),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.1, "initial_accumulator_value": 0.3, "weight_decay": 0.1}),
    ("ASGD", {"lr": 0.05, "lambd": 0.01, "t0": 3, "weight_decay": 0.1}),
    ("SGD", {"lr": 0.1, "momentum": 0.9, "nesterov": True, "weight_decay": 0.1}),
    ("RMSprop", {"lr": 0.01, "centered": True, "momentum": 0.9}),
]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("foreach", [False, True], ids=["loop", "foreach"])
@pytest.mark.parametrize("name,kw", TENSOR_LR, ids=[f"{n}-{i}" for i, (n, _) in enumerate(TENSOR_LR)])
def test_tensor_lr_matches_torch(name, kw, foreach, dtype):
    if name in ("Adam", "AdamW") and foreach:
        pytest.skip("a tensor lr with foreach=True is refused (both libraries)")
    init, grads = _data(6)
    tp, to = _build(torch, name, dict(kw, foreach=foreach), dtype, init, tensor_lr=True)
    lp, lo = _build(lanterna, name, dict(kw, foreach=foreach), dtype, init, tensor_lr=True)
    _steps(tp, to, torch, grads)
    _steps(lp, lo, lanterna, grads)
    _assert_close(tp, lp, dtype)


ASGD = [{}, {"lr": 0.05, "lambd": 0.01, "t0": 3, "weight_decay": 0.1}, {"maximize": True, "t0": 2},
        {"lr": 0.02, "lambd": 0.1, "alpha": 0.9, "weight_decay": 0.2, "maximize": True}]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("foreach", [None, False, True], ids=["default", "loop", "foreach"])
@pytest.mark.parametrize("kw", ASGD, ids=[str(i) for i in range(len(ASGD))])
def test_asgd_paths_match_torch(kw, foreach, dtype):
    init, grads = _data(8, seed=1)
    tp, to = _build(torch, "ASGD", dict(kw, foreach=foreach), dtype, init)
    lp, lo = _build(lanterna, "ASGD", dict(kw, foreach=foreach), dtype, init)
    _steps(tp, to, torch, grads)
    _steps(lp, lo, lanterna, grads)
    _assert_close(tp, lp, dtype)
    for k, st in to.state_dict()["state"].items():
        lst = lo.state_dict()["state"][k]
        assert list(lst) == list(st)
        for key in ("eta", "mu", "step"):
            assert lst[key].item() == st[key].item()


def _to_lanterna(v):
    if isinstance(v, torch.Tensor):
        dtype = getattr(lanterna, str(v.dtype).removeprefix("torch."))
        return lanterna.tensor(v.detach().numpy().copy(), dtype=dtype)
    if isinstance(v, dict):
        return {k: _to_lanterna(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return type(v)(_to_lanterna(x) for x in v)
    return v


RESUME = [
    ("SGD", {"lr": 0.1, "momentum": 0.9, "dampening": 0.1}),
    ("Adam", {"lr": 0.01, "amsgrad": True}),
    ("AdamW", {"lr": 0.01}),
    ("Adamax", {"lr": 0.01}),
    ("NAdam", {"lr": 0.01}),
    ("RAdam", {"lr": 0.01, "decoupled_weight_decay": True, "weight_decay": 0.1}),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.01}),
    ("Adadelta", {}),
    ("RMSprop", {"lr": 0.01, "centered": True, "momentum": 0.5}),
    ("Rprop", {}),
    ("ASGD", {"t0": 2}),
    ("ASGD", {"t0": 2, "foreach": True}),
]


@pytest.mark.parametrize("name,kw", RESUME, ids=[f"{n}-{i}" for i, (n, _) in enumerate(RESUME)])
def test_resume_from_torch_checkpoint_float64(name, kw):
    # PyTorch saves after four steps; both libraries load that state into fresh optimizers (the
    # load casts floating state to float64) and take four more steps
    init, grads = _data(8, seed=2)
    tp, to = _build(torch, name, kw, "float64", init)
    _steps(tp, to, torch, grads[:4])
    saved = to.state_dict()

    t2, to2 = _build(torch, name, kw, "float64", [p.detach().numpy() for p in tp])
    to2.load_state_dict(copy.deepcopy(saved))
    l2, lo2 = _build(lanterna, name, kw, "float64", [p.detach().numpy() for p in tp])
    lo2.load_state_dict(_to_lanterna(copy.deepcopy(saved)))
    _steps(t2, to2, torch, grads[4:], start=4)
    _steps(l2, lo2, lanterna, grads[4:], start=4)
    _assert_close(t2, l2, "float64")
    t_sd, l_sd = to2.state_dict(), lo2.state_dict()
    for k, st in t_sd["state"].items():
        for key, v in st.items():
            lv = l_sd["state"][k][key]
            if isinstance(v, torch.Tensor):
                assert str(lv.dtype).split(".")[-1] == str(v.dtype).split(".")[-1], key
    assert [{k: v for k, v in g.items()} for g in l_sd["param_groups"]] == t_sd["param_groups"]
