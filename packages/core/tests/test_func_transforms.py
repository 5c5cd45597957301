"""``lanterna.func`` transforms and ``lanterna.vmap`` against closed-form results."""

import subprocess
import sys

import numpy as np
import pytest

import lanterna as torch
from lanterna.func import functional_call, grad, grad_and_value, hessian, jacfwd, jacrev, jvp, vjp, vmap


def _t(values):
    return torch.tensor(np.asarray(values, dtype=np.float32))


def _close(a, b, tol=1e-5):
    np.testing.assert_allclose(np.asarray(a.detach().numpy() if hasattr(a, "detach") else a, dtype=np.float64),
                               np.asarray(b, dtype=np.float64), rtol=tol, atol=tol)


X = np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]], dtype=np.float32)


# --- exposure --------------------------------------------------------------------------------

def test_import_lanterna_does_not_load_func():
    code = "import sys, lanterna; assert 'lanterna.func' not in sys.modules; lanterna.vmap; " \
           "assert 'lanterna.func' in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_names_are_exposed():
    assert torch.vmap is torch.func.vmap is vmap
    for name in ("grad", "grad_and_value", "vjp", "jvp", "jacrev", "jacfwd", "hessian", "functional_call",
                 "stack_module_state", "linearize", "functionalize"):
        assert name in torch.func.__all__ and callable(getattr(torch.func, name))
    assert "vmap" in dir(torch)


# --- grad ------------------------------------------------------------------------------------

def test_grad_of_cube_sum_is_three_x_squared():
    x = _t([1.0, -2.0, 0.5])
    _close(grad(lambda x: (x ** 3).sum())(x), 3 * x.numpy() ** 2)


def test_second_and_third_derivatives():
    x = torch.tensor(0.7)
    _close(grad(grad(lambda x: x.sin() * x))(x), 2 * np.cos(0.7) - 0.7 * np.sin(0.7))
    _close(grad(grad(grad(lambda x: x ** 4)))(torch.tensor(1.5)), 24 * 1.5)


def test_grad_argnums_and_pytree_arguments():
    x, y = _t([1.0, 2.0]), _t([3.0, -1.0])
    gy, gx = grad(lambda x, y: (x * y ** 2).sum(), argnums=(1, 0))(x, y)
    _close(gy, 2 * x.numpy() * y.numpy())
    _close(gx, y.numpy() ** 2)
    g = grad(lambda d: (d["a"] * d["b"]).sum())({"a": x, "b": y})
    assert list(g) == ["a", "b"]
    _close(g["a"], y.numpy())
    _close(g["b"], x.numpy())


def test_grad_has_aux_and_grad_and_value():
    x = _t([1.0, 2.0])
    g, aux = grad(lambda x: ((x ** 2).sum(), x * 10), has_aux=True)(x)
    _close(g, [2.0, 4.0])
    _close(aux, [10.0, 20.0])
    g, (value, aux) = grad_and_value(lambda x: ((x ** 2).sum(), x.mean()), has_aux=True)(x)
    _close(value, 5.0)
    _close(aux, 1.5)


def test_grad_uses_fresh_inputs():
    x = _t([1.0, 2.0]).requires_grad_()
    g = grad(lambda x: (x ** 3).sum())(x)
    assert x.grad is None
    plain = _t([1.0, 2.0])
    assert not grad(lambda x: (x ** 3).sum())(plain).requires_grad
    assert not plain.requires_grad
    g.sum().backward()  # the caller still differentiates through: d/dx sum(3x^2) = 6x
    _close(x.grad, [6.0, 12.0])


def test_grad_inside_grad_is_not_confused():
    # d/dx [x * d/dy (x*y)] = d/dx x^2 = 2x, with x a closure of the inner function
    _close(grad(lambda x: (x * grad(lambda y: (x * y).sum())(x)).sum())(_t([1.0, 2.0])), [2.0, 4.0])


def test_grad_errors():
    x = _t([1.0, 2.0])
    with pytest.raises(RuntimeError, match=r"Expected f\(\*args\) to return a scalar Tensor, got tensor with 1 dims"):
        grad(lambda x: x * 2)(x)
    with pytest.raises(RuntimeError, match="output of function f should be a tuple: \\(output, aux\\)"):
        grad(lambda x: x.sum(), has_aux=True)(x)
    with pytest.raises(RuntimeError, match="Got argnum=1, but only 1 positional inputs"):
        grad(lambda x: x.sum(), argnums=1)(x)
    with pytest.raises(ValueError, match="Thing passed to transform API must be Tensor"):
        grad(lambda x: x)(3.0)


# --- vjp / jvp / Jacobians -------------------------------------------------------------------

def test_vjp_and_jvp():
    x = _t([1.0, 2.0, 3.0])
    out, fn = vjp(lambda x: x ** 2, x)
    _close(out, x.numpy() ** 2)
    (ct,) = fn(_t([1.0, 0.0, -1.0]))
    _close(ct, [2.0, 0.0, -6.0])
    out, tangent = jvp(lambda x: x ** 2, (x,), (_t([1.0, 1.0, 0.5]),))
    _close(tangent, [2.0, 4.0, 3.0])


