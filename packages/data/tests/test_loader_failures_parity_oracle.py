"""DataLoader failures against torch.utils.data: what is raised, with which message, and what follows.

Each case runs the same code on both libraries and compares the outcome: the exception type and
message (tracebacks and pids aside), or the values produced.
"""

import collections
import os
import re
import time
import warnings

import numpy as np
import pytest
from dataloader_helpers import Range, RaisesAt

torch = pytest.importorskip("torch")
import lanterna  # noqa: E402
import lanterna.utils.data as LD  # noqa: E402
import torch.utils.data as TD  # noqa: E402

pytestmark = [pytest.mark.oracle, pytest.mark.timeout(60)]

LIBS = {LD: lanterna, TD: torch}


class TwoArgs(Exception):
    def __init__(self, a, b):
        super().__init__(a, b)


class KeywordOnly(Exception):
    def __init__(self, msg, *, code):
        super().__init__(msg)


def _plain(value):
    """Batches as plain Python values, comparable across the two libraries."""
    if isinstance(value, (lanterna.Tensor, torch.Tensor)):
        return (str(value.dtype).split(".")[-1], tuple(value.shape), value.tolist())
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value).__name__, [_plain(v) for v in value]
    return value


def _scrub(text):
    """A message without what legitimately differs: pids, addresses and the library's name."""
    text = re.sub(r"pid\(s\) [\d, ]+", "pid(s) N", text)
    text = re.sub(r"0x[0-9a-f]+", "0x?", text)
    return text.replace("lanterna", "torch")


def outcome(f):
    try:
        return "ok", _plain(f())
    except Exception as e:  # noqa: BLE001  (comparing what each library raises)
        return type(e).__name__, _scrub(str(e))


def both(make):
    """``make(D)`` for lanterna's and torch's ``utils.data``, as outcomes: (mine, torch's)."""
    return outcome(lambda: make(LD)), outcome(lambda: make(TD))


# ---- exceptions raised inside a worker ------------------------------------------------------


def _worker_error(D, dataset, **kwargs):
    """Type, first two lines and last line of the error iterating ``dataset`` with one worker."""
    it = iter(D.DataLoader(dataset, num_workers=1, **kwargs))
    try:
        list(it)
    except Exception as e:  # noqa: BLE001
        lines = str(e).splitlines()
        return type(e).__name__, lines[:2], lines[-1], len(e.args)
    finally:
        it._shutdown_workers()  # at once: PyTorch's iterator would linger until collected
    raise AssertionError("no error")


def _bad_collate(batch):
    raise TypeError("cannot collate this")


def _bad_init(worker_id):
    raise OSError(f"init failed in {worker_id}")


@pytest.mark.parametrize(
    "exc",
    [
        ValueError("bad sample"),
        KeyError("missing"),
        IndexError(3),
        TwoArgs(1, 2),  # cannot be rebuilt from a message: RuntimeError
        KeywordOnly("m", code=1),
        OSError(2, "no such file"),  # the subclass (FileNotFoundError) is what is raised
        UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte"),
        NotImplementedError(),
    ],
    ids=lambda e: type(e).__name__,
)
def test_exception_in_getitem_reraised_like_torch(exc):
    assert _worker_error(LD, RaisesAt(3, 1, exc)) == _worker_error(TD, RaisesAt(3, 1, exc))


def test_exception_in_collate_fn_and_worker_init_fn_reraised_like_torch():
    for kwargs in (dict(collate_fn=_bad_collate), dict(worker_init_fn=_bad_init)):
        assert _worker_error(LD, Range(2), **kwargs) == _worker_error(TD, Range(2), **kwargs)


def test_key_error_message_is_not_quoted_like_torch():
    def text(D):
        it = iter(D.DataLoader(RaisesAt(2, 0, KeyError("k")), num_workers=1))
        with pytest.raises(KeyError) as info:
            list(it)
        it._shutdown_workers()
        return str(info.value).splitlines()[0], repr(info.value).splitlines()[0]

    assert text(LD) == text(TD) == (
        "Caught KeyError in DataLoader worker process 0.",
        "KeyError(Caught KeyError in DataLoader worker process 0.",
    )


def test_iteration_goes_on_after_a_worker_exception_like_torch():
    class EveryOther(Range):
        def __getitem__(self, i):
            if i % 2:
                raise IndexError(f"bad {i}")
            return i

    def run(D):
        it = iter(D.DataLoader(EveryOther(7), num_workers=2, batch_size=1))
        out = []
        for _ in range(12):
            try:
                out.append(_plain(next(it)))
            except StopIteration:
                return out
            except IndexError as e:
                out.append(str(e).splitlines()[-1])
        raise AssertionError(out)

    assert run(LD) == run(TD)


