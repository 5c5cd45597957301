"""lanterna.utils.data against torch.utils.data under the same seeds (needs PyTorch)."""

import collections

import numpy as np
import pytest

torch = pytest.importorskip("torch")
import lanterna  # noqa: E402
import lanterna.utils.data as LD  # noqa: E402
import torch.utils.data as TD  # noqa: E402

pytestmark = pytest.mark.oracle

SEEDS = [0, 1, 7, 123, 2**40 + 5]


def _seed(s):
    torch.manual_seed(s)
    lanterna.manual_seed(s)


@pytest.mark.parametrize("seed", SEEDS)
def test_random_sampler_default_generator(seed):
    _seed(seed)
    assert list(LD.RandomSampler(range(37))) == list(TD.RandomSampler(range(37)))
    # the default generator advanced identically: a second pass matches too
    assert list(LD.RandomSampler(range(5))) == list(TD.RandomSampler(range(5)))


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("replacement, num_samples", [(False, 50), (True, 75), (True, 5)])
def test_random_sampler_num_samples(seed, replacement, num_samples):
    mine = LD.RandomSampler(
        range(13), replacement, num_samples, generator=lanterna.Generator().manual_seed(seed)
    )
    ref = TD.RandomSampler(range(13), replacement, num_samples, generator=torch.Generator().manual_seed(seed))
    assert list(mine) == list(ref)


@pytest.mark.parametrize("seed", SEEDS)
def test_subset_random_and_weighted_samplers(seed):
    idx = [5, 9, 11, 2, 8]
    assert list(LD.SubsetRandomSampler(idx, generator=lanterna.Generator().manual_seed(seed))) == list(
        TD.SubsetRandomSampler(idx, generator=torch.Generator().manual_seed(seed))
    )
    w = [0.1, 0.9, 0.4, 0.7, 3.0, 0.6]
    for replacement, n in ((True, 20), (False, 5)):
        mine = LD.WeightedRandomSampler(w, n, replacement, generator=lanterna.Generator().manual_seed(seed))
        ref = TD.WeightedRandomSampler(w, n, replacement, generator=torch.Generator().manual_seed(seed))
        assert list(mine) == list(ref)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("lengths", [[3, 7], [0.3, 0.3, 0.4], [0.33, 0.33, 0.34], [0.5, 0.5]])
def test_random_split(seed, lengths):
    n = 10 if isinstance(lengths[0], int) else 31
    mine = LD.random_split(range(n), lengths, generator=lanterna.Generator().manual_seed(seed))
    ref = TD.random_split(range(n), lengths, generator=torch.Generator().manual_seed(seed))
    assert [s.indices for s in mine] == [s.indices for s in ref]
    _seed(seed)
    assert [s.indices for s in LD.random_split(range(n), lengths)] == [
        s.indices for s in TD.random_split(range(n), lengths)
    ]


@pytest.mark.parametrize("n, replicas", [(23, 4), (10, 3), (2, 5), (16, 4)])
@pytest.mark.parametrize("shuffle, drop_last", [(True, False), (False, False), (True, True), (False, True)])
def test_distributed_sampler(n, replicas, shuffle, drop_last):
    for rank in range(replicas):
        mine = LD.DistributedSampler(range(n), replicas, rank, shuffle=shuffle, seed=3, drop_last=drop_last)
        ref = TD.DistributedSampler(range(n), replicas, rank, shuffle=shuffle, seed=3, drop_last=drop_last)
        for epoch in (0, 1, 5):
            mine.set_epoch(epoch)
            ref.set_epoch(epoch)
            assert list(mine) == list(ref) and len(mine) == len(ref)


@pytest.mark.timeout(60)
@pytest.mark.parametrize("seed", SEEDS[:3])
@pytest.mark.parametrize("num_workers", [0, 2])
def test_dataloader_shuffle_order(seed, num_workers):
    def batches(mod, lib):
        lib.manual_seed(seed)
        loader = mod.DataLoader(range(23), batch_size=4, shuffle=True, num_workers=num_workers)
        return [[b.tolist() for b in loader] for _epoch in range(2)]

    assert batches(LD, lanterna) == batches(TD, torch)


class _Augment:
    """A dataset whose samples draw from every random generator a worker seeds."""

    def __init__(self, lib):
        self.lib = lib

    def __len__(self):
        return 6

    def __getitem__(self, i):
        import random

        return [i, random.random(), float(np.random.rand()), self.lib.rand(1).item()]


@pytest.mark.timeout(60)
def test_worker_seeding_matches_pytorch():
    def samples(mod, lib):
        lib.manual_seed(42)
        loader = mod.DataLoader(_Augment(lib), batch_size=None, num_workers=2)
        return [s for s in loader]

    assert samples(LD, lanterna) == samples(TD, torch)


def test_numpy_worker_seed_state():
    from lanterna.utils.data._utils.worker import _generate_state as mine
    from torch.utils.data._utils.worker import _generate_state as ref

    for base_seed in (0, 1, 2**62 + 12345, 987654321987, 2**63 - 1):
        for worker_id in range(5):
            assert mine(base_seed, worker_id) == ref(base_seed, worker_id)


