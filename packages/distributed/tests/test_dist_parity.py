"""Parity with PyTorch's gloo backend for processes started without an MPI launcher.

With PyTorch, ``init_process_group("gloo")`` works in processes started any way: ``torchrun``,
``multiprocessing`` with ``MASTER_ADDR``/``MASTER_PORT``, ``init_method="tcp://..."`` or
``"file://..."``. Lanterna's ``gloo`` used to be MPI only, so such processes each became a
world of one and failed (``world_size=2 was asked for, but MPI started 1 process``). It now uses
the ``tcp`` backend there. These tests run the same torch.distributed code as a gloo job would,
and check each collective against its definition, and DDP against one process on the whole batch.
"""

import os
import socket
import subprocess
import sys
from datetime import timedelta

import numpy as np
import pytest
from dist_helpers import WORKERS, launch, results

N = 2


def x(r):
    return np.arange(6).reshape(2, 3) * (r + 1) + r


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def check_ranks(docs):
    xs = np.stack([x(r) for r in range(N)]).astype(float)
    for r, doc in enumerate(docs):
        assert doc["backend"] == "gloo" and doc["engine"] == "tcp" and doc["world"] == [r, N]
        res = doc["results"]
        for dt in ["float32", "int64"]:
            assert res[f"all_reduce/SUM/{dt}"] == xs.sum(0).tolist()
            assert res[f"all_reduce/MAX/{dt}"] == xs.max(0).tolist()
            assert res[f"all_reduce/MIN/{dt}"] == xs.min(0).tolist()
            assert res[f"all_reduce/PRODUCT/{dt}"] == xs.prod(0).tolist()
        assert res["all_reduce/AVG/float32"] == (xs.sum(0) / N).tolist()
        b = xs.astype(bool)
        assert res["all_reduce/SUM/bool"] == b.any(0).tolist() == res["all_reduce/MAX/bool"]
        assert res["all_reduce/MIN/bool"] == b.all(0).tolist() == res["all_reduce/PRODUCT/bool"]
        assert res["broadcast"] == x(1).tolist()
        assert res["all_reduce/view"] == xs.sum(0).T.tolist()
        assert res["all_gather"] == xs.tolist()
        assert res["all_gather_into_tensor"] == np.concatenate(xs).tolist()
        assert res["gather"] == (xs.tolist() if r == 0 else None)
        assert res["scatter"] == (x(1) * 10 + r).tolist()
        assert res["reduce_scatter"] == sum(x(r) + i for i in range(N)).tolist()
        assert res["reduce_scatter_tensor"] == [xs.sum(0)[r].tolist()]
        assert res["all_to_all_single"] == np.stack([xs[i][r] for i in range(N)]).tolist()
        assert res["all_to_all_single/uneven"] == np.concatenate(
            [np.arange(N * (i + 1))[r * (i + 1):(r + 1) * (i + 1)] + 100 * i for i in range(N)]).tolist()
        assert res["all_to_all"] == [(x(i) + 10 * r).tolist() for i in range(N)]
        assert res["irecv_first"] == x(1 - r).tolist()
        if r == 1:
            assert res["recv_any"] == [0, x(0).tolist()]
        assert res["async"] == [True, True, xs.sum(0).tolist()]
        assert res["all_gather_object"] == [{"rank": i, "text": "x" * (i + 1)} for i in range(N)]
        assert res["broadcast_object_list"] == [{"from": 1}, 1]
        assert res["new_group"] == ([-1, -1] if r == 0 else [0, 1])
        if r == 1:
            assert res["new_group/all_reduce"] == [5.0]
        assert doc["ddp_gap"] < 1e-6


def test_gloo_under_the_spawn_launcher(tmp_path):
    """``--launcher spawn`` starts ranks without MPI: gloo meets through the launcher's directory."""
    proc = launch("parity_worker.py", tmp_path, nproc=N, timeout=60, launcher_args=("--launcher", "spawn"))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    check_ranks(results(tmp_path, N))


def _mp(tmp_path, mode, timeout=60):
    cmd = [sys.executable, os.path.join(WORKERS, "parity_mp.py"), str(tmp_path), str(free_port()), mode]
    env = dict(os.environ, OMP_NUM_THREADS="1")
    try:
        return subprocess.run(cmd, check=False, capture_output=True, text=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"parity_mp.py {mode} did not finish within {timeout} s:\n{exc.stdout}\n{exc.stderr}")


@pytest.mark.parametrize("mode", ["env", "tcp", "file"])
def test_gloo_in_multiprocessing_processes(tmp_path, mode):
    """Ranks started by ``multiprocessing``, meeting by env://, tcp:// or file://, as with torch gloo."""
    proc = _mp(tmp_path, mode)
    assert "exitcodes [0, 0]" in proc.stdout, proc.stdout + proc.stderr
    check_ranks(results(tmp_path, N))


def test_a_failing_rank_does_not_leave_the_other_waiting(tmp_path):
    """Rank 1 raises after init; rank 0's all_reduce fails at once (not after its 60 s timeout)."""
    proc = _mp(tmp_path, "raise", timeout=30)
    assert "exitcodes [1, 1]" in proc.stdout, proc.stdout + proc.stderr
    assert "rank 1 fails on purpose" in proc.stderr
    assert "DistBackendError" in proc.stderr and "rank 1" in proc.stderr


def test_gloo_picks_mpi_under_an_mpi_launcher_and_tcp_otherwise(monkeypatch):
    from lanterna.distributed import process_group as pg

    for k in ("PMI_RANK", "OMPI_COMM_WORLD_RANK", "PMIX_RANK", "WORLD_SIZE"):
        monkeypatch.delenv(k, raising=False)
    assert pg._resolve("gloo", 2) == {"cpu": "tcp"}
    assert pg._resolve(None, 2)["cpu"] == "tcp"
    assert pg.is_gloo_available() and pg.is_backend_available("gloo")
    if pg._available("mpi"):
        assert pg._resolve("gloo", 1) == {"cpu": "mpi"}  # a world of one: unchanged
        monkeypatch.setenv("PMI_RANK", "0")
        assert pg._resolve("gloo", 2) == {"cpu": "mpi"}
        assert pg._resolve(None, 2)["cpu"] == "mpi"


def test_tcp_store():
    from lanterna.distributed import DistStoreError, TCPStore

    master = TCPStore("127.0.0.1", 0, 2, is_master=True, timeout=timedelta(seconds=5))
    client = TCPStore("127.0.0.1", master.port, 2, is_master=False, timeout=timedelta(seconds=5))
    try:
        client.set("k", "v")
        assert master.get("k") == b"v"
        assert master.add("n", 2) == 2 and client.add("n", 3) == 5
        assert client.check(["k", "n"]) and not client.check(["missing"])
        with pytest.raises(DistStoreError, match="missing"):
            client.wait(["missing"], timeout=timedelta(seconds=0.2))
        master.set("missing", b"late")
        assert client.get("k") == b"v" and client.get("missing") == b"late"  # still in step after a timeout
    finally:
        client.close()
        master.close()
