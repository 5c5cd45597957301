"""Placeholder save/load (replaced by the PyTorch-compatible zip format)."""

from __future__ import annotations

import pickle


def save(obj, f, pickle_module=pickle, pickle_protocol=2, **kwargs):
    if isinstance(f, (str, bytes)) or hasattr(f, "__fspath__"):
        with open(f, "wb") as fh:
            pickle.dump(obj, fh, protocol=pickle_protocol)
    else:
        pickle.dump(obj, f, protocol=pickle_protocol)


def load(f, map_location=None, pickle_module=None, *, weights_only=True, **kwargs):
    if isinstance(f, (str, bytes)) or hasattr(f, "__fspath__"):
        with open(f, "rb") as fh:
            return pickle.load(fh)
    return pickle.load(f)
