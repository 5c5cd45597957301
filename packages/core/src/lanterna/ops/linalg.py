"""Matrix products. They go straight to the backend's BLAS: nothing is added around it."""

from __future__ import annotations

from .. import _dtype as D
from .._tensor import Tensor
from ..autograd.grad_mode import GRAD_ENABLED
from ._apply import Node, attach, check_same_device

_make = Tensor._make


def _shape_str(s):
    return "x".join(str(d) for d in s)


class MmBackward0(Node):
    """2-D @ 2-D, the hot path of Linear: backward is two more matmuls."""

    def backward(self, grad):
        a, b = self.saved
        ga = grad.mm(b.t()) if a._requires_grad or a.grad_fn is not None else None
        gb = a.t().mm(grad) if b._requires_grad or b.grad_fn is not None else None
        return ga, gb


class BmmBackward0(MmBackward0):
    def backward(self, grad):
        a, b = self.saved
        return grad.bmm(b.transpose(1, 2)), a.transpose(1, 2).bmm(grad)


class MvBackward0(Node):
    def backward(self, grad):
        a, b = self.saved
        return grad.unsqueeze(-1) * b, a.t().mv(grad)


class DotBackward0(Node):
    def backward(self, grad):
        a, b = self.saved
        return grad * b, grad * a


class MatmulBackward0(Node):
    """General matmul with batch broadcasting; 1-D operands are promoted and squeezed back."""

    def backward(self, grad):
        a, b = self.saved
        a2 = a.unsqueeze(0) if a.dim() == 1 else a
        b2 = b.unsqueeze(-1) if b.dim() == 1 else b
        g = grad
        if a.dim() == 1:
            g = g.unsqueeze(-2)
        if b.dim() == 1:
            g = g.unsqueeze(-1)
        ga = g.matmul(b2.transpose(-1, -2))
        gb = a2.transpose(-1, -2).matmul(g)
        if a.dim() == 1:
            ga = ga.squeeze(-2)
        if b.dim() == 1:
            gb = gb.squeeze(-1)
        return ga, gb  # the engine sums broadcast batch dims back


def _operands(a, b, name):
    if not isinstance(a, Tensor) or not isinstance(b, Tensor):
        raise TypeError(f"{name}(): argument 'other' must be Tensor, not {type(b).__name__}")
    check_same_device(a, b, name)
    if a.dtype is not b.dtype:
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: {a.dtype} != {b.dtype}")
    return a, b


def _finish(cls, a, b, data):
    out = _make(data, a._backend, a._device)
    if GRAD_ENABLED[0] and (a._requires_grad or b._requires_grad):
        node = cls.__new__(cls)
        node.save(a, b)
        attach(node, (a, b), out)
    return out


def matmul(input, other):
    a, b = _operands(input, other, "matmul")
    da, db = a._data.ndim, b._data.ndim
    if da == 0 or db == 0:
        raise RuntimeError(f"both arguments to matmul need to be at least 1D, but they are {da}D and {db}D")
    ka = a._data.shape[-1]
    kb = b._data.shape[-2] if db > 1 else b._data.shape[0]
    if ka != kb:
        if da == 2 and db == 2:
            raise RuntimeError(
                f"mat1 and mat2 shapes cannot be multiplied ({_shape_str(a.shape)} and {_shape_str(b.shape)})"
            )
        if da == 1 and db == 1:
            raise RuntimeError(
                f"inconsistent tensor size, expected tensor [{ka}] and src [{kb}] to have the same number of elements, but got {ka} and {kb} elements respectively"
            )
        raise RuntimeError(
            f"Expected size for first two dimensions of batch2 tensor to be: [{a.shape[0] if da > 2 else 1}, {ka}] "
            f"but got: [{b.shape[0] if db > 2 else 1}, {kb}]." if da == 3 and db == 3 else
            f"mat1 and mat2 shapes cannot be multiplied ({_shape_str(a.shape[-2:] if da > 1 else (1, ka))} and "
            f"{_shape_str(b.shape[-2:] if db > 1 else (kb, 1))})"
        )
    data = a._backend.xp.matmul(a._data, b._data)
    cls = MmBackward0 if da == 2 and db == 2 else (DotBackward0 if da == 1 and db == 1 else MatmulBackward0)
    return _finish(cls, a, b, data)


def mm(input, mat2):
    a, b = _operands(input, mat2, "mm")
    if a._data.ndim != 2:
        raise RuntimeError(f"self must be a matrix")
    if b._data.ndim != 2:
        raise RuntimeError(f"mat2 must be a matrix")
    if a._data.shape[1] != b._data.shape[0]:
        raise RuntimeError(
            f"mat1 and mat2 shapes cannot be multiplied ({_shape_str(a.shape)} and {_shape_str(b.shape)})"
        )
    return _finish(MmBackward0, a, b, a._backend.xp.matmul(a._data, b._data))


