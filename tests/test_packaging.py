"""Packaging proof: the wheels install on their own and their dependencies are real.

Builds every package's wheel with ``hatch build``, installs only lanterna-core and lanterna-nn
into a fresh virtual environment (no system site-packages, NumPy and pluggy from the configured
index) and shows there that a model runs, that ``lanterna.optim`` is reported as not installed
together with the package to install, and that pip refuses a lanterna-core outside the range a
package declares. (Those tests are marked slow; the first test checks the import hook fast,
in the workspace.)
"""

from __future__ import annotations

import concurrent.futures
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = sorted(p.name for p in (ROOT / "packages").iterdir() if (p / "pyproject.toml").is_file())
CORE_RANGE = {"lanterna-core<0.2,>=0.1", "lanterna-core>=0.1,<0.2"}


def _env():
    """The environment minus anything that would leak the workspace into the new venv."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return env


def _run(cmd, cwd, timeout=180):
    return subprocess.run([str(c) for c in cmd], cwd=cwd, env=_env(), capture_output=True, text=True,
                          timeout=timeout)


def test_import_hook_names_the_missing_distribution():
    """``import lanterna.optim`` with lanterna-optim hidden from ``lanterna.__path__``."""
    code = """
import lanterna, sys
lanterna.__path__[:] = [p for p in lanterna.__path__ if "optim" not in p]
sys.modules.pop("lanterna.optim", None)
try:
    import lanterna.optim
except ModuleNotFoundError as exc:
    print(exc.name, "|", exc)
try:
    import lanterna.no_such_module
except ModuleNotFoundError as exc:
    print(exc.name, "|", exc)
"""
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr
    optim, other = res.stdout.splitlines()
    assert optim == ("lanterna.optim | No module named 'lanterna.optim': install the 'lanterna-optim' "
                     "package (pip install lanterna-optim)")
    assert other == "lanterna.no_such_module | No module named 'lanterna.no_such_module'"


def _build_wheel(project: Path, out: Path) -> Path:
    res = _run(["hatch", "build", "-t", "wheel", out], cwd=project)
    assert res.returncode == 0, f"hatch build failed in {project.name}:\n{res.stdout}\n{res.stderr}"
    return out


def _core_with_version(tmp: Path, version: str) -> Path:
    """A copy of packages/core whose ``__version__`` is ``version``."""
    copy = tmp / f"core-{version}"
    shutil.copytree(ROOT / "packages" / "core", copy, ignore=shutil.ignore_patterns("__pycache__", "tests"))
    init = copy / "src" / "lanterna" / "__init__.py"
    text, n = re.subn(r'^__version__ = "[^"]*"', f'__version__ = "{version}"', init.read_text(), flags=re.M)
    assert n == 1
    init.write_text(text)
    return copy


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """{"wheels": dir of every package's wheel, "core02": dir with core 0.2.0 + the other wheels,
    "python": the fresh venv's python with only lanterna-core and lanterna-nn installed}."""
    if shutil.which("hatch") is None:
        pytest.skip("hatch is not installed")
    if importlib.util.find_spec("venv") is None or importlib.util.find_spec("ensurepip") is None:
        pytest.skip("venv/ensurepip are not available")
    tmp = tmp_path_factory.mktemp("packaging")
    wheels, core02 = tmp / "wheels", tmp / "core02"
    venv = tmp / "venv"
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        venv_job = pool.submit(_run, [sys.executable, "-m", "venv", venv], tmp)
        jobs = [pool.submit(_build_wheel, ROOT / "packages" / name, wheels) for name in PACKAGES]
        jobs.append(pool.submit(_build_wheel, _core_with_version(tmp, "0.2.0"), core02))
        for job in jobs:
            job.result()
        res = venv_job.result()
    if res.returncode != 0:
        pytest.skip(f"cannot create a virtual environment: {res.stderr[-500:]}")
    python = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    res = _run([python, "-m", "pip", "install", "-q", "numpy", "pluggy"], tmp)
    if res.returncode != 0:
        pytest.skip(f"cannot install numpy and pluggy from the package index: {res.stderr[-500:]}")
    for wheel in wheels.glob("*.whl"):  # the others' wheels beside core 0.2.0, for the range checks
        if not wheel.name.startswith("lanterna_core-"):
            shutil.copy(wheel, core02)
    res = _run([python, "-m", "pip", "install", "-q", "--no-index", "--find-links", wheels,
                "lanterna-core", "lanterna-nn"], tmp)
    assert res.returncode == 0, res.stderr
    return {"wheels": wheels, "core02": core02, "python": python, "tmp": tmp}


def _in_venv(built, code: str):
    """Run ``code`` with the venv's python (outside the workspace); return its JSON output."""
    res = _run([built["python"], "-c", code], built["tmp"], timeout=120)
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout)


