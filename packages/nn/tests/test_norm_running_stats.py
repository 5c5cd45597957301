"""BatchNorm's batch statistics, running statistics and output follow PyTorch's CPU kernels
(aten/src/ATen/native/Normalization.cpp, cpu/batch_norm_kernel.cpp) operation by operation, so
they agree with PyTorch bit for bit. The references here spell those kernels out in plain Python
loops; test_norm_running_stats_oracle.py compares with PyTorch itself."""

from fractions import Fraction

import numpy as np
import pytest

import lanterna as lt
import lanterna.nn as lnn


def _fma(a, b, c, dtype):
    """``a * b + c`` rounded once to ``dtype``."""
    return dtype(float(Fraction(float(a)) * Fraction(float(b)) + Fraction(float(c))))


def _update(rm, rv, mean, var_sum, n, momentum, dtype):
    """batch_norm_cpu_update_stats_template: momentum cast to the parameter dtype; the mean blended
    in that dtype; the unbiased variance (a ``dtype`` division) blended in float64."""
    m = dtype(momentum)
    new_rm = m * mean + (dtype(1) - m) * rm
    unbiased = np.float64(var_sum / dtype(n - 1))
    new_rv = dtype(np.float64(m) * unbiased + np.float64((dtype(1) - m) * rv))
    return new_rm, new_rv


def _stats_planes(x, c, dtype):
    """batch_norm_cpu_collect_stats_contiguous_impl for one channel of (N, C, S) input: float64
    running sums over (batch, spatial), in that order."""
    vals = [v for plane in x[:, c] for v in plane]
    s = 0.0
    for v in vals:
        s += float(v)
    mean = dtype(s / len(vals))
    acc = 0.0
    for v in vals:
        d = dtype(v) - mean
        acc += float(d * d)
    return mean, dtype(acc)


def _stats_rows(x, c, threads, dtype):
    """batch_norm_cpu_collect_stats_channels_last_impl for one channel of (N, C) input: each thread's
    block of rows summed in ``dtype`` (squares added by fused multiply-add), blocks added in float64."""
    n = x.shape[0]
    threads = 1 if n <= threads else threads
    chunk = -(-n // threads)
    blocks = [x[i:i + chunk, c] for i in range(0, n, chunk)]
    sums = []
    for blk in blocks:
        s = dtype(0)
        for v in blk:
            s = dtype(s + v)
        sums.append(s)
    total = 0.0
    for s in sums:
        total += float(s)
    mean = dtype(total / n)
    total = 0.0
    for blk in blocks:
        acc = dtype(0)
        for v in blk:
            d = dtype(v - mean)
            acc = _fma(d, d, acc, dtype)
        total += float(acc)
    return mean, dtype(total)


@pytest.fixture
def threads():
    before = lt.get_num_threads()
    yield lambda k: lt.set_num_threads(k)
    lt.set_num_threads(before)


def _run_bn(module, x, steps=1):
    out = None
    for _ in range(steps):
        out = module(lt.tensor(x))
    return out


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(4, 3, 6), (3, 2, 4, 4), (2, 3, 2, 2, 2)])
def test_running_stats_planes(dtype, shape):
    rng = np.random.default_rng(1)
    x = (rng.standard_normal(shape) * 3 + 1.5).astype(dtype)
    cls = {3: lnn.BatchNorm1d, 4: lnn.BatchNorm2d, 5: lnn.BatchNorm3d}[len(shape)]
    bn = cls(shape[1], dtype=getattr(lt, np.dtype(dtype).name))
    bn(lt.tensor(x))
    flat = x.reshape(shape[0], shape[1], -1)
    n = flat.shape[0] * flat.shape[2]
    for c in range(shape[1]):
        mean, var_sum = _stats_planes(flat, c, dtype)
        rm, rv = _update(dtype(0), dtype(1), mean, var_sum, n, 0.1, dtype)
        assert bn.running_mean.numpy()[c] == rm
        assert bn.running_var.numpy()[c] == rv


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n,k", [(16, 1), (16, 2), (17, 4), (3, 8), (64, 3)])
def test_running_stats_rows_follow_thread_blocks(dtype, n, k, threads):
    threads(k)
    rng = np.random.default_rng(2)
    x = (rng.standard_normal((n, 5)) * 3 + 1.5).astype(dtype)
    bn = lnn.BatchNorm1d(5, momentum=None, dtype=getattr(lt, np.dtype(dtype).name))
    bn(lt.tensor(x))  # momentum None, first batch: factor 1
    for c in range(5):
        mean, var_sum = _stats_rows(x, c, k, dtype)
        rm, rv = _update(dtype(0), dtype(1), mean, var_sum, n, 1.0, dtype)
        assert bn.running_mean.numpy()[c] == rm
        assert bn.running_var.numpy()[c] == rv


