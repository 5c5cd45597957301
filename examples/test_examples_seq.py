"""The character-level LSTM example trains (a few steps here) and its loss falls."""

import importlib.util
import math
import sys
from pathlib import Path

import pytest

pytest.importorskip("lanterna.nn")
pytest.importorskip("lanterna.optim")


def _load():
    path = Path(__file__).with_name("char_lstm.py")
    spec = importlib.util.spec_from_file_location("char_lstm", path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules["char_lstm"] = mod
    spec.loader.exec_module(mod)
    return mod


def test_char_lstm_loss_falls(capsys):
    losses = _load().main(["--steps", "25", "--hidden", "64", "--seq-len", "24", "--batch-size", "16",
                           "--lr", "0.01", "--sample-length", "30", "--print-every", "5"])
    out = capsys.readouterr().out
    assert len(losses) == 25 and all(math.isfinite(v) for v in losses)
    start, end = sum(losses[:3]) / 3, sum(losses[-5:]) / 5
    assert start > 3.8  # close to ln(60): the untrained model guesses uniformly
    assert end < start - 0.6
    assert "step    25" in out and "sample: The " in out
