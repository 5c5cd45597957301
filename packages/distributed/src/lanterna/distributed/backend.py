"""The contract of a communication backend plugin, and what every backend shares.

A communication backend (``mpi``, ``nccl``, or a third party's) is a :class:`CommBackend`
subclass registered through the ``lanterna_register_comm_backends`` hook. The public functions of
:mod:`lanterna.distributed` check their arguments, then call the backend of the tensor's device
type; the backend moves the bytes and returns a :class:`Work`. A backend may touch the arrays
under the tensors (``tensor._data``), as a device backend does; nothing else here does.
"""

from __future__ import annotations

import enum
import os
import time
from datetime import timedelta

DEFAULT_TIMEOUT = timedelta(minutes=30)
# A waiting rank gives its core away this often (in polls; one poll is about a microsecond): on a
# machine with more runnable processes than cores, the rank it waits for may need that core.
_POLLS_BEFORE_YIELD = 256
_yield = getattr(os, "sched_yield", None) or (lambda: time.sleep(0))


class DistError(RuntimeError):
    """Base class of the errors ``lanterna.distributed`` raises (as ``torch.distributed.DistError``)."""


class DistBackendError(DistError):
    """A communication backend failed: a timeout, a peer that aborted, a mismatched collective."""


class DistNetworkError(DistError):
    """A failure to reach a peer while setting up the process group."""


class DistStoreError(DistError):
    """A failure of the key-value store used to set up the process group."""


class ReduceOp:
    """The reduction of ``all_reduce``, ``reduce`` and ``reduce_scatter``: ``ReduceOp.SUM`` and friends.

    >>> ReduceOp.SUM
    <RedOpType.SUM: 0>
    """

    class RedOpType(enum.IntEnum):
        SUM = 0
        AVG = 1
        PRODUCT = 2
        MIN = 3
        MAX = 4
        BAND = 5
        BOR = 6
        BXOR = 7
        PREMUL_SUM = 8
        UNUSED = 9

        def __str__(self):  # as PyTorch's: "RedOpType.SUM" (an IntEnum prints its value)
            return f"RedOpType.{self.name}"

        def __format__(self, spec):
            return format(str(self), spec)

    SUM = RedOpType.SUM
    AVG = RedOpType.AVG
    PRODUCT = RedOpType.PRODUCT
    MIN = RedOpType.MIN
    MAX = RedOpType.MAX
    BAND = RedOpType.BAND
    BOR = RedOpType.BOR
    BXOR = RedOpType.BXOR
    PREMUL_SUM = RedOpType.PREMUL_SUM
    UNUSED = RedOpType.UNUSED

    def __init__(self, op=RedOpType.SUM):
        self.op = ReduceOp.RedOpType(int(op))

    def __eq__(self, other):
        return int(self.op) == int(other.op if isinstance(other, ReduceOp) else other)

    def __hash__(self):
        return hash(self.op)

    def __int__(self):
        return int(self.op)

    def __repr__(self):
        return f"<ReduceOp.{self.op.name}>"


def as_red_op(op) -> ReduceOp.RedOpType:
    """Normalise ``op`` (a ``RedOpType``, a ``ReduceOp`` or an int) to a ``RedOpType``."""
    if type(op) is ReduceOp.RedOpType:  # the common case (ReduceOp.SUM), answered without a lookup
        return op
    if isinstance(op, ReduceOp):
        return op.op
    if isinstance(op, int) and not isinstance(op, bool):
        try:
            return ReduceOp.RedOpType(op)
        except ValueError:
            pass
    # PyTorch's binding refuses anything but a ReduceOp with a TypeError
    raise TypeError(f"Invalid reduce op {op!r}: use a member of lanterna.distributed.ReduceOp")


