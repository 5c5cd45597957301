"""DataLoader in the main process: batching, samplers, len() rules, argument checks."""

import re
import warnings

import lanterna as torch
import pytest
from dataloader_helpers import Range
from lanterna.utils.data import (
    BatchSampler,
    DataLoader,
    IterableDataset,
    RandomSampler,
    SequentialSampler,
    TensorDataset,
    default_collate,
    default_convert,
    get_worker_info,
)


class Stream(IterableDataset):
    def __init__(self, n, length=None):
        self.n, self.length = n, length

    def __iter__(self):
        return iter(range(self.n))

    def __len__(self):
        return self.n if self.length is None else self.length


def _lists(loader):
    return [b.tolist() for b in loader]


def test_default_batching_and_collate():
    x, y = torch.arange(10).reshape(5, 2), torch.arange(5) * 1.0
    batches = list(DataLoader(TensorDataset(x, y), batch_size=2))
    assert len(batches) == 3
    assert batches[0][0].tolist() == [[0, 1], [2, 3]] and batches[2][1].tolist() == [4.0]
    assert type(batches[0]) is list  # tuples are collated into lists, as in PyTorch


def test_batch_size_one_is_default():
    assert _lists(DataLoader(Range(3))) == [[0], [1], [2]]


def test_drop_last():
    loader = DataLoader(Range(10), batch_size=4, drop_last=True)
    assert _lists(loader) == [[0, 1, 2, 3], [4, 5, 6, 7]] and len(loader) == 2
    assert len(DataLoader(Range(10), batch_size=4)) == 3


def test_batch_size_none_converts_without_batching():
    loader = DataLoader(Range(3), batch_size=None)
    assert list(loader) == [0, 1, 2] and loader.collate_fn is default_convert and len(loader) == 3
    assert DataLoader(Range(3)).collate_fn is default_collate


def test_custom_collate_fn_and_sampler():
    loader = DataLoader(Range(6), batch_size=4, sampler=[5, 0, 3], collate_fn=lambda b: tuple(b))
    assert list(loader) == [(5, 0, 3)]


def test_batch_sampler_argument():
    loader = DataLoader(Range(10), batch_sampler=[[3, 1], [0], [9, 8, 7]])
    assert _lists(loader) == [[3, 1], [0], [9, 8, 7]] and len(loader) == 3
    assert loader.batch_size is None and loader.drop_last is False


def test_getitems_is_used_for_batches():
    class Batched(Range):
        def __getitems__(self, indices):
            return [100 + i for i in indices]

    assert _lists(DataLoader(Batched(4), batch_size=3)) == [[100, 101, 102], [103]]


def test_default_samplers():
    loader = DataLoader(Range(4))
    assert isinstance(loader.sampler, SequentialSampler) and isinstance(loader.batch_sampler, BatchSampler)
    g = torch.Generator()
    loader = DataLoader(Range(4), shuffle=True, generator=g)
    assert isinstance(loader.sampler, RandomSampler) and loader.sampler.generator is g


def test_shuffle_reproducible_under_manual_seed_and_new_each_epoch():
    loader = DataLoader(Range(30), batch_size=7, shuffle=True)
    torch.manual_seed(11)
    a, b = _lists(loader), _lists(loader)
    torch.manual_seed(11)
    assert _lists(loader) == a and a != b
    assert sorted(sum(a, [])) == list(range(30))


def test_shuffle_order_follows_pytorchs_draws():
    # the iterator draws the workers' base seed first, then the sampler draws its own seed
    torch.manual_seed(2)
    order = sum(_lists(DataLoader(Range(9), batch_size=4, shuffle=True)), [])
    torch.manual_seed(2)
    torch.empty((), dtype=torch.int64).random_()  # base_seed
    seed = torch.empty((), dtype=torch.int64).random_().item()
    assert order == torch.randperm(9, generator=torch.Generator().manual_seed(seed)).tolist()


def test_generator_argument_drives_shuffle():
    a = _lists(DataLoader(Range(12), batch_size=5, shuffle=True, generator=torch.Generator().manual_seed(1)))
    b = _lists(DataLoader(Range(12), batch_size=5, shuffle=True, generator=torch.Generator().manual_seed(1)))
    assert a == b


def test_iterable_dataset_batches_and_len():
    loader = DataLoader(Stream(7), batch_size=3)
    assert _lists(loader) == [[0, 1, 2], [3, 4, 5], [6]] and len(loader) == 3
    loader = DataLoader(Stream(7), batch_size=3, drop_last=True)
    assert _lists(loader) == [[0, 1, 2], [3, 4, 5]] and len(loader) == 2
    assert list(DataLoader(Stream(3), batch_size=None)) == [0, 1, 2]


def test_iterable_dataset_len_warning_when_more_samples_than_reported():
    loader = DataLoader(Stream(5, length=2), batch_size=1)
    assert len(loader) == 2
    with pytest.warns(
        UserWarning,
        match=r"Length of IterableDataset .* was reported to be 2\(when accessing "
        r"len\(dataloader\)\), but \d+ samples have been fetched",
    ):
        list(loader)