# ---- dead workers and timeouts --------------------------------------------------------------


class Worker0Exits(Range):
    def __init__(self, n, get_worker_info):
        super().__init__(n)
        self.get_worker_info = get_worker_info  # that of the library whose worker runs this

    def __getitem__(self, i):
        if i == 2 and self.get_worker_info().id == 0:
            time.sleep(0.1)
            os._exit(3)
        return i


def _drain(D, dataset, limit=40, **kwargs):
    return _drain_iterator(iter(D.DataLoader(dataset, **kwargs)), limit,
                           describe=lambda e: _scrub(str(e).splitlines()[-1]))


def test_dead_worker_then_the_other_workers_go_on_like_torch():
    dead = "DataLoader worker (pid(s) N) exited unexpectedly"
    for D in (LD, TD):
        out = _drain(D, Worker0Exits(10, D.get_worker_info), num_workers=2)
        served = [x for x in out if x != dead]
        assert out.count(dead) == 1, (D.__name__, out)
        assert served == sorted(served) and {0, 1, 3, 9} <= set(served) and 2 not in served, (D.__name__, out)


def test_timeout_message_and_recovery_like_torch():
    class Slow(Range):
        def __getitem__(self, i):
            if i == 1:
                time.sleep(0.8)
            return i

    timed_out = "DataLoader timed out after 0.25 seconds"
    for D in (LD, TD):
        it = iter(D.DataLoader(Slow(3), num_workers=1, timeout=0.25))
        assert next(it).item() == 0
        with pytest.raises(RuntimeError) as info:
            next(it)
        assert str(info.value).splitlines()[0] == timed_out
        out = _drain_iterator(it)
        assert out[-2:] == [1, 2] and set(out[:-2]) <= {timed_out}, (D.__name__, out)


def _drain_iterator(it, limit=20, describe=lambda e: str(e).splitlines()[0]):
    """Everything ``next(it)`` gives until StopIteration: values, or ``describe`` of the errors."""
    out = []
    for _ in range(limit):
        try:
            out.append(next(it).item())
        except StopIteration:
            return out
        except RuntimeError as e:
            out.append(describe(e))
    raise AssertionError(f"no StopIteration after {limit} calls: {out}")


# ---- argument validation --------------------------------------------------------------------


def _stream(D, n=3, length=None):
    class Stream(D.IterableDataset):
        def __iter__(self):
            return iter(range(n))

    if length is not None:
        Stream.__len__ = lambda self: length
    return Stream()


LOADER_ARGS = {
    "num_workers<0": dict(num_workers=-1),
    "timeout<0": dict(timeout=-1),
    "batch_size with batch_sampler": dict(batch_size=2, batch_sampler=[[0, 1]]),
    "batch_size=None with batch_sampler": dict(batch_size=None, batch_sampler=[[0, 1]]),
    "shuffle with sampler": dict(shuffle=True, sampler=[0, 1]),
    "shuffle with batch_sampler": dict(shuffle=True, batch_sampler=[[0, 1]]),
    "sampler with batch_sampler": dict(sampler=[0], batch_sampler=[[0, 1]]),
    "drop_last with batch_sampler": dict(drop_last=True, batch_sampler=[[0, 1]]),
    "drop_last without batch_size": dict(batch_size=None, drop_last=True),
    "prefetch_factor without workers": dict(prefetch_factor=2),
    "prefetch_factor<0": dict(num_workers=1, prefetch_factor=-1),
    "persistent_workers without workers": dict(persistent_workers=True),
    "multiprocessing_context unknown": dict(num_workers=1, multiprocessing_context="bogus"),
    "multiprocessing_context without workers": dict(multiprocessing_context="fork"),
    "multiprocessing_context not a context": dict(num_workers=1, multiprocessing_context=3),
    "batch_size=0": dict(batch_size=0),
    "batch_size<0": dict(batch_size=-2),
    "batch_size float": dict(batch_size=2.0),
    "batch_size bool": dict(batch_size=True),
    "batch_size str": dict(batch_size="2"),
    "drop_last int": dict(drop_last=1),
    "shuffle on an empty dataset": dict(dataset=Range(0), shuffle=True),
    "IterableDataset with sampler": dict(dataset="stream", sampler=[0, 1]),
    "IterableDataset with shuffle": dict(dataset="stream", shuffle=True),
    "IterableDataset with batch_sampler": dict(dataset="stream", batch_sampler=[[0]]),
    "IterableDataset with shuffle=False": dict(dataset="stream", shuffle=False),
}


@pytest.mark.parametrize("name", list(LOADER_ARGS))
def test_loader_argument_errors_like_torch(name):
    def make(D):
        kwargs = dict(LOADER_ARGS[name])
        dataset = kwargs.pop("dataset", Range(5))
        loader = D.DataLoader(_stream(D) if dataset == "stream" else dataset, **kwargs)
        return loader.batch_size, loader.drop_last, loader.prefetch_factor

    mine, ref = both(make)
    assert mine == ref


