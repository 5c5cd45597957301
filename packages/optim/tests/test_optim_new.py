"""Adafactor, Muon, SparseAdam and swap_in_optimizer_params_and_state without PyTorch: each rule
against its formula in NumPy, the constructor checks, state layout and the Optimizer additions."""

import copy
import math

import lanterna as torch
import numpy as np
import pytest
from lanterna import optim
from lanterna.optim._functional import sparse_adam
from lanterna.optim._muon import _round_to_bfloat16, _zeropower_via_newtonschulz


# ---- Adafactor ---------------------------------------------------------------------------------
def ref_adafactor(p, gs, lr=1e-2, beta2_decay=-0.8, eps=(None, 1e-3), d=1.0, weight_decay=0.0, maximize=False):
    eps1 = np.finfo(p.dtype).eps if eps[0] is None else eps[0]
    eps2 = eps[1]
    row = np.zeros(p.shape[:-1] + (1,))
    col = np.zeros(p.shape[:-2] + (1, p.shape[-1])) if p.ndim > 1 else None
    var = np.zeros_like(p)
    for t, g in enumerate(gs, 1):
        g = -g if maximize else g
        w = t**beta2_decay  # 1 - beta2_t
        rho = min(lr, 1 / math.sqrt(t))
        alpha = max(eps2, math.sqrt(np.mean(p * p))) * rho  # from the parameter before decay
        p = p * (1 - lr * weight_decay)
        if p.ndim > 1:
            row = row + w * (np.mean(g * g, axis=-1, keepdims=True) - row)
            col = col + w * (np.mean(g * g, axis=-2, keepdims=True) - col)
            v_hat = row * col / np.maximum(np.mean(row, axis=-2, keepdims=True), eps1)
        else:
            var = var + w * (g * g - var)
            v_hat = var
        u = g / np.sqrt(np.maximum(v_hat, eps1 * eps1))
        p = p - alpha / max(1.0, math.sqrt(np.mean(u * u)) / d) * u
    return p


ADAFACTOR = [{}, {"lr": 0.2}, {"lr": 0.05, "weight_decay": 0.3, "maximize": True},
             {"eps": (1e-2, 1e-1), "d": 1.2, "beta2_decay": -0.5}, {"eps": (None, 10.0)}]


@pytest.mark.parametrize("foreach", [None, True], ids=["loop", "foreach"])
@pytest.mark.parametrize("kw", ADAFACTOR, ids=[str(i) for i in range(len(ADAFACTOR))])
def test_adafactor_matches_formula(kw, foreach):
    shapes = [(3, 4), (5,), (2, 3, 2)]
    rng = np.random.default_rng(0)
    init = [rng.standard_normal(s) for s in shapes]
    grads = [[rng.standard_normal(s) for _ in range(4)] for s in shapes]
    params = [torch.tensor(a, requires_grad=True) for a in init]  # float64: a tight comparison
    opt = optim.Adafactor(params, foreach=foreach, **kw)
    for t in range(4):
        for p, g in zip(params, grads):
            p.grad = torch.tensor(g[t])
        opt.step()
    for p, a, g in zip(params, init, grads):
        np.testing.assert_allclose(np.asarray(p.detach()), ref_adafactor(a, g, **kw), rtol=1e-10, atol=1e-12)


def test_adafactor_state_layout_and_defaults():
    m, v = torch.zeros(3, 4, requires_grad=True), torch.zeros(5, requires_grad=True)
    t3 = torch.zeros(2, 3, 4, requires_grad=True)
    opt = optim.Adafactor([m, v, t3])
    assert opt.defaults == {"lr": 1e-2, "beta2_decay": -0.8, "eps": (None, 1e-3), "d": 1.0, "weight_decay": 0.0,
                            "foreach": None, "maximize": False}
    for p in (m, v, t3):
        p.grad = torch.ones_like(p)
    opt.step()
    assert list(opt.state[m]) == ["step", "row_var", "col_var"]
    assert opt.state[m]["row_var"].shape == (3, 1) and opt.state[m]["col_var"].shape == (1, 4)
    assert opt.state[t3]["row_var"].shape == (2, 3, 1) and opt.state[t3]["col_var"].shape == (2, 1, 4)
    assert list(opt.state[v]) == ["step", "variance"] and opt.state[v]["variance"].shape == (5,)
    step = opt.state[m]["step"]
    assert isinstance(step, torch.Tensor) and step.dtype == torch.float32 and step.shape == () and step.item() == 1
    sd = copy.deepcopy(opt.state_dict())
    sd["state"][0]["step"] = 1  # an old checkpoint's number becomes a tensor
    opt.load_state_dict(sd)
    assert isinstance(opt.state[m]["step"], torch.Tensor)


