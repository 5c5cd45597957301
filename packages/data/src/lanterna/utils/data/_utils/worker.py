"""The worker process: seeding, ``get_worker_info()``, and the loop that turns indices into batches.

A worker reads ``(task_idx, index)`` from its own index queue, fetches and collates the batch,
and puts ``(task_idx, batch)`` (or an :class:`ExceptionWrapper`) on the result queue shared by
all workers. ``None`` on the index queue means "exit"; :class:`_ResumeIteration` means "start a
new epoch" (persistent workers).

Every worker registers :mod:`faulthandler` on ``SIGUSR1`` writing to a file the main process
names, so that on a timeout the main process can show where the stuck worker is.
"""

from __future__ import annotations

import faulthandler
import multiprocessing.queues
import os
import pickle
import queue
import random
import signal
import sys
from dataclasses import dataclass

from . import ExceptionWrapper

# How often (seconds) an idle worker checks that the process that started it is still alive.
WORKER_STATUS_CHECK_INTERVAL = 1.0

# The signal that makes a worker write its Python stack (POSIX only).
STACK_DUMP_SIGNAL = getattr(signal, "SIGUSR1", None)
STACK_DUMP_READY = b"stack dump handler ready\n"


@dataclass(frozen=True)
class WorkerInfo:
    """What :func:`get_worker_info` returns inside a worker: ``id``, ``num_workers``, ``seed``, ``dataset``.

    ``dataset`` is this worker's own copy of the dataset; ``seed`` is ``base_seed + id``, the seed
    of this worker's ``lanterna``, ``random`` generators.
    """

    id: int
    num_workers: int
    seed: int
    dataset: object
    rng: object = None  # PyTorch's per-thread generators (thread workers); None for processes
    worker_method: str = "multiprocessing"


_worker_info = None


def get_worker_info():
    """Information about the current DataLoader worker, or ``None`` in the main process.

    Use it in an :class:`~lanterna.utils.data.IterableDataset`'s ``__iter__`` (or in a
    ``worker_init_fn``) to give each worker its own shard of the data.

    >>> get_worker_info() is None
    True
    """
    return _worker_info


@dataclass(frozen=True)
class _IterableDatasetStopIteration:
    """Sent by a worker whose copy of an IterableDataset is exhausted."""

    worker_id: int


@dataclass(frozen=True)
class _ResumeIteration:
    """Sent to persistent workers at the start of each new epoch; echoed back as acknowledgement."""

    seed: int | None = None


class ResultQueue(multiprocessing.queues.Queue):
    """The workers' result queue. A batch that cannot be pickled becomes an error for the main process.

    A plain multiprocessing Queue pickles in a background thread and only prints a pickling
    error, so the batch would silently never arrive and the main process would wait forever.
    """

    def __init__(self, ctx):
        super().__init__(ctx=ctx)

    def _on_queue_feeder_error(self, e, obj):
        if isinstance(obj, tuple) and len(obj) == 2:
            try:
                raise RuntimeError(f"the batch could not be sent to the main process: {e!r}") from e
            except RuntimeError:
                wrapper = ExceptionWrapper(where="while sending a batch from a DataLoader worker process")
            self.put((obj[0], wrapper))
        else:
            super()._on_queue_feeder_error(e, obj)


class ManagerWatchdog:
    """Tells a worker whether the process that started it is still alive (else the worker exits)."""

    def __init__(self):
        self.manager_pid = os.getppid()
        self.manager_dead = False

    def is_alive(self):
        if not self.manager_dead:
            self.manager_dead = os.getppid() != self.manager_pid
        return not self.manager_dead


def _generate_state(base_seed, worker_id):
    """The 4 x uint32 NumPy seed of a worker: PyTorch's hash of ``(worker_id, base_seed)``.

    The same mixing as NumPy's SeedSequence, so that workers get well-separated NumPy streams and
    the same ones as PyTorch's workers under the same base seed.
    """
    mask32 = 0xFFFFFFFF
    mult_a, mult_b = 0x931E8875, 0x58F38DED
    mix_mult_l, mix_mult_r = 0xCA01F9DD, 0x4973F715
    xshift = 16
    entropy = [worker_id, base_seed & mask32, base_seed >> 32, 0]
    hash_const_a = 0x43B0D7E5

    def hashmix(value):
        nonlocal hash_const_a
        value = (value ^ hash_const_a) & mask32
        hash_const_a = (hash_const_a * mult_a) & mask32
        value = (value * hash_const_a) & mask32
        return (value ^ (value >> xshift)) & mask32

    def mix(x, y):
        result = ((mix_mult_l * x) - (mix_mult_r * y)) & mask32
        return (result ^ (result >> xshift)) & mask32

    pool = [hashmix(e) for e in entropy]
    for i_src in range(4):
        for i_dst in range(4):
            if i_src != i_dst:
                pool[i_dst] = mix(pool[i_dst], hashmix(pool[i_src]))

    hash_const_b = 0x8B51F9DD
    state = []
    for value in pool:
        value = (value ^ hash_const_b) & mask32
        hash_const_b = (hash_const_b * mult_b) & mask32
        value = (value * hash_const_b) & mask32
        state.append((value ^ (value >> xshift)) & mask32)
    return state


