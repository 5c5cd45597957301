"""``torch.autograd.profiler``: ``record_function`` and the legacy ``profile`` (see ``lanterna.profiler``)."""

from __future__ import annotations

from ..profiler._events import EventList, FunctionEvent, FunctionEventAvg
from ..profiler._record import record_function
from ..profiler._legacy import profile

__all__ = ["EventList", "FunctionEvent", "FunctionEventAvg", "profile", "record_function"]
