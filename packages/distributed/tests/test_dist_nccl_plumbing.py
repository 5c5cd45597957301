"""The NCCL backend's plumbing, with a stand-in for ``cupy.cuda.nccl`` (no GPU here).

It checks what the backend asks NCCL to do (datatype, count, op, root, stream) and its set-up
through a store; the real engine runs only where a GPU is (see docs/distributed.md).
"""

import sys
import types

import lanterna as torch
import numpy as np
import pytest
from lanterna.distributed import FileStore, ReduceOp
from lanterna.distributed import nccl_backend as nb
from lanterna.distributed.rendezvous import StoreBootstrap


class DeviceArray(np.ndarray):
    """A NumPy array that shows a CuPy-like ``.data.ptr``."""

    @property
    def data(self):
        return types.SimpleNamespace(ptr=self.ctypes.data)


class FakeComm:
    def __init__(self, ndev, uid, rank):
        self.args, self.calls = (ndev, uid, rank), []

    def __getattr__(self, name):
        if name in ("allReduce", "bcast", "reduce", "allGather", "reduceScatter", "send", "recv"):
            return lambda *a: self.calls.append((name, *a))
        raise AttributeError(name)

    def abort(self):
        self.calls.append(("abort",))

    def destroy(self):
        self.calls.append(("destroy",))


@pytest.fixture
def fake_cupy(monkeypatch):
    names = ["NCCL_FLOAT16", "NCCL_FLOAT32", "NCCL_FLOAT64", "NCCL_INT8", "NCCL_UINT8", "NCCL_INT32",
             "NCCL_INT64", "NCCL_SUM", "NCCL_PROD", "NCCL_MAX", "NCCL_MIN"]
    nccl = types.SimpleNamespace(**{n: n for n in names}, available=True, NcclCommunicator=FakeComm,
                                 get_unique_id=lambda: tuple(range(-64, 64)))
    stream = types.SimpleNamespace(ptr=1234, record=lambda: types.SimpleNamespace(done=True))
    cuda = types.SimpleNamespace(nccl=nccl, get_current_stream=lambda: stream,
                                 Device=lambda i=0: types.SimpleNamespace(use=lambda: None, id=i),
                                 runtime=types.SimpleNamespace(getDeviceCount=lambda: 1))
    cupy = types.SimpleNamespace(cuda=cuda, ascontiguousarray=lambda a: np.ascontiguousarray(a).view(DeviceArray),
                                 concatenate=lambda xs: np.concatenate(xs).view(DeviceArray))
    monkeypatch.setitem(sys.modules, "cupy", cupy)
    monkeypatch.setitem(sys.modules, "cupy.cuda", cuda)
    monkeypatch.setattr(nb, "_why_unavailable", lambda: None)
    return nccl


def device_tensor(values, dtype=torch.float32):
    t = torch.tensor(values, dtype=dtype)
    t._data = t._data.view(DeviceArray)
    return t


def test_create_exchanges_the_unique_id_through_a_store(fake_cupy, tmp_path):
    boot = StoreBootstrap(FileStore(str(tmp_path), timeout=5), 0, 1)
    b = nb.NCCLBackend.create(rank=0, world_size=1, timeout=5.0, bootstrap=boot)
    assert b.comm.args == (1, tuple(range(-64, 64)), 0)  # the id survives the bytes round trip
    assert (b.rank, b.size) == (0, 1)


def test_create_without_a_way_to_find_peers(fake_cupy):
    with pytest.raises(ValueError, match="needs to find its peers"):
        nb.NCCLBackend.create(rank=0, world_size=1)


@pytest.mark.parametrize("dtype, nccl_type", [(torch.float32, "NCCL_FLOAT32"), (torch.float64, "NCCL_FLOAT64"),
                                              (torch.int64, "NCCL_INT64"), (torch.bool, "NCCL_UINT8")])
def test_all_reduce_call(fake_cupy, dtype, nccl_type):
    b = nb.NCCLBackend(FakeComm(1, (), 0), 0, 1, 5.0)
    t = device_tensor([1, 0, 1], dtype)
    work = b.all_reduce(t, ReduceOp.SUM)
    assert work.wait() and t._version[0] == 1
    name, send, recv, count, dt, op, stream = b.comm.calls[0]
    assert (name, send == recv == t._data.ctypes.data, count, dt, stream) == ("allReduce", True, 3, nccl_type, 1234)
    assert op == ("NCCL_MAX" if dtype is torch.bool else "NCCL_SUM")  # a logical or for booleans


def test_collective_calls(fake_cupy):
    b = nb.NCCLBackend(FakeComm(1, (), 0), 0, 1, 5.0)
    t = device_tensor([2.0, 4.0])
    b.all_reduce(t, ReduceOp.AVG).wait()
    assert t.tolist() == [2.0, 4.0]  # the sum over one rank, divided by one
    b.broadcast(t, 0).wait()
    b.reduce(t, 0, ReduceOp.MAX).wait()
    out = device_tensor([0.0, 0.0])
    b.all_gather_into_tensor(out, t).wait()
    b.reduce_scatter_tensor(out, t, ReduceOp.MIN).wait()
    assert [c[0] for c in b.comm.calls] == ["allReduce", "bcast", "reduce", "allGather", "reduceScatter"]
    assert b.comm.calls[2][5:7] == ("NCCL_MAX", 0)  # op, root
    with pytest.raises(ValueError, match="BAND is not supported"):
        b.all_reduce(t, ReduceOp.BAND)
    with pytest.raises(TypeError, match="does not support int16"):
        b.all_reduce(device_tensor([1], torch.int16), ReduceOp.SUM)
    with pytest.raises(ValueError, match="cannot receive from any source"):
        b.recv(t, None, 0)


def test_timeout_aborts_the_communicator(fake_cupy):
    from lanterna.distributed import DistBackendError

    b = nb.NCCLBackend(FakeComm(1, (), 0), 0, 1, 0.01)
    stuck = types.SimpleNamespace(ptr=1, record=lambda: types.SimpleNamespace(done=False))
    fake_cupy_cuda = sys.modules["cupy.cuda"]
    fake_cupy_cuda.get_current_stream = lambda: stuck
    work = b.all_reduce(device_tensor([1.0]), ReduceOp.SUM)
    with pytest.raises(DistBackendError, match="all_reduce on rank 0 timed out"):
        work.wait()
    assert b.comm.calls[-1] == ("abort",)