@pytest.mark.parametrize("kw,msg", [
    ({"lr": -1.0}, "Learning rate should be >= 0 but is: -1.0"),
    ({"beta2_decay": 0.1}, "beta2_decay should be <= 0 but is: 0.1"),
    ({"eps": (-1.0, 1e-3)}, "epsilon1 should be >= 0 but is: -1.0"),
    ({"eps": (None, -1.0)}, "epsilon2 should be >= 0 but is: -1.0"),
    ({"d": 0.5}, "Clipping threshold d should be >= 1 but is: 0.5"),
    ({"weight_decay": -1.0}, "weight_decay should be >= 0 but is: -1.0"),
    ({"lr": torch.tensor([0.1, 0.2])}, "Tensor lr must be 1-element"),
])
def test_adafactor_errors(kw, msg):
    with pytest.raises(ValueError) as e:
        optim.Adafactor([torch.zeros(2, requires_grad=True)], **kw)
    assert str(e.value) == msg


# ---- Muon --------------------------------------------------------------------------------------
def np_bf16(x):
    """Round float32 to the nearest bfloat16 (ties to even), in NumPy bit arithmetic."""
    bits = np.asarray(x, np.float32).view(np.uint32).astype(np.uint64)
    return ((bits + 0x7FFF + ((bits >> 16) & 1)) & 0xFFFF0000).astype(np.uint32).view(np.float32)


def ref_newton_schulz(g, coeffs=(3.4445, -4.7750, 2.0315), steps=5, eps=1e-7):
    a, b, c = (np.float32(x) for x in coeffs)
    x = np_bf16(g)
    if g.shape[0] > g.shape[1]:
        x = x.T
    norm = np_bf16(max(np_bf16(np.float32(np.linalg.norm(x))), np_bf16(np.float32(eps))))
    x = np_bf16(x / norm)
    for _ in range(steps):
        gram = np_bf16(x @ x.T)
        upd = np_bf16(c * (gram @ gram) + b * gram)
        x = np_bf16(upd @ x + a * x)
    return x.T if g.shape[0] > g.shape[1] else x


def ref_muon(p, gs, lr=1e-3, weight_decay=0.1, momentum=0.95, nesterov=True, adjust_lr_fn=None, **ns):
    buf = np.zeros_like(p)
    rows, cols = p.shape
    ratio = 0.2 * math.sqrt(max(rows, cols)) if adjust_lr_fn == "match_rms_adamw" else math.sqrt(max(1, rows / cols))
    for g in gs:
        buf = buf + (1 - momentum) * (g - buf)
        u = g + momentum * (buf - g) if nesterov else buf
        o = ref_newton_schulz(u.astype(np.float32), **ns).astype(np.float64)
        p = p * (1 - lr * weight_decay) - lr * ratio * o
    return p


def test_round_to_bfloat16():
    x = torch.tensor([1.0, 1.00390625, 1.01171875, -1.01171875, 3.0e38, float("inf"), 1.2345e-20, 0.0])
    expect = np_bf16(np.asarray(x))
    assert np.asarray(_round_to_bfloat16(x)).tolist() == expect.tolist()
    assert expect[1] == 1.0 and expect[2] == 1.015625  # ties go to the even neighbour
    assert math.isnan(_round_to_bfloat16(torch.tensor([float("nan")])).item())


@pytest.mark.parametrize("shape", [(3, 5), (6, 2), (4, 4)])
def test_newton_schulz_matches_bfloat16_reference(shape):
    g = np.random.default_rng(1).standard_normal(shape).astype(np.float32)
    out = np.asarray(_zeropower_via_newtonschulz(torch.tensor(g), (3.4445, -4.7750, 2.0315), 5, 1e-7))
    np.testing.assert_allclose(out, ref_newton_schulz(g), rtol=0, atol=2**-7)
    assert np.array_equal(out, np_bf16(out))  # every entry is a bfloat16 value
    s = np.linalg.svd(out.astype(np.float64), compute_uv=False)
    assert s.min() > 0.3 and s.max() < 1.5  # orthogonalised, roughly: singular values near one


