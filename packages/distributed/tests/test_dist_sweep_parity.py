"""torch.distributed behaviours a gloo test suite relies on, checked against their definitions.

One 2-rank job (workers/sweep_worker.py, started by ``lanterna.multiprocessing.spawn`` with
``env://``) records every case; the tests here check each against what PyTorch 2.13 does on gloo
(exception types included), or against the arithmetic it must give. The same worker runs on real
PyTorch in test_dist_sweep_parity_oracle.py.
"""

import json
import os
import socket
import subprocess
import sys

import numpy as np
import pytest
from dist_helpers import WORKERS, launch, results

N = 2


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_sweep(out_dir, lib="lanterna", timeout=90):
    """Run the worker on ``lib`` (in this Python); returns the two ranks' documents."""
    cmd = [sys.executable, os.path.join(WORKERS, "sweep_worker.py"), lib, str(out_dir), str(free_port())]
    env = dict(os.environ, OMP_NUM_THREADS="1")
    try:
        proc = subprocess.run(cmd, check=False, capture_output=True, text=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"sweep_worker.py {lib} did not finish within {timeout} s:\n{exc.stdout}\n{exc.stderr}")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    docs = []
    for r in range(N):
        with open(os.path.join(out_dir, f"{lib}{r}.json")) as f:
            docs.append(json.load(f))
    return docs


@pytest.fixture(scope="module")
def ranks(tmp_path_factory):
    return run_sweep(tmp_path_factory.mktemp("sweep"))


def x(r):
    return np.arange(6).reshape(2, 3) * (r + 1) + r + 1


def ok(doc, key):
    assert "ok" in doc[key], doc[key]
    return doc[key]["ok"]


def err(doc, key):
    assert "err" in doc[key], doc[key]
    return doc[key]["err"]


def test_names_are_pytorchs(ranks):
    for doc in ranks:
        # get_backend()/Backend() give plain strings, ReduceOp prints as RedOpType.X, non-members are -100
        assert ok(doc, "api") == ["gloo", "str", "RedOpType.SUM", "RedOpType.MAX", "gloo", "str", False, True]
        assert err(doc, "destroy_before_init") == "AssertionError"


def test_reduce_ops_follow_gloo(ranks):
    xs = np.stack([x(r) for r in range(N)])
    for doc in ranks:
        assert ok(doc, "all_reduce/AVG/float32") == {"dtype": "float32", "v": (xs.sum(0) / N).tolist()}
        assert ok(doc, "all_reduce/MAX/int64") == {"dtype": "int64", "v": xs.max(0).tolist()}
        assert ok(doc, "all_reduce/BAND/int64") == {"dtype": "int64", "v": (xs[0] & xs[1]).tolist()}
        assert ok(doc, "all_reduce/BXOR/int64") == {"dtype": "int64", "v": (xs[0] ^ xs[1]).tolist()}
        # gloo cannot average integers, and bitwise ops need integers: RuntimeErrors on every rank
        assert err(doc, "all_reduce/AVG/int64") == "RuntimeError"
        assert err(doc, "all_reduce/BAND/float32") == "RuntimeError"
        assert err(doc, "all_reduce/BXOR/float32") == "RuntimeError"
        assert "non-integral" in doc["all_reduce/BAND/float32"]["msg"]


def test_all_gather_single_and_reduce_scatter_single(ranks):
    xs = np.stack([x(r) for r in range(N)]).astype(np.float32)
    for r, doc in enumerate(ranks):
        gathered, scattered = ok(doc, "single")
        assert gathered["v"] == np.concatenate(xs).tolist()
        assert scattered["v"] == [xs.sum(0)[r].tolist()]


@pytest.mark.parametrize("case, expected", [
    ("err/not_a_tensor", "TypeError"),
    ("err/op", "TypeError"),
    ("err/group", "ValueError"),
    ("err/root", "RuntimeError"),
    ("err/all_gather_len", "RuntimeError"),
    ("err/all_gather_dtype", "ValueError"),
    ("err/all_gather_shape", "RuntimeError"),
    ("err/single_size", "RuntimeError"),
    ("err/scatter_missing", "ValueError"),
    ("err/reduce_scatter_len", "RuntimeError"),
])
def test_argument_errors_have_pytorchs_types(ranks, case, expected):
    for doc in ranks:
        assert err(doc, case) == expected, doc[case]