def bmm(input, mat2):
    a, b = _operands(input, mat2, "bmm")
    if a._data.ndim != 3:
        raise RuntimeError(f"batch1 must be a 3D tensor")
    if b._data.ndim != 3:
        raise RuntimeError(f"batch2 must be a 3D tensor")
    if a._data.shape[0] != b._data.shape[0] or a._data.shape[2] != b._data.shape[1]:
        raise RuntimeError(
            f"Expected size for first two dimensions of batch2 tensor to be: [{a.shape[0]}, {a.shape[2]}] "
            f"but got: [{b.shape[0]}, {b.shape[1]}]."
        )
    return _finish(BmmBackward0, a, b, a._backend.xp.matmul(a._data, b._data))


def mv(input, vec):
    a, b = _operands(input, vec, "mv")
    if a._data.ndim != 2 or b._data.ndim != 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got {a.dim()}, {b.dim()}")
    if a._data.shape[1] != b._data.shape[0]:
        raise RuntimeError(f"size mismatch, got input ({a.shape[0]}), mat ({_shape_str(a.shape)}), vec ({b.shape[0]})")
    return _finish(MvBackward0, a, b, a._backend.xp.matmul(a._data, b._data))


def dot(input, other):
    a, b = _operands(input, other, "dot")
    if a._data.ndim != 1 or b._data.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {a.dim()}D and {b.dim()}D tensors")
    if a._data.shape != b._data.shape:
        raise RuntimeError(
            f"inconsistent tensor size, expected tensor [{a.shape[0]}] and src [{b.shape[0]}] to have the same "
            f"number of elements, but got {a.shape[0]} and {b.shape[0]} elements respectively"
        )
    return _finish(DotBackward0, a, b, a._backend.xp.matmul(a._data, b._data))


inner = dot


def outer(input, vec2):
    return input.unsqueeze(1) * vec2.unsqueeze(0)


ger = outer


def addmm(input, mat1, mat2, *, beta=1, alpha=1):
    prod = mm(mat1, mat2)
    if alpha != 1:
        prod = prod * alpha
    return prod + (input * beta if beta != 1 else input)


def baddbmm(input, batch1, batch2, *, beta=1, alpha=1):
    prod = bmm(batch1, batch2)
    return prod * alpha + input * beta


def addmv(input, mat, vec, *, beta=1, alpha=1):
    return mv(mat, vec) * alpha + input * beta


def einsum(equation, *operands):
    """Einstein summation, composed from permute/reshape/matmul-free broadcasting products.

    Differentiable through the ops it is built from; the forward uses the backend's einsum
    when no gradient is needed.
    """
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    needs_grad = GRAD_ENABLED[0] and any(o._requires_grad for o in operands)
    xp = operands[0]._backend.xp
    if not needs_grad and hasattr(xp, "einsum"):
        return _make(xp.einsum(equation, *[o._data for o in operands], optimize=len(operands) > 2) if xp.__name__ == "numpy" else xp.einsum(equation, *[o._data for o in operands]),
                     operands[0]._backend, operands[0]._device)
    return _einsum_graph(equation, operands)


def _einsum_graph(equation, operands):
    eq = equation.replace(" ", "")
    if "->" in eq:
        lhs, out = eq.split("->")
    else:
        lhs = eq
        letters = [c for c in lhs.replace(",", "")]
        out = "".join(sorted(c for c in set(letters) if letters.count(c) == 1))
    terms = lhs.split(",")
    if "..." in eq:
        raise NotImplementedError("einsum with '...' is supported only without autograd")
    all_letters = []
    for term in terms:
        for c in term:
            if c not in all_letters:
                all_letters.append(c)
    sizes = {}
    for term, op in zip(terms, operands):
        for c, s in zip(term, op.shape):
            sizes[c] = max(sizes.get(c, 1), s)
    # bring each operand to the layout of all_letters by diagonal-free broadcasting
    prod = None
    for term, op in zip(terms, operands):
        if len(set(term)) != len(term):
            raise NotImplementedError("einsum with repeated indices in one operand (diagonals)")
        perm = sorted(range(len(term)), key=lambda i: all_letters.index(term[i]))
        x = op.permute(perm) if perm != list(range(len(term))) else op
        present = [term[i] for i in perm]
        shape = [sizes[c] if c in present else 1 for c in all_letters]
        shape = [op.shape[term.index(c)] if c in present else 1 for c in all_letters]
        x = x.reshape(shape)
        prod = x if prod is None else prod * x
    summed = tuple(i for i, c in enumerate(all_letters) if c not in out)
    r = prod.sum(dim=summed) if summed else prod
    kept = [c for c in all_letters if c in out]
    perm = [kept.index(c) for c in out]
    return r.permute(perm) if perm != list(range(len(perm))) else r


def cross(input, other, dim=None):
    if dim is None:
        dim = next(i for i, s in enumerate(input.shape) if s == 3)
    a0, a1, a2 = input.unbind(dim)
    b0, b1, b2 = other.unbind(dim)
    from .shape import stack

    return stack([a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, a0 * b1 - a1 * b0], dim)


def result_float(t):
    return t if t.dtype.is_floating_point else t.to(D.get_default_dtype())
