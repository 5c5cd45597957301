"""A failing rank ends the whole job quickly, non-zero, naming the rank, instead of hanging."""

import time

import pytest
from dist_helpers import launch, needs_mpi

needs_mpi()


def run(mode):
    start = time.monotonic()
    proc = launch("failure_worker.py", mode, timeout=45)
    return proc, time.monotonic() - start


def test_exception_after_init_aborts_the_job():
    proc, took = run("raise_after_init")
    assert proc.returncode != 0
    assert "rank 1 failed: ValueError: rank one fails" in proc.stderr
    assert "MPI_Abort" in proc.stderr
    assert "rank 0 finished" not in proc.stdout
    assert took < 20


def test_exception_before_init_stops_the_other_ranks():
    proc, took = run("raise_before_init")
    assert proc.returncode != 0
    assert "rank 1 failed: ValueError: rank one fails before init" in proc.stderr
    assert took < 20


@pytest.mark.parametrize("mode", ["hang", "hang_unchecked"])
def test_rank_that_never_joins_makes_the_collective_time_out(mode):
    proc, took = run(mode)
    assert proc.returncode != 0
    assert "rank 0 failed: DistBackendError" in proc.stderr
    assert "all_reduce on rank 0 timed out after 0:00:02" in proc.stderr
    assert took < 20


def test_non_zero_exit_of_a_rank_fails_the_job():
    proc, took = run("exit_code")
    assert proc.returncode != 0
    assert "rank 1 failed: exited with code 3" in proc.stderr
    assert took < 20


@pytest.mark.parametrize("how", ["ok", "fail"])
def test_spawn_launcher_without_mpi(how):
    """``--launcher spawn``: plain child processes with torchrun's variables; a failure stops all."""
    start = time.monotonic()
    proc = launch("failure_worker.py", "env", *(["fail"] if how == "fail" else []),
                  launcher_args=["--launcher", "spawn"], timeout=45)
    lines = sorted(line for line in proc.stdout.splitlines() if line.startswith("rank="))
    if how == "ok":
        assert proc.returncode == 0, proc.stderr
        assert lines == ["rank=0 world=2 local=0 omp=1", "rank=1 world=2 local=1 omp=1"]
    else:  # rank 0 would sleep for a minute: the launcher must stop it
        assert proc.returncode == 1
        assert "rank 1 failed: KeyError: 'spawned rank fails'" in proc.stderr
        assert "rank 0 finished" not in proc.stdout
        assert time.monotonic() - start < 20
