"""Large CPU tensors travel from the workers through shared memory instead of the result pipe.

A worker writes the tensor's bytes to a file in ``/dev/shm`` (RAM-backed) and pickles only its
name; the main process maps that file (no copy) and unlinks it at once, so the memory is freed
when the tensor is. Pickling a big batch through the pipe costs several copies and is limited by
the pipe's throughput; this costs one copy. Where there is no ``/dev/shm``, where it is full, or
for small or special tensors, the tensor is pickled as usual.
"""

from __future__ import annotations

import glob
import itertools
import mmap
import os
from multiprocessing.reduction import ForkingPickler

import lanterna
import numpy as np

SHM_DIR = "/dev/shm"
# Below this size the pipe is as fast as creating a file, so small tensors are pickled.
SHM_THRESHOLD_BYTES = 64 * 1024

_counter = itertools.count()
_prefix = None


def new_prefix(owner_pid, pool_id):
    """A file-name prefix unique to one worker pool, or None where shared memory cannot be used."""
    if not (os.path.isdir(SHM_DIR) and os.access(SHM_DIR, os.W_OK)):
        return None
    return os.path.join(SHM_DIR, f"lanterna-dataloader-{owner_pid}-{pool_id}-")


def remove_leftovers(prefix):
    """Unlink the files named ``prefix*``: batches that were sent but never received."""
    if prefix:
        for path in glob.glob(glob.escape(prefix) + "*"):
            try:
                os.unlink(path)
            except OSError:
                pass


def install(prefix, worker_id):
    """In a worker: send large CPU tensors through files named ``prefix...`` from now on."""
    global _prefix
    if prefix is None:
        return
    _prefix = f"{prefix}w{worker_id}-"
    ForkingPickler.register(lanterna.Tensor, _reduce_tensor)


def _write(array):
    """Write ``array``'s bytes to a new shared-memory file; its path, or None if that failed."""
    path = f"{_prefix}{next(_counter)}"
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError:
        return None
    try:
        with open(fd, "wb", closefd=True) as f:
            f.write(memoryview(array).cast("B"))
        return path
    except OSError:  # most likely ENOSPC: /dev/shm is full
        try:
            os.unlink(path)
        except OSError:
            pass
        return None


def _reduce_tensor(t):
    if (
        type(t) is lanterna.Tensor
        and t.device.type == "cpu"
        and not t.requires_grad
        and t.grad_fn is None
        and not t.__dict__
        and t.nbytes >= SHM_THRESHOLD_BYTES
    ):
        array = np.ascontiguousarray(t.numpy())
        path = _write(array)
        if path is not None:
            return _rebuild_tensor, (path, array.dtype.str, array.shape)
    return t.__reduce_ex__(4)


def _rebuild_tensor(path, dtype, shape):
    """In the main process: map the file a worker wrote, unlink it, and wrap it as a tensor."""
    fd = os.open(path, os.O_RDWR)
    try:
        size = os.fstat(fd).st_size
        buf = mmap.mmap(fd, size)
    finally:
        os.close(fd)
        os.unlink(path)
    return lanterna.from_numpy(np.frombuffer(buf, dtype=np.dtype(dtype)).reshape(shape))
