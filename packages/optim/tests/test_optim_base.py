"""The Optimizer contract: parameter groups, state, zero_grad, hooks, state_dict, errors."""

import copy
import doctest
import importlib
import pickle
import warnings

import lanterna as torch
import numpy as np
import pytest
from lanterna import optim


def _params(*shapes, seed=0):
    rng = np.random.default_rng(seed)
    return [torch.tensor(rng.standard_normal(s).astype(np.float32), requires_grad=True) for s in shapes]


def _set_grads(params, seed):
    rng = np.random.default_rng(seed)
    for p in params:
        p.grad = torch.tensor(rng.standard_normal(tuple(p.shape)).astype(np.float32))


# ---- construction and parameter groups ------------------------------------------------------
def test_seed_use_case_two_modules_parameter_lists():
    a, b = _params((3, 2), (2,)), _params((2, 2), seed=1)
    opt = optim.Adam(list(a) + list(b), lr=1e-3)
    assert len(opt.param_groups) == 1 and len(opt.param_groups[0]["params"]) == 3
    _set_grads(a + b, 0)
    before = [p.detach().clone() for p in a + b]
    opt.step()
    for p, q in zip(a + b, before):
        assert not torch.equal(p, q)
        assert p.requires_grad and p.is_leaf and p.grad_fn is None


def test_defaults_fill_groups_and_group_options_win():
    p, q = _params((2,), (3,))
    opt = optim.SGD([{"params": [p]}, {"params": q, "lr": 0.5, "momentum": 0.9}], lr=0.1)
    g0, g1 = opt.param_groups
    assert g0["lr"] == 0.1 and g0["momentum"] == 0
    assert g1["lr"] == 0.5 and g1["momentum"] == 0.9 and g1["params"] == [q]
    assert set(g0) == {"params", "lr", "momentum", "dampening", "weight_decay", "nesterov", "maximize",
                       "foreach", "differentiable", "fused"}


def test_named_parameters_are_recorded():
    p, q = _params((2,), (3,))
    opt = optim.SGD([("w", p), ("b", q)], lr=0.1)
    assert opt.param_groups[0]["param_names"] == ["w", "b"]
    assert opt.state_dict()["param_groups"][0]["param_names"] == ["w", "b"]
    with pytest.raises(ValueError, match="all optimizer param groups should be with/without names"):
        opt.add_param_group({"params": _params((1,))})


def test_add_param_group_and_errors():
    p, q = _params((2,), (3,))
    opt = optim.SGD([p], lr=0.1)
    opt.add_param_group({"params": [q], "lr": 0.01})
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.01]
    with pytest.raises(ValueError, match="some parameters appear in more than one parameter group"):
        opt.add_param_group({"params": [p]})
    with pytest.raises(TypeError, match="param_group must be a dict"):
        opt.add_param_group([q])
    with pytest.raises(TypeError, match="ordered collections"):
        opt.add_param_group({"params": {q}})


@pytest.mark.parametrize("make,exc,msg", [
    (lambda p: optim.SGD([], lr=0.1), ValueError, "optimizer got an empty parameter list"),
    (lambda p: optim.SGD(p, lr=0.1), TypeError, "should be an iterable of Tensors or dicts, but got torch.FloatTensor"),
    (lambda p: optim.SGD([p * 2], lr=0.1), ValueError, "can't optimize a non-leaf Tensor"),
    (lambda p: optim.SGD([[1.0]], lr=0.1), TypeError, "optimizer can only optimize Tensors, but one of the params is list"),
    (lambda p: optim.SGD([p], lr=-0.1), ValueError, "Invalid learning rate: -0.1"),
    (lambda p: optim.SGD([p], lr=0.1, nesterov=True), ValueError, "Nesterov momentum requires a momentum"),
    (lambda p: optim.Adam([p], betas=(1.0, 0.9)), ValueError, "Invalid beta parameter at index 0: 1.0"),
    (lambda p: optim.Adam([p], betas=(0.9, -0.1)), ValueError, "Invalid beta parameter at index 1: -0.1"),
    (lambda p: optim.Adam([p], eps=-1e-8), ValueError, "Invalid epsilon value: -1e-08"),
    (lambda p: optim.AdamW([p], weight_decay=-1.0), ValueError, "Invalid weight_decay value: -1.0"),
    (lambda p: optim.Adam([p], lr=torch.tensor([0.1, 0.2])), ValueError, "Tensor lr must be 1-element"),
    (lambda p: optim.Adam([p], foo=1), TypeError, "unexpected keyword argument 'foo'"),
    (lambda p: optim.LBFGS([{"params": [p]}, {"params": _params((1,))}]), ValueError,
     "LBFGS doesn't support per-parameter options"),
])
def test_construction_errors(make, exc, msg):
    p = torch.zeros(2, requires_grad=True)
    with pytest.raises(exc, match=msg.replace("(", r"\(").replace(")", r"\)").replace(".", r"\.")):
        make(p)


