"""The default DDP communication hooks: plain all-reduce, and all-reduce in float16."""

from __future__ import annotations

import lanterna
import lanterna.distributed as dist
from lanterna.futures import Future


def _group_size(process_group):
    group = process_group if process_group is not None else dist.group.WORLD
    return group, group.size()


def _allreduce_fut(process_group, tensor) -> Future:
    """Average ``tensor`` over the group in place; a future of the averaged tensor."""
    group, size = _group_size(process_group)
    tensor.div_(size)
    return dist.all_reduce(tensor, group=group, async_op=True).get_future().then(lambda fut: fut.value()[0])


def allreduce_hook(process_group, bucket) -> Future:
    """Average the bucket's gradients with one all-reduce: what DDP does without a hook.

    ``state`` is the process group to use (None: the world).

    >>> ddp_model.register_comm_hook(process_group, allreduce_hook)  # doctest: +SKIP
    """
    return _allreduce_fut(process_group, bucket.buffer())


def fp16_compress_hook(process_group, bucket) -> Future:
    """All-reduce the bucket in float16 (half the bytes), then cast the average back.

    ``state`` is the process group to use (None: the world).

    >>> ddp_model.register_comm_hook(process_group, fp16_compress_hook)  # doctest: +SKIP
    """
    group, size = _group_size(process_group)
    buffer = bucket[0] if isinstance(bucket, tuple) else bucket.buffer()
    compressed = buffer.to(lanterna.float16).div_(size)

    def decompress(fut):
        buffer.copy_(fut.value()[0])
        return buffer

    return dist.all_reduce(compressed, group=group, async_op=True).get_future().then(decompress)


__all__ = ["allreduce_hook", "fp16_compress_hook"]
