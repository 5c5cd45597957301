"""Names PyTorch code commonly uses that Lanterna added late: dtype names it cannot hold,
device/flag modules (accelerator, backends.cudnn/mps/cuda, cuda.amp), amp, jit/onnx/hub,
testing.assert_close, fft helpers, utils.checkpoint, random.fork_rng and distributions."""

import math
import pickle
import subprocess
import sys
import warnings

import numpy as np
import pytest

import lanterna as torch


# ---- dtype names that cannot be held -------------------------------------------------------------

@pytest.mark.parametrize("name", ["bfloat16", "complex64", "cfloat", "cdouble", "complex128", "chalf", "uint16",
                                  "uint32", "uint64", "float8_e4m3fn", "float8_e5m2"])
def test_unsupported_dtype_is_named_and_raises_on_use(name):
    d = getattr(torch, name)
    assert isinstance(d, torch.dtype) and repr(d).startswith("torch.")
    assert pickle.loads(pickle.dumps(d)) is d
    assert d != torch.float32
    for make in (lambda: torch.zeros(2, dtype=d), lambda: torch.ones(2).to(d), lambda: torch.tensor([1.0], dtype=d),
                 lambda: torch.randn(2, dtype=d)):
        with pytest.raises(TypeError, match=f"torch.{d.name} is not supported"):
            make()


def test_unsupported_dtype_flags():
    assert torch.bfloat16.is_floating_point and not torch.bfloat16.is_complex
    assert torch.complex64.is_complex and not torch.complex64.is_floating_point
    assert torch.cfloat is torch.complex64 and torch.cdouble is torch.complex128
    assert torch.bfloat16.itemsize == 2 and torch.complex128.itemsize == 16
    assert torch.finfo(torch.bfloat16).eps == 0.0078125
    assert torch.finfo(torch.bfloat16).max == 3.3895313892515355e38


def test_tensor_cast_methods_raise_and_device_flags():
    x = torch.ones(2)
    for m in ("bfloat16", "cfloat", "cdouble", "chalf"):
        with pytest.raises(TypeError, match="is not supported by Lanterna"):
            getattr(x, m)()
    assert x.is_mps is False and x.is_xpu is False and x.is_nested is False and x.is_mkldnn is False


# ---- device modules, accelerator and backend flags -----------------------------------------------

def test_device_module_is_importable():
    from lanterna.cuda.amp import GradScaler, autocast  # noqa: F401
    import lanterna.cuda

    assert lanterna.cuda is torch.cuda
    assert torch.cuda.is_bf16_supported() is False
    from lanterna.cpu.amp import autocast as cpu_autocast

    with cpu_autocast():
        assert torch.is_autocast_enabled("cpu")
    assert not torch.is_autocast_enabled("cpu")


def test_accelerator_without_gpu():
    if torch.cuda.is_available():
        pytest.skip("a GPU is present")
    assert torch.accelerator.is_available() is False
    assert torch.accelerator.device_count() == 0
    device = torch.accelerator.current_accelerator().type if torch.accelerator.is_available() else "cpu"
    assert device == "cpu"
    assert torch.accelerator.current_accelerator(check_available=True) is None
    with pytest.raises(RuntimeError, match="No available accelerator"):
        torch.accelerator.current_device_index()


def test_backend_flag_modules():
    import lanterna.backends.cudnn as cudnn

    assert cudnn.is_available() is False
    old = cudnn.benchmark
    try:
        torch.backends.cudnn.benchmark = True
        torch.backends.cudnn.deterministic = True
        assert cudnn.benchmark is True
        with cudnn.flags(enabled=False, benchmark=False):
            assert cudnn.enabled is False and cudnn.benchmark is False
        assert cudnn.enabled is True and cudnn.benchmark is True
    finally:
        cudnn.benchmark, cudnn.deterministic = old, False
    assert torch.backends.mps.is_available() is False
    assert torch.backends.mps.is_built() is False
    torch.backends.cuda.matmul.allow_tf32 = True
    assert torch.backends.cuda.matmul.allow_tf32 is True
    torch.backends.cuda.matmul.allow_tf32 = False
    with pytest.raises(AttributeError):
        torch.backends.not_a_flag_module  # noqa: B018


# ---- amp -------------------------------------------------------------------------------------------

def test_autocast_keeps_dtypes_and_nests():
    a, b = torch.randn(2, 3), torch.randn(3, 2)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        assert torch.is_autocast_enabled("cpu")
        assert torch.get_autocast_dtype("cpu") is torch.bfloat16
        with torch.autocast("cpu", enabled=False):
            assert not torch.is_autocast_enabled("cpu")
        assert torch.is_autocast_enabled("cpu")
        assert (a @ b).dtype is torch.float32
    assert not torch.is_autocast_enabled("cpu")

    @torch.amp.autocast("cpu")
    def f():
        return torch.is_autocast_enabled("cpu")

    assert f() is True and not torch.is_autocast_enabled("cpu")


