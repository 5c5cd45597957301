"""Learning-rate schedulers against their closed forms, plus state_dicts and the usage warnings."""

import math
import pickle
import warnings

import lanterna as torch
import pytest
from lanterna import optim
from lanterna.optim import lr_scheduler as S


def _opt(lr=1.0, cls=optim.SGD, **kw):
    return cls([torch.zeros(1, requires_grad=True)], lr=lr, **kw)


def _lrs(sched, n, metric=None):
    out = []
    for e in range(n):
        sched.optimizer.step()
        sched.step(metric(e)) if metric else sched.step()
        out.append(sched.get_last_lr()[0])
    return out


CLOSED_FORMS = {
    "StepLR": (lambda o: S.StepLR(o, 3, 0.5), lambda e: 0.5 ** (e // 3)),
    "MultiStepLR": (lambda o: S.MultiStepLR(o, [2, 5, 5], 0.1), lambda e: 0.1 ** ((e >= 2) + 2 * (e >= 5))),
    "ExponentialLR": (lambda o: S.ExponentialLR(o, 0.9), lambda e: 0.9**e),
    "CosineAnnealingLR": (lambda o: S.CosineAnnealingLR(o, 8, 0.1),
                          lambda e: 0.1 + 0.9 * (1 + math.cos(math.pi * e / 8)) / 2),
    "LinearLR": (lambda o: S.LinearLR(o, 0.25, 1.0, 4), lambda e: 0.25 + 0.75 * min(e, 4) / 4),
    "ConstantLR": (lambda o: S.ConstantLR(o, 0.5, 3), lambda e: 0.5 if e < 3 else 1.0),
    "PolynomialLR": (lambda o: S.PolynomialLR(o, 6, 2.0), lambda e: (1 - min(e, 6) / 6) ** 2),
    "LambdaLR": (lambda o: S.LambdaLR(o, lambda e: 1 / (1 + e)), lambda e: 1 / (1 + e)),
    "MultiplicativeLR": (lambda o: S.MultiplicativeLR(o, lambda e: 0.8), lambda e: 0.8**e),
    "CosineAnnealingWarmRestarts": (lambda o: S.CosineAnnealingWarmRestarts(o, 4, eta_min=0.0),
                                    lambda e: (1 + math.cos(math.pi * (e % 4) / 4)) / 2),
}


@pytest.mark.parametrize("name", list(CLOSED_FORMS))
def test_closed_form(name):
    make, formula = CLOSED_FORMS[name]
    opt = _opt()
    sched = make(opt)
    assert sched.get_last_lr()[0] == pytest.approx(formula(0))
    assert _lrs(sched, 16) == pytest.approx([formula(e) for e in range(1, 17)], rel=1e-9, abs=1e-12)
    assert opt.param_groups[0]["lr"] == sched.get_last_lr()[0]
    assert opt.param_groups[0]["initial_lr"] == 1.0 and sched.last_epoch == 16


def test_cosine_recursive_form_keeps_oscillating_past_t_max():
    sched = S.CosineAnnealingLR(_opt(), T_max=3)
    lrs = _lrs(sched, 9)
    closed = [(1 + math.cos(math.pi * e / 3)) / 2 for e in range(1, 10)]
    assert lrs == pytest.approx(closed, abs=1e-12)  # rises again after T_max, period 2 * T_max


def test_warm_restarts_with_growing_periods_and_fractional_epochs():
    sched = S.CosineAnnealingWarmRestarts(_opt(), T_0=2, T_mult=2)
    lrs = _lrs(sched, 6)
    # periods 2, 4: epochs 1..6 -> T_cur 1, 0, 1, 2, 3, 0
    expected = [(1 + math.cos(math.pi * c / t)) / 2 for c, t in [(1, 2), (0, 4), (1, 4), (2, 4), (3, 4), (0, 8)]]
    assert lrs == pytest.approx(expected)
    sched.step(2.5)
    assert sched.T_i == 4 and sched.T_cur == pytest.approx(0.5) and sched.last_epoch == 2


def test_one_cycle_shape():
    opt = _opt(cls=optim.SGD, momentum=0.9)
    sched = S.OneCycleLR(opt, max_lr=1.0, total_steps=10, pct_start=0.3)
    assert sched.get_last_lr()[0] == pytest.approx(0.04) and opt.param_groups[0]["momentum"] == 0.95
    lrs = _lrs(sched, 9)
    assert lrs[1] == pytest.approx(1.0) and opt.param_groups[0]["momentum"] == pytest.approx(0.95)
    assert lrs[-1] == pytest.approx(0.04 / 1e4)
    with pytest.raises(ValueError, match="Tried to step 11 times"):
        _lrs(sched, 2)


def test_cyclic_triangular():
    opt = _opt(cls=optim.SGD, momentum=0.9)
    sched = S.CyclicLR(opt, base_lr=0.1, max_lr=1.1, step_size_up=2)
    assert _lrs(sched, 6) == pytest.approx([0.6, 1.1, 0.6, 0.1, 0.6, 1.1])
    assert opt.param_groups[0]["momentum"] == pytest.approx(0.8)


def test_cycle_momentum_needs_momentum():
    with pytest.raises(ValueError, match="optimizer must support momentum"):
        S.CyclicLR(_opt(cls=optim.Adagrad), 0.1, 1.0)


def test_sequential_and_chained():
    opt = _opt()
    seq = S.SequentialLR(opt, [S.ConstantLR(opt, 0.5, total_iters=10), S.ExponentialLR(opt, 0.5)], [2])
    assert seq.get_last_lr() == [0.5]
    assert _lrs(seq, 4) == pytest.approx([0.5, 1.0, 0.5, 0.25])
    opt = _opt()
    chain = S.ChainedScheduler([S.ConstantLR(opt, 0.5, total_iters=2), S.ExponentialLR(opt, 0.5)])
    assert _lrs(chain, 3) == pytest.approx([0.25, 0.25, 0.125])
    with pytest.raises(ValueError, match="does not support `ReduceLROnPlateau`"):
        S.ChainedScheduler([S.ReduceLROnPlateau(opt)])


def test_reduce_on_plateau():
    opt = _opt()
    sched = S.ReduceLROnPlateau(opt, mode="min", factor=0.5, patience=1, cooldown=1, min_lr=0.2)
    # a flat metric: reduce after patience + 1 bad epochs, skip one epoch of cooldown, stop at min_lr
    expected = [1.0, 1.0, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.2, 0.2, 0.2, 0.2]
    assert _lrs(sched, 12, metric=lambda e: 1.0) == expected
    with pytest.raises(ValueError, match="Factor should be < 1.0."):
        S.ReduceLROnPlateau(opt, factor=1.0)
    with pytest.raises(ValueError, match="mode foo is unknown!"):
        S.ReduceLROnPlateau(opt, mode="foo")


def test_tensor_metric_and_max_mode():
    opt = _opt()
    sched = S.ReduceLROnPlateau(opt, mode="max", patience=0, factor=0.1)
    sched.step(torch.tensor(1.0))
    sched.step(torch.tensor(0.5))
    assert sched.get_last_lr() == pytest.approx([0.1])


@pytest.mark.parametrize("make", [
    lambda o: S.StepLR(o, 2, 0.5), lambda o: S.CosineAnnealingLR(o, 5),
    lambda o: S.OneCycleLR(o, 1.0, total_steps=20), lambda o: S.CyclicLR(o, 0.1, 1.0, step_size_up=3),
    lambda o: S.SequentialLR(o, [S.LinearLR(o, 0.5, total_iters=3), S.ExponentialLR(o, 0.8)], [3]),
    lambda o: S.ReduceLROnPlateau(o, patience=0),
], ids=["StepLR", "Cosine", "OneCycle", "Cyclic", "Sequential", "Plateau"])
def test_state_dict_round_trip_continues_identically(make):
    def metric(e):
        return [1.0, 0.5, 0.6, 0.7][e % 4]

    opt_a = _opt(cls=optim.SGD, momentum=0.9)
    a = make(opt_a)
    is_plateau = isinstance(a, S.ReduceLROnPlateau)
    m = metric if is_plateau else None
    _lrs(a, 5, m)
    opt_b = _opt(cls=optim.SGD, momentum=0.9)
    b = make(opt_b)
    sd = pickle.loads(pickle.dumps(a.state_dict()))
    b.load_state_dict(sd)
    opt_b.load_state_dict(opt_a.state_dict())
    assert _lrs(b, 6, m) == _lrs(a, 6, m)


def test_lambda_state_dict_keeps_callable_objects_state():
    class Decay:
        def __init__(self):
            self.rate = 0.5

        def __call__(self, e):
            return self.rate**e

    opt = _opt()
    sched = S.LambdaLR(opt, [Decay()])
    sd = sched.state_dict()
    assert sd["lr_lambdas"] == [{"rate": 0.5}]
    sd["lr_lambdas"] = [{"rate": 0.25}]
    sched.load_state_dict(sd)
    assert sched.lr_lambdas[0].rate == 0.25
    assert S.LambdaLR(_opt(), lambda e: 1.0).state_dict()["lr_lambdas"] == [None]


def test_resuming_needs_initial_lr():
    with pytest.raises(KeyError, match="param 'initial_lr' is not specified in param_groups\\[0\\]"):
        S.StepLR(_opt(), 2, last_epoch=3)
    opt = _opt()
    S.StepLR(opt, 2)
    opt.param_groups[0]["lr"] = 0.25
    sched = S.StepLR(opt, 2, gamma=0.5, last_epoch=3)  # initial_lr is kept, not overwritten
    assert sched.base_lrs == [1.0] and sched.last_epoch == 4


def test_not_an_optimizer():
    with pytest.raises(TypeError, match="list is not an Optimizer"):
        S.StepLR([], 2)


def test_scheduler_step_before_optimizer_step_warns():
    opt = _opt()
    sched = S.StepLR(opt, 2)
    with pytest.warns(UserWarning, match="Detected call of `lr_scheduler.step\\(\\)` before `optimizer.step\\(\\)`"):
        sched.step()
    opt = _opt()
    sched = S.StepLR(opt, 2)
    opt.step()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sched.step()
        sched.get_last_lr()
    with pytest.warns(UserWarning, match="please use `get_last_lr\\(\\)`"):
        sched.get_lr()
    with pytest.warns(UserWarning, match="The epoch parameter in `scheduler.step\\(\\)` was not necessary"):
        sched.step(4)
    assert sched.get_last_lr() == [pytest.approx(0.01)]  # the closed form at epoch 4


def test_tensor_lr_is_updated_in_place():
    lr = torch.tensor(1.0)
    opt = optim.SGD([torch.zeros(1, requires_grad=True)], lr=lr)
    sched = S.ExponentialLR(opt, 0.5)
    opt.step()
    sched.step()
    assert opt.param_groups[0]["lr"] is lr and lr.item() == 0.5
    last = sched.get_last_lr()[0]
    assert isinstance(last, torch.Tensor) and last is not lr
