"""Smoke tests of the classic examples: each runs for a few steps and does what it says.

The examples are imported from their files and their ``main(argv)`` called with few steps; one
of them also runs as a script. Under the PyTorch oracle, the seeded examples print what the same
script prints with ``import torch`` (numbers up to float32 rounding).
"""

from __future__ import annotations

import concurrent.futures
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

import lanterna

HERE = Path(__file__).parent


def load(name):
    """Import ``examples/<name>.py`` as a module."""
    spec = importlib.util.spec_from_file_location(f"lanterna_example_{name}", HERE / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_script(path: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "MPLBACKEND": "Agg", "OMP_NUM_THREADS": "1", **(env or {})}
    return subprocess.run([sys.executable, str(path), *args], capture_output=True, text=True, env=env,
                          cwd=path.parent, timeout=180)


def test_linear_regression_learns_weight_2_and_bias_1(capsys):
    weight, bias, losses = load("linear_regression").main(["--steps", "60"])
    assert weight == pytest.approx(2.0, abs=0.05) and bias == pytest.approx(1.0, abs=0.05)
    assert losses[-1] < 0.02 < losses[0]
    assert "learned weight" in capsys.readouterr().out


def test_linear_regression_runs_as_a_script():
    result = run_script(HERE / "linear_regression.py", "--steps", "40")
    assert result.returncode == 0, result.stderr
    assert "learned weight 2.0" in result.stdout or "learned weight 1.9" in result.stdout


def test_lenet_tutorial_steps(capsys):
    net, losses = load("lenet").main(["--steps", "5"])
    out = capsys.readouterr().out
    assert "(conv1): Conv2d(1, 6, kernel_size=(5, 5), stride=(1, 1))" in out
    assert "10\ntorch.Size([6, 1, 5, 5])" in out
    assert "MseLossBackward0\nAddmmBackward0\nAccumulateGrad\n" in out  # addmm(bias, input, weight.t())
    assert "conv1.bias.grad before backward\nNone" in out
    assert net.conv1.bias.grad.shape == (6,)
    assert losses[-1] < losses[0]


def test_activations_plot_writes_a_png(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    path = load("activations_plot").main(["--out", str(tmp_path)])
    assert Path(path).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    out = capsys.readouterr().out
    assert "sigmoid  at x=0: value 0.5000, max slope 0.2500" in out
    assert "softplus at x=0: value 0.6931" in out


@pytest.mark.skipif(not hasattr(lanterna.nn, "LSTM"), reason="lanterna.nn.LSTM is not built yet")
def test_text_classifier_learns_topics():
    history = load("text_classifier").main(["--epochs", "2", "--train-size", "300"])
    (loss1, _), (loss2, accuracy) = history
    assert loss2 < loss1
    assert accuracy > 0.6  # three classes: chance is 1/3


def test_custom_function_gradcheck_and_fit(capsys):
    example = load("custom_function")
    ok, coefficients, losses = example.main(["--steps", "300"])
    assert ok is True
    assert losses[-1] < losses[0] / 2
    assert "Result: y = " in capsys.readouterr().out


def test_gradcheck_catches_a_wrong_custom_backward():
    class WrongExp(lanterna.autograd.Function):
        @staticmethod
        def forward(ctx, input):
            return input.exp()

        @staticmethod
        def backward(ctx, grad_output):
            return grad_output  # should be grad_output * exp(input)

    x = lanterna.randn(4, dtype=lanterna.float64, requires_grad=True)
    with pytest.raises(Exception):
        lanterna.autograd.gradcheck(WrongExp.apply, (x,))
    assert load("custom_function").Exp.apply(x).allclose(x.exp())


def test_plugin_demo_moves_a_model_to_the_strict_device(capsys):
    result = load("plugin_demo").main([])
    out = capsys.readouterr().out
    if "strict" not in lanterna.backends.REGISTRY.backends:
        assert result is None and "pip install -e examples/plugins/lanterna-array-api-strict" in out
        return
    strict_losses, cpu_losses = result
    assert strict_losses[-1] < strict_losses[0]
    assert strict_losses == pytest.approx(cpu_losses, rel=1e-6)
    assert "x is on strict:0" in out and "same losses on both devices: True" in out


def test_plugin_demo_without_the_plugin_explains_and_exits_0():
    result = run_script(HERE / "plugin_demo.py", env={"LANTERNA_DISABLE_PLUGIN_AUTOLOAD": "1"})
    assert result.returncode == 0, result.stderr
    assert "is not installed" in result.stdout and "pip install -e" in result.stdout


# ---- oracle: the same scripts under PyTorch print the same ------------------------------------------

ORACLE_RUNS = {
    "linear_regression.py": ["--steps", "60"],
    "lenet.py": ["--steps", "5"],
    "custom_function.py": ["--steps", "300"],
    "text_classifier.py": ["--epochs", "1", "--train-size", "200"],
}


# Known differences from PyTorch's output, each a bug to fix (strict: the test fails once fixed).
KNOWN_DIFFERENCES: dict[str, str] = {}


def _oracle_params():
    for name in ORACLE_RUNS:
        marks = [pytest.mark.oracle]
        if name in KNOWN_DIFFERENCES:
            marks.append(pytest.mark.xfail(reason=KNOWN_DIFFERENCES[name], strict=True))
        yield pytest.param(name, marks=marks, id=name)


@pytest.fixture(scope="module")
def both_outputs(tmp_path_factory):
    """({example: Lanterna's output}, {example: PyTorch's output}), each side in one process."""
    if importlib.util.find_spec("torch") is None:
        pytest.skip("PyTorch is not installed")
    seeds = _load_seed_helpers()
    jobs = [(HERE / name, args) for name, args in ORACLE_RUNS.items()]
    root = tmp_path_factory.mktemp("examples-oracle")
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        ours = pool.submit(seeds.run_all_in_one_process, jobs, root / "lanterna", torch=False)
        theirs = pool.submit(seeds.run_all_in_one_process, jobs, root / "torch", torch=True)
        return seeds, ours.result(), theirs.result()


@pytest.mark.parametrize("name", list(_oracle_params()))
def test_example_prints_what_torch_prints(name, both_outputs):
    seeds, ours, theirs = both_outputs
    if name == "text_classifier.py" and not hasattr(lanterna.nn, "LSTM"):
        pytest.skip("lanterna.nn.LSTM is not built yet")
    assert "<<ERROR>>" not in theirs[name], theirs[name]
    assert "<<ERROR>>" not in ours[name], ours[name]
    assert seeds.outputs_agree(ours[name].replace("lanterna", "torch"), theirs[name]), (
        f"--- pytorch\n{theirs[name]}\n--- lanterna\n{ours[name]}")


def _load_seed_helpers():
    path = HERE / "seeds" / "test_seed_scripts.py"
    spec = importlib.util.spec_from_file_location("lanterna_seed_helpers", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
