"""Global seeding: ``manual_seed`` seeds the CPU generator and every registered device's."""

from __future__ import annotations

import numpy as np

from . import _rng
from .backends.registry import REGISTRY

default_generator = None  # set below to a lanterna.Generator wrapping the CPU stream


def manual_seed(seed):
    """Seed every device's default generator (PyTorch's exact CPU stream)."""
    seed = int(seed)
    _rng.default_generator.manual_seed(seed)
    for name, backend in REGISTRY.backends.items():
        if name != "cpu" and backend.is_available():
            try:
                backend.manual_seed(seed)
            except Exception:  # a device that cannot seed now is seeded on first use
                pass
    return default_generator


def seed():
    s = _rng.default_generator.seed()
    return s


def initial_seed():
    return _rng.default_generator.initial_seed()


def get_rng_state():
    from .ops.creation import from_numpy

    return from_numpy(np.asarray(_rng.default_generator.get_state(), dtype=np.uint8).copy())


def set_rng_state(new_state):
    _rng.default_generator.set_state(np.asarray(new_state._host() if hasattr(new_state, "_host") else new_state,
                                                dtype=np.uint8))


def _make_default():
    from .ops.creation import Generator

    g = Generator.__new__(Generator)
    from ._device import CPU

    g.device = CPU
    g._impl = _rng.default_generator
    return g


default_generator = _make_default()


@__import__("contextlib").contextmanager
def fork_rng(devices=None, enabled=True, _caller="fork_rng", _devices_kw="devices", device_type="cuda"):
    """``torch.random.fork_rng``: the CPU generator's state (and the device's, where it has one)
    is restored when the block ends."""
    if not enabled:
        yield
        return
    cpu_state = get_rng_state()
    import lanterna

    module = getattr(lanterna, device_type, None)
    saved = None
    if module is not None and module.is_available() and hasattr(module, "get_rng_state"):
        try:
            saved = module.get_rng_state()
        except Exception:
            saved = None
    try:
        yield
    finally:
        set_rng_state(cpu_state)
        if saved is not None:
            module.set_rng_state(saved)
