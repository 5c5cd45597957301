"""``lanterna.accelerator`` (``torch.accelerator``): the current non-CPU device, if any.

PyTorch's quick-start picks its device this way::

    device = torch.accelerator.current_accelerator().type if torch.accelerator.is_available() else "cpu"

The accelerator is the first registered backend that declares itself one (``Backend.is_accelerator``,
as the lanterna-cuda plugin does).
"""

from __future__ import annotations

__all__ = ["current_accelerator", "current_device_index", "device_count", "is_available",
           "set_device_index", "synchronize"]


def _name(check_available=False):
    import lanterna

    from .backends.registry import REGISTRY

    for name, backend in REGISTRY.backends.items():
        if backend.is_accelerator and (not check_available or getattr(lanterna, name).is_available()):
            return name
    return None


def current_accelerator(check_available=False):
    """The accelerator's ``device`` (type only), or None when there is none."""
    from ._device import device

    name = _name(check_available)
    return None if name is None else device(name)


def is_available():
    return _name(check_available=True) is not None


def device_count():
    import lanterna

    name = _name(check_available=True)
    return 0 if name is None else getattr(lanterna, name).device_count()


def _module():
    import lanterna

    name = _name(check_available=True)
    if name is None:
        raise RuntimeError("No available accelerator found.")
    return getattr(lanterna, name)


def current_device_index():
    return _module().current_device()


current_device_idx = current_device_index


def set_device_index(device):
    _module().set_device(device)


set_device_idx = set_device_index


def synchronize(device=None):
    if is_available():
        _module().synchronize(device)
