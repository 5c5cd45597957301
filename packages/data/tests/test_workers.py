"""DataLoader with worker processes: order, sharding, seeding, persistent workers, transport."""

import glob
import math
import multiprocessing
import os
import random
import sys
from collections import Counter

import lanterna as torch
import numpy as np
import pytest
from dataloader_helpers import Range
from lanterna.utils.data import DataLoader, IterableDataset, TensorDataset, get_worker_info

pytestmark = pytest.mark.timeout(30)


class WhoLoads(Range):
    """Each sample says which worker loaded it and what its random generators gave."""

    def __getitem__(self, i):
        info = get_worker_info()
        return {
            "i": i,
            "worker": info.id,
            "seed": info.seed,
            "num_workers": info.num_workers,
            "random": random.random(),
            "numpy": float(np.random.rand()),
            "lanterna": torch.rand(1).item(),
        }


class Shard(IterableDataset):
    """range(start, end), split between workers through get_worker_info()."""

    def __init__(self, start, end):
        self.start, self.end = start, end

    def __iter__(self):
        info = get_worker_info()
        if info is None:
            return iter(range(self.start, self.end))
        per_worker = math.ceil((self.end - self.start) / info.num_workers)
        lo = self.start + info.id * per_worker
        return iter(range(lo, min(lo + per_worker, self.end)))


def _lists(loader):
    return [b.tolist() for b in loader]


def test_batches_in_sampler_order_like_main_process():
    ds = TensorDataset(torch.arange(40), torch.arange(40) * 2.0)
    expected = [[x.tolist(), y.tolist()] for x, y in DataLoader(ds, batch_size=3)]
    got = [[x.tolist(), y.tolist()] for x, y in DataLoader(ds, batch_size=3, num_workers=2)]
    assert got == expected


def test_order_kept_when_workers_finish_out_of_order():
    class Uneven(Range):
        def __getitem__(self, i):
            if i % 4 == 0:  # worker 0 gets every slow batch
                import time

                time.sleep(0.02)
            return i

    assert _lists(DataLoader(Uneven(24), batch_size=2, num_workers=2)) == [
        [i, i + 1] for i in range(0, 24, 2)
    ]


def test_same_sample_multiset_per_epoch_with_and_without_workers():
    ds = Range(53)
    for seed in (0, 1):
        torch.manual_seed(seed)
        single = _lists(DataLoader(ds, batch_size=5, shuffle=True))
        torch.manual_seed(seed)
        multi = _lists(DataLoader(ds, batch_size=5, shuffle=True, num_workers=2))
        assert Counter(sum(multi, [])) == Counter(sum(single, [])) == Counter(range(53))
        assert multi == single  # the same draws from the default generator, hence the same order


def test_shuffled_epochs_differ_and_cover_dataset():
    loader = DataLoader(Range(20), batch_size=4, shuffle=True, num_workers=2)
    a, b = sum(_lists(loader), []), sum(_lists(loader), [])
    assert sorted(a) == sorted(b) == list(range(20)) and a != b


def test_drop_last_and_batch_size_none_with_workers():
    assert _lists(DataLoader(Range(10), batch_size=4, drop_last=True, num_workers=2)) == [
        [0, 1, 2, 3],
        [4, 5, 6, 7],
    ]
    assert list(DataLoader(Range(5), batch_size=None, num_workers=2)) == [0, 1, 2, 3, 4]


@pytest.mark.filterwarnings("ignore:This DataLoader will create 3 worker processes")
def test_iterable_dataset_sharded_with_get_worker_info():
    assert _lists(DataLoader(Shard(3, 7), num_workers=0)) == [[3], [4], [5], [6]]
    assert _lists(DataLoader(Shard(3, 7), num_workers=2)) == [[3], [5], [4], [6]]  # workers take turns
    out = _lists(DataLoader(Shard(0, 17), batch_size=3, num_workers=2))
    assert out == [[0, 1, 2], [9, 10, 11], [3, 4, 5], [12, 13, 14], [6, 7, 8], [15, 16]]
    more_workers = _lists(DataLoader(Shard(3, 7), num_workers=3))
    assert sorted(sum(more_workers, [])) == [3, 4, 5, 6]


