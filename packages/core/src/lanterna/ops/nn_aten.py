"""nn ops that PyTorch also exposes as ``torch.<name>``, with ATen's signatures: losses take their
reduction as an int (0 none, 1 mean, 2 sum; PyTorch's Python binding defaults it to 0), norms and dropout take every flag positionally, and
the ``native_*`` forms return PyTorch's tuples (saved statistics, masks). ``nn.functional`` builds
on the same functions, so both spellings compute the same values.

>>> import lanterna as torch
>>> torch.pixel_shuffle(torch.arange(4.0).reshape(1, 4, 1, 1), 2)
tensor([[[[0., 1.],
          [2., 3.]]]])
"""

from __future__ import annotations

import math
import warnings

from .._tensor import Tensor
from ..autograd.grad_mode import no_grad
from ._apply import Node, apply

_make = Tensor._make


def _scalar(dtype):
    from .reduce import legacy_scalar_name

    return legacy_scalar_name(dtype)


def _not_implemented(kernel_name, input):
    """PyTorch's error for a CPU kernel that has no integer (or bool) version."""
    return NotImplementedError(f"\"{kernel_name}\" not implemented for '{_scalar(input.dtype)}'")


class _NotDifferentiable(Node):
    """A result that PyTorch records with a node whose backward is not implemented (its grad_fn
    prints ``NotImplemented``): it requires grad, and backward raises naming the op."""

    def forward(self, a):
        return self.out

    def backward(self, grad):
        raise RuntimeError(f"derivative for aten::{self.op} is not implemented")


_NotDifferentiable.__name__ = _NotDifferentiable.__qualname__ = "NotImplemented"


def _not_differentiable(out, input, op):
    """``out`` (computed from ``input``) marked as PyTorch marks an op without a derivative."""
    if not input.requires_grad:
        return out
    return apply(_NotDifferentiable, input, out=out.detach()._data, op=op)


