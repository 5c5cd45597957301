"""``torch.func`` and ``torch.vmap`` against PyTorch: the same calls give the same values,
shapes, dtypes, ``requires_grad`` and the same error types and messages."""

import functools

import numpy as np
import pytest

import lanterna
from oracle_summary import summary

pytestmark = pytest.mark.oracle
torch = pytest.importorskip("torch")


def _norm(v):
    return summary(v, digits=4)


def _run(fn, mod):
    try:
        return ("ok", _norm(fn(mod)))
    except Exception as e:  # noqa: BLE001 - the error itself is compared
        return ("exc", type(e).__name__, str(e))


def _same(fn):
    expected, got = _run(fn, torch), _run(fn, lanterna)
    assert got == expected
    return expected


def _arr(t, values, rg=False):
    x = t.tensor(np.asarray(values, dtype=np.float32))
    return x.requires_grad_() if rg else x


X = [[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]]
Y = [[1.0, 2.0, 3.0], [-1.0, 0.5, 4.0], [0.0, 1.0, -2.0]]
V = [0.3, -0.7, 1.1]


# --- vmap ------------------------------------------------------------------------------------

VMAP_CASES = {
    "dot": lambda t: t.vmap(t.dot)(_arr(t, X), _arr(t, X)),
    "in_dims_none": lambda t: t.vmap(t.mul, in_dims=(0, None))(_arr(t, X), _arr(t, V)),
    "in_dims_1": lambda t: t.vmap(lambda a: a * 2, in_dims=1)(_arr(t, X)),
    "in_dims_neg": lambda t: t.vmap(lambda a: a.sum(), in_dims=-1)(_arr(t, X)),
    "out_dims_1": lambda t: t.vmap(lambda a: a * 2, out_dims=1)(_arr(t, X)),
    "out_dims_neg": lambda t: t.vmap(lambda a: a * 2, in_dims=1, out_dims=-1)(_arr(t, X)),
    "out_dims_tuple": lambda t: t.vmap(lambda a: (a, a.sum()), out_dims=(1, 0))(_arr(t, X)),
    "out_dims_none": lambda t: t.vmap(lambda a, b: (a * b, b), in_dims=(0, None), out_dims=(0, None))(
        _arr(t, X), _arr(t, V)),
    "out_non_tensor_none": lambda t: t.vmap(lambda a: (a, 3), out_dims=(0, None))(_arr(t, X)),
    "nested": lambda t: t.vmap(t.vmap(t.dot))(_arr(t, [X, X]), _arr(t, [X, X])),
    "outer_product": lambda t: t.vmap(t.vmap(t.mul, in_dims=(None, 0)), in_dims=(0, None))(
        _arr(t, V), _arr(t, [1.0, 2.0])),
    "dict_in": lambda t: t.vmap(lambda d: d["a"] * d["b"], in_dims=({"a": 0, "b": None},))(
        {"a": _arr(t, X), "b": _arr(t, V)}),
    "dict_out": lambda t: t.vmap(lambda a: {"s": a.sum(), "d": [a * 2]})(_arr(t, X)),
    "kwargs_unmapped": lambda t: t.vmap(lambda a, scale=1.0: a * scale)(_arr(t, X), scale=_arr(t, V)),
    "chunk_size": lambda t: t.vmap(lambda a: a.exp(), chunk_size=1)(_arr(t, Y)),
    "empty_batch": lambda t: t.vmap(lambda a: a * 2)(t.zeros(0, 3)),
    "empty_batch_reduce": lambda t: t.vmap(lambda a: (a.sum(), a), out_dims=(0, 1))(t.zeros(0, 3)),
    "requires_grad_flows": lambda t: t.vmap(lambda a: a * 2)(_arr(t, X, rg=True)),
    "size_mismatch": lambda t: t.vmap(t.add)(_arr(t, X), _arr(t, Y)),
    "in_dims_structure": lambda t: t.vmap(t.add, in_dims=(0, 0, 0))(_arr(t, X), _arr(t, X)),
    "in_dims_dict_keys": lambda t: t.vmap(lambda d: d["a"], in_dims=({"a": 0},))(
        {"a": _arr(t, X), "b": _arr(t, X)}),
    "in_dims_list": lambda t: t.vmap(t.add, in_dims=[0, 0])(_arr(t, X), _arr(t, X)),
    "in_dims_none_top": lambda t: t.vmap(lambda a: a, in_dims=None)(_arr(t, X)),
    "in_dims_float": lambda t: t.vmap(lambda a: a, in_dims=(1.5,))(_arr(t, X)),
    "non_tensor_int_dim": lambda t: t.vmap(lambda a, n: a * n, in_dims=(0, 0))(_arr(t, X), 3),
    "default_in_dims_non_tensor": lambda t: t.vmap(lambda a, n: a * n)(_arr(t, X), 3),
    "in_dim_out_of_range": lambda t: t.vmap(lambda a: a, in_dims=2)(_arr(t, X)),
    "in_dim_scalar": lambda t: t.vmap(lambda a: a)(t.tensor(3.0)),
    "nothing_mapped": lambda t: t.vmap(lambda a: a, in_dims=(None,))(_arr(t, X)),
    "no_inputs": lambda t: t.vmap(lambda: 1)(),
    "out_dims_structure": lambda t: t.vmap(lambda a: (a, a), out_dims=(0, 1, 2))(_arr(t, X)),
    "out_dims_tensor_tuple": lambda t: t.vmap(lambda a: a, out_dims=(0, 1))(_arr(t, X)),
    "out_dims_bad": lambda t: t.vmap(lambda a: a, out_dims="a")(_arr(t, X)),
    "returns_int": lambda t: t.vmap(lambda a: 3)(_arr(t, X)),
    "returns_none": lambda t: t.vmap(lambda a: None)(_arr(t, X)),
    "batched_out_dim_none": lambda t: t.vmap(lambda a: a, out_dims=None)(_arr(t, X)),
    "out_dim_out_of_range": lambda t: t.vmap(lambda a: a, out_dims=3)(_arr(t, X)),
    "randomness_bad": lambda t: t.vmap(lambda a: a, randomness="foo"),
    "chunk_size_zero": lambda t: t.vmap(lambda a: a, chunk_size=0),
    "random_in_error_mode": lambda t: t.vmap(lambda a: a + t.rand(3))(_arr(t, X)),
    "dropout_in_error_mode": lambda t: t.vmap(lambda a: t.nn.functional.dropout(a))(_arr(t, X)),
    "in_place_writes_through": lambda t: (lambda a: (t.vmap(lambda x: x.mul_(2))(a), a))(_arr(t, X)),
    "nested_tuple_in_dims": lambda t: t.vmap(lambda p, y: p[0] + p[1] * y, in_dims=((0, None), 1))(
        (_arr(t, X), _arr(t, V)), _arr(t, X).T.contiguous()),
    "list_out_dims_for_list": lambda t: t.vmap(lambda a: [a, a * 2], out_dims=[0, 1])(_arr(t, X)),
    "tuple_out_dims_for_list": lambda t: t.vmap(lambda a: [a, a * 2], out_dims=(0, 1))(_arr(t, X)),
    "empty_dict_out": lambda t: t.vmap(lambda a: {})(_arr(t, X)),
    "bool_out": lambda t: t.vmap(lambda a: a > 0.3)(_arr(t, X)),
    "functools_partial_name": lambda t: t.vmap(functools.partial(t.add, alpha=2), in_dims=[0])(_arr(t, X)),
}


