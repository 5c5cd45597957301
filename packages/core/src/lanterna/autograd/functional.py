"""``torch.autograd.functional``: Jacobians, Hessians and vector products of functions.

>>> import lanterna as torch
>>> torch.autograd.functional.jacobian(lambda x: x ** 2, torch.tensor([1.0, 2.0]))
tensor([[2., 0.],
        [0., 4.]])
"""

from __future__ import annotations


def _tuple(x):
    return (tuple(x), True) if isinstance(x, (tuple, list)) else ((x,), False)


def _prepare(inputs, create_graph):
    from .grad_mode import enable_grad

    with enable_grad():
        return tuple(x if create_graph and x.requires_grad else x.detach().requires_grad_(True) for x in inputs)


def _grad(outputs, inputs, grad_outputs, create_graph):
    from . import grad

    gs = grad(outputs, inputs, grad_outputs, retain_graph=True, create_graph=create_graph, allow_unused=True)
    return tuple(g if g is not None else x.new_zeros(x.shape) for g, x in zip(gs, inputs))


def vjp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), v^T J)``."""
    from .grad_mode import enable_grad

    inputs, is_tuple = _tuple(inputs)
    inputs = _prepare(inputs, create_graph)
    with enable_grad():
        out = func(*inputs)
    outs, out_tuple = _tuple(out)
    if v is None:
        v = tuple(o.new_ones(o.shape) for o in outs)
    vs, _ = _tuple(v)
    g = _grad(list(outs), list(inputs), list(vs), create_graph)
    res = tuple(o if create_graph else o.detach() for o in outs)
    return (res if out_tuple else res[0]), (g if is_tuple else g[0])


def jvp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), J v)`` through the double-vjp trick."""
    from .grad_mode import enable_grad

    inputs, _ = _tuple(inputs)
    inputs = _prepare(inputs, True)
    vs = _tuple(v)[0] if v is not None else tuple(x.new_ones(x.shape) for x in inputs)
    with enable_grad():
        out = func(*inputs)
        outs, out_tuple = _tuple(out)
        us = tuple(o.new_zeros(o.shape).requires_grad_(True) for o in outs)
        g = _grad(list(outs), list(inputs), list(us), True)
        jv = _grad(list(g), list(us), list(vs), create_graph)
    res = tuple(o if create_graph else o.detach() for o in outs)
    return (res if out_tuple else res[0]), (jv if out_tuple else jv[0])


def jacobian(func, inputs, create_graph=False, strict=False, vectorize=False, strategy="reverse-mode"):
    """The Jacobian of ``func`` at ``inputs``: shape ``out.shape + in.shape`` (tuples nest)."""
    from .grad_mode import enable_grad
    from ..ops.joining import stack

    inputs, is_tuple = _tuple(inputs)
    inputs = _prepare(inputs, create_graph)
    with enable_grad():
        out = func(*inputs)
    outs, out_tuple = _tuple(out)
    rows = []
    for o in outs:
        flat = o.reshape(-1)
        per_input = [[] for _ in inputs]
        for k in range(flat.shape[0]):
            gs = _grad([flat[k]], list(inputs), None, create_graph)
            for i, g in enumerate(gs):
                per_input[i].append(g)
        jac = tuple(stack(p).reshape(tuple(o.shape) + tuple(x.shape)) if p else
                    x.new_zeros(tuple(o.shape) + tuple(x.shape)) for p, x in zip(per_input, inputs))
        rows.append(jac if is_tuple else jac[0])
    return tuple(rows) if out_tuple else rows[0]


def hessian(func, inputs, create_graph=False, strict=False, vectorize=False, outer_jacobian_strategy="reverse-mode"):
    """The Hessian of a scalar ``func`` at ``inputs``."""
    is_tuple = _tuple(inputs)[1]

    def grad_fn(*xs):
        from .grad_mode import enable_grad

        with enable_grad():
            out = func(*xs)
            return _grad([out], list(xs), None, True) if is_tuple else _grad([out], list(xs), None, True)[0]

    return jacobian(grad_fn, inputs, create_graph=create_graph)


def vhp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), v^T H)``."""
    from .grad_mode import enable_grad

    inputs, is_tuple = _tuple(inputs)
    inputs = _prepare(inputs, True)
    vs = _tuple(v)[0]
    with enable_grad():
        out = func(*inputs)
        g = _grad([out], list(inputs), None, True)
        h = _grad(list(g), list(inputs), list(vs), create_graph)
    return (out if create_graph else out.detach()), (h if is_tuple else h[0])


hvp = vhp  # the Hessian is symmetric
