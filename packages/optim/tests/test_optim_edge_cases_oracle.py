"""Edge cases of the optimizers, schedulers and swa_utils against PyTorch (see test_optim_edge_cases.py)."""

import copy
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")
import lanterna

pytestmark = pytest.mark.oracle


def _opt(mod, name="SGD"):
    ps = [mod.zeros(2, requires_grad=True) for _ in range(2)]
    kw = {"momentum": 0.9} if name == "SGD" else {}
    return getattr(mod.optim, name)([{"params": [p], "lr": 0.1 * (i + 1)} for i, p in enumerate(ps)], **kw)


def _outcome(fn, mod):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return ("ok", fn(mod))
        except Exception as e:  # noqa: BLE001 (the exception is what is compared)
            return (type(e).__name__, str(e))


def _same(fn):
    assert _outcome(fn, lanterna) == _outcome(fn, torch)


@pytest.mark.parametrize("cls,kw", [
    ("CyclicLR", {"base_lr": 0.01, "max_lr": 0.1}),
    ("OneCycleLR", {"max_lr": 1.0, "total_steps": 10}),
])
def test_momentum_length_errors_match(cls, kw):
    _same(lambda m: getattr(m.optim.lr_scheduler, cls)(_opt(m), base_momentum=[0.8], max_momentum=[0.9], **kw))


LATE_GROUP = {"lr": 0.5, "initial_lr": 0.5, "max_lr": 1.0, "min_lr": 0.0, "base_momentum": 0.8, "max_momentum": 0.9}

SCHEDULERS = {
    "StepLR": lambda S, o: S.StepLR(o, 2, gamma=0.5),
    "ExponentialLR": lambda S, o: S.ExponentialLR(o, 0.9),
    "LambdaLR": lambda S, o: S.LambdaLR(o, lambda e: 0.9**e),
    "MultiplicativeLR": lambda S, o: S.MultiplicativeLR(o, [lambda e: 0.9, lambda e: 0.8]),
    "CosineAnnealingLR": lambda S, o: S.CosineAnnealingLR(o, T_max=3, eta_min=0.01),
    "CyclicLR": lambda S, o: S.CyclicLR(o, 0.01, [0.1, 0.2], step_size_up=3),
    "CosineAnnealingWarmRestarts": lambda S, o: S.CosineAnnealingWarmRestarts(o, T_0=3, T_mult=2),
    "OneCycleLR": lambda S, o: S.OneCycleLR(o, max_lr=[1.0, 2.0], total_steps=12),
    "SequentialLR": lambda S, o: S.SequentialLR(o, [S.LinearLR(o, start_factor=0.5, total_iters=2),
                                                    S.ExponentialLR(o, 0.8)], milestones=[3]),
    "ChainedScheduler": lambda S, o: S.ChainedScheduler([S.ConstantLR(o, factor=0.5, total_iters=2),
                                                         S.ExponentialLR(o, 0.9)]),
}


@pytest.mark.parametrize("with_epoch", [False, True], ids=["chainable", "epoch"])
@pytest.mark.parametrize("name", list(SCHEDULERS))
def test_group_added_after_the_scheduler(name, with_epoch):
    """Same lrs, or the same error at the same step (with the groups updated up to it)."""
    lrs = []

    def run(m):
        opt = _opt(m)
        sched = SCHEDULERS[name](m.optim.lr_scheduler, opt)
        opt.add_param_group({"params": [m.zeros(1, requires_grad=True)], **LATE_GROUP})
        lrs.clear()
        for epoch in range(1, 7):
            opt.step()
            try:
                sched.step(epoch) if with_epoch and name not in ("SequentialLR", "ChainedScheduler") else sched.step()
            finally:
                lrs.append([float(g["lr"]) for g in opt.param_groups])
        return [float(x) for x in sched.get_last_lr()]

    lan = _outcome(run, lanterna), copy.deepcopy(lrs)
    ref = _outcome(run, torch), copy.deepcopy(lrs)
    assert lan[0] == ref[0]
    np.testing.assert_allclose(lan[1], ref[1], rtol=1e-12)


