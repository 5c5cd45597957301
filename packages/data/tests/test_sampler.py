"""Samplers: orders, lengths, argument checks, reproducibility under a seed."""

import collections

import lanterna as torch
import pytest
from lanterna.utils.data import (
    BatchSampler,
    DistributedSampler,
    RandomSampler,
    Sampler,
    SequentialSampler,
    SubsetRandomSampler,
    WeightedRandomSampler,
)


def test_base_sampler_iter_not_implemented():
    with pytest.raises(NotImplementedError):
        iter(Sampler())


def test_sequential_sampler():
    s = SequentialSampler(range(5))
    assert list(s) == [0, 1, 2, 3, 4] and len(s) == 5


def test_random_sampler_is_a_permutation_each_pass():
    s = RandomSampler(range(50))
    a, b = list(s), list(s)
    assert sorted(a) == sorted(b) == list(range(50)) and len(s) == 50
    assert a != b  # a fresh permutation each pass (probability of equality 1/50!)


def test_random_sampler_with_generator_is_randperm_of_it():
    g = torch.Generator().manual_seed(7)
    assert (
        list(RandomSampler(range(9), generator=g))
        == torch.randperm(9, generator=torch.Generator().manual_seed(7)).tolist()
    )


def test_random_sampler_without_generator_seeds_from_default_generator():
    torch.manual_seed(3)
    order = list(RandomSampler(range(12)))
    torch.manual_seed(3)
    seed = torch.empty((), dtype=torch.int64).random_().item()
    assert order == torch.randperm(12, generator=torch.Generator().manual_seed(seed)).tolist()


def test_random_sampler_num_samples_without_replacement_concatenates_permutations():
    s = RandomSampler(range(4), num_samples=10, generator=torch.Generator().manual_seed(0))
    out = list(s)
    assert len(s) == 10 and len(out) == 10
    assert sorted(out[:4]) == sorted(out[4:8]) == [0, 1, 2, 3]
    assert set(out[8:]) <= {0, 1, 2, 3} and len(set(out[8:])) == 2


def test_random_sampler_with_replacement_is_randint_in_chunks_of_32():
    s = RandomSampler(range(5), replacement=True, num_samples=70, generator=torch.Generator().manual_seed(2))
    out = list(s)
    g = torch.Generator().manual_seed(2)
    expected = sum((torch.randint(high=5, size=(k,), generator=g).tolist() for k in (32, 32, 6)), [])
    assert out == expected and len(s) == 70
    counts = collections.Counter(list(RandomSampler(range(3), replacement=True, num_samples=3000)))
    assert set(counts) == {0, 1, 2} and min(counts.values()) > 800


def test_random_sampler_argument_errors():
    with pytest.raises(TypeError, match="replacement should be a boolean value, but got replacement=1"):
        RandomSampler(range(3), replacement=1)
    with pytest.raises(
        ValueError, match="num_samples should be a positive integer value, but got num_samples=0"
    ):
        RandomSampler(range(3), num_samples=0)
    with pytest.raises(
        ValueError, match="num_samples should be a positive integer value, but got num_samples=0"
    ):
        RandomSampler([])


def test_subset_random_sampler():
    g = torch.Generator().manual_seed(4)
    s = SubsetRandomSampler([10, 20, 30, 40], generator=g)
    perm = torch.randperm(4, generator=torch.Generator().manual_seed(4)).tolist()
    assert list(s) == [[10, 20, 30, 40][i] for i in perm] and len(s) == 4


def test_weighted_random_sampler_draws_only_positive_weights():
    s = WeightedRandomSampler([0.0, 1.0, 0.0, 3.0], num_samples=400)
    out = list(s)
    assert len(s) == 400 and len(out) == 400
    counts = collections.Counter(out)
    assert set(counts) == {1, 3} and 2.0 < counts[3] / counts[1] < 4.5
    assert s.weights.dtype == torch.float64


def test_weighted_random_sampler_without_replacement_is_distinct():
    out = list(WeightedRandomSampler([0.9, 0.4, 0.05, 0.2, 0.3, 0.1], 5, replacement=False))
    assert len(set(out)) == 5 and set(out) <= set(range(6))


