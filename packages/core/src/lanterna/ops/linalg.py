"""Matrix products. They go straight to the backend's BLAS: nothing is added around it."""

from __future__ import annotations

import math

from .. import _dtype as D
from .._tensor import Tensor
from ..autograd.grad_mode import GRAD_ENABLED
from ._apply import Node, apply, attach, check_same_device

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


def _operands(a, b, name, b_name="other"):
    if not isinstance(a, Tensor) or not isinstance(b, Tensor):
        from ._argerrors import not_a_tensor

        raise not_a_tensor(name, a) if not isinstance(a, Tensor) else not_a_tensor(name, b, b_name, 2)
    check_same_device(a, b, name)
    dt = a.dtype
    if dt is not b.dtype or (dt is D.bool_ and name != "addr"):  # addr alone takes bools
        raise _dtype_error(a, b, name)
    return a, b


def _kernel_of(a, b, name):
    """The PyTorch kernel that a product lands in (its errors name it): matmul folds its operands
    into dot, mv (addmv), mm (addmm) or bmm by their dims."""
    if name != "matmul":
        return {"mm": "addmm", "mv": "addmv"}.get(name, name)
    da, db = a.dim(), b.dim()
    return "dot" if da == 1 and db == 1 else "addmv" if db == 1 else "addmm" if db == 2 else "bmm"


def _dtype_error(a, b, name):
    """PyTorch's error for operands of different dtypes (or bool, which has no BLAS kernel)."""
    from .reduce import legacy_scalar_name as n

    kernel = _kernel_of(a, b, name)
    if a.dtype is b.dtype:
        impl = {"addmm": "addmm_impl_cpu_", "addmv": "addmv_impl_cpu"}.get(kernel, kernel)
        return NotImplementedError(f'"{impl}" not implemented for \'{n(a.dtype)}\'')
    if kernel == "dot":
        return RuntimeError(f"dot : expected both vectors to have same dtype, but found {n(a.dtype)} and {n(b.dtype)}")
    if kernel == "addmv":
        return RuntimeError(f"addmv input tensors must have the same dtype, but got {n(b.dtype)}, {n(a.dtype)}, "
                            f"and {n(b.dtype)}")
    if kernel == "bmm":
        return RuntimeError(f"expected scalar type {n(a.dtype)} but found {n(b.dtype)}")
    return RuntimeError(f"expected m1 and m2 to have the same dtype, but got: {D.cpp_name(a.dtype)} != "
                        f"{D.cpp_name(b.dtype)}")


def _blas(x, xp):
    """BLAS needs real strides: a broadcast (zero-stride) operand, e.g. the gradient of a sum,
    would send NumPy's matmul down its slow non-BLAS loop, so copy it first."""
    strides = getattr(x, "strides", None)
    if strides and 0 in strides and x.size > 1:
        return xp.asarray(x, copy=True)
    return x


def _matmul(a, b):
    xp = a._backend.xp
    return xp.matmul(_blas(a._data, xp), _blas(b._data, xp))


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
        raise _matmul_size_error(a, b, ka, kb)
    try:
        data = _matmul(a, b)
    except ValueError:  # batch dims that do not broadcast
        from .elementwise import _broadcast_error

        a_batch = a[(Ellipsis,) + (0,) * min(da, 2)] if da > 2 else a
        b_batch = b[(Ellipsis,) + (0,) * min(db, 2)] if db > 2 else b
        raise _broadcast_error(a_batch, b_batch) from None
    return _finish(_matmul_node(da, db), a, b, data)


