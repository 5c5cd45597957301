"""Datasets and random_split: PyTorch's behaviour, including its error messages."""

import warnings

import lanterna as torch
import pytest
from lanterna.utils.data import (
    ChainDataset,
    ConcatDataset,
    Dataset,
    IterableDataset,
    StackDataset,
    Subset,
    TensorDataset,
    random_split,
)


class Range(Dataset):
    def __init__(self, n, offset=0):
        self.n, self.offset = n, offset

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        if not 0 <= i < self.n:
            raise IndexError(i)
        return self.offset + i


class Stream(IterableDataset):
    def __init__(self, values):
        self.values = list(values)

    def __iter__(self):
        return iter(self.values)

    def __len__(self):
        return len(self.values)


def test_base_dataset_getitem_raises_and_has_no_len():
    with pytest.raises(NotImplementedError, match="Subclasses of Dataset should implement __getitem__"):
        Dataset()[0]
    with pytest.raises(TypeError):
        len(Dataset())
    assert not hasattr(Dataset, "__getitems__")  # the DataLoader tests for its presence


def test_dataset_generic_subscript():
    assert Dataset[int] is not None and IterableDataset[str] is not None


def test_tensor_dataset_rows_and_len():
    x, y = torch.arange(12).reshape(4, 3), torch.tensor([0.5, 1.5, 2.5, 3.5])
    ds = TensorDataset(x, y)
    assert len(ds) == 4
    xi, yi = ds[2]
    assert xi.tolist() == [6, 7, 8] and yi.item() == 2.5
    assert [t.tolist() for t in ds[1:3]] == [[[3, 4, 5], [6, 7, 8]], [1.5, 2.5]]
    assert ds.tensors[0] is x


def test_tensor_dataset_size_mismatch():
    with pytest.raises(AssertionError, match="Size mismatch between tensors"):
        TensorDataset(torch.zeros(3), torch.zeros(4))


def test_concat_dataset_indexing_and_cumulative_sizes():
    ds = ConcatDataset([Range(3), Range(0), Range(4, offset=100)])
    assert len(ds) == 7 and ds.cumulative_sizes == [3, 3, 7]
    assert [ds[i] for i in range(7)] == [0, 1, 2, 100, 101, 102, 103]
    assert ds[-1] == 103 and ds[-7] == 0
    with pytest.raises(ValueError, match="absolute value of index should not exceed dataset length"):
        ds[-8]
    with pytest.warns(FutureWarning):
        assert ds.cummulative_sizes == [3, 3, 7]


def test_concat_dataset_errors():
    with pytest.raises(AssertionError, match="datasets should not be an empty iterable"):
        ConcatDataset([])
    with pytest.raises(AssertionError, match="ConcatDataset does not support IterableDataset"):
        ConcatDataset([Range(2), Stream([1])])


def test_add_operators():
    cat = Range(2) + Range(2, offset=10)
    assert isinstance(cat, ConcatDataset) and [cat[i] for i in range(4)] == [0, 1, 10, 11]
    chain = Stream([1, 2]) + Stream([3])
    assert isinstance(chain, ChainDataset) and list(chain) == [1, 2, 3]


def test_chain_dataset_len_and_type_check():
    chain = ChainDataset([Stream([1, 2]), Stream([3, 4, 5])])
    assert list(chain) == [1, 2, 3, 4, 5] and len(chain) == 5
    bad = ChainDataset([Stream([1]), Range(2)])
    with pytest.raises(AssertionError, match="ChainDataset only supports IterableDataset"):
        list(bad)
    with pytest.raises(AssertionError, match="ChainDataset only supports IterableDataset"):
        len(bad)


def test_stack_dataset_tuple_and_dict():
    t = StackDataset(Range(3), Range(3, offset=10))
    assert len(t) == 3 and t[1] == (1, 11)
    assert t.__getitems__([0, 2]) == [(0, 10), (2, 12)]
    d = StackDataset(a=Range(2), b=["x", "y"])
    assert d[1] == {"a": 1, "b": "y"}
    assert d.__getitems__([1, 0]) == [{"a": 1, "b": "y"}, {"a": 0, "b": "x"}]