def test_cuda_autocast_and_scaler_disable_without_cuda():
    if torch.cuda.is_available():
        pytest.skip("a GPU is present")
    with pytest.warns(UserWarning, match="CUDA is not available"):
        ctx = torch.autocast("cuda")
    with ctx:
        assert not torch.is_autocast_enabled("cuda")
    with pytest.warns(UserWarning, match="CUDA is not available.  Disabling"):
        scaler = torch.cuda.amp.GradScaler()
    assert not scaler.is_enabled() and scaler.get_scale() == 1.0
    loss = torch.tensor(2.0)
    assert scaler.scale(loss) is loss
    assert scaler.state_dict() == {}


def _model_and_opt():
    import lanterna.nn as nn
    import lanterna.optim as optim

    torch.manual_seed(0)
    model = nn.Linear(3, 1)
    return model, optim.SGD(model.parameters(), lr=0.1)


def test_grad_scaler_scales_unscales_and_steps():
    model, opt = _model_and_opt()
    scaler = torch.amp.GradScaler("cpu", init_scale=8.0, growth_interval=2)
    x = torch.randn(4, 3)
    loss = model(x).sum()
    scaled = scaler.scale(loss)
    assert torch.allclose(scaled, loss * 8)
    scaled.backward()
    expected_grad = model.weight.grad / 8
    before = model.weight.detach().clone()
    scaler.step(opt)
    assert torch.allclose(model.weight.grad, expected_grad)
    assert torch.allclose(model.weight, before - 0.1 * expected_grad)
    scaler.update()
    assert scaler.get_scale() == 8.0
    opt.zero_grad()
    scaler.scale(model(x).sum()).backward()
    scaler.step(opt)
    scaler.update()
    assert scaler.get_scale() == 16.0  # grew after growth_interval good steps
    assert scaler.state_dict()["_growth_tracker"] == 0


def test_grad_scaler_skips_inf_and_backs_off():
    model, opt = _model_and_opt()
    scaler = torch.amp.GradScaler("cpu", init_scale=4.0)
    scaler.scale(model(torch.randn(2, 3)).sum()).backward()
    model.weight.grad[0, 0] = math.inf
    before = model.weight.detach().clone()
    assert scaler.step(opt) is None
    assert torch.equal(model.weight, before)
    scaler.update()
    assert scaler.get_scale() == 2.0


def test_grad_scaler_errors_and_state_dict():
    model, opt = _model_and_opt()
    scaler = torch.amp.GradScaler("cpu")
    scaler.scale(model(torch.randn(2, 3)).sum()).backward()
    scaler.unscale_(opt)
    with pytest.raises(RuntimeError, match="unscale_\\(\\) has already been called"):
        scaler.unscale_(opt)
    scaler.step(opt)
    with pytest.raises(RuntimeError, match="step\\(\\) has already been called"):
        scaler.step(opt)
    with pytest.raises(RuntimeError, match="Closure use is not currently supported"):
        scaler.step(opt, closure=lambda: None)
    scaler.update()
    with pytest.raises(AssertionError, match="No inf checks"):
        scaler.update()
    other = torch.amp.GradScaler("cpu")
    other.load_state_dict(scaler.state_dict())
    assert other.state_dict() == scaler.state_dict()


# ---- jit, onnx, hub --------------------------------------------------------------------------------

def test_jit_is_eager():
    def f(x):
        return x * 2

    assert torch.jit.script(f) is f
    assert torch.jit.trace(f, torch.ones(1)) is f
    assert torch.jit.is_scripting() is False and torch.jit.is_tracing() is False

    @torch.jit.ignore
    def g():
        return 1

    @torch.jit.unused
    def h():
        return 2

    assert g() == 1 and h() == 2 and torch.jit.ignore(drop=True)(g) is g
    with pytest.raises(RuntimeError, match="TorchScript archives are not supported"):
        torch.jit.save(f, "model.pt")
    with pytest.raises(RuntimeError, match="TorchScript archives are not supported"):
        torch.jit.load("model.pt")


def test_onnx_and_hub_errors():
    assert torch.onnx.is_in_onnx_export() is False
    with pytest.raises(NotImplementedError, match="torch.onnx.export is not supported"):
        torch.onnx.export(None, None, "m.onnx")
    with pytest.raises(NotImplementedError, match="torch.hub.load is not supported"):
        torch.hub.load("pytorch/vision", "resnet18")