def _matmul_size_error(a, b, ka, kb):
    """PyTorch's error for inner sizes that differ, worded by the product matmul folds into: dot
    (1-D @ 1-D), mv (the batch folded into the rows: ``(N, k) @ (k,)``), mm (likewise, ``@`` a
    matrix) or bmm (a batched right operand; the batch dims folded into one)."""
    da, db = a.dim(), b.dim()
    if da == 1 and db == 1:
        return RuntimeError(f"inconsistent tensor size, expected tensor [{ka}] and src [{kb}] to have the same "
                            f"number of elements, but got {ka} and {kb} elements respectively")
    if db <= 2 and da >= 2:
        rows = math.prod(a.shape[:-1])
        if db == 1:
            return RuntimeError(f"size mismatch, got input ({rows}), mat ({rows}x{ka}), vec ({kb})")
        return RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({rows}x{ka} and {kb}x{b.shape[-1]})")
    if db <= 2:  # a vector @ a matrix
        return RuntimeError(f"mat1 and mat2 shapes cannot be multiplied (1x{ka} and {kb}x{b.shape[-1]})")
    batch = a.shape[:-2] if da > 2 else ()
    try:
        import numpy as np

        batch = np.broadcast_shapes(tuple(batch), tuple(b.shape[:-2]))
    except ValueError:
        from .elementwise import _broadcast_error

        return _broadcast_error(a[(Ellipsis, 0, 0)], b[(Ellipsis, 0, 0)])
    n = math.prod(batch)
    return RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: [{n}, {ka}] but got: "
                        f"[{n}, {kb}].")


def _matmul_node(da, db):
    """PyTorch decomposes matmul by the operands' dims; the output's grad_fn names the last step."""
    if da == 2 and db == 2:
        return MmBackward0
    if da == 1 and db == 1:
        return DotBackward0
    if da == 2 and db == 1:
        return MvBackward0
    if da == 1 and db == 2:
        return SqueezeBackward4
    if da == 2:
        return CloneBackward0
    return UnsafeViewBackward0


class SqueezeBackward4(MatmulBackward0):
    pass


class CloneBackward0(MatmulBackward0):
    pass


class UnsafeViewBackward0(MatmulBackward0):
    pass


def mm(input, mat2):
    a, b = _operands(input, mat2, "mm", "mat2")
    if a._data.ndim != 2:
        raise RuntimeError("self must be a matrix")
    if b._data.ndim != 2:
        raise RuntimeError("mat2 must be a matrix")
    if a._data.shape[1] != b._data.shape[0]:
        raise RuntimeError(
            f"mat1 and mat2 shapes cannot be multiplied ({_shape_str(a.shape)} and {_shape_str(b.shape)})"
        )
    return _finish(MmBackward0, a, b, _matmul(a, b))


def bmm(input, mat2):
    a, b = _operands(input, mat2, "bmm", "mat2")
    if a._data.ndim != 3:
        raise RuntimeError("batch1 must be a 3D tensor")
    if b._data.ndim != 3:
        raise RuntimeError("batch2 must be a 3D tensor")
    if a._data.shape[0] != b._data.shape[0] or a._data.shape[2] != b._data.shape[1]:
        raise RuntimeError(
            f"Expected size for first two dimensions of batch2 tensor to be: [{a.shape[0]}, {a.shape[2]}] "
            f"but got: [{b.shape[0]}, {b.shape[1]}]."
        )
    return _finish(BmmBackward0, a, b, a._backend.xp.matmul(a._data, b._data))


def mv(input, vec):
    a, b = _operands(input, vec, "mv", "vec")
    if a._data.ndim != 2 or b._data.ndim != 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got 1, {a.dim()}, {b.dim()}")
    if a._data.shape[1] != b._data.shape[0]:
        raise RuntimeError(f"size mismatch, got input ({a.shape[0]}), mat ({_shape_str(a.shape)}), vec ({b.shape[0]})")
    return _finish(MvBackward0, a, b, a._backend.xp.matmul(a._data, b._data))


def dot(input, other):
    a, b = _operands(input, other, "dot", "tensor")
    if a._data.ndim != 1 or b._data.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {a.dim()}D and {b.dim()}D tensors")
    if a._data.shape != b._data.shape:
        raise RuntimeError(
            f"inconsistent tensor size, expected tensor [{a.shape[0]}] and src [{b.shape[0]}] to have the same "
            f"number of elements, but got {a.shape[0]} and {b.shape[0]} elements respectively"
        )
    return _finish(DotBackward0, a, b, a._backend.xp.matmul(a._data, b._data))



def vdot(input, other):
    """Dot product of two 1-D tensors."""
    return _renamed(dot(input, other), "VdotBackward0")


def _renamed(t, name):
    if t.grad_fn is not None:
        t.grad_fn.name = lambda: name
    return t