def test_a_parameter_retaining_grad_is_accepted():
    x = torch.ones(2, requires_grad=True)
    y = x * 2
    y.retain_grad()
    optim.SGD([y], lr=0.1)


def test_duplicate_parameters_warn():
    (p,) = _params((2,))
    with pytest.warns(UserWarning, match="duplicate parameters"):
        optim.SGD([p, p], lr=0.1)


def test_required_option_without_default():
    class Custom(optim.Optimizer):
        def __init__(self, params, lr=optim.optimizer.required):
            super().__init__(params, {"lr": lr})

    (p,) = _params((2,))
    with pytest.raises(ValueError, match="didn't specify a value of required optimization parameter lr"):
        Custom([p])
    assert Custom([{"params": [p], "lr": 0.1}]).param_groups[0]["lr"] == 0.1


# ---- step, zero_grad, closure, hooks ---------------------------------------------------------
def test_step_skips_params_without_grad_and_builds_no_graph():
    p, q = _params((2,), (2,))
    q_before = q.detach().clone()
    opt = optim.Adam([p, q], lr=0.1)
    p.grad = torch.ones(2)
    opt.step()
    assert torch.equal(q, q_before) and len(opt.state) == 1 and q not in opt.state
    assert p.grad_fn is None and opt.state[p]["exp_avg"].grad_fn is None


def test_zero_grad():
    p, q = _params((2,), (3,))
    opt = optim.SGD([p, q], lr=0.1)
    _set_grads([p, q], 0)
    g = p.grad
    opt.zero_grad(set_to_none=False)
    assert p.grad is g and torch.equal(g, torch.zeros(2)) and torch.equal(q.grad, torch.zeros(3))
    opt.zero_grad()
    assert p.grad is None and q.grad is None


def test_closure_runs_with_grad_enabled_and_returns_loss():
    (w,) = _params((3,))
    opt = optim.SGD([w], lr=0.1)

    def closure():
        assert torch.is_grad_enabled()
        opt.zero_grad()
        loss = (w * w).sum()
        loss.backward()
        return loss

    with torch.no_grad():
        loss = opt.step(closure)
    assert isinstance(loss, torch.Tensor) and loss.grad_fn is not None


def test_step_hooks_order_and_removal():
    (p,) = _params((2,))
    p.grad = torch.ones(2)
    opt = optim.SGD([p], lr=0.1)
    calls = []
    h1 = opt.register_step_pre_hook(lambda o, args, kwargs: calls.append(("pre", o is opt)))
    h2 = opt.register_step_post_hook(lambda o, args, kwargs: calls.append(("post", o is opt)))
    g = optim.optimizer.register_optimizer_step_pre_hook(lambda o, a, k: calls.append(("global-pre", True)))
    opt.step()
    assert calls == [("global-pre", True), ("pre", True), ("post", True)]
    for h in (h1, h2, g):
        h.remove()
    opt.step()
    assert len(calls) == 3


def test_pre_hook_may_replace_arguments():
    (w,) = _params((2,))
    opt = optim.SGD([w], lr=0.1)
    seen = []

    def closure():
        seen.append(1)
        opt.zero_grad()
        (w * w).sum().backward()
        return 0.0

    opt.register_step_pre_hook(lambda o, args, kwargs: (args, {"closure": closure}))
    opt.step()
    assert seen == [1]
    opt.register_step_pre_hook(lambda o, args, kwargs: 5)
    with pytest.raises(RuntimeError, match="must return None or a tuple"):
        opt.step()


