"""``lanterna.profiler``: record_function blocks timed by a fake clock, so that self / total times,
averages, the table and the Chrome trace are checked against numbers worked out by hand."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
import threading
import warnings

import pytest

import lanterna
from lanterna.profiler import (
    ProfilerAction,
    ProfilerActivity,
    profile,
    record_function,
    schedule,
    supported_activities,
    tensorboard_trace_handler,
)
from lanterna.profiler import _record


class FakeClock:
    """``time`` for the recorder: ``perf_counter_ns`` returns ``now`` (set by the test)."""

    def __init__(self):
        self.now = 0

    def perf_counter_ns(self):
        return self.now

    def time_ns(self):
        return 1_700_000_000_000_000_000


@pytest.fixture
def clock(monkeypatch):
    fake = FakeClock()
    monkeypatch.setattr(_record, "time", fake)
    monkeypatch.setattr(_record, "ORIGIN_NS", 0)
    return fake


def at(clock, ns, cm, enter=True):
    clock.now = ns
    return cm.__enter__() if enter else cm.__exit__(None, None, None)


def nested_run(clock, calls=1):
    """outer [0, 10us) holding inner [2us, 5us); ``calls`` times, each 100us apart."""
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        for k in range(calls):
            base = k * 100_000
            outer, inner = record_function("outer"), record_function("inner")
            at(clock, base, outer)
            at(clock, base + 2_000, inner)
            at(clock, base + 5_000, inner, enter=False)
            at(clock, base + 10_000, outer, enter=False)
    return prof


def test_import_lanterna_does_not_load_the_profiler():
    code = ("import sys, lanterna; assert 'lanterna.profiler' not in sys.modules; "
            "assert 'lanterna.autograd.profiler' not in sys.modules; "
            "p = lanterna.profiler; assert p.profile is not None and 'lanterna.profiler' in sys.modules; "
            "assert lanterna.autograd.profiler.record_function is p.record_function")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_nested_blocks_self_and_total_times(clock):
    prof = nested_run(clock)
    events = prof.events()
    assert [e.name for e in events] == ["outer", "inner"]
    outer, inner = events
    assert outer.cpu_time_total == 10.0 and outer.self_cpu_time_total == 7.0
    assert inner.cpu_time_total == 3.0 and inner.self_cpu_time_total == 3.0
    assert inner.cpu_parent is outer and outer.cpu_children == [inner]


def test_key_averages_aggregates_by_name(clock):
    avg = {a.key: a for a in nested_run(clock, calls=3).key_averages()}
    assert set(avg) == {"outer", "inner"}
    assert avg["outer"].count == 3 and avg["outer"].cpu_time_total == 30.0
    assert avg["outer"].self_cpu_time_total == 21.0 and avg["outer"].cpu_time == 10.0
    assert avg["inner"].count == 3 and avg["inner"].self_cpu_time_total == 9.0 and avg["inner"].cpu_time == 3.0
    assert avg["inner"].cpu_time_str == "3.000us" and avg["outer"].cpu_time_total_str == "30.000us"


def test_table_rows_percentages_and_footer(clock):
    table = nested_run(clock, calls=2).key_averages().table(sort_by="cpu_time_total", row_limit=10)
    lines = table.splitlines()
    sep = "-" * 9 + "  " + "  ".join(["-" * 12] * 6) + "  "  # name column: len("outer") + 4
    assert lines[0] == sep and lines[2] == sep and lines[-2] == sep
    assert lines[1].split() == ["Name", "Self", "CPU", "%", "Self", "CPU", "CPU", "total", "%", "CPU", "total",
                                "CPU", "time", "avg", "#", "of", "Calls"]
    # self total: 2 * (7 + 3) = 20us; outer: self 14us (70%), total 20us (100%), avg 10us
    assert lines[3].split() == ["outer", "70.00%", "14.000us", "100.00%", "20.000us", "10.000us", "2"]
    assert lines[4].split() == ["inner", "30.00%", "6.000us", "30.00%", "6.000us", "3.000us", "2"]
    assert lines[-1] == "Self CPU time total: 20.000us"
    assert table.endswith("\n")


def test_table_sort_by_and_row_limit(clock):
    averages = nested_run(clock).key_averages()
    first_row = averages.table(sort_by="self_cpu_time_total", row_limit=1).splitlines()[3]
    assert first_row.split()[0] == "outer"
    assert len(averages.table(row_limit=1).splitlines()) == 6  # 3 header lines, 1 row, separator, footer
    assert averages.table(sort_by="self_cuda_time_total")  # the device names map to device_time
    with pytest.raises(AttributeError, match="'FunctionEventAvg' object has no attribute 'foo'"):
        averages.table(sort_by="foo")


def test_time_units_switch_at_ms_and_s(clock):
    with profile() as prof:
        r = record_function("long")
        at(clock, 0, r)
        at(clock, 2_500_000_000, r, enter=False)
        r = record_function("mid")
        at(clock, 3_000_000_000, r)
        at(clock, 3_001_500_000, r, enter=False)
    avg = {a.key: a for a in prof.key_averages()}
    assert avg["long"].cpu_time_total_str == "2.500s" and avg["mid"].cpu_time_total_str == "1.500ms"
    assert prof.key_averages().table().splitlines()[-1] == "Self CPU time total: 2.502s"
    assert "1500.000us" in prof.key_averages().table(time_unit="us")


def test_record_function_outside_a_profiler_is_a_no_op_and_a_decorator():
    @record_function("decorated")
    def f(x):
        return x + 1

    assert f(1) == 2
    with record_function("alone") as r:
        assert isinstance(r, record_function)
    with profile() as prof:
        f(2)
        f(3)
    assert [(a.key, a.count) for a in prof.key_averages()] == [("decorated", 2)]


def test_one_decorator_in_two_threads_at_once():
    both_inside, first_done, release = threading.Barrier(2), threading.Event(), threading.Event()
    native = {}

    @record_function("work")
    def work(role):
        native[role] = threading.get_native_id()
        both_inside.wait()
        if role == "long":
            release.wait()  # still inside after the short one has left

    with profile() as prof:
        short = threading.Thread(target=lambda: (work("short"), first_done.set()))
        long = threading.Thread(target=work, args=("long",))
        short.start(), long.start()
        first_done.wait()
        threading.Event().wait(0.1)
        release.set()
        short.join(), long.join()
    by_thread = {e.thread: e for e in prof.events()}
    assert len(by_thread) == 2 and all(e.cpu_parent is None and not e.is_async for e in by_thread.values())
    # each exit closed its own thread's block: the long block spans the 100ms wait
    assert by_thread[native["long"]].cpu_time_total >= 100_000 > by_thread[native["short"]].cpu_time_total


def test_block_open_at_stop_is_async_with_no_self_time(clock):
    prof = profile()
    at(clock, 0, prof)
    r = record_function("open")
    at(clock, 1_000, r)
    clock.now = 4_000
    prof.stop()
    at(clock, 9_000, r, enter=False)
    (evt,) = prof.events()
    assert evt.is_async and evt.cpu_time_total == 3.0 and evt.self_cpu_time_total == 0


def test_block_entered_before_start_is_not_recorded():
    r = record_function("early")
    r.__enter__()
    with profile() as prof:
        r.__exit__(None, None, None)
    assert prof.events() == []
    assert prof.key_averages().table() == ""


def test_chrome_trace_json(clock, tmp_path):
    prof = nested_run(clock)
    path = tmp_path / "trace.json"
    prof.export_chrome_trace(str(path))
    trace = json.loads(path.read_text())
    spans = [e for e in trace["traceEvents"] if e["ph"] == "X"]
    assert [(e["name"], e["ts"], e["dur"], e["cat"]) for e in spans] == [
        ("outer", 0.0, 10.0, "user_annotation"), ("inner", 2.0, 3.0, "user_annotation")]
    assert spans[0]["tid"] == spans[1]["tid"]
    gz = tmp_path / "trace.json.gz"
    prof.export_chrome_trace(str(gz))
    with gzip.open(gz, "rt") as f:
        assert [e["name"] for e in json.load(f)["traceEvents"] if e["ph"] == "X"] == ["outer", "inner"]


def test_schedule_actions_match_the_formula():
    N, W, R, S = ProfilerAction.NONE, ProfilerAction.WARMUP, ProfilerAction.RECORD, ProfilerAction.RECORD_AND_SAVE
    fn = schedule(wait=1, warmup=1, active=3, repeat=1)
    assert [fn(i) for i in range(7)] == [N, W, R, R, S, N, N]
    fn = schedule(wait=0, warmup=1, active=1, repeat=2, skip_first=2)
    assert [fn(i) for i in range(8)] == [N, N, W, S, W, S, N, N]
    fn = schedule(wait=2, warmup=1, active=1, skip_first=1, skip_first_wait=1)
    assert [fn(i) for i in range(7)] == [N, W, S, N, N, W, S]
    with pytest.raises(AssertionError, match="active=0 \\(need > 0\\)"):
        schedule(wait=1, warmup=1, active=0)
    with pytest.warns(UserWarning, match="won't be using warmup"):
        schedule(wait=1, warmup=0, active=1)


@pytest.mark.filterwarnings("ignore:Warning. Profiler clears events")
def test_scheduled_profile_steps_and_trace_handler(tmp_path):
    ready = []

    def handler(p):
        ready.append((p.step_num, [(e.name, e.trace_name) for e in p.events()]))
        tensorboard_trace_handler(str(tmp_path / "log"), worker_name="w")(p)

    with profile(schedule=schedule(wait=1, warmup=1, active=2, repeat=2), on_trace_ready=handler) as prof:
        assert prof.record_steps
        for _ in range(10):
            with record_function("work"):
                pass
            prof.step()
    # cycles of 4 steps: recorded steps 2-3 (saved at step 4) and 6-7 (saved at step 8)
    assert [r[0] for r in ready] == [4, 8]
    assert ready[0][1] == [("ProfilerStep*", "ProfilerStep#2"), ("work", "work"),
                           ("ProfilerStep*", "ProfilerStep#3"), ("work", "work")]
    assert [(a.key, a.count) for a in prof.key_averages()] == [("ProfilerStep*", 2), ("work", 2)]
    files = sorted((tmp_path / "log").iterdir())
    assert len(files) == 2 and all(f.name.startswith("w.") and f.name.endswith(".pt.trace.json") for f in files)
    names = [e["name"] for e in json.loads(files[1].read_text())["traceEvents"] if e["ph"] == "X"]
    assert names == ["ProfilerStep#6", "work", "ProfilerStep#7", "work"]


def test_without_schedule_steps_are_not_recorded_and_trace_ready_runs_on_exit():
    ready = []
    with profile(on_trace_ready=ready.append) as prof:
        with record_function("a"):
            pass
        prof.step()
        prof.step()
    assert ready == [prof] and prof.step_num == 2 and not prof.record_steps
    assert [e.name for e in prof.events()] == ["a"]


def test_acc_events_keeps_events_of_every_cycle():
    def run(acc, steps):
        # cycles of 2 steps (warmup, record): steps 1, 3, ... are recorded
        with profile(schedule=schedule(wait=0, warmup=1, active=1), acc_events=acc) as prof:
            for i in range(steps):
                with record_function(f"s{i}"):
                    pass
                prof.step()
        return [e.trace_name for e in prof.events()]

    assert run(True, 4) == ["ProfilerStep#1", "s1", "ProfilerStep#3", "s3"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # the last cycle (step 4, a warmup) was cut short: nothing recorded
        assert run(False, 4) == []
        # the profiler stops during recorded step 3
        assert run(False, 3) == ["ProfilerStep#3"]


def test_activities_and_constructor_checks():
    assert [a.name for a in ProfilerActivity] == ["CPU", "XPU", "CUDA", "HPU", "MTIA", "PrivateUse1"]
    assert supported_activities() == {ProfilerActivity.CPU}
    with pytest.raises(AssertionError, match="No valid profiler activities found"):
        profile(activities=[])
    with pytest.raises(ValueError, match="specified more than once"):
        profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CPU])
    with pytest.warns(FutureWarning, match="use_cuda"):
        profile(use_cuda=False)
    prof = profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA], record_shapes=True,
                   profile_memory=True, with_stack=True, with_flops=True, with_modules=True)
    with pytest.raises(AssertionError, match="Profiler must be initialized before getting key averages"):
        prof.key_averages()
    with pytest.raises(AssertionError, match="before exporting chrome trace"):
        prof.export_chrome_trace("unused.json")
    with prof:
        with record_function("m"):
            pass
    lines = prof.key_averages(group_by_input_shape=True).table().splitlines()
    # profile_memory adds PyTorch's memory columns (Lanterna measures no memory: 0 B)
    assert lines[1].endswith("     CPU Mem  Self CPU Mem    # of Calls  ")
    assert lines[3].split()[-5:] == ["0", "B", "0", "B", "1"]


def test_autograd_profiler_aliases():
    ap = lanterna.autograd.profiler
    assert ap.record_function is record_function
    with ap.profile() as prof:
        with ap.record_function("legacy"):
            pass
    assert [e.name for e in prof.function_events] == ["legacy"]
    assert prof.key_averages()[0].count == 1
    assert prof.total_average().key == "Total"
    assert "legacy" in prof.table()
    with pytest.raises(RuntimeError, match="didn't finish"):
        ap.profile().key_averages()
