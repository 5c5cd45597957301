"""Padding layers: constant (zero), reflection, replication and circular."""

from __future__ import annotations

from .. import functional as F
from .module import Module


def _tuple(n):
    def parse(x):
        if isinstance(x, (list, tuple)):
            if len(x) != n:
                raise ValueError(f"expected {n} padding values, got {len(x)}")
            return tuple(x)
        return (x,) * n

    return parse


class _ConstantPadNd(Module):
    __constants__ = ["padding", "value"]

    def __init__(self, value):
        super().__init__()
        self.value = value

    def forward(self, input):
        return F.pad(input, self.padding, "constant", self.value)

    def extra_repr(self):
        return f"padding={self.padding}, value={self.value}"


class ConstantPad1d(_ConstantPadNd):
    def __init__(self, padding, value):
        super().__init__(value)
        self.padding = _tuple(2)(padding)


class ConstantPad2d(_ConstantPadNd):
    def __init__(self, padding, value):
        super().__init__(value)
        self.padding = _tuple(4)(padding)


class ConstantPad3d(_ConstantPadNd):
    def __init__(self, padding, value):
        super().__init__(value)
        self.padding = _tuple(6)(padding)


class ZeroPad1d(ConstantPad1d):
    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self):
        return f"{self.padding}"


class ZeroPad2d(ConstantPad2d):
    """Pad with zeros: ``(left, right, top, bottom)``."""

    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self):
        return f"{self.padding}"


class ZeroPad3d(ConstantPad3d):
    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self):
        return f"{self.padding}"


class _ModePadNd(Module):
    __constants__ = ["padding"]
    mode = "reflect"

    def forward(self, input):
        return F.pad(input, self.padding, self.mode)

    def extra_repr(self):
        return f"{self.padding}"


def _mode_pad(name, mode, n, doc):
    def __init__(self, padding):
        _ModePadNd.__init__(self)
        self.padding = _tuple(n)(padding)

    return type(name, (_ModePadNd,), {"__init__": __init__, "mode": mode, "__doc__": doc})


ReflectionPad1d = _mode_pad("ReflectionPad1d", "reflect", 2, "Pad the last dim by reflecting the input.")
ReflectionPad2d = _mode_pad("ReflectionPad2d", "reflect", 4, "Pad the last two dims by reflecting the input.")
ReflectionPad3d = _mode_pad(
    "ReflectionPad3d", "reflect", 6, "Pad the last three dims by reflecting the input."
)
ReplicationPad1d = _mode_pad("ReplicationPad1d", "replicate", 2, "Pad the last dim by repeating the edge.")
ReplicationPad2d = _mode_pad(
    "ReplicationPad2d", "replicate", 4, "Pad the last two dims by repeating the edge."
)
ReplicationPad3d = _mode_pad(
    "ReplicationPad3d", "replicate", 6, "Pad the last three dims by repeating the edge."
)
CircularPad1d = _mode_pad("CircularPad1d", "circular", 2, "Pad the last dim by wrapping around.")
CircularPad2d = _mode_pad("CircularPad2d", "circular", 4, "Pad the last two dims by wrapping around.")
CircularPad3d = _mode_pad("CircularPad3d", "circular", 6, "Pad the last three dims by wrapping around.")
for _cls in (
    ReflectionPad1d,
    ReflectionPad2d,
    ReflectionPad3d,
    ReplicationPad1d,
    ReplicationPad2d,
    ReplicationPad3d,
    CircularPad1d,
    CircularPad2d,
    CircularPad3d,
):
    _cls.__module__ = __name__