def test_cumulative_average_momentum_none():
    rng = np.random.default_rng(3)
    bn = lnn.BatchNorm2d(2, momentum=None)
    rm, rv = np.zeros(2, np.float32), np.ones(2, np.float32)
    for step in range(1, 4):
        x = rng.standard_normal((3, 2, 3, 3)).astype(np.float32)
        bn(lt.tensor(x))
        flat = x.reshape(3, 2, -1)
        for c in range(2):
            mean, var_sum = _stats_planes(flat, c, np.float32)
            rm[c], rv[c] = _update(rm[c], rv[c], mean, var_sum, 27, 1.0 / step, np.float32)
        np.testing.assert_array_equal(bn.running_mean.numpy(), rm)
        np.testing.assert_array_equal(bn.running_var.numpy(), rv)


def test_output_is_fused_affine_of_invstd():
    """out = fma(x, alpha, beta), alpha = invstd * w, beta = fma(-mean, alpha, b), in float32;
    train: invstd = 1 / sqrt(var_sum / n + eps) in float64; eval: 1 / sqrt(rv + eps) in float32."""
    rng = np.random.default_rng(4)
    x = (rng.standard_normal((4, 2, 5)) * 3 + 1.5).astype(np.float32)
    w = rng.standard_normal(2).astype(np.float32)
    b = rng.standard_normal(2).astype(np.float32)
    bn = lnn.BatchNorm1d(2)
    with lt.no_grad():
        bn.weight.copy_(lt.tensor(w))
        bn.bias.copy_(lt.tensor(b))
    for training in (True, False):
        rm, rv = bn.running_mean.numpy().copy(), bn.running_var.numpy().copy()
        out = bn.train(training)(lt.tensor(x)).detach().numpy()
        for c in range(2):
            if training:
                mean, var_sum = _stats_planes(x, c, np.float32)
                invstd = np.float32(1.0 / np.sqrt(np.float64(var_sum / np.float32(20)) + 1e-5))
            else:
                mean, invstd = rm[c], np.float32(1) / np.sqrt(rv[c] + np.float32(1e-5))
            alpha = invstd * w[c]
            beta = _fma(-mean, alpha, b[c], np.float32)
            expect = [_fma(v, alpha, beta, np.float32) for v in x[:, c].ravel()]
            np.testing.assert_array_equal(out[:, c].ravel(), expect)


def test_single_value_per_channel_gives_nan_running_var():
    """n == 1: the unbiased variance divides by zero (PyTorch's F.batch_norm refuses it, the kernel
    gives NaN): through instance norm with one spatial element it reaches the kernel."""
    from lanterna.ops import nn_norm

    rm, rv = lt.zeros(3), lt.ones(3)
    nn_norm.batch_norm(lt.randn(1, 3), rm, rv, None, None, True, 0.1, 1e-5)
    assert np.isnan(rv.numpy()).all()


def test_grad_unchanged_by_exact_path():
    """The backward still sees the batch statistics (gradcheck in float64)."""
    x = lt.randn(6, 3, 4, dtype=lt.float64, requires_grad=True)
    bn = lnn.BatchNorm1d(3, dtype=lt.float64)
    assert lt.autograd.gradcheck(lambda t: bn(t), (x,))