def test_object_collectives_list_lengths(ranks):
    for doc in ranks:
        # a longer list keeps its extra entries (PyTorch writes the first world_size)
        assert ok(doc, "obj/all_gather_longer") == [{"rank": 0}, {"rank": 1}, None]
    # a short list on the destination: IndexError there, after the exchange (the other rank is done)
    assert err(ranks[0], "obj/gather_short") == "IndexError"
    assert ok(ranks[1], "obj/gather_short") is None


def test_subgroups_and_non_members(ranks):
    for r, doc in enumerate(ranks):
        assert ok(doc, "new_subgroups_by_enumeration") == [[r], 2, {"dtype": "float32", "v": [float(r + 1)]}]
    assert ok(ranks[0], "non_member") == [True, -1, -1]
    assert ok(ranks[1], "non_member") == [False, 0, 1]


def _two_heads_grads(b_on_rank1):
    """The averaged gradients of TwoHeads (worker) when the loss uses head a (and head b on rank 1)."""
    xs = np.random.RandomState(1).randn(2 * N, 4).astype(np.float32)
    wb, bb = np.linspace(1, -1, 12, dtype=np.float32).reshape(3, 4), np.full(3, -0.2, np.float32)
    ga_w = np.tile(xs.sum(0), (3, 1)) / N
    ga_b = np.full(3, 2.0) * N / N
    if not b_on_rank1:
        return ga_w, ga_b, None, None
    x1 = xs[2:4]
    y = x1 @ wb.T + bb
    return ga_w, ga_b, (2 * y.T @ x1) / N, (2 * y.sum(0)) / N


@pytest.mark.parametrize("b_on_rank1", [False, True])
def test_ddp_output_left_out_of_the_loss(ranks, b_on_rank1):
    """find_unused_parameters with a head the loss does not use: the used head is averaged, the
    unused one keeps ``grad None`` (or is averaged with zeros where one rank used it)."""
    key = "ddp/unused_output_on_one_rank" if b_on_rank1 else "ddp/unused_output"
    expected = _two_heads_grads(b_on_rank1)
    for doc in ranks:
        got = ok(doc, key)
        for g, e in zip(got, expected):
            if e is None:
                assert g is None
            else:
                np.testing.assert_allclose(np.array(g["v"]), e, rtol=1e-5, atol=1e-5)


def test_training_identical_on_ranks_and_equal_to_one_process(ranks):
    import lanterna as torch
    import lanterna.nn as nn

    orders, _, params = ok(ranks[0], "train")
    assert ok(ranks[1], "train")[2] == params  # bitwise identical replicas
    # DistributedSampler: 37 indices padded to 38, rank r takes every other one from position r
    for epoch in range(3):
        g = torch.Generator()
        g.manual_seed(11 + epoch)
        perm = torch.randperm(37, generator=g).tolist()
        perm += perm[:1]
        assert [ok(ranks[r], "train")[0][epoch] for r in range(N)] == [perm[r::N] for r in range(N)]
    # one process on the union of both ranks' batches (equal sizes: the mean of the means)
    rng = np.random.RandomState(7)
    m = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 3))
    m.load_state_dict({k: torch.tensor((rng.randn(*v.shape) * 0.5).astype(np.float32))
                       for k, v in m.state_dict().items()})
    opt = torch.optim.SGD(m.parameters(), lr=0.05, momentum=0.9)
    rng = np.random.RandomState(3)
    xs, ys = torch.tensor(rng.randn(37, 4).astype(np.float32)), torch.tensor(rng.randint(0, 3, 37))
    per_rank = [ok(ranks[r], "train")[0] for r in range(N)]
    for epoch in range(3):
        for start in range(0, 19, 5):
            idx = [i for r in range(N) for i in per_rank[r][epoch][start:start + 5]]
            opt.zero_grad()
            nn.functional.cross_entropy(m(xs[idx]), ys[idx]).backward()
            opt.step()
    for got, ref in zip(params, m.parameters()):
        np.testing.assert_allclose(np.array(got["v"]), ref.detach().numpy(), rtol=1e-5, atol=1e-5)


# ---- in this process: no group is created ---------------------------------------------------
def test_backend_reduce_op_and_elastic_names(monkeypatch):
    import lanterna.distributed as dist

    assert dist.Backend("GLOO") == "gloo" and type(dist.Backend("GLOO")) is str
    assert str(dist.ReduceOp.SUM) == "RedOpType.SUM" and f"{dist.ReduceOp.AVG}" == "RedOpType.AVG"
    assert dist.GroupMember.NON_GROUP_MEMBER == -100
    monkeypatch.delenv("TORCHELASTIC_RUN_ID", raising=False)
    assert dist.is_torchelastic_launched() is False
    monkeypatch.setenv("TORCHELASTIC_RUN_ID", "none")
    assert dist.is_torchelastic_launched() is True
    monkeypatch.setenv("LOCAL_RANK", "3")
    assert dist.get_node_local_rank() == 3
    monkeypatch.delenv("LOCAL_RANK")
    assert dist.get_node_local_rank(fallback_rank=1) == 1
    with pytest.raises(RuntimeError, match="LOCAL_RANK"):
        dist.get_node_local_rank()


