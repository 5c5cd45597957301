"""The NCCL backend on a real GPU (a world of one process); skipped where NCCL cannot run."""

import lanterna as torch
import lanterna.distributed as dist
import pytest

pytestmark = pytest.mark.gpu


@pytest.fixture
def nccl_world(tmp_path):
    if not dist.is_nccl_available():
        from lanterna.backends import REGISTRY

        pytest.skip(REGISTRY.load_comm_backends()["nccl"][0].unavailable_reason())
    dist.init_process_group("nccl", init_method=f"file://{tmp_path}/store", rank=0, world_size=1)
    yield
    dist.destroy_process_group()


def test_collectives_on_cuda_tensors(nccl_world):
    assert dist.get_backend() == "nccl"
    t = torch.arange(4.0, device="cuda")
    dist.all_reduce(t)
    dist.all_reduce(t, op=dist.ReduceOp.AVG)
    dist.broadcast(t, src=0)
    assert t.cpu().tolist() == [0.0, 1.0, 2.0, 3.0]
    out = torch.zeros(4, device="cuda")
    dist.all_gather_into_tensor(out, t)
    dist.reduce_scatter_tensor(out, t)
    assert out.cpu().tolist() == [0.0, 1.0, 2.0, 3.0]
    work = dist.all_reduce(torch.ones(3, dtype=torch.int64, device="cuda"), async_op=True)
    assert work.wait() and work.is_completed()
    dist.barrier()
    objs = [None]
    dist.all_gather_object(objs, {"gpu": True})
    assert objs == [{"gpu": True}]


def test_cpu_tensors_need_a_cpu_backend(nccl_world):
    with pytest.raises(RuntimeError, match="No backend type associated with device type cpu"):
        dist.all_reduce(torch.ones(2))