@pytest.mark.parametrize("name", sorted(VMAP_CASES))
def test_vmap_matches_torch(name):
    _same(VMAP_CASES[name])


def test_vmap_is_torch_func_vmap_and_keeps_the_name():
    def myf(x):
        return x

    assert lanterna.vmap is lanterna.func.vmap
    assert lanterna.vmap(myf).__name__ == torch.vmap(myf).__name__ == "myf"


@pytest.mark.parametrize("seed", [0, 3])
def test_vmap_randomness_same_matches_torch(seed):
    """'same': every element draws what one unbatched call draws, and the generator ends where
    that call leaves it."""
    results = []
    for t in (torch, lanterna):
        t.manual_seed(seed)
        out = t.vmap(lambda a: a + t.rand(3), randomness="same")(_arr(t, X))
        results.append((out.tolist(), t.rand(2).tolist()))
    np.testing.assert_allclose(results[1][0], results[0][0], rtol=1e-6)
    np.testing.assert_allclose(results[1][1], results[0][1], rtol=1e-6)


# --- grad / grad_and_value -------------------------------------------------------------------

def _cube_sum(x):
    return (x ** 3).sum()


GRAD_CASES = {
    "cube": lambda t: t.func.grad(_cube_sum)(_arr(t, V)),
    "second_derivative": lambda t: t.func.grad(t.func.grad(lambda x: x.sin() * x))(t.tensor(0.7)),
    "third_derivative": lambda t: t.func.grad(t.func.grad(t.func.grad(lambda x: x ** 4)))(t.tensor(1.5)),
    "argnums_tuple": lambda t: t.func.grad(lambda x, y: (x * y.exp()).sum(), argnums=(1, 0))(
        _arr(t, V), _arr(t, V)),
    "argnums_negative": lambda t: t.func.grad(lambda x, y: (x * y ** 2).sum(), argnums=-1)(_arr(t, V), _arr(t, V)),
    "dict_arg": lambda t: t.func.grad(lambda d: (d["a"] * d["b"]).sum())({"a": _arr(t, V), "b": _arr(t, V) * 2}),
    "has_aux": lambda t: t.func.grad(lambda x: ((x ** 2).sum(), {"y": x * 3}), has_aux=True)(_arr(t, V)),
    "kwargs_passed": lambda t: t.func.grad(lambda x, p=1.0: (x * p).sum())(_arr(t, V), p=_arr(t, V)),
    "grad_and_value": lambda t: t.func.grad_and_value(lambda x: (x ** 2).sum())(_arr(t, V)),
    "grad_and_value_aux": lambda t: t.func.grad_and_value(lambda x: ((x ** 2).sum(), x.mean()), has_aux=True)(
        _arr(t, V)),
    "unused_input_zeros": lambda t: t.func.grad(lambda x, y: (x ** 2).sum(), argnums=1)(_arr(t, V), _arr(t, X)),
    "constant_output": lambda t: t.func.grad(lambda x: t.tensor(1.0))(_arr(t, V)),
    "inner_no_grad": lambda t: t.func.grad(lambda x: (x * x.detach() + x.sin()).sum())(_arr(t, V)),
    "closure_requires_grad": lambda t: _with_w(t, lambda w: t.func.grad(lambda x: ((x * w).sum()) ** 2)(_arr(t, V))),
    "caller_requires_grad": lambda t: t.func.grad(_cube_sum)(_arr(t, V, rg=True)),
    "under_no_grad": lambda t: _with_w(t, lambda w: _under_no_grad(
        t, lambda: t.func.grad(lambda x: (x * w).sum() ** 2)(_arr(t, V)))),
    "no_perturbation_confusion": lambda t: t.func.grad(
        lambda x: (x * t.func.grad(lambda y: (x * y).sum())(x)).sum())(_arr(t, [1.0, 2.0])),
    "vector_output": lambda t: t.func.grad(lambda x: x * 2)(_arr(t, V)),
    "non_tensor_output": lambda t: t.func.grad(lambda x: 3.0)(_arr(t, V)),
    "aux_not_tuple": lambda t: t.func.grad(lambda x: x.sum(), has_aux=True)(_arr(t, V)),
    "aux_non_tensor": lambda t: t.func.grad(lambda x: (x.sum(), 1.0), has_aux=True)(_arr(t, V)),
    "non_tensor_input": lambda t: t.func.grad(lambda x: x)(3.0),
    "int_input": lambda t: t.func.grad(lambda x: x.sum())(t.tensor([1, 2])),
    "argnums_out_of_range": lambda t: t.func.grad(lambda x: x.sum(), argnums=2)(_arr(t, V)),
    "argnums_repeated": lambda t: t.func.grad(lambda x: x.sum(), argnums=(0, 0))(_arr(t, V)),
    "argnums_empty": lambda t: t.func.grad(lambda x: x.sum(), argnums=())(_arr(t, V)),
    "argnums_list": lambda t: t.func.grad(lambda x: x.sum(), argnums=[0])(_arr(t, V)),
    "argnums_float": lambda t: t.func.grad(lambda x: x.sum(), argnums=(0.5,))(_arr(t, V)),
}


