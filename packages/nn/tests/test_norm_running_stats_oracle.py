"""PyTorch as the oracle for BatchNorm's running statistics and output: bit for bit, float32 and
float64, over several shapes, momentum and thread counts (the (N, C) kernel splits rows by thread)."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import lanterna as lt  # noqa: E402
import lanterna.nn.functional as LF  # noqa: E402

pytestmark = pytest.mark.oracle

SHAPES = [(16, 5), (3, 7), (2, 5), (64, 33), (16, 1), (1, 4, 3), (2, 3, 7), (8, 4, 10), (4, 3, 5, 6),
          (16, 1, 1, 1), (2, 3, 2, 3, 4), (8, 6, 12, 12)]


@pytest.fixture
def threads():
    before = torch.get_num_threads(), lt.get_num_threads()

    def set_both(k):
        torch.set_num_threads(k)
        lt.set_num_threads(k)

    yield set_both
    torch.set_num_threads(before[0])
    lt.set_num_threads(before[1])


def _modules(shape, dtype, momentum, affine, seed):
    rng = np.random.default_rng(seed)
    w = rng.standard_normal(shape[1]).astype(dtype)
    b = rng.standard_normal(shape[1]).astype(dtype)
    mods = []
    for lib in (torch, lt):
        cls = {2: lib.nn.BatchNorm1d, 3: lib.nn.BatchNorm1d, 4: lib.nn.BatchNorm2d, 5: lib.nn.BatchNorm3d}
        m = cls[len(shape)](shape[1], momentum=momentum, affine=affine, dtype=getattr(lib, np.dtype(dtype).name))
        if affine:
            with lib.no_grad():
                m.weight.copy_(lib.tensor(w))
                m.bias.copy_(lib.tensor(b))
        mods.append(m)
    return mods


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("momentum", [0.1, None])
@pytest.mark.parametrize("k", [1, 2, 3, 8])
def test_batchnorm_bit_identical(dtype, shape, momentum, k, threads):
    threads(k)
    tm, lm = _modules(shape, dtype, momentum, True, 7)
    rng = np.random.default_rng(0)
    for step in range(4):
        x = (rng.standard_normal(shape) * 3 + 1.5).astype(dtype)
        training = step < 3
        t_out = tm.train(training)(torch.tensor(x)).detach().numpy()
        l_out = lm.train(training)(lt.tensor(x)).detach().numpy()
        np.testing.assert_array_equal(lm.running_mean.numpy(), tm.running_mean.numpy())
        np.testing.assert_array_equal(lm.running_var.numpy(), tm.running_var.numpy())
        assert int(lm.num_batches_tracked) == int(tm.num_batches_tracked)
        if dtype == np.float32:
            np.testing.assert_array_equal(l_out, t_out)
        else:  # float64 output: the product rounded before the add (PyTorch fuses it), within an ulp
            np.testing.assert_allclose(l_out, t_out, rtol=4e-16, atol=4e-16)


@pytest.mark.parametrize("shape", [(5, 3), (4, 3, 6), (2, 3, 4, 4)])
def test_functional_no_affine(shape):
    rng = np.random.default_rng(1)
    x = rng.standard_normal(shape).astype(np.float32)
    rm = rng.standard_normal(shape[1]).astype(np.float32)
    rv = rng.random(shape[1]).astype(np.float32) + 0.5
    for training in (True, False):
        for eps in (1e-5, 0.1) if training else (1e-5, 0.0):  # PyTorch refuses eps <= 0 in training
            trm, trv, lrm, lrv = torch.tensor(rm), torch.tensor(rv), lt.tensor(rm), lt.tensor(rv)
            t = torch.nn.functional.batch_norm(torch.tensor(x), trm, trv, None, None, training, 0.3, eps)
            lo = LF.batch_norm(lt.tensor(x), lrm, lrv, None, None, training, 0.3, eps)
            np.testing.assert_array_equal(lo.numpy(), t.numpy())
            np.testing.assert_array_equal(lrm.numpy(), trm.numpy())
            np.testing.assert_array_equal(lrv.numpy(), trv.numpy())


@pytest.mark.parametrize("shape", [(4, 3, 10), (2, 3, 5, 6)])
def test_instance_norm_running_stats_float32(shape):
    mods = [lib.nn.InstanceNorm1d(3, track_running_stats=True) if len(shape) == 3
            else lib.nn.InstanceNorm2d(3, track_running_stats=True) for lib in (torch, lt)]
    rng = np.random.default_rng(2)
    for _ in range(3):
        x = (rng.standard_normal(shape) * 3 + 1.5).astype(np.float32)
        t = mods[0](torch.tensor(x)).numpy()
        lo = mods[1](lt.tensor(x)).numpy()
        np.testing.assert_array_equal(lo, t)
        np.testing.assert_array_equal(mods[1].running_mean.numpy(), mods[0].running_mean.numpy())
        np.testing.assert_array_equal(mods[1].running_var.numpy(), mods[0].running_var.numpy())


def test_gradients_match():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((6, 3, 4)).astype(np.float64)
    grads = []
    for lib in (torch, lt):
        xt = lib.tensor(x, requires_grad=True)
        m = lib.nn.BatchNorm1d(3, dtype=lib.float64)
        (m(xt) ** 2).sum().backward()
        grads.append((xt.grad.numpy(), m.weight.grad.numpy(), m.bias.grad.numpy()))
    for t, lo in zip(*grads):
        np.testing.assert_allclose(lo, t, rtol=1e-10, atol=1e-12)
