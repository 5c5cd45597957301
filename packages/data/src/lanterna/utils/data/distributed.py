"""DistributedSampler: each of ``num_replicas`` processes loads its own shard of the dataset."""

from __future__ import annotations

import math

import lanterna

from .sampler import Sampler

__all__ = ["DistributedSampler"]


def _process_group_value(name):
    """``world_size`` or ``rank`` from ``lanterna.distributed``'s default group."""
    try:
        import lanterna.distributed as dist
    except ImportError:
        dist = None
    if dist is None or not dist.is_available():
        raise RuntimeError("Requires distributed package to be available")
    return getattr(dist, f"get_{name}")()


class DistributedSampler(Sampler):
    """The indices of replica ``rank`` of ``num_replicas``: every ``num_replicas``-th index from ``rank``.

    With ``shuffle=True`` the permutation is ``randperm(len(dataset))`` from a generator seeded with
    ``seed + epoch``: call :meth:`set_epoch` at the start of each epoch so the order changes, and
    give every replica the same ``seed``. Without ``drop_last`` the index list is padded by
    wrapping around, so every replica gets ``ceil(len / num_replicas)`` indices.

    >>> list(DistributedSampler(range(10), num_replicas=3, rank=1, shuffle=False))
    [1, 4, 7, 0]
    >>> list(DistributedSampler(range(10), num_replicas=3, rank=1, shuffle=False, drop_last=True))
    [1, 4, 7]
    """

    def __init__(self, dataset, num_replicas=None, rank=None, shuffle=True, seed=0, drop_last=False):
        if num_replicas is None:
            num_replicas = _process_group_value("world_size")
        if rank is None:
            rank = _process_group_value("rank")
        if rank >= num_replicas or rank < 0:
            raise ValueError(f"Invalid rank {rank}, rank should be in the interval [0, {num_replicas - 1}]")
        self.dataset = dataset
        self.num_replicas = num_replicas
        self.rank = rank
        self.epoch = 0
        self.drop_last = drop_last
        if self.drop_last and len(self.dataset) % self.num_replicas != 0:
            # drop the tail so that every replica gets the same amount of data
            self.num_samples = math.ceil((len(self.dataset) - self.num_replicas) / self.num_replicas)
        else:
            self.num_samples = math.ceil(len(self.dataset) / self.num_replicas)
        self.total_size = self.num_samples * self.num_replicas
        self.shuffle = shuffle
        self.seed = seed

    def __iter__(self):
        if self.shuffle:
            g = lanterna.Generator()
            g.manual_seed(self.seed + self.epoch)
            indices = lanterna.randperm(len(self.dataset), generator=g).tolist()
        else:
            indices = list(range(len(self.dataset)))

        if not self.drop_last:
            padding_size = self.total_size - len(indices)
            if padding_size <= len(indices):
                indices += indices[:padding_size]
            else:
                indices += (indices * math.ceil(padding_size / len(indices)))[:padding_size]
        else:
            indices = indices[: self.total_size]
        if len(indices) != self.total_size:
            raise AssertionError(
                f"Number of indices ({len(indices)}) does not match total_size ({self.total_size})"
            )

        indices = indices[self.rank : self.total_size : self.num_replicas]
        if len(indices) != self.num_samples:
            raise AssertionError(
                f"Number of subsampled indices ({len(indices)}) does not match "
                f"num_samples ({self.num_samples})"
            )
        return iter(indices)

    def __len__(self):
        return self.num_samples

    def set_epoch(self, epoch):
        """Set the epoch, which (with ``seed``) determines the shuffled order of the next pass."""
        self.epoch = epoch
