"""Losses that are ops of their own: negative log likelihood (with class weights and an ignored
index), cross-entropy on top of it, mean squared error and binary cross-entropy (plain and with
logits). The other losses are compositions of Tensor ops (in ``lanterna.nn.functional``)."""

from __future__ import annotations

from .. import _dtype as D
from .._tensor import Tensor
from ..autograd.grad_mode import GRAD_ENABLED
from ._apply import Node, apply
from .kernels import kernel
from .nn_activation import log_softmax
from .special import quiet

_make = Tensor._make
_REDUCTIONS = ("none", "mean", "sum")


def _check_reduction(reduction):
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction")


# ---- negative log likelihood ----------------------------------------------------------------
class NllLossBackward0(Node):
    """``-weight[t] * input[i, t]``; inputs (N, C, d...) are viewed as (M, C) rows."""

    def forward(self, x):
        xp = x._backend.xp
        a = x._data
        if a.ndim > 2:  # classes last, then one row per element
            a = xp.moveaxis(a, 1, -1)
        rows = xp.reshape(a, (-1, a.shape[-1]))
        t = self.target
        n = rows.shape[0]
        if self.all_counted and self.weight is None and n:
            # The common case (no class weights, no row ignored): every row's coefficient is the
            # same number, -1 (or -1/n for the mean), so it stays one 0-d array.
            coef = xp.asarray(-1.0, dtype=rows.dtype)
            if self.reduction == "mean":
                coef = coef / n
            self.coef, self.safe = coef, t
            losses = coef * rows[xp.arange(n), t]
            if self.reduction == "none":
                return xp.reshape(losses, self.target_shape)
            return kernel(x._backend, "reduce_sum")(losses, None, False, None)
        keep = t != self.ignore_index
        safe = xp.where(keep, t, 0)
        if self.weight is not None:
            wt = xp.take(self.weight, safe) * xp.astype(keep, self.weight.dtype)
        else:
            wt = xp.astype(keep, rows.dtype)
        picked = rows[xp.arange(rows.shape[0]), safe]
        coef = -xp.astype(wt, rows.dtype)
        if self.reduction == "mean":
            total = float(xp.sum(wt))
            if total == 0:
                return self._zero_total(xp, coef, keep, safe, picked)
            coef = coef / total
        self.coef, self.safe = coef, safe
        losses = coef * picked
        if self.reduction == "none":
            return xp.reshape(losses, self.target_shape)
        return xp.sum(losses)

    def _zero_total(self, xp, coef, keep, safe, picked):
        """The mean over a total weight of 0 (every row ignored, or an empty batch): the loss is
        ``sum / 0`` (nan, as PyTorch) and a counted row's gradient is ``-w / 0``, but an ignored row's
        gradient stays 0 rather than ``0 * inf`` = nan."""
        with quiet(xp):
            out = xp.sum(coef * picked) / xp.zeros((), dtype=picked.dtype)
            self.coef = xp.where(keep, coef * float("inf"), xp.zeros((), dtype=coef.dtype))
        self.safe = safe
        return out

    def backward(self, grad):
        if not GRAD_ENABLED[0]:  # nothing to record: the scatter on arrays, without its node
            data = _scatter_rows(grad._backend, grad._data, self.coef, self.safe, self.in_shape, self.reduction)
            return _make(data, grad._backend, grad._device)
        return apply(
            NllLossScatter,
            grad,
            coef=self.coef,
            safe=self.safe,
            in_shape=self.in_shape,
            reduction=self.reduction,
        )


class NllLoss2DBackward0(NllLossBackward0):
    pass


def _rows_to_input(xp, rows, in_shape):
    if len(in_shape) <= 2:
        return xp.reshape(rows, in_shape)
    moved = (in_shape[0],) + tuple(in_shape[2:]) + (in_shape[1],)
    return xp.moveaxis(xp.reshape(rows, moved), -1, 1)


def _input_to_rows(xp, a):
    if a.ndim > 2:
        a = xp.moveaxis(a, 1, -1)
    return xp.reshape(a, (-1, a.shape[-1]))