def test_pin_memory_without_accelerator_warns_like_torch():
    def warned(D):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            batches = _plain(list(D.DataLoader(Range(2), pin_memory=True)))
        return batches, [(w.category, str(w.message)) for w in caught]

    if torch.accelerator.is_available():
        pytest.skip("an accelerator is present: nothing to warn about")
    assert warned(LD) == warned(TD)


# ---- len() ----------------------------------------------------------------------------------


def test_len_like_torch():
    def lengths(D):
        out = []
        for kwargs in (dict(batch_size=3), dict(batch_size=3, drop_last=True), dict(batch_size=None)):
            out.append(len(D.DataLoader(Range(10), **kwargs)))
            out.append(len(D.DataLoader(_stream(D, 10, length=8), **kwargs)))
        out.append(outcome(lambda: len(D.DataLoader(_stream(D)))))
        return out

    assert lengths(LD) == lengths(TD)


def test_iterable_length_warning_with_workers_like_torch():
    def run(D):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            loader = D.DataLoader(_stream(D, 6, length=4), batch_size=2, num_workers=2)
            n = len(loader)
            batches = _plain(list(loader))
        return n, batches, [_scrub(str(w.message)).split(" object at ")[1] for w in caught]

    assert run(LD) == run(TD)


# ---- IterableDataset with workers -----------------------------------------------------------


def _sharded(D, n):
    class Sharded(D.IterableDataset):
        def __iter__(self):
            info = D.get_worker_info()
            if info is None:
                return iter(range(n))
            return iter(range(info.id, n, info.num_workers))

    return Sharded()


@pytest.mark.parametrize(
    "kwargs",
    [dict(batch_size=2, num_workers=2), dict(batch_size=None, num_workers=2)],
    ids=["batched", "unbatched"],
)
def test_iterable_dataset_copies_and_shards_like_torch(kwargs):
    def run(D):
        copies = _plain(list(D.DataLoader(_stream(D, 3), **kwargs)))
        shards = _plain(list(D.DataLoader(_sharded(D, 7), **kwargs)))
        dropped = _plain(list(D.DataLoader(_sharded(D, 7), num_workers=2, batch_size=2, drop_last=True)))
        return copies, shards, dropped

    assert run(LD) == run(TD)


def test_persistent_workers_and_early_break_like_torch():
    def run(D):
        loader = D.DataLoader(Range(6), batch_size=2, num_workers=2, persistent_workers=True)
        first = _plain(list(loader))
        for batch in loader:
            broken = _plain(batch)
            break
        again = _plain(list(loader))
        loader._iterator._shutdown_workers()
        return first, broken, again

    assert run(LD) == run(TD)


# ---- collation ------------------------------------------------------------------------------

Pair = collections.namedtuple("Pair", "a b")


def _collate_cases(lib):
    return [
        [1, 2],
        [1.5, 2],
        [True, False],
        [np.float32(1), np.float32(2)],
        [np.int16(1), np.int16(2)],
        [np.array(1.0), np.array(2.0)],
        [np.array(["a"]), np.array(["b"])],
        [{"x": 1, "y": (2.0, "s")}, {"x": 3, "y": (4.0, "t")}],
        [Pair(1, [1, 2]), Pair(2, [3, 4])],
        [[1, 2], [3]],
        [[None], [None]],
        [{1, 2}, {3, 4}],
        [lib.zeros(2), lib.zeros(3)],
        [lib.zeros(2, 3), lib.zeros(3, 2)],
        [lib.zeros(2, dtype=lib.int32), lib.ones(2)],
    ]


def test_default_collate_cases_like_torch():
    mine = [outcome(lambda c=c: LD.default_collate(c)) for c in _collate_cases(lanterna)]
    ref = [outcome(lambda c=c: TD.default_collate(c)) for c in _collate_cases(torch)]
    assert mine == ref


def test_unbatched_loader_converts_like_torch():
    class Arrays(Range):
        def __getitem__(self, i):
            return {"x": np.array([i, i]), "t": (np.float32(i), i), "s": "s"}

    def run(D):
        return _plain(list(D.DataLoader(Arrays(2), batch_size=None))), D.DataLoader(
            Arrays(2), batch_size=None
        ).collate_fn.__name__

    assert run(LD) == run(TD)


# ---- samplers and datasets ------------------------------------------------------------------


