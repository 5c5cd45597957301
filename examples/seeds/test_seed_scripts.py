"""The seed-tutorial scripts: each runs to completion, and prints what PyTorch prints.

Every ``s<N>_<topic>.py`` here is a program or snippet group of one of the tutorials Lanterna
was conceived from, written with ``import lanterna as torch``. ``test_script_runs`` runs each
one in its own subprocess (quick mode, files to a temporary folder; the subprocesses run side
by side). ``test_script_prints_what_torch_prints`` (oracle: where PyTorch is installed) runs
them all once as written and once with their ``lanterna`` imports rewritten to ``torch`` (one
process each, every script in a fresh ``__main__``) and compares the outputs: all text must be
equal and every number equal up to float32 rounding. The RNG, formatting, shapes and dtypes
may not differ; matrix products, sums and exp/tanh/sigmoid may round their last bit differently
from PyTorch's BLAS, reduction order and vectorised math library.

Where the output is not bit-identical to PyTorch's (numbers agree within the tolerance):
s1_optimizer (``Tensor.lerp_`` in Adam rounds twice where PyTorch's CPU kernel uses an FMA),
s1_rnn (sigmoid/tanh and matrix products in the LSTM), s3_complex_model (convolutions and
matrix products, from epoch 2 on), s4_linear_regression (``mean()`` sums in another order).

Run as a script (``python test_seed_scripts.py [--torch] OUTDIR JOBS``, JOBS a JSON list of
``[script path, [args...]]``) it is that one-process runner, printing a JSON map of script name to
output; ``examples/test_examples.py`` uses it too.
"""

from __future__ import annotations

import builtins
import concurrent.futures
import contextlib
import difflib
import importlib.util
import io
import json
import os
import re
import subprocess
import sys
import traceback
import types
from pathlib import Path

HERE = Path(__file__).parent
SCRIPTS = sorted(HERE.glob("s[0-9]_*.py"))
TIMEOUT = 240

# Known differences from PyTorch's output, each a bug to fix (strict: the test fails once fixed).
KNOWN_DIFFERENCES: dict = {}

_IMPORT = re.compile(r"^(\s*(?:import|from)\s+)lanterna\b", re.MULTILINE)
_NUMBER = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?|[-+]?\b(?:nan|inf)\b")


def as_torch_script(text: str) -> str:
    """The same script importing PyTorch: ``import lanterna.nn as nn`` -> ``import torch.nn as nn``."""
    return _IMPORT.sub(r"\1torch", text)


def missing_module(path: Path) -> str | None:
    """The optional module (matplotlib) a script imports that is not installed, if any."""
    text = path.read_text(encoding="utf-8")
    for module in ("matplotlib",):
        imported = re.search(rf"^\s*import {module}\b", text, re.MULTILINE)
        if imported and importlib.util.find_spec(module) is None:
            return module
    return None


def script_env(workdir: Path) -> dict:
    # one thread: PyTorch's import and kernels are slow on a busy machine with many threads
    return {**os.environ, "LANTERNA_EXAMPLES_QUICK": "1", "LANTERNA_EXAMPLES_OUT": str(workdir),
            "MPLBACKEND": "Agg", "PYTHONHASHSEED": "0", "OMP_NUM_THREADS": "1"}


def _unit(token: str) -> float:
    """One unit in the last printed digit of a number ("0.1234" -> 1e-4, "1.5e-05" -> 1e-6)."""
    mantissa, _, exponent = token.lower().partition("e")
    decimals = len(mantissa.partition(".")[2])
    return 10.0 ** (-decimals + (int(exponent) if exponent else 0))


def outputs_agree(ours: str, theirs: str, rtol: float = 1e-4, atol: float = 1e-6) -> bool:
    """Equal text and integers; floats equal within float32 rounding plus one printed digit."""
    if _NUMBER.split(ours) != _NUMBER.split(theirs):
        return False
    for a, b in zip(_NUMBER.findall(ours), _NUMBER.findall(theirs)):
        if a == b:
            continue
        if not any(c in a + b for c in ".eEna"):  # integers (sizes, counts, labels) must be equal
            return False
        x, y = float(a), float(b)
        if abs(x - y) > atol + rtol * max(abs(x), abs(y)) + max(_unit(a), _unit(b)):
            return False
    return True


# ---- the one-process runner (this file run as a script) ------------------------------------------

def _run_in_fresh_main(text: str, filename: str, argv: list[str]) -> str:
    """Execute a script's text as ``__main__`` (so pickling its classes works); return its stdout."""
    module = types.ModuleType("__main__")
    module.__file__, module.__builtins__ = filename, builtins
    saved, sys.modules["__main__"] = sys.modules["__main__"], module
    sys.argv = [filename, *argv]
    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out):
            exec(compile(text, filename, "exec"), module.__dict__)
    except BaseException:  # a failing script is reported, the others still run
        out.write("\n<<ERROR>>\n" + traceback.format_exc())
    finally:
        sys.modules["__main__"] = saved
        if "matplotlib.pyplot" in sys.modules:
            sys.modules["matplotlib.pyplot"].close("all")
    return out.getvalue()


