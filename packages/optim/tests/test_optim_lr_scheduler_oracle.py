"""Learning-rate schedulers against PyTorch: the same lr (and momentum) sequence over 30 epochs."""

import warnings

import pytest

torch = pytest.importorskip("torch")
import lanterna

pytestmark = pytest.mark.oracle


def _sequence(mod, make, opt_name="SGD", epochs=30, metric=None):
    ps = [mod.zeros(2, requires_grad=True) for _ in range(2)]
    kw = {"momentum": 0.9} if opt_name == "SGD" else {}
    opt = getattr(mod.optim, opt_name)([{"params": [p], "lr": 0.1 * (i + 1)} for i, p in enumerate(ps)], **kw)
    sched = make(mod.optim.lr_scheduler, opt)
    out = [list(sched.get_last_lr())]
    for epoch in range(epochs):
        opt.step()
        sched.step(metric(epoch)) if metric else sched.step()
        momenta = [g["momentum"] if "momentum" in g else g["betas"][0] for g in opt.param_groups]
        out.append([float(x) for x in sched.get_last_lr()] + [g["lr"] for g in opt.param_groups] + momenta)
    return out, sched


def _flat(rows):
    return [x for row in rows for x in row]


MAKES = {
    "StepLR": lambda m, o: m.StepLR(o, 4, 0.5),
    "MultiStepLR": lambda m, o: m.MultiStepLR(o, [3, 7, 7, 20], 0.3),
    "ExponentialLR": lambda m, o: m.ExponentialLR(o, 0.9),
    "CosineAnnealingLR": lambda m, o: m.CosineAnnealingLR(o, 7, eta_min=0.001),
    "CosineAnnealingWarmRestarts": lambda m, o: m.CosineAnnealingWarmRestarts(o, 3, T_mult=2, eta_min=0.01),
    "LinearLR": lambda m, o: m.LinearLR(o, 0.2, 0.9, 10),
    "ConstantLR": lambda m, o: m.ConstantLR(o, 0.4, 6),
    "LambdaLR": lambda m, o: m.LambdaLR(o, [lambda e: 1 / (e + 1), lambda e: 0.95**e]),
    "MultiplicativeLR": lambda m, o: m.MultiplicativeLR(o, lambda e: 0.97),
    "PolynomialLR": lambda m, o: m.PolynomialLR(o, 12, 2.0),
    "OneCycleLR": lambda m, o: m.OneCycleLR(o, [0.5, 1.0], total_steps=30),
    "OneCycleLR-3phase": lambda m, o: m.OneCycleLR(o, 0.5, epochs=3, steps_per_epoch=10, three_phase=True,
                                                   anneal_strategy="linear"),
    "CyclicLR": lambda m, o: m.CyclicLR(o, 0.01, 0.1, step_size_up=4, step_size_down=6),
    "CyclicLR-triangular2": lambda m, o: m.CyclicLR(o, [0.01, 0.02], 0.1, step_size_up=3, mode="triangular2"),
    "CyclicLR-exp_range": lambda m, o: m.CyclicLR(o, 0.01, 0.1, step_size_up=3, mode="exp_range", gamma=0.9),
    "SequentialLR": lambda m, o: m.SequentialLR(
        o, [m.LinearLR(o, 0.1, total_iters=5), m.CosineAnnealingLR(o, 10), m.StepLR(o, 3)], [5, 18]),
    "ChainedScheduler": lambda m, o: m.ChainedScheduler([m.ConstantLR(o, 0.5, 4), m.ExponentialLR(o, 0.9)]),
}


@pytest.mark.parametrize("name", list(MAKES))
def test_lr_sequence_matches_torch(name):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected, t_sched = _sequence(torch, MAKES[name])
        got, l_sched = _sequence(lanterna, MAKES[name])
    assert len(got) == len(expected)
    assert _flat(got) == pytest.approx(_flat(expected), rel=1e-12, abs=1e-15)
    t_sd, l_sd = t_sched.state_dict(), l_sched.state_dict()
    assert sorted(l_sd) == sorted(t_sd)


@pytest.mark.parametrize("mode", ["min", "max"])
@pytest.mark.parametrize("threshold_mode", ["rel", "abs"])
def test_reduce_on_plateau_matches_torch(mode, threshold_mode):
    values = [1.0, 0.9, 0.9, 0.91, 0.95, 0.8, 0.8, 0.8, 0.8, 0.79]

    def metric(e):
        return values[e % 10] * (1 + 0.01 * (e // 10))

    def make(m, o):
        return m.ReduceLROnPlateau(o, mode=mode, threshold_mode=threshold_mode, patience=2, cooldown=1,
                                   factor=0.5, min_lr=[0.0, 0.05])

    expected, t_sched = _sequence(torch, make, metric=metric)
    got, l_sched = _sequence(lanterna, make, metric=metric)
    assert got == expected
    assert l_sched.state_dict() == t_sched.state_dict()


def test_one_cycle_cycles_adam_betas_like_torch():
    def make(m, o):
        return m.OneCycleLR(o, 0.5, total_steps=30)

    expected, _ = _sequence(torch, make, opt_name="Adam")
    got, _ = _sequence(lanterna, make, opt_name="Adam")
    assert _flat(got) == pytest.approx(_flat(expected), rel=1e-12)


def test_warnings_match_torch():
    def record(mod, fn):
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            fn(mod)
        return [str(x.message) for x in w]

    def scheduler_before_optimizer(mod):
        opt = mod.optim.SGD([mod.zeros(1, requires_grad=True)], lr=0.1)
        sched = mod.optim.lr_scheduler.StepLR(opt, 2)
        sched.step()
        sched.get_lr()

    def with_epoch(mod):
        opt = mod.optim.SGD([mod.zeros(1, requires_grad=True)], lr=0.1)
        sched = mod.optim.lr_scheduler.StepLR(opt, 2)
        opt.step()
        sched.step(3)
        return sched.get_last_lr()

    for fn in (scheduler_before_optimizer, with_epoch):
        assert record(lanterna, fn) == record(torch, fn)


@pytest.mark.parametrize("strategy", ["cos", "linear"])
@pytest.mark.parametrize("anneal_epochs", [0, 5])
def test_swalr_matches_torch(strategy, anneal_epochs):
    from lanterna.optim.swa_utils import SWALR
    from torch.optim.swa_utils import SWALR as TorchSWALR

    def make_for(cls):
        return lambda m, o: cls(o, swa_lr=[0.01, 0.05], anneal_epochs=anneal_epochs, anneal_strategy=strategy)

    expected, _ = _sequence(torch, make_for(TorchSWALR), epochs=12)
    got, _ = _sequence(lanterna, make_for(SWALR), epochs=12)
    assert _flat(got) == pytest.approx(_flat(expected), rel=1e-12)