def inner(input, other):
    """Sum over the last dims of ``input`` and ``other`` (a dot product for 1-D tensors)."""
    if input.dim() == 0 or other.dim() == 0:
        return input * other
    if input.shape[-1] != other.shape[-1]:
        raise RuntimeError(f"inner() the last dimension must match on both input tensors but got shapes "
                           f"{list(input.shape)} and {list(other.shape)}")
    return tensordot(input, other, ([-1], [-1]))


def outer(input, vec2):
    """Outer product of two vectors."""
    if not isinstance(input, Tensor) or not isinstance(vec2, Tensor):
        from ._argerrors import not_a_tensor

        raise not_a_tensor("outer", input) if not isinstance(input, Tensor) else not_a_tensor("outer", vec2, "vec2", 2)
    for name, t in (("self", input), ("vec2", vec2)):
        if t.dim() != 1:
            raise RuntimeError(f"outer: Expected 1-D argument {name}, but got {t.dim()}-D")
    return input.unsqueeze(1) * vec2.unsqueeze(0)


ger = outer


def _plus_beta_input(prod, c, beta):
    """``prod + beta * input``. With ``beta == 0`` the input is ignored, as PyTorch documents: its
    NaN and inf do not propagate (0 * nan would be NaN)."""
    if beta == 0:
        return prod
    return prod + (c._data * beta if beta != 1 else c._data)


class AddmmBackward0(Node):
    """``beta * input + alpha * (mat1 @ mat2)`` (bias plus matmul, as ``nn.Linear``)."""

    def forward(self, c, a, b):
        self.save(a, b)
        xp = a._backend.xp
        prod = xp.matmul(_blas(a._data, xp), _blas(b._data, xp))
        if self.alpha != 1:
            prod = prod * self.alpha
        return _plus_beta_input(prod, c, self.beta)

    def backward(self, grad):
        a, b = self.saved
        g = grad * self.alpha if self.alpha != 1 else grad
        return grad * self.beta if self.beta != 1 else grad, self.mm(g, b, True), self.mm(a, g, False)

    def mm(self, x, y, first):
        return x.mm(y.t()) if first else x.t().mm(y)


class AddmvBackward0(AddmmBackward0):
    def mm(self, x, y, first):
        return x.unsqueeze(-1) * y if first else x.t().mv(y)


class BaddbmmBackward0(AddmmBackward0):
    def mm(self, x, y, first):
        return x.bmm(y.transpose(1, 2)) if first else x.transpose(1, 2).bmm(y)


class AddbmmBackward0(AddmmBackward0):
    def forward(self, c, a, b):
        self.save(a, b)
        prod = a._backend.xp.sum(a._backend.xp.matmul(a._data, b._data), axis=0)
        return _plus_beta_input(prod * self.alpha, c, self.beta)

    def backward(self, grad):
        a, b = self.saved
        g = (grad * self.alpha).unsqueeze(0).expand(a.shape[0], *grad.shape)
        return grad * self.beta, g.bmm(b.transpose(1, 2)), a.transpose(1, 2).bmm(g)


class AddrBackward0(AddmmBackward0):
    def forward(self, c, a, b):
        self.save(a, b)
        xp = a._backend.xp
        if a.dtype is D.bool_:  # bools stay bools: "and" for the products, "or" for the sum
            prod = xp.logical_and(xp.reshape(a._data, (-1, 1)), xp.reshape(b._data, (1, -1)))
            prod = prod if self.alpha else xp.zeros_like(prod)
            return xp.logical_or(prod, xp.astype(c._data, prod.dtype)) if self.beta else prod
        return _plus_beta_input(self.alpha * (xp.reshape(a._data, (-1, 1)) * xp.reshape(b._data, (1, -1))), c,
                                self.beta)

    def backward(self, grad):
        a, b = self.saved
        g = grad * self.alpha
        return grad * self.beta, g.mv(b), g.t().mv(a)


def _addmm_like(cls, name, input, m1, m2, beta, alpha, check):
    m1, m2 = _operands(m1, m2, name)
    check(m1, m2)
    if not isinstance(input, Tensor):
        from ._apply import as_tensor_like

        input = as_tensor_like(input, m1, m1.dtype)
    out_shape = _product_shape(cls, m1, m2)
    import numpy as np

    try:
        np.broadcast_shapes(tuple(input.shape), out_shape)
    except ValueError:
        if cls is AddmvBackward0:
            raise RuntimeError(f"size mismatch, got input ({input.shape[0]}), mat ({_shape_str(m1.shape)}), vec "
                               f"({m2.shape[0]})") from None
        input.expand(out_shape)  # PyTorch expands the input to the product's shape: its error
        raise
    return apply(cls, input.to(m1.dtype), m1, m2, beta=beta, alpha=alpha)