def test_len_without_sized_dataset_is_type_error():
    class NoLen(IterableDataset):
        def __iter__(self):
            return iter([])

    with pytest.raises(TypeError):
        len(DataLoader(NoLen()))


def test_iterable_dataset_option_errors():
    with pytest.raises(ValueError, match="expected unspecified shuffle option, but got shuffle=True"):
        DataLoader(Stream(3), shuffle=True)
    with pytest.raises(ValueError, match="expected unspecified sampler option"):
        DataLoader(Stream(3), sampler=[0])
    with pytest.raises(ValueError, match="expected unspecified batch_sampler option"):
        DataLoader(Stream(3), batch_sampler=[[0]])
    DataLoader(Stream(3), shuffle=False)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (
            dict(num_workers=-1),
            "num_workers option should be non-negative; use num_workers=0 to disable multiprocessing.",
        ),
        (dict(timeout=-1), "timeout option should be non-negative"),
        (dict(prefetch_factor=2), "prefetch_factor option could only be specified in multiprocessing."),
        (dict(num_workers=1, prefetch_factor=-1), "prefetch_factor option should be non-negative"),
        (dict(persistent_workers=True), "persistent_workers option needs num_workers > 0"),
        (dict(sampler=[0], shuffle=True), "sampler option is mutually exclusive with shuffle"),
        (
            dict(batch_sampler=[[0]], batch_size=2),
            "batch_sampler option is mutually exclusive with batch_size, shuffle, sampler, and drop_last",
        ),
        (dict(batch_sampler=[[0]], drop_last=True), "batch_sampler option is mutually exclusive"),
        (
            dict(batch_size=None, drop_last=True),
            "batch_size=None option disables auto-batching and is mutually exclusive with drop_last",
        ),
        (
            dict(multiprocessing_context="fork"),
            (
                "multiprocessing_context can only be used with multi-process loading "
                "(num_workers > 0), but got num_workers=0"
            ),
        ),
        (
            dict(num_workers=1, multiprocessing_context="nope"),
            "multiprocessing_context option should specify a valid start method in",
        ),
    ],
)
def test_argument_errors(kwargs, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        DataLoader(Range(3), **kwargs)


def test_multiprocessing_context_type_error():
    with pytest.raises(TypeError, match="multiprocessing_context option should be a valid context object"):
        DataLoader(Range(3), num_workers=1, multiprocessing_context=3)


def test_prefetch_factor_default():
    assert DataLoader(Range(3)).prefetch_factor is None
    assert DataLoader(Range(3), num_workers=1).prefetch_factor == 2


def test_attributes_frozen_after_init():
    loader = DataLoader(Range(3))
    for attr in ("batch_size", "batch_sampler", "sampler", "drop_last", "dataset", "persistent_workers"):
        with pytest.raises(
            ValueError, match=f"{attr} attribute should not be set after DataLoader is initialized"
        ):
            setattr(loader, attr, None)
    loader.num_workers = 0  # others may change
    loader.collate_fn = default_convert


def test_timeout_requires_workers():
    with pytest.raises(AssertionError, match="requires timeout == 0"):
        iter(DataLoader(Range(3), timeout=1))


def test_too_many_workers_warns():
    with pytest.warns(UserWarning, match="This DataLoader will create 4096 worker processes in total"):
        DataLoader(Range(3), num_workers=4096)


def test_pin_memory_without_accelerator_warns_and_returns_data():
    loader = DataLoader(TensorDataset(torch.arange(4)), batch_size=2, pin_memory=True)
    with pytest.warns(UserWarning, match="'pin_memory' argument is set as true but no accelerator is found"):
        out = [b[0].tolist() for b in loader]
    assert out == [[0, 1], [2, 3]]


def test_pin_memory_function_recurses_and_calls_pin_memory(monkeypatch):
    from lanterna.utils.data._utils.pin_memory import pin_memory

    pinned = []
    monkeypatch.setattr(torch.Tensor, "pin_memory", lambda self, device=None: pinned.append(self) or self)

    class Pinnable:
        pinned = False

        def pin_memory(self):
            self.pinned = True
            return self

    t = torch.ones(1)
    data = {"a": [t, Pinnable()], "b": ("s", 3)}
    out = pin_memory(data)
    assert out["a"][1].pinned and out["b"] == ("s", 3) and pinned == [t] and out["a"][0] is t


def test_get_worker_info_is_none_in_main_process():
    seen = []

    class Probe(Range):
        def __getitem__(self, i):
            seen.append(get_worker_info())
            return i

    list(DataLoader(Probe(2)))
    assert seen == [None, None] and get_worker_info() is None


def test_exception_in_main_process_propagates_unchanged():
    class Bad(Range):
        def __getitem__(self, i):
            raise KeyError("missing")

    with pytest.raises(KeyError, match="missing"):
        next(iter(DataLoader(Bad(2))))


def test_iterator_is_not_picklable_and_has_len():
    import pickle

    it = iter(DataLoader(Range(5), batch_size=2))
    assert len(it) == 3
    with pytest.raises(NotImplementedError):
        pickle.dumps(it)


def test_no_warnings_in_plain_use():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        list(DataLoader(Range(5), batch_size=2, shuffle=True))
