"""The examples in the docstrings run and print what they say."""

import doctest
import importlib

import pytest

MODULES = [
    "lanterna.utils.data",
    "lanterna.utils.data.dataset",
    "lanterna.utils.data.sampler",
    "lanterna.utils.data.distributed",
    "lanterna.utils.data.dataloader",
    "lanterna.utils.data._utils.collate",
    "lanterna.utils.data._utils.worker",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0