def _seed_worker(base_seed, worker_id):
    """Seed lanterna's CPU generator, ``random`` and NumPy's global generator; return the worker seed.

    Only the CPU generator: an accelerator is not safe to touch in a forked child.
    """
    import lanterna
    import numpy as np

    seed = base_seed + worker_id
    random.seed(seed)
    lanterna.default_generator.manual_seed(seed)
    np.random.seed(_generate_state(base_seed, worker_id))
    return seed


_stack_dump_file = None


def _install_stack_dump(path):
    """Make ``STACK_DUMP_SIGNAL`` write this process's Python stacks to ``path``."""
    global _stack_dump_file
    if path is None or STACK_DUMP_SIGNAL is None:
        return
    _stack_dump_file = open(path, "ab", buffering=0)  # kept open: the handler writes to it
    faulthandler.register(STACK_DUMP_SIGNAL, file=_stack_dump_file, all_threads=True, chain=False)
    # written after the handler is in place: the main process only signals once it sees this line,
    # since the signal's default action would kill the worker
    _stack_dump_file.write(STACK_DUMP_READY)


def _remove_files(stack_dump_path, shm_prefix, worker_id):
    """Remove this worker's stack-dump file and the shared-memory files of its unread batches."""
    from . import shared_memory

    if stack_dump_path is not None:
        try:
            os.unlink(stack_dump_path)
        except OSError:
            pass
    if shm_prefix is not None:
        shared_memory.remove_leftovers(f"{shm_prefix}w{worker_id}-")


def _picklable_wrapper(wrapper):
    """An exception class the main process cannot import (a local class) is re-raised as RuntimeError."""
    try:
        pickle.dumps(wrapper.exc_type)
    except Exception:
        wrapper.exc_type = RuntimeError
    return wrapper


def _worker_loop(
    dataset_kind,
    dataset,
    index_queue,
    data_queue,
    done_event,
    auto_collation,
    collate_fn,
    drop_last,
    base_seed,
    init_fn,
    worker_id,
    num_workers,
    persistent_workers,
    stack_dump_path,
    shm_prefix=None,
):
    """The body of a worker process (see the module docstring for the protocol)."""
    from .. import dataloader
    from . import shared_memory

    watchdog = ManagerWatchdog()
    try:
        # terminate() at shutdown must end the worker, not run a SIGTERM handler inherited from the
        # main program (one that saves a checkpoint, say)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        _install_stack_dump(stack_dump_path)
        try:  # a segfaulting worker prints its Python stack before dying
            faulthandler.enable(file=sys.__stderr__, all_threads=True)
        except Exception:
            pass

        shared_memory.install(shm_prefix, worker_id)
        seed = _seed_worker(base_seed, worker_id)
        global _worker_info
        _worker_info = WorkerInfo(id=worker_id, num_workers=num_workers, seed=seed, dataset=dataset)

        # an error here is reported with the first batch this worker is asked for
        init_exception = None
        fetcher = None
        try:
            if init_fn is not None:
                init_fn(worker_id)
            fetcher = dataloader._DatasetKind.create_fetcher(
                dataset_kind, dataset, auto_collation, collate_fn, drop_last
            )
        except Exception:
            init_exception = _picklable_wrapper(
                ExceptionWrapper(where=f"in DataLoader worker process {worker_id}")
            )

        iteration_end = False  # an IterableDataset copy is exhausted: skip tasks until resumed
        while watchdog.is_alive():
            try:
                r = index_queue.get(timeout=WORKER_STATUS_CHECK_INTERVAL)
            except queue.Empty:
                continue
            if isinstance(r, _ResumeIteration):
                data_queue.put((r, None))
                iteration_end = False
                fetcher = dataloader._DatasetKind.create_fetcher(
                    dataset_kind, dataset, auto_collation, collate_fn, drop_last
                )
                continue
            if r is None:
                break
            if done_event.is_set() or iteration_end:
                continue  # draining: the main process no longer wants data
            idx, index = r
            if init_exception is not None:
                data, init_exception = init_exception, None
            else:
                try:
                    data = fetcher.fetch(index)
                except Exception as e:
                    if isinstance(e, StopIteration) and dataset_kind == dataloader._DatasetKind.Iterable:
                        data = _IterableDatasetStopIteration(worker_id)
                        iteration_end = True
                    else:
                        data = _picklable_wrapper(
                            ExceptionWrapper(where=f"in DataLoader worker process {worker_id}")
                        )
            data_queue.put((idx, data))
            del data, idx, index, r  # do not hold the batch while waiting for the next task
        if watchdog.manager_dead:
            # the main process was killed: nobody else will remove this worker's files
            _remove_files(stack_dump_path, shm_prefix, worker_id)
    except KeyboardInterrupt:
        pass  # Ctrl-C reaches the whole process group; the main process handles it
    if done_event.is_set() or watchdog.manager_dead:
        # the main process stopped reading: do not block exit on flushing unread batches
        data_queue.cancel_join_thread()
        data_queue.close()