def test_jacobians_and_hessian():
    x = _t([0.5, 1.0, -2.0])
    expected = np.diag(np.cos(x.numpy()))
    _close(jacrev(lambda x: x.sin())(x), expected)
    _close(jacfwd(lambda x: x.sin())(x), expected)
    _close(hessian(lambda x: (x ** 3).sum())(x), np.diag(6 * x.numpy()))
    # f(x, y) = x * y elementwise: d/dx = diag(y), d/dy = diag(x)
    jx, jy = jacrev(lambda x, y: x * y, argnums=(0, 1))(x, x * 2)
    _close(jx, np.diag(2 * x.numpy()))
    _close(jy, np.diag(x.numpy()))
    jac = jacrev(lambda m: m.sum(0))(_t(X))
    assert tuple(jac.shape) == (3, 2, 3)
    _close(jac, np.stack([np.eye(3)] * 2, axis=1))


# --- vmap ------------------------------------------------------------------------------------

def test_vmap_dot_and_in_out_dims():
    x = _t(X)
    _close(vmap(torch.dot)(x, x), (X * X).sum(1))
    v = _t([1.0, 2.0, 3.0])
    _close(vmap(torch.mul, in_dims=(0, None))(x, v), X * v.numpy())
    _close(vmap(lambda a: a.sum(), in_dims=1)(x), X.sum(0))
    out = vmap(lambda a: a * 2, out_dims=1)(x)
    assert tuple(out.shape) == (3, 2)
    _close(out, (2 * X).T)
    a, s = vmap(lambda a: (a, a.sum()), out_dims=(1, 0))(x)
    _close(a, X.T)
    _close(s, X.sum(1))


def test_vmap_nested_shapes():
    a, b = torch.randn(2, 3, 4), torch.randn(2, 3, 4)
    out = vmap(vmap(torch.dot))(a, b)
    assert tuple(out.shape) == (2, 3)
    _close(out, (a.numpy() * b.numpy()).sum(-1))
    outer = vmap(vmap(torch.mul, in_dims=(None, 0)), in_dims=(0, None))(_t([1.0, 2.0, 3.0]), _t([1.0, 10.0]))
    _close(outer, np.outer([1.0, 2.0, 3.0], [1.0, 10.0]))


def test_vmap_pytree_inputs_and_outputs():
    x = _t(X)
    out = vmap(lambda d: {"p": d["a"] * d["b"], "s": [d["a"].sum()]}, in_dims=({"a": 0, "b": None},))(
        {"a": x, "b": _t([1.0, 0.0, 2.0])})
    _close(out["p"], X * np.array([1.0, 0.0, 2.0]))
    _close(out["s"][0], X.sum(1))


def test_vmap_errors():
    with pytest.raises(ValueError, match=r"got sizes \[2, 3\] for the mapped dimension"):
        vmap(torch.add)(torch.zeros(2, 3), torch.zeros(3, 3))
    with pytest.raises(ValueError, match="in_dims is not compatible with the structure of `inputs`"):
        vmap(torch.add, in_dims=(0, 0, 0))(torch.zeros(2), torch.zeros(2))
    with pytest.raises(ValueError, match="We cannot vmap over non-Tensor arguments"):
        vmap(lambda a, n: a * n)(torch.zeros(2), 3)
    with pytest.raises(ValueError, match="expected in_dim to satisfy -2 <= in_dim < 2"):
        vmap(lambda a: a, in_dims=2)(torch.zeros(2, 3))
    with pytest.raises(RuntimeError, match="called random operation while in randomness error mode"):
        vmap(lambda a: a + torch.rand(3))(torch.zeros(2, 3))
    with pytest.raises(ValueError, match="chunk_size should be None or greater than 0"):
        vmap(lambda a: a, chunk_size=0)


def test_vmap_randomness_modes():
    x = torch.zeros(3, 2)
    same = vmap(lambda a: a + torch.rand(2), randomness="same")(x)
    _close(same[1], same[0].numpy())
    different = vmap(lambda a: a + torch.rand(2), randomness="different")(x)
    assert not np.allclose(different[0].numpy(), different[1].numpy())


# --- per-sample gradients --------------------------------------------------------------------

def test_per_sample_gradients_of_a_linear_model_by_hand():
    # loss_i = (w . x_i + b - y_i)^2: dloss/dw = 2 r_i x_i, dloss/db = 2 r_i with r_i the residual
    model = torch.nn.Linear(3, 1)
    with torch.no_grad():
        model.weight.copy_(_t([[0.5, -1.0, 0.25]]))
        model.bias.fill_(0.1)
    params = {k: v.detach() for k, v in model.named_parameters()}
    data, targets = _t(X), _t([1.0, -2.0])

    def loss(params, sample, target):
        prediction = functional_call(model, params, (sample.unsqueeze(0),))
        return ((prediction.squeeze() - target) ** 2)

    grads = vmap(grad(loss), in_dims=(None, 0, 0))(params, data, targets)
    r = X @ np.array([0.5, -1.0, 0.25]) + 0.1 - np.array([1.0, -2.0])
    _close(grads["weight"], (2 * r[:, None] * X)[:, None, :])
    _close(grads["bias"], (2 * r)[:, None])
    assert model.weight.grad is None