def test_weighted_random_sampler_is_multinomial_of_the_generator():
    w = [0.1, 0.9, 0.4, 0.7, 3.0, 0.6]
    out = list(WeightedRandomSampler(w, 7, generator=torch.Generator().manual_seed(9)))
    expected = torch.multinomial(
        torch.tensor(w, dtype=torch.float64), 7, True, generator=torch.Generator().manual_seed(9)
    ).tolist()
    assert out == expected


def test_weighted_random_sampler_argument_errors():
    with pytest.raises(
        ValueError, match="num_samples should be a positive integer value, but got num_samples=True"
    ):
        WeightedRandomSampler([1.0], True)
    with pytest.raises(ValueError, match="replacement should be a boolean value, but got replacement=0"):
        WeightedRandomSampler([1.0], 1, replacement=0)
    with pytest.raises(
        ValueError, match=r"weights should be a 1d sequence but given weights have shape \(1, 2\)"
    ):
        WeightedRandomSampler([[1.0, 2.0]], 1)


def test_batch_sampler():
    assert list(BatchSampler(range(10), 3, False)) == [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]
    assert list(BatchSampler(range(10), 3, True)) == [[0, 1, 2], [3, 4, 5], [6, 7, 8]]
    assert len(BatchSampler(range(10), 3, False)) == 4 and len(BatchSampler(range(10), 3, True)) == 3
    assert len(BatchSampler(range(9), 3, False)) == 3 == len(list(BatchSampler(range(9), 3, True)))


def test_batch_sampler_argument_errors():
    for bad in (0, -1, 2.0, True):
        with pytest.raises(ValueError, match="batch_size should be a positive integer value"):
            BatchSampler(range(3), bad, False)
    with pytest.raises(ValueError, match="drop_last should be a boolean value, but got drop_last=0"):
        BatchSampler(range(3), 2, 0)


def _shards(n, replicas, **kw):
    return [list(DistributedSampler(range(n), num_replicas=replicas, rank=r, **kw)) for r in range(replicas)]


def test_distributed_sampler_without_shuffle_pads_by_wrapping():
    assert _shards(10, 3, shuffle=False) == [[0, 3, 6, 9], [1, 4, 7, 0], [2, 5, 8, 1]]
    assert _shards(10, 3, shuffle=False, drop_last=True) == [[0, 3, 6], [1, 4, 7], [2, 5, 8]]
    # more padding than data: the index list is repeated
    assert _shards(2, 5, shuffle=False) == [[0], [1], [0], [1], [0]]


def test_distributed_sampler_shuffle_is_randperm_of_seed_plus_epoch():
    s = DistributedSampler(range(11), num_replicas=4, rank=2, seed=5)
    assert len(s) == 3 and s.total_size == 12
    for epoch in (0, 3):
        s.set_epoch(epoch)
        perm = torch.randperm(11, generator=torch.Generator().manual_seed(5 + epoch)).tolist()
        perm += perm[:1]
        assert list(s) == perm[2:12:4]
    # together the replicas cover the permutation once, plus its first index as padding
    perm = torch.randperm(11, generator=torch.Generator().manual_seed(5)).tolist()
    assert sorted(sum(_shards(11, 4, seed=5), [])) == sorted(perm + perm[:1])


def test_distributed_sampler_shards_are_disjoint_and_cover_with_drop_last():
    shards = _shards(23, 4, seed=1, drop_last=True)
    flat = sum(shards, [])
    assert all(len(s) == 5 for s in shards) and len(set(flat)) == 20


def test_distributed_sampler_same_order_each_pass_until_set_epoch():
    s = DistributedSampler(range(20), num_replicas=2, rank=0)
    a, b = list(s), list(s)
    s.set_epoch(1)
    assert a == b != list(s)


def test_distributed_sampler_errors():
    with pytest.raises(ValueError, match=r"Invalid rank 3, rank should be in the interval \[0, 2\]"):
        DistributedSampler(range(5), num_replicas=3, rank=3)
    with pytest.raises(ValueError, match="Invalid rank -1"):
        DistributedSampler(range(5), num_replicas=3, rank=-1)
