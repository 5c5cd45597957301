"""Affine maps of nn: ``linear`` (one fused GEMM + bias node) and ``bilinear``.

``linear`` is the hottest op of an MLP: a single node does ``x @ W.T + b`` with the bias added in
place into the product, and its backward is two GEMMs and a column sum.
"""

from __future__ import annotations

from .._tensor import Tensor
from ..autograd.grad_mode import GRAD_ENABLED
from ._argerrors import not_a_tensor
from ._apply import Node, attach, check_same_device
from .kernels import kernel
from .linalg import _blas
from .shape import matrix_t
from .._dtype import cpp_name
from .reduce import legacy_scalar_name

_make = Tensor._make


def _shape_str(s):
    return "x".join(str(d) for d in s)


class AddmmBackward0(Node):
    """``b + x @ W.T`` for 2-D ``x``. As in PyTorch, the inputs are ``(bias, x, W.T)``, the last
    through a ``TBackward0`` node, so ``grad_fn.next_functions`` walks exactly like PyTorch's."""

    has_bias = True

    def backward(self, grad):
        x, wt = self.saved
        if not GRAD_ENABLED[0]:
            return self._plain_backward(grad, x, wt)
        gx = grad.mm(wt.t()) if x._requires_grad else None
        # (grad.T @ x).T rather than x.T @ grad: after TBackward0 the weight's gradient is then
        # contiguous like the weight (as in PyTorch), so .grad takes the buffer without a copy
        gwt = grad.t().mm(x).t() if wt._requires_grad else None
        if self.has_bias:
            return grad.sum(0), gx, gwt
        return gx, gwt

    def _plain_backward(self, grad, x, wt):
        """The same three results computed on arrays, when no graph is recorded: the forward
        checked every shape and dtype, so the Tensor ops' checks and nodes would be pure cost."""
        backend, device = grad._backend, grad._device
        xp = backend.xp
        g = _blas(grad._data, xp)
        gx = _make(xp.matmul(g, wt._data.T), backend, device) if x._requires_grad else None
        gwt = _make(xp.matmul(g.T, x._data).T, backend, device) if wt._requires_grad else None
        if self.has_bias:
            gb = _make(kernel(backend, "reduce_sum")(g, 0, False, None), backend, device)
            return gb, gx, gwt
        return gx, gwt


class MmBackward0(AddmmBackward0):
    """``linear`` without bias: inputs ``(x, W.T)``."""

    has_bias = False


def linear(input, weight, bias=None):
    """``input @ weight.T + bias`` over the last dim of ``input``.

    >>> import lanterna as torch
    >>> x = torch.ones(2, 3); w = torch.ones(4, 3); b = torch.zeros(4)
    >>> torch.nn.functional.linear(x, w, b).shape
    torch.Size([2, 4])
    """
    if not isinstance(input, Tensor):
        raise not_a_tensor("linear", input)
    check_same_device(input, weight, "linear")
    x = input._data
    w = weight._data
    nd = x.ndim
    if nd == 0:
        raise RuntimeError(f"both arguments to linear need to be at least 1D, but they are 0D and {w.ndim}D")
    in_f = x.shape[-1]
    if w.ndim != 2 or w.shape[1] != in_f:
        rows = 1 if nd == 1 else x.size // in_f if in_f else int(_prod(x.shape[:-1]))
        wt = (w.shape[1], w.shape[0]) if w.ndim == 2 else tuple(reversed(w.shape))
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({rows}x{in_f} and {_shape_str(wt)})")
    if bias is not None and bias._data.dtype != w.dtype:  # addmm(bias, x, W.T) checks self first
        raise RuntimeError(
            f"self and mat2 must have the same dtype, but got {legacy_scalar_name(bias.dtype)} "
            f"and {legacy_scalar_name(weight.dtype)}"
        )
    if x.dtype != w.dtype:
        if bias is not None:
            raise RuntimeError(
                f"mat1 and mat2 must have the same dtype, but got {legacy_scalar_name(input.dtype)} "
                f"and {legacy_scalar_name(weight.dtype)}"
            )
        raise RuntimeError(
            f"expected m1 and m2 to have the same dtype, but got: {cpp_name(input.dtype)} != {cpp_name(weight.dtype)}"
        )
    if bias is not None:
        if bias._data.shape not in ((w.shape[0],), (1,), ()):
            raise RuntimeError(
                f"The expanded size of the tensor ({w.shape[0]}) must match the existing size "
                f"({bias._data.shape[-1]}) "
                f"at non-singleton dimension 1.  "
                f"Target sizes: [{x.size // in_f if in_f else 0}, {w.shape[0]}].  "
                f"Tensor sizes: [{', '.join(str(s) for s in bias._data.shape)}]"
            )
        check_same_device(input, bias, "linear")
    if nd != 2:  # flatten the leading dims, run the 2-D op, restore them (both are views)
        x2 = input.reshape(1, in_f) if nd == 1 else input.reshape(-1, in_f)
        out = _linear2d(x2, weight, bias)
        return out.reshape(w.shape[0]) if nd == 1 else out.reshape(*input.shape[:-1], w.shape[0])
    return _linear2d(input, weight, bias)


def _linear2d(input, weight, bias):
    xp = input._backend.xp
    data = xp.matmul(input._data, weight._data.T)
    exact = True  # every gradient backward returns has its input's shape and dtype
    if bias is not None:
        b = bias._data
        if b.dtype == data.dtype:
            data += b
            exact = b.shape == data.shape[1:]  # not a (1,) or 0-d bias: its gradient is summed down
        else:
            data = data + b
            exact = False
    out = _make(data, input._backend, input._device)
    if GRAD_ENABLED[0] and (
        input._requires_grad or weight._requires_grad or (bias is not None and bias._requires_grad)
    ):
        wt = matrix_t(weight)  # records TBackward0 when the weight requires grad, as PyTorch's graph does
        if bias is not None:
            node = AddmmBackward0.__new__(AddmmBackward0)
            node.save(input, wt)
            attach(node, (bias, input, wt), out, exact)
        else:
            node = MmBackward0.__new__(MmBackward0)
            node.save(input, wt)
            attach(node, (input, wt), out, True)
    return out


def _prod(shape):
    p = 1
    for s in shape:
        p *= s
    return p


def bilinear(input1, input2, weight, bias=None):
    """``y_k = x1 @ W_k @ x2 + b_k`` for ``W`` of shape (out, in1, in2); composed from matmuls."""
    if input1.shape[:-1] != input2.shape[:-1]:
        raise RuntimeError(
            f"bilinear(): input batch dimensions do not match: got {list(input1.shape[:-1])} and "
            f"{list(input2.shape[:-1])}"
        )
    if weight.dim() != 3 or weight.shape[1] != input1.shape[-1] or weight.shape[2] != input2.shape[-1]:
        raise RuntimeError(
            f"bilinear(): input1/input2 size does not match weight size: got {input1.shape[-1]} and "
            f"{input2.shape[-1]} but expected {weight.shape[1]} and {weight.shape[2]}"
        )
    lead = input1.shape[:-1]
    x1 = input1.reshape(-1, input1.shape[-1])
    x2 = input2.reshape(-1, input2.shape[-1])
    out_f, in1, in2 = weight.shape
    # (B, in1) @ (in1, out*in2) -> (B, out, in2), then contract with x2 over in2
    t = x1.mm(weight.permute(1, 0, 2).reshape(in1, out_f * in2)).reshape(-1, out_f, in2)
    y = (t * x2.unsqueeze(1)).sum(-1)
    if bias is not None:
        y = y + bias
    return y.reshape(*lead, out_f)
