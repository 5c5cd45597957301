"""Runs one workload in a fresh process and prints its timing as JSON (used by run.py)."""

import json
import resource
import sys
import time


def _peak_rss_kb():
    """This process's own peak resident memory (VmHWM: unlike ru_maxrss, reset by exec)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def main():
    lib, name, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3])
    sys.path.insert(0, __file__.rsplit("/", 1)[0])
    import numpy as np

    if lib == "torch":
        import torch

        torch.set_num_threads(int(sys.argv[4]) if len(sys.argv) > 4 else 2)
    elif lib == "lanterna":
        import lanterna as torch  # noqa: F401
    else:
        torch = np
    from workloads import WORKLOADS

    w = WORKLOADS[name]
    step = w["make"](torch)
    inner = w["inner"]
    for _ in range(max(1, inner // 4)):
        step()
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        for _ in range(inner):
            step()
        times.append((time.perf_counter() - t0) / inner)
    times.sort()
    peak_kb = _peak_rss_kb()
    print(json.dumps({"median_s": times[len(times) // 2], "min_s": times[0], "peak_mb": peak_kb / 1024}))


if __name__ == "__main__":
    main()
