"""End to end: an MLP and a LeNet-style CNN learn (the loss falls) with plain SGD steps."""

import numpy as np

import lanterna as torch
import lanterna.nn as nn
import lanterna.nn.functional as F


def sgd_step(model, lr):
    with torch.no_grad():
        for p in model.parameters():
            p -= lr * p.grad
    model.zero_grad()


class TinyAdam:
    """Adam written out (the nn tests do not depend on lanterna-optim)."""

    def __init__(self, params, lr):
        self.params, self.lr, self.t = list(params), lr, 0
        self.m = [torch.zeros_like(p) for p in self.params]
        self.v = [torch.zeros_like(p) for p in self.params]

    def step(self):
        self.t += 1
        with torch.no_grad():
            for p, m, v in zip(self.params, self.m, self.v):
                m.mul_(0.9).add_(0.1 * p.grad)
                v.mul_(0.999).add_(0.001 * p.grad * p.grad)
                p -= self.lr * (m / (1 - 0.9 ** self.t)) / ((v / (1 - 0.999 ** self.t)).sqrt() + 1e-8)
                p.grad = None


def test_mlp_learns_two_moons():
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    n = 200
    t = rng.uniform(0, np.pi, n)
    x = np.concatenate([np.stack([np.cos(t), np.sin(t)], 1), np.stack([1 - np.cos(t), 0.5 - np.sin(t)], 1)])
    x += rng.normal(0, 0.1, x.shape)
    y = np.concatenate([np.zeros(n), np.ones(n)]).astype(np.int64)
    X, Y = torch.tensor(x, dtype=torch.float32), torch.tensor(y)
    model = nn.Sequential(nn.Linear(2, 32), nn.ReLU(), nn.Linear(32, 32), nn.Tanh(), nn.Linear(32, 2))
    loss_fn = nn.CrossEntropyLoss()
    losses = []
    for _ in range(150):
        loss = loss_fn(model(X), Y)
        loss.backward()
        sgd_step(model, 0.5)
        losses.append(float(loss))
    assert losses[-1] < 0.25 * losses[0]
    acc = float((model(X).argmax(1) == Y).float().mean())
    assert acc > 0.95


class LeNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5, padding=2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 3 * 3, 64)
        self.fc2 = nn.Linear(64, 10)
        self.drop = nn.Dropout(0.1)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = x.view(x.size(0), -1)
        return self.fc2(self.drop(F.relu(self.fc1(x))))


def test_lenet_learns_synthetic_digits():
    torch.manual_seed(0)
    rng = np.random.default_rng(1)
    # ten fixed random 16x16 "glyphs", shown with noise and a random shift
    glyphs = rng.uniform(0, 1, (10, 16, 16)) > 0.6
    n = 48
    labels = rng.integers(0, 10, n)
    images = np.zeros((n, 1, 20, 20), dtype=np.float32)
    for i, c in enumerate(labels):
        dy, dx = rng.integers(0, 5, 2)
        images[i, 0, dy:dy + 16, dx:dx + 16] = glyphs[c]
    images += rng.normal(0, 0.2, images.shape).astype(np.float32)
    X, Y = torch.tensor(images), torch.tensor(labels)
    model = LeNet()
    opt = TinyAdam(model.parameters(), 0.01)
    losses = []
    for _ in range(14):
        loss = F.cross_entropy(model(X), Y)
        loss.backward()
        opt.step()
        losses.append(float(loss))
    # PyTorch, seeded alike, follows the same curve: 2.328 -> 1.297
    assert losses[-1] < 0.7 * losses[0]
    assert all(b < a + 0.05 for a, b in zip(losses, losses[1:]))