@pytest.mark.slow
def test_every_package_builds_a_wheel_that_declares_its_core_range(built):
    names = {}
    for wheel in built["wheels"].glob("*.whl"):
        with zipfile.ZipFile(wheel) as zf:
            meta = zf.read(next(n for n in zf.namelist() if n.endswith(".dist-info/METADATA"))).decode()
        name = re.search(r"^Name: (.+)$", meta, re.M).group(1).strip()
        requires = re.findall(r"^Requires-Dist: (.+)$", meta, re.M)
        names[name] = [r.split(";")[0].replace(" ", "") for r in requires]
    assert len(names) == len(PACKAGES), names
    assert {"numpy>=2.0", "pluggy>=1.3"} <= set(names.pop("lanterna-core"))
    for name, requires in names.items():
        assert CORE_RANGE & set(requires), f"{name} does not declare lanterna-core>=0.1,<0.2: {requires}"


@pytest.mark.slow
def test_only_core_and_nn_are_installed_and_a_model_runs(built):
    got = _in_venv(built, """
import importlib.metadata as md, json, sys
import lanterna as torch
out = torch.nn.Linear(3, 2)(torch.ones(1, 3))
out.sum().backward()
dists = sorted(d.metadata["Name"] for d in md.distributions() if d.metadata["Name"].startswith("lanterna"))
print(json.dumps({"dists": dists, "shape": list(out.shape), "file": torch.__file__, "prefix": sys.prefix,
                  "version": torch.__version__, "grad_fn": type(out.grad_fn).__name__}))
""")
    assert got["dists"] == ["lanterna-core", "lanterna-nn"]
    assert got["shape"] == [1, 2] and got["grad_fn"] == "AddmmBackward0"
    assert Path(got["file"]).is_relative_to(got["prefix"]), "lanterna came from outside the venv"
    assert got["version"] == "0.1.0"


@pytest.mark.slow
def test_missing_optim_is_reported_with_the_package_to_install(built):
    got = _in_venv(built, """
import json
import lanterna as torch
errors = {}
def attempt(key, fn):
    try:
        fn()
        errors[key] = None
    except ImportError as exc:
        errors[key] = [type(exc).__name__, str(exc)]
def import_optim():
    import lanterna.optim  # noqa: F401
def from_import():
    from lanterna import optim  # noqa: F401
def import_scheduler():
    import lanterna.optim.lr_scheduler  # noqa: F401
def import_data():
    from lanterna.utils.data import DataLoader  # noqa: F401
attempt("import lanterna.optim", import_optim)
attempt("torch.optim", lambda: torch.optim)
attempt("from lanterna import optim", from_import)
attempt("import lanterna.optim.lr_scheduler", import_scheduler)
attempt("lanterna.utils.data", import_data)
attempt("torch.nn", lambda: torch.nn.Linear)
print(json.dumps(errors))
""")
    assert got.pop("torch.nn") is None
    data = got.pop("lanterna.utils.data")
    assert data is not None and "lanterna-data" in data[1]
    for how, error in got.items():
        assert error is not None, f"{how} did not fail"
        assert "lanterna-optim" in error[1] and "pip install lanterna-optim" in error[1], (how, error)
    assert got["import lanterna.optim"][0] == "ModuleNotFoundError"


@pytest.mark.slow
@pytest.mark.parametrize("package",
                         ["lanterna-nn", "lanterna-optim", "lanterna-data", "lanterna-distributed"])
def test_a_core_outside_the_declared_range_is_refused(built, package):
    res = _run([built["python"], "-m", "pip", "install", "--dry-run", "--no-index", "--find-links",
                built["core02"], package, "lanterna-core==0.2.0"], built["tmp"])
    output = res.stdout + res.stderr
    assert res.returncode != 0, output
    assert "conflicting dependencies" in output and "lanterna-core" in output, output
    declared = r"depends on lanterna-core\s*(<0\.2,?\s*(and\s*)?>=0\.1|>=0\.1,?\s*(and\s*)?<0\.2)"
    assert re.search(declared, output), output


@pytest.mark.slow
def test_pip_refuses_to_replace_core_with_an_incompatible_one(built):
    res = _run([built["python"], "-m", "pip", "install", "--no-index", "--find-links", built["core02"],
                "lanterna-core==0.2.0", "lanterna-nn"], built["tmp"])
    assert res.returncode != 0 and "conflicting dependencies" in res.stdout + res.stderr
    assert _in_venv(built, "import json, lanterna; print(json.dumps(lanterna.__version__))") == "0.1.0"
