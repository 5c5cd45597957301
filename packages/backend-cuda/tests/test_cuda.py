"""lanterna-cuda: the plugin installs and imports everywhere; without a GPU it says why.

Tests marked ``gpu`` run only where CUDA is available and skip elsewhere with the backend's own
reason (e.g. "CUDA is not available: CuPy is not installed ..."). The device conformance suite
(``pytest tests/conformance --lanterna-device=cuda``) covers every op on the GPU.
"""

from __future__ import annotations

import ctypes
import subprocess
import sys

import numpy as np
import pytest

import lanterna as torch
from lanterna.backends import REGISTRY, BackendUnavailable
from lanterna_cuda import probe as probe_mod
from lanterna_cuda.backend import CUDABackend

BACKEND = REGISTRY.backends["cuda"]
AVAILABLE = BACKEND.is_available()
REASON = BACKEND.unavailable_reason() if not AVAILABLE else ""
SKIP_WITHOUT_GPU = pytest.mark.skipif(not AVAILABLE, reason=REASON)


# ---- everywhere: the plugin is discovered and fails clearly ---------------------------------------
def test_registered_through_its_entry_point():
    assert isinstance(BACKEND, CUDABackend)
    assert REGISTRY.owner("cuda") == "cuda"
    assert "index_add" in BACKEND.kernels and "im2col" in BACKEND.kernels


def test_import_and_queries_never_import_cupy():
    code = ("import sys, lanterna as t; t.cuda.is_available(); t.cuda.device_count(); t.manual_seed(0); "
            "t.cuda.manual_seed_all(0); t.cuda.memory_allocated(); t.cuda.empty_cache(); "
            "print('cupy' in sys.modules)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "False"


def test_is_available_is_a_bool_with_a_reason_when_false():
    assert torch.cuda.is_available() is AVAILABLE
    if not AVAILABLE:
        assert REASON.startswith("CUDA is not available: ")
        assert torch.cuda.device_count() == 0
        assert torch.cuda.unavailable_reason() == REASON


@pytest.mark.skipif(AVAILABLE, reason="a GPU is available here")
@pytest.mark.parametrize("move", [
    lambda: torch.ones(2).cuda(),
    lambda: torch.ones(2).to("cuda:0"),
    lambda: torch.zeros(2, 3, device="cuda"),
    lambda: torch.randn(2, device="cuda"),
    lambda: torch.tensor([1.0], device=torch.device("cuda", 0)),
], ids=["cuda()", "to", "zeros", "randn", "tensor"])
def test_cuda_without_gpu_raises_one_clear_error(move):
    with pytest.raises(RuntimeError) as info:
        move()
    assert str(info.value) == REASON
    assert isinstance(info.value, (BackendUnavailable, AssertionError))
    assert info.value.__cause__ is None and info.value.__context__ is None


@pytest.mark.skipif(AVAILABLE, reason="a GPU is available here")
def test_module_functions_without_gpu_behave_like_pytorch():
    assert torch.cuda.memory_allocated() == 0 and torch.cuda.max_memory_allocated() == 0
    torch.cuda.empty_cache()
    torch.cuda.synchronize()
    torch.cuda.manual_seed(1)
    torch.cuda.manual_seed_all(1)
    with pytest.raises(RuntimeError, match="CUDA is not available"):
        torch.cuda.get_device_name()
    with pytest.raises(RuntimeError, match="CUDA is not available"):
        torch.cuda.current_device()


def test_gpu_tests_skip_with_the_backends_reason():
    skip = SKIP_WITHOUT_GPU.mark
    assert skip.args == (not AVAILABLE,) and skip.kwargs["reason"] == REASON


# ---- the probe, with fake drivers ---------------------------------------------------------------
class FakeDriver:
    """A stand-in for libcuda: ``cuInit`` and ``cuDeviceGetCount`` results are given."""

    def __init__(self, init=0, count=1):
        self._init, self._count = init, count

    def cuInit(self, flags):
        return self._init

    def cuDeviceGetCount(self, ref):
        ctypes.cast(ref, ctypes.POINTER(ctypes.c_int))[0] = self._count
        return 0

    def cuGetErrorName(self, code, ref):
        ctypes.cast(ref, ctypes.POINTER(ctypes.c_char_p))[0] = b"CUDA_ERROR_FAKE"
        return 0


def _probe(spec=True, driver=None):
    return probe_mod.probe(find_spec=lambda name: object() if spec else None, load_driver=lambda: driver)


def test_probe_reasons_cheapest_first():
    p = _probe(spec=False, driver=FakeDriver())
    assert not p.available and "CuPy is not installed" in p.reason and "lanterna-cuda[cuda12]" in p.reason
    p = _probe(driver=None)
    assert not p.available and "no NVIDIA driver" in p.reason
    p = _probe(driver=FakeDriver(init=probe_mod.CUDA_ERROR_NO_DEVICE))
    assert not p.available and "found no CUDA device" in p.reason
    p = _probe(driver=FakeDriver(init=999))
    assert not p.available and "failed to initialise (CUDA_ERROR_FAKE)" in p.reason
    p = _probe(driver=FakeDriver(count=0))
    assert not p.available and "no CUDA device was found" in p.reason
    p = _probe(driver=FakeDriver(count=2))
    assert p.available and p.device_count == 2 and p.reason == ""


def test_backend_probes_once_and_reports_what_it_found():
    calls = []

    def fake():
        calls.append(1)
        return probe_mod.Probe(False, "CUDA is not available: because", 0)

    b = CUDABackend(probe=fake)
    assert not b.is_available() and b.device_count() == 0
    assert b.unavailable_reason() == "CUDA is not available: because"
    assert calls == [1]
    with pytest.raises(BackendUnavailable, match="because"):
        b.xp


def test_generator_seeding_needs_no_cupy():
    g = BACKEND.new_generator(0)
    g.manual_seed(123)
    assert g.initial_seed() == 123
    state = g.get_state()
    assert state.dtype == np.uint8 and state.size == 16
    g.set_state(state)
    assert g.initial_seed() == 123


# ---- on a GPU ---------------------------------------------------------------------------------------
@pytest.mark.gpu
@SKIP_WITHOUT_GPU
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.int64, torch.bool, torch.float16])
def test_round_trip(dtype):
    x = torch.arange(6).reshape(2, 3).to(dtype)
    y = x.cuda()
    assert y.device == torch.device("cuda", 0) and y.is_cuda and y.dtype == dtype
    assert torch.equal(y.cpu(), x)


