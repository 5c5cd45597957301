"""Edge cases of the optimizers, schedulers and swa_utils where Lanterna once differed from PyTorch."""

import lanterna as torch
import numpy as np
import pytest
from lanterna.optim import lr_scheduler, swa_utils


def _opt(groups=2, cls=torch.optim.SGD, **kw):
    kw = {"momentum": 0.9, **kw} if cls is torch.optim.SGD else kw
    params = [torch.zeros(2, requires_grad=True) for _ in range(groups)]
    return cls([{"params": [p], "lr": 0.1 * (i + 1)} for i, p in enumerate(params)], **kw)


# ---- CyclicLR checks base_momentum before max_momentum (OneCycleLR the other way round) ----

def test_cyclic_lr_names_base_momentum_first():
    with pytest.raises(ValueError, match="^base_momentum must have the same length"):
        lr_scheduler.CyclicLR(_opt(), 0.01, 0.1, base_momentum=[0.8], max_momentum=[0.9])


def test_one_cycle_lr_names_max_momentum_first():
    with pytest.raises(ValueError, match="^max_momentum must have the same length"):
        lr_scheduler.OneCycleLR(_opt(), 1.0, total_steps=10, base_momentum=[0.8], max_momentum=[0.9])


# ---- a group added after the scheduler: PyTorch's strict zips raise, nothing is skipped ----

_LATE_GROUP = {"lr": 0.5, "initial_lr": 0.5, "max_lr": 1.0, "min_lr": 0.0, "base_momentum": 0.8, "max_momentum": 0.9}

RAISING = {
    "LambdaLR": (lambda o: lr_scheduler.LambdaLR(o, lambda e: 0.9**e), "shorter"),
    "MultiplicativeLR": (lambda o: lr_scheduler.MultiplicativeLR(o, [lambda e: 0.9, lambda e: 0.8]), "longer"),
    "CosineAnnealingLR": (lambda o: lr_scheduler.CosineAnnealingLR(o, T_max=3, eta_min=0.01), "longer"),
    "CyclicLR": (lambda o: lr_scheduler.CyclicLR(o, 0.01, 0.1, step_size_up=2), "shorter"),
    "CosineAnnealingWarmRestarts": (lambda o: lr_scheduler.CosineAnnealingWarmRestarts(o, T_0=3), "shorter"),
}


@pytest.mark.parametrize("name", list(RAISING))
def test_group_added_after_the_scheduler_raises(name):
    make, word = RAISING[name]
    opt = _opt()
    sched = make(opt)
    opt.step()
    sched.step()
    opt.add_param_group({"params": [torch.zeros(1, requires_grad=True)], **_LATE_GROUP})
    with pytest.raises(ValueError, match=f"zip\\(\\) argument 2 is {word} than argument 1"):
        for _ in range(4):  # CosineAnnealingLR reaches its strict branch at epoch T_max + 1
            opt.step()
            sched.step()


def test_group_added_after_the_scheduler_raises_with_an_epoch():
    opt = _opt()
    sched = lr_scheduler.ExponentialLR(opt, 0.9)
    opt.add_param_group({"params": [torch.zeros(1, requires_grad=True)], **_LATE_GROUP})
    opt.step()
    with pytest.warns(UserWarning, match="epoch parameter"), pytest.raises(ValueError, match="is shorter than"):
        sched.step(3)  # the closed form has one value per base_lr: two for three groups
    assert sched.get_last_lr() == pytest.approx([0.1, 0.2])  # not updated by the failed step


def test_chainable_scheduler_still_takes_a_late_group():
    opt = _opt()
    sched = lr_scheduler.ExponentialLR(opt, 0.5)
    opt.add_param_group({"params": [torch.zeros(1, requires_grad=True)], "lr": 1.0})
    opt.step()
    sched.step()
    assert sched.get_last_lr() == pytest.approx([0.05, 0.1, 0.5])


