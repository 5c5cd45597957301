"""Variable-length sequences for recurrent nets: padding and packing (``torch.nn.utils.rnn``).

A packed sequence stores the steps of a batch of sequences sorted by decreasing length,
time-major: all first steps, then all second steps of the sequences that have one, ... so that a
recurrent layer runs ``batch_sizes[t]`` rows at step ``t`` and never computes on padding.
Every conversion here is one gather (``index_select``) over the rows, so gradients flow back
through packing and unpacking in a single node.
"""

from __future__ import annotations

import itertools
from collections import namedtuple

import lanterna as torch
from lanterna import Tensor
from lanterna._naming import TorchNamedType

__all__ = [
    "PackedSequence",
    "invert_permutation",
    "pack_padded_sequence",
    "pack_sequence",
    "pad_packed_sequence",
    "pad_sequence",
    "unpack_sequence",
    "unpad_sequence",
]

PackedSequence_ = namedtuple("PackedSequence_", ["data", "batch_sizes", "sorted_indices", "unsorted_indices"])


def _bind(optional, fn):
    return None if optional is None else fn(optional)


class PackedSequence(PackedSequence_, metaclass=TorchNamedType):
    """Holds the ``data`` and ``batch_sizes`` of a packed batch of sequences.

    Made by :func:`pack_padded_sequence` or :func:`pack_sequence`, accepted by every recurrent
    module. ``batch_sizes[t]`` is the number of sequences that have a step ``t`` (a CPU int64
    tensor); ``sorted_indices`` / ``unsorted_indices`` map between the caller's batch order and
    the length-sorted order (``None`` when the batch was already sorted).

    >>> import lanterna as torch
    >>> from lanterna.nn.utils.rnn import pack_sequence
    >>> pack_sequence([torch.tensor([1, 2, 3]), torch.tensor([4, 5]), torch.tensor([6])])
    PackedSequence(data=tensor([1, 4, 6, 2, 5, 3]), batch_sizes=tensor([3, 2, 1]), sorted_indices=None, unsorted_indices=None)
    """

    __slots__ = ()

    def __new__(cls, data, batch_sizes=None, sorted_indices=None, unsorted_indices=None):
        if unsorted_indices is None:
            unsorted_indices = invert_permutation(sorted_indices)
        if batch_sizes is not None:
            if batch_sizes.device.type != "cpu":
                raise ValueError(
                    "batch_sizes should always be on CPU. Instances of PackedSequence should never be created "
                    "manually. They should be instantiated by functions like pack_sequence and "
                    "pack_padded_sequences in nn.utils.rnn. "
                    "https://pytorch.org/docs/stable/nn.html#torch.nn.utils.rnn.pack_sequence"
                )
        else:  # PackedSequence((data, batch_sizes), ...)
            if not (isinstance(data, (list, tuple)) and len(data) == 2):
                raise AssertionError("Expected data to be a list or tuple of length 2")
            data, batch_sizes = data
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def pin_memory(self):
        return type(self)(self.data.pin_memory(), self.batch_sizes, _bind(self.sorted_indices, lambda t: t.pin_memory()),
                          _bind(self.unsorted_indices, lambda t: t.pin_memory()))

    def to(self, *args, **kwargs):
        """Convert ``data`` like ``Tensor.to``; the indices follow it to its device."""
        data = self.data.to(*args, **kwargs)
        if data is self.data:
            return self

        def call_to(t):
            return t.to(data.device)

        return type(self)(data, self.batch_sizes, _bind(self.sorted_indices, call_to),
                          _bind(self.unsorted_indices, call_to))

    def cuda(self, device=None, non_blocking=False):
        if isinstance(device, int):
            device = f"cuda:{device}"
        return self.to(device or "cuda", non_blocking=non_blocking)

    def cpu(self):
        return self.to("cpu")

    def double(self):
        return self.to(dtype=torch.double)

    def float(self):
        return self.to(dtype=torch.float)

    def half(self):
        return self.to(dtype=torch.half)

    def long(self):
        return self.to(dtype=torch.long)

    def int(self):
        return self.to(dtype=torch.int)

    def short(self):
        return self.to(dtype=torch.short)

    def char(self):
        return self.to(dtype=torch.int8)

    def byte(self):
        return self.to(dtype=torch.uint8)

    @property
    def is_cuda(self):
        """True if ``data`` lives on a CUDA device."""
        return self.data.is_cuda

    def is_pinned(self):
        """True if ``data`` is in pinned memory."""
        return self.data.is_pinned()


def invert_permutation(permutation):
    """The inverse of a permutation (``None`` stays ``None``).

    >>> import lanterna as torch
    >>> invert_permutation(torch.tensor([2, 0, 1]))
    tensor([1, 2, 0])
    """
    if permutation is None:
        return None
    n = permutation.numel()
    return torch.empty_like(permutation).scatter_(0, permutation, torch.arange(n, device=permutation.device))