def _with_w(t, fn):
    """``fn(w)`` for a weight the caller differentiates (made outside the transformed function:
    PyTorch refuses ``requires_grad_()`` inside one)."""
    return fn(_arr(t, [0.5, 1.5, -2.0], rg=True))


def _under_no_grad(t, fn):
    with t.no_grad():
        return fn()


@pytest.mark.parametrize("name", sorted(GRAD_CASES))
def test_grad_matches_torch(name):
    _same(GRAD_CASES[name])


def test_grad_leaves_the_callers_tensors_alone():
    for t in (torch, lanterna):
        x = _arr(t, V, rg=True)
        g = t.func.grad(_cube_sum)(x)
        assert x.grad is None
        # the result is still differentiable by the caller: d/dx sum(3x^2) = 6x
        g.sum().backward()
        np.testing.assert_allclose(x.grad.tolist(), [6 * v for v in V], rtol=1e-6)


# --- vjp / jvp / jacobians -------------------------------------------------------------------

def _two_outputs(x, y):
    return x * y.sin(), (x ** 2).sum()


def _vjp_fn_call(t, primals, cot, **kw):
    out, fn = t.func.vjp(lambda x: x ** 2 * 3, *primals, **kw)
    return out, fn(cot)


OTHER_CASES = {
    "vjp": lambda t: _vjp_fn_call(t, (_arr(t, V),), _arr(t, [1.0, 2.0, 3.0])),
    "vjp_two_primals": lambda t: (lambda o, fn: (o, fn((_arr(t, V), t.tensor(2.0)))))(
        *t.func.vjp(_two_outputs, _arr(t, V), _arr(t, V))),
    "vjp_aux": lambda t: (lambda o, fn, aux: (o, fn(t.ones(3)), aux))(
        *t.func.vjp(lambda x: (x.exp(), x.sum()), _arr(t, V), has_aux=True)),
    "vjp_bad_cotangent_structure": lambda t: t.func.vjp(_two_outputs, _arr(t, V), _arr(t, V))[1](t.ones(3)),
    "vjp_int_output": lambda t: t.func.vjp(lambda x: x.long(), _arr(t, V)),
    "vjp_none_output": lambda t: t.func.vjp(lambda x: None, _arr(t, V)),
    "vjp_float_output": lambda t: t.func.vjp(lambda x: 3.0, _arr(t, V)),
    "vjp_requires_grad": lambda t: _vjp_fn_call(t, (_arr(t, V, rg=True),), t.ones(3)),
    "jvp": lambda t: t.func.jvp(lambda x: x.sin() * x, (_arr(t, V),), (_arr(t, [1.0, 0.5, -1.0]),)),
    "jvp_two": lambda t: t.func.jvp(_two_outputs, (_arr(t, V), _arr(t, V)), (t.ones(3), _arr(t, V))),
    "jvp_aux": lambda t: t.func.jvp(lambda x: (x ** 2, x.sum()), (_arr(t, V),), (t.ones(3),), has_aux=True),
    "jvp_constant_output": lambda t: t.func.jvp(lambda x: t.ones(2), (_arr(t, V),), (t.ones(3),)),
    "jvp_strict": lambda t: t.func.jvp(lambda x: t.ones(2), (_arr(t, V),), (t.ones(3),), strict=True),
    "jvp_primals_not_tuple": lambda t: t.func.jvp(lambda x: x, _arr(t, V), (t.ones(3),)),
    "jvp_structure": lambda t: t.func.jvp(lambda x: x, (_arr(t, V),), (t.ones(3), t.ones(3))),
    "jvp_int_primal": lambda t: t.func.jvp(lambda x: x, (t.tensor([1, 2]),), (t.tensor([1, 2]),)),
    "jvp_tangent_shape": lambda t: t.func.jvp(lambda x: x, (_arr(t, V),), (t.ones(2),)),
    "jacrev": lambda t: t.func.jacrev(lambda x: x.sin() * x.sum())(_arr(t, V)),
    "jacrev_matrix": lambda t: t.func.jacrev(lambda m: m @ m.T)(_arr(t, X)),
    "jacrev_argnums": lambda t: t.func.jacrev(_two_outputs, argnums=(0, 1))(_arr(t, V), _arr(t, V)),
    "jacrev_dict_out": lambda t: t.func.jacrev(lambda x: {"a": x * 2, "b": x.sum()})(_arr(t, V)),
    "jacrev_aux": lambda t: t.func.jacrev(lambda x: (x ** 2, x.sum()), has_aux=True)(_arr(t, V)),
    "jacrev_int_output": lambda t: t.func.jacrev(lambda x: x.long())(_arr(t, V)),
    "jacrev_chunk_zero": lambda t: t.func.jacrev(lambda x: x, chunk_size=0),
    "jacrev_int_input": lambda t: t.func.jacrev(lambda x: x.sum())(t.tensor([1, 2])),
    "jacrev_requires_grad": lambda t: t.func.jacrev(lambda x: x ** 2)(_arr(t, V, rg=True)),
    "jacfwd": lambda t: t.func.jacfwd(lambda x: x.sin() * x.sum())(_arr(t, V)),
    "jacfwd_argnums": lambda t: t.func.jacfwd(_two_outputs, argnums=1)(_arr(t, V), _arr(t, V)),
    "jacfwd_aux": lambda t: t.func.jacfwd(lambda x: (x ** 2, x.sum()), has_aux=True)(_arr(t, V)),
    "jacfwd_random": lambda t: t.func.jacfwd(lambda x: x + t.rand(3))(_arr(t, V)),
    "jacfwd_randomness_bad": lambda t: t.func.jacfwd(lambda x: x, randomness="bad")(_arr(t, V)),
    "jacfwd_int_input": lambda t: t.func.jacfwd(lambda x: x.sum())(t.tensor([1, 2])),
    "jacfwd_float_output": lambda t: t.func.jacfwd(lambda x: 3.0)(_arr(t, V)),
    "hessian": lambda t: t.func.hessian(lambda x: (x ** 3).sum() + x.prod())(_arr(t, V)),
    "hessian_argnums": lambda t: t.func.hessian(lambda x, y: (x * y * y).sum(), argnums=(0, 1))(
        _arr(t, [1.0, 2.0]), _arr(t, [3.0, 4.0])),
    "hessian_linear": lambda t: t.func.hessian(lambda x: x.sum())(_arr(t, V)),
    "jacrev_of_jacrev": lambda t: t.func.jacrev(t.func.jacrev(lambda x: x.exp().sum()))(_arr(t, V)),
    "vmap_jacrev": lambda t: t.func.vmap(t.func.jacrev(lambda x: x.sin()))(_arr(t, X)),
    "grad_of_vjp": lambda t: t.func.grad(lambda v: t.func.vjp(lambda x: x ** 2, _arr(t, V))[1](v)[0].sum())(
        t.ones(3)),
    "grad_of_jvp": lambda t: t.func.grad(lambda v: t.func.jvp(lambda x: x ** 3, (_arr(t, V),), (v,))[1].sum())(
        t.ones(3)),
    "vjp_dict_output": lambda t: t.func.vjp(lambda x: {"a": x * 3}, _arr(t, V))[1]({"a": t.ones(3)}),
    "vjp_wrong_dict_keys": lambda t: t.func.vjp(lambda x: {"a": x * 3}, _arr(t, V))[1]({"b": t.ones(3)}),
    "vjp_cotangent_shape": lambda t: t.func.vjp(lambda x: x * 3, _arr(t, V))[1](t.ones(2)),
    "jvp_dict_primal": lambda t: t.func.jvp(lambda d: d["a"] * 2, ({"a": _arr(t, V)},), ({"a": t.ones(3)},)),
    "jvp_relu_tanh_exp": lambda t: t.func.jvp(lambda x: t.tanh(t.relu(x)) * x.exp(), (_arr(t, V),), (_arr(t, V),)),
    "jvp_matmul": lambda t: t.func.jvp(lambda m: m @ m, (_arr(t, Y),), (t.ones(3, 3),)),
    "hessian_softmax": lambda t: t.func.hessian(lambda x: t.softmax(x, 0)[0])(_arr(t, V)),
    "hessian_scalar_input": lambda t: t.func.hessian(lambda x: x ** 3)(t.tensor(2.0)),
    "grad_tuple_argument": lambda t: t.func.grad(lambda p: (p[0] * p[1]).sum())((_arr(t, V), _arr(t, V) * 2)),
    "linearize": lambda t: (lambda out, fn: (out, fn(_arr(t, [1.0, 0.0, 2.0]))))(
        *t.func.linearize(lambda x: x.sin(), _arr(t, V))),
}


