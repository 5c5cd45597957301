"""Optimizer step cost over many parameters: Lanterna vs PyTorch (CPU) vs a bare-NumPy floor.

Usage: ``python benchmarks/optim_step.py [--params 100] [--size 1000] [--repeat 15]``
(PyTorch columns appear where torch is installed, e.g. ``hatch run bench:python benchmarks/optim_step.py``).

The gradients are fixed, so each timed call is exactly one ``optimizer.step()``; figures are the
best of ``--repeat`` rounds of 20 steps, in milliseconds per step. PyTorch runs single-threaded, as
tensors of 1000 elements do not benefit from threads.
"""

from __future__ import annotations

import argparse
import timeit

import numpy as np


def numpy_adam(n, size):
    """Adam's arithmetic on bare arrays, one parameter at a time: the floor for a loop of array ops."""
    rng = np.random.default_rng(0)
    ps = [rng.standard_normal(size).astype(np.float32) for _ in range(n)]
    gs = [rng.standard_normal(size).astype(np.float32) for _ in range(n)]
    ms = [np.zeros(size, np.float32) for _ in range(n)]
    vs = [np.zeros(size, np.float32) for _ in range(n)]

    def step():
        for p, g, m, v in zip(ps, gs, ms, vs):
            m += (g - m) * 0.1
            v *= 0.999
            v += 0.001 * g * g
            denom = np.sqrt(v)
            denom /= 0.0316
            denom += 1e-8
            p += -0.01 * m / denom

    return step


def library_step(lib, name, n, size, **kw):
    rng = np.random.default_rng(0)
    params = [lib.tensor(rng.standard_normal(size).astype(np.float32), requires_grad=True) for _ in range(n)]
    for p in params:
        p.grad = lib.tensor(rng.standard_normal(size).astype(np.float32))
    opt = getattr(lib.optim, name)(params, **kw)
    opt.step()  # create the state outside the timing
    return opt.step


def best_ms(fn, repeat, number=20):
    return min(timeit.repeat(fn, number=number, repeat=repeat)) / number * 1e3


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--params", type=int, default=100)
    parser.add_argument("--size", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args(argv)
    n, size = args.params, args.size

    import lanterna

    try:
        import torch

        torch.set_num_threads(1)
    except ImportError:
        torch = None

    rows = [("numpy floor (Adam arithmetic)", numpy_adam(n, size))]
    for name, kw in [("Adam", {"lr": 1e-3}), ("AdamW", {"lr": 1e-3}), ("SGD", {"lr": 0.1, "momentum": 0.9})]:
        rows.append((f"lanterna {name} (default: foreach)", library_step(lanterna, name, n, size, **kw)))
        rows.append((f"lanterna {name} foreach=False", library_step(lanterna, name, n, size, foreach=False, **kw)))
        if torch is not None:
            rows.append((f"torch    {name} (default: for-loop on CPU)", library_step(torch, name, n, size, **kw)))
            rows.append((f"torch    {name} foreach=True", library_step(torch, name, n, size, foreach=True, **kw)))
    # interleave the rounds so that drift in the machine's speed hits every row alike
    times = {label: float("inf") for label, _ in rows}
    for _ in range(args.repeat):
        for label, fn in rows:
            times[label] = min(times[label], best_ms(fn, repeat=1))
    print(f"optimizer.step() over {n} parameters of {size} float32 (ms per step, best of {args.repeat})")
    for label, _ in rows:
        print(f"  {label:45s} {times[label]:8.3f}")


if __name__ == "__main__":
    main()
