"""Run every collective on 2+ ranks and record what each rank got (the tests check definitions).

Usage: python -m lanterna.distributed.run --nproc-per-node 2 collectives_worker.py OUT_DIR
Rank r's input for dtype d is ``x(r) = arange(6).reshape(2, 3) * (r + 1) + r``.
"""

import json
import os
import sys

import lanterna as torch
import lanterna.distributed as dist

DTYPES = {"float32": torch.float32, "float64": torch.float64, "int64": torch.int64}


def x(r, dtype):
    return (torch.arange(6).reshape(2, 3) * (r + 1) + r).to(dtype)


def main(out_dir):
    dist.init_process_group("mpi")
    r, n = dist.get_rank(), dist.get_world_size()
    res, errors = {}, {}

    def put(key, value):
        res[key] = value.tolist() if isinstance(value, torch.Tensor) else value

    for name, dt in DTYPES.items():
        for op in ["SUM", "AVG", "MAX", "MIN", "PRODUCT"]:
            t = x(r, dt)
            dist.all_reduce(t, op=getattr(dist.ReduceOp, op))
            put(f"all_reduce/{op}/{name}", t)
        t = x(r, dt)
        dist.reduce(t, dst=1, op=dist.ReduceOp.SUM)
        put(f"reduce/{name}", t)
        t = x(r, dt)
        dist.broadcast(t, src=1)
        put(f"broadcast/{name}", t)
        outs = [torch.zeros(2, 3, dtype=dt) for _ in range(n)]
        dist.all_gather(outs, x(r, dt))
        put(f"all_gather/{name}", [o.tolist() for o in outs])
        out = torch.zeros(2 * n, 3, dtype=dt)
        dist.all_gather_into_tensor(out, x(r, dt))
        put(f"all_gather_into_tensor/{name}", out)
        gl = [torch.zeros(2, 3, dtype=dt) for _ in range(n)] if r == 0 else None
        dist.gather(x(r, dt), gl, dst=0)
        put(f"gather/{name}", [g.tolist() for g in gl] if gl else None)
        out = torch.zeros(2, 3, dtype=dt)
        dist.scatter(out, [x(r, dt) * 10 + i for i in range(n)] if r == 1 else None, src=1)
        put(f"scatter/{name}", out)
        out = torch.zeros(2, 3, dtype=dt)
        dist.reduce_scatter(out, [x(r, dt) + i for i in range(n)])
        put(f"reduce_scatter/{name}", out)
        out = torch.zeros(2, 3, dtype=dt)
        dist.reduce_scatter_tensor(out, torch.cat([x(r, dt) + i for i in range(n)]))
        put(f"reduce_scatter_tensor/{name}", out)
        src = torch.cat([x(r, dt) + 100 * i for i in range(n)])  # chunk i goes to rank i
        out = torch.zeros(2 * n, 3, dtype=dt)
        dist.all_to_all_single(out, src)
        put(f"all_to_all_single/{name}", out)
        # point to point: a ring, blocking and non-blocking
        recv = torch.zeros(2, 3, dtype=dt)
        works = [dist.isend(x(r, dt), dst=(r + 1) % n, tag=3), dist.irecv(recv, src=(r - 1) % n, tag=3)]
        for w in works:
            w.wait()
        put(f"isend_irecv/{name}", recv)
        if r == 0:
            dist.send(x(r, dt), dst=1, tag=7)
        elif r == 1:
            t = torch.zeros(2, 3, dtype=dt)
            put(f"recv_any/{name}", [dist.recv(t, tag=7), t.tolist()])
        # async_op returns a Work; a non-contiguous view is reduced in place into its storage
        base = x(r, dt)
        view = base.t()
        w = dist.all_reduce(view, async_op=True)
        done = w.wait()
        put(f"async_view/{name}", [done, w.is_completed(), w.is_success(), w.result()[0] is view, base.tolist()])
        # both synchronous paths on non-contiguous views: one blocking engine call once the check
        # has seen every rank arrive, and a polled request when the check is off
        for check in ("1", "0"):
            os.environ["LANTERNA_DISTRIBUTED_CHECK"] = check
            base = x(r, dt)
            dist.all_reduce(base.t(), op=dist.ReduceOp.AVG)
            put(f"sync_view/{check}/all_reduce/{name}", base)
            base = x(r, dt)
            dist.broadcast(base.t(), src=1)
            put(f"sync_view/{check}/broadcast/{name}", base)
        os.environ["LANTERNA_DISTRIBUTED_CHECK"] = "1"

    # sub-groups: every rank calls new_group with the same ranks
    everyone = dist.new_group([0, 1])
    t = torch.tensor([float(r + 1)])
    dist.all_reduce(t, group=everyone)
    put("group_all/all_reduce", t)
    solo = dist.new_group([1])
    put("group_solo/rank", [dist.get_rank(solo), dist.get_world_size(solo)])
    if r == 1:
        t = torch.tensor([5.0])
        dist.all_reduce(t, group=solo)
        put("group_solo/all_reduce", t)
    # objects
    objs = [None] * n
    dist.all_gather_object(objs, {"rank": r, "text": "x" * (r + 1)})
    put("all_gather_object", objs)
    lst = [{"from": r}, r * 10] if r == 1 else [None, None]
    dist.broadcast_object_list(lst, src=1)
    put("broadcast_object_list", lst)
    gathered = [None] * n if r == 0 else None
    dist.gather_object(("g", r), gathered, dst=0)
    put("gather_object", gathered)
    out = [None]
    dist.scatter_object_list(out, [f"for {i}" for i in range(n)] if r == 0 else None, src=0)
    put("scatter_object_list", out)
    dist.barrier()

    # disagreements raise the same clear error on every rank, and leave the group usable
    for key, fn in {
        "mismatch/shape": lambda: dist.all_reduce(torch.zeros(2 + r)),
        "mismatch/dtype": lambda: dist.broadcast(torch.zeros(3, dtype=torch.float32 if r == 0 else torch.float64), 0),
        "mismatch/collective": lambda: (dist.all_reduce(torch.zeros(3)) if r == 0 else dist.broadcast(torch.zeros(3), 0)),
        "mismatch/root": lambda: dist.broadcast(torch.zeros(3), src=r),
    }.items():
        try:
            fn()
            errors[key] = None
        except dist.DistBackendError as e:
            errors[key] = str(e)
    t = torch.ones(2)
    dist.all_reduce(t)
    put("after_errors", t)

    with open(os.path.join(out_dir, f"rank{r}.json"), "w") as f:
        json.dump({"rank": r, "world": n, "results": res, "errors": errors}, f)
    dist.destroy_process_group()


if __name__ == "__main__":
    main(sys.argv[1])
