"""The multi-process DataLoader iterator: worker processes, ordering, failures and shutdown.

The main process keeps up to ``prefetch_factor * num_workers`` tasks in flight, sends task
``i`` to worker ``i % num_workers`` (skipping retired workers) and buffers batches that arrive
early, so that batches are returned in sampler order. While waiting it checks every
``MP_STATUS_CHECK_INTERVAL`` seconds that the workers are alive, so a killed worker is an error,
not a hang. As in PyTorch, neither a dead worker nor a timeout ends the iterator: the error is
raised once, the dead worker's batches are skipped and the other workers go on serving, so a
caller that catches the error may keep iterating. Processes and queues belong to a
:class:`_WorkerPool`, shut down by a ``weakref.finalize`` of the iterator: at the end of the
epoch, when the iterator is dropped (``break``) or garbage-collected, and at interpreter exit.
"""

from __future__ import annotations

import itertools
import multiprocessing
import os
import pickle
import queue
import signal
import tempfile
import time
import warnings
import weakref

from . import _utils
from ._utils import ExceptionWrapper, shared_memory
from ._utils.pin_memory import pin_memory as _pin_memory
from ._utils.worker import (
    STACK_DUMP_READY,
    STACK_DUMP_SIGNAL,
    ResultQueue,
    _IterableDatasetStopIteration,
    _ResumeIteration,
    _worker_loop,
)
from .dataloader import _BaseDataLoaderIter, _DatasetKind

# Seconds a worker is given to exit on its own at shutdown before it is terminated.
WORKER_JOIN_TIMEOUT = 2.0
# Seconds the main process waits for a stuck worker to write its stack after being signalled.
STACK_DUMP_WAIT = 1.0

_pool_ids = itertools.count()


