"""Edge cases of datasets and the DataLoader found by comparing with PyTorch (regressions)."""

import os
import re
import signal
import time

import lanterna as torch
import pytest
from lanterna.utils.data import ChainDataset, DataLoader, Dataset, IterableDataset

pytestmark = pytest.mark.timeout(30)


# ---- IterableDataset is abstract, as in PyTorch ------------------------------------------------
def test_bare_iterable_dataset_cannot_be_instantiated():
    with pytest.raises(TypeError, match="Can't instantiate abstract class IterableDataset"):
        IterableDataset()


def test_iterable_dataset_subclass_without_iter_cannot_be_instantiated():
    class NoIter(IterableDataset):
        pass

    with pytest.raises(TypeError, match="abstract method __iter__"):
        NoIter()


def test_iterable_dataset_subclasses_with_iter_still_work():
    class Count(IterableDataset):
        def __init__(self, n):
            self.n = n

        def __iter__(self):
            return iter(range(self.n))

    assert list(Count(3)) == [0, 1, 2]
    assert list(Count(2) + Count(1)) == [0, 1, 0]
    assert list(ChainDataset([])) == []
    assert [b.tolist() for b in DataLoader(Count(5), batch_size=2)] == [[0, 1], [2, 3], [4]]


# ---- a dead worker's error carries PyTorch's own wording too -----------------------------------
class DiesAt(Dataset):
    def __init__(self, n, bad, how):
        self.n, self.bad, self.how = n, bad, how

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        if i == self.bad:
            if self.how == "sigkill":
                os.kill(os.getpid(), signal.SIGKILL)
            os._exit(3)
        return i


@pytest.mark.parametrize("how", ["sigkill", "exit"])
def test_dead_worker_message_includes_torchs_summary(how):
    loader = DataLoader(DiesAt(8, 2, how), num_workers=1)
    start = time.monotonic()
    with pytest.raises(RuntimeError) as info:
        list(loader)
    assert time.monotonic() - start < 5.0
    msg = str(info.value)
    summary = re.search(r"DataLoader worker \(pid\(s\) (\d+)\) exited unexpectedly", msg)
    assert summary, msg
    detailed = re.search(r"DataLoader worker \(pid (\d+)\)", msg)
    assert summary.group(1) == detailed.group(1)
    # lanterna's details stay
    detail = "is killed by signal: Killed" if how == "sigkill" else "exited unexpectedly with exit code 3"
    assert detail in msg and "It was worker 0 of 1" in msg
