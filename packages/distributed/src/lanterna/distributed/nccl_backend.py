"""The ``nccl`` communication backend: NCCL through CuPy (``cupy.cuda.nccl``), for CUDA tensors.

It needs a CUDA device backend for Lanterna (lanterna-cuda, whose tensors hold CuPy arrays), CuPy
built with NCCL, and a GPU. Nothing is imported before it is used: ``is_available()`` answers
False, with a reason, wherever one of these is missing, and never raises.

Set-up: rank 0 makes an NCCL unique id and sends it to the others through the ``bootstrap`` it
is given (the MPI backend under ``mpiexec``/the launcher, or a :class:`FileStore` given by
``init_method="file://..."``). Each rank uses the GPU ``LOCAL_RANK`` (or its rank) modulo the
number of GPUs. Operations are enqueued on the current CuPy stream, so they are ordered with the
computation around them; a :class:`Work` polls a CUDA event against the group's deadline, and on
timeout the communicator is aborted so that no GPU kernel waits forever.
"""

from __future__ import annotations

import importlib.util
import os

from .backend import CommBackend, DistBackendError, ReduceOp, Work

_DTYPES = {"float16": "NCCL_FLOAT16", "float32": "NCCL_FLOAT32", "float64": "NCCL_FLOAT64",
           "int8": "NCCL_INT8", "uint8": "NCCL_UINT8", "int32": "NCCL_INT32", "int64": "NCCL_INT64",
           "bool": "NCCL_UINT8"}


def _why_unavailable():
    """None when NCCL can run here, else the reason (checked cheapest first, never raising)."""
    from lanterna.backends import REGISTRY

    cuda = REGISTRY.backends.get("cuda")
    if cuda is None:
        return "the 'nccl' backend needs a CUDA device backend: pip install lanterna-cuda"
    try:
        gpu = cuda.is_available()  # the device plugin's own probe: cheap, imports no CuPy
    except Exception:  # noqa: BLE001 (a failing probe means no usable GPU)
        gpu = False
    if not gpu:
        why = getattr(cuda, "unavailable_reason", lambda: "CUDA is not available")()
        return f"the 'nccl' backend needs a usable CUDA GPU ({why})"
    if importlib.util.find_spec("cupy") is None:
        return "the 'nccl' backend needs CuPy with NCCL: pip install cupy-cuda12x (or the wheel of your CUDA)"
    try:
        from cupy.cuda import nccl, runtime

        if not getattr(nccl, "available", True):
            return "CuPy was built without NCCL"
        if runtime.getDeviceCount() < 1:
            return "no CUDA GPU is visible"
    except Exception as exc:  # noqa: BLE001 (no driver, no libnccl, broken install: unavailable)
        return f"NCCL cannot start here: {exc}"
    return None


def _uid_to_bytes(uid):
    return bytes(x & 0xFF for x in uid)


def _uid_from_bytes(data):
    return tuple(b - 256 if b > 127 else b for b in data)