class _WorkerPool:
    """The worker processes with their index queues, the shared result queue and the stack-dump files.

    Holds no reference to the iterator, so that it can be shut down by the iterator's finalizer.
    """

    def __init__(self, ctx):
        self.ctx = ctx
        self.result_queue = ResultQueue(ctx)
        self.done_event = ctx.Event()
        self.workers = []
        self.index_queues = []
        self.stack_files = []
        self.closed = False
        # seconds shutdown waits for workers to exit on their own; shortened once one is known
        # to be stuck (timeout), so dropping the iterator does not wait for it in vain
        self.join_timeout = WORKER_JOIN_TIMEOUT
        self.owner_pid = os.getpid()
        self.shm_prefix = shared_memory.new_prefix(self.owner_pid, next(_pool_ids))

    def start_worker(self, worker_id, **loop_kwargs):
        """Start worker ``worker_id`` running ``_worker_loop`` with ``loop_kwargs`` (the data-related
        arguments) plus its queues and files."""
        index_queue = self.ctx.Queue()
        index_queue.cancel_join_thread()  # never block the main process's exit on unsent indices
        fd, path = tempfile.mkstemp(
            prefix=f"lanterna-dataloader-{self.owner_pid}-worker{worker_id}-", suffix=".stack"
        )
        os.close(fd)
        self.stack_files.append(path)
        w = self.ctx.Process(
            target=_worker_loop,
            kwargs=dict(
                loop_kwargs,
                index_queue=index_queue,
                data_queue=self.result_queue,
                done_event=self.done_event,
                worker_id=worker_id,
                stack_dump_path=path,
                shm_prefix=self.shm_prefix,
            ),
            daemon=True,  # multiprocessing terminates daemonic children at exit: no orphans
        )
        try:
            w.start()
        except (TypeError, AttributeError, pickle.PicklingError):
            # spawn/forkserver pickle the dataset, collate_fn and worker_init_fn: say so, as PyTorch does
            warnings.warn(
                "Got pickle error when attempting to start a worker Process. "
                "This might be because the worker Process arguments are not picklable. "
                "Python 3.14+ changed the multiprocessing start method in non-Mac POSIX platforms "
                "to 'forkserver', which requires the worker Process arguments to be picklable. "
                "You can also try multiprocessing.set_start_method('fork').",
                stacklevel=4,
            )
            raise
        self.index_queues.append(index_queue)
        self.workers.append(w)

    def dump_stack(self, worker_id):
        """The Python stack of a live worker, as written by its faulthandler; None if unavailable."""
        if STACK_DUMP_SIGNAL is None or worker_id >= len(self.workers):
            return None
        w, path = self.workers[worker_id], self.stack_files[worker_id]
        try:
            with open(path, "rb") as f:
                before = f.read()
            if not before.startswith(STACK_DUMP_READY) or not w.is_alive():
                return None  # the handler is not installed yet: the signal would kill the worker
            os.kill(w.pid, STACK_DUMP_SIGNAL)
            deadline = time.monotonic() + STACK_DUMP_WAIT
            size = len(before)
            while time.monotonic() < deadline:
                time.sleep(0.02)
                new_size = os.path.getsize(path)
                if new_size > len(before) and new_size == size:
                    break  # written, and no longer growing
                size = new_size
            with open(path, "rb") as f:
                f.seek(len(before))
                text = f.read().decode("utf-8", "replace")
        except OSError:
            return None
        return text or None

    def shutdown(self, join_timeout=None):
        """Stop every worker (politely, then by force) and release queues and files. Idempotent.

        Waits ``join_timeout`` seconds (default: ``self.join_timeout``) in all for the workers to
        exit on their own, then terminates the rest.
        """
        if self.closed or os.getpid() != self.owner_pid:
            return  # done already, or this is a forked copy of the pool inside a child process
        self.closed = True
        if join_timeout is None:
            join_timeout = self.join_timeout
        try:
            self.done_event.set()
            for q in self.index_queues:
                try:
                    q.put(None)
                except (OSError, ValueError):
                    pass
            deadline = time.monotonic() + join_timeout
            for w in self.workers:
                w.join(timeout=max(0.0, deadline - time.monotonic()))
        finally:
            for w in self.workers:
                if w.is_alive():
                    w.terminate()
                    w.join(timeout=WORKER_JOIN_TIMEOUT)
                if w.is_alive():
                    w.kill()
                    w.join()
            for q in [*self.index_queues, self.result_queue]:
                q.cancel_join_thread()
                q.close()
            for path in self.stack_files:
                try:
                    os.unlink(path)
                except OSError:
                    pass
            shared_memory.remove_leftovers(self.shm_prefix)


def _signal_name(signum):
    try:
        return signal.Signals(signum).name
    except ValueError:
        return f"signal {signum}"


