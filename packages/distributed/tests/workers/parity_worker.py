"""torch.distributed code as it runs on PyTorch's gloo backend, started without MPI.

Usage: parity_worker.py OUT_DIR (under ``python -m lanterna.distributed.run --launcher spawn``),
or imported by parity_mp.py, which starts the ranks with ``multiprocessing``. Each rank writes
``rank<r>.json``: what every collective gave, checked by test_dist_parity.py.
"""

import json
import os
import sys
from datetime import timedelta

import lanterna as torch
import lanterna.distributed as dist
import lanterna.nn as nn
from lanterna.nn.parallel import DistributedDataParallel as DDP


def x(r, dtype=torch.float32):
    return (torch.arange(6).reshape(2, 3) * (r + 1) + r).to(dtype)


def collectives(r, n):
    res = {}
    for name, dt in {"float32": torch.float32, "int64": torch.int64, "bool": torch.bool}.items():
        for op in ["SUM", "MAX", "MIN", "PRODUCT"] + (["AVG"] if name == "float32" else []):
            t = x(r, dt)
            dist.all_reduce(t, op=getattr(dist.ReduceOp, op))
            res[f"all_reduce/{op}/{name}"] = t.tolist()
    t = x(r)
    dist.broadcast(t, src=1)
    res["broadcast"] = t.tolist()
    t = x(r).t()  # a non-contiguous view
    dist.all_reduce(t)
    res["all_reduce/view"] = t.tolist()
    outs = [torch.zeros(2, 3) for _ in range(n)]
    dist.all_gather(outs, x(r))
    res["all_gather"] = [o.tolist() for o in outs]
    out = torch.zeros(2 * n, 3)
    dist.all_gather_into_tensor(out, x(r))
    res["all_gather_into_tensor"] = out.tolist()
    gl = [torch.zeros(2, 3) for _ in range(n)] if r == 0 else None
    dist.gather(x(r), gl, dst=0)
    res["gather"] = None if gl is None else [g.tolist() for g in gl]
    out = torch.zeros(2, 3)
    dist.scatter(out, [x(1) * 10 + i for i in range(n)] if r == 1 else None, src=1)
    res["scatter"] = out.tolist()
    out = torch.zeros(2, 3)
    dist.reduce_scatter(out, [x(i) + r for i in range(n)])
    res["reduce_scatter"] = out.tolist()
    out = torch.zeros(1, 3)
    dist.reduce_scatter_tensor(out, x(r))
    res["reduce_scatter_tensor"] = out.tolist()
    out = torch.zeros(2, 3)
    dist.all_to_all_single(out, x(r))
    res["all_to_all_single"] = out.tolist()
    # uneven: rank r sends r + 1 rows to each rank
    inp = torch.arange(float(n * (r + 1))) + 100 * r
    out = torch.zeros(sum(i + 1 for i in range(n)))
    dist.all_to_all_single(out, inp, [i + 1 for i in range(n)], [r + 1] * n)
    res["all_to_all_single/uneven"] = out.tolist()
    outs = [torch.zeros(2, 3) for _ in range(n)]
    dist.all_to_all(outs, [x(r) + 10 * i for i in range(n)])
    res["all_to_all"] = [o.tolist() for o in outs]
    # point to point: receive first, then send (the receive must not block)
    peer = 1 - r
    got = torch.zeros(2, 3)
    w = dist.irecv(got, src=peer)
    dist.isend(x(r), dst=peer).wait()
    w.wait()
    res["irecv_first"] = got.tolist()
    if r == 0:
        dist.send(x(0), dst=1, tag=7)
    else:
        got = torch.zeros(2, 3)
        res["recv_any"] = [dist.recv(got, tag=7), got.tolist()]
    t = x(r)
    w = dist.all_reduce(t, async_op=True)
    res["async"] = [w.wait(), w.is_completed(), t.tolist()]
    objs = [None] * n
    dist.all_gather_object(objs, {"rank": r, "text": "x" * (r + 1)})
    res["all_gather_object"] = objs
    lst = [{"from": r}, r] if r == 1 else [None, None]
    dist.broadcast_object_list(lst, src=1)
    res["broadcast_object_list"] = lst
    g = dist.new_group([1])
    res["new_group"] = [dist.get_rank(g), dist.get_world_size(g)]
    if r == 1:
        t = torch.tensor([5.0])
        dist.all_reduce(t, group=g)
        res["new_group/all_reduce"] = t.tolist()
    dist.barrier()
    return res


def ddp_gap(r, n):
    """Largest difference between DDP's gradients and one process's on the whole batch."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
    ref = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
    ref.load_state_dict(model.state_dict())
    g = torch.Generator().manual_seed(1)
    xs, ys = torch.randn(4 * n, 4, generator=g), torch.randn(4 * n, 2, generator=g)
    ddp = DDP(model)
    ((ddp(xs[4 * r:4 * (r + 1)]) - ys[4 * r:4 * (r + 1)]) ** 2).mean().backward()
    ((ref(xs) - ys) ** 2).mean().backward()
    return max(float((a.grad - b.grad).abs().max()) for a, b in zip(model.parameters(), ref.parameters()))


def run(out_dir, rank=None, world_size=None, init_method=None):
    dist.init_process_group("gloo", init_method=init_method, rank=-1 if rank is None else rank,
                            world_size=-1 if world_size is None else world_size, timeout=timedelta(seconds=30))
    r, n = dist.get_rank(), dist.get_world_size()
    doc = {"backend": dist.get_backend(), "engine": dist.group.WORLD._any().name, "world": [r, n],
           "results": collectives(r, n), "ddp_gap": ddp_gap(r, n)}
    dist.destroy_process_group()
    with open(os.path.join(out_dir, f"rank{r}.json"), "w") as f:
        json.dump(doc, f)


if __name__ == "__main__":
    run(sys.argv[1])