def _runner_main(argv: list[str]) -> None:
    use_torch = argv[0] == "--torch"
    outdir, jobs = argv[1:] if use_torch else argv
    results = {}
    for p, args in json.loads(jobs):
        path = Path(p)
        os.environ["LANTERNA_EXAMPLES_OUT"] = str(Path(outdir) / path.stem)
        os.makedirs(os.environ["LANTERNA_EXAMPLES_OUT"], exist_ok=True)
        text = path.read_text(encoding="utf-8")
        results[path.name] = _run_in_fresh_main(as_torch_script(text) if use_torch else text, str(path), args)
    sys.__stdout__.write(json.dumps(results))


def run_all_in_one_process(jobs: list, workdir: Path, *, torch: bool) -> dict[str, str]:
    """Scripts (paths, or ``(path, args)`` pairs) in one subprocess, each in a fresh ``__main__``:
    {script name: output}."""
    workdir.mkdir(parents=True, exist_ok=True)
    jobs = [(str(j), []) if isinstance(j, Path) else (str(j[0]), list(j[1])) for j in jobs]
    cmd = [sys.executable, __file__, *(["--torch"] if torch else []), str(workdir), json.dumps(jobs)]
    res = subprocess.run(cmd, cwd=workdir, env=script_env(workdir), capture_output=True, text=True,
                         timeout=TIMEOUT)
    if res.returncode != 0:
        raise RuntimeError(f"the script runner failed:\n{res.stderr[-4000:]}")
    return json.loads(res.stdout)


if __name__ == "__main__":
    _runner_main(sys.argv[1:])
    sys.exit(0)


# ---- the tests --------------------------------------------------------------------------------------

import pytest  # noqa: E402


def _selected_scripts(request, test_name):
    names = {item.callspec.params["path"].name for item in request.session.items
             if item.originalname == test_name and hasattr(item, "callspec")}
    return [p for p in SCRIPTS if p.name in names and not missing_module(p)]


@pytest.fixture(scope="session")
def script_runs(request, tmp_path_factory):
    """Each selected script in its own subprocess, side by side: {name: CompletedProcess}."""
    paths = _selected_scripts(request, "test_script_runs")
    root = tmp_path_factory.mktemp("seed-runs")

    def run(path):
        workdir = root / path.stem
        workdir.mkdir()
        return subprocess.run([sys.executable, str(path)], cwd=workdir, env=script_env(workdir),
                              capture_output=True, text=True, timeout=TIMEOUT)

    with concurrent.futures.ThreadPoolExecutor(max(2, os.cpu_count() or 2)) as pool:
        return dict(zip([p.name for p in paths], pool.map(run, paths)))


@pytest.fixture(scope="session")
def both_outputs(request, tmp_path_factory):
    """({name: Lanterna's output}, {name: PyTorch's output}) of the selected scripts."""
    if importlib.util.find_spec("torch") is None:
        pytest.skip("PyTorch is not installed")
    paths = _selected_scripts(request, "test_script_prints_what_torch_prints")
    root = tmp_path_factory.mktemp("seed-oracle")
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        ours = pool.submit(run_all_in_one_process, paths, root / "lanterna", torch=False)
        theirs = pool.submit(run_all_in_one_process, paths, root / "torch", torch=True)
        return ours.result(), theirs.result()


@pytest.mark.parametrize("path", SCRIPTS, ids=[p.name for p in SCRIPTS])
def test_script_runs(path, script_runs):
    if missing_module(path):
        pytest.skip(f"{path.name} needs {missing_module(path)}")
    result = script_runs[path.name]
    assert result.returncode == 0, f"{path.name} failed:\n{result.stderr[-4000:]}"
    assert result.stdout.strip(), f"{path.name} printed nothing"


def _oracle_params():
    for path in SCRIPTS:
        marks = [pytest.mark.oracle]
        if path.name in KNOWN_DIFFERENCES:
            marks.append(pytest.mark.xfail(reason=KNOWN_DIFFERENCES[path.name], strict=True))
        yield pytest.param(path, marks=marks, id=path.name)


@pytest.mark.parametrize("path", list(_oracle_params()))
def test_script_prints_what_torch_prints(path, both_outputs):
    if missing_module(path):
        pytest.skip(f"{path.name} needs {missing_module(path)}")
    ours, theirs = (outputs[path.name] for outputs in both_outputs)
    assert "<<ERROR>>" not in theirs, f"{path.name} fails under PyTorch:\n{theirs}"
    assert "<<ERROR>>" not in ours, f"{path.name} failed:\n{ours}"
    ours = ours.replace("lanterna", "torch")  # the package's own name is the one expected difference
    diff = "".join(difflib.unified_diff(theirs.splitlines(True), ours.splitlines(True),
                                        "pytorch", "lanterna"))
    assert outputs_agree(ours, theirs), f"{path.name} prints differently from PyTorch:\n{diff}"


def test_outputs_agree_tolerates_rounding_only():
    assert outputs_agree("tensor([0.1235, 2.0000])", "tensor([0.1234, 2.0000])")
    assert outputs_agree("loss 17.67905616760254", "loss 17.679061889648438")
    assert not outputs_agree("tensor([0.1240])", "tensor([0.1234])")
    assert not outputs_agree("tensor([0.1234])", "tensor([0.1234], dtype=torch.float64)")
    assert not outputs_agree("torch.Size([2, 3])", "torch.Size([3, 2])")
    assert as_torch_script("import lanterna as torch\nfrom lanterna.nn import functional as F\n") == (
        "import torch as torch\nfrom torch.nn import functional as F\n")
