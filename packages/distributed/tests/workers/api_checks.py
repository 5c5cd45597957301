"""The API in one process: a world of size 1 on MPI, argument checks, errors, Work, DDP basics.

Run by test_dist_api.py in a fresh process (``pytest workers/api_checks.py``): MPI is never
initialised in the test runner itself, whose other tests may fork.
"""

from datetime import timedelta

import lanterna as torch
import lanterna.distributed as dist
import pytest

pytest.importorskip("mpi4py")


@pytest.fixture
def world():
    dist.init_process_group("mpi", timeout=timedelta(seconds=20))
    yield
    dist.destroy_process_group()


def test_not_initialized_errors():
    assert not dist.is_initialized()
    msg = "Default process group has not been initialized, please make sure to call init_process_group."
    with pytest.raises(ValueError, match=msg):
        dist.get_rank()
    with pytest.raises(ValueError, match=msg):
        dist.all_reduce(torch.ones(1))


def test_world_of_one(world):
    assert dist.is_initialized() and dist.is_available() and dist.is_mpi_available()
    assert (dist.get_rank(), dist.get_world_size(), dist.get_backend()) == (0, 1, "mpi")
    assert dist.GroupMember.WORLD is dist.group.WORLD is not None
    with pytest.raises(ValueError, match="trying to initialize the default process group twice!"):
        dist.init_process_group("mpi")


def test_gloo_and_env_init_map_to_mpi(monkeypatch):
    monkeypatch.setenv("RANK", "0")
    monkeypatch.setenv("WORLD_SIZE", "1")
    dist.init_process_group("gloo", init_method="env://")
    try:
        assert dist.get_backend() == "gloo" and dist.get_world_size() == 1
    finally:
        dist.destroy_process_group()
    assert not dist.is_initialized()


def test_world_size_that_mpi_did_not_start_is_refused():
    with pytest.raises(ValueError, match="lanterna.distributed.run --nproc-per-node 2"):
        dist.init_process_group("mpi", world_size=2, rank=0)
    assert not dist.is_initialized()


def test_unknown_backend():
    with pytest.raises(ValueError, match="Invalid backend: 'carrier-pigeon'"):
        dist.init_process_group("carrier-pigeon")


def test_collectives_of_one_rank(world):
    t = torch.tensor([1.0, 2.0])
    assert dist.all_reduce(t) is None and t.tolist() == [1.0, 2.0]
    dist.all_reduce(t, op=dist.ReduceOp.AVG)
    dist.broadcast(t, src=0)
    out = [torch.zeros(2)]
    dist.all_gather(out, t)
    assert out[0].tolist() == [1.0, 2.0]
    flat = torch.zeros(2)
    dist.all_gather_single(flat, t)
    assert flat.tolist() == [1.0, 2.0]
    s = torch.zeros(2)
    dist.scatter(s, [torch.tensor([5.0, 6.0])], src=0)
    assert s.tolist() == [5.0, 6.0]
    g = [torch.zeros(2)]
    dist.gather(torch.tensor([3.0, 4.0]), g, dst=0)
    assert g[0].tolist() == [3.0, 4.0]
    rs = torch.zeros(2)
    dist.reduce_scatter(rs, [torch.tensor([7.0, 8.0])])
    assert rs.tolist() == [7.0, 8.0]
    objs = [None]
    dist.all_gather_object(objs, {"k": (1, 2)})
    assert objs == [{"k": (1, 2)}]
    lst = ["a", 2]
    dist.broadcast_object_list(lst, src=0)
    assert lst == ["a", 2]
    dist.barrier()


def test_work_object(world):
    t = torch.arange(3.0)
    work = dist.all_reduce(t, async_op=True)
    assert work.wait() is True
    assert work.is_completed() and work.is_success() and work.exception() is None
    assert work.result()[0] is t
    assert work.get_future().wait()[0] is t


def test_in_place_on_storage_bumps_version(world):
    base = torch.arange(6.0).reshape(2, 3)
    view = base[:, 1]  # not contiguous: staged, then written back into the storage
    v = view._version[0]
    dist.all_reduce(view, op=dist.ReduceOp.AVG)
    assert view._version[0] > v and base[:, 1].tolist() == [1.0, 4.0]


