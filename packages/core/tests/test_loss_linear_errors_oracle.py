"""Loss and linear dtype/shape errors, detach_ on views, two-number arithmetic: same exception
type and message as PyTorch."""

import numpy as np
import pytest

import lanterna

pytestmark = pytest.mark.oracle
torch = pytest.importorskip("torch")

f32, f64, i64 = "float32", "float64", "int64"


def _outcome(lib, build):
    try:
        r = build(lib)
    except Exception as e:  # noqa: BLE001 - the exception is what is compared
        return type(e).__name__, str(e).splitlines()[0]
    return "ok", str(r.dtype), r.tolist() if hasattr(r, "tolist") else r


def _dt(lib, name):
    return getattr(lib, name)


CASES = {
    "nll_int": lambda L: L.nn.functional.nll_loss(L.ones(2, 3, dtype=L.long), L.tensor([0, 1])),
    "nll_int_kd": lambda L: L.nn.functional.nll_loss(L.ones(2, 3, 4, dtype=L.long), L.zeros(2, 4, dtype=L.long)),
    "nll_int_out_of_range": lambda L: L.nn.functional.nll_loss(L.ones(2, 3, dtype=L.long), L.tensor([0, 5])),
    "mse_int": lambda L: L.nn.functional.mse_loss(L.ones(2, dtype=L.long), L.ones(2, dtype=L.int32)),
    "mse_bool": lambda L: L.nn.functional.mse_loss(L.ones(2, dtype=L.bool), L.ones(2, dtype=L.bool)),
    "huber_int": lambda L: L.nn.functional.huber_loss(L.ones(2, dtype=L.long), L.ones(2, dtype=L.long)),
    "smooth_l1_int": lambda L: L.nn.functional.smooth_l1_loss(L.ones(2, dtype=L.long), L.ones(2, dtype=L.long)),
    "bce_int_target": lambda L: L.nn.functional.binary_cross_entropy(L.full((2,), 0.5), L.ones(2, dtype=L.long)),
    "bce_double_target": lambda L: L.nn.functional.binary_cross_entropy(L.full((2,), 0.5), L.ones(2, dtype=L.float64)),
    "bce_int": lambda L: L.nn.functional.binary_cross_entropy(L.zeros(2, dtype=L.long), L.ones(2, dtype=L.long)),
    "bce_weight_shape": lambda L: L.nn.functional.binary_cross_entropy(L.full((2, 3), 0.5), L.ones(2, 3),
                                                                       weight=L.ones(3, 1)),
    "bce_weight_shape_1d": lambda L: L.nn.functional.binary_cross_entropy(L.full((2, 3), 0.5), L.ones(2, 3),
                                                                          weight=L.ones(2)),
    "bcel_int_input": lambda L: L.nn.functional.binary_cross_entropy_with_logits(L.zeros(2, dtype=L.long), L.ones(2)),
    "bcel_int_target": lambda L: L.nn.functional.binary_cross_entropy_with_logits(L.zeros(2), L.ones(2, dtype=L.long)),
    "bcel_double_target": lambda L: L.nn.functional.binary_cross_entropy_with_logits(
        L.tensor([0.5, -1.0]), L.tensor([1.0, 0.0], dtype=L.float64)),
    "bcel_weight_shape": lambda L: L.nn.functional.binary_cross_entropy_with_logits(
        L.zeros(2, 3), L.ones(2, 3), weight=L.ones(2)),
    "linear_m1_m2": lambda L: L.nn.functional.linear(L.ones(2, 3), L.ones(4, 3, dtype=L.float64)),
    "linear_bias_self_mat2": lambda L: L.nn.functional.linear(L.ones(2, 3), L.ones(4, 3, dtype=L.float64), L.ones(4)),
    "linear_bias_mat1_mat2": lambda L: L.nn.functional.linear(L.ones(2, 3, dtype=L.float64), L.ones(4, 3), L.ones(4)),
    "linear_bias_dtype": lambda L: L.nn.functional.linear(L.ones(2, 3), L.ones(4, 3), L.ones(4, dtype=L.float64)),
    "detach_view": lambda L: L.ones(2, 2)[0].detach_(),
    "detach_transpose": lambda L: L.ones(2, 2).t().detach_(),
    "detach_detached": lambda L: L.ones(2, 2)[1].detach().detach_(),
    "detach_view_dtype": lambda L: L.ones(2, 3).view(L.int32).detach_(),
    "add_numbers": lambda L: L.add(1, 2),
    "mul_numbers": lambda L: L.mul(2, 3.5),
    "div_numbers": lambda L: L.div(1, 2),
    "add_bool_number": lambda L: L.add(True, 2),
    "add_list": lambda L: L.add([1], 2),
    "igamma": lambda L: L.igamma(L.tensor([1.0, 2.0]), L.tensor([1.0, 3.0])),
    "igammac_method": lambda L: L.tensor([1.0, 2.0]).igammac(L.tensor([1.0, 3.0])),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_same_outcome_as_torch(name):
    ours, ref = _outcome(lanterna, CASES[name]), _outcome(torch, CASES[name])
    if ours[0] == "ok" and ref[0] == "ok":
        assert ours[1] == ref[1]
        np.testing.assert_allclose(np.asarray(ours[2], dtype=float), np.asarray(ref[2], dtype=float), rtol=1e-6)
    else:
        assert ours[:2] == ref[:2]
