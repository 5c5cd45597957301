"""Chrome trace files (the JSON that chrome://tracing, Perfetto and TensorBoard read)."""

from __future__ import annotations

import gzip
import json
import os

from ._record import ORIGIN_WALL_NS


def chrome_trace(events, metadata=None, trace_name=None):
    """The trace as a dict in Kineto's layout: ``traceEvents`` holds one complete ("X") event per
    block, timestamps in microseconds from ``baseTimeNanoseconds`` (the wall clock)."""
    pid = os.getpid()
    trace_events = [{"ph": "M", "name": "process_name", "ts": 0, "pid": pid, "tid": 0, "args": {"name": "python"}},
                    {"ph": "M", "name": "process_labels", "ts": 0, "pid": pid, "tid": 0, "args": {"labels": "CPU"}}]
    for tid in sorted({evt.thread for evt in events}):
        trace_events.append({"ph": "M", "name": "thread_name", "ts": 0, "pid": pid, "tid": tid,
                             "args": {"name": f"thread {tid} (python)"}})
    for i, evt in enumerate(events):
        args = {"External id": i + 1, "Record function id": 0, "Ev Idx": i}
        if getattr(evt, "args", None) is not None:
            args["Args"] = evt.args
        trace_events.append({"ph": "X", "cat": "user_annotation", "name": evt.trace_name, "pid": pid,
                             "tid": evt.thread, "ts": evt.time_range.start, "dur": evt.time_range.elapsed_us(),
                             "args": args})
    trace = {"schemaVersion": 1, "deviceProperties": [], "displayTimeUnit": "ms",
             "baseTimeNanoseconds": ORIGIN_WALL_NS, "traceEvents": trace_events}
    if trace_name is not None:
        trace["traceName"] = trace_name
    for key, value in (metadata or {}).items():
        trace[key] = value
    return trace


def write_chrome_trace(events, path, metadata=None):
    """Write the trace to ``path`` (gzip-compressed when it ends in ``.gz``)."""
    path = os.fspath(path)
    text = json.dumps(chrome_trace(events, metadata, trace_name=path))
    if path.endswith(".gz"):
        with gzip.open(path, "wt", encoding="utf-8") as f:
            f.write(text)
    else:
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