def test_argument_checks(world):
    t = torch.ones(2)
    # the exception types are PyTorch's (gloo's RuntimeErrors, the Python layer's ValueErrors)
    with pytest.raises(RuntimeError, match="tensor_list has 2 tensors, but the group has 1 ranks"):
        dist.all_gather([torch.ones(2), torch.ones(2)], t)
    with pytest.raises(ValueError, match="Invalid usage of tensors with different dtypes.*float64"):
        dist.all_gather([torch.ones(2, dtype=torch.float64)], t)
    with pytest.raises(RuntimeError, match="output has 3 elements"):
        dist.all_gather_single(torch.zeros(3), t)
    with pytest.raises(ValueError, match="``scatter_list`` must be specified on source rank"):
        dist.scatter(t, None, src=0)
    with pytest.raises(TypeError, match="Invalid reduce op"):
        dist.all_reduce(t, op="sum")
    with pytest.raises(TypeError, match="Expected parameter `tensor` of type torch.Tensor"):
        dist.all_reduce([1.0, 2.0])
    with pytest.raises(RuntimeError, match="Cannot use ReduceOp.BAND with non-integral dtype"):
        dist.all_reduce(t, op=dist.ReduceOp.BAND)
    with pytest.raises(ValueError, match="Invalid destination rank"):
        dist.send(t, dst=0)
    with pytest.raises(RuntimeError, match="Invalid src rank 3: invalid root rank"):
        dist.broadcast(t, src=3)


def test_integer_bitwise_ops(world):
    t = torch.tensor([6, 3])
    dist.all_reduce(t, op=dist.ReduceOp.BAND)
    assert t.tolist() == [6, 3]


def test_new_group(world):
    g = dist.new_group([0])
    assert dist.get_rank(g) == 0 and dist.get_world_size(g) == 1
    assert dist.get_process_group_ranks(g) == [0]
    assert dist.get_global_rank(g, 0) == 0 and dist.get_group_rank(g, 0) == 0
    t = torch.ones(1)
    dist.all_reduce(t, group=g)
    dist.destroy_process_group(g)
    with pytest.raises(ValueError, match="Invalid process group"):
        dist.all_reduce(t, group=g)
    with pytest.raises(ValueError, match="rank 5 is not a rank of the world"):
        dist.new_group([5])


def test_reduce_op_and_backend_names():
    assert repr(dist.ReduceOp.SUM) == "<RedOpType.SUM: 0>"
    assert dist.ReduceOp(dist.ReduceOp.MAX) == dist.ReduceOp.MAX
    assert dist.Backend("GLOO") == "gloo" and dist.Backend.NCCL == "nccl"


def test_ddp_in_a_world_of_one(world):
    from lanterna.nn.modules.module import Module
    from lanterna.nn.parallel import DistributedDataParallel as DDP
    from lanterna.nn.parameter import Parameter

    class Tiny(Module):
        def __init__(self):
            super().__init__()
            self.w = Parameter(torch.tensor([1.0, -2.0]))

        def forward(self, x):
            return (self.w * x).sum()

    model = DDP(Tiny())
    model(torch.tensor([3.0, 4.0])).backward()
    assert model.module.w.grad.tolist() == [3.0, 4.0]
    with model.no_sync():
        model(torch.tensor([1.0, 1.0])).backward()
    assert model.module.w.grad.tolist() == [4.0, 5.0]
    assert list(model.state_dict()) == ["module.w"]


def test_ddp_needs_parameters_and_a_group():
    from lanterna.nn.modules.module import Module
    from lanterna.nn.parallel import DistributedDataParallel as DDP

    with pytest.raises(ValueError, match="init_process_group"):
        DDP(Module())
    dist.init_process_group("mpi")
    try:
        with pytest.raises(RuntimeError, match="doesn't have any parameter that requires a gradient"):
            DDP(Module())
    finally:
        dist.destroy_process_group()
