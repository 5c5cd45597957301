"""After a worker dies or a batch times out, the iterator stays usable, as in PyTorch.

PyTorch raises the error once, retires a dead worker (its unfinished batches are skipped) and
lets the other workers go on; a timed-out batch can still be waited for by calling ``next``
again. Every test is bounded in time: a hang is a failure, not a stuck suite.
"""

import gc
import multiprocessing
import os
import pickle
import signal
import time

import lanterna as torch  # noqa: F401
import pytest
from dataloader_helpers import Range, wait_dead
from lanterna.utils.data import DataLoader, get_worker_info

pytestmark = pytest.mark.timeout(30)


class Worker0DiesAt(Range):
    """Worker 0 exits when asked for ``bad``; the other workers serve every index."""

    def __init__(self, n, bad, how="exit"):
        super().__init__(n)
        self.bad, self.how = bad, how

    def __getitem__(self, i):
        if i == self.bad and get_worker_info().id == 0:
            time.sleep(0.1)  # let the batches it already sent reach the main process
            if self.how == "kill":
                os.kill(os.getpid(), signal.SIGKILL)
            os._exit(3)
        return i


class SlowAt(Range):
    def __init__(self, n, slow, seconds):
        super().__init__(n)
        self.slow, self.seconds = slow, seconds

    def __getitem__(self, i):
        if i == self.slow:
            time.sleep(self.seconds)
        return i


def _drain(it, limit=50):
    """Everything ``next(it)`` gives until StopIteration: values, or the names of the errors raised."""
    out = []
    for _ in range(limit):
        try:
            out.append(next(it).item())
        except StopIteration:
            return out
        except RuntimeError as e:
            kind = "timeout" if "timed out" in str(e) else "dead" if "exited unexpectedly" in str(e) else e
            out.append(kind)
    raise AssertionError(f"no StopIteration after {limit} calls: {out}")


@pytest.mark.parametrize("how", ["exit", "kill"])
def test_dead_worker_error_is_raised_once_then_the_others_go_on(how):
    it = iter(DataLoader(Worker0DiesAt(10, 2, how), num_workers=2))
    start = time.monotonic()
    out = _drain(it)
    assert time.monotonic() - start < 10
    assert out.count("dead") == 1
    served = [x for x in out if x != "dead"]
    # worker 1's batches all arrive, in order; worker 0's unfinished ones (2 and after) are lost
    assert served == sorted(served) and {1, 3, 9} <= set(served) and 2 not in served
    assert all(w.is_alive() is False for w in it._workers)  # the epoch ended: all shut down


def test_dead_worker_error_carries_torchs_summary_line_and_cause():
    with pytest.raises(RuntimeError, match=r"DataLoader worker \(pid\(s\) \d+\) exited unexpectedly") as info:
        list(DataLoader(Worker0DiesAt(6, 0), num_workers=1))
    assert info.value.__cause__ is not None  # raised from the empty wait, like PyTorch's


def test_timed_out_batch_can_still_be_waited_for():
    it = iter(DataLoader(SlowAt(4, 1, seconds=1.0), num_workers=1, timeout=0.3))
    out = _drain(it)
    assert out[0] == 0 and out[-3:] == [1, 2, 3]
    assert 1 <= out.count("timeout") <= 4 and set(out[1:-3]) == {"timeout"}


def test_dropping_an_iterator_after_a_timeout_does_not_wait_for_the_stuck_worker():
    it = iter(DataLoader(SlowAt(4, 0, seconds=60), num_workers=1, timeout=0.3))
    pids = [w.pid for w in it._workers]
    with pytest.raises(RuntimeError, match="DataLoader timed out after 0.3 seconds"):
        next(it)
    start = time.monotonic()
    del it
    gc.collect()
    assert wait_dead(pids, timeout=5.0) == []
    assert time.monotonic() - start < 1.5  # not the 2 s grace given to a healthy worker


def test_persistent_workers_with_a_dead_worker_fail_again_instead_of_hanging():
    loader = DataLoader(Worker0DiesAt(6, 2), num_workers=2, persistent_workers=True)
    for _ in range(2):  # the second epoch resets the workers: the dead one must not be awaited
        start = time.monotonic()
        with pytest.raises(RuntimeError, match="exited unexpectedly"):
            list(loader)
        assert time.monotonic() - start < 10
    loader._iterator._shutdown_workers()
    del loader
    gc.collect()
    assert multiprocessing.active_children() == []


def test_unpicklable_dataset_under_spawn_warns_and_raises_the_pickling_error():
    class Local(Range):  # a local class cannot be pickled for a spawned worker
        pass

    loader = DataLoader(Local(3), num_workers=1, multiprocessing_context="spawn")
    with pytest.warns(UserWarning, match="Got pickle error when attempting to start a worker Process"):
        with pytest.raises((AttributeError, pickle.PicklingError)):  # which one: by Python version
            iter(loader)
    assert multiprocessing.active_children() == []
