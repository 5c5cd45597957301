"""The single-process API checks (workers/api_checks.py), run by pytest in a fresh process.

They initialise MPI (a world of one), which must not happen in this test runner: a child that
the runner forks later and that exits normally would finalise MPI under the parent's feet.
"""

import os
import subprocess
import sys

import pytest
from dist_helpers import WORKERS

pytest.importorskip("mpi4py")


def test_api_in_a_world_of_one():
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", os.path.join(WORKERS, "api_checks.py")]
    out = subprocess.run(cmd, check=False, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    assert " passed" in out.stdout and "failed" not in out.stdout
