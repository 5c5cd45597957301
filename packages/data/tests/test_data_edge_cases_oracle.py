"""Edge cases of lanterna.utils.data against torch.utils.data (regressions; needs PyTorch)."""

import os
import re
import signal

import pytest

torch = pytest.importorskip("torch")
import lanterna.utils.data as LD  # noqa: E402
import torch.utils.data as TD  # noqa: E402

pytestmark = [pytest.mark.oracle, pytest.mark.timeout(30)]


def outcome(f):
    try:
        f()
    except Exception as e:  # noqa: BLE001  (comparing what each library raises)
        return type(e), str(e)
    return None


@pytest.mark.parametrize("mod", ["base", "subclass without __iter__"])
def test_iterable_dataset_instantiation_matches(mod):
    def make(M):
        cls = M.IterableDataset if mod == "base" else type("NoIter", (M.IterableDataset,), {})
        return lambda: cls()

    ref, mine = outcome(make(TD)), outcome(make(LD))
    assert ref is not None and ref == mine


class DiesAt:
    def __len__(self):
        return 6

    def __getitem__(self, i):
        if i == 1:
            os.kill(os.getpid(), signal.SIGKILL)
        return i


def test_dead_worker_message_matches_torchs_pattern():
    # what PyTorch raises here: "DataLoader worker (pid(s) N) exited unexpectedly"
    pattern = r"DataLoader worker \(pid\(s\) \d+\) exited unexpectedly"
    for M in (TD, LD):
        with pytest.raises(RuntimeError) as info:
            list(M.DataLoader(DiesAt(), num_workers=1, timeout=10))
        assert re.search(pattern, str(info.value)), (M.__name__, str(info.value))