class NCCLBackend(CommBackend):
    """One NCCL communicator (one GPU per process) for CUDA tensors."""

    name = "nccl"

    @staticmethod
    def is_available() -> bool:
        return _why_unavailable() is None

    @staticmethod
    def unavailable_reason() -> str:
        return _why_unavailable() or "available"

    @classmethod
    def create(cls, rank=-1, world_size=-1, timeout=None, init_method=None, bootstrap=None):
        reason = _why_unavailable()
        if reason:
            raise RuntimeError(reason)
        import cupy
        from cupy.cuda import nccl

        if bootstrap is None:
            raise ValueError("init_process_group(backend='nccl') needs to find its peers: start the job with "
                             "`python -m lanterna.distributed.run` (MPI), or pass init_method='file:///shared/dir' "
                             "with rank and world_size")
        if rank in (-1, None):
            rank = bootstrap.rank
        if world_size in (-1, None):
            world_size = bootstrap.size
        local = int(os.environ.get("LOCAL_RANK", rank))
        cupy.cuda.Device(local % cupy.cuda.runtime.getDeviceCount()).use()
        uid = _uid_to_bytes(nccl.get_unique_id()) if rank == 0 else b""
        uid = bootstrap.broadcast_bytes(uid, 0)
        comm = nccl.NcclCommunicator(int(world_size), _uid_from_bytes(uid), int(rank))
        return cls(comm, int(rank), int(world_size), timeout)

    def __init__(self, comm, rank, size, timeout):
        import cupy
        from cupy.cuda import nccl

        self._cp = cupy
        self._nccl = nccl
        self.comm = comm
        self.rank = rank
        self.size = size
        self.timeout = timeout

    def default_device(self):
        return f"cuda:{self._cp.cuda.Device().id}"

    # ---- helpers ----------------------------------------------------------------------------
    def _dtype(self, a):
        name = str(a.dtype)
        if name not in _DTYPES:
            raise TypeError(f"the 'nccl' backend does not support {name} tensors")
        return getattr(self._nccl, _DTYPES[name])

    def _op(self, op, a):
        n = self._nccl
        op = ReduceOp.RedOpType(int(op))
        if str(a.dtype) == "bool":
            table = {ReduceOp.SUM: n.NCCL_MAX, ReduceOp.MAX: n.NCCL_MAX, ReduceOp.BOR: n.NCCL_MAX,
                     ReduceOp.PRODUCT: n.NCCL_MIN, ReduceOp.MIN: n.NCCL_MIN, ReduceOp.BAND: n.NCCL_MIN}
        else:
            table = {ReduceOp.SUM: n.NCCL_SUM, ReduceOp.AVG: n.NCCL_SUM, ReduceOp.PRODUCT: n.NCCL_PROD,
                     ReduceOp.MIN: n.NCCL_MIN, ReduceOp.MAX: n.NCCL_MAX}
        if op not in table:
            raise ValueError(f"ReduceOp.{op.name} is not supported by the 'nccl' backend for {a.dtype} tensors")
        return table[op]

    def _buf(self, t):
        a = t._data
        if a.flags.c_contiguous:
            return a, False
        return self._cp.ascontiguousarray(a), True

    def _stream(self):
        return self._cp.cuda.get_current_stream()

    def _work(self, what, finish=None, result=()):
        stream = self._stream()
        event = stream.record()

        def test():
            return event.done

        work = Work(test=test, finish=finish, timeout=self.timeout, what=what, result=result, rank=self.rank)
        original_wait = work.wait

        def wait(timeout=None):
            try:
                return original_wait(timeout)
            except DistBackendError:
                self.comm.abort()  # free the GPU from a collective that will never complete
                raise

        work.wait = wait
        return work

    def _writeback(self, t, buf, copied, avg=False):
        def finish():
            if avg:
                if buf.dtype.kind == "f":
                    buf[...] = buf / self.size
                else:
                    buf[...] = (buf / self.size).astype(buf.dtype)
            if copied:
                t._data[...] = buf
            t._version[0] += 1
        return finish

    # ---- collectives ------------------------------------------------------------------------
    def all_reduce(self, tensor, op):
        a, copied = self._buf(tensor)
        s = self._stream().ptr
        self.comm.allReduce(a.data.ptr, a.data.ptr, a.size, self._dtype(a), self._op(op, a), s)
        return self._work("all_reduce", self._writeback(tensor, a, copied, int(op) == ReduceOp.AVG), [tensor])

    def broadcast(self, tensor, root):
        a, copied = self._buf(tensor)
        self.comm.bcast(a.data.ptr, a.size, self._dtype(a), root, self._stream().ptr)
        return self._work("broadcast", self._writeback(tensor, a, copied), [tensor])

    def reduce(self, tensor, root, op):
        a, copied = self._buf(tensor)
        self.comm.reduce(a.data.ptr, a.data.ptr, a.size, self._dtype(a), self._op(op, a), root,
                         self._stream().ptr)
        avg = int(op) == ReduceOp.AVG and self.rank == root
        return self._work("reduce", self._writeback(tensor, a, copied, avg) if self.rank == root else None,
                          [tensor])

    def all_gather_into_tensor(self, output, input):
        src, _ = self._buf(input)
        out, copied = self._buf(output)
        self.comm.allGather(src.data.ptr, out.data.ptr, src.size, self._dtype(src), self._stream().ptr)
        return self._work("all_gather_into_tensor", self._writeback(output, out, copied), [output])

    def reduce_scatter_tensor(self, output, input, op):
        src, _ = self._buf(input)
        out, copied = self._buf(output)
        self.comm.reduceScatter(src.data.ptr, out.data.ptr, out.size, self._dtype(src), self._op(op, src),
                                self._stream().ptr)
        return self._work("reduce_scatter", self._writeback(output, out, copied, int(op) == ReduceOp.AVG),
                          [output])

    def reduce_scatter(self, output, inputs, op):
        flat = self._cp.concatenate([self._cp.ascontiguousarray(t._data).reshape(-1) for t in inputs])
        out, copied = self._buf(output)
        self.comm.reduceScatter(flat.data.ptr, out.data.ptr, out.size, self._dtype(flat), self._op(op, flat),
                                self._stream().ptr)
        return self._work("reduce_scatter", self._writeback(output, out, copied, int(op) == ReduceOp.AVG),
                          [output])

    def send(self, tensor, dst, tag):
        a, _ = self._buf(tensor)
        self.comm.send(a.data.ptr, a.size, self._dtype(a), dst, self._stream().ptr)
        return self._work("send", None, [tensor])

    def recv(self, tensor, src, tag):
        if src is None:
            raise ValueError("the 'nccl' backend cannot receive from any source: pass src")
        a, copied = self._buf(tensor)
        self.comm.recv(a.data.ptr, a.size, self._dtype(a), src, self._stream().ptr)
        inner = self._writeback(tensor, a, copied)

        def finish():
            inner()
            return src

        return self._work("recv", finish, [tensor])

    # ---- groups and lifetime ------------------------------------------------------------------
    def split(self, ranks):
        # A new communicator for the members, with an id that the first member broadcasts over
        # this (parent) communicator: every rank of the parent takes part, as new_group requires.
        first = ranks[0]
        uid = _uid_to_bytes(self._nccl.get_unique_id()) if self.rank == first else b""
        uid = self.broadcast_bytes(uid, first)
        if self.rank not in ranks:
            return None
        comm = self._nccl.NcclCommunicator(len(ranks), _uid_from_bytes(uid), ranks.index(self.rank))
        return NCCLBackend(comm, ranks.index(self.rank), len(ranks), self.timeout)

    def abort(self, code=1):
        try:
            self.comm.abort()
        finally:
            os._exit(code)

    def shutdown(self):
        try:
            self.comm.destroy()
        except Exception:  # noqa: BLE001,S110 (the engine may already be torn down at exit)
            pass
