"""``record_function`` and what collects its blocks while a profiler records.

Only these blocks are timed: Lanterna's op dispatch has no profiler hook (it would cost every op
on every call), so a trace shows the ``record_function`` blocks and ``ProfilerStep#N`` steps.
"""

from __future__ import annotations

import threading
import time
from contextlib import ContextDecorator

#: the time every event's microseconds count from (the same for all windows, so that events
#: accumulated over several windows stay in order), and the wall clock at that time
ORIGIN_NS = time.perf_counter_ns()
ORIGIN_WALL_NS = time.time_ns()

#: the collectors of the profilers recording now (usually none or one). Read on every
#: ``record_function`` entry, so that a block outside any profiler costs one truth test.
_ACTIVE = []


class _Block:
    __slots__ = ("name", "args", "thread", "start_ns", "end_ns")

    def __init__(self, name, args, start_ns):
        self.name = name
        self.args = args
        self.thread = threading.get_native_id()
        self.start_ns = start_ns
        self.end_ns = None


class Collector:
    """The blocks of one recording window (one trace)."""

    def __init__(self):
        self.start_ns = time.perf_counter_ns()
        self.stop_ns = None
        self.done = []
        self.open = {}  # blocks entered in this window and not yet exited (a dict keeps their order)

    def begin(self):
        _ACTIVE.append(self)

    def end(self):
        self.stop_ns = time.perf_counter_ns()
        if self in _ACTIVE:
            _ACTIVE.remove(self)

    def events(self, first_id=0, use_device=None):
        """The window's blocks as :class:`FunctionEvent` s, by start time; blocks still open end at
        the stop time and are async (no self time), as in PyTorch."""
        from ._events import FunctionEvent

        # copies: another thread may still be leaving a block
        blocks = [(b, b.end_ns, False) for b in list(self.done)]
        blocks += [(b, self.stop_ns, True) for b in list(self.open)]
        blocks.sort(key=lambda item: item[0].start_ns)
        return [
            FunctionEvent(first_id + i, _table_name(b.name), b.thread, _us(b.start_ns), _us(end_ns),
                          trace_name=b.name, is_async=is_async, use_device=use_device, args=b.args)
            for i, (b, end_ns, is_async) in enumerate(blocks)
        ]


def _us(ns):
    return (ns - ORIGIN_NS) / 1000


def _table_name(name):
    # every step is one row of the table (PyTorch names them so), the trace keeps the numbers
    return "ProfilerStep*" if name.startswith("ProfilerStep#") else name


class record_function(ContextDecorator):
    """Label a block (``with record_function("name"):``) or a function (``@record_function("name")``).

    While a profiler records, the block's wall time is recorded under ``name``; a block inside
    another counts toward the outer one's total but not its self time. Outside a profiler it does
    nothing.
    """

    def __init__(self, name, args=None):
        self.name = name
        self.args = args
        # (thread, block, collectors) per __enter__ not yet exited: a decorated function may call
        # itself, or run in several threads at once
        self._entries = []

    def __enter__(self):
        if not _ACTIVE:
            self._entries.append((threading.get_ident(), None, ()))
            return self
        collectors = tuple(_ACTIVE)
        block = _Block(self.name, self.args, time.perf_counter_ns())
        for collector in collectors:
            collector.open[block] = None
        self._entries.append((threading.get_ident(), block, collectors))
        return self

    def __exit__(self, exc_type, exc_value, traceback):
        end_ns = time.perf_counter_ns()
        block, collectors = self._pop_entry()
        if block is None:
            return False
        block.end_ns = end_ns
        for collector in collectors:
            # a window that stopped before the block ended keeps it as an open (async) block
            if collector.stop_ns is None and block in collector.open:
                del collector.open[block]
                collector.done.append(block)
        return False

    def _pop_entry(self):
        """The innermost entry of this thread (an exit without an enter is ignored)."""
        thread = threading.get_ident()
        entries = self._entries
        for i in range(len(entries) - 1, -1, -1):
            if entries[i][0] == thread:
                _, block, collectors = entries.pop(i)
                return block, collectors
        return None, ()
