"""``torch.profiler``: time labelled blocks of a program.

``record_function`` blocks (and, with a ``schedule``, one ``ProfilerStep#N`` block per
``prof.step()``) are recorded with their wall time; ``prof.key_averages().table()`` prints
PyTorch's summary and ``prof.export_chrome_trace(path)`` writes a Chrome trace. Unlike PyTorch,
individual ops are not recorded: Lanterna's op dispatch has no profiler hook, so that code that
does not profile pays nothing for it.
"""

from __future__ import annotations

from ._events import DeviceType, EventList, FunctionEvent, FunctionEventAvg  # noqa: F401  (the result types)
from ._record import record_function
from .profiler import (
    ProfilerAction,
    ProfilerActivity,
    _KinetoProfile,  # noqa: F401  (PyTorch code subclasses it)
    kineto_available,
    profile,
    schedule,
    supported_activities,
    tensorboard_trace_handler,
)

__all__ = [
    "profile", "schedule", "supported_activities", "tensorboard_trace_handler", "ProfilerAction",
    "ProfilerActivity", "kineto_available", "DeviceType", "record_function",
]
