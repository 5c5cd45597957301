"""torch.distributed code as a gloo test suite writes it, run on Lanterna or on PyTorch.

Usage: sweep_worker.py LIB OUT_DIR PORT, LIB ``lanterna`` or ``torch``. The ranks are started by
``LIB.multiprocessing.spawn`` (2 processes, init through ``env://``); each writes
``<LIB><rank>.json``: values, dtypes and the exception type of every case. The same file runs on
both libraries, so the oracle test can compare them; the plain test checks them against their
definitions.
"""

import json
import os
import sys
from datetime import timedelta

import numpy as np

LIB, OUT, PORT = sys.argv[1], sys.argv[2], int(sys.argv[3])
N = 2

if LIB == "torch":
    import torch
    import torch.distributed as dist
    import torch.multiprocessing as mp
    import torch.nn as nn
    from torch.nn.parallel import DistributedDataParallel as DDP
    from torch.utils.data import DataLoader, DistributedSampler, TensorDataset
else:
    import lanterna as torch
    import lanterna.distributed as dist
    import lanterna.multiprocessing as mp
    import lanterna.nn as nn
    from lanterna.nn.parallel import DistributedDataParallel as DDP
    from lanterna.utils.data import DataLoader, DistributedSampler, TensorDataset


def enc(v):
    if isinstance(v, torch.Tensor):
        return {"dtype": str(v.dtype).rsplit(".", 1)[-1], "v": v.detach().tolist()}
    if isinstance(v, (list, tuple)):
        return [enc(x) for x in v]
    return v


def case(res, name, fn):
    """Record what ``fn`` returned, or the type of what it raised (the ranks stay in step: every
    error case here raises on every rank, before any message, or after the whole exchange)."""
    try:
        res[name] = {"ok": enc(fn())}
    except Exception as e:  # noqa: BLE001
        res[name] = {"err": type(e).__name__, "bases": [c.__name__ for c in type(e).__mro__], "msg": str(e)[:200]}


def x(r, dtype):
    return (torch.arange(6).reshape(2, 3) * (r + 1) + r + 1).to(dtype)


def collectives(r, res):
    R = dist.ReduceOp
    case(res, "api", lambda: [dist.get_backend(), type(dist.get_backend()).__name__, str(R.SUM), f"{R.MAX}",
                              dist.Backend("GLOO"), type(dist.Backend("GLOO")).__name__,
                              dist.is_torchelastic_launched(), dist.GroupMember.NON_GROUP_MEMBER == -100])
    for name, dt in {"float32": torch.float32, "int64": torch.int64}.items():
        for op in ["SUM", "AVG", "BAND", "BXOR", "MAX"]:
            def f(dt=dt, op=op):
                t = x(r, dt)
                dist.all_reduce(t, op=getattr(R, op))
                return t
            case(res, f"all_reduce/{op}/{name}", f)

    def f():
        out = torch.zeros(4, 3)
        dist.all_gather_single(out, x(r, torch.float32))
        rs = torch.zeros(1, 3)
        dist.reduce_scatter_single(rs, x(r, torch.float32))
        return [out, rs]
    case(res, "single", f)
    t = x(r, torch.float32)
    case(res, "err/not_a_tensor", lambda: dist.all_reduce([1.0, 2.0]))
    case(res, "err/op", lambda: dist.all_reduce(t, op="sum"))
    case(res, "err/group", lambda: dist.all_reduce(t, group=5))
    case(res, "err/root", lambda: dist.broadcast(t, src=7))
    case(res, "err/all_gather_len", lambda: dist.all_gather([torch.zeros(2, 3)], t))
    case(res, "err/all_gather_dtype", lambda: dist.all_gather([torch.zeros(2, 3), torch.zeros(2, 3).double()], t))
    case(res, "err/all_gather_shape", lambda: dist.all_gather([torch.zeros(2, 3), torch.zeros(3, 3)], t))
    case(res, "err/single_size", lambda: dist.all_gather_single(torch.zeros(5, 3), t))
    case(res, "err/scatter_missing", lambda: dist.scatter(torch.zeros(2, 3), None, src=r))
    case(res, "err/reduce_scatter_len", lambda: dist.reduce_scatter(torch.zeros(2, 3), [t]))

    def f():
        longer = [None] * 3
        dist.all_gather_object(longer, {"rank": r})
        return longer
    case(res, "obj/all_gather_longer", f)

    def f():
        short = [None] if r == 0 else None
        dist.gather_object(("g", r), short, dst=0)
        return short
    case(res, "obj/gather_short", f)

    def f():
        cur, groups = dist.new_subgroups_by_enumeration([[0], [1]])
        v = torch.tensor([float(r + 1)])
        dist.all_reduce(v, group=cur)
        return [dist.get_process_group_ranks(cur), len(groups), v]
    case(res, "new_subgroups_by_enumeration", f)
    g = dist.new_group([1])
    case(res, "non_member", lambda: [g == dist.GroupMember.NON_GROUP_MEMBER, dist.get_rank(g),
                                     dist.get_world_size(g)])
    dist.barrier()


