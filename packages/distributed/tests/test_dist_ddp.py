"""DistributedDataParallel on 2 real processes against single-process training on the whole batch."""

import sys

import numpy as np
import pytest
from dist_helpers import WORKERS, launch, needs_mpi, results

needs_mpi()
sys.path.insert(0, WORKERS)
import ddp_models as M
import lanterna as torch

N = 2


@pytest.fixture(scope="module")
def ranks(tmp_path_factory):
    out = tmp_path_factory.mktemp("ddp")
    proc = launch("ddp_worker.py", out, nproc=N)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return results(out, N)


def reference(use_extra=True):
    """One process, rank 0's initial weights, every step on the concatenated batch."""
    model = M.make_model(seed=0)
    xs, ys = M.data(N)
    for step in range(M.STEPS):
        model.zero_grad()
        ((model(xs[step], use_extra=use_extra) - ys[step]) ** 2).mean().backward()
        M.sgd_step(model)
    return M.params(model)


def assert_close(a, b):
    assert a.keys() == b.keys()
    for k in a:
        np.testing.assert_allclose(np.array(a[k]), np.array(b[k]), rtol=1e-5, atol=2e-6, err_msg=k)


def test_training_matches_single_process(ranks):
    ref = reference()
    assert ranks[0]["results"]["n_buckets"] >= 2
    for r in range(N):
        assert_close(ranks[r]["results"]["train"], ref)


def test_replicas_stay_bitwise_identical(ranks):
    a, b = (ranks[r]["results"]["train"] for r in range(N))
    assert a == b


def test_state_dict_has_module_prefix_and_loads_into_plain_module(ranks):
    keys = ranks[0]["results"]["keys"]
    assert all(k.startswith("module.") for k in keys)
    model = M.make_model(seed=5)
    state = {k: torch.tensor(v) for k, v in ranks[0]["results"]["train"].items()}
    model.load_state_dict(state)
    assert sorted(k[len("module."):] for k in keys) == sorted(model.state_dict().keys())


def test_no_sync_accumulates_locally_then_averages(ranks):
    model = M.make_model(seed=0)
    xs, ys = M.data(N)
    model.zero_grad()
    for step in range(3):
        ((model(xs[step]) - ys[step]) ** 2).mean().backward()
    # inside no_sync each rank only has its own micro-batches' gradients
    for r in range(N):
        local = M.make_model(seed=0)
        local.zero_grad()
        for step in range(2):
            rows = slice(r * M.LOCAL_BATCH, (r + 1) * M.LOCAL_BATCH)
            ((local(xs[step][rows]) - ys[step][rows]) ** 2).mean().backward()
        for k, p in local.named_parameters():
            np.testing.assert_allclose(ranks[r]["results"]["no_sync_local"][k], p.grad.tolist(), rtol=1e-5,
                                       atol=1e-7, err_msg=k)
    # after the synchronising backward: the average over ranks of each rank's 3-step sum, which is
    # the full-batch gradient summed over the 3 steps
    for r in range(N):
        for k, p in model.named_parameters():
            np.testing.assert_allclose(ranks[r]["results"]["no_sync_grads"][k], p.grad.tolist(), rtol=1e-5,
                                       atol=1e-7, err_msg=k)


def test_find_unused_parameters(ranks):
    ref = reference(use_extra=False)
    for r in range(N):
        assert_close(ranks[r]["results"]["unused"], ref)
        assert ranks[r]["results"]["unused_extra_grad"]  # never used anywhere: .grad stays None


def test_gradient_as_bucket_view(ranks):
    ref = reference()
    for r in range(N):
        assert_close(ranks[r]["results"]["bucket_view"], ref)


def test_buffers_follow_rank_0(ranks):
    for r in range(N):
        assert ranks[r]["results"]["buffer_after_forward"] == [10.0]


def test_distributed_sampler_shards_the_dataset(ranks):
    for epoch in range(2):
        shards = [ranks[r]["results"]["sampler"][epoch] for r in range(N)]
        assert [len(s) for s in shards] == [6, 6]  # 11 samples padded to 12
        assert set(shards[0]) | set(shards[1]) == set(range(11))
    assert ranks[0]["results"]["sampler"][0] != ranks[0]["results"]["sampler"][1]
