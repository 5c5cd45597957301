"""Linear regression: fit y = 2x + 1 with ``nn.Linear``, SGD and ``MSELoss``.

The first model of every PyTorch course, unchanged but for the import::

    python examples/linear_regression.py [--steps N] [--lr LR]

prints the loss as it trains, then the learned weight (about 2) and bias (about 1).
"""

from __future__ import annotations

import argparse

import lanterna as torch
import lanterna.nn as nn


def make_data(n: int = 100, noise: float = 0.1):
    """``n`` points of ``y = 2x + 1`` plus Gaussian noise."""
    x = torch.randn(n, 1)
    y = 2 * x + 1 + noise * torch.randn(n, 1)
    return x, y


def train(steps: int = 200, lr: float = 0.1, seed: int = 0, log_every: int = 20):
    """Fit ``nn.Linear(1, 1)`` to the data; return the model and the loss of each step."""
    torch.manual_seed(seed)
    x, y = make_data()
    model = nn.Linear(1, 1)
    criterion = nn.MSELoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    losses = []
    for step in range(1, steps + 1):
        optimizer.zero_grad()
        loss = criterion(model(x), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        if step % log_every == 0 or step == steps:
            print(f"step {step:4d}  loss {loss.item():.6f}")
    return model, losses


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=200, help="SGD steps (default 200)")
    parser.add_argument("--lr", type=float, default=0.1, help="learning rate (default 0.1)")
    args = parser.parse_args(argv)
    model, losses = train(args.steps, args.lr)
    weight, bias = model.weight.item(), model.bias.item()
    print(f"learned weight {weight:.4f} (true 2), bias {bias:.4f} (true 1)")
    return weight, bias, losses


if __name__ == "__main__":
    main()