def _linear_pair(in_f=16, out_f=16):
    tm = torch.nn.Linear(in_f, out_f)
    lm = lanterna.nn.Linear(in_f, out_f)
    with lanterna.no_grad():
        for a, b in zip(tm.parameters(), lm.parameters()):
            b.copy_(lanterna.tensor(a.detach().numpy()))
    return tm, lm


def _params(model, mod):
    return [np.asarray(p.detach()) if mod is lanterna else p.detach().numpy() for p in model.parameters()]


def test_averaged_model_default_swa_is_bitwise_torch():
    pytest.importorskip("lanterna.nn")
    tm, lm = _linear_pair()
    t_swa = torch.optim.swa_utils.AveragedModel(tm)
    l_swa = lanterna.optim.swa_utils.AveragedModel(lm)
    rng = np.random.default_rng(0)
    for _ in range(6):
        t_swa.update_parameters(tm)
        l_swa.update_parameters(lm)
        for a, b in zip(tm.parameters(), lm.parameters()):
            new = rng.standard_normal(tuple(a.shape)).astype(np.float32)
            with torch.no_grad():
                a.copy_(torch.tensor(new))
            with lanterna.no_grad():
                b.copy_(lanterna.tensor(new))
    for x, y in zip(_params(l_swa, lanterna), _params(t_swa, torch)):
        np.testing.assert_array_equal(x, y)
    assert int(l_swa.n_averaged) == int(t_swa.n_averaged)


def test_averaged_model_multi_avg_fn_calls_match_torch():
    pytest.importorskip("lanterna.nn")
    calls = {}
    for mod in (torch, lanterna):
        model = mod.nn.Sequential(mod.nn.Linear(3, 4), mod.nn.BatchNorm1d(4))
        seen = calls[mod.__name__] = []

        def multi_avg_fn(averaged, current, n, seen=seen):
            seen.append([(str(t.dtype).split(".")[-1], tuple(t.shape)) for t in averaged])

        swa = mod.optim.swa_utils.AveragedModel(model, multi_avg_fn=multi_avg_fn, use_buffers=True)
        for _ in range(3):
            swa.update_parameters(model)
    # one call per dtype group each update; PyTorch's C++ grouping is a hash map, so the order of
    # the groups is unspecified: compare them as sorted lists
    assert len(calls["lanterna"]) == len(calls["torch"]) == 4
    assert sorted(calls["lanterna"]) == sorted(calls["torch"])


DIFFERENTIABLE = [("SGD", {"lr": 0.1, "momentum": 0.9}), ("Adam", {"lr": 0.1}),
                  ("Adam", {"lr": 0.1, "weight_decay": 0.1}), ("AdamW", {"lr": 0.1}), ("NAdam", {}),
                  ("NAdam", {"weight_decay": 0.1, "decoupled_weight_decay": True}),
                  ("RAdam", {}), ("RMSprop", {"lr": 0.1, "centered": True, "momentum": 0.5}), ("Adagrad", {"lr": 0.1}),
                  ("Adadelta", {}), ("ASGD", {}), ("Rprop", {})]


@pytest.mark.parametrize("name,kw", DIFFERENTIABLE, ids=[f"{n}-{i}" for i, (n, _) in enumerate(DIFFERENTIABLE)])
def test_differentiable_step_gradient_matches_torch(name, kw):
    """Three differentiable steps from p = w.clone(), then d sum(p * p) / dw: same p and gradient."""
    out = {}
    for mod in (torch, lanterna):
        w = mod.tensor([1.0, -2.0, 0.5], requires_grad=True)
        p = w.clone()
        opt = getattr(mod.optim, name)([p], differentiable=True, **kw)
        for s in range(3):
            p.grad = mod.tensor([0.3, -0.1, 0.2]) * (s + 1)
            opt.step()
        (p * p).sum().backward()
        out[mod.__name__] = (np.asarray(p.detach()) if mod is lanterna else p.detach().numpy(),
                             np.asarray(w.grad) if mod is lanterna else w.grad.numpy())
    np.testing.assert_allclose(out["lanterna"][0], out["torch"][0], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(out["lanterna"][1], out["torch"][1], rtol=1e-5, atol=1e-6)
