"""PyTorch models and optimizers exchange checkpoints with lanterna's, in both directions."""

import io

import numpy as np
import pytest

torch = pytest.importorskip("torch")
import lanterna  # noqa: E402

pytestmark = pytest.mark.oracle

lnn = pytest.importorskip("lanterna.nn")
loptim = pytest.importorskip("lanterna.optim")
if not all(hasattr(lnn, n) for n in ("Sequential", "Linear", "BatchNorm1d", "ReLU")) or not hasattr(
    loptim, "Adam"
):
    pytest.skip("lanterna.nn / lanterna.optim layers are not available yet", allow_module_level=True)


def build(lib, nn):
    # BatchNorm after the ReLU: a Linear bias straight before BatchNorm gets a zero gradient up to
    # rounding noise, which Adam would amplify into arbitrary (library-dependent) updates.
    return nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.BatchNorm1d(8), nn.Linear(8, 2))


def data(i):
    rng = np.random.default_rng(i)
    return rng.standard_normal((6, 4), dtype=np.float32), rng.standard_normal((6, 2), dtype=np.float32)


def train(lib, model, opt, steps, start=0):
    for i in range(start, start + steps):
        x, y = (lib.from_numpy(a) for a in data(i))
        opt.zero_grad()
        ((model(x) - y) ** 2).mean().backward()
        opt.step()


def through_bytes(save, load, obj):
    buf = io.BytesIO()
    save(obj, buf)
    buf.seek(0)
    return load(buf)


def close(a, b):
    return np.allclose(np.asarray(a.detach().numpy()), np.asarray(b.detach().numpy()), rtol=1e-5, atol=1e-6)


def test_torch_checkpoint_resumes_in_lanterna():
    torch.manual_seed(0)
    tmodel = build(torch, torch.nn)
    topt = torch.optim.Adam(tmodel.parameters(), lr=1e-2)
    train(torch, tmodel, topt, 2)
    ckpt = through_bytes(
        torch.save, lanterna.load, {"model": tmodel.state_dict(), "optim": topt.state_dict()}
    )

    lmodel = build(lanterna, lnn)
    lmodel.load_state_dict(ckpt["model"])
    lopt = loptim.Adam(lmodel.parameters(), lr=1e-2)
    lopt.load_state_dict(ckpt["optim"])
    train(torch, tmodel, topt, 3, start=2)
    train(lanterna, lmodel, lopt, 3, start=2)
    for (k, a), (_, b) in zip(tmodel.state_dict().items(), lmodel.state_dict().items()):
        assert close(a, b), k


def test_lanterna_checkpoint_resumes_in_torch():
    lanterna.manual_seed(0)
    lmodel = build(lanterna, lnn)
    lopt = loptim.Adam(lmodel.parameters(), lr=1e-2)
    train(lanterna, lmodel, lopt, 2)
    ckpt = through_bytes(
        lanterna.save, torch.load, {"model": lmodel.state_dict(), "optim": lopt.state_dict()}
    )

    tmodel = build(torch, torch.nn)
    tmodel.load_state_dict(ckpt["model"])
    topt = torch.optim.Adam(tmodel.parameters(), lr=1e-2)
    topt.load_state_dict(ckpt["optim"])
    train(lanterna, lmodel, lopt, 3, start=2)
    train(torch, tmodel, topt, 3, start=2)
    for (k, a), (_, b) in zip(lmodel.state_dict().items(), tmodel.state_dict().items()):
        assert close(a, b), k
    tmodel.eval(), lmodel.eval()
    x, _ = data(50)
    assert close(tmodel(torch.from_numpy(x)), lmodel(lanterna.from_numpy(x)))