def test_hub_load_state_dict_from_url(tmp_path):
    src = tmp_path / "weights-abc123.pt"
    torch.save({"w": torch.arange(3.0)}, src)
    old = torch.hub.get_dir()
    torch.hub.set_dir(str(tmp_path / "hub"))
    try:
        sd = torch.hub.load_state_dict_from_url(src.as_uri())
        assert torch.equal(sd["w"], torch.arange(3.0))
        assert (tmp_path / "hub" / "checkpoints" / "weights-abc123.pt").exists()
        with pytest.raises(RuntimeError, match="invalid hash value"):
            torch.hub.load_state_dict_from_url(src.as_uri(), model_dir=str(tmp_path / "other"), check_hash=True)
    finally:
        torch.hub.set_dir(old)


# ---- testing.assert_close ----------------------------------------------------------------------------

def test_assert_close():
    torch.testing.assert_close(torch.tensor([1.0, 2.0]), torch.tensor([1.0, 2.0 + 1e-6]))
    torch.testing.assert_close({"a": [torch.ones(2)]}, {"a": [torch.ones(2)]})
    torch.testing.assert_close(1.0, 1.0 + 1e-9)
    with pytest.raises(AssertionError, match="Mismatched elements: 1 / 2 \\(50.0%\\)"):
        torch.testing.assert_close(torch.tensor([1.0, 2.0]), torch.tensor([1.0, 2.1]))
    with pytest.raises(AssertionError, match="attribute 'dtype' do not match: torch.float32 != torch.float64"):
        torch.testing.assert_close(torch.ones(2), torch.ones(2, dtype=torch.float64))
    torch.testing.assert_close(torch.ones(2), torch.ones(2, dtype=torch.float64), check_dtype=False)
    with pytest.raises(AssertionError, match="attribute 'shape' do not match"):
        torch.testing.assert_close(torch.ones(2), torch.ones(3))
    with pytest.raises(AssertionError):
        torch.testing.assert_close(torch.tensor([1, 2]), torch.tensor([1, 3]))
    with pytest.raises(AssertionError):
        torch.testing.assert_close(torch.tensor(math.nan), torch.tensor(math.nan))
    torch.testing.assert_close(torch.tensor(math.nan), torch.tensor(math.nan), equal_nan=True)
    torch.testing.assert_close(torch.tensor([1.0]), torch.tensor([1.5]), rtol=0, atol=0.5)


# ---- fft helpers --------------------------------------------------------------------------------------

def test_fft_helpers():
    assert torch.fft.fftfreq(4).tolist() == [0.0, 0.25, -0.5, -0.25]
    assert torch.fft.fftfreq(5, d=0.5).tolist() == pytest.approx([0.0, 0.4, 0.8, -0.8, -0.4])
    assert torch.fft.rfftfreq(5).tolist() == pytest.approx([0.0, 0.2, 0.4])
    x = torch.arange(5.0, requires_grad=True)
    y = torch.fft.fftshift(x)
    assert y.tolist() == [3.0, 4.0, 0.0, 1.0, 2.0]
    assert torch.fft.ifftshift(y).tolist() == x.tolist()
    (y * torch.arange(5.0)).sum().backward()
    assert x.grad.tolist() == [2.0, 3.0, 4.0, 0.0, 1.0]
    with pytest.raises(NotImplementedError, match="no complex dtypes"):
        torch.fft.rfft(torch.ones(4))


# ---- checkpoint, fork_rng ---------------------------------------------------------------------------

def test_checkpoint_gives_plain_gradients():
    from lanterna.utils.checkpoint import checkpoint, checkpoint_sequential

    x = torch.randn(3, requires_grad=True)
    y = checkpoint(lambda t, k: (t * k).sin(), x, 2.0, use_reentrant=False)
    y.sum().backward()
    assert torch.allclose(x.grad, 2 * (2 * x.detach()).cos())
    out = checkpoint_sequential([lambda t: t + 1, lambda t: t * 3], 2, torch.ones(2), use_reentrant=False)
    assert out.tolist() == [6.0, 6.0]
    assert torch.utils.checkpoint.checkpoint is checkpoint


def test_fork_rng_restores_state():
    torch.manual_seed(1)
    with torch.random.fork_rng():
        inside = torch.rand(3)
    assert torch.equal(torch.rand(3), inside)
    torch.manual_seed(1)
    with torch.random.fork_rng(enabled=False):
        torch.rand(3)
    assert not torch.equal(torch.rand(3), inside)


# ---- distributions -------------------------------------------------------------------------------------