class _MultiProcessingDataLoaderIter(_BaseDataLoaderIter):
    """Iterates once over the dataset (or once per epoch with persistent workers) using worker processes."""

    def __init__(self, loader):
        super().__init__(loader)
        self._prefetch_factor = loader.prefetch_factor
        self._in_order = loader.in_order
        if self._num_workers <= 0:
            raise AssertionError("num_workers must be greater than 0 for MultiProcessingDataLoaderIter")
        if self._prefetch_factor <= 0:
            raise AssertionError("prefetch_factor must be greater than 0 for MultiProcessingDataLoaderIter")
        ctx = loader.multiprocessing_context or multiprocessing.get_context()
        self._worker_init_fn = loader.worker_init_fn
        self._shutdown = False
        self._pool = pool = _WorkerPool(ctx)
        self._finalizer = weakref.finalize(self, pool.shutdown)
        try:
            for i in range(self._num_workers):
                pool.start_worker(
                    i,
                    dataset_kind=self._dataset_kind,
                    dataset=self._dataset,
                    auto_collation=self._auto_collation,
                    collate_fn=self._collate_fn,
                    drop_last=self._drop_last,
                    base_seed=self._base_seed,
                    init_fn=self._worker_init_fn,
                    num_workers=self._num_workers,
                    persistent_workers=self._persistent_workers,
                )
        except BaseException:
            self._shutdown_workers()
            raise
        # the names PyTorch's iterator uses, for code and tests that look at them
        self._workers = pool.workers
        self._index_queues = pool.index_queues
        self._worker_result_queue = self._data_queue = pool.result_queue
        self._workers_done_event = pool.done_event
        self._reset(loader, first_iter=True)

    def _reset(self, loader, first_iter=False):
        super()._reset(loader, first_iter)
        self._send_idx = 0  # the next task to send
        self._rcvd_idx = 0  # the next task to return
        # task idx -> (worker_id,) while outstanding, (worker_id, data) once it arrived out of order
        self._task_info = {}
        self._tasks_outstanding = 0
        self._workers_status = [True] * self._num_workers
        self._workers_num_tasks = [0] * self._num_workers
        self._worker_queue_idx_cycle = itertools.cycle(range(self._num_workers))
        if not first_iter:
            # persistent workers: restart them, discarding whatever the last epoch left in flight
            for q in self._index_queues:
                q.put(_ResumeIteration())
            resume_iteration_cnt = self._num_workers
            while resume_iteration_cnt > 0:
                return_idx, _ = self._get_data()
                if isinstance(return_idx, _ResumeIteration):
                    resume_iteration_cnt -= 1
        for _ in range(self._prefetch_factor * self._num_workers):
            self._try_put_index()

    # ---- receiving ---------------------------------------------------------------------------
    def _check_workers_alive(self, cause=None):
        """Raise a RuntimeError naming every active worker that has died, with its exit code or signal.

        The dead workers are retired (their unfinished batches will be skipped), the others keep
        running, as in PyTorch: the iterator stays usable for a caller that catches the error.
        """
        dead = [
            (wid, w) for wid, w in enumerate(self._workers) if self._workers_status[wid] and not w.is_alive()
        ]
        if not dead:
            return
        messages = []
        for wid, w in dead:
            self._mark_worker_as_unavailable(wid)
            code = w.exitcode
            tasks = sorted(idx for idx, info in self._task_info.items() if info[0] == wid and len(info) == 1)
            where = f" while loading batch(es) {tasks}" if tasks else ""
            if code is not None and code < 0:
                messages.append(
                    f"DataLoader worker (pid {w.pid}) is killed by signal: {signal.strsignal(-code)}. "
                    f"It was worker {wid} of {self._num_workers}, killed by {_signal_name(-code)}{where}."
                )
            else:
                messages.append(
                    f"DataLoader worker (pid {w.pid}) exited unexpectedly with exit code {code}. "
                    f"It was worker {wid} of {self._num_workers}{where}. Details are lost due to "
                    "multiprocessing. Rerunning with num_workers=0 may give better error trace."
                )
        # PyTorch's own summary line last, so code that matches torch's message matches this one
        pids = ", ".join(str(w.pid) for _, w in dead)
        messages.append(f"DataLoader worker (pid(s) {pids}) exited unexpectedly")
        raise RuntimeError("\n".join(messages)) from cause

    def _timeout_error(self):
        info = self._task_info.get(self._rcvd_idx)
        stuck = [info[0]] if info else [wid for wid, ok in enumerate(self._workers_status) if ok]
        lines = [f"DataLoader timed out after {self._timeout} seconds"]
        for wid in stuck:
            stack = self._pool.dump_stack(wid)
            pid = self._workers[wid].pid
            what = f"has not delivered batch {self._rcvd_idx}" if info else "is busy"
            if stack:
                lines.append(f"Worker {wid} (pid {pid}) {what}; it is currently at:\n{stack.rstrip()}")
            else:
                lines.append(f"Worker {wid} (pid {pid}) {what}; its stack could not be obtained.")
        return RuntimeError("\n".join(lines))

    def _get_data(self):
        """The next ``(task_idx, data)`` from the workers, checking they are alive while waiting."""
        deadline = time.monotonic() + self._timeout if self._timeout > 0 else None
        while True:
            wait = _utils.MP_STATUS_CHECK_INTERVAL
            if deadline is not None:
                wait = max(0.0, min(wait, deadline - time.monotonic()))
            try:
                return self._data_queue.get(timeout=wait)
            except queue.Empty as empty:
                self._check_workers_alive(cause=empty)
            if deadline is not None and time.monotonic() >= deadline:
                # not fatal (as in PyTorch): the next call waits again for the same batch; but a
                # stuck worker is not worth waiting for when the iterator is dropped
                self._pool.join_timeout = min(self._pool.join_timeout, 0.1)
                raise self._timeout_error()

    def _next_data(self):
        while True:
            # skip tasks of workers that retired (IterableDataset exhausted) without delivering them
            while self._rcvd_idx < self._send_idx:
                info = self._task_info.get(self._rcvd_idx, None)
                if info:
                    worker_id = info[0]
                    if len(info) == 2 or self._workers_status[worker_id]:
                        break
                    del self._task_info[self._rcvd_idx]
                self._rcvd_idx += 1
            else:
                if not self._persistent_workers:
                    self._shutdown_workers()
                raise StopIteration

            if len(self._task_info[self._rcvd_idx]) == 2:  # arrived earlier, out of order
                worker_id, data = self._task_info.pop(self._rcvd_idx)
                self._rcvd_idx += 1
                return self._process_data(data, worker_id)

            if self._shutdown or self._tasks_outstanding <= 0:
                raise AssertionError(
                    "Invalid iterator state: shutdown or no outstanding tasks when fetching next data"
                )
            idx, data = self._get_data()
            self._tasks_outstanding -= 1
            if self._dataset_kind == _DatasetKind.Iterable and isinstance(
                data, _IterableDatasetStopIteration
            ):
                if self._persistent_workers:
                    self._workers_status[data.worker_id] = False
                else:
                    self._mark_worker_as_unavailable(data.worker_id)
                self._try_put_index()
                continue

            if idx != self._rcvd_idx:
                if not self._in_order:
                    worker_id = self._task_info.pop(idx)[0]
                    return self._process_data(data, worker_id)
                self._task_info[idx] += (data,)
            else:
                worker_id = self._task_info.pop(idx)[0]
                self._rcvd_idx += 1
                return self._process_data(data, worker_id)

    def _process_data(self, data, worker_idx):
        self._workers_num_tasks[worker_idx] -= 1
        self._try_put_index()
        if isinstance(data, ExceptionWrapper):
            data.reraise()
        if self._pin_memory:
            data = _pin_memory(data)
        return data

    # ---- sending -----------------------------------------------------------------------------
    def _try_put_index(self):
        max_tasks = self._prefetch_factor * self._num_workers
        if self._tasks_outstanding >= max_tasks:
            raise AssertionError("Number of outstanding tasks exceeded maximum allowed tasks")
        try:
            index = self._next_index()
        except StopIteration:
            return
        for _ in range(self._num_workers):  # the next active worker, round robin
            worker_queue_idx = next(self._worker_queue_idx_cycle)
            if self._workers_status[worker_queue_idx]:
                if self._in_order:
                    break
                if self._workers_num_tasks[worker_queue_idx] < max_tasks // sum(self._workers_status):
                    break
        else:
            return  # no active worker left
        self._index_queues[worker_queue_idx].put((self._send_idx, index))
        self._task_info[self._send_idx] = (worker_queue_idx,)
        self._workers_num_tasks[worker_queue_idx] += 1
        self._tasks_outstanding += 1
        self._send_idx += 1

    def _mark_worker_as_unavailable(self, worker_id, shutdown=False):
        """Retire a worker: it gets ``None`` (exit) and no more tasks."""
        self._index_queues[worker_id].put(None)
        self._workers_status[worker_id] = False

    def _shutdown_workers(self, join_timeout=None):
        """Stop the workers now (also done automatically when the iterator is dropped)."""
        if not self._shutdown:
            self._shutdown = True
            self._finalizer.detach()
            self._pool.shutdown(join_timeout)

    def __del__(self):
        if getattr(self, "_finalizer", None) is not None:  # __init__ may have failed early
            self._shutdown_workers()
