"""Communication backends are plugins: the built-ins come through the entry point, others can join."""

import subprocess
import sys
import types

import lanterna as torch
import lanterna.distributed as dist
import pytest
from lanterna.backends import REGISTRY, Registry, hookimpl
from lanterna.distributed import CommBackend, Work


class LoopBackend(CommBackend):
    """A world of one process, written as a third party would (docs/distributed.md)."""

    name = "loop"

    @classmethod
    def create(cls, rank=-1, world_size=-1, timeout=None, init_method=None, bootstrap=None):
        if world_size not in (-1, 1):
            raise ValueError("the loop backend only knows a world of one process")
        return cls()

    def __init__(self):
        self.rank, self.size, self.timeout = 0, 1, 10.0

    def all_reduce(self, tensor, op):
        return Work(result=[tensor])  # already complete: one rank reduces to itself

    def broadcast(self, tensor, root):
        return Work(result=[tensor])

    def all_gather_into_tensor(self, output, input):
        output.copy_(input.reshape(output.shape))
        return Work(result=[output])

    def send(self, tensor, dst, tag):
        raise RuntimeError("no peer to send to")

    recv = send

    def split(self, ranks):
        return LoopBackend()


def _plugin_module():
    mod = types.ModuleType("lanterna_loop_plugin")

    @hookimpl
    def lanterna_register_comm_backends(registry):
        registry.register_comm_backend("loop", LoopBackend, devices=("cpu",))

    mod.lanterna_register_comm_backends = lanterna_register_comm_backends
    return mod


def test_builtin_backends_come_through_the_entry_point():
    from importlib.metadata import entry_points

    eps = {ep.name: ep.value for ep in entry_points(group="lanterna.backends")}
    assert eps.get("distributed") == "lanterna.distributed._plugin"
    backends = REGISTRY.load_comm_backends()
    assert backends["mpi"][1] == ("cpu",) and backends["nccl"][1] == ("cuda",)


def test_a_third_party_plugin_is_found_through_the_hook(monkeypatch):
    """An installed plugin (entry point ``lanterna.backends``) is found by core's loader."""
    from lanterna.backends import registry as registry_module

    mod = _plugin_module()
    ep = types.SimpleNamespace(name="loop", value="lanterna_loop_plugin", dist=None, load=lambda: mod)
    monkeypatch.setattr(registry_module, "_iter_entry_points", lambda: [ep])
    monkeypatch.delenv(registry_module.AUTOLOAD_ENV, raising=False)
    reg = registry_module.load_plugins(Registry())
    reg.plugin_manager.check_pending()
    assert reg.load_comm_backends() == {"loop": (LoopBackend, ("cpu",))}


@pytest.fixture
def loop_backend():
    dist.Backend.register_backend("loop", LoopBackend, devices=["cpu"])
    yield
    REGISTRY.comm_backends.pop("loop", None)


def test_a_plugin_runs_every_collective_through_the_defaults(loop_backend):
    """A backend that implements the few required methods gets the others from CommBackend."""
    dist.init_process_group("loop")
    try:
        assert dist.get_backend() == "loop" and dist.is_backend_available("loop")
        t = torch.tensor([1.0, 2.0])
        dist.all_reduce(t)
        dist.barrier()
        dist.reduce(t, dst=0)
        out = [torch.zeros(2)]
        dist.all_gather(out, t)
        assert out[0].tolist() == [1.0, 2.0]
        g = [torch.zeros(2)]
        dist.gather(t, g, dst=0)
        assert g[0].tolist() == [1.0, 2.0]
        s = torch.zeros(2)
        dist.scatter(s, [torch.tensor([4.0, 5.0])], src=0)
        assert s.tolist() == [4.0, 5.0]
        rs = torch.zeros(2)
        dist.reduce_scatter_single(rs, torch.tensor([6.0, 7.0]))
        assert rs.tolist() == [6.0, 7.0]
        objs = [None]
        dist.all_gather_object(objs, {"x": [1, 2]})
        assert objs == [{"x": [1, 2]}]
        lst = [("a", 1)]
        dist.broadcast_object_list(lst, src=0)
        assert lst == [("a", 1)]
        assert dist.get_world_size(dist.new_group([0])) == 1
    finally:
        dist.destroy_process_group()


def test_nccl_reports_itself_unavailable_cleanly():
    if dist.is_nccl_available():
        pytest.skip("NCCL is available here")
    reason = REGISTRY.load_comm_backends()["nccl"][0].unavailable_reason()
    assert "nccl" in reason and ("lanterna-cuda" in reason or "CuPy" in reason or "GPU" in reason)
    with pytest.raises(RuntimeError, match="doesn't have the 'nccl' backend available here"):
        dist.init_process_group("nccl")
    assert not dist.is_initialized()


def test_import_lanterna_starts_no_engine():
    code = ("import sys, lanterna, lanterna.distributed as d; "
            "print(sorted(m for m in sys.modules if m.startswith(('mpi4py', 'cupy', 'lanterna.distributed.'))))")
    out = subprocess.run([sys.executable, "-c", code], check=False, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "['lanterna.distributed._plugin']"