@pytest.mark.parametrize("name", sorted(OTHER_CASES))
def test_transforms_match_torch(name):
    _same(OTHER_CASES[name])


# --- the per-sample-gradient and ensembling tutorials -----------------------------------------

def _model_pair():
    """A small torch ``nn.Sequential`` and the same network in Lanterna, weights copied."""
    torch.manual_seed(0)
    tm = torch.nn.Sequential(torch.nn.Linear(4, 5), torch.nn.Tanh(), torch.nn.Linear(5, 3))
    lm = lanterna.nn.Sequential(lanterna.nn.Linear(4, 5), lanterna.nn.Tanh(), lanterna.nn.Linear(5, 3))
    with lanterna.no_grad():
        for (_, lp), (_, tp) in zip(lm.named_parameters(), tm.named_parameters()):
            lp.copy_(lanterna.tensor(tp.detach().numpy()))
    return tm, lm


def _per_sample_grads(t, model, detach):
    data = _arr(t, np.linspace(-1, 1, 24).reshape(6, 4))
    targets = t.tensor([0, 2, 1, 1, 0, 2])
    params = {k: (v.detach() if detach else v) for k, v in model.named_parameters()}
    buffers = {k: v.detach() for k, v in model.named_buffers()}

    def compute_loss(params, buffers, sample, target):
        predictions = t.func.functional_call(model, (params, buffers), (sample.unsqueeze(0),))
        return t.nn.functional.cross_entropy(predictions, target.unsqueeze(0))

    ft_compute_sample_grad = t.func.vmap(t.func.grad(compute_loss), in_dims=(None, None, 0, 0))
    return ft_compute_sample_grad(params, buffers, data, targets)


