"""Finite-difference gradient checks (float64), as ``torch.autograd.gradcheck``.

>>> import lanterna as torch
>>> x = torch.tensor([0.5, 1.5], dtype=torch.float64, requires_grad=True)
>>> torch.autograd.gradcheck(lambda t: (t * t).sin(), (x,))
True
"""

from __future__ import annotations

import warnings

import numpy as np


class GradcheckError(RuntimeError):
    """Raised when analytical and numerical gradients disagree."""


def _as_tuple(x):
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def _tensors(outs):
    from .._tensor import Tensor

    return [o for o in _as_tuple(outs) if isinstance(o, Tensor)]


def _numerical_jacobian(fn, inputs, i, eps):
    """Central differences: rows are input elements, columns are output elements."""
    from .grad_mode import no_grad

    x = inputs[i]
    data = x._data
    cols = []
    with no_grad():
        for k in range(x.numel()):
            pos = tuple(int(j) for j in np.unravel_index(k, x.shape))  # (Python ints: any array library)
            orig = float(data[pos])
            data[pos] = orig + eps
            plus = [o._host().astype(np.float64).reshape(-1).copy() for o in _tensors(fn(*inputs))]
            data[pos] = orig - eps
            minus = [o._host().astype(np.float64).reshape(-1).copy() for o in _tensors(fn(*inputs))]
            data[pos] = orig
            cols.append(np.concatenate([(p - m) / (2 * eps) for p, m in zip(plus, minus)] or [np.zeros(0)]))
    n_out = sum(o.numel() for o in _tensors(fn(*inputs)))
    return np.stack(cols, axis=0) if cols else np.zeros((0, n_out))


def _analytical_jacobian(fn, inputs, i):
    """One backward per output element, each with a one-hot gradient."""
    from . import grad as autograd_grad

    x = inputs[i]
    outs = _tensors(fn(*inputs))
    rows = []
    for o in outs:
        for k in range(o.numel()):
            if not o.requires_grad:
                rows.append(np.zeros(x.numel()))
                continue
            go = o.new_zeros(o.shape)
            go._data[tuple(int(j) for j in np.unravel_index(k, o.shape))] = 1
            g = autograd_grad([o], [x], grad_outputs=[go], retain_graph=True, allow_unused=True)[0]
            if g is None:
                rows.append(np.zeros(x.numel()))
                continue
            if tuple(g.shape) != tuple(x.shape):
                raise GradcheckError(f"Gradient has shape {list(g.shape)}, input {i} has {list(x.shape)}")
            if g.dtype is not x.dtype:
                raise GradcheckError(f"Gradient has dtype {g.dtype}, input {i} has {x.dtype}")
            rows.append(g._host().astype(np.float64).reshape(-1))
    return np.stack(rows, axis=1) if rows else np.zeros((x.numel(), 0))


def gradcheck(func, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True, **kwargs):
    """Compare analytical gradients with central finite differences for each input requiring grad.

    ``func`` returns a tensor or a tuple of tensors; ``inputs`` is a tensor or a tuple whose
    tensors that require grad (ideally float64) are checked. Returns True, or raises
    :class:`GradcheckError` (returns False with ``raise_exception=False``).
    """
    from .._tensor import Tensor

    inputs = _as_tuple(inputs)
    diff = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    if not diff:
        raise ValueError("gradcheck expects at least one input tensor to require gradient, but none of "
                         "them have requires_grad=True.")
    for i in diff:
        x = inputs[i]
        if x.dtype.name != "float64":
            warnings.warn(
                f"Input #{i} requires gradient and is not a double precision floating point. This check "
                "will likely fail if all the inputs are not of double precision floating point. ",
                stacklevel=2,
            )
        num = _numerical_jacobian(func, inputs, i, eps)
        ana = _analytical_jacobian(func, inputs, i)
        if num.shape != ana.shape or not np.allclose(ana, num, rtol=rtol, atol=atol):
            if raise_exception:
                raise GradcheckError(
                    f"Jacobian mismatch for output 0 with respect to input {i},\n"
                    f"numerical:{num}\nanalytical:{ana}\n"
                )
            return False
    return True


def gradgradcheck(func, inputs, grad_outputs=None, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True,
                  **kwargs):
    """gradcheck of the gradient itself: second derivatives through ``create_graph=True``.

    The gradient of ``func``'s outputs (weighted by random ``grad_outputs``) w.r.t. the inputs
    is checked against finite differences, w.r.t. both the inputs and the ``grad_outputs``.
    """
    from . import grad as autograd_grad
    from .._tensor import Tensor
    from .grad_mode import enable_grad

    inputs = _as_tuple(inputs)
    diff_idx = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    outs = _tensors(func(*inputs))
    if grad_outputs is None:
        rng = np.random.default_rng(0)
        grad_outputs = [o.new_tensor(rng.standard_normal(tuple(o.shape))).requires_grad_(True)
                        for o in outs if o.requires_grad]
    else:
        grad_outputs = list(_as_tuple(grad_outputs))
    n_in = len(inputs)

    def first_grads(*args):
        xs, gos = args[:n_in], args[n_in:]
        with enable_grad():  # also under the no_grad of the finite differences
            o = [t for t in _tensors(func(*xs)) if t.requires_grad]
            gs = autograd_grad(o, [xs[i] for i in diff_idx], grad_outputs=list(gos), create_graph=True,
                               allow_unused=True)
        return tuple(g if g is not None else xs[i].new_zeros(xs[i].shape) for g, i in zip(gs, diff_idx))

    return gradcheck(first_grads, tuple(inputs) + tuple(grad_outputs), eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception)
