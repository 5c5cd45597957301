"""DDP on 2 ranks: training, no_sync, unused parameters, bucket views, buffers, state_dict.

Usage: python -m lanterna.distributed.run --nproc-per-node 2 ddp_worker.py OUT_DIR
Rank r trains on rows [r*B, (r+1)*B) of each step's batch; the tests compare with one process
training on the whole batch.
"""

import json
import os
import sys

import lanterna as torch
import lanterna.distributed as dist
from ddp_models import LOCAL_BATCH, STEPS, data, make_model, params, sgd_step
from lanterna.nn.parallel import DistributedDataParallel as DDP


def local(t, r):
    return t[r * LOCAL_BATCH:(r + 1) * LOCAL_BATCH]


def train(r, xs, ys, **ddp_kwargs):
    model = DDP(make_model(seed=r), bucket_cap_mb=0.002, **ddp_kwargs)  # several buckets
    for step in range(STEPS):
        model.zero_grad()
        out = model(local(xs[step], r), use_extra=not ddp_kwargs.get("find_unused_parameters"))
        ((out - local(ys[step], r)) ** 2).mean().backward()
        sgd_step(model)
    return model


def main(out_dir):
    dist.init_process_group("mpi")
    r, n = dist.get_rank(), dist.get_world_size()
    xs, ys = data(n)
    res = {}

    model = train(r, xs, ys)
    res["n_buckets"] = len(model.reducer.buckets)
    res["keys"] = list(model.state_dict().keys())
    res["train"] = params(model.module)
    res["buffer_after_forward"] = None

    # no_sync: accumulate two micro-batches locally, synchronise on the third
    model = DDP(make_model(seed=r))
    model.zero_grad()
    with model.no_sync():
        for step in range(2):
            ((model(local(xs[step], r)) - local(ys[step], r)) ** 2).mean().backward()
    res["no_sync_local"] = {k: p.grad.tolist() for k, p in model.module.named_parameters()}
    ((model(local(xs[2], r)) - local(ys[2], r)) ** 2).mean().backward()
    res["no_sync_grads"] = {k: p.grad.tolist() for k, p in model.module.named_parameters()}

    # find_unused_parameters: `extra` is never used; backward must not wait for it
    model = train(r, xs, ys, find_unused_parameters=True)
    res["unused"] = params(model.module)
    res["unused_extra_grad"] = model.module.extra.weight.grad is None

    # gradients as views into the buckets
    model = train(r, xs, ys, gradient_as_bucket_view=True)
    res["bucket_view"] = params(model.module)

    # buffers follow rank 0's at each forward
    model = DDP(make_model(seed=0))
    with torch.no_grad():
        model.module.seen.fill_(10.0 + r)
    model(xs[0][:2])
    res["buffer_after_forward"] = model.module.seen.tolist()

    # DistributedSampler end to end: each rank loads its shard, a new order every epoch
    from lanterna.utils.data import DataLoader, DistributedSampler, TensorDataset

    dataset = TensorDataset(torch.arange(11))
    sampler = DistributedSampler(dataset, shuffle=True, seed=7)
    loader = DataLoader(dataset, batch_size=2, sampler=sampler)
    epochs = []
    for epoch in range(2):
        sampler.set_epoch(epoch)
        epochs.append([i for (batch,) in loader for i in batch.tolist()])
    res["sampler"] = epochs

    with open(os.path.join(out_dir, f"rank{r}.json"), "w") as f:
        json.dump({"rank": r, "results": res}, f)
    dist.destroy_process_group()


if __name__ == "__main__":
    main(sys.argv[1])