Point = collections.namedtuple("Point", ["x", "y"])


def _to_torch(value):
    """Lanterna's output in PyTorch's types, to compare structures and tensors exactly."""
    if isinstance(value, lanterna.Tensor):
        return torch.from_numpy(np.array(value.numpy()))
    if isinstance(value, Point):
        return Point(*(_to_torch(v) for v in value))
    if isinstance(value, dict):
        return type(value)((k, _to_torch(v)) for k, v in value.items())
    if isinstance(value, list):
        return [_to_torch(v) for v in value]
    if isinstance(value, tuple):
        return tuple(_to_torch(v) for v in value)
    return value


def _assert_same(mine, ref):
    assert type(mine) is type(ref) or (isinstance(ref, torch.Tensor) and isinstance(mine, torch.Tensor))
    if isinstance(ref, torch.Tensor):
        assert mine.dtype == ref.dtype and mine.shape == ref.shape and torch.equal(mine, ref)
    elif isinstance(ref, dict):
        assert list(mine) == list(ref)
        for k in ref:
            _assert_same(mine[k], ref[k])
    elif isinstance(ref, (list, tuple)):
        assert len(mine) == len(ref)
        for a, b in zip(mine, ref):
            _assert_same(a, b)
    else:
        assert mine == ref


def _batches(lib):
    t = lib.tensor
    return [
        [0, 1, 2],
        [0.5, 1.5],
        [True, False],
        ["a", "b"],
        [b"x", b"y"],
        [np.float32(1.5), np.float32(2.5)],
        [np.float64(1.5), np.float64(2.5)],
        [np.int32(1), np.int32(2)],
        [np.bool_(True), np.bool_(False)],
        [np.array([1, 2], dtype=np.int16), np.array([3, 4], dtype=np.int16)],
        [np.zeros((2, 2)), np.ones((2, 2))],
        [t([1.0, 2.0]), t([3.0, 4.0])],
        [t(1), t(2)],
        [t([[1, 2]], dtype=lib.uint8), t([[3, 4]], dtype=lib.uint8)],
        [(t([1.0]), 1), (t([2.0]), 2)],
        [[1, 2.0, "s"], [3, 4.0, "t"]],
        [{"a": 1, "b": {"c": 0.5}}, {"a": 2, "b": {"c": 1.5}}],
        [collections.OrderedDict(a=1), collections.OrderedDict(a=2)],
        [Point(0, 0.5), Point(1, 1.5)],
        [Point(t([0]), np.array([1])), Point(t([2]), np.array([3]))],
    ]


def test_default_collate_outputs():
    for mine, ref in zip(_batches(lanterna), _batches(torch)):
        _assert_same(_to_torch(LD.default_collate(mine)), TD.default_collate(ref))


def test_default_convert_outputs():
    for mine, ref in zip(_batches(lanterna), _batches(torch)):
        for a, b in zip(mine, ref):
            _assert_same(_to_torch(LD.default_convert(a)), TD.default_convert(b))


@pytest.mark.parametrize(
    "batch", [[None, None], [np.array(["a"]), np.array(["b"])], [[1, 2], [3]], [object()]]
)
def test_default_collate_errors(batch):
    with pytest.raises(Exception) as ref:
        TD.default_collate(batch)
    with pytest.raises(type(ref.value)) as mine:
        LD.default_collate(batch)
    expected = str(ref.value)
    if "object at 0x" not in expected:
        assert str(mine.value) == expected


def test_dataloader_len_rules():
    class Stream:
        def __init__(self, n):
            self.n = n

        def __len__(self):
            return self.n

    for n in (0, 1, 9, 10):
        for bs in (1, 3, 10):
            for drop_last in (False, True):
                assert len(LD.DataLoader(range(n) if n else [0], batch_size=bs, drop_last=drop_last)) == len(
                    TD.DataLoader(range(n) if n else [0], batch_size=bs, drop_last=drop_last)
                )

    class LIt(LD.IterableDataset, Stream):
        def __iter__(self):
            return iter(range(self.n))

    class TIt(TD.IterableDataset, Stream):
        def __iter__(self):
            return iter(range(self.n))

    for n, bs, dl in ((10, 3, False), (10, 3, True), (9, 3, True)):
        assert len(LD.DataLoader(LIt(n), batch_size=bs, drop_last=dl)) == len(
            TD.DataLoader(TIt(n), batch_size=bs, drop_last=dl)
        )


@pytest.mark.timeout(60)
def test_exception_message_format():
    class Bad:
        def __len__(self):
            return 2

        def __getitem__(self, i):
            raise ValueError("nope")

    def first_line(mod):
        it = iter(mod.DataLoader(Bad(), num_workers=1))
        try:
            with pytest.raises(ValueError) as info:
                next(it)
            return str(info.value).splitlines()[:2]
        finally:
            it._shutdown_workers()

    assert first_line(LD) == first_line(TD)
