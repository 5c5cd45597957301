"""The README's main job runs end to end: trains, checkpoints, reloads, plots (few epochs here)."""

import importlib.util
import sys
from pathlib import Path

import pytest

pytest.importorskip("sklearn")
pytest.importorskip("matplotlib")
pytest.importorskip("lanterna.nn")


def _load():
    path = Path(__file__).with_name("train_digits.py")
    spec = importlib.util.spec_from_file_location("train_digits", path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules["train_digits"] = mod
    spec.loader.exec_module(mod)
    return mod


def test_main_job_trains_saves_reloads_and_plots(tmp_path, capsys):
    acc = _load().main(["--epochs", "2", "--out", str(tmp_path)])
    out = capsys.readouterr().out
    assert acc > 0.8  # two epochs already separate most digits; the full run reaches >= 97%
    assert (tmp_path / "digits_cnn.pt").stat().st_size > 10_000
    png = (tmp_path / "loss_curve.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert "test accuracy" in out and "reloaded" in out