MUON = [{}, {"lr": 0.02, "nesterov": False, "momentum": 0.8},
        {"lr": 0.05, "adjust_lr_fn": "match_rms_adamw", "weight_decay": 0.0}, {"lr": 0.02, "ns_steps": 2}]


@pytest.mark.parametrize("kw", MUON, ids=[str(i) for i in range(len(MUON))])
def test_muon_matches_formula(kw):
    rng = np.random.default_rng(2)
    shapes = [(3, 4), (5, 2)]
    init = [rng.standard_normal(s) for s in shapes]
    grads = [[rng.standard_normal(s) for _ in range(3)] for s in shapes]
    params = [torch.tensor(a, requires_grad=True) for a in init]
    opt = optim.Muon(params, **kw)
    for t in range(3):
        for p, g in zip(params, grads):
            p.grad = torch.tensor(g[t])
        opt.step()
    ns = {"steps": kw["ns_steps"]} if "ns_steps" in kw else {}
    ref_kw = {k: v for k, v in kw.items() if k != "ns_steps"}
    for p, a, g in zip(params, init, grads):
        np.testing.assert_allclose(np.asarray(p.detach()), ref_muon(a, g, **ref_kw, **ns),
                                   rtol=0, atol=kw.get("lr", 1e-3) * 1e-2)
    assert list(opt.state[params[0]]) == ["momentum_buffer"]


@pytest.mark.parametrize("make,exc,msg", [
    (lambda p: optim.Muon([p], lr=-1.0), ValueError, "Learning rate should be >= 0 but is: -1.0"),
    (lambda p: optim.Muon([p], momentum=-1.0), ValueError, "momentum should be >= 0 but is: -1.0"),
    (lambda p: optim.Muon([p], weight_decay=-1.0), ValueError, "weight decay should be >= 0 but is: -1.0"),
    (lambda p: optim.Muon([p], adjust_lr_fn="x"), ValueError, "Adjust learning rate function x is not supported"),
    (lambda p: optim.Muon([torch.zeros(3, requires_grad=True)]), ValueError,
     "Muon only supports 2D parameters whereas we found a parameter with size: torch.Size([3])"),
])
def test_muon_errors(make, exc, msg):
    with pytest.raises(exc) as e:
        make(torch.zeros(2, 2, requires_grad=True))
    assert str(e.value) == msg


def test_muon_defaults_and_tensor_lr():
    p = torch.zeros(2, 3, requires_grad=True)
    opt = optim.Muon([p])
    assert opt.defaults == {"lr": 1e-3, "weight_decay": 0.1, "momentum": 0.95, "nesterov": True,
                            "ns_coefficients": (3.4445, -4.775, 2.0315), "eps": 1e-7, "ns_steps": 5,
                            "adjust_lr_fn": None}
    q = torch.zeros(2, 3, requires_grad=True)
    a, b = optim.Muon([p], lr=0.1), optim.Muon([q], lr=torch.tensor([0.1]))
    for _ in range(2):
        p.grad = q.grad = torch.ones(2, 3)
        a.step()
        b.step()
    np.testing.assert_allclose(np.asarray(q.detach()), np.asarray(p.detach()), rtol=1e-6)