def test_stack_dataset_uses_nested_getitems():
    class Batched(Range):
        def __getitems__(self, indices):
            return [("batched", i) for i in indices]

    assert StackDataset(Batched(3), Range(3)).__getitems__([2, 0]) == [
        (("batched", 2), 2),
        (("batched", 0), 0),
    ]

    class Short(Range):
        def __getitems__(self, indices):
            return [0]

    with pytest.raises(ValueError, match="Nested dataset's output size mismatch. Expected 2, got 1"):
        StackDataset(Short(3)).__getitems__([0, 1])


def test_stack_dataset_errors():
    with pytest.raises(ValueError, match="both types are given"):
        StackDataset(Range(2), b=Range(2))
    with pytest.raises(ValueError, match="Size mismatch between datasets"):
        StackDataset(Range(2), Range(3))
    with pytest.raises(ValueError, match="Size mismatch between datasets"):
        StackDataset(a=Range(2), b=Range(3))
    with pytest.raises(ValueError, match="At least one dataset should be passed"):
        StackDataset()


def test_subset_getitem_getitems_and_list_index():
    class ListIndexable(Range):
        def __getitem__(self, i):
            return [self.offset + j for j in i] if isinstance(i, list) else super().__getitem__(i)

    s = Subset(ListIndexable(10), [9, 0, 4])
    assert len(s) == 3 and s[0] == 9 and s[-1] == 4
    assert s[[0, 2]] == [9, 4]
    assert s.__getitems__([2, 1]) == [4, 0]


def test_subset_forwards_to_parent_getitems():
    class Batched(Range):
        def __getitems__(self, indices):
            return [-i for i in indices]

    assert Subset(Batched(5), [3, 4]).__getitems__([1, 0]) == [-4, -3]


def test_subset_subclass_overriding_getitem_only_is_rejected():
    class Bad(Subset):
        def __getitem__(self, idx):
            return 0

    with pytest.raises(NotImplementedError, match="Bad overrides __getitem__ but not __getitems__"):
        Bad(Range(3), [0])

    class Good(Bad):
        def __getitems__(self, indices):
            return [self[i] for i in indices]

    assert Good(Range(3), [0, 1]).__getitems__([0, 1]) == [0, 0]


def _contents(subsets):
    return [list(s) for s in subsets]


def test_random_split_lengths_are_a_partition():
    parts = random_split(range(10), [3, 7], generator=torch.Generator().manual_seed(1))
    assert [len(p) for p in parts] == [3, 7]
    assert all(isinstance(p, Subset) for p in parts)
    assert sorted(sum(_contents(parts), [])) == list(range(10))


def test_random_split_is_randperm_of_the_generator():
    parts = random_split(range(10), [4, 6], generator=torch.Generator().manual_seed(3))
    perm = torch.randperm(10, generator=torch.Generator().manual_seed(3)).tolist()
    assert [p.indices for p in parts] == [perm[:4], perm[4:]]


def test_random_split_default_generator_follows_manual_seed():
    torch.manual_seed(5)
    a = _contents(random_split(range(20), [5, 15]))
    torch.manual_seed(5)
    b = _contents(random_split(range(20), [5, 15]))
    torch.manual_seed(5)
    perm = torch.randperm(20).tolist()
    assert a == b == [perm[:5], perm[5:]]


def test_random_split_fractions_round_robin_remainder():
    # floor(10 * 0.33) = 3 each, remainder 1 goes to the first split
    parts = random_split(range(10), [0.33, 0.33, 0.34], generator=torch.Generator().manual_seed(0))
    assert [len(p) for p in parts] == [4, 3, 3]
    parts = random_split(range(30), [0.3, 0.3, 0.4], generator=torch.Generator().manual_seed(0))
    assert [len(p) for p in parts] == [9, 9, 12]  # no remainder
    assert sorted(sum(_contents(parts), [])) == list(range(30))


def test_random_split_fraction_warnings_and_errors():
    with pytest.warns(UserWarning, match="Length of split at index 1 is 0"):
        random_split(range(2), [0.9, 0.1])  # floors: [1, 0], remainder 1 -> [2, 0]
    with pytest.raises(ValueError, match="Fraction at index 1 is not between 0 and 1"):
        random_split(range(10), [0.5, 1.5, -1.0])
    with pytest.raises(
        ValueError, match="Sum of input lengths does not equal the length of the input dataset!"
    ):
        random_split(range(10), [3, 3])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        random_split(range(10), [0.5, 0.5])