def test_iterable_dataset_without_sharding_is_duplicated_per_worker():
    class Plain(IterableDataset):
        def __iter__(self):
            return iter(range(3))

    assert sorted(sum(_lists(DataLoader(Plain(), num_workers=2)), [])) == [0, 0, 1, 1, 2, 2]


def test_worker_init_fn_runs_in_each_worker_with_its_id():
    def init(worker_id):
        info = get_worker_info()
        assert info.id == worker_id
        info.dataset.start = 100 * worker_id  # configure this worker's copy of the dataset

    class FromStart(IterableDataset):
        start = 0

        def __iter__(self):
            return iter([self.start, self.start + 1])

    out = _lists(DataLoader(FromStart(), num_workers=2, worker_init_fn=init))
    assert sorted(sum(out, [])) == [0, 1, 100, 101]


def test_worker_info_and_per_worker_seeds():
    torch.manual_seed(123)
    samples = list(DataLoader(WhoLoads(8), batch_size=None, num_workers=2))
    torch.manual_seed(123)
    base_seed = torch.empty((), dtype=torch.int64).random_().item()
    for s in samples:
        assert s["num_workers"] == 2 and s["worker"] == s["i"] % 2
        assert s["seed"] == base_seed + s["worker"]
    first = {w: next(s for s in samples if s["worker"] == w) for w in (0, 1)}
    for key in ("random", "numpy", "lanterna"):
        assert first[0][key] != first[1][key]  # different streams per worker
    # the first draws of worker w are those of generators seeded as PyTorch seeds them
    from lanterna.utils.data._utils.worker import _generate_state

    for w in (0, 1):
        assert first[w]["random"] == random.Random(base_seed + w).random()
        assert first[w]["numpy"] == np.random.RandomState(_generate_state(base_seed, w)).rand()
        assert (
            first[w]["lanterna"]
            == torch.rand(1, generator=torch.Generator().manual_seed(base_seed + w)).item()
        )


def test_worker_randomness_reproducible_under_seed_and_new_each_epoch():
    loader = DataLoader(WhoLoads(6), batch_size=None, num_workers=2)
    torch.manual_seed(0)
    a = [s["lanterna"] for s in loader]
    b = [s["lanterna"] for s in loader]
    torch.manual_seed(0)
    assert [s["lanterna"] for s in loader] == a and a != b


def test_generator_sets_base_seed():
    g = torch.Generator().manual_seed(77)
    seeds = [s["seed"] for s in DataLoader(WhoLoads(2), batch_size=None, num_workers=2, generator=g)]
    base_seed = torch.empty((), dtype=torch.int64).random_(generator=torch.Generator().manual_seed(77)).item()
    assert seeds == [base_seed, base_seed + 1]


def test_persistent_workers_reused_across_epochs():
    loader = DataLoader(Range(10), batch_size=3, num_workers=2, persistent_workers=True)
    it = iter(loader)
    pids = [w.pid for w in it._workers]
    for _ in range(3):
        it = iter(loader)
        assert _lists(it) == [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]
        assert [w.pid for w in it._workers] == pids and all(w.is_alive() for w in it._workers)
    # an epoch cut short: the next one starts cleanly
    it = iter(loader)
    next(it)
    assert _lists(iter(loader)) == [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]
    it._shutdown_workers()
    assert not any(w.is_alive() for w in it._workers)


def test_persistent_workers_with_iterable_dataset():
    loader = DataLoader(Shard(0, 6), batch_size=2, num_workers=2, persistent_workers=True)
    for _ in range(2):
        assert sorted(sum(_lists(loader), [])) == list(range(6))
    loader._iterator._shutdown_workers()