class TwoHeads(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Linear(4, 3)
        self.b = nn.Linear(4, 3)
        with torch.no_grad():
            self.a.weight.copy_(torch.linspace(-1, 1, 12).reshape(3, 4))
            self.a.bias.fill_(0.1)
            self.b.weight.copy_(torch.linspace(1, -1, 12).reshape(3, 4))
            self.b.bias.fill_(-0.2)

    def forward(self, x):
        return {"a": self.a(x), "b": (self.b(x),)}


def mlp():
    rng = np.random.RandomState(7)
    m = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 3))
    m.load_state_dict({k: torch.tensor((rng.randn(*v.shape) * 0.5).astype(np.float32))
                       for k, v in m.state_dict().items()})
    return m


def ddp(r, res):
    xs = torch.tensor(np.random.RandomState(1).randn(2 * N, 4).astype(np.float32))

    def grads(m):
        return [None if p.grad is None else p.grad for p in m.parameters()]

    def f(b_on_rank1):
        # find_unused_parameters: an output the loss does not use must not hold the reduction up
        m = TwoHeads()
        d = DDP(m, find_unused_parameters=True)
        out = d(xs[2 * r:2 * r + 2])
        loss = out["a"].sum() + (out["b"][0].pow(2).sum() if b_on_rank1 and r == 1 else 0)
        loss.backward()
        return grads(m)
    case(res, "ddp/unused_output", lambda: f(False))
    case(res, "ddp/unused_output_on_one_rank", lambda: f(True))

    def f():
        # the end-to-end script: MLP, SGD with momentum, DistributedSampler with set_epoch
        m = mlp()
        d = DDP(m)
        opt = torch.optim.SGD(d.parameters(), lr=0.05, momentum=0.9)
        rng = np.random.RandomState(3)
        ds = TensorDataset(torch.tensor(rng.randn(37, 4).astype(np.float32)), torch.tensor(rng.randint(0, 3, 37)))
        sampler = DistributedSampler(ds, shuffle=True, seed=11)
        losses, orders = [], []
        for epoch in range(3):
            sampler.set_epoch(epoch)
            orders.append(list(sampler))
            for xb, yb in DataLoader(ds, batch_size=5, sampler=sampler):
                opt.zero_grad()
                loss = nn.functional.cross_entropy(d(xb), yb)
                loss.backward()
                opt.step()
                losses.append(loss.item())
        return [orders, losses, list(m.parameters())]
    case(res, "train", f)


def run(r):
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(PORT), RANK=str(r), WORLD_SIZE=str(N))
    res = {}
    try:
        case(res, "destroy_before_init", lambda: dist.destroy_process_group())
        dist.init_process_group(backend="GLOO", init_method="env://", timeout=timedelta(seconds=30))
        collectives(r, res)
        ddp(r, res)
        dist.destroy_process_group()
    finally:
        with open(os.path.join(OUT, f"{LIB}{r}.json"), "w") as f:
            json.dump(res, f)


if __name__ == "__main__":
    for k in ("PMI_RANK", "OMPI_COMM_WORLD_RANK", "PMIX_RANK", "LANTERNA_DIST_STORE", "TORCHELASTIC_RUN_ID"):
        os.environ.pop(k, None)
    mp.spawn(run, nprocs=N)