# ---- SparseAdam --------------------------------------------------------------------------------
def test_sparse_adam_construction_and_dense_gradient_error():
    p = torch.zeros(2, 3, requires_grad=True)
    opt = optim.SparseAdam([p])
    assert opt.defaults == {"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-8, "maximize": False}
    p.grad = torch.ones(2, 3)
    with pytest.raises(RuntimeError, match="SparseAdam does not support dense gradients, please consider Adam"):
        opt.step()
    assert len(opt.state) == 0
    p.grad = None
    opt.step()  # no gradient: nothing to do
    for kw, msg in [({"lr": 0.0}, "Invalid learning rate: 0.0"), ({"eps": 0.0}, "Invalid epsilon value: 0.0"),
                    ({"betas": (1.0, 0.5)}, "Invalid beta parameter at index 0: 1.0"),
                    ({"betas": (0.5, 1.0)}, "Invalid beta parameter at index 1: 1.0")]:
        with pytest.raises(ValueError) as e:
            optim.SparseAdam([p], **kw)
        assert str(e.value) == msg


def test_sparse_adam_loads_a_checkpoint_with_integer_steps():
    p = torch.zeros(4, requires_grad=True)
    opt = optim.SparseAdam([p], lr=0.01)
    sd = {"state": {0: {"step": 3, "exp_avg": torch.ones(4, dtype=torch.float64), "exp_avg_sq": torch.ones(4)}},
          "param_groups": [{"lr": 0.01, "betas": (0.9, 0.999), "eps": 1e-8, "maximize": False, "params": [0]}]}
    opt.load_state_dict(sd)
    assert opt.state[p]["step"] == 3 and opt.state[p]["exp_avg"].dtype == torch.float32
    assert opt.state_dict()["state"][0]["step"] == 3


@pytest.mark.parametrize("maximize", [False, True])
def test_functional_sparse_adam_updates_only_nonzero_entries(maximize):
    rng = np.random.default_rng(3)
    p0 = rng.standard_normal(6)
    p, m, v = torch.tensor(p0), torch.zeros(6, dtype=torch.float64), torch.zeros(6, dtype=torch.float64)
    rp, rm, rv = p0.copy(), np.zeros(6), np.zeros(6)
    lr, b1, b2, eps = 0.1, 0.8, 0.9, 1e-6
    for t in range(1, 5):
        g = rng.standard_normal(6) * (rng.random(6) < 0.5)
        sparse_adam([p], [torch.tensor(g)], [m], [v], [t], eps=eps, beta1=b1, beta2=b2, lr=lr, maximize=maximize)
        g = -g if maximize else g
        k = g != 0
        rm[k] += (1 - b1) * (g[k] - rm[k])
        rv[k] += (1 - b2) * (g[k] ** 2 - rv[k])
        rp[k] -= lr * math.sqrt(1 - b2**t) / (1 - b1**t) * rm[k] / (np.sqrt(rv[k]) + eps)
    np.testing.assert_allclose(np.asarray(p), rp, rtol=1e-12)
    np.testing.assert_allclose(np.asarray(m), rm, rtol=1e-12)
    np.testing.assert_allclose(np.asarray(v), rv, rtol=1e-12)


# ---- swap_in_optimizer_params_and_state --------------------------------------------------------
def test_swap_in_steps_other_tensors_and_restores_everything():
    w = torch.ones(3, requires_grad=True)
    opt = optim.Adam([w], lr=0.1)
    w.grad = torch.ones(3)
    opt.step()
    live_state, live_params, w_before = opt.state, opt.param_groups[0]["params"], w.detach().clone()
    saved = copy.deepcopy(opt.state_dict())
    saved["param_groups"][0]["lr"] = 0.5
    other = torch.zeros(3, requires_grad=True)
    other.grad = torch.ones(3)
    with optim.swap_in_optimizer_params_and_state(opt, {"w": other}, saved):
        assert opt.param_groups[0]["params"] == [other] and opt.param_groups[0]["lr"] == 0.5
        opt.step()
    assert opt.state is live_state and opt.param_groups[0]["params"] is live_params
    assert opt.param_groups[0]["lr"] == 0.1 and torch.equal(w, w_before)
    assert saved["state"][0]["step"].item() == 2  # in-place updates reach the swapped-in dict
    assert not torch.equal(other, torch.zeros(3))
    fresh = optim.SGD([torch.zeros(1, requires_grad=True)])
    with pytest.raises(RuntimeError, match="requires initialized optimizer state"):
        with optim.swap_in_optimizer_params_and_state(fresh, {}, fresh.state_dict()):
            pass


# ---- Optimizer additions -----------------------------------------------------------------------
def test_optimizer_has_torch_private_helpers():
    p, q = torch.zeros(2, requires_grad=True), torch.zeros(2, dtype=torch.float64, requires_grad=True)
    opt = optim.SGD([p, q])
    assert opt._zero_grad_profile_name == "Optimizer.zero_grad#SGD.zero_grad"
    assert opt._warned_capturable_if_run_uncaptured is True
    assert opt._accelerator_graph_capture_health_check() is None and opt._optimizer_step_code() is None
    grouped = optim.Optimizer._group_tensors_by_device_and_dtype([[p, q, p], ["a", "b", "c"]], with_indices=True)
    assert list(grouped) == [(p.device, torch.float32), (q.device, torch.float64)]
    assert grouped[(p.device, torch.float32)][0][1] == ["a", "c"] and grouped[(p.device, torch.float32)][1] == [0, 2]
    assert "swa_utils" in dir(optim) and {"Adafactor", "Muon", "SparseAdam"} <= set(optim.__all__)
