"""Ranks that fail in various ways; the tests check that the job ends quickly and says why.

Usage: python -m lanterna.distributed.run --nproc-per-node 2 failure_worker.py MODE
"""

import os
import sys
import time
from datetime import timedelta

import lanterna as torch
import lanterna.distributed as dist

mode = sys.argv[1]
rank = int(os.environ.get("RANK", "0"))

if mode == "raise_before_init":
    if rank == 1:
        raise ValueError("rank one fails before init")
    dist.init_process_group("mpi")
    dist.barrier()
elif mode == "env":
    # one write with its newline: under PYTHONUNBUFFERED, print() writes text and newline separately
    # and the two ranks' lines could interleave on the shared pipe
    sys.stdout.write(f"rank={os.environ['RANK']} world={os.environ['WORLD_SIZE']} local={os.environ['LOCAL_RANK']} "
                     f"omp={os.environ.get('OMP_NUM_THREADS')}\n")
    sys.stdout.flush()
    if len(sys.argv) > 2 and sys.argv[2] == "fail" and rank == 1:
        raise KeyError("spawned rank fails")
    if len(sys.argv) > 2 and sys.argv[2] == "fail":
        time.sleep(60)
else:
    dist.init_process_group("mpi", timeout=timedelta(seconds=2))
    dist.barrier()
    if mode == "raise_after_init":
        if rank == 1:
            raise ValueError("rank one fails")
        t = torch.ones(3)
        dist.all_reduce(t)  # rank 1 never joins: the abort must end this rank
        time.sleep(60)
    elif mode in ("hang", "hang_unchecked"):
        if mode == "hang_unchecked":  # no consistency check: the data collective itself must time out
            os.environ["LANTERNA_DISTRIBUTED_CHECK"] = "0"
        if rank == 1:
            time.sleep(60)  # never calls the collective
        t = torch.ones(3)
        dist.all_reduce(t)  # times out after 2 s, names the timeout, aborts the job
    elif mode == "exit_code":
        if rank == 1:
            sys.exit(3)
        dist.all_reduce(torch.ones(3))
        time.sleep(60)
print(f"rank {rank} finished", flush=True)