# ---- AveragedModel ----

def _nn():
    nn = pytest.importorskip("lanterna.nn")
    if not all(hasattr(nn, n) for n in ("Module", "Linear", "BatchNorm1d", "Sequential")):
        pytest.skip("lanterna.nn is not complete here")
    return nn


def test_averaged_model_default_average_is_pytorchs_cpu_formula():
    """On the CPU PyTorch averages with avg + (p - avg) / (n + 1), not with lerp (which rounds differently)."""
    nn = _nn()
    model = nn.Linear(16, 16)
    swa_model = swa_utils.AveragedModel(model)
    rng = np.random.default_rng(0)
    swa_model.update_parameters(model)
    expected = [p.detach().clone() for p in model.parameters()]
    lerped = [p.detach().clone() for p in model.parameters()]
    for n in range(1, 6):
        with torch.no_grad():
            for p in model.parameters():
                p.copy_(torch.tensor(rng.standard_normal(tuple(p.shape)).astype(np.float32)))
        swa_model.update_parameters(model)
        for e, lp, p in zip(expected, lerped, model.parameters()):
            e.copy_(e + (p.detach() - e) / torch.tensor(n + 1))
            lp.lerp_(p.detach(), 1 / (n + 1))
    got = [np.asarray(p.detach()) for p in swa_model.module.parameters()]
    for g, e in zip(got, expected):
        np.testing.assert_array_equal(g, np.asarray(e))
    # the two formulas do round differently on these values: the check above can fail
    assert any(not np.array_equal(g, np.asarray(lp)) for g, lp in zip(got, lerped))


def test_averaged_model_multi_avg_fn_sees_one_dtype_per_call():
    nn = _nn()
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
    seen = []

    def multi_avg_fn(averaged, current, n):
        seen.append({str(t.dtype) for t in averaged} | {str(t.dtype) for t in current})

    swa_model = swa_utils.AveragedModel(model, multi_avg_fn=multi_avg_fn, use_buffers=True)
    swa_model.update_parameters(model)
    swa_model.update_parameters(model)
    assert len(seen) == 2  # floats (parameters, running stats), then num_batches_tracked
    assert all(len(s) == 1 for s in seen)
    assert seen[1] == {str(torch.int64)}


# ---- differentiable=True: the step stays in the graph, across several steps ----

# w.grad of sum(p * p) after two steps from p = w.clone(), as PyTorch computes it
DIFFERENTIABLE = {
    "Adam": ({"lr": 0.1}, [1.60697, -3.60697, 0.60697]),
    "AdamW": ({"lr": 0.1}, [1.59996, -3.59198, 0.60396]),
    "NAdam": ({}, [1.99192, -3.99192, 0.99192]),
    "Rprop": ({}, [1.956, -3.956, 0.956]),
}


@pytest.mark.parametrize("name", list(DIFFERENTIABLE))
def test_differentiable_step_backpropagates(name):
    kw, expected = DIFFERENTIABLE[name]
    w = torch.tensor([1.0, -2.0, 0.5], requires_grad=True)
    p = w.clone()
    opt = getattr(torch.optim, name)([p], differentiable=True, **kw)
    ref = torch.tensor([1.0, -2.0, 0.5], requires_grad=True)
    ref_opt = getattr(torch.optim, name)([ref], **kw)
    for s in range(2):
        p.grad = torch.tensor([0.3, -0.1, 0.2]) * (s + 1)
        ref.grad = p.grad.clone()
        opt.step()
        ref_opt.step()
    assert p.grad_fn is not None
    np.testing.assert_allclose(np.asarray(p.detach()), np.asarray(ref.detach()), rtol=1e-6, atol=1e-7)
    (p * p).sum().backward()  # raised: a tensor saved for the backward was modified in place
    np.testing.assert_allclose(np.asarray(w.grad), expected, rtol=1e-4, atol=1e-5)
