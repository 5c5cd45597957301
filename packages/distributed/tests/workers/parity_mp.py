"""Start 2 ranks with ``multiprocessing`` (no launcher, no MPI), as a torch gloo test would.

Usage: parity_mp.py OUT_DIR PORT MODE, MODE one of
  env   - MASTER_ADDR/MASTER_PORT in the environment, rank and world_size passed
  tcp   - init_method="tcp://127.0.0.1:PORT"
  file  - init_method="file://OUT_DIR/rendezvous"
  raise - rank 1 raises right after init_process_group; rank 0 must fail, not wait
Prints each process's exit code.
"""

import multiprocessing as mp
import os
import sys
from datetime import timedelta

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def main_rank(rank, out_dir, port, mode):
    import parity_worker

    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    for k in ("RANK", "WORLD_SIZE", "LANTERNA_DIST_STORE", "PMI_RANK", "OMPI_COMM_WORLD_RANK", "PMIX_RANK"):
        os.environ.pop(k, None)
    if mode == "raise":
        import lanterna as torch
        import lanterna.distributed as dist

        dist.init_process_group("gloo", rank=rank, world_size=2, timeout=timedelta(seconds=60))
        if rank == 1:
            raise RuntimeError("rank 1 fails on purpose")
        dist.all_reduce(torch.ones(2))
        return
    init = {"env": None, "tcp": f"tcp://127.0.0.1:{port}", "file": f"file://{out_dir}/rendezvous"}[mode]
    parity_worker.run(out_dir, rank, 2, init)


if __name__ == "__main__":
    out_dir, port, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    ctx = mp.get_context("spawn")
    procs = [ctx.Process(target=main_rank, args=(r, out_dir, port, mode)) for r in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    print("exitcodes", [p.exitcode for p in procs])
