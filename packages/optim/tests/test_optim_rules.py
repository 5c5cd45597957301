"""Each update rule against its formula, written out in float64 NumPy, for three steps.

Both code paths run (the list-at-once ``foreach`` one and the per-tensor loop), in float64 so the
comparison can be tight, plus a float32 run to see that state keeps the parameter's dtype.
"""

import math

import lanterna as torch
import numpy as np
import pytest
from lanterna import optim

STEPS = 3


def _grads(shape, seed):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(shape) for _ in range(STEPS)]


# ---- reference formulas (one parameter array, all steps) -------------------------------------
def ref_sgd(p, gs, lr, momentum=0, dampening=0, weight_decay=0, nesterov=False, maximize=False):
    buf = None
    for g in gs:
        g = -g if maximize else g
        g = g + weight_decay * p
        if momentum:
            buf = g.copy() if buf is None else momentum * buf + (1 - dampening) * g
            g = g + momentum * buf if nesterov else buf
        p = p - lr * g
    return p


def ref_adam(p, gs, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False, maximize=False,
             decoupled=False):
    b1, b2 = betas
    m = v = vmax = np.zeros_like(p)
    for t, g in enumerate(gs, 1):
        g = -g if maximize else g
        if decoupled:
            p = p * (1 - lr * weight_decay)
        else:
            g = g + weight_decay * p
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        vmax = np.maximum(vmax, v)
        vhat = (vmax if amsgrad else v) / (1 - b2**t)
        p = p - lr * (m / (1 - b1**t)) / (np.sqrt(vhat) + eps)
    return p


def ref_adamax(p, gs, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0):
    b1, b2 = betas
    m = u = np.zeros_like(p)
    for t, g in enumerate(gs, 1):
        g = g + weight_decay * p
        m = b1 * m + (1 - b1) * g
        u = np.maximum(b2 * u, np.abs(g) + eps)
        p = p - lr / (1 - b1**t) * m / u
    return p


def ref_nadam(p, gs, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, momentum_decay=4e-3):
    b1, b2 = betas
    m = v = np.zeros_like(p)
    prod = 1.0
    for t, g in enumerate(gs, 1):
        g = g + weight_decay * p
        mu = b1 * (1 - 0.5 * 0.96 ** (t * momentum_decay))
        mu_next = b1 * (1 - 0.5 * 0.96 ** ((t + 1) * momentum_decay))
        prod = float(np.float32(prod) * np.float32(mu))  # torch keeps the product in a float32 tensor
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        denom = np.sqrt(v / (1 - b2**t)) + eps
        p = p - lr * (1 - mu) / (1 - prod) * g / denom - lr * mu_next / (1 - prod * mu_next) * m / denom
    return p


def ref_radam(p, gs, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0):
    b1, b2 = betas
    m = v = np.zeros_like(p)
    rho_inf = 2 / (1 - b2) - 1
    for t, g in enumerate(gs, 1):
        g = g + weight_decay * p
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        mhat = m / (1 - b1**t)
        rho = rho_inf - 2 * t * b2**t / (1 - b2**t)
        if rho > 5:
            r = math.sqrt((rho - 4) * (rho - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho))
            p = p - lr * mhat * r * math.sqrt(1 - b2**t) / (np.sqrt(v) + eps)
        else:
            p = p - lr * mhat
    return p


def ref_rmsprop(p, gs, lr, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False):
    v = gbar = buf = np.zeros_like(p)
    for g in gs:
        g = g + weight_decay * p
        v = alpha * v + (1 - alpha) * g * g
        gbar = alpha * gbar + (1 - alpha) * g
        avg = np.sqrt(v - gbar**2 if centered else v) + eps
        if momentum:
            buf = momentum * buf + g / avg
            p = p - lr * buf
        else:
            p = p - lr * g / avg
    return p


def ref_adagrad(p, gs, lr, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10):
    s = np.full_like(p, initial_accumulator_value)
    for t, g in enumerate(gs, 1):
        g = g + weight_decay * p
        s = s + g * g
        p = p - lr / (1 + (t - 1) * lr_decay) * g / (np.sqrt(s) + eps)
    return p


def ref_adadelta(p, gs, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0):
    v = u = np.zeros_like(p)
    for g in gs:
        g = g + weight_decay * p
        v = rho * v + (1 - rho) * g * g
        delta = np.sqrt(u + eps) / np.sqrt(v + eps) * g
        u = rho * u + (1 - rho) * delta * delta
        p = p - lr * delta
    return p


def ref_rprop(p, gs, lr=0.01, etas=(0.5, 1.2), step_sizes=(1e-6, 50)):
    prev = np.zeros_like(p)
    size = np.full_like(p, lr)
    for g in gs:
        s = np.sign(g * prev)
        size = np.clip(size * np.where(s > 0, etas[1], np.where(s < 0, etas[0], 1.0)), *step_sizes)
        g = np.where(s < 0, 0.0, g)
        p = p - np.sign(g) * size
        prev = g
    return p


def ref_asgd(p, gs, lr=0.01, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0):
    f32 = np.float32  # torch keeps eta in a float32 0-dim tensor whatever the parameter's dtype
    eta = float(f32(lr))
    for t, g in enumerate(gs, 1):
        g = g + weight_decay * p
        p = p * (1 - lambd * eta) - eta * g
        eta = float(f32(lr / (1 + lambd * lr * t) ** alpha))
    return p