# ---- pixel and channel shuffles ---------------------------------------------------------------
def _shuffle(xp, x, r, up):
    *lead, c, h, w = x.shape
    nl = len(lead)
    if up:
        x = xp.reshape(x, (*lead, c // (r * r), r, r, h, w))
        perm = list(range(nl)) + [nl, nl + 3, nl + 1, nl + 4, nl + 2]
        shape = (*lead, c // (r * r), h * r, w * r)
    else:
        x = xp.reshape(x, (*lead, c, h // r, r, w // r, r))
        perm = list(range(nl)) + [nl, nl + 2, nl + 4, nl + 1, nl + 3]
        shape = (*lead, c * r * r, h // r, w // r)
    permute = getattr(xp, "permute_dims", None) or xp.transpose
    # (a copy always: with r == 1 the reshapes alone would give a view)
    return xp.asarray(xp.reshape(permute(x, perm), shape), copy=True)


class PixelShuffleBackward0(Node):
    def forward(self, a):
        return _shuffle(a._backend.xp, a._data, self.r, True)

    def backward(self, grad):
        return pixel_unshuffle(grad, self.r)


class PixelUnshuffleBackward0(Node):
    def forward(self, a):
        return _shuffle(a._backend.xp, a._data, self.r, False)

    def backward(self, grad):
        return pixel_shuffle(grad, self.r)


def pixel_shuffle(input, upscale_factor):
    """(*, C*r^2, H, W) -> (*, C, H*r, W*r)."""
    r = upscale_factor
    if input.dim() < 3:
        raise RuntimeError("pixel_shuffle expects input to have at least 3 dimensions, but got input with "
                           f"{input.dim()} dimension(s)")
    if r <= 0:
        raise RuntimeError(f"pixel_shuffle expects a positive upscale_factor, but got {r}")
    c = input.shape[-3]
    if c % (r * r):
        raise RuntimeError(
            f"pixel_shuffle expects its input's 'channel' dimension to be divisible by the square of "
            f"upscale_factor, but input.size(-3)={c} is not divisible by {r * r}"
        )
    return apply(PixelShuffleBackward0, input, r=r)


def pixel_unshuffle(input, downscale_factor):
    """(*, C, H*r, W*r) -> (*, C*r^2, H, W)."""
    r = downscale_factor
    if input.dim() < 3:
        raise RuntimeError("pixel_unshuffle expects input to have at least 3 dimensions, but got input with "
                           f"{input.dim()} dimension(s)")
    if r <= 0:
        raise RuntimeError(f"pixel_unshuffle expects a positive downscale_factor, but got {r}")
    h, w = input.shape[-2], input.shape[-1]
    if h % r or w % r:
        raise RuntimeError(
            f"pixel_unshuffle expects height and width to be divisible by downscale_factor, got {h}x{w}"
        )
    return apply(PixelUnshuffleBackward0, input, r=r)


def _channel_shuffle_array(xp, x, groups):
    n, c = x.shape[0], x.shape[1]
    rest = tuple(x.shape[2:])
    g = xp.reshape(x, (n, groups, c // groups) + rest)
    perm = (0, 2, 1) + tuple(range(3, len(rest) + 3))
    permute = getattr(xp, "permute_dims", None) or xp.transpose
    return xp.asarray(xp.reshape(permute(g, perm), x.shape), copy=True)


class ChannelShuffleBackward0(Node):
    def forward(self, a):
        return _channel_shuffle_array(a._backend.xp, a._data, self.groups)

    def backward(self, grad):
        # shuffling by c // groups undoes a shuffle by groups
        return channel_shuffle(grad, grad.shape[1] // self.groups)


def _check_channel_shuffle(input, groups):
    if input.dim() <= 2:
        raise RuntimeError(f"channel_shuffle expects input with > 2 dims, but got input with sizes "
                           f"{list(input.shape)}")
    if groups <= 0:
        raise RuntimeError(f"Number of groups to divide channels in must be positive. Value of groups:{groups}")
    c = input.shape[1]
    if c % groups:
        raise RuntimeError(f"Number of channels must be divisible by groups. Got {c} channels and {groups} groups.")


def channel_shuffle(input, groups):
    """Interleave the channels (dim 1) of ``groups`` groups: (N, g*k, *) viewed as (N, g, k, *),
    transposed to (N, k, g, *)."""
    _check_channel_shuffle(input, groups)
    return apply(ChannelShuffleBackward0, input, groups=groups)


def native_channel_shuffle(input, groups):
    """``channel_shuffle``'s values; PyTorch gives this form no derivative."""
    _check_channel_shuffle(input, groups)
    out = _make(_channel_shuffle_array(input._backend.xp, input._data, groups), input._backend, input._device)
    return _not_differentiable(out, input, "native_channel_shuffle")


# ---- activations ----------------------------------------------------------------------------------
class PreluKernelBackward0(Node):
    """``x if x > 0 else w * x`` with ``w`` already shaped to broadcast against ``x``."""

    def forward(self, x, w):
        self.save(x, w)
        xp = x._backend.xp
        return xp.where(x._data > 0, x._data, w._data * x._data)

    def backward(self, grad):
        x, w = self.saved
        positive = x > 0
        # (the engine sums the weight's gradient over the dims it was broadcast along)
        return grad.where(positive, w * grad), (grad * x).masked_fill(positive, 0)


def prelu(input, weight):
    """``x if x > 0 else weight * x``, ``weight`` one slope per channel (dim 1) or one shared."""
    if input.dtype is not weight.dtype:
        raise RuntimeError(
            f"prelu: Type promoting not supported. Got {_scalar(input.dtype)} and {_scalar(weight.dtype)}"
        )
    if not input.dtype.is_floating_point:
        raise _not_implemented("prelu_cpu", input)
    if weight.dim() > 1:
        raise RuntimeError(f"prelu: Expected `weight` to be a scalar or 1D tensor, but got: ndim = {weight.dim()}")
    channels = input.shape[1] if input.dim() > 1 else 1
    if weight.numel() != 1 and weight.numel() != channels:
        raise RuntimeError(
            f"Mismatch of parameter numbers and input channel size. Found parameter numbers = "
            f"{weight.numel()} and channel size = {channels}."
        )
    # as PyTorch: the weight is viewed along dim 1 (a ViewBackward0 in its history), except for 1-d input
    if input.dim() == 0:
        weight = weight.reshape(())
    elif input.dim() > 1:
        weight = weight.reshape([1, weight.numel()] + [1] * (input.dim() - 2))
    return apply(PreluKernelBackward0, input, weight)


def hardshrink(input, lambd=0.5):
    """``x if |x| > lambd else 0``."""
    from .nn_activation import hardshrink as kernel

    if not input.dtype.is_floating_point:
        raise _not_implemented("hardshrink_cpu", input)
    return kernel(input, lambd)


def rrelu(input, lower=1.0 / 8, upper=1.0 / 3, training=False, generator=None):
    """Randomised leaky ReLU: slopes drawn from U(lower, upper) in training, their mean otherwise."""
    from .nn_activation import rrelu_eval

    if not training:
        return rrelu_eval(input, lower, upper)
    from .. import _dtype as D

    if not input.dtype.is_floating_point or input.dtype is D.float16:
        raise _not_implemented("rrelu_with_noise_out_cpu", input)
    with no_grad():
        # As PyTorch's CPU kernel: one double drawn from U(lower, upper) per non-positive element,
        # in order, the bounds first rounded to the input dtype and the slope after; so a seeded
        # run draws the same slopes and leaves the generator in the same state
        nonpos = input <= 0
        as_dtype = input.dtype.np.type
        lo, hi = float(as_dtype(lower)), float(as_dtype(upper))
        u = input.new_empty((int(nonpos.sum()),), dtype=D.float64).uniform_(generator=generator)
        noise = input.new_ones(input.shape)
        noise[nonpos] = (u * (hi - lo) + lo).to(input.dtype)  # two roundings: no fused multiply-add
    return apply(RreluWithNoiseBackward0, input, noise=noise)


class RreluWithNoiseBackward0(Node):
    """RReLU in training: ``input * noise``, the slope 1 for the positive elements."""

    def forward(self, a):
        return a._data * self.noise._data

    def backward(self, grad):
        return grad * self.noise


def rrelu_(input, lower=1.0 / 8, upper=1.0 / 3, training=False, generator=None):
    from .inplace import inplace

    if not training:
        from .nn_activation import leaky_relu

        return inplace(input, leaky_relu, (lower + upper) / 2)
    return input.copy_(rrelu(input, lower, upper, training, generator))


# ---- losses: ATen's int reduction -------------------------------------------------------------------
_REDUCTION_NAMES = {0: "none", 1: "mean", 2: "sum"}


def reduction_name(reduction, op):
    """ATen's reduction code as ``nn.functional``'s string (any other int means none, as ATen)."""
    if isinstance(reduction, bool) or not isinstance(reduction, int):
        raise TypeError(f"{op}(): argument 'reduction' must be int, not {type(reduction).__name__}")
    return _REDUCTION_NAMES.get(reduction, "none")


def reduce(loss, reduction):
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    if reduction == "none":
        return loss
    raise ValueError(f"{reduction} is not a valid value for reduction")


def kl_div_loss(input, target, reduction="mean", log_target=False):
    """Pointwise ``target * (log(target) - input)`` (``0`` where ``target == 0``), reduced; the
    ``'batchmean'`` form is ``nn.functional``'s."""
    if log_target:
        loss = target.exp() * (target - input)
    else:
        from .pointwise import xlogy

        loss = xlogy(target, target) - target * input
    if reduction == "batchmean":
        return loss.sum() / input.size(0) if input.dim() != 0 else loss.sum()
    return reduce(loss, reduction)


def kl_div(input, target, reduction=0, *, log_target=False):
    return kl_div_loss(input, target, reduction_name(reduction, "kl_div"), log_target)


def binary_cross_entropy_with_logits(input, target, weight=None, pos_weight=None, reduction=0):
    from .nn_loss import binary_cross_entropy_with_logits as bce

    return bce(input, target, weight, reduction_name(reduction, "binary_cross_entropy_with_logits"), pos_weight)


def cosine_embedding(input1, input2, target, margin=0.0, reduction="mean"):
    """``1 - cos`` where ``target == 1``, ``max(0, cos - margin)`` where ``target == -1``."""
    d = input1.dim() - 1
    prod = (input1 * input2).sum(d)
    m1 = (input1 * input1).sum(d) + 1e-12
    m2 = (input2 * input2).sum(d) + 1e-12
    cos = prod / (m1 * m2).sqrt()
    zeros = cos.new_zeros(())
    pos = (1 - cos).where(target == 1, zeros)
    neg = (cos - margin).clamp_min(0).where(target == -1, zeros)
    return reduce(pos + neg, reduction)


def cosine_embedding_loss(input1, input2, target, margin=0.0, reduction=0):
    return cosine_embedding(input1, input2, target, margin, reduction_name(reduction, "cosine_embedding_loss"))


def hinge_embedding(input, target, margin=1.0, reduction="mean"):
    """``x`` where ``target == 1``, ``max(0, margin - x)`` where ``target == -1``."""
    zeros = input.new_zeros(())
    out = (margin - input).clamp_min(0).where(target != 1, zeros)
    out = out + input.where(target != -1, zeros)
    return reduce(out, reduction)


def hinge_embedding_loss(input, target, margin=1.0, reduction=0):
    return hinge_embedding(input, target, margin, reduction_name(reduction, "hinge_embedding_loss"))


def margin_ranking(input1, input2, target, margin=0.0, reduction="mean"):
    """``max(0, -target * (input1 - input2) + margin)``."""
    if input1.dim() != input2.dim() or input1.dim() != target.dim():
        raise RuntimeError(
            f"margin_ranking_loss : All input tensors should have same dimension but got sizes: "
            f"input1: {input1.size()}, input2: {input2.size()}, target: {target.size()} "
        )
    return reduce((-target * (input1 - input2) + margin).clamp_min(0), reduction)


def margin_ranking_loss(input1, input2, target, margin=0.0, reduction=0):
    return margin_ranking(input1, input2, target, margin, reduction_name(reduction, "margin_ranking_loss"))


def poisson_nll(input, target, log_input=True, full=False, eps=1e-8, reduction="mean"):
    """Negative log likelihood of a Poisson distribution with rate ``exp(input)`` (or ``input``);
    ``full`` adds Stirling's approximation of ``log(target!)`` where ``target > 1``."""
    if log_input:
        loss = input.exp() - target * input
    else:
        loss = input - target * (input + eps).log()
    if full:
        t = target
        stirling = t * t.clamp_min(1).log() - t + 0.5 * (2 * math.pi * t.clamp_min(1)).log()
        loss = loss + stirling.masked_fill(t <= 1, 0)
    return reduce(loss, reduction)


def poisson_nll_loss(input, target, log_input, full, eps, reduction):
    return poisson_nll(input, target, log_input, full, eps, reduction_name(reduction, "poisson_nll_loss"))


def triplet_margin(anchor, positive, negative, margin=1.0, p=2.0, eps=1e-6, swap=False, reduction="mean"):
    """``max(d(a, p) - d(a, n) + margin, 0)`` with pairwise p-norm distances."""
    from .nn_distance import pairwise_distance
    from .pointwise import minimum

    dims = (anchor.dim(), positive.dim(), negative.dim())
    if len(set(dims)) != 1:
        raise RuntimeError(
            f"The anchor, positive, and negative tensors are expected to have the same number of "
            f"dimensions, but got: anchor {dims[0]}D, positive {dims[1]}D, and negative {dims[2]}D "
            "inputs"
        )
    d_pos = pairwise_distance(anchor, positive, p, eps)
    d_neg = pairwise_distance(anchor, negative, p, eps)
    if swap:
        d_neg = minimum(d_neg, pairwise_distance(positive, negative, p, eps))
    return reduce((margin + d_pos - d_neg).clamp_min(0), reduction)


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2.0, eps=1e-6, swap=False, reduction=0):
    return triplet_margin(anchor, positive, negative, margin, p, eps, swap,
                          reduction_name(reduction, "triplet_margin_loss"))


# ---- normalisation --------------------------------------------------------------------------------
def instance_norm(input, weight, bias, running_mean, running_var, use_input_stats, momentum, eps,
                  cudnn_enabled=False):
    """Normalise each (sample, channel) plane over its spatial dims (ATen's argument order)."""
    from . import nn_norm

    n, c = input.shape[0], input.shape[1]
    if not input.dtype.is_floating_point:  # PyTorch runs it as a batch norm
        raise _not_implemented("batch_norm", input)
    if use_input_stats:
        if running_mean is not None or running_var is not None:
            # the running statistics average the per-instance ones over the batch
            flat = input.reshape(1, n * c, *input.shape[2:])
            rm = running_mean.repeat(n) if running_mean is not None else None
            rv = running_var.repeat(n) if running_var is not None else None
            out = nn_norm.batch_norm(flat, rm, rv, None, None, True, momentum, eps).reshape(input.shape)
            with no_grad():
                if running_mean is not None:
                    running_mean.copy_(rm.reshape(n, c).mean(0))
                if running_var is not None:
                    running_var.copy_(rv.reshape(n, c).mean(0))
        else:
            spatial = 1
            for s in input.shape[2:]:
                spatial *= s
            out = nn_norm.layer_norm(input.reshape(n, c, spatial), (spatial,), eps=eps).reshape(input.shape)
    else:
        out = nn_norm.batch_norm(input, running_mean, running_var, None, None, False, momentum, eps)
    shape = (1, c) + (1,) * (input.dim() - 2)
    if weight is not None:
        out = out * weight.reshape(shape)
    if bias is not None:
        out = out + bias.reshape(shape)
    return out


def rms_norm(input, normalized_shape, weight=None, eps=None):
    """``x / sqrt(mean(x^2) + eps) * weight`` over the last ``len(normalized_shape)`` dims."""
    from .. import _dtype as D

    if isinstance(normalized_shape, int):
        normalized_shape = (normalized_shape,)
    dims = tuple(range(-len(normalized_shape), 0))
    # As PyTorch: float16 is computed in float32 (eps included), and the result, weighted or not,
    # keeps the input's dtype whatever the weight's
    if not input.dtype.is_floating_point:
        raise _not_implemented("rms_norm", input)
    x = input.float() if input.dtype is D.float16 else input
    if eps is None:
        eps = D.finfo(x.dtype).eps
    out = x * ((x * x).mean(dims, keepdim=True) + eps).rsqrt()
    if out.dtype is not input.dtype:
        out = out.to(input.dtype)
    if weight is None:
        return out
    out = out * weight
    return out if out.dtype is input.dtype else out.to(input.dtype)


def _stats(x, dims, eps):
    """Mean and ``1 / sqrt(biased var + eps)`` over ``dims`` (kept), without a graph."""
    with no_grad():
        mean = x.mean(dims, keepdim=True)
        var = ((x - mean) ** 2).mean(dims, keepdim=True)
        return mean, (var + eps).rsqrt()


def native_layer_norm(input, normalized_shape, weight, bias, eps):
    """``(layer_norm(input), mean, rstd)``; the statistics keep the normalised dims as size 1."""
    from .nn_norm import layer_norm

    out = layer_norm(input, normalized_shape, weight, bias, eps)
    k = len(normalized_shape)
    x = input.float() if input.dtype.itemsize < 4 else input
    mean, rstd = _stats(x, tuple(range(input.dim() - k, input.dim())), eps)
    return out, mean, rstd


def native_batch_norm(input, weight, bias, running_mean, running_var, training, momentum, eps):
    """``(batch_norm(input), save_mean, save_invstd)``: the batch's per-channel statistics in
    training, empty tensors otherwise (as PyTorch's CPU kernel)."""
    from .nn_norm import batch_norm

    out = batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps)
    if not training:
        empty = input.new_empty((0,))
        return out, empty, empty.clone()
    dims = tuple(d for d in range(input.dim()) if d != 1)
    mean, invstd = _stats(input, dims, eps)
    return out, mean.reshape(-1), invstd.reshape(-1)


def native_group_norm(input, weight, bias, N, C, HxW, group, eps):
    """``(group_norm(input), mean, rstd)``, the statistics of shape ``(N, group)``."""
    from .nn_norm import group_norm

    if input.numel() != N * C * HxW:
        raise RuntimeError(f"Expected input to have {N * C * HxW} elements, but got {input.numel()}: N={N}, "
                           f"C={C}, HxW={HxW}")
    out = group_norm(input, group, weight, bias, eps)
    # unlike layer and batch norm's, these statistics are differentiable outputs in PyTorch
    x = input.reshape(N, group, -1)
    mean = x.mean(2)
    rstd = (((x - mean.unsqueeze(2)) ** 2).mean(2) + eps).rsqrt()
    return out, mean, rstd


# ---- dropout --------------------------------------------------------------------------------------
class NativeDropoutBackward0(Node):
    def forward(self, a):
        return a._data * self.mask._data * self.scale

    def backward(self, grad):
        return grad * self.mask * self.grad_scale


def native_dropout(input, p, train):
    """``(output, mask)``: in training (``train`` True or None) each element is kept with
    probability ``1 - p`` and scaled by ``1 / (1 - p)``; ``mask`` is True where kept."""
    from .. import _dtype as D

    if train is None or train:
        if not input.dtype.is_floating_point:
            raise RuntimeError(f"result type Float can't be cast to the desired output type {_scalar(input.dtype)}")
        with no_grad():
            keep = input.new_empty(input.shape).bernoulli_(1 - p)
        scale = 0.0 if p == 1 else 1.0 / (1 - p)
    else:
        keep = input.new_ones(input.shape)
        scale = 1.0
    # PyTorch's derivative scales by 1/(1-p) only when ``train`` is given as True: with None the
    # forward drops and scales, but the gradient is only masked
    grad_scale = scale if train else 1.0
    out = apply(NativeDropoutBackward0, input, mask=keep, scale=scale, grad_scale=grad_scale)
    return out, keep.to(D.bool_)


def feature_alpha_dropout(input, p=0.5, train=False, inplace=False):
    """Alpha dropout of whole channels (dim 1)."""
    from .nn_dropout import _check_p

    _check_p(p)
    if not train or p == 0.0:
        return input
    if p == 1.0:  # everything dropped: zeros, as alpha_dropout (the scale below would divide by 0)
        return input.mul(0) if not inplace else input.mul_(0)
    if input.dim() < 2:
        raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
    shape = tuple(input.shape[:2]) + (1,) * (input.dim() - 2)
    alpha = 1.7580993408473766
    with no_grad():
        keep = input.new_empty(shape).bernoulli_(1 - p)
        a = 1.0 / ((alpha**2 * p + 1) * (1 - p)) ** 0.5
        b = (keep - 1) * (alpha * a) + alpha * a * p
        noise = keep * a
    out = input * noise + b
    return input.copy_(out) if inplace else out


def feature_alpha_dropout_(input, p, train):
    return feature_alpha_dropout(input, p, train, True)


# ---- padding, convolution, pooling ----------------------------------------------------------------
def constant_pad_nd(input, pad, value=0):
    """Pad the last ``len(pad) // 2`` dims with ``value`` (negative pads crop)."""
    from .nn_pad import pad as pad_fn

    if len(pad) % 2:
        raise RuntimeError(f"Length of pad must be even but instead it equals {len(pad)}")
    return pad_fn(input, pad, "constant", value)


def convolution(input, weight, bias, stride, padding, dilation, transposed, output_padding, groups):
    """ATen's convolution entry: the 1-, 2- or 3-d (transposed) convolution ``weight`` implies."""
    from . import nn_conv

    nd = weight.dim() - 2
    if nd not in (1, 2, 3):
        raise RuntimeError(f"Expected 3D, 4D or 5D weight for convolution, but got weight of size "
                           f"{list(weight.shape)}")
    if transposed:
        fn = (nn_conv.conv_transpose1d, nn_conv.conv_transpose2d, nn_conv.conv_transpose3d)[nd - 1]
        return fn(input, weight, bias, tuple(stride), tuple(padding), tuple(output_padding), groups,
                  tuple(dilation))
    fn = (nn_conv.conv1d, nn_conv.conv2d, nn_conv.conv3d)[nd - 1]
    return fn(input, weight, bias, tuple(stride), tuple(padding), tuple(dilation), groups)


def max_pool1d_with_indices(input, kernel_size, stride=(), padding=0, dilation=1, ceil_mode=False):
    """``(values, indices)`` of 1-d max pooling (an empty ``stride`` means the kernel size)."""
    from .nn_pool import max_pool1d

    if isinstance(stride, (tuple, list)) and not stride:
        stride = None
    return max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


# ---- deprecated norms ----------------------------------------------------------------------------
def frobenius_norm(input, dim, keepdim=False):
    """Deprecated: ``torch.linalg.vector_norm(input, 2, dim, keepdim)``."""
    from .reduce import legacy_scalar_name, norm_dims
    from .stats import NormBackward1

    warnings.warn("at::frobenius_norm is deprecated and it is just left for JIT compatibility. It will be "
                  "removed in a future PyTorch release. Please use `linalg.vector_norm(A, 2., dim, keepdim)` "
                  "instead", UserWarning, stacklevel=2)
    dim = (dim,) if isinstance(dim, int) else tuple(dim)
    if len(dim) > 2:
        raise RuntimeError(f"Expected at most 2 dimensions, but got {len(dim)} dimensions instead.")
    if not input.dtype.is_floating_point:
        raise RuntimeError(f"norm(): input dtype should be either floating point or complex. Got "
                           f"{legacy_scalar_name(input.dtype)} instead.")
    return apply(NormBackward1, input, ord=2.0, axes=norm_dims(dim, input.dim()), keepdim=keepdim)


def nuclear_norm(input, dim=None, keepdim=False):
    """Deprecated: ``torch.linalg.matrix_norm(input, 'nuc', dim, keepdim)`` (``dim`` defaults to
    the first two dims); ``nuclear_norm(input, keepdim)`` is accepted as in PyTorch."""
    from .linalg_extra import matrix_norm

    warnings.warn("at::nuclear_norm is deprecated and it is just left for JIT compatibility. It will be "
                  "removed in a future PyTorch release. Please use `linalg.matrix_norm(A, 'nuc', dim, "
                  "keepdim)` instead", UserWarning, stacklevel=2)
    if isinstance(dim, bool):  # the (input, keepdim) overload
        dim, keepdim = None, dim
    if dim is None:
        if input.dim() != 2:
            raise RuntimeError(f"Expected a tensor with 2 dimensions, but got a tensor with {input.dim()} "
                               f"dimension{'' if input.dim() == 1 else 's'} instead.")
        dim = (0, 1)
    return matrix_norm(input, "nuc", tuple(dim), keepdim)
