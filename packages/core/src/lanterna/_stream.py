"""``torch.Stream`` and ``torch.Event`` for the CPU, where work runs in order as it is issued:
a stream is always idle and an event always complete. As in PyTorch, recording an event on the
CPU is an error.

>>> import lanterna as torch
>>> torch.Stream()
torch.Stream device_type=cpu, device_index=-1, stream_id=0
>>> torch.Stream().query()
True
"""

from __future__ import annotations


def _cpu_only(device, what):
    from ._device import device as Device

    d = Device("cpu") if device is None else Device(device)
    if d.type != "cpu":
        raise RuntimeError(f"lanterna has no {what} for '{d.type}' devices: only torch.Stream() and torch.Event() "
                           "on the CPU are supported")
    return d


def _no_events():
    return RuntimeError("cpu backend doesn't support events.")


class Stream:
    """A CPU stream: work already ran when it was issued, so there is never anything to wait for."""

    def __init__(self, device=None, *, priority=0):
        self.device = _cpu_only(device, "streams")
        self.device_index = -1
        self.device_type = 0  # DeviceType::CPU
        self.stream_id = 0

    def query(self):
        return True

    def synchronize(self):
        return None

    def wait_event(self, event):
        return None

    def wait_stream(self, stream):
        raise _no_events()

    def record_event(self, event=None):
        raise _no_events()

    def is_capturing(self):
        return False

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def __eq__(self, other):
        return isinstance(other, Stream) and other.stream_id == self.stream_id

    def __hash__(self):
        return hash(("cpu", self.stream_id))

    def __repr__(self):
        return f"torch.Stream device_type=cpu, device_index={self.device_index}, stream_id={self.stream_id}"


class Event:
    """A CPU event: always complete; recording one is an error, as in PyTorch."""

    def __init__(self, device=None, *, enable_timing=False, blocking=False, interprocess=False):
        self.device = _cpu_only(device, "events")
        self.event_id = 0
        self._flag = 1 if enable_timing else 0

    def record(self, stream=None):
        raise _no_events()

    def query(self):
        return True

    def synchronize(self):
        return None

    def wait(self, stream=None):
        return None

    def elapsed_time(self, end_event):
        if not (self._flag and end_event._flag):
            raise ValueError("Both events must be created with argument 'enable_timing=True'.")
        raise _no_events()

    def __repr__(self):
        return f"torch.Event device_type=cpu, device_index=-1, event_flag={self._flag}, event_id={self.event_id}"


for _cls in (Stream, Event):
    _cls.__module__ = "torch"
