"""The device conformance suite: device-generic tests run on every available device.

Every test that takes a ``device`` argument runs once per device. Results on the device are
compared with the same computation on the CPU (the reference), so a backend passes when it
behaves like Lanterna's CPU backend.

Run it against one device (a plugin author's command)::

    pytest tests/conformance --lanterna-device=strict

or set ``LANTERNA_TEST_DEVICE=strict``. Without either, it runs on every registered device
that is available here (``cpu`` always).
"""

from __future__ import annotations

import os

import pytest

import lanterna
from lanterna.backends import REGISTRY

ENV = "LANTERNA_TEST_DEVICE"


def pytest_addoption(parser):
    parser.addoption("--lanterna-device", action="store", default=None,
                     help="run the Lanterna device conformance suite on this device type only "
                          f"(default: every available device; env: {ENV})")


def _wanted(config):
    try:
        wanted = config.getoption("--lanterna-device")
    except ValueError:  # the option is registered only when this folder is on the command line
        wanted = None
    return wanted or os.environ.get(ENV)


def pytest_configure(config):
    wanted = _wanted(config)
    if wanted:
        try:  # fail at once, with the backend's own reason, rather than in every test
            lanterna.backends.get_backend(wanted)
        except RuntimeError as exc:
            raise pytest.UsageError(f"cannot run the conformance suite on '{wanted}': {exc}") from None


def selected_devices(config):
    """The device types under test: the one asked for, or every available one."""
    wanted = _wanted(config)
    if wanted:
        return [wanted]
    return [name for name, b in REGISTRY.backends.items() if _available(b)]


def _available(backend):
    try:
        return bool(backend.is_available())
    except Exception:
        return False


def pytest_generate_tests(metafunc):
    if "device" in metafunc.fixturenames:
        metafunc.parametrize("device", selected_devices(metafunc.config), scope="module")


@pytest.fixture
def backend(device):
    """The Backend object of the device under test (fails clearly if it cannot run here)."""
    return lanterna.backends.get_backend(device)