def _lengths_list(lengths):
    if isinstance(lengths, Tensor):
        return [int(v) for v in lengths.tolist()]
    return [int(v) for v in lengths]


def _rows(batch_size, max_len, batch_first):
    """Flat row index of step ``t`` of sequence ``b`` in a padded tensor reshaped to 2-D."""
    t = torch.arange(max_len).unsqueeze(1)
    b = torch.arange(batch_size).unsqueeze(0)
    return b * max_len + t if batch_first else t * batch_size + b


def pack_padded_sequence(input, lengths, batch_first=False, enforce_sorted=True):
    """Pack a padded batch ``T x B x *`` (``B x T x *`` if ``batch_first``) of sequences.

    With ``enforce_sorted=False`` the sequences may come in any order: they are sorted by
    decreasing length and the permutation is kept in the result.

    >>> import lanterna as torch
    >>> x = torch.tensor([[1, 2, 3], [4, 5, 0]])
    >>> pack_padded_sequence(x, [3, 2], batch_first=True).data
    tensor([1, 4, 2, 5, 3])
    """
    lens = _lengths_list(lengths)
    batch_dim = 0 if batch_first else 1
    B = input.shape[batch_dim]
    if len(lens) != B:
        raise RuntimeError(f"Expected `len(lengths)` to be equal to batch_size, but got {len(lens)} (batch_size={B})")
    if enforce_sorted:
        if any(a < b for a, b in itertools.pairwise(lens)):
            raise RuntimeError(
                "`lengths` array must be sorted in decreasing order when `enforce_sorted` is True. You can pass "
                "`enforce_sorted=False` to pack_padded_sequence and/or pack_sequence to sidestep this requirement "
                "if you do not need ONNX exportability."
            )
        sorted_indices = None
        order = list(range(B))
    else:
        sorted_lengths, sorted_indices = torch.sort(torch.tensor(lens, dtype=torch.int64), descending=True)
        order = sorted_indices.tolist()
        lens = sorted_lengths.tolist()
        sorted_indices = sorted_indices.to(input.device)
    if lens and lens[-1] <= 0:
        raise RuntimeError(
            "Length of all samples has to be greater than 0, but found an element in 'lengths' that is <= 0"
        )
    T = input.shape[1 - batch_dim]
    if lens and lens[0] > T:
        raise RuntimeError(f"Expected the longest sequence length ({lens[0]}) to be at most the padded length ({T})")
    max_len = lens[0] if lens else 0
    len_t = torch.tensor(lens, dtype=torch.int64)
    batch_sizes = (len_t.unsqueeze(0) > torch.arange(max_len).unsqueeze(1)).sum(1)
    # rows of the padded input (its batch columns taken in sorted order) that hold a real step
    rows = _rows(B, T, batch_first)[:max_len][:, torch.tensor(order, dtype=torch.int64)]
    rows = rows[torch.arange(B).unsqueeze(0) < batch_sizes.unsqueeze(1)]
    flat = input.reshape(B * T, *input.shape[2:])
    data = flat.index_select(0, rows.to(input.device))
    return PackedSequence(data, batch_sizes, sorted_indices, None)


def pad_packed_sequence(sequence, batch_first=False, padding_value=0.0, total_length=None):
    """Undo :func:`pack_padded_sequence`: ``(padded, lengths)`` in the caller's batch order.

    >>> import lanterna as torch
    >>> seq = pack_sequence([torch.tensor([1, 2, 3]), torch.tensor([4])])
    >>> pad_packed_sequence(seq, batch_first=True)
    (tensor([[1, 2, 3],
            [4, 0, 0]]), tensor([3, 1]))
    """
    data, batch_sizes = sequence.data, sequence.batch_sizes
    max_seq_length = batch_sizes.size(0)
    if total_length is not None:
        if total_length < max_seq_length:
            raise ValueError(
                "Expected total_length to be at least the length of the longest sequence in input, but got "
                f"total_length={total_length} and max sequence length being {max_seq_length}"
            )
    else:
        total_length = max_seq_length
    B = int(batch_sizes[0]) if max_seq_length else 0
    N = data.shape[0]
    bs = torch.cat([batch_sizes, batch_sizes.new_zeros(total_length - max_seq_length)])
    offsets = bs.cumsum(0) - bs
    col = torch.arange(B).unsqueeze(0)
    src = torch.where(col < bs.unsqueeze(1), offsets.unsqueeze(1) + col, torch.tensor(N))  # (T, B), N = padding
    lengths = (batch_sizes.unsqueeze(0) > torch.arange(B).unsqueeze(1)).sum(1)
    unsorted = sequence.unsorted_indices
    if unsorted is not None:
        unsorted_cpu = unsorted.cpu()
        src = src[:, unsorted_cpu]
        lengths = lengths[unsorted_cpu]
    if batch_first:
        src = src.t()
    pad_row = data.new_full((1, *data.shape[1:]), padding_value)
    padded = torch.cat([data, pad_row]).index_select(0, src.reshape(-1).to(data.device))
    return padded.reshape(*src.shape, *data.shape[1:]), lengths


