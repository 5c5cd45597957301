"""DDP communication hooks and join() on 2 ranks.

Usage: python -m lanterna.distributed.run --nproc-per-node 2 ddp_hooks_worker.py OUT_DIR
"""

import json
import os
import sys

import lanterna as torch
import lanterna.distributed as dist
from ddp_models import LOCAL_BATCH, STEPS, data, make_model, params, sgd_step
from lanterna.distributed.algorithms.ddp_comm_hooks import default_hooks
from lanterna.nn.parallel import DistributedDataParallel as DDP


def local(t, r):
    return t[r * LOCAL_BATCH:(r + 1) * LOCAL_BATCH]


def avg_hook(state, bucket):
    """Sum, then divide in the callback: the same average as DDP's own."""
    state["calls"].append((bucket.index(), bucket.is_last(), len(bucket.parameters()),
                           [tuple(g.shape) for g in bucket.gradients()] == [tuple(p.shape) for p in bucket.parameters()]))
    fut = dist.all_reduce(bucket.buffer(), async_op=True).get_future()
    return fut.then(lambda f: f.value()[0].div_(dist.get_world_size()))


def train(r, xs, ys, hook=None, state=None, steps=STEPS, join=None, **kw):
    model = DDP(make_model(seed=r), bucket_cap_mb=0.002, **kw)  # several buckets
    if hook is not None:
        model.register_comm_hook(state, hook)
    ctx = model.join(**join) if join is not None else None
    if ctx is not None:
        ctx.__enter__()
    for step in range(steps):
        model.zero_grad()
        ((model(local(xs[step], r)) - local(ys[step], r)) ** 2).mean().backward()
        sgd_step(model)
    if ctx is not None:
        ctx.__exit__(None, None, None)
    return model


def error_of(fn):
    try:
        fn()
    except Exception as exc:  # noqa: BLE001
        return f"{type(exc).__name__}: {exc}"
    return None


def main(out_dir):
    dist.init_process_group("mpi")
    r = dist.get_rank()
    xs, ys = data(dist.get_world_size())
    res = {}
    res["default"] = params(train(r, xs, ys).module)
    state = {"calls": []}
    model = train(r, xs, ys, avg_hook, state)
    res["avg_hook"] = params(model.module)
    res["avg_hook_calls"] = state["calls"][:len(model.reducer.buckets)]
    res["n_buckets"] = len(model.reducer.buckets)
    res["allreduce_hook"] = params(train(r, xs, ys, default_hooks.allreduce_hook, None).module)
    res["fp16"] = params(train(r, xs, ys, default_hooks.fp16_compress_hook, None).module)
    res["fp16_view"] = params(train(r, xs, ys, default_hooks.fp16_compress_hook, None,
                                    gradient_as_bucket_view=True).module)

    # uneven inputs: rank 0 has 3 batches, rank 1 has 5
    res["join"] = params(train(r, xs, ys, steps=3 + 2 * r, join={}).module)
    res["join_not_initial"] = params(train(r, xs, ys, steps=3 + 2 * r,
                                           join={"divide_by_initial_world_size": False}).module)
    res["join_hook"] = params(train(r, xs, ys, default_hooks.allreduce_hook, None, steps=3 + 2 * r, join={},
                                    static_graph=True).module)

    # errors
    model = DDP(make_model(seed=0))
    model.register_comm_hook(None, default_hooks.allreduce_hook)
    res["twice"] = error_of(lambda: model.register_comm_hook(None, default_hooks.allreduce_hook))
    model = DDP(make_model(seed=0))
    model(xs[0][:2]).sum().backward()
    res["late"] = error_of(lambda: model.register_comm_hook(None, default_hooks.allreduce_hook))
    res["not_callable"] = error_of(lambda: DDP(make_model(seed=0)).register_comm_hook(None, 3))

    with open(os.path.join(out_dir, f"rank{r}.json"), "w") as f:
        json.dump({"rank": r, "results": res}, f)
    dist.destroy_process_group()


if __name__ == "__main__":
    main(sys.argv[1])
