"""``torch.multiprocessing``: the standard :mod:`multiprocessing`, plus :func:`spawn`.

Everything of :mod:`multiprocessing` is here (``Process``, ``Queue``, ``get_context`` ...), so
``import lanterna.multiprocessing as mp`` works where ``import torch.multiprocessing as mp`` did.
Tensors cross process boundaries by pickling (a copy), except that storages made shared with
``Tensor.share_memory_()`` stay shared with children started by ``fork``.

:func:`spawn` starts ``nprocs`` processes running ``fn(i, *args)``, the usual way to start the
ranks of a ``gloo`` job from one script::

    def worker(rank, world_size):
        dist.init_process_group("gloo", rank=rank, world_size=world_size)
        ...

    if __name__ == "__main__":
        mp.spawn(worker, args=(2,), nprocs=2)
"""

from __future__ import annotations

import multiprocessing
import sys
from multiprocessing import *  # noqa: F403

from .spawn import (
    ProcessContext,
    ProcessException,
    ProcessExitedException,
    ProcessRaisedException,
    SpawnContext,
    spawn,
    start_processes,
)

__all__ = ["get_all_sharing_strategies", "get_sharing_strategy", "set_sharing_strategy",
           *multiprocessing.__all__]

# How PyTorch shares CPU storages between processes. Lanterna's storages are NumPy arrays: they
# are pickled (or mapped, after share_memory_), whatever the strategy; the names are kept so that
# scripts setting one run unchanged.
_all_sharing_strategies = {"file_system"} if sys.platform in ("darwin", "win32") else {"file_descriptor",
                                                                                      "file_system"}
_sharing_strategy = "file_system" if sys.platform in ("darwin", "win32") else "file_descriptor"


def set_sharing_strategy(new_strategy):
    """Set the strategy for sharing CPU tensors (one of :func:`get_all_sharing_strategies`)."""
    global _sharing_strategy
    if new_strategy not in _all_sharing_strategies:
        raise AssertionError(f"invalid sharing strategy {new_strategy!r}, expected one of {_all_sharing_strategies}")
    _sharing_strategy = new_strategy


def get_sharing_strategy():
    """The current strategy for sharing CPU tensors."""
    return _sharing_strategy


def get_all_sharing_strategies():
    """The sharing strategies this system supports."""
    return _all_sharing_strategies