def pad_sequence(sequences, batch_first=False, padding_value=0.0, padding_side="right"):
    """Stack sequences of shapes ``L_i x *`` into ``T x B x *`` (``B x T x *`` if
    ``batch_first``), padding the shorter ones with ``padding_value`` on ``padding_side``.

    >>> import lanterna as torch
    >>> pad_sequence([torch.tensor([1, 2]), torch.tensor([3])], batch_first=True)
    tensor([[1, 2],
            [3, 0]])
    """
    if isinstance(sequences, Tensor):
        sequences = sequences.unbind(0)
    elif not hasattr(sequences, "__iter__"):
        raise RuntimeError(
            f"pad_sequence: Expected iterable for input sequences, but got arg of type: {type(sequences)}"
        )
    sequences = list(sequences)
    if not sequences:
        raise RuntimeError("received an empty list of sequences")
    if padding_side not in ("left", "right"):  # PyTorch's C++ check: a RuntimeError
        raise RuntimeError(f"Expected padding_side to be one of left or right, but got {padding_side}.")
    # the output takes the first sequence's dtype and trailing dims (the others are cast/broadcast)
    dtype, trailing = sequences[0].dtype, sequences[0].shape[1:]
    sequences = [
        (s if s.shape[1:] == trailing else _broadcast_to_slot(s, trailing)).to(dtype) for s in sequences
    ]
    lens = torch.tensor([s.shape[0] for s in sequences], dtype=torch.int64)
    T = int(lens.max())
    starts = lens.cumsum(0) - lens
    t = torch.arange(T).unsqueeze(1)
    if padding_side == "left":
        t = t - (T - lens).unsqueeze(0)
    valid = (t >= 0) & (t < lens.unsqueeze(0))
    src = torch.where(valid, starts.unsqueeze(0) + t, torch.tensor(int(lens.sum())))  # (T, B)
    if batch_first:
        src = src.t()
    data = torch.cat(sequences)
    pad_row = data.new_full((1, *data.shape[1:]), padding_value)
    out = torch.cat([data, pad_row]).index_select(0, src.reshape(-1).to(data.device))
    return out.reshape(*src.shape, *data.shape[1:])


def _broadcast_to_slot(seq, trailing):
    """``seq`` expanded to its slot ``(len, *trailing)`` of the padded output, with the errors of
    PyTorch's ``copy_`` into that slot when it can't be."""
    slot = (seq.shape[0], *trailing)
    src = tuple(seq.shape)
    n = max(len(slot), len(src))
    a, b = (1,) * (n - len(slot)) + slot, (1,) * (n - len(src)) + src
    for d, (x, y) in enumerate(zip(a, b)):
        if x != y and 1 not in (x, y):
            raise RuntimeError(
                f"The size of tensor a ({x}) must match the size of tensor b ({y}) at non-singleton dimension {d}"
            )
    shape = tuple(y if x == 1 else x for x, y in zip(a, b))
    if shape != slot:
        raise RuntimeError(
            f"output with shape [{', '.join(map(str, slot))}] doesn't match the broadcast shape "
            f"[{', '.join(map(str, shape))}]"
        )
    return seq.expand(*slot)


def unpad_sequence(padded_sequences, lengths, batch_first=False):
    """Split a padded batch back into a list of sequences of the given ``lengths``.

    >>> import lanterna as torch
    >>> unpad_sequence(torch.tensor([[1, 2], [3, 0]]), torch.tensor([2, 1]), batch_first=True)
    [tensor([1, 2]), tensor([3])]
    """
    if not batch_first:
        padded_sequences.transpose_(0, 1)  # in place, as PyTorch does (the caller sees it)
    return [seq[:n] for seq, n in zip(padded_sequences, _lengths_list(lengths))]


def pack_sequence(sequences, enforce_sorted=True):
    """Pack a list of sequences ``L_i x *`` (``pad_sequence`` then ``pack_padded_sequence``).

    >>> import lanterna as torch
    >>> pack_sequence([torch.tensor([1, 2]), torch.tensor([3])]).batch_sizes
    tensor([2, 1])
    """
    lengths = torch.as_tensor([v.size(0) for v in sequences])
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences):
    """Unpack a :class:`PackedSequence` into the list of its sequences, in the caller's order.

    >>> import lanterna as torch
    >>> unpack_sequence(pack_sequence([torch.tensor([1, 2]), torch.tensor([3])]))
    [tensor([1, 2]), tensor([3])]
    """
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
