"""Optimizer rules that PyTorch rounds in a particular way, checked against formulas in NumPy.

- a tensor ``lr`` (float32 by default) makes PyTorch's per-tensor loops compute the step size as
  0-dim float32 tensor arithmetic, so the step size itself is rounded to float32 even when the
  parameters are float64;
- ASGD keeps ``eta`` and ``mu`` as values built by ``torch.as_tensor(float)`` (rounded to the
  default dtype), also once a checkpoint load has cast those state tensors to float64; its list
  path (``foreach=True``) has its own update formula.
"""

import copy

import lanterna as torch
import numpy as np
import pytest
from lanterna import optim

f32 = np.float32
STEPS = 4


def _data(shape=(3, 2), seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal(shape), [rng.standard_normal(shape) for _ in range(STEPS)]


def _run(cls, init, grads, **kw):
    p = torch.tensor(init, dtype=torch.float64, requires_grad=True)
    opt = cls([p], **kw)
    for g in grads:
        p.grad = torch.tensor(g, dtype=torch.float64)
        opt.step()
    return np.asarray(p.detach()), opt


# ---- a tensor lr: the loop's step size is float32 ----------------------------------------------
def ref_adam_tensor_lr(p, gs, lr, b1=0.9, b2=0.999, eps=1e-8, weight_decay=0.0):
    """Adam's loop (decoupled decay) with ``lr`` a float32 0-dim tensor: ``1 - lr * wd`` and
    ``lr / bias_correction1`` are float32 values."""
    lr32 = f32(lr)
    m = v = np.zeros_like(p)
    for t, g in enumerate(gs, 1):
        p = p * float(f32(1) - lr32 * f32(weight_decay))
        m = m + (g - m) * (1 - b1)
        v = v * b2 + (1 - b2) * g * g
        step_size = float(lr32 / f32(1 - b1**t))
        denom = np.sqrt(v) / (1 - b2**t) ** 0.5 + eps
        p = p - step_size * m / denom
    return p


@pytest.mark.parametrize("weight_decay", [0.0, 0.3])
def test_adam_loop_with_tensor_lr_rounds_step_size_to_float32(weight_decay):
    init, grads = _data()
    got, _ = _run(optim.AdamW, init, grads, lr=torch.tensor(0.01), weight_decay=weight_decay, foreach=False)
    want = ref_adam_tensor_lr(init, grads, 0.01, weight_decay=weight_decay)
    np.testing.assert_allclose(got, want, rtol=1e-13, atol=1e-15)
    # with the lr's float32 value as a Python number the step sizes are float64: a visible difference
    plain = ref_adam_tensor_lr(init, grads, 0.01, weight_decay=weight_decay)
    double, _ = _run(optim.AdamW, init, grads, lr=float(f32(0.01)), weight_decay=weight_decay, foreach=False)
    assert np.max(np.abs(double - plain)) > 1e-12


def ref_adagrad_tensor_lr(p, gs, lr, lr_decay):
    lr32 = f32(lr)
    s = np.zeros_like(p)
    for t, g in enumerate(gs, 1):
        clr = float(lr32 / f32(1 + (t - 1) * lr_decay))
        s = s + g * g
        p = p - clr * g / (np.sqrt(s) + 1e-10)
    return p


@pytest.mark.parametrize("foreach", [False, True], ids=["loop", "foreach"])
def test_adagrad_tensor_lr_decayed_step_is_float32(foreach):
    init, grads = _data(seed=1)
    got, _ = _run(optim.Adagrad, init, grads, lr=torch.tensor(0.1), lr_decay=0.1, foreach=foreach)
    np.testing.assert_allclose(got, ref_adagrad_tensor_lr(init, grads, 0.1, 0.1), rtol=1e-13, atol=1e-15)


def test_adamax_loop_tensor_lr_step_is_float32():
    init, grads = _data(seed=2)
    lr32, b1, b2, eps = f32(0.01), 0.9, 0.999, 1e-8
    p, m, u = init.copy(), np.zeros_like(init), np.zeros_like(init)
    for t, g in enumerate(grads, 1):
        m = m + (g - m) * (1 - b1)
        u = np.maximum(u * b2, np.abs(g) + eps)
        p = p - float(lr32 / f32(1 - b1**t)) * m / u
    got, _ = _run(optim.Adamax, init, grads, lr=torch.tensor(0.01), foreach=False)
    np.testing.assert_allclose(got, p, rtol=1e-13, atol=1e-15)


# ---- ASGD ------------------------------------------------------------------------------------
def _asgd_eta(lr, lambd, alpha, t):
    return float(f32(lr / (1 + lambd * lr * t) ** alpha))


def test_asgd_eta_and_mu_stay_float32_values_after_a_float64_load():
    init, grads = _data(seed=3)
    kw = {"lr": 0.05, "lambd": 0.01, "alpha": 0.75, "t0": 1.0}
    _, opt = _run(optim.ASGD, init, grads[:2], **kw)
    p = torch.tensor(init, dtype=torch.float64, requires_grad=True)
    opt2 = optim.ASGD([p], **kw)
    opt2.load_state_dict(copy.deepcopy(opt.state_dict()))
    state = opt2.state[p]
    assert state["eta"].dtype == torch.float64  # a load casts floating state to the parameter's dtype
    for t in (3, 4):
        p.grad = torch.tensor(grads[t - 1], dtype=torch.float64)
        opt2.step()
        assert state["eta"].item() == _asgd_eta(0.05, 0.01, 0.75, t)
        assert state["mu"].item() == float(f32(1 / max(1, t - 1.0)))


def _asgd_eta_list_path(lr, lambd, alpha, t):
    """The list path computes eta from the float32 step counter, as float32 tensor arithmetic
    (``lr / x`` is ``x.reciprocal() * lr``; ``x ** alpha`` is evaluated in double, rounded once)."""
    base = f32(1) + f32(lambd * lr) * f32(t)
    return float((f32(1) / f32(float(base) ** alpha)) * f32(lr))


def ref_asgd(p, gs, lr, lambd, alpha, t0, weight_decay, foreach):
    eta, mu, ax = float(f32(lr)), 1.0, np.zeros_like(p)
    for t, g in enumerate(gs, 1):
        g = g + weight_decay * p
        if foreach:  # PyTorch's list path: one step p -= eta * (g + lambd * p); the average always moves
            p = p - (g + lambd * p) * eta
            ax = ax + (p - ax) * mu
            eta = _asgd_eta_list_path(lr, lambd, alpha, t)
        else:
            p = p * (1 - lambd * eta) - eta * g
            ax = ax + (p - ax) * mu if mu != 1 else p
            eta = _asgd_eta(lr, lambd, alpha, t)
        mu = float(f32(1 / max(1, t - t0)))
    return p, ax


@pytest.mark.parametrize("foreach", [False, True], ids=["loop", "foreach"])
def test_asgd_paths_follow_their_rules(foreach):
    init, grads = _data(seed=4)
    kw = {"lr": 0.05, "lambd": 0.01, "alpha": 0.75, "t0": 2}
    got, opt = _run(optim.ASGD, init, grads, foreach=foreach, weight_decay=0.1, **kw)
    want, ax = ref_asgd(init, grads, weight_decay=0.1, foreach=foreach, **kw)
    np.testing.assert_allclose(got, want, rtol=1e-13, atol=1e-15)
    state = next(iter(opt.state.values()))
    np.testing.assert_allclose(np.asarray(state["ax"]), ax, rtol=1e-13, atol=1e-15)
    assert state["eta"].dtype == torch.float32 and state["step"].item() == STEPS
    want_eta = (_asgd_eta_list_path if foreach else _asgd_eta)(kw["lr"], kw["lambd"], kw["alpha"], STEPS)
    assert state["eta"].item() == want_eta


def test_asgd_old_checkpoint_numbers_become_tensors():
    p = torch.zeros(2, requires_grad=True)
    opt = optim.ASGD([p], lr=0.1)
    opt.load_state_dict({"state": {0: {"step": 2, "eta": 0.05, "mu": 1.0, "ax": torch.zeros(2)}},
                         "param_groups": copy.deepcopy(opt.state_dict()["param_groups"])})
    state = opt.state[p]
    assert all(isinstance(state[k], torch.Tensor) and state[k].dim() == 0 for k in ("step", "eta", "mu"))
    p.grad = torch.ones(2)
    opt.step()  # runs on the converted state
    assert state["step"].item() == 3
