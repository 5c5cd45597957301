"""Plot sigmoid, tanh, ReLU and softplus, and their derivatives computed by autograd, to a PNG file.

    python examples/activations_plot.py [--out DIR]

Needs matplotlib (``pip install matplotlib``); writes ``activations.png``.
"""

from __future__ import annotations

import argparse
import os
import tempfile

import lanterna as torch
import lanterna.nn.functional as F

ACTIVATIONS = {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": F.relu, "softplus": F.softplus}


def values_and_slopes(fn, x):
    """``fn(x)`` and ``d fn / dx`` at every point of ``x``, by autograd."""
    x = x.detach().requires_grad_()
    y = fn(x)
    (slope,) = torch.autograd.grad(y.sum(), x)
    return y.detach(), slope


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=None, help="output folder (default: a temporary one)")
    args = parser.parse_args(argv)
    out_dir = args.out or tempfile.mkdtemp(prefix="lanterna-examples-")
    os.makedirs(out_dir, exist_ok=True)

    import matplotlib

    matplotlib.use("Agg")  # render to a file, never open a window
    import matplotlib.pyplot as plt

    x = torch.linspace(-5, 5, 200)
    fig, axes = plt.subplots(2, 2, figsize=(8, 6))
    for ax, (name, fn) in zip(axes.flat, ACTIVATIONS.items()):
        y, slope = values_and_slopes(fn, x)
        ax.plot(x.numpy(), y.numpy(), c="red", label=name)
        ax.plot(x.numpy(), slope.numpy(), c="gray", ls="--", label=f"d {name}/dx")
        ax.axhline(0, lw=0.5, c="black")
        ax.legend(loc="best")
        print(f"{name:8s} at x=0: value {fn(torch.zeros(1)).item():.4f}, max slope {slope.max().item():.4f}")
    fig.tight_layout()
    path = os.path.join(out_dir, "activations.png")
    fig.savefig(path)
    plt.close(fig)
    print(f"saved {path}")
    return path


if __name__ == "__main__":
    main()
