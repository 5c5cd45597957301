"""PyTorch as the oracle for test_nn_small_gaps.py: SyncBatchNorm, nn.modules.utils, and the autograd
nodes of group_norm, rrelu (training) and frobenius_norm."""

import warnings
from collections import OrderedDict

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import lanterna as lt  # noqa: E402

pytestmark = pytest.mark.oracle


def _np(t):
    return t.detach().numpy()


def _pair_of(shape, seed=0, dtype="float64"):
    a = np.random.default_rng(seed).standard_normal(shape).astype(dtype)
    return torch.tensor(a, requires_grad=True), lt.tensor(a, requires_grad=True)


def test_sync_batch_norm_train_then_eval():
    x = np.random.default_rng(0).standard_normal((5, 3, 2)).astype("float32")
    t, l = torch.nn.SyncBatchNorm(3, momentum=None), lt.nn.SyncBatchNorm(3, momentum=None)
    for _ in range(2):
        np.testing.assert_allclose(_np(l(lt.tensor(x))), _np(t(torch.tensor(x))), rtol=1e-6, atol=1e-6)
    for name in ("running_mean", "running_var", "num_batches_tracked"):
        np.testing.assert_allclose(getattr(l, name).numpy(), getattr(t, name).numpy(), rtol=1e-6)
    t.eval(), l.eval()
    np.testing.assert_allclose(_np(l(lt.tensor(x))), _np(t(torch.tensor(x))), rtol=1e-6, atol=1e-6)


def test_sync_batch_norm_zero_channels_message():
    msgs = []
    for m in (torch, lt):
        with pytest.raises(ValueError) as e:
            m.nn.SyncBatchNorm(0)(m.randn(4, 0))
        msgs.append(str(e.value))
    assert msgs[0] == msgs[1]


def test_convert_sync_batchnorm_like_torch():
    def build(m):
        return m.nn.Sequential(m.nn.Linear(2, 4), m.nn.BatchNorm1d(4, bias=False),
                               m.nn.Sequential(m.nn.BatchNorm2d(3, affine=False)), m.nn.SyncBatchNorm(2))

    nets = [build(m) for m in (torch, lt)]
    outs = [m.nn.SyncBatchNorm.convert_sync_batchnorm(n) for m, n in zip((torch, lt), nets)]
    assert repr(outs[1]) == repr(outs[0])
    for o, n in zip(outs, nets):
        assert o is n
    # a SyncBatchNorm passed directly is replaced by a new one in both
    fresh = [m.nn.SyncBatchNorm(2) for m in (torch, lt)]
    same = [m.nn.SyncBatchNorm.convert_sync_batchnorm(f) is f for m, f in zip((torch, lt), fresh)]
    assert same[0] == same[1]


def test_modules_utils_helpers_like_torch():
    tu, lu = torch.nn.modules.utils, lt.nn.modules.utils
    for name in ("_single", "_pair", "_triple", "_quadruple"):
        for v in (3, [1, 2], (4,)):
            assert getattr(lu, name)(v) == getattr(tu, name)(v)
        assert getattr(lu, name).__name__ == getattr(tu, name).__name__
    assert lu._reverse_repeat_tuple((1, 2, 3), 2) == tu._reverse_repeat_tuple((1, 2, 3), 2)
    assert lu._list_with_default([None, 3], [1, 2, 5, 6]) == tu._list_with_default([None, 3], [1, 2, 5, 6])
    assert lu.__all__ == tu.__all__


@pytest.mark.parametrize("prefix", ["module.", "m.", "module"])
def test_consume_prefix_like_torch(prefix):
    def make():
        sd = OrderedDict([("module.a", 1), ("module.b.c", 2), ("other", 3), ("m.x", 4)])
        sd._metadata = OrderedDict([("", 0), ("module", 1), ("module.b", 2), ("m", 3), ("m.x", 4), ("z", 5)])
        return sd

    a, b = make(), make()
    torch.nn.modules.utils.consume_prefix_in_state_dict_if_present(a, prefix)
    lt.nn.modules.utils.consume_prefix_in_state_dict_if_present(b, prefix)
    assert list(a.items()) == list(b.items())
    assert list(a._metadata.items()) == list(b._metadata.items())


