"""Every ``>>>`` example in lanterna.nn's docstrings (and in core's nn op modules) runs as a doctest."""

import doctest
import importlib
import pkgutil

import pytest

import lanterna.nn

MODULES = sorted(
    {info.name for info in pkgutil.walk_packages(lanterna.nn.__path__, "lanterna.nn.")}
    | {"lanterna.nn"}
    | {f"lanterna.ops.{m}" for m in ("nn_activation", "nn_conv", "nn_distance", "nn_dropout", "nn_linear",
                                     "nn_loss", "nn_norm", "nn_pad", "nn_pool", "nn_sparse", "nn_special",
                                     "nn_top", "nn_upsample")}
)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    try:
        module = importlib.import_module(name)
    except ImportError as exc:  # optional modules (e.g. DistributedDataParallel) may need other packages
        pytest.skip(str(exc))
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed in {name}"