def _scatter_rows(backend, gd, coef, safe, in_shape, reduction):
    """``coef * grad`` at each row's target class, zeros elsewhere, shaped like nll's input."""
    xp = backend.xp
    if reduction == "none":
        gd = xp.reshape(gd, (-1,))
    m = safe.shape[0]
    c = in_shape[1] if len(in_shape) > 1 else in_shape[0]
    rows = xp.zeros((m, c), dtype=gd.dtype)
    kernel(backend, "index_set")(rows, (xp.arange(m), safe), coef * gd)
    return _rows_to_input(xp, rows, in_shape)


class NllLossScatter(Node):
    """The gradient of nll: ``coef * grad`` placed at each row's target class (linear in grad)."""

    def forward(self, g):
        return _scatter_rows(g._backend, g._data, self.coef, self.safe, self.in_shape, self.reduction)

    def backward(self, h):
        return apply(NllLossGather, h, coef=self.coef, safe=self.safe, reduction=self.reduction)


class NllLossGather(Node):
    def forward(self, h):
        xp = h._backend.xp
        rows = _input_to_rows(xp, h._data) if h._data.ndim > 1 else xp.reshape(h._data, (1, -1))
        self.in_shape = h._data.shape
        picked = rows[xp.arange(rows.shape[0]), self.safe] * self.coef
        return xp.sum(picked) if self.reduction != "none" else picked

    def backward(self, g):
        return apply(
            NllLossScatter,
            g,
            coef=self.coef,
            safe=self.safe,
            in_shape=self.in_shape,
            reduction=self.reduction,
        )


def nll_loss(input, target, weight=None, ignore_index=-100, reduction="mean"):
    """Negative log likelihood of class ``target`` under log-probabilities ``input`` (N, C, d...).

    >>> import lanterna as torch
    >>> torch.nn.functional.nll_loss(torch.tensor([[-1.0, -2.0]]), torch.tensor([1]))
    tensor(2.)
    """
    _check_reduction(reduction)
    if not isinstance(input, Tensor) or not isinstance(target, Tensor):
        raise TypeError("nll_loss(): input and target must be Tensors")
    nd = input._data.ndim
    _check_nll_shapes(input, target, weight, nd)
    if not input.dtype.is_floating_point:  # PyTorch's kernels (K-d inputs run as 2-d ones) exist for floats only
        kernel_name = "nll_loss2d_forward_out_frame" if nd > 2 else "nll_loss_out_frame"
        raise NotImplementedError(f'"{kernel_name}" not implemented for \'{_scalar(input.dtype)}\'')
    in_shape = input._data.shape  # plain tuples here: torch.Size objects cost more
    c = in_shape[1] if nd > 1 else in_shape[0]
    xp = input._backend.xp
    t = (
        target._data
        if target._device is input._device
        else input._backend.from_numpy(target._host(), input._device.index or 0)
    )
    t = xp.reshape(xp.astype(t, input._backend.dtype(D.int64), copy=False), (-1,))
    all_counted = True  # every row is a class index in range, none equal to ignore_index
    if t.size:
        lo, hi = kernel(input._backend, "value_range")(t)
        lo, hi = int(lo), int(hi)
        if lo < 0 or hi >= c:  # cheap test first, details if it fails
            bad = (t != ignore_index) & ((t < 0) | (t >= c))
            if bool(xp.any(bad)):
                raise IndexError(f"Target {int(t[xp.argmax(bad)])} is out of bounds.")
            all_counted = False
        elif lo <= ignore_index <= hi:
            all_counted = False
    w = None
    if weight is not None:
        w = xp.reshape(xp.astype(weight._data, input._data.dtype, copy=False), (-1,))
    cls = NllLoss2DBackward0 if nd > 2 else NllLossBackward0  # PyTorch runs K-d inputs as 2-d ones
    return apply(
        cls,
        input,
        target=t,
        ignore_index=ignore_index,
        all_counted=all_counted,
        weight=w,
        reduction=reduction,
        in_shape=in_shape,
        target_shape=target._data.shape if nd > 1 else (),
    )


