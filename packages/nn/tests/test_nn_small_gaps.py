"""Small PyTorch behaviours: SyncBatchNorm in one process and its conversion, the helpers of
nn.modules.utils, copying a DDP model, and the autograd nodes of group_norm, rrelu (training) and
frobenius_norm. Expected values come from formulas; the oracle twin compares with PyTorch."""

import copy
import os
import subprocess
import sys
import textwrap
from collections import OrderedDict

import numpy as np
import pytest

import lanterna as torch
import lanterna.nn as nn
import lanterna.nn.functional as F
from lanterna.autograd import gradcheck, gradgradcheck
from lanterna.nn.modules.utils import (
    _ntuple, _pair, _quadruple, _reverse_repeat_tuple, _single, _triple,
    consume_prefix_in_state_dict_if_present,
)


def _batch_norm_ref(x, eps=1e-5):
    """Training-mode batch norm of a (N, C) array, no affine map."""
    return (x - x.mean(0)) / np.sqrt(x.var(0) + eps)


# ---- SyncBatchNorm -----------------------------------------------------------------------------
def test_sync_batch_norm_without_process_group_is_batch_norm():
    x = np.random.default_rng(0).standard_normal((6, 3))
    m = nn.SyncBatchNorm(3).double()
    np.testing.assert_allclose(m(torch.tensor(x)).detach().numpy(), _batch_norm_ref(x), atol=1e-12)
    np.testing.assert_allclose(m.running_mean.numpy(), 0.1 * x.mean(0), atol=1e-12)
    np.testing.assert_allclose(m.running_var.numpy(), 0.9 + 0.1 * x.var(0, ddof=1), atol=1e-12)
    assert int(m.num_batches_tracked) == 1
    m.eval()
    expected = (x - 0.1 * x.mean(0)) / np.sqrt(0.9 + 0.1 * x.var(0, ddof=1) + 1e-5)
    np.testing.assert_allclose(m(torch.tensor(x)).detach().numpy(), expected, atol=1e-12)


def test_sync_batch_norm_input_checks():
    m = nn.SyncBatchNorm(3)
    with pytest.raises(ValueError, match=r"expected at least 2D input \(got 1D input\)"):
        m(torch.randn(3))
    with pytest.raises(ValueError, match="SyncBatchNorm number of input channels should be non-zero"):
        nn.SyncBatchNorm(0)(torch.randn(4, 0))


def test_convert_sync_batchnorm_keeps_state():
    net = nn.Sequential(nn.Conv2d(2, 3, 1), nn.BatchNorm2d(3, bias=False),
                        nn.Sequential(nn.BatchNorm1d(4, momentum=None, eps=1e-3)))
    bn2d, bn1d = net[1], net[2][0]
    bn2d.qconfig = "q"
    net.eval()
    out = nn.SyncBatchNorm.convert_sync_batchnorm(net, process_group="pg")
    assert out is net
    s2d, s1d = out[1], out[2][0]
    assert type(s2d) is nn.SyncBatchNorm and type(s1d) is nn.SyncBatchNorm
    assert s2d.weight is bn2d.weight and s2d.bias is None and s2d.running_mean is bn2d.running_mean
    assert s2d.num_batches_tracked is bn2d.num_batches_tracked and s2d.qconfig == "q"
    assert (s1d.momentum, s1d.eps, s1d.num_features, s1d.process_group) == (None, 1e-3, 4, "pg")
    assert not s2d.training and not s1d.training
    assert s2d.extra_repr().endswith("affine=True, bias=False, track_running_stats=True")


def test_convert_sync_batchnorm_replaces_a_sync_batch_norm_too():
    # PyTorch converts every _BatchNorm, SyncBatchNorm included: a new module sharing the state
    s = nn.SyncBatchNorm(3, affine=False, track_running_stats=False)
    c = nn.SyncBatchNorm.convert_sync_batchnorm(s)
    assert c is not s and type(c) is nn.SyncBatchNorm
    assert c.weight is None and c.running_mean is None and not c.affine and not c.track_running_stats


# ---- nn.modules.utils ------------------------------------------------------------------------
def test_modules_utils_tuples():
    assert torch.nn.modules.utils is __import__("lanterna.nn.modules.utils").nn.modules.utils
    assert (_single(2), _pair(2), _triple(2), _quadruple(2)) == ((2,), (2, 2), (2, 2, 2), (2, 2, 2, 2))
    assert _pair([1, 3]) == (1, 3) and _triple((1, 2)) == (1, 2)  # iterables pass through as tuples
    assert _ntuple(3, "_three").__name__ == "_three" and _pair.__name__ == "_pair"
    assert _reverse_repeat_tuple((1, 2, 3), 2) == (3, 3, 2, 2, 1, 1)


