"""Worker failures: errors re-raised with the worker's traceback, dead workers, timeouts, shutdown.

Every test is bounded in time: a hang is a failure, not a stuck suite.
"""

import gc
import glob
import os
import re
import signal
import subprocess
import sys
import tempfile
import textwrap
import time

import lanterna as torch  # noqa: F401
import pytest
from dataloader_helpers import Range, RaisesAt, pid_alive, wait_dead
from lanterna.utils.data import DataLoader

pytestmark = pytest.mark.timeout(30)


class DiesAt(Range):
    def __init__(self, n, bad, how):
        super().__init__(n)
        self.bad, self.how = bad, how

    def __getitem__(self, i):
        if i == self.bad:
            if self.how == "sigkill":
                os.kill(os.getpid(), signal.SIGKILL)
            elif self.how == "segfault":
                import ctypes

                ctypes.string_at(0)  # reads address 0: SIGSEGV
            else:
                os._exit(3)
        return i


class SleepsAt(Range):
    def __init__(self, n, bad, seconds=30):
        super().__init__(n)
        self.bad, self.seconds = bad, seconds

    def __getitem__(self, i):
        if i == self.bad:
            time.sleep(self.seconds)
        return i


def _pids(it):
    return [w.pid for w in it._workers]


def test_exception_in_worker_reraised_with_its_traceback():
    loader = DataLoader(RaisesAt(10, 5, ValueError("bad sample 5")), batch_size=2, num_workers=2)
    with pytest.raises(ValueError) as info:
        list(loader)
    msg = str(info.value)
    assert msg.startswith(
        "Caught ValueError in DataLoader worker process 0.\nOriginal Traceback (most recent call last):"
    )
    assert (
        "in __getitem__" in msg
        and "raise self.exc" in msg
        and msg.rstrip().endswith("ValueError: bad sample 5")
    )


def test_worker_keeps_serving_after_an_exception():
    it = iter(DataLoader(RaisesAt(6, 2, IndexError("no")), batch_size=1, num_workers=2))
    assert [next(it).tolist(), next(it).tolist()] == [[0], [1]]
    with pytest.raises(IndexError, match="Caught IndexError in DataLoader worker process 0"):
        next(it)
    assert [b.tolist() for b in it] == [[3], [4], [5]]


def test_key_error_message_stays_readable():
    with pytest.raises(KeyError) as info:
        list(DataLoader(RaisesAt(2, 1, KeyError("k")), num_workers=1))
    assert "\n" in str(info.value) and "Caught KeyError in DataLoader worker process 0" in str(info.value)


class TwoArgs(Exception):
    def __init__(self, a, b):
        super().__init__(a, b)


def test_exception_type_that_cannot_be_rebuilt_becomes_runtime_error():
    with pytest.raises(RuntimeError, match="Caught TwoArgs in DataLoader worker process 0") as info:
        list(DataLoader(RaisesAt(2, 0, TwoArgs(1, 2)), num_workers=1))
    assert "TwoArgs: (1, 2)" in str(info.value)


def test_exception_type_local_to_a_function_becomes_runtime_error():
    class Local(Exception):
        pass

    with pytest.raises(RuntimeError, match="Caught Local in DataLoader worker process 0") as info:
        list(DataLoader(RaisesAt(2, 0, Local("local")), num_workers=1))
    assert "Local: local" in str(info.value)


def test_worker_init_fn_error_reported_with_first_batch():
    def init(worker_id):
        raise RuntimeError(f"init failed in {worker_id}")

    with pytest.raises(RuntimeError, match="Caught RuntimeError in DataLoader worker process 0"):
        list(DataLoader(Range(4), num_workers=1, worker_init_fn=init))


@pytest.mark.parametrize(
    "how, expected",
    [
        (
            "sigkill",
            r"DataLoader worker \(pid \d+\) is killed by signal: Killed\. It was worker 1 of 2, .*SIGKILL",
        ),
        ("segfault", r"DataLoader worker \(pid \d+\) is killed by signal: Segmentation fault\. .*SIGSEGV"),
        (
            "exit",
            r"DataLoader worker \(pid \d+\) exited unexpectedly with exit code 3\. It was worker 1 of 2",
        ),
    ],
)
def test_dead_worker_is_a_clear_error_within_seconds(how, expected, capfd):
    loader = DataLoader(DiesAt(20, 3, how), batch_size=1, num_workers=2)
    start = time.monotonic()
    with pytest.raises(RuntimeError, match=expected) as info:
        list(loader)
    assert time.monotonic() - start < 5.0
    assert re.search(r"while loading batch\(es\) \[(\d+, )*3\b", str(info.value))
    if how == "segfault":
        assert "Fatal Python error: Segmentation fault" in capfd.readouterr().err  # the worker's own stack


def test_killed_from_outside_while_main_waits():
    it = iter(DataLoader(SleepsAt(10, 0, seconds=60), num_workers=1))
    pid = _pids(it)[0]

    def kill_soon():
        time.sleep(0.3)
        os.kill(pid, signal.SIGKILL)

    import threading

    threading.Thread(target=kill_soon, daemon=True).start()
    start = time.monotonic()
    with pytest.raises(RuntimeError, match=rf"DataLoader worker \(pid {pid}\) is killed by signal"):
        next(it)
    assert time.monotonic() - start < 5.0


