"""Finite-difference gradient checks (float64), as ``torch.autograd.gradcheck``."""

from __future__ import annotations

import numpy as np


def _as_tuple(x):
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def _numerical_jacobian(fn, inputs, i, eps):
    from .grad_mode import no_grad

    x = inputs[i]
    flat = x._data.reshape(-1)
    cols = []
    with no_grad():
        for k in range(flat.size):
            orig = flat[k].item()
            flat[k] = orig + eps
            plus = [o._host().astype(np.float64).reshape(-1).copy() for o in _as_tuple(fn(*inputs))]
            flat[k] = orig - eps
            minus = [o._host().astype(np.float64).reshape(-1).copy() for o in _as_tuple(fn(*inputs))]
            flat[k] = orig
            cols.append(np.concatenate([(p - m) / (2 * eps) for p, m in zip(plus, minus)]))
    return np.stack(cols, axis=0) if cols else np.zeros((0, 0))  # (n_in, n_out)


def _analytical_jacobian(fn, inputs, i, create_graph=False):
    from . import grad as autograd_grad
    from .._tensor import Tensor

    outs = [o for o in _as_tuple(fn(*inputs)) if isinstance(o, Tensor)]
    sizes = [o.numel() for o in outs]
    rows = []
    for j, o in enumerate(outs):
        for k in range(sizes[j]):
            if not o._requires_grad:
                rows.append(np.zeros(inputs[i].numel()))
                continue
            go = [z.new_zeros(z.shape) for z in outs]
            go[j]._data.reshape(-1)[k] = 1
            g = autograd_grad([o], [inputs[i]], grad_outputs=[go[j]], retain_graph=True, allow_unused=True)[0]
            rows.append(np.zeros(inputs[i].numel()) if g is None else g._host().astype(np.float64).reshape(-1))
    return np.stack(rows, axis=1) if rows else np.zeros((inputs[i].numel(), 0))  # (n_in, n_out)


def gradcheck(func, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True, **kwargs):
    """Compare analytical gradients with central finite differences for each input requiring grad."""
    from .._tensor import Tensor

    inputs = _as_tuple(inputs)
    for i, x in enumerate(inputs):
        if not (isinstance(x, Tensor) and x._requires_grad):
            continue
        if x.dtype.name != "float64":
            import warnings

            warnings.warn("Input #%d requires gradient and is not a double precision floating point." % i)
        num = _numerical_jacobian(func, inputs, i, eps)
        ana = _analytical_jacobian(func, inputs, i)
        if num.shape != ana.shape or not np.allclose(ana, num, rtol=rtol, atol=atol):
            if raise_exception:
                raise GradcheckError(
                    f"Jacobian mismatch for output 0 with respect to input {i},\nnumerical:{num}\nanalytical:{ana}\n"
                )
            return False
    return True


def gradgradcheck(func, inputs, grad_outputs=None, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True, **kw):
    """gradcheck of the gradient itself (second derivatives through ``create_graph``)."""
    from . import grad as autograd_grad
    from .._tensor import Tensor

    inputs = _as_tuple(inputs)
    diff_idx = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x._requires_grad]
    outs = _as_tuple(func(*inputs))
    if grad_outputs is None:
        rng = np.random.default_rng(0)
        grad_outputs = [o.new_tensor(rng.standard_normal(o.shape)) for o in outs]
        for g in grad_outputs:
            g.requires_grad_(True)
    n_in = len(inputs)

    def first_grads(*args):
        xs, gos = args[:n_in], args[n_in:]
        o = _as_tuple(func(*xs))
        gs = autograd_grad(list(o), [xs[i] for i in diff_idx], grad_outputs=list(gos), create_graph=True,
                           allow_unused=True)
        return tuple(g if g is not None else xs[i].new_zeros(xs[i].shape) for g, i in zip(gs, diff_idx))

    return gradcheck(first_grads, tuple(inputs) + tuple(grad_outputs), eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception)


class GradcheckError(RuntimeError):
    pass