def _product_shape(cls, m1, m2):
    if cls is AddmvBackward0:
        return (m1.shape[0],)
    if cls is BaddbmmBackward0:
        return (m1.shape[0], m1.shape[1], m2.shape[2])
    if cls is AddbmmBackward0:
        return (m1.shape[1], m2.shape[2])
    if cls is AddrBackward0:
        return (m1.shape[0], m2.shape[0])
    return (m1.shape[0], m2.shape[1])


def addmm(input, mat1, mat2, *, beta=1, alpha=1):
    """``beta * input + alpha * (mat1 @ mat2)``."""
    if not isinstance(input, Tensor):
        from ._argerrors import not_a_tensor

        raise not_a_tensor("addmm", input)
    return _addmm_like(AddmmBackward0, "addmm", input, mat1, mat2, beta, alpha, _check_addmm)


def addmv(input, mat, vec, *, beta=1, alpha=1):
    """``beta * input + alpha * (mat @ vec)``."""
    return _addmm_like(AddmvBackward0, "addmv", input, mat, vec, beta, alpha,
                       lambda a, b: _check_mv(a, b, input.dim() if isinstance(input, Tensor) else 0))


def baddbmm(input, batch1, batch2, *, beta=1, alpha=1):
    """``beta * input + alpha * (batch1 @ batch2)`` per batch."""
    return _addmm_like(BaddbmmBackward0, "baddbmm", input, batch1, batch2, beta, alpha, _check_bmm)


def addbmm(input, batch1, batch2, *, beta=1, alpha=1):
    """``beta * input + alpha * sum_b(batch1[b] @ batch2[b])``."""
    return _addmm_like(AddbmmBackward0, "addbmm", input, batch1, batch2, beta, alpha, _check_addbmm)


def addr(input, vec1, vec2, *, beta=1, alpha=1):
    """``beta * input + alpha * outer(vec1, vec2)``."""
    return _addmm_like(AddrBackward0, "addr", input, vec1, vec2, beta, alpha, _check_addr)


def _check_mm(a, b):
    if a._data.ndim != 2:
        raise RuntimeError("self must be a matrix")
    if b._data.ndim != 2:
        raise RuntimeError("mat2 must be a matrix")
    if a._data.shape[1] != b._data.shape[0]:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({_shape_str(a.shape)} and {_shape_str(b.shape)})")


def _check_addmm(a, b):
    for name, t in (("mat1", a), ("mat2", b)):
        if t._data.ndim != 2:
            raise RuntimeError(f"{name} must be a matrix, got {t.dim()}-D tensor")
    _check_mm(a, b)


def _check_addbmm(a, b):
    _check_bmm_dims(a, b)
    if a._data.shape[0] != b._data.shape[0]:
        raise RuntimeError(f"batch1 and batch2 must have same number of batches, got {a.shape[0]} and {b.shape[0]}")
    if a._data.shape[2] != b._data.shape[1]:
        raise RuntimeError(f"Incompatible matrix sizes for bmm ({a.shape[1]}x{a.shape[2]} and "
                           f"{b.shape[1]}x{b.shape[2]})")


def _check_addr(a, b):
    for name, t in (("vec1", a), ("vec2", b)):
        if t._data.ndim != 1:
            raise RuntimeError(f"addr: Expected 1-D argument {name}, but got {t.dim()}-D")


def _check_mv(a, b, input_dim=1):
    """``input_dim``: addmv's input (mv passes PyTorch's 1, as it runs addmv on a vector)."""
    if a._data.ndim != 2 or b._data.ndim != 1 or input_dim > 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got {input_dim}, {a.dim()}, {b.dim()}")
    if a._data.shape[1] != b._data.shape[0]:
        raise RuntimeError(f"size mismatch, got input ({a.shape[0]}), mat ({_shape_str(a.shape)}), vec ({b.shape[0]})")


