"""The ``mpi`` communication backend: MPI through mpi4py, for CPU tensors.

The MPI library comes from PyPI (``pip install lanterna-distributed[mpi]`` installs ``mpi4py``
and the ``mpich`` wheel, whose ``mpiexec`` the launcher uses). Nothing here is imported before
the first process group is created, so ``import lanterna`` never starts MPI.

Every operation is issued as a non-blocking MPI request (``Iallreduce``, ``Ibcast`` ...) on a
duplicate of ``COMM_WORLD`` (so user code that also uses mpi4py cannot interfere), and waited on
by polling ``Request.Test`` against the process group's deadline: a rank that died or skipped a
collective turns into a timeout error instead of a hang. This module is the only one of
``lanterna.distributed`` that touches arrays (NumPy arrays under CPU tensors), as a device
backend does.
"""

from __future__ import annotations

import importlib.util

import numpy as np

from .backend import CommBackend, DistBackendError, ReduceOp, Work, reduction_for

_MPI = None
_IN_PLACE = None
_OPS = {}  # (ReduceOp, numpy dtype) -> MPI.Op


def _mpi():
    global _MPI
    if _MPI is None:
        from mpi4py import MPI

        global _IN_PLACE
        _MPI, _IN_PLACE = MPI, MPI.IN_PLACE
    return _MPI


def _contiguous(t):
    """The array to hand to MPI for tensor ``t``, and whether it is a copy to write back."""
    a = t._data
    if a.flags.c_contiguous and a.flags.writeable:
        return a, False
    return np.ascontiguousarray(a), True