def test_init_arguments_refused_as_pytorch(tmp_path):
    import lanterna.distributed as dist

    store = dist.FileStore(str(tmp_path / "store"), 2)
    # PyTorch raises AssertionError for these; Lanterna's error is also a ValueError
    with pytest.raises(AssertionError, match="world_size must be positive if using store"):
        dist.init_process_group("gloo", store=store)
    with pytest.raises(AssertionError, match="rank must be non-negative if using store"):
        dist.init_process_group("gloo", store=store, world_size=2)
    with pytest.raises(ValueError, match="Cannot specify both init_method and store"):
        dist.init_process_group("gloo", init_method="env://", store=store, rank=0, world_size=2)
    with pytest.raises(AssertionError, match="Process group cannot be None"):
        dist.destroy_process_group()
    assert not dist.is_initialized()


def test_multiprocessing_module_is_torchs():
    import lanterna as torch

    mp = torch.multiprocessing  # a lazy attribute, as torch.multiprocessing
    assert mp.spawn and mp.Process and mp.Queue and mp.get_context
    assert mp.get_sharing_strategy() in mp.get_all_sharing_strategies()
    with pytest.raises(AssertionError, match="invalid sharing strategy"):
        mp.set_sharing_strategy("carrier-pigeon")


@pytest.fixture
def targets(monkeypatch):
    monkeypatch.syspath_prepend(WORKERS)  # the children import the targets by name
    import spawn_targets

    return spawn_targets


def test_spawn_runs_fn_with_each_index(tmp_path, targets):
    import lanterna.multiprocessing as mp

    assert mp.spawn(targets.write_index, args=(str(tmp_path),), nprocs=2) is None
    assert sorted(os.listdir(tmp_path)) == ["proc0", "proc1"]
    ctx = mp.spawn(targets.write_index, args=(str(tmp_path),), nprocs=2, join=False)
    assert len(ctx.pids()) == 2
    while not ctx.join(timeout=30):
        pass


def test_spawn_reports_a_child_exception_with_its_traceback(targets):
    import lanterna.multiprocessing as mp

    with pytest.raises(mp.ProcessRaisedException, match="process 1 fails on purpose") as info:
        mp.spawn(targets.raise_on_one, nprocs=2)
    assert info.value.error_index == 1
    assert "-- Process 1 terminated with the following error:" in str(info.value)
    assert "Traceback" in str(info.value)


def test_spawn_reports_an_exit_code(targets):
    import lanterna.multiprocessing as mp

    with pytest.raises(mp.ProcessExitedException, match="process 1 terminated with exit code 3") as info:
        mp.spawn(targets.exit_on_one, args=(3,), nprocs=2)
    assert info.value.exit_code == 3 and info.value.error_index == 1


def test_launcher_takes_torchrun_command_lines(tmp_path):
    """``torchrun --standalone --nnodes=1 --node_rank=0 --master_port=... --rdzv_backend=c10d ...``
    runs unchanged; the ranks see torchrun's variables."""
    port = str(free_port())
    proc = launch("torchrun_env_worker.py", tmp_path, nproc=N, timeout=60, launcher_args=(
        "--launcher", "spawn", "--standalone", "--nnodes=1", "--node_rank=0", f"--master_port={port}",
        "--master_addr=127.0.0.1", "--rdzv_backend=c10d", "--rdzv_endpoint=localhost:0", "--rdzv-id=job7",
        "--max_restarts=0", "--log_dir", str(tmp_path / "logs"), "--redirects=3", "--tee", "3"))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for r, doc in enumerate(results(tmp_path, N)):
        assert doc["sum"] == 3.0 and doc["world"] == N and doc["elastic"] is True
        assert doc["env"] == {"RANK": str(r), "LOCAL_RANK": str(r), "WORLD_SIZE": str(N), "MASTER_ADDR": "127.0.0.1",
                              "MASTER_PORT": port, "TORCHELASTIC_RUN_ID": "job7", "ROLE_RANK": str(r),
                              "GROUP_WORLD_SIZE": "1"}