def test_consume_prefix_in_state_dict_if_present():
    sd = OrderedDict([("module.a", 1), ("module.b.c", 2), ("other", 3)])
    sd._metadata = OrderedDict(
        [("", {"v": 0}), ("module", {"v": 1}), ("module.b", {"v": 2}), ("x", {"v": 3})]
    )
    assert consume_prefix_in_state_dict_if_present(sd, "module.") is None
    assert list(sd.items()) == [("other", 3), ("a", 1), ("b.c", 2)]
    # 'module' (the prefix without its dot) becomes '' and so replaces the wrapper's entry
    assert dict(sd._metadata) == {"": {"v": 1}, "b": {"v": 2}, "x": {"v": 3}}


def test_consume_prefix_loads_a_ddp_checkpoint():
    src = nn.Sequential(nn.Linear(2, 2))
    sd = OrderedDict(("module." + k, v) for k, v in src.state_dict().items())
    consume_prefix_in_state_dict_if_present(sd, "module.")
    dst = nn.Sequential(nn.Linear(2, 2))
    dst.load_state_dict(sd)
    assert torch.equal(dst[0].weight, src[0].weight)
    plain = {"w": 1}
    consume_prefix_in_state_dict_if_present(plain, "module.")  # no prefix, no _metadata: untouched
    assert plain == {"w": 1}


# ---- autograd nodes ---------------------------------------------------------------------------
def _t64(*shape, seed=0):
    return torch.tensor(np.random.default_rng(seed).standard_normal(shape), requires_grad=True)


def test_group_norm_is_one_node_with_unchanged_gradients():
    x, w, b = _t64(2, 6, 3), _t64(6, seed=1), _t64(6, seed=2)
    y = F.group_norm(x, 3, w, b)
    assert y.grad_fn.name() == "NativeGroupNormBackward0"
    assert [type(f).__name__ for f, _ in y.grad_fn.next_functions] == ["AccumulateGrad"] * 3
    xg = x.detach().numpy().reshape(2, 3, -1)
    ref = ((xg - xg.mean(2, keepdims=True)) / np.sqrt(xg.var(2, keepdims=True) + 1e-5)).reshape(2, 6, 3)
    ref = ref * w.detach().numpy()[:, None] + b.detach().numpy()[:, None]
    np.testing.assert_allclose(y.detach().numpy(), ref, atol=1e-12)
    assert gradcheck(lambda x, w, b: F.group_norm(x, 3, w, b), (x, w, b))
    assert gradgradcheck(lambda x, w, b: F.group_norm(x, 3, w, b), (x, w, b))
    x4 = _t64(2, 4, 3, 2, seed=3)
    assert gradcheck(lambda x: F.group_norm(x, 2), (x4,))
    assert gradgradcheck(lambda x: F.group_norm(x, 2), (x4,))
    assert gradcheck(lambda x, w: F.group_norm(x, 3, w), (x, w))
    assert gradcheck(lambda x, b: F.group_norm(x, 3, None, b), (x, b))


def test_group_norm_without_affine_has_empty_parameter_edges():
    y = F.group_norm(_t64(2, 4, 3), 2)
    assert y.grad_fn.name() == "NativeGroupNormBackward0"
    assert [f is None for f, _ in y.grad_fn.next_functions] == [False, True, True]


def test_group_norm_half_input_float_params_stays_half():
    x = torch.randn(2, 4, 3).half()
    y = F.group_norm(x, 2, torch.ones(4), torch.zeros(4))
    assert y.dtype == torch.float16


def test_rrelu_training_node_and_gradient():
    x = torch.tensor([-1.0, 2.0, 0.0, -3.0, 0.5], requires_grad=True)
    y = F.rrelu(x, 0.1, 0.3, training=True)
    assert y.grad_fn.name() == "RreluWithNoiseBackward0"
    y.sum().backward()
    slopes = x.grad.numpy()
    np.testing.assert_allclose(y.detach().numpy(), x.detach().numpy() * slopes)
    assert slopes[1] == 1 and slopes[4] == 1  # positive inputs: slope 1
    nonpos = slopes[[0, 2, 3]]
    assert np.all((nonpos >= 0.1) & (nonpos <= 0.3))  # zero counts as non-positive (a drawn slope)
    xs = _t64(4, 3)

    def f(t):
        torch.manual_seed(3)
        return F.rrelu(t, training=True)

    assert gradcheck(f, (xs,)) and gradgradcheck(f, (xs,))
    with pytest.raises(NotImplementedError, match="rrelu_with_noise_out_cpu\" not implemented for 'Half'"):
        F.rrelu(torch.randn(3).half(), training=True)