def test_prefetch_limits_tasks_in_flight():
    loader = DataLoader(Range(100), batch_size=1, num_workers=2, prefetch_factor=3)
    it = iter(loader)
    assert it._send_idx == 6 and it._tasks_outstanding == 6  # prefetch_factor * num_workers
    for consumed in range(1, 4):
        next(it)
        arrived_early = sum(len(info) == 2 for info in it._task_info.values())
        assert it._send_idx == 6 + consumed and it._tasks_outstanding + arrived_early == 6
    del it


def test_in_order_false_returns_every_batch():
    out = _lists(DataLoader(Range(20), batch_size=3, num_workers=2, in_order=False))
    assert sorted(sum(out, [])) == list(range(20))


def test_len_with_workers():
    loader = DataLoader(Range(10), batch_size=3, num_workers=2)
    assert len(loader) == 4 and len(iter(loader)) == 4


def test_large_tensors_travel_through_shared_memory_and_are_cleaned_up():
    class Big(Range):
        def __getitem__(self, i):
            return torch.full((64, 1024), float(i))  # 256 KiB: above the shared-memory threshold

    prefix = "/dev/shm/lanterna-dataloader-"
    before = set(glob.glob(prefix + "*"))
    loader = DataLoader(Big(6), batch_size=2, num_workers=2)
    out = [b for b in loader]
    assert [b[:, 0, 0].tolist() for b in out] == [[0.0, 1.0], [2.0, 3.0], [4.0, 5.0]]
    out[0][0] = -1.0  # received batches are ordinary writable tensors
    assert out[0][0, 0, 0].item() == -1.0 and out[0].dtype == torch.float32
    it = iter(DataLoader(Big(20), batch_size=2, num_workers=2))
    next(it)
    del it  # batches were in flight: their files must be removed too
    assert set(glob.glob(prefix + "*")) == before


def test_small_and_grad_tensors_are_pickled():
    class Mixed(Range):
        def __getitem__(self, i):
            return torch.ones(2, requires_grad=True) * 1.0, torch.zeros(3)

    ((a, b),) = list(DataLoader(Mixed(1), batch_size=None, num_workers=1))
    assert a.tolist() == [1.0, 1.0] and b.tolist() == [0.0, 0.0, 0.0]


def test_unpicklable_batch_is_an_error_not_a_hang():
    class Lambdas(Range):
        def __getitem__(self, i):
            return lambda: i

    loader = DataLoader(Lambdas(4), batch_size=2, num_workers=2, collate_fn=lambda batch: batch)
    with pytest.raises(RuntimeError, match="the batch could not be sent to the main process"):
        list(loader)


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX start methods")
def test_spawn_context():
    # the dataset and functions must be importable for 'spawn': use ones from this test module's package
    loader = DataLoader(
        TensorDataset(torch.arange(6)), batch_size=2, num_workers=2, multiprocessing_context="spawn"
    )
    assert [b[0].tolist() for b in loader] == [[0, 1], [2, 3], [4, 5]]


def test_context_object_accepted():
    ctx = multiprocessing.get_context("fork")
    assert _lists(DataLoader(Range(4), batch_size=2, num_workers=1, multiprocessing_context=ctx)) == [
        [0, 1],
        [2, 3],
    ]


def test_pin_memory_with_workers():
    with pytest.warns(UserWarning, match="no accelerator is found"):
        assert _lists(DataLoader(Range(4), batch_size=2, num_workers=2, pin_memory=True)) == [[0, 1], [2, 3]]


def test_default_start_method_is_the_platforms():
    it = iter(DataLoader(Range(4), num_workers=1))
    assert type(it._workers[0]) is multiprocessing.get_context().Process  # 'fork' on Linux before Python 3.14
    del it


def test_no_stack_dump_files_left():
    import tempfile

    pattern = os.path.join(tempfile.gettempdir(), f"lanterna-dataloader-{os.getpid()}-worker*")
    before = set(glob.glob(pattern))
    list(DataLoader(Range(4), num_workers=2))
    assert set(glob.glob(pattern)) == before
