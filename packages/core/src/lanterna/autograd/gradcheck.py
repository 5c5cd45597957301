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


def _as_tensor(a):
    from ..ops.creation import tensor

    return tensor(a, dtype=_float64())


def _float64():
    from .. import float64

    return float64


def _fail(msg, raise_exception):
    if raise_exception:
        raise GradcheckError(msg)
    return False


def gradcheck(func, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True, nondet_tol=0.0,
              check_undefined_grad=True, check_grad_dtypes=False, check_batched_grad=False,
              check_batched_forward_grad=False, check_forward_ad=False, check_backward_ad=True, fast_mode=False,
              masked=None):
    """Compare analytical gradients with central finite differences for each input requiring grad.

    ``func`` returns a tensor or a tuple of tensors; ``inputs`` is a tensor or a tuple whose
    tensors that require grad (ideally float64) are checked. Returns True, or raises
    :class:`GradcheckError` (returns False with ``raise_exception=False``). ``fast_mode`` compares
    one random projection ``v^T J u`` of each Jacobian instead of the whole matrix.
    """
    from .._tensor import Tensor

    inputs = _as_tuple(inputs)
    diff = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    if not diff:
        raise ValueError("gradcheck expects at least one input tensor to require gradient, but none of "
                         "them have requires_grad=True.")
    for i in diff:
        if inputs[i].dtype.name != "float64":
            warnings.warn(
                f"Input #{i} requires gradient and is not a double precision floating point or complex. This check "
                "will likely fail if all the inputs are not of double precision floating point or complex. ",
                stacklevel=2,
            )
    outs = _as_tuple(func(*inputs))
    for o in outs:
        o.requires_grad  # noqa: B018  (PyTorch fails here on a non-tensor output: AttributeError)
    sizes = [o.numel() for o in _tensors(outs)]
    bounds = np.cumsum([0] + sizes)
    rng = np.random.default_rng(0)
    for i in diff:
        num = _numerical_jacobian(func, inputs, i, eps)
        ana = _analytical_jacobian(func, inputs, i)
        for j in range(len(sizes)):
            n_j, a_j = num[:, bounds[j]:bounds[j + 1]], ana[:, bounds[j]:bounds[j + 1]]
            if fast_mode:
                u = rng.standard_normal(n_j.shape[0])
                v = rng.standard_normal(n_j.shape[1])
                n_fast, a_fast = float(u @ n_j @ v), float(u @ a_j @ v)
                if not np.allclose(a_fast, n_fast, rtol=rtol, atol=atol):
                    slow_ok = np.allclose(a_j, n_j, rtol=rtol, atol=atol)
                    msg = (
                        f"Jacobian mismatch for output {j:d} with respect to input {i:d},\n"
                        f"numerical:{n_fast}\nanalytical:{a_fast}\n\n"
                        "The above quantities relating the numerical and analytical jacobians are computed \n"
                        "in fast mode. See: https://github.com/pytorch/pytorch/issues/53876 for more background \n"
                        "about fast mode. Below, we recompute numerical and analytical jacobians in slow mode:\n\n"
                        f"Numerical:\n {_as_tensor(n_j)}\n"
                        f"Analytical:\n{_as_tensor(a_j)}\n\n"
                        f"The max per-element difference (slow mode) is: {_as_tensor(np.abs(n_j - a_j).max())}.\n"
                    )
                    if slow_ok:
                        msg += "\nFast gradcheck failed but element-wise differences are small. This means that the\n" \
                               "test might've passed in slow_mode!"
                    return _fail(msg, raise_exception)
            elif n_j.shape != a_j.shape or not np.allclose(a_j, n_j, rtol=rtol, atol=atol):
                return _fail(f"Jacobian mismatch for output {j:d} with respect to input {i:d},\n"
                             f"numerical:{_as_tensor(n_j)}\nanalytical:{_as_tensor(a_j)}\n", raise_exception)
    return True


def gradgradcheck(func, inputs, grad_outputs=None, *, eps=1e-6, atol=1e-5, rtol=1e-3,
                  gen_non_contig_grad_outputs=False, raise_exception=True, nondet_tol=0.0, check_undefined_grad=True,
                  check_grad_dtypes=False, check_batched_grad=False, check_fwd_over_rev=False, check_rev_over_rev=True,
                  fast_mode=False, masked=False):
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
                     raise_exception=raise_exception, fast_mode=fast_mode)
