"""Optimizers against PyTorch: same weights and gradients in, the same parameters and state out."""


import numpy as np
import pytest

torch = pytest.importorskip("torch")
import lanterna

pytestmark = pytest.mark.oracle

SHAPES = [(3, 4), (5,), (2, 2, 3)]

CASES = {
    "SGD": [{"lr": 0.1}, {"lr": 0.1, "momentum": 0.9}, {"lr": 0.1, "momentum": 0.9, "dampening": 0.5},
            {"lr": 0.1, "momentum": 0.9, "nesterov": True}, {"lr": 0.1, "weight_decay": 0.1},
            {"lr": 0.1, "momentum": 0.5, "nesterov": True, "weight_decay": 0.2, "maximize": True}],
    "Adam": [{"lr": 0.01}, {"lr": 0.01, "amsgrad": True}, {"lr": 0.01, "weight_decay": 0.1},
             {"lr": 0.01, "weight_decay": 0.1, "amsgrad": True, "maximize": True},
             {"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True}, {"lr": 0.01, "betas": (0.8, 0.9), "eps": 1e-3}],
    "AdamW": [{"lr": 0.01}, {"lr": 0.01, "amsgrad": True}, {"lr": 0.01, "weight_decay": 0.5, "maximize": True}],
    "Adamax": [{"lr": 0.01}, {"lr": 0.01, "weight_decay": 0.1}, {"lr": 0.01, "maximize": True}],
    "NAdam": [{"lr": 0.01}, {"lr": 0.01, "weight_decay": 0.1},
              {"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True},
              {"lr": 0.01, "maximize": True, "momentum_decay": 0.01}],
    "RAdam": [{"lr": 0.01}, {"lr": 0.01, "weight_decay": 0.1},
              {"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True}, {"lr": 0.01, "maximize": True}],
    "RMSprop": [{"lr": 0.01}, {"lr": 0.01, "momentum": 0.9}, {"lr": 0.01, "centered": True},
                {"lr": 0.01, "centered": True, "momentum": 0.9, "weight_decay": 0.1}, {"lr": 0.01, "maximize": True, "alpha": 0.9}],
    "Adagrad": [{"lr": 0.1}, {"lr": 0.1, "lr_decay": 0.1},
                {"lr": 0.1, "weight_decay": 0.1, "initial_accumulator_value": 0.5}, {"lr": 0.1, "maximize": True}],
    "Adadelta": [{}, {"lr": 0.5, "rho": 0.8}, {"weight_decay": 0.1}, {"maximize": True}],
    "Rprop": [{}, {"lr": 0.05, "etas": (0.3, 1.5), "step_sizes": (1e-3, 1)}, {"maximize": True}],
    "ASGD": [{}, {"lr": 0.05, "lambd": 1e-2, "t0": 3, "weight_decay": 0.1}, {"maximize": True, "t0": 2}],
}
PARAMS = [(name, kw) for name, kws in CASES.items() for kw in kws]


def _data(steps, seed=0):
    rng = np.random.default_rng(seed)
    init = [rng.standard_normal(s).astype(np.float32) for s in SHAPES]
    grads = [[rng.standard_normal(s).astype(np.float32) for s in SHAPES] for _ in range(steps)]
    return init, grads


def _pair(name, kw, groups, foreach=None):
    init, _ = _data(0)
    tp = [torch.tensor(a, requires_grad=True) for a in init]
    lp = [lanterna.tensor(a, requires_grad=True) for a in init]
    if groups:  # two groups, the second with its own lr
        lr2 = kw.get("lr", 1.0) / 2
        tp_arg = [{"params": tp[:2]}, {"params": tp[2:], "lr": lr2}]
        lp_arg = [{"params": lp[:2]}, {"params": lp[2:], "lr": lr2}]
    else:
        tp_arg, lp_arg = tp, lp
    lkw = dict(kw) if foreach is None else dict(kw, foreach=foreach)
    return tp, lp, getattr(torch.optim, name)(tp_arg, **kw), getattr(lanterna.optim, name)(lp_arg, **lkw)


def _feed(tp, lp, grads, step):
    for i, (a, b) in enumerate(zip(tp, lp)):
        if step == 3 and i == 1:  # a parameter without gradient this step is skipped
            a.grad = b.grad = None
            continue
        a.grad = torch.tensor(grads[step][i])
        b.grad = lanterna.tensor(grads[step][i])


def _close(tp, lp, rtol=2e-5):
    for a, b in zip(tp, lp):
        np.testing.assert_allclose(np.asarray(b.detach()), a.detach().numpy(), rtol=rtol, atol=rtol)


@pytest.mark.parametrize("foreach", [None, False], ids=["foreach", "loop"])
@pytest.mark.parametrize("name,kw", PARAMS, ids=[f"{n}-{i}" for i, (n, _) in enumerate(PARAMS)])
def test_ten_steps_match_torch(name, kw, foreach):
    _, grads = _data(10)
    tp, lp, to, lo = _pair(name, kw, groups=foreach is None, foreach=foreach)
    for s in range(10):
        _feed(tp, lp, grads, s)
        to.step()
        lo.step()
    _close(tp, lp)


def _structure(sd):
    """A state_dict with tensors replaced by (dtype, shape)."""
    def conv(v):
        if hasattr(v, "dtype") and hasattr(v, "shape"):
            return ("tensor", str(v.dtype).replace("torch.", ""), tuple(v.shape))
        if isinstance(v, dict):
            return {k: conv(x) for k, x in v.items()}
        if isinstance(v, (list, tuple)):
            return type(v)(conv(x) for x in v)
        return v
    return conv(sd)


@pytest.mark.parametrize("name,kw", [(n, kws[-1]) for n, kws in CASES.items()])
def test_state_dict_structure_matches_torch(name, kw):
    _, grads = _data(2)
    tp, lp, to, lo = _pair(name, kw, groups=True)
    for s in range(2):
        _feed(tp, lp, grads, s)
        to.step()
        lo.step()
    t_sd, l_sd = to.state_dict(), lo.state_dict()
    assert _structure(l_sd) == _structure(t_sd)
    assert list(l_sd["state"]) == list(t_sd["state"])
    for k, st in t_sd["state"].items():
        assert list(l_sd["state"][k]) == list(st)  # same keys in the same order
        for key, v in st.items():
            np.testing.assert_allclose(np.asarray(l_sd["state"][k][key]), v.numpy(), rtol=2e-5, atol=1e-6)
    assert repr(lo) == repr(to)


def _to_lanterna(v):
    if isinstance(v, torch.Tensor):
        return lanterna.tensor(v.detach().numpy().copy())
    if isinstance(v, dict):
        return {k: _to_lanterna(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return type(v)(_to_lanterna(x) for x in v)
    return v


@pytest.mark.parametrize("name", ["SGD", "Adam", "RMSprop", "NAdam", "Adagrad"])
def test_torch_state_dict_loads_and_continues(name):
    """A torch optimizer's state_dict, converted tensor by tensor, resumes in lanterna identically."""
    kw = CASES[name][-1]
    _, grads = _data(6)
    tp, lp, to, lo = _pair(name, kw, groups=True)
    for s in range(3):
        _feed(tp, lp, grads, s)
        to.step()
    for a, b in zip(tp, lp):
        with lanterna.no_grad():
            b.copy_(lanterna.tensor(a.detach().numpy()))
    lo.load_state_dict(_to_lanterna(to.state_dict()))
    for s in range(3, 6):
        _feed(tp, lp, grads, s)
        to.step()
        lo.step()
    _close(tp, lp)


def test_tensor_lr_matches_torch():
    _, grads = _data(5)
    for name in ["Adam", "SGD", "RMSprop"]:
        init, _ = _data(0)
        tp = [torch.tensor(a, requires_grad=True) for a in init]
        lp = [lanterna.tensor(a, requires_grad=True) for a in init]
        to = getattr(torch.optim, name)(tp, lr=torch.tensor(0.01))
        lo = getattr(lanterna.optim, name)(lp, lr=lanterna.tensor(0.01))
        for s in range(5):
            _feed(tp, lp, grads, s)
            to.step()
            lo.step()
        _close(tp, lp)
        assert repr(lo) == repr(to)


@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
def test_lbfgs_matches_torch(line_search_fn):
    rng = np.random.default_rng(3)
    a_np = rng.standard_normal((6, 4)).astype(np.float32)
    b_np = rng.standard_normal(6).astype(np.float32)
    x0 = rng.standard_normal(4).astype(np.float32)

    def make(mod):
        x = mod.tensor(x0, requires_grad=True)
        a, b = mod.tensor(a_np), mod.tensor(b_np)
        opt = mod.optim.LBFGS([x], lr=0.5, max_iter=5, history_size=3, line_search_fn=line_search_fn)

        def closure():
            opt.zero_grad()
            loss = ((a @ x - b) ** 2).sum() + (x**4).sum() * 0.1  # a non-quadratic objective
            loss.backward()
            return loss

        return x, opt, closure

    xt, ot, ct = make(torch)
    xl, ol, cl = make(lanterna)
    for _ in range(3):
        lt, ll = ot.step(ct).detach(), ol.step(cl)
        assert float(ll) == pytest.approx(lt.item(), rel=1e-4)
    np.testing.assert_allclose(np.asarray(xl.detach()), xt.detach().numpy(), rtol=1e-4, atol=1e-5)
    st, sl = ot.state[ot._params[0]], ol.state[ol._params[0]]
    assert st["func_evals"] == sl["func_evals"] and st["n_iter"] == sl["n_iter"]
    assert list(sl) == list(st)


def test_errors_match_torch():
    p_t, p_l = torch.zeros(2, requires_grad=True), lanterna.zeros(2, requires_grad=True)
    calls = [
        lambda m, p: m.optim.SGD([], lr=0.1),
        lambda m, p: m.optim.SGD(p, lr=0.1),
        lambda m, p: m.optim.SGD([p * 2], lr=0.1),
        lambda m, p: m.optim.SGD([{"params": [p]}, {"params": [p]}], lr=0.1),
        lambda m, p: m.optim.SGD([p], lr=-1.0),
        lambda m, p: m.optim.SGD([p], lr=0.1, momentum=-0.5),
        lambda m, p: m.optim.SGD([p], lr=0.1, nesterov=True),
        lambda m, p: m.optim.SGD([1.0], lr=0.1),
        lambda m, p: m.optim.SGD([{"params": {p}}], lr=0.1),
        lambda m, p: m.optim.SGD([p], lr=0.1).add_param_group([p]),
        lambda m, p: m.optim.Adam([p], betas=(1.0, 0.9)),
        lambda m, p: m.optim.Adam([p], betas=(0.9, 1.5)),
        lambda m, p: m.optim.Adam([p], eps=-1.0),
        lambda m, p: m.optim.Adam([p], weight_decay=-1.0),
        lambda m, p: m.optim.Adam([p], lr=m.tensor([0.1, 0.2])),
        lambda m, p: m.optim.RMSprop([p], alpha=-1.0),
        lambda m, p: m.optim.Adadelta([p], rho=1.5),
        lambda m, p: m.optim.Rprop([p], etas=(1.5, 2.0)),
        lambda m, p: m.optim.LBFGS([{"params": [p]}, {"params": [m.zeros(1, requires_grad=True)]}]),
        lambda m, p: m.optim.SGD([p], lr=0.1, fused=True, foreach=True),
    ]
    for call in calls:
        with pytest.raises(Exception) as et:
            call(torch, p_t)
        with pytest.raises(type(et.value)) as el:
            call(lanterna, p_l)
        assert str(el.value) == str(et.value).replace("torch.", "torch.")
