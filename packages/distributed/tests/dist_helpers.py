"""Running real multi-process jobs from the tests, bounded in time."""

import json
import os
import subprocess
import sys

import pytest

WORKERS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "workers")


def needs_mpi():
    """Skip the calling test module when MPI is not installed (``lanterna-distributed[mpi]``)."""
    pytest.importorskip("mpi4py")
    from lanterna.distributed.run import find_mpiexec

    if not find_mpiexec():
        pytest.skip("no mpiexec (install the mpich wheel: lanterna-distributed[mpi])")


def launch(worker, *args, nproc=2, timeout=60, launcher_args=(), env=None):
    """Run ``workers/<worker>`` through the launcher; returns the CompletedProcess.

    The timeout is a safety net far above the normal run time (a few seconds): a test that
    reaches it fails instead of hanging the suite.
    """
    cmd = [sys.executable, "-m", "lanterna.distributed.run", "--nproc-per-node", str(nproc), *launcher_args,
           os.path.join(WORKERS, worker), *map(str, args)]
    full_env = dict(os.environ, **(env or {}))
    full_env.setdefault("OMP_NUM_THREADS", "1")
    try:
        return subprocess.run(cmd, check=False, capture_output=True, text=True, timeout=timeout, env=full_env)
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"{worker} did not finish within {timeout} s:\n{exc.stdout}\n{exc.stderr}")


def results(out_dir, nproc=2):
    """The JSON documents ``rank<r>.json`` that the worker's ranks wrote."""
    out = []
    for r in range(nproc):
        with open(os.path.join(out_dir, f"rank{r}.json")) as f:
            out.append(json.load(f))
    return out
