"""Benchmark workloads, written once against the PyTorch API.

Each workload is ``make(torch) -> step`` where ``torch`` is either PyTorch or Lanterna (imported
as ``torch``) and ``step()`` runs one timed iteration. ``numpy`` baselines implement the same
computation by hand on bare NumPy arrays (the floor Lanterna must stay close to).
"""

from __future__ import annotations

import numpy as np

WORKLOADS = {}


def workload(name, inner=1, libs=("lanterna", "torch")):
    def register(fn):
        WORKLOADS[name] = {"make": fn, "inner": inner, "libs": libs}
        return fn

    return register


@workload("elementwise_16", inner=2000, libs=("lanterna", "torch", "numpy"))
def elementwise_16(torch):
    """Three elementwise ops on 16-element tensors: pure dispatch overhead."""
    if torch is np:
        a, b, c = (np.random.rand(16).astype(np.float32) for _ in range(3))
    else:
        a, b, c = torch.rand(16), torch.rand(16), torch.rand(16)

    def step():
        return (a + b) * c - a

    return step


@workload("elementwise_16_backward", inner=500)
def elementwise_16_backward(torch):
    """The same three ops with requires_grad, then backward: the autograd engine's fixed cost."""
    a = torch.rand(16, requires_grad=True)
    b = torch.rand(16, requires_grad=True)
    c = torch.rand(16)

    def step():
        ((a + b) * c - a).sum().backward()

    return step


@workload("matmul_1024", inner=2, libs=("lanterna", "torch", "numpy"))
def matmul_1024(torch):
    """A 1024x1024 matmul forward and backward (three matmuls)."""
    rng = np.random.default_rng(0)
    xa = rng.standard_normal((1024, 1024)).astype(np.float32)
    wa = rng.standard_normal((1024, 1024)).astype(np.float32)
    if torch is np:
        g = np.ones((1024, 1024), np.float32)

        def step():
            y = xa @ wa
            return y, g @ wa.T, xa.T @ g

        return step
    x = torch.tensor(xa, requires_grad=True)
    w = torch.tensor(wa, requires_grad=True)

    def step():
        x.grad = w.grad = None
        (x @ w).sum().backward()

    return step


@workload("mlp_step", inner=10, libs=("lanterna", "torch", "numpy"))
def mlp_step(torch):
    """MLP 784-512-256-10, batch 128, cross-entropy, SGD with momentum: one training step."""
    rng = np.random.default_rng(0)
    xa = rng.standard_normal((128, 784)).astype(np.float32)
    ya = rng.integers(0, 10, 128)
    if torch is np:
        return _numpy_mlp_step(xa, ya)
    nn = torch.nn
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 256), nn.ReLU(), nn.Linear(256, 10))
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    x, y = torch.tensor(xa), torch.tensor(ya)

    def step():
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()

    return step


def _numpy_mlp_step(xa, ya):
    """The same MLP training step written by hand in NumPy (forward, backward, SGD momentum)."""
    rng = np.random.default_rng(1)
    sizes = [784, 512, 256, 10]
    ws = [rng.standard_normal((o, i)).astype(np.float32) * 0.05 for i, o in zip(sizes[:-1], sizes[1:])]
    bs = [np.zeros(o, np.float32) for o in sizes[1:]]
    params = ws + bs
    bufs = [np.zeros_like(p) for p in params]
    onehot = np.eye(10, dtype=np.float32)[ya]

    def step():
        acts = [xa]
        h = xa
        for i, (w, b) in enumerate(zip(ws, bs)):
            h = h @ w.T + b
            if i < 2:
                h = np.maximum(h, 0)
            acts.append(h)
        z = h - h.max(axis=1, keepdims=True)
        p = np.exp(z)
        p /= p.sum(axis=1, keepdims=True)
        g = (p - onehot) / len(ya)
        gws, gbs = [None] * 3, [None] * 3
        for i in (2, 1, 0):
            gws[i] = g.T @ acts[i]
            gbs[i] = g.sum(axis=0)
            if i:
                g = (g @ ws[i]) * (acts[i] > 0)
        for p_, g_, buf in zip(params, gws + gbs, bufs):
            buf *= 0.9
            buf += g_
            p_ -= 0.01 * buf

    return step


@workload("lenet_step", inner=3)
def lenet_step(torch):
    """LeNet-5 on a 64x1x28x28 batch with Adam: one training step."""
    nn = torch.nn
    F = torch.nn.functional
    torch.manual_seed(0)

    class LeNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(1, 6, 5, padding=2)
            self.conv2 = nn.Conv2d(6, 16, 5)
            self.fc1 = nn.Linear(16 * 5 * 5, 120)
            self.fc2 = nn.Linear(120, 84)
            self.fc3 = nn.Linear(84, 10)

        def forward(self, x):
            x = F.max_pool2d(F.relu(self.conv1(x)), 2)
            x = F.max_pool2d(F.relu(self.conv2(x)), 2)
            x = x.flatten(1)
            return self.fc3(F.relu(self.fc2(F.relu(self.fc1(x)))))

    model = LeNet()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    x = torch.randn(64, 1, 28, 28)
    y = torch.randint(0, 10, (64,))

    def step():
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        opt.step()

    return step


@workload("lstm_step", inner=2)
def lstm_step(torch):
    """LSTM seq 35, batch 32, input 64, hidden 128: forward, backward and an Adam step."""
    nn = torch.nn
    torch.manual_seed(0)
    lstm = nn.LSTM(64, 128)
    head = nn.Linear(128, 10)
    params = list(lstm.parameters()) + list(head.parameters())
    opt = torch.optim.Adam(params, lr=1e-3)
    x = torch.randn(35, 32, 64)

    def step():
        opt.zero_grad()
        out, _ = lstm(x)
        head(out).pow(2).mean().backward()
        opt.step()

    return step


def _heavy_loader(torch, num_workers):
    data = torch.utils.data

    class Heavy(data.Dataset):
        """A dataset whose __getitem__ does real CPU work (about 2 ms of NumPy per item)."""

        def __len__(self):
            return 128

        def __getitem__(self, i):
            a = np.random.default_rng(i).standard_normal((64, 64))
            for _ in range(6):
                a = np.tanh(a @ a.T / 64)
            return torch.tensor(a[0].astype(np.float32)), i

    loader = data.DataLoader(Heavy(), batch_size=16, num_workers=num_workers,
                             persistent_workers=num_workers > 0)

    def step():
        for _ in loader:
            pass

    return step


@workload("dataloader_epoch", inner=1)
def dataloader_epoch(torch):
    """One epoch of a DataLoader over a dataset with a CPU-heavy __getitem__, 2 workers."""
    return _heavy_loader(torch, 2)


@workload("dataloader_epoch_0_workers", inner=1)
def dataloader_epoch_0_workers(torch):
    """The same epoch loaded in the main process: compare with ``dataloader_epoch``."""
    return _heavy_loader(torch, 0)