def _check_nll_shapes(input, target, weight, nd):
    """PyTorch's checks, in its order: 1-d/2-d inputs and K-d ones go through different kernels,
    which test the target's dtype at different points and word the weight check differently."""
    if nd < 1:
        raise ValueError(f"Expected 1 or more dimensions (got {nd})")
    tdim = target._data.ndim
    if nd != 1 and input._data.shape[0] != (target._data.shape[0] if tdim else 0):
        raise ValueError(
            f"Expected input batch_size ({input.shape[0]}) to match target batch_size "
            f"({target.shape[0] if tdim else 0})."
        )
    bad_dtype = target.dtype not in (D.int64, D.uint8)
    dtype_error = f"expected target dtype to be Long or Byte, but got {_scalar(target.dtype)}"
    if nd <= 2:
        if tdim > 1:
            raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
        if bad_dtype:
            raise RuntimeError(dtype_error)
        if nd == 1 and tdim == 1 and target.shape[0] != 1:
            raise ValueError(
                f"For 1D input, 1D target must have size 1, but got target size: {target.shape[0]}"
            )
        c = input.shape[-1]
        if weight is not None and (weight.dim() != 1 or weight.shape[0] != c):
            raise RuntimeError(
                f"weight tensor should be defined either for all {c} classes or no classes but got "
                f"weight tensor of shape: {list(weight.shape)}"
            )
        return
    if nd != 4 and tuple(target.shape[1:]) != tuple(input.shape[2:]):
        expected = [input.shape[0], *input.shape[2:]]
        raise RuntimeError(f"Expected target size {expected}, got {list(target.shape)}")
    if nd == 4 and tdim != 3:
        raise RuntimeError(
            f"only batches of spatial targets supported (3D tensors) but got targets of dimension: {tdim}"
        )
    if bad_dtype:
        raise RuntimeError(dtype_error)
    if nd == 4 and tuple(target.shape[1:]) != tuple(input.shape[2:]):
        raise RuntimeError(f"size mismatch (got input: {list(input.shape)} , target: {list(target.shape)}")
    if weight is not None and weight.numel() != input.shape[1]:
        raise RuntimeError("weight tensor should be defined either for all or no classes")
    if target.dtype is D.uint8:
        raise RuntimeError("expected scalar type Long but found Byte")


def _scalar(dtype):
    from .reduce import legacy_scalar_name

    return legacy_scalar_name(dtype)