def reduction_for(op, dtype, backend: str, *, sum, prod, min, max, logical_and, logical_or, logical_xor,
                  bit_and, bit_or, bit_xor):
    """The backend's elementwise reduction (given by keyword) that implements ``op`` on arrays of
    ``dtype``, the one rule every backend follows: bools combine logically (a sum is an "or", a
    product an "and"), AVG sums (the caller divides), bitwise ops need integers. Raises naming the
    backend before any data moves."""
    import numpy as np

    op = ReduceOp.RedOpType(int(op))
    if dtype == np.bool_:
        table = {ReduceOp.SUM: logical_or, ReduceOp.MAX: logical_or, ReduceOp.BOR: logical_or,
                 ReduceOp.PRODUCT: logical_and, ReduceOp.MIN: logical_and, ReduceOp.BAND: logical_and,
                 ReduceOp.BXOR: logical_xor}
    else:
        table = {ReduceOp.SUM: sum, ReduceOp.AVG: sum, ReduceOp.PRODUCT: prod, ReduceOp.MIN: min, ReduceOp.MAX: max}
        if np.issubdtype(dtype, np.integer):
            table.update({ReduceOp.BAND: bit_and, ReduceOp.BOR: bit_or, ReduceOp.BXOR: bit_xor})
    if op not in table:
        raise ValueError(f"ReduceOp.{op.name} is not supported by the '{backend}' backend for {dtype} tensors")
    return table[op]


def _fmt_timeout(seconds: float) -> str:
    return str(timedelta(seconds=round(seconds, 3)))


class Work:
    """A collective or point-to-point operation in flight, as returned with ``async_op=True``.

    ``wait()`` blocks until the operation is complete, and raises :class:`DistBackendError` when
    it does not complete within the process group's timeout (another rank failed, or did not call
    the same collective). Waiting is done by polling the engine's non-blocking request, so that a
    timeout can be reported instead of blocking forever.

    :param test: returns True once the operation is complete (drives the engine's progress too)
    :param finish: called once, after completion (copies results out of staging buffers)
    :param timeout: seconds after which ``wait()`` gives up
    :param what: the operation's name, for error messages
    :param result: the tensors that ``result()`` returns
    """

    def __init__(self, test=None, finish=None, timeout=None, what="operation", result=(), rank=-1):
        self._test = test
        self._finish = finish
        self._timeout = timeout
        self._what = what
        self._result = list(result)
        self._rank = rank
        self._done = test is None
        self._error = None
        self._source = -1
        self._started = time.monotonic()
        if self._done and finish is not None:
            self._run_finish()

    def _run_finish(self):
        fn, self._finish = self._finish, None
        if fn is not None:
            src = fn()
            if isinstance(src, int):
                self._source = src

    def is_completed(self) -> bool:
        """True once the operation has completed (never blocks)."""
        if not self._done and self._test():
            self._done = True
            self._run_finish()
        return self._done

    def is_success(self) -> bool:
        """True when the operation completed without an error."""
        return self.is_completed() and self._error is None

    def exception(self):
        """The error that ended the operation, or None."""
        return self._error

    def wait(self, timeout=None) -> bool:
        """Block until the operation completes; raise :class:`DistBackendError` on timeout.

        :param timeout: a ``timedelta`` or seconds overriding the process group's timeout
        """
        if self._done:
            if self._error is not None:
                raise self._error
            return True
        limit = self._timeout if timeout is None else _seconds(timeout)
        deadline = None if limit is None else self._started + limit
        test = self._test
        spins = 0
        # Spin on the engine's test: with MPI, progress of a large message happens inside these
        # calls, so sleeping between them would cost bandwidth. Now and then check the clock and
        # yield the core (as MPI's own blocking waits do), which costs well under 1% of polls.
        while not test():
            spins += 1
            if spins % _POLLS_BEFORE_YIELD == 0:
                if deadline is not None and time.monotonic() > deadline:
                    self._error = DistBackendError(
                        f"lanterna.distributed: {self._what} on rank {self._rank} timed out after "
                        f"{_fmt_timeout(limit)} (the process group's timeout): another rank failed, "
                        "exited, or did not call the same collective"
                    )
                    raise self._error
                _yield()
        self._done = True
        self._run_finish()
        return True

    def synchronize(self):
        """Same as :meth:`wait` (for CUDA backends it makes the current stream wait)."""
        self.wait()

    def result(self) -> list:
        """The output tensors of the operation (after :meth:`wait`)."""
        self.wait()
        return self._result

    def source_rank(self) -> int:
        """For a ``recv`` from any source: the rank the message came from."""
        self.wait()
        return self._source

    def get_future(self):
        """A :class:`lanterna.futures.Future` of the output tensors, completed with the operation."""
        from lanterna.futures import _from_work

        return _from_work(self, lambda: list(self._result))


