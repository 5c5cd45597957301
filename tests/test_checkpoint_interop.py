"""Checkpoints across packages: nn models and optim state through lanterna.save / lanterna.load."""

import pickle

import lanterna as torch
import pytest

nn = pytest.importorskip("lanterna.nn")
optim = pytest.importorskip("lanterna.optim")
if not all(
    hasattr(nn, n) for n in ("Sequential", "Linear", "BatchNorm1d", "ReLU", "Parameter")
) or not hasattr(optim, "Adam"):
    pytest.skip("lanterna.nn / lanterna.optim layers are not available yet", allow_module_level=True)


def make_model(seed=0):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 2))


def batch(i):
    torch.manual_seed(100 + i)
    return torch.randn(6, 4), torch.randn(6, 2)


def train(model, opt, steps, start=0):
    for i in range(start, start + steps):
        x, y = batch(i)
        opt.zero_grad()
        ((model(x) - y) ** 2).mean().backward()
        opt.step()


def test_state_dict_roundtrip_restores_parameters_and_buffers(tmp_path):
    model = make_model()
    train(model, optim.SGD(model.parameters(), lr=0.1), 2)
    torch.save(model.state_dict(), tmp_path / "model.pt")
    fresh = make_model(seed=1)
    result = fresh.load_state_dict(torch.load(tmp_path / "model.pt"))
    assert list(result.missing_keys) == [] and list(result.unexpected_keys) == []
    for (k, a), (_, b) in zip(model.state_dict().items(), fresh.state_dict().items()):
        assert torch.equal(a, b), k
    assert fresh[1].num_batches_tracked.item() == 2
    model.eval(), fresh.eval()
    x, _ = batch(99)
    assert torch.equal(model(x), fresh(x))


def test_resuming_from_a_checkpoint_continues_identically(tmp_path):
    model = make_model()
    opt = optim.Adam(model.parameters(), lr=1e-2)
    train(model, opt, 2)
    torch.save({"model": model.state_dict(), "optim": opt.state_dict(), "epoch": 2}, tmp_path / "ckpt.pt")
    train(model, opt, 3, start=2)

    ckpt = torch.load(tmp_path / "ckpt.pt")
    resumed = make_model(seed=5)
    resumed.load_state_dict(ckpt["model"])
    opt2 = optim.Adam(resumed.parameters(), lr=1e-2)
    opt2.load_state_dict(ckpt["optim"])
    train(resumed, opt2, 3, start=ckpt["epoch"])
    for (k, a), (_, b) in zip(model.state_dict().items(), resumed.state_dict().items()):
        assert torch.equal(a, b), k


def test_whole_model_needs_weights_only_false(tmp_path):
    model = make_model()
    model.eval()
    torch.save(model, tmp_path / "whole.pt")
    with pytest.raises(pickle.UnpicklingError, match=r"(?s)Weights only load failed.*Unsupported global"):
        torch.load(tmp_path / "whole.pt")
    loaded = torch.load(tmp_path / "whole.pt", weights_only=False)
    assert type(loaded) is type(model) and type(loaded[0].weight) is nn.Parameter
    x, _ = batch(7)
    assert torch.equal(loaded(x), model(x))


def test_tied_parameters_stay_tied(tmp_path):
    model = nn.Sequential(nn.Linear(3, 3, bias=False), nn.Linear(3, 3, bias=False))
    model[1].weight = model[0].weight
    torch.save(model, tmp_path / "tied.pt")
    loaded = torch.load(tmp_path / "tied.pt", weights_only=False)
    assert loaded[1].weight is loaded[0].weight
    sd = model.state_dict(keep_vars=True)
    torch.save(sd, tmp_path / "sd.pt")
    out = torch.load(tmp_path / "sd.pt")
    assert out["0.weight"] is out["1.weight"]