CASES = [
    (optim.SGD, ref_sgd, {"lr": 0.1}),
    (optim.SGD, ref_sgd, {"lr": 0.1, "momentum": 0.9, "dampening": 0.3, "weight_decay": 0.05}),
    (optim.SGD, ref_sgd, {"lr": 0.1, "momentum": 0.9, "nesterov": True, "maximize": True}),
    (optim.Adam, ref_adam, {"lr": 0.05}),
    (optim.Adam, ref_adam, {"lr": 0.05, "betas": (0.8, 0.9), "weight_decay": 0.1, "amsgrad": True}),
    (optim.Adam, ref_adam, {"lr": 0.05, "maximize": True, "eps": 1e-3}),
    (optim.AdamW, lambda p, gs, **kw: ref_adam(p, gs, decoupled=True, **kw), {"lr": 0.05, "weight_decay": 0.3}),
    (optim.Adamax, ref_adamax, {"lr": 0.05, "weight_decay": 0.1}),
    (optim.NAdam, ref_nadam, {"lr": 0.05, "weight_decay": 0.1, "momentum_decay": 0.05}),
    (optim.RAdam, ref_radam, {"lr": 0.05}),
    (optim.RAdam, ref_radam, {"lr": 0.05, "betas": (0.9, 0.5), "weight_decay": 0.1}),  # rectified from step 2
    (optim.RMSprop, ref_rmsprop, {"lr": 0.01, "alpha": 0.9}),
    (optim.RMSprop, ref_rmsprop, {"lr": 0.01, "alpha": 0.9, "centered": True, "momentum": 0.8, "weight_decay": 0.1}),
    (optim.Adagrad, ref_adagrad, {"lr": 0.1, "lr_decay": 0.2, "initial_accumulator_value": 0.3, "weight_decay": 0.1}),
    (optim.Adadelta, ref_adadelta, {"lr": 0.7, "rho": 0.8, "weight_decay": 0.1}),
    (optim.Rprop, ref_rprop, {"lr": 0.05, "etas": (0.4, 1.5)}),
    (optim.ASGD, ref_asgd, {"lr": 0.05, "lambd": 0.01, "weight_decay": 0.1}),
]
IDS = [f"{cls.__name__}-{i}" for i, (cls, _, _) in enumerate(CASES)]


@pytest.mark.parametrize("foreach", [None, False], ids=["foreach", "loop"])
@pytest.mark.parametrize("cls,ref,kw", CASES, ids=IDS)
def test_rule_matches_formula(cls, ref, kw, foreach):
    shapes = [(3, 2), (4,)]
    init = [np.random.default_rng(10 + i).standard_normal(s) for i, s in enumerate(shapes)]
    grads = [_grads(s, 20 + i) for i, s in enumerate(shapes)]
    params = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in init]
    extra = {} if cls in (optim.Rprop, optim.ASGD) or foreach is None else {"foreach": foreach}
    opt = cls(params, **kw, **extra)
    for t in range(STEPS):
        for p, g in zip(params, grads):
            p.grad = torch.tensor(g[t], dtype=torch.float64)
        opt.step()
    for p, a, g in zip(params, init, grads):
        np.testing.assert_allclose(np.asarray(p.detach()), ref(a, g, **kw), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("cls,ref,kw", CASES[::3], ids=IDS[::3])
def test_float32_state_keeps_parameter_dtype(cls, ref, kw):
    init = np.random.default_rng(1).standard_normal(5)
    grads = _grads(5, 2)
    p = torch.tensor(init.astype(np.float32), requires_grad=True)
    opt = cls([p], **kw)
    for g in grads:
        p.grad = torch.tensor(g.astype(np.float32))
        opt.step()
    np.testing.assert_allclose(np.asarray(p.detach()), ref(init, grads, **kw), rtol=1e-4, atol=1e-5)
    for key, v in opt.state[p].items():
        if isinstance(v, torch.Tensor) and v.dim() > 0:
            assert v.dtype == torch.float32, key
        if key == "step":
            assert v.dtype == torch.float32 and v.item() == STEPS


def test_sgd_first_momentum_buffer_is_the_gradient():
    p = torch.tensor([1.0, -1.0], requires_grad=True)
    opt = optim.SGD([p], lr=0.1, momentum=0.9, dampening=0.5)
    p.grad = torch.tensor([2.0, 4.0])
    opt.step()
    assert torch.equal(opt.state[p]["momentum_buffer"], torch.tensor([2.0, 4.0]))  # undamped at first


def test_lbfgs_minimizes_a_quadratic_in_one_step():
    a = torch.tensor([[3.0, 1.0], [1.0, 2.0]])
    b = torch.tensor([1.0, -1.0])
    x = torch.zeros(2, requires_grad=True)
    opt = optim.LBFGS([x], lr=1, max_iter=50, line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        loss = 0.5 * (x @ (a @ x)) - b @ x
        loss.backward()
        return loss

    opt.step(closure)
    np.testing.assert_allclose(np.asarray(x.detach()), np.linalg.solve(np.asarray(a), np.asarray(b)), atol=1e-5)
    assert opt.state[x]["n_iter"] <= 50 and opt.state[x]["func_evals"] >= 2


def test_lbfgs_without_line_search_takes_the_first_scaled_step():
    x = torch.tensor([2.0, -4.0], requires_grad=True)
    opt = optim.LBFGS([x], lr=0.5, max_iter=1)

    def closure():
        opt.zero_grad()
        loss = (x * x).sum()
        loss.backward()
        return loss

    loss = opt.step(closure)
    assert loss.item() == 20.0
    # first direction -g = (-4, 8), step min(1, 1/|g|_1) * lr = 0.5 / 12
    np.testing.assert_allclose(np.asarray(x.detach()), [2.0 - 4 * 0.5 / 12, -4.0 + 8 * 0.5 / 12], rtol=1e-6)