def _seconds(timeout) -> float:
    if isinstance(timeout, timedelta):
        return timeout.total_seconds()
    return float(timeout)


def completed_work(result=(), rank=-1) -> Work:
    """A :class:`Work` that is already complete (for operations done synchronously)."""
    return Work(result=result, rank=rank)


class CommBackend:
    """What a communication backend plugin implements: one instance per process group.

    A backend is created by the factory registered with
    ``registry.register_comm_backend(name, factory, devices)``; the factory is called as
    ``factory(rank=..., world_size=..., timeout=..., init_method=..., bootstrap=...)`` (rank and
    world size may be -1: then the engine knows them, as MPI does) and returns an instance. The
    factory may have ``is_available()`` and ``unavailable_reason()`` (class or static methods),
    which are asked before it is called.

    Every method that moves tensor data returns a :class:`Work`; it works in place on the tensors
    given (their storage is what users see), and the frontend has already checked arguments
    (shapes, dtypes, list lengths, ranks) before calling. Ranks passed in are ranks *of this
    group* (0 .. size-1). Methods with a default here are built from the others; a minimal
    backend implements ``all_reduce``, ``broadcast``, ``all_gather_into_tensor``, ``send``,
    ``recv`` and ``split``.
    """

    #: registered name (``mpi``, ``nccl``)
    name = "?"
    rank: int = 0
    size: int = 1
    timeout: float = DEFAULT_TIMEOUT.total_seconds()

    # ---- required -------------------------------------------------------------------------
    def all_reduce(self, tensor, op) -> Work:
        raise NotImplementedError

    def broadcast(self, tensor, root) -> Work:
        raise NotImplementedError

    def all_gather_into_tensor(self, output, input) -> Work:
        """``output`` holds ``size`` copies of ``input``'s shape, concatenated along dim 0."""
        raise NotImplementedError

    def send(self, tensor, dst, tag) -> Work:
        raise NotImplementedError

    def recv(self, tensor, src, tag) -> Work:
        """``src`` None means any source; the Work's ``source_rank()`` tells which."""
        raise NotImplementedError

    def split(self, ranks):
        """A backend for the sub-group ``ranks`` (sorted group ranks), or None on non-members.

        Called collectively by every rank of this group.
        """
        raise NotImplementedError

    # ---- defaults built from the required ones ----------------------------------------------
    def all_reduce_blocking(self, tensor, op) -> None:
        """``all_reduce`` completed before returning, for a synchronous call (``async_op=False``).

        The frontend calls it only once the consistency check has shown that every rank of the
        group is inside this same collective, so an engine may use a blocking call without a
        timeout here (a missing rank was already caught by the check's own deadline).
        """
        self.all_reduce(tensor, op).wait()

    def broadcast_blocking(self, tensor, root) -> None:
        """``broadcast`` completed before returning; called under the same guarantee as above."""
        self.broadcast(tensor, root).wait()

    def barrier(self) -> Work:
        import lanterna

        return self.all_reduce(lanterna.zeros(1, device=self.default_device()), ReduceOp.SUM)

    def default_device(self):
        return "cpu"

    def reduce(self, tensor, root, op) -> Work:
        return self.all_reduce(tensor if self.rank == root else tensor.clone(), op)

    def all_gather(self, outputs, input) -> Work:
        import lanterna

        flat = lanterna.empty((self.size,) + tuple(input.shape), dtype=input.dtype, device=input.device)
        work = self.all_gather_into_tensor(flat, input)

        def finish():
            for i, out in enumerate(outputs):
                out.copy_(flat[i])

        return _chain(work, finish, outputs)

    def gather(self, outputs, input, root) -> Work:
        return self.all_gather(outputs if self.rank == root else [input.clone() for _ in range(self.size)],
                               input)

    def scatter(self, output, inputs, root) -> Work:
        import lanterna

        if self.rank == root:
            stacked = lanterna.stack(list(inputs))
        else:
            stacked = lanterna.empty((self.size,) + tuple(output.shape), dtype=output.dtype,
                                     device=output.device)
        work = self.broadcast(stacked, root)
        return _chain(work, lambda: output.copy_(stacked[self.rank]), [output])

    def reduce_scatter_tensor(self, output, input, op) -> Work:
        scratch = input.clone()
        work = self.all_reduce(scratch, op)
        n = output.shape[0] if output.dim() else 1
        return _chain(work, lambda: output.copy_(scratch[self.rank * n:(self.rank + 1) * n].reshape(output.shape)),
                      [output])

    def all_to_all_single(self, output, input) -> Work:
        raise NotImplementedError(f"all_to_all is not supported by the '{self.name}' backend")

    def agree(self, values, what="consistency check"):
        """Elementwise (max, min) of the integer list ``values`` over all ranks (blocking).

        ``what`` names the collective being checked, for the timeout error.

        The frontend compares the two to find ranks that called a collective with different
        shapes or dtypes, before the data moves.
        """
        import lanterna

        t = lanterna.tensor(list(values) + [-v for v in values], dtype=lanterna.int64,
                            device=self.default_device())
        self.all_reduce(t, ReduceOp.MAX).wait()
        out = t.tolist()
        n = len(values)
        return out[:n], [-v for v in out[n:]]

    def all_gather_bytes(self, data: bytes) -> list:
        """Every rank's ``data``, in rank order (blocking; used for object collectives)."""
        import lanterna

        dev = self.default_device()
        n = lanterna.tensor([len(data)], dtype=lanterna.int64, device=dev)
        sizes = lanterna.empty(self.size, dtype=lanterna.int64, device=dev)
        self.all_gather_into_tensor(sizes, n).wait()
        longest = int(sizes.max())
        buf = lanterna.zeros(longest, dtype=lanterna.uint8, device=dev)
        if data:
            buf[:len(data)] = lanterna.tensor(list(data), dtype=lanterna.uint8, device=dev)
        out = lanterna.empty(self.size * longest, dtype=lanterna.uint8, device=dev)
        self.all_gather_into_tensor(out, buf).wait()
        rows = out.reshape(self.size, longest).tolist()
        return [bytes(rows[i][:int(s)]) for i, s in enumerate(sizes.tolist())]

    def broadcast_bytes(self, data, root) -> bytes:
        """``data`` of rank ``root`` on every rank (blocking)."""
        import lanterna

        dev = self.default_device()
        n = lanterna.tensor([len(data) if self.rank == root else 0], dtype=lanterna.int64, device=dev)
        self.broadcast(n, root).wait()
        buf = (lanterna.tensor(list(data), dtype=lanterna.uint8, device=dev) if self.rank == root
               else lanterna.empty(int(n.item()), dtype=lanterna.uint8, device=dev))
        if int(n.item()):
            self.broadcast(buf, root).wait()
        return bytes(buf.tolist())

    def abort(self, code=1):
        """Tear down the whole job now (an uncaught exception in one rank)."""
        import os

        os._exit(code)

    def shutdown(self):
        """Release the engine's resources for this group (``destroy_process_group``)."""


def _chain(work: Work, finish, result) -> Work:
    """A Work that completes with ``work`` and then runs ``finish``."""
    return Work(test=work.is_completed, finish=finish, timeout=work._timeout, what=work._what,
                result=result, rank=work._rank)