def test_timeout_error_shows_the_stuck_workers_stack():
    loader = DataLoader(SleepsAt(10, 4, seconds=30), batch_size=2, num_workers=2, timeout=0.5)
    start = time.monotonic()
    with pytest.raises(RuntimeError) as info:
        list(loader)
    elapsed = time.monotonic() - start
    msg = str(info.value)
    assert msg.startswith("DataLoader timed out after 0.5 seconds")
    assert "Worker 0 (pid" in msg and "has not delivered batch 2" in msg
    assert "in __getitem__" in msg and "test_worker_failures.py" in msg  # where it is stuck: the sleep
    assert elapsed < 5.0


def test_timeout_not_triggered_by_slow_but_steady_workers():
    class Slowish(Range):
        def __getitem__(self, i):
            time.sleep(0.05)
            return i

    assert len(list(DataLoader(Slowish(6), num_workers=2, timeout=2))) == 6


def test_dropping_a_running_iterator_leaves_no_live_workers():
    it = iter(DataLoader(Range(1000), batch_size=2, num_workers=2))
    next(it)
    pids = _pids(it)
    assert all(pid_alive(p) for p in pids)
    del it  # what a `break` out of a for loop does to the loop's iterator
    assert wait_dead(pids, timeout=5.0) == []


def test_break_from_for_loop_shuts_workers_down_immediately():
    loader = DataLoader(Range(1000), batch_size=2, num_workers=2)
    seen = []
    for batch in loader:
        seen.append(batch)
        break
    gc.collect()
    import multiprocessing

    assert multiprocessing.active_children() == []


def test_iterator_in_reference_cycle_cleaned_by_gc():
    it = iter(DataLoader(Range(100), num_workers=2))
    next(it)
    pids = _pids(it)
    it.cycle = it  # only the garbage collector can free it now
    del it
    gc.collect()
    assert wait_dead(pids, timeout=5.0) == []


def test_end_of_epoch_shuts_workers_down():
    it = iter(DataLoader(Range(4), num_workers=2))
    pids = _pids(it)
    list(it)
    assert wait_dead(pids, timeout=5.0) == []


def test_shutdown_terminates_a_worker_stuck_in_getitem():
    it = iter(DataLoader(SleepsAt(10, 1, seconds=60), num_workers=1))
    next(it)
    pids = _pids(it)
    start = time.monotonic()
    it._shutdown_workers(join_timeout=0.2)  # no need to wait the default 2 s before terminating
    assert wait_dead(pids, timeout=5.0) == [] and time.monotonic() - start < 5.0


def test_shutdown_is_not_stopped_by_an_inherited_sigterm_handler():
    previous = signal.signal(signal.SIGTERM, signal.SIG_IGN)  # say, a training script's own handler
    try:
        it = iter(DataLoader(SleepsAt(10, 1, seconds=60), num_workers=1))
    finally:
        signal.signal(signal.SIGTERM, previous)
    next(it)
    worker = it._workers[0]
    it._shutdown_workers(join_timeout=2.0)
    assert worker.exitcode == -signal.SIGTERM  # terminated, not killed as a last resort


_SCRIPT = textwrap.dedent("""
    import sys, time
    sys.path[:0] = {paths!r}
    import lanterna
    from lanterna.utils.data import DataLoader, Dataset

    class Slow(Dataset):
        def __len__(self):
            return 10**6
        def __getitem__(self, i):
            time.sleep(0.01)
            return i

    it = iter(DataLoader(Slow(), batch_size=4, num_workers=2))
    next(it)
    print(" ".join(str(w.pid) for w in it._workers), flush=True)
    for batch in it:
        pass
""")


def _start_script():
    proc = subprocess.Popen(
        [sys.executable, "-c", _SCRIPT.format(paths=list(sys.path))],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    line = proc.stdout.readline()
    assert line.strip(), proc.stderr.read()
    return proc, [int(p) for p in line.split()]


def test_ctrl_c_leaves_no_orphans():
    proc, pids = _start_script()
    os.killpg(proc.pid, signal.SIGINT)  # the terminal sends SIGINT to the whole process group
    try:
        _, err = proc.communicate(timeout=10)
    finally:
        proc.kill()
    assert "KeyboardInterrupt" in err
    assert wait_dead(pids, timeout=5.0) == []


def test_workers_exit_when_main_process_is_killed():
    proc, pids = _start_script()
    proc.kill()  # SIGKILL: no cleanup at all in the main process
    proc.wait(timeout=10)
    # each worker notices its parent is gone (within about a second), removes its files and exits
    assert wait_dead(pids, timeout=8.0) == []
    assert not glob.glob(f"/dev/shm/lanterna-dataloader-{proc.pid}-*")
    assert not glob.glob(os.path.join(tempfile.gettempdir(), f"lanterna-dataloader-{proc.pid}-worker*"))