def _node_names(fn):
    return type(fn).__name__, [None if f is None else type(f).__name__ for f, _ in fn.next_functions]


# (bias without weight is left out: PyTorch 2.13 fails its backward, "tensor does not have a device")
@pytest.mark.parametrize("affine", ["both", "weight", "none"])
def test_group_norm_node_values_and_grads(affine):
    tx, lx = _pair_of((2, 6, 3, 2), dtype="float32")
    tw, lw = _pair_of((6,), 1, "float32")
    tb, lb = _pair_of((6,), 2, "float32")
    use_w, use_b = affine in ("both", "weight"), affine in ("both", "bias")
    res = []
    for m, x, w, b in ((torch, tx, tw, tb), (lt, lx, lw, lb)):
        y = m.nn.functional.group_norm(x, 3, w if use_w else None, b if use_b else None)
        (y * y).sum().backward()
        res.append((y, _node_names(y.grad_fn), x.grad, w.grad, b.grad))
    (ty, tn, *tg), (ly, ln, *lg) = res
    assert ln == tn
    np.testing.assert_allclose(_np(ly), _np(ty), rtol=1e-5, atol=1e-5)
    for a, b in zip(lg, tg):
        assert (a is None) == (b is None)
        if a is not None:
            np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-4, atol=1e-4)


def test_group_norm_half_input_float_params_dtype():
    x = np.random.default_rng(0).standard_normal((2, 4, 3)).astype("float16")
    outs = [m.nn.functional.group_norm(m.tensor(x), 2, m.ones(4), m.zeros(4)) for m in (torch, lt)]
    assert str(outs[1].dtype) == str(outs[0].dtype)
    np.testing.assert_allclose(outs[1].float().numpy(), outs[0].float().numpy(), atol=2e-3)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_rrelu_training_under_a_seed_like_torch(dtype):
    x = np.random.default_rng(0).standard_normal(200).astype(dtype)
    x[:3] = 0
    res = []
    for m in (torch, lt):
        t = m.tensor(x, requires_grad=True)
        m.manual_seed(7)
        y = m.nn.functional.rrelu(t, 0.1, 0.7, training=True)
        y.sum().backward()
        res.append((_np(y), t.grad.numpy(), y.grad_fn.name(), m.rand(3).numpy()))
    np.testing.assert_array_equal(res[1][0], res[0][0])
    np.testing.assert_array_equal(res[1][1], res[0][1])
    assert res[1][2] == res[0][2] == "RreluWithNoiseBackward0"
    np.testing.assert_array_equal(res[1][3], res[0][3])  # the generator advanced alike


def test_rrelu_training_half_refused_like_torch():
    msgs = []
    for m in (torch, lt):
        with pytest.raises(NotImplementedError) as e:
            m.nn.functional.rrelu(m.randn(3).half(), training=True)
        msgs.append(str(e.value))
    assert msgs[0] == msgs[1]


@pytest.mark.parametrize("dim,keepdim", [((0, 1), False), ((1,), True), (0, False)])
def test_frobenius_norm_node_like_torch(dim, keepdim):
    tx, lx = _pair_of((3, 4))
    res = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for m, x in ((torch, tx), (lt, lx)):
            y = m.frobenius_norm(x, dim, keepdim)
            y.sum().backward()
            res.append((_np(y), x.grad.numpy(), _node_names(y.grad_fn)))
    np.testing.assert_allclose(res[1][0], res[0][0], rtol=1e-12)
    np.testing.assert_allclose(res[1][1], res[0][1], rtol=1e-12)
    assert res[1][2] == res[0][2]