def _check_bmm_dims(a, b):
    if a._data.ndim != 3:
        raise RuntimeError("batch1 must be a 3D tensor")
    if b._data.ndim != 3:
        raise RuntimeError("batch2 must be a 3D tensor")


def _check_bmm(a, b):
    _check_bmm_dims(a, b)
    if a._data.shape[0] != b._data.shape[0] or a._data.shape[2] != b._data.shape[1]:
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: [{a.shape[0]}, "
                           f"{a.shape[2]}] but got: [{b.shape[0]}, {b.shape[1]}].")


def tensordot(a, b, dims=2, out=None):
    """Contract ``dims`` (a count, or two lists of dims) of ``a`` and ``b``."""
    if isinstance(dims, int):
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        da = list(range(-dims, 0))  # (PyTorch's error names these dims as negative ones)
        db = list(range(dims))
    elif isinstance(dims, Tensor):
        return tensordot(a, b, dims.tolist() if dims.dim() else int(dims))
    else:
        da, db = ([d] if isinstance(d, int) else list(d) for d in dims)
    if len(da) != len(db):
        raise RuntimeError("both dimension lists should have same length")
    for x, y in zip(da, db):
        if a.shape[x] != b.shape[y]:
            raise RuntimeError(f"contracted dimensions need to match, but first has size {a.shape[x]} in dim {x} "
                               f"and second has size {b.shape[y]} in dim {y}")
    da = [d % a.dim() for d in da]
    db = [d % b.dim() for d in db]
    keep_a = [d for d in range(a.dim()) if d not in da]
    keep_b = [d for d in range(b.dim()) if d not in db]
    k = 1
    for d in da:
        k *= a.shape[d]
    am = a.permute(keep_a + da).reshape(-1, k)
    bm = b.permute(db + keep_b).reshape(k, -1)
    return am.mm(bm).view([a.shape[d] for d in keep_a] + [b.shape[d] for d in keep_b])


def kron(input, other):
    """Kronecker product."""
    nd = max(input.dim(), other.dim())
    a = input.reshape((1,) * (nd - input.dim()) + tuple(input.shape))
    b = other.reshape((1,) * (nd - other.dim()) + tuple(other.shape))
    inter = []
    for i in range(nd):
        inter += [a.shape[i], 1]
    a = a.reshape(inter)
    inter = []
    for i in range(nd):
        inter += [1, b.shape[i]]
    b = b.reshape(inter)
    return (a * b).reshape([a.shape[2 * i] * b.shape[2 * i + 1] for i in range(nd)])


class LinalgCrossBackward0(Node):
    def forward(self, a, b):
        self.save(a, b)
        xp = a._backend.xp
        import numpy as np

        return xp.asarray(np.cross(a._data, b._data, axis=self.dim))

    def backward(self, grad):
        a, b = self.saved
        return b.cross(grad, dim=self.dim), grad.cross(a, dim=self.dim)


def cross(input, other, dim=None):
    """Cross product of 3-vectors along ``dim`` (the first dim of size 3 by default)."""
    if input.dim() != other.dim():
        raise RuntimeError("linalg.cross: inputs must have the same number of dimensions.")
    if input.dtype is not other.dtype:
        from .reduce import legacy_scalar_name as name

        raise RuntimeError(f"expected scalar type {name(input.dtype)} but found {name(other.dtype)}")
    a, b = _binary_same(input, other)
    if dim is None:
        dim = next((i for i, s in enumerate(a.shape) if s == 3), None)
        if dim is None:
            raise RuntimeError("no dimension of size 3 in input")
    d = dim % a.dim()
    if a.shape[d] != 3 or b.shape[d] != 3:
        raise RuntimeError(f"linalg.cross: inputs dimension {dim} must have length 3. Got {a.shape[d]} and {b.shape[d]}")
    return apply(LinalgCrossBackward0, *_broadcast(a, b), dim=d)


def _binary_same(a, b):
    from .pointwise import promote

    return promote(a, b)


def _broadcast(a, b):
    if a.shape == b.shape:
        return a, b
    from .shape import broadcast_tensors

    return broadcast_tensors(a, b)


def result_float(t):
    return t if t.dtype.is_floating_point else t.to(D.get_default_dtype())
