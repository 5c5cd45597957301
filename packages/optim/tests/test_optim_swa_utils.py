"""swa_utils: SWALR's annealing, the averaging functions, and AveragedModel where lanterna.nn has Module."""

import math

import lanterna as torch
import pytest
from lanterna import optim
from lanterna.optim import swa_utils


def _opt(lr=1.0):
    return optim.SGD([torch.zeros(1, requires_grad=True)], lr=lr)


@pytest.mark.parametrize("strategy,anneal", [("linear", lambda t: t), ("cos", lambda t: (1 - math.cos(math.pi * t)) / 2)])
def test_swalr_anneals_to_swa_lr_then_holds(strategy, anneal):
    opt = _opt()
    sched = swa_utils.SWALR(opt, swa_lr=0.1, anneal_epochs=4, anneal_strategy=strategy)
    assert sched.get_last_lr() == [1.0]
    lrs = []
    for _ in range(6):
        opt.step()
        sched.step()
        lrs.append(sched.get_last_lr()[0])
    expected = [0.1 * anneal(min(k, 4) / 4) + 1.0 * (1 - anneal(min(k, 4) / 4)) for k in range(1, 7)]
    assert lrs == pytest.approx(expected)
    assert opt.param_groups[0]["swa_lr"] == 0.1


def test_swalr_state_dict_and_errors():
    sched = swa_utils.SWALR(_opt(), swa_lr=0.05, anneal_epochs=2)
    sd = sched.state_dict()
    assert "anneal_func" not in sd and sd["_anneal_strategy"] == "cos"
    sched.load_state_dict(sd)
    assert sched.anneal_func(1.0) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="anneal_strategy must be one of 'cos' or 'linear'"):
        swa_utils.SWALR(_opt(), 0.1, anneal_strategy="step")
    with pytest.raises(ValueError, match="anneal_epochs must be equal or greater than 0"):
        swa_utils.SWALR(_opt(), 0.1, anneal_epochs=-1)


def test_average_functions():
    avg = [torch.tensor([0.0, 2.0])]
    swa = swa_utils.get_swa_multi_avg_fn()
    for n, x in enumerate([[3.0, 5.0], [6.0, 8.0]], start=1):  # running mean of [0, 2], [3, 5], [6, 8]
        swa(avg, [torch.tensor(x)], n)
    assert torch.allclose(avg[0], torch.tensor([3.0, 5.0]))
    ema = [torch.tensor([1.0])]
    swa_utils.get_ema_multi_avg_fn(0.9)(ema, [torch.tensor([2.0])], 0)
    assert torch.allclose(ema[0], torch.tensor([1.1]))
    assert torch.allclose(swa_utils.get_ema_avg_fn(0.5)(torch.tensor(1.0), torch.tensor(3.0), 0), torch.tensor(2.0))
    assert torch.allclose(swa_utils.get_swa_avg_fn()(torch.tensor(1.0), torch.tensor(4.0), 2), torch.tensor(2.0))
    with pytest.raises(ValueError, match="Invalid decay value 1.5"):
        swa_utils.get_ema_multi_avg_fn(1.5)


def test_averaged_model_keeps_the_running_mean():
    nn = pytest.importorskip("lanterna.nn")
    if not (hasattr(nn, "Module") and hasattr(nn, "Linear")):
        pytest.skip("lanterna.nn.Module / Linear are not available yet")
    model = nn.Linear(3, 2)
    swa_model = swa_utils.AveragedModel(model)
    snapshots = []
    for k in range(3):
        with torch.no_grad():
            model.weight.add_(float(k + 1))
        snapshots.append(model.weight.detach().clone())
        swa_model.update_parameters(model)
    assert swa_model.n_averaged.item() == 3
    assert torch.allclose(swa_model.module.weight, sum(snapshots) / 3)
    x = torch.ones(4, 3)
    assert swa_model(x).shape == (4, 2)
