"""The main job: train a small CNN on scikit-learn's handwritten digits with Lanterna.

Written exactly as for PyTorch (``import lanterna as torch``): a Dataset and DataLoader, a CNN,
Adam, per-epoch loss and accuracy with a progress bar, a checkpoint saved, reloaded and
evaluated, and a PNG plot of the loss curve. Uses CUDA automatically where it is available.

    hatch run demo:train [--epochs N] [--out DIR]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

import lanterna as torch
import lanterna.nn as nn
import lanterna.nn.functional as F
from lanterna.utils.data import DataLoader, TensorDataset


class DigitsCNN(nn.Module):
    """Two 3x3 convolutions and a max-pool, then two linear layers: 8x8 digits -> 10 classes."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, 3, padding=1)
        self.conv2 = nn.Conv2d(16, 32, 3, padding=1)
        self.pool = nn.MaxPool2d(2)
        self.dropout = nn.Dropout(0.25)
        self.fc1 = nn.Linear(32 * 4 * 4, 64)
        self.fc2 = nn.Linear(64, 10)

    def forward(self, x):
        x = F.relu(self.conv1(x))
        x = self.pool(F.relu(self.conv2(x)))
        x = self.dropout(x.flatten(1))
        return self.fc2(F.relu(self.fc1(x)))


def load_digits_split(seed: int):
    """The 1,797 8x8 digits that ship with scikit-learn, split 80/20 with a fixed seed."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    x = (digits.images / 16.0).astype(np.float32)[:, None]  # (N, 1, 8, 8), pixel values 0..1
    y = digits.target.astype(np.int64)
    order = np.random.default_rng(seed).permutation(len(y))
    cut = int(0.8 * len(y))
    train, test = order[:cut], order[cut:]
    return (TensorDataset(torch.from_numpy(x[train]), torch.from_numpy(y[train])),
            TensorDataset(torch.from_numpy(x[test]), torch.from_numpy(y[test])))


def progress(epoch, epochs, done, total, loss, width=24):
    filled = int(width * done / total)
    bar = "#" * filled + "-" * (width - filled)
    sys.stdout.write(f"\repoch {epoch:2d}/{epochs} [{bar}] {done:4d}/{total} loss {loss:.4f}")
    sys.stdout.flush()


def evaluate(model, loader, device):
    model.eval()
    correct = total = 0
    loss_sum = 0.0
    with torch.no_grad():
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            out = model(x)
            loss_sum += F.cross_entropy(out, y, reduction="sum").item()
            correct += (out.argmax(1) == y).sum().item()
            total += len(y)
    return loss_sum / total, correct / total


def plot_losses(train_losses, test_losses, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    epochs = range(1, len(train_losses) + 1)
    ax.plot(epochs, train_losses, marker="o", label="train")
    ax.plot(epochs, test_losses, marker="s", label="test")
    ax.set_xlabel("epoch")
    ax.set_ylabel("cross-entropy loss")
    ax.set_title("Lanterna: CNN on scikit-learn digits")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default="examples/outputs", help="where the checkpoint and plot go")
    args = p.parse_args(argv)

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    torch.manual_seed(args.seed)
    train_set, test_set = load_digits_split(args.seed)
    train_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True)
    test_loader = DataLoader(test_set, batch_size=256)
    model = DigitsCNN().to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    print(model)
    print(f"device: {device}, train {len(train_set)} / test {len(test_set)} images")

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    train_losses, test_losses = [], []
    start = time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        model.train()
        running, seen = 0.0, 0
        for x, y in train_loader:
            x, y = x.to(device), y.to(device)
            optimizer.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            optimizer.step()
            running += loss.item() * len(y)
            seen += len(y)
            progress(epoch, args.epochs, seen, len(train_set), running / seen)
        test_loss, test_acc = evaluate(model, test_loader, device)
        train_losses.append(running / seen)
        test_losses.append(test_loss)
        print(f"  test loss {test_loss:.4f}  test accuracy {test_acc:.2%}")
    elapsed = time.perf_counter() - start

    ckpt = out / "digits_cnn.pt"
    torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "epochs": args.epochs}, ckpt)
    restored = DigitsCNN().to(device)
    restored.load_state_dict(torch.load(ckpt)["model"])
    _, restored_acc = evaluate(restored, test_loader, device)
    plot_losses(train_losses, test_losses, out / "loss_curve.png")
    print(f"trained {args.epochs} epochs in {elapsed:.1f} s")
    print(f"checkpoint {ckpt} reloaded: test accuracy {restored_acc:.2%}")
    print(f"loss curve written to {out / 'loss_curve.png'}")
    return restored_acc


if __name__ == "__main__":
    acc = main()
    sys.exit(0 if acc >= 0.97 else 1)