def test_frobenius_norm_node():
    a = _t64(3, 4)
    with pytest.warns(UserWarning, match="frobenius_norm is deprecated"):
        y = torch.frobenius_norm(a, (0, 1))
        z = torch.frobenius_norm(a, 1, True)
    assert y.grad_fn.name() == "NormBackward1" and z.grad_fn.name() == "NormBackward1"
    an = a.detach().numpy()
    np.testing.assert_allclose(y.item(), np.sqrt((an ** 2).sum()))
    np.testing.assert_allclose(z.detach().numpy(), np.sqrt((an ** 2).sum(1, keepdims=True)))
    y.backward()
    np.testing.assert_allclose(a.grad.numpy(), an / np.sqrt((an ** 2).sum()))
    with pytest.warns(UserWarning):
        assert gradcheck(lambda t: torch.frobenius_norm(t, (1,)), (a,))
        with pytest.raises(RuntimeError, match="norm\\(\\): input dtype should be either floating point"):
            torch.frobenius_norm(torch.arange(4).reshape(2, 2), (0, 1))


# ---- with a process group (a fresh process: MPI must not start in the test runner) ------------
_WORLD_OF_ONE = textwrap.dedent("""
    import copy, pickle
    import lanterna as torch
    import lanterna.distributed as dist
    from lanterna.nn.parallel import DistributedDataParallel as DDP

    dist.init_process_group("gloo", init_method="env://", rank=0, world_size=1)
    try:
        ddp = DDP(torch.nn.Linear(3, 2))
        for clone in (copy.deepcopy(ddp), pickle.loads(pickle.dumps(ddp))):
            assert type(clone) is DDP and clone.reducer is not ddp.reducer
            assert clone.module.weight is not ddp.module.weight
            assert torch.equal(clone.module.weight, ddp.module.weight)
            clone(torch.ones(4, 3)).sum().backward()  # its own reducer, over the default group
            assert torch.equal(clone.module.weight.grad, torch.full((2, 3), 4.0))
            assert ddp.module.weight.grad is None
        sub = DDP(torch.nn.Linear(3, 2), process_group=dist.new_group([0]))
        for op in (copy.deepcopy, pickle.dumps):
            try:
                op(sub)
                raise AssertionError("a DDP over a subgroup was copied")
            except RuntimeError as e:
                assert "DDP Pickling/Unpickling are only supported when using DDP with the default" in str(e)
        bn = torch.nn.SyncBatchNorm(3)
        try:
            bn(torch.randn(4, 3))
            raise AssertionError("SyncBatchNorm trained on a CPU tensor under a process group")
        except ValueError as e:
            assert str(e) == "SyncBatchNorm expected input tensor to be on GPU or XPU or privateuseone", e
        bn.eval()
        assert bn(torch.randn(4, 3)).shape == (4, 3)  # eval: plain batch norm
    finally:
        dist.destroy_process_group()
    try:
        copy.deepcopy(ddp)
        raise AssertionError("copied without a process group")
    except ValueError as e:
        assert "Default process group has not been initialized" in str(e)
    print("WORLD-OF-ONE-OK")
""")


def test_ddp_copy_and_sync_batch_norm_under_a_process_group():
    pytest.importorskip("mpi4py")
    pytest.importorskip("lanterna.distributed")
    env = dict(os.environ, RANK="0", WORLD_SIZE="1", MASTER_ADDR="127.0.0.1", MASTER_PORT="29517",
               OMP_NUM_THREADS="1")
    cmd = [sys.executable, "-c", _WORLD_OF_ONE]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=60, env=env)
    assert out.returncode == 0 and "WORLD-OF-ONE-OK" in out.stdout, out.stdout + out.stderr


def test_ddp_copy_without_process_group_is_refused():
    pytest.importorskip("lanterna.distributed")
    from lanterna.nn.parallel import DistributedDataParallel as DDP

    ddp = DDP.__new__(DDP)  # what a DDP looks like once its group is gone
    nn.Module.__init__(ddp)
    ddp.process_group = None
    with pytest.raises(ValueError, match="Default process group has not been initialized"):
        copy.deepcopy(ddp)