def test_custom_optimizer_subclass_gets_hooks():
    class PlainSGD(optim.Optimizer):
        def __init__(self, params, lr):
            super().__init__(params, {"lr": lr})

        @torch.no_grad()
        def step(self, closure=None):
            for group in self.param_groups:
                for p in group["params"]:
                    if p.grad is not None:
                        p.add_(p.grad, alpha=-group["lr"])

    (p,) = _params((2,))
    before = p.detach().clone()
    p.grad = torch.ones(2)
    opt = PlainSGD([p], lr=0.5)
    hits = []
    opt.register_step_post_hook(lambda *a: hits.append(1))
    opt.step()
    assert torch.allclose(p, before - 0.5) and hits == [1]


# ---- repr, state_dict and pickling ----------------------------------------------------------
def test_repr_like_torch():
    (p,) = _params((2,))
    assert repr(optim.SGD([p], lr=0.1)) == (
        "SGD (\nParameter Group 0\n    dampening: 0\n    differentiable: False\n    foreach: None\n"
        "    fused: None\n    lr: 0.1\n    maximize: False\n    momentum: 0\n    nesterov: False\n"
        "    weight_decay: 0\n)"
    )


def test_state_dict_uses_integer_ids_and_step_tensors():
    p, q, r = _params((2,), (3,), (1,))
    opt = optim.Adam([{"params": [p, q]}, {"params": [r], "lr": 0.1}])
    _set_grads([p, r], 0)
    opt.step()
    sd = opt.state_dict()
    assert [g["params"] for g in sd["param_groups"]] == [[0, 1], [2]]
    assert sorted(sd["state"]) == [0, 2]
    step = sd["state"][0]["step"]
    assert isinstance(step, torch.Tensor) and step.dtype == torch.float32 and step.shape == () and step.item() == 1
    assert list(sd["state"][0]) == ["step", "exp_avg", "exp_avg_sq"]
    assert sd["param_groups"][1]["lr"] == 0.1


OPTIMIZERS = [
    (optim.SGD, {"lr": 0.1, "momentum": 0.9, "nesterov": True}), (optim.Adam, {"lr": 0.01, "amsgrad": True}),
    (optim.AdamW, {"lr": 0.01}), (optim.Adamax, {"lr": 0.01}), (optim.NAdam, {"lr": 0.01}),
    (optim.RAdam, {"lr": 0.01, "betas": (0.9, 0.9)}), (optim.RMSprop, {"lr": 0.01, "momentum": 0.5, "centered": True}),
    (optim.Adagrad, {"lr": 0.1, "lr_decay": 0.01}), (optim.Adadelta, {}), (optim.Rprop, {}),
    (optim.ASGD, {"t0": 2}),
]


@pytest.mark.parametrize("cls,kw", OPTIMIZERS, ids=[c.__name__ for c, _ in OPTIMIZERS])
def test_state_dict_round_trip_continues_identically(cls, kw):
    a = _params((3, 2), (4,))
    b = [p.detach().clone().requires_grad_(True) for p in a]
    opt_a = cls(a, **kw)
    for s in range(3):
        _set_grads(a, s)
        opt_a.step()
    with torch.no_grad():
        for pa, pb in zip(a, b):
            pb.copy_(pa)
    opt_b = cls(b, **kw)
    opt_b.load_state_dict(copy.deepcopy(opt_a.state_dict()))
    assert opt_b.state_dict()["param_groups"] == opt_a.state_dict()["param_groups"]
    for s in range(3, 6):
        _set_grads(a, s)
        _set_grads(b, s)
        opt_a.step()
        opt_b.step()
    for pa, pb in zip(a, b):
        assert torch.equal(pa, pb)


def test_load_state_dict_casts_state_to_the_parameter_dtype_but_not_step():
    (p,) = _params((2,))
    opt = optim.Adam([p], lr=0.1)
    p.grad = torch.ones(2)
    opt.step()
    sd = copy.deepcopy(opt.state_dict())
    sd["state"][0]["exp_avg"] = sd["state"][0]["exp_avg"].double()
    sd["state"][0]["step"] = sd["state"][0]["step"].double()
    opt.load_state_dict(sd)
    assert opt.state[p]["exp_avg"].dtype == torch.float32
    assert opt.state[p]["step"].dtype == torch.float64