def _sampler_cases(D, lib):
    def gen():
        return lib.Generator().manual_seed(3)

    return {
        "random replacement=1": lambda: list(D.RandomSampler(range(4), replacement=1)),
        "random num_samples=0": lambda: list(D.RandomSampler(range(4), num_samples=0)),
        "random num_samples float": lambda: list(D.RandomSampler(range(4), num_samples=2.0)),
        "random empty": lambda: list(D.RandomSampler(range(0))),
        "random num_samples>n": lambda: list(D.RandomSampler(range(5), num_samples=12, generator=gen())),
        "random replacement": lambda: list(
            D.RandomSampler(range(5), replacement=True, num_samples=40, generator=gen())
        ),
        "subset random": lambda: list(D.SubsetRandomSampler([10, 20, 30, 40], generator=gen())),
        "weighted": lambda: list(D.WeightedRandomSampler([0.1, 0.5, 0.4], 10, generator=gen())),
        "weighted no replacement": lambda: list(
            D.WeightedRandomSampler([0.1, 0.5, 0.4, 0.3], 3, replacement=False, generator=gen())
        ),
        "weighted num_samples=0": lambda: D.WeightedRandomSampler([1.0, 2.0], 0),
        "weighted num_samples bool": lambda: D.WeightedRandomSampler([1.0, 2.0], True),
        "weighted replacement=0": lambda: D.WeightedRandomSampler([1.0, 2.0], 2, replacement=0),
        "weighted 2-d": lambda: D.WeightedRandomSampler([[1.0, 2.0]], 2),
        "weighted negative": lambda: list(D.WeightedRandomSampler([1.0, -2.0], 2)),
        "weighted all zero": lambda: list(D.WeightedRandomSampler([0.0, 0.0], 2)),
        "weighted too many": lambda: list(D.WeightedRandomSampler([1.0, 2.0], 5, replacement=False)),
        "batch batch_size=0": lambda: D.BatchSampler(range(3), 0, False),
        "batch batch_size float": lambda: D.BatchSampler(range(3), 2.0, False),
        "batch drop_last None": lambda: D.BatchSampler(range(3), 2, None),
        "batch drop_last": lambda: list(D.BatchSampler(range(7), 3, True)),
        "batch len": lambda: len(D.BatchSampler(range(7), 3, False)),
    }


def _dataset_cases(D, lib):
    concat = D.ConcatDataset([[1, 2], [3, 4, 5]])
    return {
        "concat empty": lambda: D.ConcatDataset([]),
        "concat -1": lambda: concat[-1],
        "concat -5": lambda: concat[-5],
        "concat -6": lambda: concat[-6],
        "concat 5": lambda: concat[5],
        "concat iterable": lambda: D.ConcatDataset([_stream(D)]),
        "tensors size mismatch": lambda: D.TensorDataset(lib.zeros(3), lib.zeros(4)),
        "stack size mismatch": lambda: D.StackDataset([1], [1, 2]),
        "stack nothing": lambda: D.StackDataset(),
        "stack both kinds": lambda: D.StackDataset([1], a=[1]),
        "stack dict": lambda: D.StackDataset(a=[1, 2], b=D.Subset([5, 6, 7], [2, 1])).__getitems__([0, 1]),
        "chain": lambda: list(D.ChainDataset([_stream(D, 2), _stream(D, 3)])),
        "chain len without len": lambda: len(D.ChainDataset([_stream(D, 2)])),
        "chain of a list": lambda: list(D.ChainDataset([[1, 2]])),
        "subset": lambda: (D.Subset([10, 20, 30], [2, 0])[-1], D.Subset([10, 20], [1, 0]).__getitems__([1])),
        "dataset getitem": lambda: D.Dataset()[0],
        "dataset len": lambda: len(D.Dataset()),
        "iterable dataset base": lambda: D.IterableDataset(),
    }


def test_sampler_outcomes_like_torch():
    mine = {k: outcome(f) for k, f in _sampler_cases(LD, lanterna).items()}
    ref = {k: outcome(f) for k, f in _sampler_cases(TD, torch).items()}
    assert mine == ref


def test_dataset_outcomes_like_torch():
    mine = {k: outcome(f) for k, f in _dataset_cases(LD, lanterna).items()}
    ref = {k: outcome(f) for k, f in _dataset_cases(TD, torch).items()}
    assert mine == ref


@pytest.mark.parametrize("n", [3, 7, 10, 11])
@pytest.mark.parametrize("lengths", [[0.8, 0.2], [0.3, 0.3, 0.4], [0.1] * 10, [0.7, 0.2, 0.1], [0.5, 0.6]])
def test_random_split_fractions_like_torch(n, lengths):
    def run(D, lib):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            generator = lib.Generator().manual_seed(0)
            result = outcome(lambda: [list(p) for p in D.random_split(range(n), lengths, generator)])
        return result, [str(w.message) for w in caught]

    assert run(LD, lanterna) == run(TD, torch)
