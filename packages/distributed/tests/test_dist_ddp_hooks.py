"""DDP communication hooks and join() (uneven inputs) on 2 real processes."""

import sys

import numpy as np
import pytest
from dist_helpers import WORKERS, launch, needs_mpi, results

needs_mpi()
sys.path.insert(0, WORKERS)
import ddp_models as M

N = 2


@pytest.fixture(scope="module")
def ranks(tmp_path_factory):
    out = tmp_path_factory.mktemp("ddp_hooks")
    proc = launch("ddp_hooks_worker.py", out, nproc=N, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return [r["results"] for r in results(out, N)]


def assert_close(a, b, rtol=1e-5, atol=2e-6):
    assert a.keys() == b.keys()
    for k in a:
        np.testing.assert_allclose(np.array(a[k]), np.array(b[k]), rtol=rtol, atol=atol, err_msg=k)


def test_averaging_hooks_match_the_default(ranks):
    for r in range(N):
        assert_close(ranks[r]["avg_hook"], ranks[r]["default"])
        assert_close(ranks[r]["allreduce_hook"], ranks[r]["default"])
    assert ranks[0]["avg_hook"] == ranks[1]["avg_hook"]


def test_hook_sees_grad_buckets(ranks):
    calls = ranks[0]["avg_hook_calls"]
    n = ranks[0]["n_buckets"]
    assert n >= 2
    assert [c[0] for c in calls] == list(range(n))
    assert [c[1] for c in calls] == [False] * (n - 1) + [True]
    assert all(c[2] >= 1 and c[3] for c in calls)


def test_fp16_compress_hook(ranks):
    for r in range(N):
        assert_close(ranks[r]["fp16"], ranks[r]["default"], rtol=2e-2, atol=2e-3)
        assert_close(ranks[r]["fp16_view"], ranks[r]["fp16"], rtol=0, atol=0)
    assert ranks[0]["fp16"] == ranks[1]["fp16"]


def join_reference(divide_by_initial_world_size=True):
    """3 steps on both ranks' batches, then 2 steps where only rank 1 contributes."""
    model = M.make_model(seed=0)
    xs, ys = M.data(N)
    rows = slice(M.LOCAL_BATCH, 2 * M.LOCAL_BATCH)
    for step in range(5):
        model.zero_grad()
        if step < 3:
            ((model(xs[step]) - ys[step]) ** 2).mean().backward()
        else:
            ((model(xs[step][rows]) - ys[step][rows]) ** 2).mean().backward()
            if divide_by_initial_world_size:
                for p in model.parameters():
                    p.grad.div_(N)
        M.sgd_step(model)
    return M.params(model)


def test_join_uneven_inputs(ranks):
    ref = join_reference()
    for r in range(N):  # every rank ends with the last joiner's (rank 1's) model
        assert_close(ranks[r]["join"], ref)
        assert_close(ranks[r]["join_hook"], ref)
    assert ranks[0]["join"] == ranks[1]["join"]


def test_join_divide_by_remaining_ranks(ranks):
    ref = join_reference(divide_by_initial_world_size=False)
    for r in range(N):
        assert_close(ranks[r]["join_not_initial"], ref)


def test_register_comm_hook_errors(ranks):
    assert ranks[0]["twice"] == ("RuntimeError: register_comm_hook or register_builtin_comm_hook can only be "
                                 "called once.")
    assert ranks[0]["late"].startswith("RuntimeError: register_comm_hook must be called before the first")
    assert ranks[0]["not_callable"] == "TypeError: Communication hook must be callable."