def test_load_state_dict_errors():
    p, q = _params((2,), (3,))
    opt = optim.SGD([p, q], lr=0.1)
    other = optim.SGD([{"params": [p]}, {"params": [q]}], lr=0.1)
    with pytest.raises(ValueError, match="different number of parameter groups"):
        opt.load_state_dict(other.state_dict())
    with pytest.raises(ValueError, match="doesn't match the size of optimizer's group"):
        optim.SGD([p], lr=0.1).load_state_dict(opt.state_dict())


def test_load_converts_old_integer_steps_to_tensors():
    (p,) = _params((2,))
    opt = optim.Adam([p], lr=0.1)
    p.grad = torch.ones(2)
    opt.step()
    sd = copy.deepcopy(opt.state_dict())
    sd["state"][0]["step"] = 1  # pre-2.0 checkpoints stored an int
    opt.load_state_dict(sd)
    assert isinstance(opt.state[p]["step"], torch.Tensor) and opt.state[p]["step"].item() == 1.0
    opt.step()
    assert opt.state[p]["step"].item() == 2.0


def test_state_dict_hooks():
    (p,) = _params((2,))
    opt = optim.SGD([p], lr=0.1)
    opt.register_state_dict_post_hook(lambda o, sd: {**sd, "extra": 1})
    assert opt.state_dict()["extra"] == 1
    seen = []
    opt.register_load_state_dict_pre_hook(lambda o, sd: seen.append("pre"))
    opt.register_load_state_dict_post_hook(lambda o: seen.append("post"))
    opt.load_state_dict(opt.state_dict())
    assert seen == ["pre", "post"]


def test_pickle_keeps_groups_and_state():
    (p,) = _params((2,))
    opt = optim.Adam([p], lr=0.1)
    p.grad = torch.ones(2)
    opt.step()
    clone = pickle.loads(pickle.dumps(opt))
    assert clone.param_groups[0]["lr"] == 0.1 and len(clone.state) == 1
    clone.register_step_pre_hook(lambda *a: None)  # hooks dicts exist after unpickling


def test_tensor_lr():
    (p,) = _params((2,))
    p.grad = torch.ones(2)
    before = p.detach().clone()
    opt = optim.SGD([p], lr=torch.tensor(0.5))
    opt.step()
    assert torch.allclose(p, before - 0.5)


def test_differentiable_step_lets_gradients_flow_to_lr_and_weights():
    w0 = torch.tensor([1.0, 2.0], requires_grad=True)
    lr = torch.tensor(0.1, requires_grad=True)
    w = w0.clone()  # a non-leaf parameter is allowed when differentiable
    opt = optim.SGD([w], lr=lr, momentum=0.5, differentiable=True)
    w.grad = torch.tensor([3.0, 4.0])
    opt.step()
    w.sum().backward()
    assert torch.allclose(w0.grad, torch.ones(2))
    assert torch.allclose(lr.grad, torch.tensor(-7.0))


MODULES = ["lanterna.optim", "lanterna.optim.optimizer", "lanterna.optim.sgd", "lanterna.optim.adam",
           "lanterna.optim.adamw", "lanterna.optim.adamax", "lanterna.optim.nadam", "lanterna.optim.radam",
           "lanterna.optim.rmsprop", "lanterna.optim.adagrad", "lanterna.optim.adadelta", "lanterna.optim.rprop",
           "lanterna.optim.asgd", "lanterna.optim.lbfgs", "lanterna.optim.lr_scheduler",
           "lanterna.optim.lr_scheduler._base", "lanterna.optim.lr_scheduler._composite",
           "lanterna.optim.lr_scheduler._cyclic", "lanterna.optim.sparse_adam", "lanterna.optim._functional"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = doctest.testmod(importlib.import_module(name))
    assert result.failed == 0


def test_seed_use_case_with_nn_modules():
    nn = pytest.importorskip("lanterna.nn")
    if not hasattr(nn, "Linear"):
        pytest.skip("lanterna.nn.Linear is not available yet")
    torch.manual_seed(0)
    encoder, decoder = nn.Linear(4, 3), nn.Linear(3, 4)
    optimizer = optim.Adam(list(encoder.parameters()) + list(decoder.parameters()), lr=1e-3)
    x = torch.randn(16, 4)
    losses = []
    for _ in range(30):
        optimizer.zero_grad()
        loss = ((decoder(encoder(x)) - x) ** 2).mean()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < losses[0]
    assert len(optimizer.state) == 4
