"""``einsum``: one primitive over the backend's einsum, whose gradients are einsums too.

The gradient of operand ``i`` contracts the output gradient with the other operands back to
``i``'s subscripts. Letters that only ``i`` has (summed away) come back through a vector of
ones; repeated letters (diagonals, ``'ii->i'``) through an identity matrix. Being einsums, the
gradients are differentiable again, so higher-order gradients work. ``'...'`` is expanded to
letters first, with size-one dims broadcast by ``expand`` (whose gradient the engine sums).
"""

from __future__ import annotations

import string

from .._tensor import Tensor
from ._apply import Node, apply

_make = Tensor._make


def _einsum_array(backend, equation, arrays):
    xp = backend.xp
    fn = getattr(xp, "einsum", None)
    if fn is None:
        import numpy as np

        from .kernels import from_host, to_host

        return from_host(np.einsum(equation, *[to_host(a) for a in arrays]), arrays[0])
    if getattr(xp, "__name__", "") == "numpy":
        return fn(equation, *arrays, optimize=len(arrays) > 2)
    return fn(equation, *arrays)


class EinsumBackward0(Node):
    def forward(self, *ops):
        self.save(*ops)
        return _einsum_array(ops[0]._backend, self.equation, [o._data for o in ops])

    def backward(self, grad):
        ops = self.saved
        return tuple(self._grad_for(i, grad, ops) for i in range(len(ops)))

    def _grad_for(self, i, grad, ops):
        if not (ops[i].requires_grad or ops[i].grad_fn is not None):
            return None
        from .creation import eye, ones

        terms, out = self.terms, self.out
        target = terms[i]
        present = set(out).union(*[set(t) for j, t in enumerate(terms) if j != i])
        used = set(string.ascii_letters) - set("".join(terms) + out)
        fresh = iter(sorted(used))
        subs, args = [out], [grad]
        for j, t in enumerate(terms):
            if j != i:
                subs.append(t)
                args.append(ops[j])
        renamed, seen = [], set()
        for pos, c in enumerate(target):
            size = ops[i].shape[pos]
            if c in seen:  # a repeated letter: tie the copy to the first through an identity
                c2 = next(fresh)
                subs.append(c + c2)
                args.append(eye(size, dtype=grad.dtype, device=grad.device))
                renamed.append(c2)
                continue
            seen.add(c)
            if c not in present:  # only this operand has it: the gradient is constant along it
                subs.append(c)
                args.append(ones(size, dtype=grad.dtype, device=grad.device))
            renamed.append(c)
        eq = ",".join(subs) + "->" + "".join(renamed)
        return apply(EinsumBackward0, *args, equation=eq, terms=subs, out="".join(renamed))


def _parse(equation, operands):
    eq = equation.replace(" ", "")
    lhs, arrow, out = eq.partition("->")
    terms = lhs.split(",")
    if len(terms) > len(operands):
        raise RuntimeError("einsum(): fewer operands were provided than specified in the equation")
    if len(terms) < len(operands):
        raise RuntimeError("einsum(): more operands were provided than specified in the equation")
    free = iter(c for c in string.ascii_letters if c not in eq)
    # '...' -> letters, right-aligned across operands (broadcasting like NumPy)
    ell_dims = 0
    for t, op in zip(terms, operands):
        if "..." in t:
            ell_dims = max(ell_dims, op.dim() - (len(t) - 3))
    ell = "".join(next(free) for _ in range(ell_dims))
    new_terms, new_ops = [], []
    for t, op in zip(terms, operands):
        if "..." in t:
            n = op.dim() - (len(t) - 3)
            t = t.replace("...", ell[ell_dims - n:])
        elif len(t) != op.dim():
            raise RuntimeError(f"einsum(): the number of subscripts in the equation ({len(t)}) does not match the "
                               f"number of dimensions ({op.dim()}) for operand {len(new_terms)} and no ellipsis "
                               "was given")
        new_terms.append(t)
        new_ops.append(op)
    if arrow:
        out = out.replace("...", ell)
        letters = set("".join(new_terms))
        for i, c in enumerate(out):
            if c not in letters:
                raise RuntimeError(f"einsum(): output subscript {c} does not appear in the equation for any input "
                                   "operand")
            if c in out[:i]:
                raise RuntimeError(f"einsum(): output subscript {c} appears more than once in the output")
    else:
        letters = "".join(new_terms)
        out = ell + "".join(sorted(c for c in set(letters) if letters.count(c) == 1 and c not in ell))
    # sizes: broadcast size-one dims (only '...' dims may differ)
    sizes = {}
    for k, (t, op) in enumerate(zip(new_terms, new_ops)):
        for c, s in zip(t, op.shape):
            if sizes.get(c, 1) == 1:
                sizes[c] = s
            elif s not in (1, sizes[c]):
                raise RuntimeError(f"einsum(): subscript {c} has size {s} for operand {k} which does not broadcast "
                                   f"with previously seen size {sizes[c]}")
    ops = []
    for t, op in zip(new_terms, new_ops):
        want = [sizes[c] for c in t]
        if list(op.shape) != want:
            op = op.expand(want)
        ops.append(op)
    return new_terms, out, ops


def einsum(equation, *operands):
    """Einstein summation (``'...'``, repeated and implicit output letters supported).

    >>> import lanterna as torch
    >>> torch.einsum("ij,jk->ik", torch.ones(2, 3), torch.ones(3, 4)).shape
    torch.Size([2, 4])
    >>> torch.einsum("ii->", torch.eye(3))
    tensor(3.)
    """
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    terms, out, ops = _parse(equation, operands)
    from .pointwise import promote

    ops = promote(*ops) if len(ops) > 1 else ops
    eq = ",".join(terms) + "->" + out
    return apply(EinsumBackward0, *ops, equation=eq, terms=terms, out=out)