@pytest.mark.parametrize("detach", [True, False])
def test_per_sample_gradients_tutorial_matches_torch(detach):
    tm, lm = _model_pair()
    expected = _per_sample_grads(torch, tm, detach)
    got = _per_sample_grads(lanterna, lm, detach)
    assert list(got) == list(expected)
    for k in expected:
        assert tuple(got[k].shape) == tuple(expected[k].shape)
        assert got[k].requires_grad == expected[k].requires_grad
        np.testing.assert_allclose(got[k].detach().numpy(), expected[k].detach().numpy(), rtol=1e-5, atol=1e-6)
    for p in lm.parameters():
        assert p.grad is None


def test_model_ensembling_tutorial_matches_torch():
    results = []
    for t in (torch, lanterna):
        t.manual_seed(0)
        models = [t.nn.Linear(3, 2) for _ in range(4)]
        if t is lanterna:  # the same weights as torch's models
            for lm, tm in zip(models, results[0][1]):
                with lanterna.no_grad():
                    lm.weight.copy_(lanterna.tensor(tm.weight.detach().numpy()))
                    lm.bias.copy_(lanterna.tensor(tm.bias.detach().numpy()))
        params, buffers = t.func.stack_module_state(models)
        base = models[0]

        def fmodel(params, buffers, x, base=base, t=t):
            return t.func.functional_call(base, (params, buffers), (x,))

        x = _arr(t, X)
        out = t.vmap(fmodel, in_dims=(0, 0, None))(params, buffers, x)
        results.append((out, models))
    (expected, _), (got, _) = results
    assert tuple(got.shape) == tuple(expected.shape) == (4, 2, 2)
    assert got.requires_grad and expected.requires_grad
    np.testing.assert_allclose(got.detach().numpy(), expected.detach().numpy(), rtol=1e-5, atol=1e-6)


def test_replace_all_batch_norm_modules_matches_torch():
    def summary(t):
        net = t.nn.Sequential(t.nn.Linear(2, 2), t.nn.BatchNorm1d(2))
        t.func.replace_all_batch_norm_modules_(net)
        bn = net[1]
        return bn.running_mean, bn.running_var, bn.num_batches_tracked, bn.track_running_stats

    assert _run(summary, lanterna) == _run(summary, torch)
