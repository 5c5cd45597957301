"""PyTorch as the oracle for every op spec of the family files (values, gradients, dtypes,
shapes, grad_fn names, error messages). Skipped where torch is not installed."""

import pytest

import optest
import test_ops_compare
import test_ops_elementwise
import test_ops_index
import test_ops_inplace
import test_ops_linalg
import test_ops_reduce
import test_ops_shape
import test_ops_unary

pytestmark = pytest.mark.oracle
torch = pytest.importorskip("torch")

FAMILIES = [test_ops_elementwise, test_ops_unary, test_ops_compare, test_ops_reduce, test_ops_shape,
            test_ops_index, test_ops_linalg, test_ops_inplace]
ALL = [s for fam in FAMILIES for s in list(fam.SPECS) + list(getattr(fam, "ERRORS", ())) if s.oracle]


@pytest.mark.parametrize("spec", [pytest.param(s, id=s.name) for s in ALL])
def test_matches_torch(spec):
    optest.check_against_torch(spec, torch)
