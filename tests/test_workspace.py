"""The workspace imports as one framework: every subpackage from its own distribution."""

import importlib

import pytest


@pytest.mark.parametrize("name", ["lanterna", "lanterna.nn", "lanterna.optim", "lanterna.utils.data",
                                  "lanterna.distributed"])
def test_subpackage_imports(name):
    mod = importlib.import_module(name)
    assert mod.__name__ == name


def test_lazy_attribute_access():
    import lanterna as torch

    assert torch.nn.__name__ == "lanterna.nn"
    assert torch.utils.data.__name__ == "lanterna.utils.data"


def test_cuda_module_reports_unavailable_without_plugin_or_gpu():
    import lanterna as torch

    assert isinstance(torch.cuda.is_available(), bool)
    assert torch.cuda.device_count() >= 0
