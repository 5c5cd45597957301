"""``lanterna.profiler`` against ``torch.profiler`` (PyTorch 2.13, CPU): schedule action sequences,
enums, the table's layout (headers, separators, rows by name and call count, footer), scheduled
runs (when traces are ready, which steps are recorded) and error messages. Only blocks without
tensor ops are profiled, so that PyTorch records the same blocks as Lanterna."""

from __future__ import annotations

import json
import re
import warnings

import pytest

import lanterna.profiler as LP

pytestmark = pytest.mark.oracle
torch = pytest.importorskip("torch")
TP = torch.profiler

SCHEDULES = [
    dict(wait=1, warmup=1, active=3, repeat=1),
    dict(wait=1, warmup=1, active=3),
    dict(wait=0, warmup=0, active=1),
    dict(wait=2, warmup=1, active=2, repeat=2, skip_first=3),
    dict(wait=5, warmup=2, active=1, repeat=3, skip_first=1, skip_first_wait=1),
    dict(wait=0, warmup=2, active=4, repeat=0, skip_first=0, skip_first_wait=1),
]


@pytest.mark.parametrize("kwargs", SCHEDULES, ids=str)
def test_schedule_sequence_matches_torch(kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours, theirs = LP.schedule(**kwargs), TP.schedule(**kwargs)
    assert [ours(i).name for i in range(40)] == [theirs(i).name for i in range(40)]


@pytest.mark.parametrize("kwargs", [dict(wait=-1, warmup=1, active=1), dict(wait=1, warmup=1, active=0),
                                    dict(wait=1, warmup=1, active=1, repeat=-2),
                                    dict(wait=1, warmup=1, active=1, skip_first=-1)], ids=str)
def test_schedule_invalid_arguments_match_torch(kwargs):
    with pytest.raises(AssertionError) as theirs:
        TP.schedule(**kwargs)
    with pytest.raises(AssertionError) as ours:
        LP.schedule(**kwargs)
    assert str(ours.value) == str(theirs.value)


def test_enums_match_torch():
    for ours, theirs in ((LP.ProfilerActivity, TP.ProfilerActivity), (LP.DeviceType, TP.DeviceType)):
        assert {m.name: int(m) for m in ours} == {k: int(v) for k, v in theirs.__members__.items()}
        assert str(ours.CPU) == str(theirs.CPU) and repr(ours.CPU) == repr(theirs.CPU)
    assert [(a.name, a.value) for a in LP.ProfilerAction] == [(a.name, a.value) for a in TP.ProfilerAction]
    assert {a.name for a in LP.supported_activities()} <= {a.name for a in TP.supported_activities()}


def workload(mod):
    """Blocks called 1, 2, 3 and 4 times (distinct counts: sorting by count has no ties)."""
    rf = mod.record_function
    with rf("model_inference"):
        for _ in range(4):
            with rf("layer"):
                with rf("layer"):  # a block whose only child has its name counts once
                    pass
        for k in range(2):
            with rf("a_rather_long_block_name_to_widen_the_name_column"):
                for _ in range(2 - k):
                    with rf("leaf"):
                        pass


def run_both(**kwargs):
    profs = []
    for mod in (LP, TP):
        with mod.profile(activities=[mod.ProfilerActivity.CPU], **kwargs) as prof:
            workload(mod)
        profs.append(prof)
    return profs


def rows(table):
    """Each row's name and call count (the times differ from run to run)."""
    lines = table.splitlines()
    return [(line.split()[0], line.split()[-1]) for line in lines[3:-2]]


@pytest.mark.parametrize("kwargs", [dict(), dict(record_shapes=True), dict(profile_memory=True)], ids=str)
def test_table_layout_matches_torch(kwargs):
    ours, theirs = (p.key_averages().table(sort_by="count", row_limit=10) for p in run_both(**kwargs))
    ol, tl = ours.splitlines(), theirs.splitlines()
    assert len(ol) == len(tl)
    assert ol[:3] == tl[:3]  # separator, column headers, separator
    assert ol[-2] == tl[-2] and ol[-1].split(":")[0] == tl[-1].split(":")[0] == "Self CPU time total"
    assert rows(ours) == rows(theirs)
    # the outermost block: 100% of the total
    outer = [[line.split()[3] for line in lines if line.split()[0] == "model_inference"] for lines in (ol, tl)]
    assert outer == [["100.00%"], ["100.00%"]]


def test_table_options_match_torch():
    ours, theirs = run_both()
    for opts in (dict(header="HEADER", row_limit=2), dict(top_level_events_only=True), dict(row_limit=-1),
                 dict(max_name_column_width=20, sort_by="cpu_time_total")):
        o = ours.key_averages().table(**opts).splitlines()
        t = theirs.key_averages().table(**opts).splitlines()
        assert len(o) == len(t), opts
        assert [line for line in o if "%" not in line and "total:" not in line] == \
               [line for line in t if "%" not in line and "total:" not in line], opts
    assert rows(ours.key_averages().table(sort_by="count", max_name_column_width=20)) == \
           rows(theirs.key_averages().table(sort_by="count", max_name_column_width=20))


def test_events_and_averages_match_torch():
    ours, theirs = run_both()
    assert sorted(e.name for e in ours.events()) == sorted(e.name for e in theirs.events())
    assert sorted((a.key, a.count) for a in ours.key_averages()) == \
           sorted((a.key, a.count) for a in theirs.key_averages())
    parents = {e.name: e.cpu_parent and e.cpu_parent.name for e in ours.events()}
    assert parents == {e.name: e.cpu_parent and e.cpu_parent.name for e in theirs.events()}


def test_invalid_sort_key_error_matches_torch():
    ours, theirs = run_both()
    with pytest.raises(AttributeError) as t:
        theirs.key_averages().table(sort_by="cpu_time_totl")
    with pytest.raises(AttributeError) as o:
        ours.key_averages().table(sort_by="cpu_time_totl")
    assert str(o.value) == str(t.value)


@pytest.mark.parametrize("kwargs", [dict(wait=1, warmup=1, active=2, repeat=2),
                                    dict(wait=0, warmup=1, active=1, skip_first=2),
                                    dict(wait=2, warmup=0, active=3, repeat=1)], ids=str)
def test_scheduled_run_matches_torch(kwargs, tmp_path):
    results = []
    for mod in (LP, TP):
        ready = []

        def handler(p, ready=ready, mod=mod):
            ready.append((p.step_num, sorted(e.trace_name for e in p.events())))
            mod.tensorboard_trace_handler(str(tmp_path / mod.__name__), worker_name="w")(p)

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with mod.profile(schedule=mod.schedule(**kwargs), on_trace_ready=handler) as prof:
                for i in range(9):
                    with mod.record_function(f"step_body_{i}"):
                        pass
                    prof.step()
        files = sorted(f.name for f in (tmp_path / mod.__name__).iterdir())
        traced = []
        for name in files:
            trace = json.loads((tmp_path / mod.__name__ / name).read_text())
            traced.append(sorted(e["name"] for e in trace["traceEvents"]
                                 if e.get("ph") == "X" and e.get("cat") == "user_annotation"))
        assert all(re.fullmatch(r"w\.\d+\.pt\.trace\.json", f) for f in files)
        results.append((ready, traced, prof.step_num, prof.record_steps))
    assert results[0] == results[1]


def test_constructor_errors_match_torch():
    for activities, exc in (([], AssertionError), (["cpu"], AssertionError), ("dup", ValueError)):
        args = {}
        for mod in (LP, TP):
            acts = [mod.ProfilerActivity.CPU] * 2 if activities == "dup" else activities
            with pytest.raises(exc) as info:
                mod.profile(activities=acts)
            args[mod] = str(info.value)
        assert args[LP] == args[TP]
    with pytest.raises(AssertionError) as t:
        TP.profile().key_averages()
    with pytest.raises(AssertionError) as o:
        LP.profile().key_averages()
    assert str(o.value) == str(t.value)


def test_autograd_profiler_aliases_match_torch():
    import lanterna

    for mod in (lanterna, torch):
        with mod.autograd.profiler.profile() as prof:
            with mod.autograd.profiler.record_function("legacy"):
                pass
        assert [(a.key, a.count) for a in prof.key_averages()] == [("legacy", 1)]
        assert prof.table().splitlines()[1].split()[0] == "Name"