class MPIBackend(CommBackend):
    """One MPI communicator of CPU tensors (the world, or a sub-group made by ``new_group``)."""

    name = "mpi"

    @staticmethod
    def is_available() -> bool:
        """True when mpi4py is installed (checked without importing it: MPI starts on first use)."""
        return importlib.util.find_spec("mpi4py") is not None

    @staticmethod
    def unavailable_reason() -> str:
        return ("the 'mpi' backend needs mpi4py and an MPI library: "
                "pip install 'lanterna-distributed[mpi]' (installs mpi4py and the mpich wheel)")

    @classmethod
    def create(cls, rank=-1, world_size=-1, timeout=None, init_method=None, bootstrap=None):
        """The world group: ranks and size come from MPI (``mpiexec`` or the launcher)."""
        MPI = _mpi()
        world = MPI.COMM_WORLD
        r, n = world.Get_rank(), world.Get_size()
        if world_size not in (-1, None) and int(world_size) != n:
            hint = ("this process was not started by an MPI launcher: use "
                    f"`python -m lanterna.distributed.run --nproc-per-node {world_size} script.py`"
                    if n == 1 else "ranks and world size come from MPI")
            raise ValueError(f"init_process_group(backend='mpi'): world_size={world_size} was asked for, "
                             f"but MPI started {n} process(es); {hint}")
        if rank not in (-1, None) and int(rank) != r:
            raise ValueError(f"init_process_group(backend='mpi'): rank={rank} was asked for, but MPI gave "
                             f"this process rank {r}; ranks come from MPI")
        return cls(world.Dup(), timeout)

    def __init__(self, comm, timeout):
        _mpi()  # binds the module's MPI constants
        self.comm = comm
        self.rank = comm.Get_rank()
        self.size = comm.Get_size()
        self.timeout = timeout

    def _work(self, request, what, finish=None, result=(), test=None) -> Work:
        return Work(test=test or request.Test, finish=finish, timeout=self.timeout, what=what,
                    result=result, rank=self.rank)

    def _op(self, op, dtype):
        # Looked up on every collective: remember the answer for each (op, dtype).
        key = (op, dtype)
        mop = _OPS.get(key)
        if mop is None:
            mop = _OPS[key] = self._lookup_op(op, dtype)
        return mop

    @staticmethod
    def _lookup_op(op, dtype):
        MPI = _mpi()
        return reduction_for(op, dtype, "mpi", sum=MPI.SUM, prod=MPI.PROD, min=MPI.MIN, max=MPI.MAX,
                             logical_and=MPI.LAND, logical_or=MPI.LOR, logical_xor=MPI.LXOR,
                             bit_and=MPI.BAND, bit_or=MPI.BOR, bit_xor=MPI.BXOR)

    def _finish_inplace(self, t, buf, copied, avg=False):
        def finish():
            if avg:
                np.true_divide(buf, self.size, out=buf, casting="unsafe")
            if copied:
                t._data[...] = buf
            t._version[0] += 1
        return finish

    # ---- collectives ----------------------------------------------------------------------
    def barrier(self):
        return self._work(self.comm.Ibarrier(), "barrier")

    def broadcast(self, tensor, root):
        buf, copied = _contiguous(tensor)
        req = self.comm.Ibcast(buf, root=root)
        finish = self._finish_inplace(tensor, buf, copied) if self.rank != root else None
        return self._work(req, "broadcast", finish, [tensor])

    def all_reduce(self, tensor, op):
        buf, copied = _contiguous(tensor)
        req = self.comm.Iallreduce(_IN_PLACE, buf, op=self._op(op, buf.dtype))
        finish = self._finish_inplace(tensor, buf, copied, avg=op == ReduceOp.AVG)
        return self._work(req, "all_reduce", finish, [tensor])

    # The synchronous fast paths: every rank is known to be inside this collective (see
    # CommBackend.all_reduce_blocking), so the blocking engine call is safe, and it skips the
    # request object, the Python polling loop and the Work of the non-blocking path. MPI reduces
    # the tensor's own array in place (IN_PLACE): no receive buffer, no copy for contiguous tensors.
    def all_reduce_blocking(self, tensor, op):
        buf, copied = _contiguous(tensor)
        self.comm.Allreduce(_IN_PLACE, buf, op=self._op(op, buf.dtype))
        self._finish_inplace(tensor, buf, copied, avg=op == ReduceOp.AVG)()

    def broadcast_blocking(self, tensor, root):
        buf, copied = _contiguous(tensor)
        self.comm.Bcast(buf, root=root)
        if self.rank != root:
            self._finish_inplace(tensor, buf, copied)()

    def reduce(self, tensor, root, op):
        buf, copied = _contiguous(tensor)
        mop = self._op(op, buf.dtype)
        if self.rank == root:
            req = self.comm.Ireduce(_IN_PLACE, buf, op=mop, root=root)
            finish = self._finish_inplace(tensor, buf, copied, avg=int(op) == ReduceOp.AVG)
        else:
            req, finish = self.comm.Ireduce(buf, None, op=mop, root=root), None
        return self._work(req, "reduce", finish, [tensor])

    def all_gather_into_tensor(self, output, input):
        src, _ = _contiguous(input)
        out, copied = _contiguous(output)
        req = self.comm.Iallgather(src, out)
        return self._work(req, "all_gather_into_tensor", self._finish_inplace(output, out, copied), [output])

    def all_gather(self, outputs, input):
        src, _ = _contiguous(input)
        stage = np.empty((self.size,) + src.shape, dtype=src.dtype)
        req = self.comm.Iallgather(src, stage)

        def finish():
            for i, out in enumerate(outputs):
                out._data[...] = stage[i]
                out._version[0] += 1

        return self._work(req, "all_gather", finish, outputs)

    def gather(self, outputs, input, root):
        src, _ = _contiguous(input)
        stage = np.empty((self.size,) + src.shape, dtype=src.dtype) if self.rank == root else None
        req = self.comm.Igather(src, stage, root=root)

        def finish():
            for i, out in enumerate(outputs or ()):
                out._data[...] = stage[i]
                out._version[0] += 1

        return self._work(req, "gather", finish if self.rank == root else None, outputs or [])

    def scatter(self, output, inputs, root):
        out, copied = _contiguous(output)
        stage = np.stack([t._data for t in inputs]) if self.rank == root else None
        req = self.comm.Iscatter(stage, out, root=root)
        return self._work(req, "scatter", self._finish_inplace(output, out, copied), [output])

    def reduce_scatter_tensor(self, output, input, op):
        src, _ = _contiguous(input)
        out, copied = _contiguous(output)
        mop = self._op(op, src.dtype)
        req = self.comm.Ireduce_scatter_block(src, out, op=mop)
        finish = self._finish_inplace(output, out, copied, avg=int(op) == ReduceOp.AVG)
        return self._work(req, "reduce_scatter", finish, [output])

    def reduce_scatter(self, output, inputs, op):
        src = np.concatenate([np.ascontiguousarray(t._data).reshape(-1) for t in inputs])
        out, copied = _contiguous(output)
        req = self.comm.Ireduce_scatter_block(src, out, op=self._op(op, src.dtype))
        finish = self._finish_inplace(output, out, copied, avg=int(op) == ReduceOp.AVG)
        return self._work(req, "reduce_scatter", finish, [output])

    def all_to_all_single(self, output, input, output_split_sizes=None, input_split_sizes=None):
        src, _ = _contiguous(input)
        out, copied = _contiguous(output)
        if output_split_sizes is None and input_split_sizes is None:
            req = self.comm.Ialltoall(src, out)
        else:
            row_in = src[0].size if src.ndim else 1
            row_out = out[0].size if out.ndim else 1
            n_in = input_split_sizes or [src.shape[0] // self.size] * self.size
            n_out = output_split_sizes or [out.shape[0] // self.size] * self.size
            cin = [k * row_in for k in n_in]
            cout = [k * row_out for k in n_out]
            req = self.comm.Ialltoallv([src, (cin, _offsets(cin))], [out, (cout, _offsets(cout))])
        return self._work(req, "all_to_all", self._finish_inplace(output, out, copied), [output])

    def all_to_all(self, outputs, inputs):
        src = np.concatenate([np.ascontiguousarray(t._data).reshape(-1) for t in inputs])
        cin = [t._data.size for t in inputs]
        cout = [t._data.size for t in outputs]
        stage = np.empty(sum(cout), dtype=src.dtype)
        req = self.comm.Ialltoallv([src, (cin, _offsets(cin))], [stage, (cout, _offsets(cout))])

        def finish():
            for out, off, n in zip(outputs, _offsets(cout), cout):
                out._data[...] = stage[off:off + n].reshape(out._data.shape)
                out._version[0] += 1

        return self._work(req, "all_to_all", finish, outputs)

    # ---- point to point -------------------------------------------------------------------
    def send(self, tensor, dst, tag):
        buf, _ = _contiguous(tensor)
        return self._work(self.comm.Isend(buf, dest=dst, tag=tag), "send", result=[tensor])

    def recv(self, tensor, src, tag):
        MPI = _mpi()
        buf, copied = _contiguous(tensor)
        status = MPI.Status()
        req = self.comm.Irecv(buf, source=MPI.ANY_SOURCE if src is None else src, tag=tag)
        inplace = self._finish_inplace(tensor, buf, copied)

        def finish():
            inplace()
            return status.Get_source()

        return self._work(req, "recv", finish, [tensor], test=lambda: req.Test(status))

    # ---- small blocking helpers of the frontend -------------------------------------------
    def agree(self, values, what="consistency check"):
        values = list(values)
        a = np.array(values + [-v for v in values], dtype=np.int64)
        self._work(self.comm.Iallreduce(_IN_PLACE, a, op=_mpi().MAX), what).wait()
        out = a.tolist()
        n = len(values)
        return out[:n], [-v for v in out[n:]]

    def all_gather_bytes(self, data):
        sizes = np.empty(self.size, dtype=np.int64)
        self._work(self.comm.Iallgather(np.array([len(data)], dtype=np.int64), sizes),
                   "all_gather_object").wait()
        out = np.empty(int(sizes.sum()), dtype=np.uint8)
        src = np.frombuffer(data, dtype=np.uint8)
        counts = sizes.tolist()
        self._work(self.comm.Iallgatherv(src, [out, (counts, _offsets(counts))]), "all_gather_object").wait()
        return [out[o:o + n].tobytes() for o, n in zip(_offsets(counts), counts)]

    def broadcast_bytes(self, data, root):
        n = np.array([len(data) if self.rank == root else 0], dtype=np.int64)
        self._work(self.comm.Ibcast(n, root=root), "broadcast_object_list").wait()
        buf = (np.frombuffer(bytearray(data), dtype=np.uint8) if self.rank == root
               else np.empty(int(n[0]), dtype=np.uint8))
        self._work(self.comm.Ibcast(buf, root=root), "broadcast_object_list").wait()
        return buf.tobytes()

    # ---- groups and lifetime --------------------------------------------------------------
    def split(self, ranks):
        MPI = _mpi()
        # Comm.Split blocks with no timeout: first make sure that every rank is here, asking for
        # the same group, with a check that does time out.
        key = hash(tuple(ranks)) & 0x7FFFFFFFFFFF
        hi, lo = self.agree([key, len(ranks)], "new_group")
        if hi != lo:
            raise DistBackendError("new_group() was called with different ranks on different processes: "
                                   "every process must pass the same list")
        member = self.rank in ranks
        comm = self.comm.Split(0 if member else MPI.UNDEFINED, key=self.rank)
        if not member:
            return None
        return MPIBackend(comm, self.timeout)

    def abort(self, code=1):
        _mpi().COMM_WORLD.Abort(code)

    def shutdown(self):
        try:
            self.comm.Free()
        except Exception:  # noqa: BLE001,S110 (the engine may already be torn down at exit)
            pass


def _offsets(counts):
    out, acc = [], 0
    for c in counts:
        out.append(acc)
        acc += c
    return out
