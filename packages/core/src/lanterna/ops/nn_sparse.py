"""Index-based layers: embedding lookup (gradient by scatter-add into the table) and one-hot."""

from __future__ import annotations

from .. import _dtype as D
from .._tensor import Tensor
from ..autograd.grad_mode import no_grad
from ._apply import Node, apply
from .kernels import kernel

_make = Tensor._make


class EmbeddingBackward0(Node):
    def forward(self, w):
        return self.index_array_take(w)

    def index_array_take(self, w):
        xp = w._backend.xp
        rows = xp.take(w._data, xp.reshape(self.idx, (-1,)), axis=0)
        return xp.reshape(rows, tuple(self.idx.shape) + (w._data.shape[1],))

    def backward(self, grad):
        return apply(
            EmbeddingScatter,
            grad,
            idx=self.idx,
            num_weights=self.num_weights,
            padding_idx=self.padding_idx,
            scale=self.scale,
        )


class EmbeddingScatter(Node):
    """Gradient of the lookup: rows of ``grad`` added into a zero table at their indices."""

    def forward(self, g):
        xp = g._backend.xp
        d = g._data.shape[-1]
        rows = xp.reshape(g._data, (-1, d))
        if self.scale is not None:
            rows = rows / xp.reshape(self.scale, (-1, 1))
        out = xp.zeros((self.num_weights, d), dtype=g._data.dtype)
        kernel(g._backend, "index_add")(out, xp.reshape(self.idx, (-1,)), rows)
        if self.padding_idx is not None:
            out[self.padding_idx] = 0
        return out

    def backward(self, h):
        return apply(EmbeddingGather, h, idx=self.idx, padding_idx=self.padding_idx, scale=self.scale)


class EmbeddingGather(Node):
    def forward(self, h):
        xp = h._backend.xp
        hd = h._data
        if self.padding_idx is not None:
            hd = xp.asarray(hd, copy=True)
            hd[self.padding_idx] = 0
        out = xp.reshape(
            xp.take(hd, xp.reshape(self.idx, (-1,)), axis=0), tuple(self.idx.shape) + (hd.shape[1],)
        )
        if self.scale is not None:
            out = out / xp.reshape(self.scale, self.idx.shape + (1,))
        self.num_weights = hd.shape[0]
        return out

    def backward(self, g):
        return apply(
            EmbeddingScatter,
            g,
            idx=self.idx,
            num_weights=self.num_weights,
            padding_idx=self.padding_idx,
            scale=self.scale,
        )


def _renorm_(weight, idx, max_norm, norm_type):
    """Rescale in place the looked-up rows whose norm exceeds ``max_norm`` (as PyTorch's embedding)."""
    xp = weight._backend.xp
    rows = xp.unique_values(xp.reshape(idx, (-1,))) if hasattr(xp, "unique_values") else xp.unique(idx)
    with no_grad():
        w = weight._data
        sel = w[rows]
        if norm_type == float("inf"):
            norms = xp.max(xp.abs(sel), axis=1)
        else:
            norms = xp.sum(xp.abs(sel) ** norm_type, axis=1) ** (1.0 / norm_type)
        scale = xp.astype(xp.where(norms > max_norm, max_norm / (norms + 1e-7), 1.0), w.dtype)
        w[rows] = sel * xp.reshape(scale, (-1, 1))
        weight._version[0] += 1


def embedding(
    input, weight, padding_idx=None, max_norm=None, norm_type=2.0, scale_grad_by_freq=False, sparse=False
):
    """Rows of ``weight`` picked by the integer tensor ``input``: output ``input.shape + (dim,)``.

    >>> import lanterna as torch
    >>> torch.nn.functional.embedding(torch.tensor([2, 0]), torch.eye(3))
    tensor([[0., 0., 1.],
            [1., 0., 0.]])
    """
    if not isinstance(input, Tensor) or input.dtype not in (D.int64, D.int32):
        kind = input.type() if isinstance(input, Tensor) else type(input).__name__
        raise RuntimeError(
            "Expected tensor for argument #1 'indices' to have one of the following scalar types: "
            f"Long, Int; but got {kind} instead (while checking arguments for embedding)"
        )
    if weight.dim() != 2:
        raise RuntimeError("'weight' must be 2-D")
    xp = weight._backend.xp
    idx = (
        input._data
        if input._device is weight._device
        else weight._backend.from_numpy(input._host(), weight._device.index or 0)
    )
    n = weight.shape[0]
    # no Python-style wrap-around: PyTorch rejects every negative index, -1 included
    if idx.size and (int(xp.max(idx)) >= n or int(xp.min(idx)) < 0):
        raise IndexError("index out of range in self")
    if padding_idx is not None:
        if padding_idx < 0:
            padding_idx += n
    if max_norm is not None:
        _renorm_(weight, idx, max_norm, norm_type)
    scale = None
    if scale_grad_by_freq:
        flat = xp.reshape(idx, (-1,))
        counts = xp.zeros(n, dtype=weight._data.dtype)
        kernel(weight._backend, "index_add")(counts, flat, xp.ones(flat.shape, dtype=counts.dtype))
        scale = xp.reshape(xp.take(counts, flat), idx.shape)
    return apply(
        EmbeddingBackward0,
        weight,
        idx=idx,
        num_weights=n,
        padding_idx=padding_idx,
        scale=scale,
    )


def one_hot(tensor, num_classes=-1):
    """(..., num_classes) int64 tensor with a 1 at each value of ``tensor``."""
    if not isinstance(tensor, Tensor) or tensor.dtype is not D.int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    xp = tensor._backend.xp
    a = tensor._data
    if num_classes == -1:
        if a.size == 0:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
        num_classes = int(xp.max(a)) + 1
    if a.size:
        if bool(xp.any(a < 0)):
            raise RuntimeError("Class values must be non-negative.")
        if bool(xp.any(a >= num_classes)):
            raise RuntimeError("Class values must be smaller than num_classes.")
    out = xp.reshape(a, a.shape + (1,)) == xp.arange(num_classes)
    return _make(xp.astype(out, tensor._backend.dtype(D.int64)), tensor._backend, tensor._device)
