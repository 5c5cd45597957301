"""A script run by the launcher with torchrun's flags: records what a rank sees (``OUT/rank<r>.json``)."""

import json
import os
import sys

import lanterna as torch
import lanterna.distributed as dist

dist.init_process_group("gloo")
r = dist.get_rank()
t = torch.tensor([float(r + 1)])
dist.all_reduce(t)
seen = {k: os.environ.get(k) for k in ("RANK", "LOCAL_RANK", "WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT",
                                        "TORCHELASTIC_RUN_ID", "ROLE_RANK", "GROUP_WORLD_SIZE")}
doc = {"env": seen, "elastic": dist.is_torchelastic_launched(), "sum": t.item(), "world": dist.get_world_size()}
dist.destroy_process_group()
with open(os.path.join(sys.argv[1], f"rank{r}.json"), "w") as f:
    json.dump(doc, f)