def test_normal():
    from lanterna.distributions import Normal

    loc = torch.tensor([0.0, 1.0], requires_grad=True)
    d = Normal(loc, torch.tensor([1.0, 2.0]))
    assert d.batch_shape == torch.Size([2]) and d.event_shape == torch.Size([])
    v = torch.tensor([0.5, -1.0])
    expected = -((v - loc.detach()) ** 2) / (2 * d.scale**2) - d.scale.log() - 0.5 * math.log(2 * math.pi)
    assert torch.allclose(d.log_prob(v), expected)
    assert torch.allclose(d.entropy(), 0.5 + 0.5 * math.log(2 * math.pi) + d.scale.log())
    assert d.sample((5, 3)).shape == (5, 3, 2) and not d.sample().requires_grad
    d.rsample((4,)).sum().backward()
    assert loc.grad.tolist() == [4.0, 4.0]
    assert torch.allclose(d.icdf(d.cdf(v)), v, atol=1e-5)
    assert repr(Normal(0.0, 1.0)) == "Normal(loc: 0.0, scale: 1.0)"
    with pytest.raises(ValueError, match="Expected parameter scale .* GreaterThan\\(lower_bound=0.0\\)"):
        Normal(0.0, -1.0)
    Normal(0.0, -1.0, validate_args=False)


def test_categorical_and_bernoulli():
    from lanterna.distributions import Bernoulli, Categorical

    c = Categorical(probs=torch.tensor([[0.2, 0.3, 0.5], [1.0, 0.0, 0.0]]))
    assert c.batch_shape == (2,) and c.sample((7,)).shape == (7, 2)
    assert (c.sample((50,))[:, 1] == 0).all()
    assert torch.allclose(c.log_prob(torch.tensor([2, 0])), torch.tensor([math.log(0.5), 0.0]), atol=1e-6)
    assert torch.allclose(c.entropy()[0], -(c.probs[0] * c.probs[0].log()).sum())
    assert c.entropy()[1].item() == pytest.approx(0.0, abs=1e-6)
    assert c.mode.tolist() == [2, 0]
    c2 = Categorical(logits=torch.tensor([0.0, 0.0]))
    assert torch.allclose(c2.probs, torch.tensor([0.5, 0.5]))
    with pytest.raises(ValueError, match="Either `probs` or `logits`"):
        Categorical()
    b = Bernoulli(logits=torch.tensor([0.0, 2.0]))
    assert torch.allclose(b.probs, torch.sigmoid(torch.tensor([0.0, 2.0])))
    lp = b.log_prob(torch.tensor([1.0, 0.0]))
    assert torch.allclose(lp, torch.stack([b.probs[0].log(), (1 - b.probs[1]).log()]))
    assert set(b.sample((20,)).unique().tolist()) <= {0.0, 1.0}
    with pytest.raises(ValueError, match="Interval"):
        Bernoulli(probs=torch.tensor(1.5))


def test_uniform_and_kl():
    from lanterna.distributions import Bernoulli, Normal, Uniform, kl_divergence

    u = Uniform(torch.tensor(-1.0), torch.tensor(3.0))
    s = u.sample((100,))
    assert (s >= -1).all() and (s < 3).all()
    assert u.log_prob(torch.tensor(0.0)).item() == pytest.approx(-math.log(4))
    with pytest.raises(ValueError, match="within the support"):  # validated by default, as in PyTorch
        u.log_prob(torch.tensor(5.0))
    unchecked = Uniform(torch.tensor(-1.0), torch.tensor(3.0), validate_args=False)
    assert unchecked.log_prob(torch.tensor(5.0)).item() == -math.inf
    assert u.mean.item() == 1.0 and u.variance.item() == pytest.approx(16 / 12)
    assert kl_divergence(Normal(0.0, 1.0), Normal(0.0, 1.0)).item() == 0.0
    assert kl_divergence(Normal(1.0, 1.0), Normal(0.0, 1.0)).item() == pytest.approx(0.5)
    assert kl_divergence(Normal(0.0, 1.0), u).item() == math.inf  # PyTorch registers this pair: unbounded support
    with pytest.raises(NotImplementedError, match="No KL"):
        kl_divergence(u, Bernoulli(0.5))


# ---- import cost ------------------------------------------------------------------------------------------

def test_new_modules_load_lazily():
    code = ("import sys, lanterna; "
            "names = ['amp', 'accelerator', 'distributions', 'fft', 'hub', 'jit', 'onnx', 'testing', "
            "'backends.cudnn', 'utils.checkpoint']; "
            "print([n for n in names if 'lanterna.' + n in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
    assert "distributions" in dir(torch) and "autocast" in dir(torch)
