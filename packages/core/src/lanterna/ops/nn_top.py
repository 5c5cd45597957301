"""The few ``torch.<name>`` nn functions whose argument order differs from ``nn.functional``'s."""

from __future__ import annotations

from . import nn_norm, nn_sparse


def batch_norm(input, weight, bias, running_mean, running_var, training, momentum, eps, cudnn_enabled=True):
    """``torch.batch_norm``: as ``F.batch_norm`` with PyTorch's ATen argument order."""
    return nn_norm.batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps)


def embedding(weight, indices, padding_idx=-1, scale_grad_by_freq=False, sparse=False):
    """``torch.embedding(weight, indices)``: rows of ``weight`` (``padding_idx=-1`` means none).

    >>> import lanterna as torch
    >>> torch.embedding(torch.eye(3), torch.tensor([2, 0]))
    tensor([[0., 0., 1.],
            [1., 0., 0.]])
    """
    return nn_sparse.embedding(
        indices,
        weight,
        None if padding_idx == -1 else padding_idx,
        scale_grad_by_freq=scale_grad_by_freq,
        sparse=sparse,
    )


_BAG_MODES = ("sum", "mean", "max")


def embedding_bag(
    weight,
    indices,
    offsets,
    scale_grad_by_freq=False,
    mode=0,
    sparse=False,
    per_sample_weights=None,
    include_last_offset=False,
    padding_idx=None,
):
    """``torch.embedding_bag``: ATen's form of ``F.embedding_bag`` (``mode`` 0 sum, 1 mean, 2 max).

    Returns ``(output, offset2bag, bag_size, max_indices)`` as PyTorch's CPU kernel does; only
    ``output`` carries a gradient (computed by ``F.embedding_bag``).

    >>> import lanterna as torch
    >>> w = torch.arange(12.0).reshape(6, 2)
    >>> torch.embedding_bag(w, torch.tensor([1, 2, 4, 5, 4]), torch.tensor([0, 2]), False, 0)[0]
    tensor([[ 6.,  8.],
            [26., 29.]])
    """
    import lanterna
    import lanterna.nn.functional as F

    for name, value in (("indices", indices), ("offsets", offsets)):
        if not isinstance(value, lanterna.Tensor):
            raise TypeError(
                f"embedding_bag(): argument '{name}' must be Tensor, not {type(value).__name__}"
            )
    if isinstance(mode, bool) or not isinstance(mode, int):
        raise TypeError(f"embedding_bag(): argument 'mode' (position 5) must be int, not {type(mode).__name__}")
    if not 0 <= mode < len(_BAG_MODES):
        raise RuntimeError("`mode` must be sum, mean, or max.")
    if per_sample_weights is not None and mode != 0:
        raise RuntimeError("embedding_bag: per_sample_weights only supported with mode='sum'")
    output = F.embedding_bag(
        indices, weight, offsets, None, 2, scale_grad_by_freq, _BAG_MODES[mode], sparse,
        per_sample_weights, include_last_offset, padding_idx,
    )
    with lanterna.no_grad():
        aux = _embedding_bag_aux(weight, indices, offsets, mode, include_last_offset, padding_idx)
    return (output, *aux)


def _embedding_bag_aux(weight, indices, offsets, mode, include_last_offset, padding_idx):
    """``offset2bag``, ``bag_size`` and ``max_indices`` as PyTorch's CPU kernel fills them.

    (Arguments were validated by ``F.embedding_bag``.) The sum kernel leaves ``bag_size`` and
    ``max_indices`` zero, and its float32 fast path does not even fill ``offset2bag``.
    """
    import lanterna

    dev, itype = indices.device, indices.dtype
    n, dim = weight.shape
    length = indices.numel()
    offs = [int(o) for o in offsets.tolist()]
    starts = offs[:-1] if include_last_offset else offs
    bags = len(starts)
    lengths = [e - s for s, e in zip(starts, starts[1:] + [length])]
    used = sum(lengths)
    bag_ids = lanterna.repeat_interleave(
        lanterna.arange(bags, device=dev), lanterna.tensor(lengths, dtype=lanterna.long, device=dev)
    )
    offset2bag = lanterna.zeros(length, dtype=itype, device=dev)
    offset2bag[:used] = bag_ids.to(itype)
    if mode == 0:
        if weight.dtype == lanterna.float32:
            offset2bag = offset2bag[:0]
        zeros = lanterna.zeros(bags, dtype=itype, device=dev)
        return offset2bag, zeros, zeros.clone()
    idx = indices[:used].long()
    if padding_idx is not None:
        pad = padding_idx + n if padding_idx < 0 else padding_idx
        keep = idx != pad
    else:
        keep = lanterna.ones(used, dtype=lanterna.bool, device=dev)
    bag_size = lanterna.zeros(bags, dtype=lanterna.long, device=dev).index_add(0, bag_ids, keep.long())
    bag_size = bag_size.to(itype)
    if mode == 1:
        return offset2bag, bag_size, bag_size.clone()
    return offset2bag, bag_size, _bag_argmax(weight, idx, keep, starts, lengths, dim).to(itype)


def _bag_argmax(weight, idx, keep, starts, lengths, dim):
    """Per bag and column, the row of ``weight`` holding the maximum (first one on ties; 0 if empty)."""
    import lanterna

    bags = len(starts)
    width = max(lengths, default=0)
    if bags == 0 or width == 0 or idx.numel() == 0:
        return lanterna.zeros((bags, dim), dtype=lanterna.long, device=weight.device)
    j = lanterna.arange(width, device=weight.device)
    pos = (lanterna.tensor(starts, device=weight.device).unsqueeze(1) + j).clamp(max=idx.numel() - 1)
    valid = (j < lanterna.tensor(lengths, device=weight.device).unsqueeze(1)) & keep[pos]
    rows = weight.detach()[idx[pos]]  # (bags, width, dim)
    masked = lanterna.where(valid.unsqueeze(-1), rows, rows.new_full((), float("-inf")))
    best = masked.argmax(1)  # (bags, dim): position within the bag
    winner = idx[pos].gather(1, best)
    return lanterna.where(valid.any(1).unsqueeze(-1), winner, lanterna.zeros_like(winner))