def cross_entropy(input, target, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
    """``nll_loss(log_softmax(input, 1), target)``; ``target`` may also hold class probabilities.

    >>> import lanterna as torch
    >>> torch.nn.functional.cross_entropy(torch.tensor([[0.0, 0.0]]), torch.tensor([0]))
    tensor(0.6931)
    """
    _check_reduction(reduction)
    class_dim = 0 if input.dim() == 1 else 1
    if target._data.shape == input._data.shape:  # PyTorch reads same-shaped targets as class probabilities
        if not target.dtype.is_floating_point:
            raise RuntimeError(
                "Expected floating point type for target with class probabilities, got "
                + _scalar(target.dtype)
            )
        if ignore_index >= 0:
            raise RuntimeError("ignore_index is not supported for floating point target")
        if input.dim() == 0:
            raise IndexError("Dimension specified as 1 but tensor has no dimensions")
        c = input.shape[class_dim]
        if weight is not None and (weight.dim() != 1 or weight.numel() != c):
            raise RuntimeError(
                f"cross_entropy: weight tensor should be defined either for all {c} classes or no classes "
                f"but got weight tensor of shape: {list(weight.shape)}"
            )
        _check_label_smoothing(label_smoothing)
        logp = log_softmax(input, class_dim)
        return _cross_entropy_probs(logp, target, weight, reduction, label_smoothing, class_dim, c)
    # A negative label_smoothing is accepted and means none, as in PyTorch (it only tests > 0, then <= 1)
    _check_label_smoothing(label_smoothing)
    logp = log_softmax(input, class_dim)
    nll = nll_loss(logp, target, weight, ignore_index, reduction)
    if label_smoothing <= 0.0:
        return nll
    c = input.shape[class_dim]
    # smoothing spreads epsilon uniformly: add epsilon / C times the (weighted) sum of -log p
    wshape = [1] * input.dim()
    wshape[class_dim] = c
    smooth = -(logp * weight.reshape(wshape)).sum(class_dim) if weight is not None else -logp.sum(class_dim)
    ignore = target == ignore_index
    smooth = smooth.masked_fill(ignore, 0.0)
    if reduction == "mean":
        if weight is not None:
            safe = target.masked_fill(ignore, 0)
            denom = (weight[safe] * (~ignore)).sum()
        else:
            denom = (~ignore).sum()
        smooth = smooth.sum() / denom
    elif reduction == "sum":
        smooth = smooth.sum()
    return (1 - label_smoothing) * nll + smooth * (label_smoothing / c)


def _check_label_smoothing(label_smoothing):
    if label_smoothing > 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {float(label_smoothing):g}")


def _cross_entropy_probs(logp, target, weight, reduction, label_smoothing, class_dim, c):
    if label_smoothing > 0:
        target = target * (1 - label_smoothing) + label_smoothing / c
    prod = logp * target
    if weight is not None:
        wshape = [1] * logp.dim()
        wshape[class_dim] = c
        prod = prod * weight.reshape(wshape)
    losses = -prod.sum(class_dim)
    if reduction == "none":
        return losses
    if reduction == "sum":
        return losses.sum()
    n = logp.numel() // c
    return losses.sum() / n if n else losses.sum() * float("nan")  # empty: 0/0 without a warning


# ---- regression and binary losses -------------------------------------------------------------
def _reduce(xp, a, reduction):
    if reduction == "mean":
        return xp.mean(a)
    if reduction == "sum":
        return xp.sum(a)
    return a


def _reduce_grad(grad, reduction, n, shape):
    if reduction == "mean":
        return (grad / n).expand(shape)
    if reduction == "sum":
        return grad.expand(shape)
    return grad


class MseLossBackward0(Node):
    def forward(self, x, y):
        self.save(x, y)
        d = x._data - y._data
        return _reduce(x._backend.xp, d * d, self.reduction)

    def backward(self, grad):
        x, y = self.saved
        g = 2 * (x - y) * _reduce_grad(grad, self.reduction, x.numel(), x.shape)
        return g, -g


class SmoothL1LossBackward0(Node):
    """``0.5 d^2 / beta`` where ``|d| < beta``, else ``|d| - 0.5 beta`` (``d = x - y``, beta > 0)."""

    def forward(self, x, y):
        self.save(x, y)
        xp = x._backend.xp
        d = x._data - y._data
        ad = xp.abs(d)
        beta = self.beta
        return _reduce(xp, xp.where(ad < beta, 0.5 * d * d / beta, ad - 0.5 * beta), self.reduction)

    def backward(self, grad):
        x, y = self.saved
        g = ((x - y) / self.beta).clamp(-1, 1) * _reduce_grad(grad, self.reduction, x.numel(), x.shape)
        return g, -g


class HuberLossBackward0(Node):
    """``0.5 d^2`` where ``|d| < delta``, else ``delta (|d| - 0.5 delta)`` (``d = x - y``)."""

    def forward(self, x, y):
        self.save(x, y)
        xp = x._backend.xp
        d = x._data - y._data
        ad = xp.abs(d)
        delta = self.delta
        return _reduce(xp, xp.where(ad < delta, 0.5 * d * d, delta * (ad - 0.5 * delta)), self.reduction)

    def backward(self, grad):
        x, y = self.saved
        g = (x - y).clamp(-self.delta, self.delta) * _reduce_grad(grad, self.reduction, x.numel(), x.shape)
        return g, -g


def _float_only(kernel_name, input):
    """PyTorch's error for a loss kernel that has no integer version."""
    if not input.dtype.is_floating_point:
        raise NotImplementedError(f'"{kernel_name}" not implemented for \'{_scalar(input.dtype)}\'')


def smooth_l1_loss(input, target, reduction="mean", beta=1.0):
    """Smooth L1 as one node (``beta > 0``: at 0 it is the L1 loss, which the caller computes)."""
    _check_reduction(reduction)
    input, target = _same_shape(input, target)
    _float_only("smooth_l1_cpu", input)
    return apply(SmoothL1LossBackward0, input, target, reduction=reduction, beta=float(beta))


def huber_loss(input, target, reduction="mean", delta=1.0):
    """Huber loss as one node (``delta > 0``)."""
    _check_reduction(reduction)
    input, target = _same_shape(input, target)
    _float_only("huber_cpu", input)
    return apply(HuberLossBackward0, input, target, reduction=reduction, delta=float(delta))


class SoftMarginLossBackward0(Node):
    """``log(1 + exp(-y x))``; the target (``self.target``) is not differentiated (as in PyTorch)."""

    def forward(self, x):
        self.save(x)
        xp = x._backend.xp
        return _reduce(xp, xp.logaddexp(0, -self.target._data * x._data), self.reduction)

    def backward(self, grad):
        (x,) = self.saved
        y = self.target
        return -y * (-y * x).sigmoid() * _reduce_grad(grad, self.reduction, x.numel(), x.shape)


def soft_margin_loss(input, target, reduction="mean"):
    """Soft margin loss as one node, differentiable in ``input`` only."""
    _check_reduction(reduction)
    input, target = _same_shape(input, target.detach())
    return apply(SoftMarginLossBackward0, input, target=target, reduction=reduction)


def mse_loss(input, target, reduction="mean"):
    """Mean squared error ``(input - target) ** 2`` (inputs of the same shape)."""
    _check_reduction(reduction)
    input, target = _same_shape(input, target)
    _float_only("mse_cpu", input)
    return apply(MseLossBackward0, input, target, reduction=reduction)


def _same_shape(input, target):
    if input.shape != target.shape:
        from .shape import broadcast_tensors

        input, target = broadcast_tensors(input, target)
    if input.dtype is not target.dtype:
        dt = D.promote_types(input.dtype, target.dtype)
        input, target = input.to(dt), target.to(dt)
    return input, target


_BCE_EPS = 9.999999960041972e-13  # PyTorch's 1e-12 bound on x * (1 - x), a float32 constant


def _not_differentiable(fn, **args):
    """PyTorch refuses a gradient it does not compute (weights, targets of some losses) rather than
    silently dropping it."""
    from ..autograd.grad_mode import GRAD_ENABLED

    if not GRAD_ENABLED[0]:
        return
    for name, t in args.items():
        if t is not None and t._requires_grad:
            raise RuntimeError(
                f"The function '{fn}' is not differentiable with respect to argument '{name}'. This input "
                "cannot have requires_grad True."
            )


class BinaryCrossEntropyBackward0(Node):
    """``-w * (t * log(x) + (1 - t) * log(1 - x))`` with each log clamped at -100 (as PyTorch)."""

    def forward(self, x, t, w=None):
        xp = x._backend.xp
        a = x._data
        if bool(xp.any((a < 0) | (a > 1))):
            raise RuntimeError("all elements of input should be between 0 and 1")
        self.save(x, t, w) if w is not None else self.save(x, t)
        tt = t._data
        with quiet(xp):  # log(0) = -inf, clamped to -100 as in PyTorch
            log_x = xp.maximum(xp.log(a), -100)
            log_1x = xp.maximum(xp.log1p(-a), -100)
        loss = -(tt * log_x + (1 - tt) * log_1x)
        if w is not None:
            loss = loss * w._data
        return _reduce(xp, loss, self.reduction)

    def backward(self, grad):
        x, t = self.saved[0], self.saved[1]
        w = self.saved[2] if len(self.saved) > 2 else None
        g = _reduce_grad(grad, self.reduction, x.numel(), x.shape)
        if w is not None:
            g = g * w
        gx = g * (x - t) / (x * (1 - x)).clamp(min=_BCE_EPS)
        gt = None
        if t._requires_grad or t.grad_fn is not None:
            # unclamped, as PyTorch: +-inf where x is 0 or 1
            with quiet(x._backend.xp):
                gt = g * ((-x).log1p() - x.log())
        return (gx, gt, None) if w is not None else (gx, gt)


def binary_cross_entropy(input, target, weight=None, reduction="mean"):
    """Binary cross-entropy between probabilities ``input`` and ``target`` (same shape)."""
    _check_reduction(reduction)
    if target.shape != input.shape:
        raise ValueError(
            f"Using a target size ({target.shape}) that is different to the input size "
            f"({input.shape}) is deprecated. Please ensure they have the same size."
        )
    _not_differentiable("binary_cross_entropy", weight=weight)
    if target.dtype is not input.dtype:
        raise RuntimeError(f"Found dtype {_scalar(target.dtype)} but expected {_scalar(input.dtype)}")
    _float_only("binary_cross_entropy", input)
    if weight is not None:
        if weight.shape != input.shape:
            from .shape import _broadcast_shapes_error, broadcast_shapes

            try:
                broadcast_shapes(input.shape, weight.shape)
            except (RuntimeError, ValueError):
                raise _broadcast_shapes_error((input.shape, weight.shape)) from None
            weight = weight.expand(input.shape)
        return apply(
            BinaryCrossEntropyBackward0,
            input,
            target.to(input.dtype),
            weight.to(input.dtype),
            reduction=reduction,
        )
    return apply(BinaryCrossEntropyBackward0, input, target.to(input.dtype), reduction=reduction)


class BinaryCrossEntropyWithLogitsBackward0(Node):
    """``(1 - t) * x + (1 + (pw - 1) * t) * softplus(-x)``, times ``weight``; overflow free."""

    def forward(self, x, t, w=None, pw=None):
        xp = x._backend.xp
        a, tt = x._data, t._data
        sp_neg = xp.maximum(-a, 0) + xp.log1p(xp.exp(-xp.abs(a)))  # softplus(-x)
        if pw is not None:
            loss = (1 - tt) * a + (1 + (pw._data - 1) * tt) * sp_neg
        else:
            loss = (1 - tt) * a + sp_neg
        if w is not None:
            loss = loss * w._data
        self.save(x, t, w, pw)
        return _reduce(xp, loss, self.reduction)

    def backward(self, grad):
        x, t, w, pw = self.saved
        g = _reduce_grad(grad, self.reduction, x.numel(), x.shape)
        if w is not None:
            g = g * w
        s = x.sigmoid()
        if pw is not None:
            gx = g * ((1 - t) - (1 + (pw - 1) * t) * (1 - s))
        else:
            gx = g * (s - t)
        gt = None
        if t._requires_grad or t.grad_fn is not None:
            if pw is None:
                gt = g * -x
            else:
                sp_neg = (-x).clamp(min=0) + (-(x.abs())).exp().log1p()
                gt = g * (-x + (pw - 1) * sp_neg)
        return gx, gt, None, None


def binary_cross_entropy_with_logits(input, target, weight=None, reduction="mean", pos_weight=None):
    """Sigmoid + binary cross-entropy in one numerically stable op; ``pos_weight`` weighs positives."""
    _check_reduction(reduction)
    if target.shape != input.shape:
        raise ValueError(f"Target size ({target.shape}) must be the same as input size ({input.shape})")
    _not_differentiable("binary_cross_entropy_with_logits", weight=weight, pos_weight=pos_weight)
    _float_only("log_sigmoid_cpu", input)
    dt = target.dtype  # PyTorch's formula works in place on tensors made from the target
    if not dt.is_floating_point:
        raise RuntimeError(f"result type {_scalar(D.promote_types(input.dtype, dt))} can't be cast to the "
                           f"desired output type {_scalar(dt)}")
    w = None if weight is None else _expanded_to(weight.to(dt), input)
    pw = None if pos_weight is None else _expanded_to(pos_weight.to(dt), input)
    inputs = [input.to(dt), target, w, pw]
    node_inputs = [i for i in inputs if i is not None]
    # apply() needs tensors only: fill the absent optional operands with a placeholder scalar
    return _apply_optional(BinaryCrossEntropyWithLogitsBackward0, inputs, node_inputs, reduction)


def _expanded_to(t, input):
    """``t`` expanded to ``input``'s shape, with the error of PyTorch's in-place broadcasting."""
    if t.shape == input.shape:
        return t
    from .elementwise import broadcast_error

    err = broadcast_error(input, t)
    if err is not None:
        raise err
    return t.expand(input.shape)


def _apply_optional(cls, inputs, node_inputs, reduction):
    """Run a node whose trailing operands may be None (they get no graph edge)."""
    from ..autograd.grad_mode import GRAD_ENABLED
    from ._apply import attach

    node = cls.__new__(cls)
    node.reduction = reduction
    x = inputs[0]
    out = _make(node.forward(*inputs), x._backend, x._device)
    if GRAD_ENABLED[0] and any(t._requires_grad for t in node_inputs):
        placeholder = x.new_zeros(())
        attach(node, tuple(t if t is not None else placeholder for t in inputs), out)
    return out