@pytest.mark.gpu
@SKIP_WITHOUT_GPU
def test_matmul_and_training_step_match_cpu():
    torch.manual_seed(0)
    w = torch.randn(64, 32, requires_grad=True)
    x = torch.randn(16, 64)
    wc = w.detach().cuda().requires_grad_()
    (x @ w).relu().sum().backward()
    (x.cuda() @ wc).relu().sum().backward()
    np.testing.assert_allclose(wc.grad.cpu().numpy(), w.grad.numpy(), rtol=1e-4, atol=1e-4)


@pytest.mark.gpu
@SKIP_WITHOUT_GPU
def test_kernels_match_core_defaults():
    from lanterna.ops import kernels as core

    cp = BACKEND.cupy
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 7, 6)).astype(np.float32)
    for args in [((3, 3), (1, 1), (0, 0), (1, 1)), ((2, 3), (2, 1), (1, 2), (2, 1))]:
        (kh, kw), stride, pad, dil = args
        ref = core.DEFAULTS["im2col"](x, kh, kw, stride, pad, dil)
        got = BACKEND.kernels["im2col"](cp.asarray(x), kh, kw, stride, pad, dil)
        np.testing.assert_allclose(cp.asnumpy(got), ref, rtol=1e-6)
        back = core.DEFAULTS["col2im"](np.ascontiguousarray(ref), x.shape, kh, kw, stride, pad, dil)
        got_back = BACKEND.kernels["col2im"](cp.ascontiguousarray(got), x.shape, kh, kw, stride, pad, dil)
        np.testing.assert_allclose(cp.asnumpy(got_back), back, rtol=1e-5, atol=1e-6)
    out = np.zeros((4, 3), np.float32)
    idx = (np.array([0, 0, 3]),)
    vals = np.ones((3, 3), np.float32)
    dev = cp.asarray(out)
    BACKEND.kernels["index_add"](dev, tuple(cp.asarray(i) for i in idx), cp.asarray(vals))
    core.DEFAULTS["index_add"](out, idx, vals)
    np.testing.assert_array_equal(cp.asnumpy(dev), out)
    a = rng.standard_normal(10).astype(np.float32)
    got = BACKEND.kernels["erf"](cp.asarray(a))
    np.testing.assert_allclose(cp.asnumpy(got), core.DEFAULTS["erf"](a), rtol=1e-6)


@pytest.mark.gpu
@SKIP_WITHOUT_GPU
def test_generator_is_reproducible_on_device():
    torch.manual_seed(5)
    a = torch.randn(100, device="cuda")
    torch.manual_seed(5)
    b = torch.randn(100, device="cuda")
    assert a.device.type == "cuda" and torch.equal(a, b)
    u = torch.rand(1000, device="cuda")
    assert 0 <= float(u.min()) and float(u.max()) < 1


@pytest.mark.gpu
@SKIP_WITHOUT_GPU
def test_memory_functions_and_devices():
    torch.cuda.synchronize()
    torch.cuda.reset_peak_memory_stats()
    before = torch.cuda.memory_allocated()
    x = torch.zeros(1 << 20, device="cuda")  # 4 MiB
    assert torch.cuda.memory_allocated() >= before + (4 << 20)
    peak = torch.cuda.max_memory_allocated()
    del x
    assert torch.cuda.max_memory_allocated() == peak >= before + (4 << 20)
    torch.cuda.empty_cache()
    assert torch.cuda.current_device() == 0 and isinstance(torch.cuda.get_device_name(0), str)
    with torch.cuda.device(0):
        assert torch.cuda.current_device() == 0
    with pytest.raises(RuntimeError, match="invalid device ordinal"):
        torch.ones(1).to(f"cuda:{torch.cuda.device_count()}")


@pytest.mark.gpu
@SKIP_WITHOUT_GPU
def test_pin_memory():
    x = torch.arange(10.0)
    p = x.pin_memory()
    assert p.is_pinned() and torch.equal(p, x)
    assert torch.equal(p.cuda(non_blocking=True).cpu(), x)
