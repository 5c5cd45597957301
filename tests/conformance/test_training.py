"""A few training steps on the device give the CPU's numbers: plain tensors + autograd always,
``lanterna.nn`` / ``lanterna.optim`` models where those packages are installed."""

import numpy as np
import pytest

import lanterna as torch

from .helpers import assert_matches, host

STEPS = 5


def _data():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((16, 5)).astype(np.float32)
    y = rng.integers(0, 3, 16).astype(np.int64)
    return x, y


def _train_plain(device):
    """A two-layer MLP with softmax cross-entropy written in tensor ops, plain SGD."""
    torch.manual_seed(0)
    w1 = (torch.randn(5, 8) * 0.5).to(device).requires_grad_()
    b1 = torch.zeros(8, device=device, requires_grad=True)
    w2 = (torch.randn(8, 3) * 0.5).to(device).requires_grad_()
    xs, ys = _data()
    x, y = torch.tensor(xs, device=device), torch.tensor(ys, device=device)
    losses = []
    for _ in range(STEPS):
        h = torch.tanh(x @ w1 + b1)
        logits = h @ w2
        logp = logits - torch.logsumexp(logits, dim=1, keepdim=True)
        loss = -logp.gather(1, y.unsqueeze(1)).mean()
        for p in (w1, b1, w2):
            p.grad = None
        loss.backward()
        with torch.no_grad():
            for p in (w1, b1, w2):
                p -= 0.5 * p.grad
        losses.append(loss.item())
    return losses, [w1, b1, w2]


def test_plain_autograd_training_matches_cpu(device):
    ref_losses, ref_params = _train_plain("cpu")
    losses, params = _train_plain(device)
    np.testing.assert_allclose(losses, ref_losses, rtol=1e-5)
    assert losses[-1] < losses[0]
    for p, r in zip(params, ref_params):
        assert_matches(p.detach(), r.detach(), device, rtol=1e-5, atol=1e-6)


def _nn_or_skip():
    try:
        nn = torch.nn
        optim = torch.optim
        needed = (nn.Module, nn.Linear, nn.ReLU, nn.Sequential, nn.CrossEntropyLoss, optim.SGD, optim.Adam)
    except (ImportError, AttributeError) as exc:
        pytest.skip(f"lanterna.nn / lanterna.optim not complete here: {exc}")
    return nn, optim, needed


@pytest.mark.parametrize("opt", ["SGD", "Adam"])
def test_nn_module_training_matches_cpu(device, opt):
    nn, optim, _ = _nn_or_skip()

    def run(dev):
        torch.manual_seed(0)
        model = nn.Sequential(nn.Linear(5, 8), nn.ReLU(), nn.Linear(8, 3))
        model = model.to(dev)
        for p in model.parameters():
            assert p.device.type == dev
        optimizer = getattr(optim, opt)(model.parameters(), lr=0.1)
        loss_fn = nn.CrossEntropyLoss()
        xs, ys = _data()
        x, y = torch.tensor(xs).to(dev), torch.tensor(ys).to(dev)
        losses = []
        for _ in range(STEPS):
            optimizer.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        return losses, model

    ref_losses, ref_model = run("cpu")
    losses, model = run(device)
    np.testing.assert_allclose(losses, ref_losses, rtol=1e-5)
    for (name, p), (_, r) in zip(model.named_parameters(), ref_model.named_parameters()):
        assert_matches(p.detach(), r.detach(), device, rtol=1e-4, atol=1e-5)
    # state_dict round trip through the CPU
    state = {k: v.cpu() for k, v in model.state_dict().items()}
    model.cpu().load_state_dict(state)
    assert all(p.device.type == "cpu" for p in model.parameters())


def test_nn_state_dict_loads_onto_the_device(device):
    nn, _, _ = _nn_or_skip()
    torch.manual_seed(1)
    src = nn.Linear(3, 2)
    dst = nn.Linear(3, 2).to(device)
    dst.load_state_dict(src.state_dict())
    for p, q in zip(dst.parameters(), src.parameters()):
        assert p.device.type == device
        np.testing.assert_array_equal(host(p), host(q))
