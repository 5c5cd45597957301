"""Datasets and process helpers shared by the DataLoader tests.

The datasets are plain classes (DataLoader needs only ``__len__``/``__getitem__``), so the oracle
tests can hand the same ones to PyTorch's DataLoader."""

import os
import time


def pid_alive(pid):
    """Whether a process with this pid exists (and is not a zombie)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False
    except OSError:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True


def wait_dead(pids, timeout=5.0):
    """Wait until none of ``pids`` is alive; return those still alive after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    alive = [p for p in pids if pid_alive(p)]
    while alive and time.monotonic() < deadline:
        time.sleep(0.05)
        alive = [p for p in alive if pid_alive(p)]
    return alive


class Range:
    """``dataset[i] == i`` for ``i < n``."""

    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return i


class RaisesAt(Range):
    """Raises ``exc`` when asked for index ``bad``."""

    def __init__(self, n, bad, exc):
        super().__init__(n)
        self.bad, self.exc = bad, exc

    def __getitem__(self, i):
        if i == self.bad:
            raise self.exc
        return i
