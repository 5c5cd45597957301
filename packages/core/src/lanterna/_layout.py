"""``torch.layout`` and ``torch.memory_format``: the tags PyTorch passes as ``layout=`` and
``memory_format=``. Lanterna's tensors are all strided and row-major, so these only name what
was asked for; each prints as PyTorch prints it.

>>> import lanterna as torch
>>> torch.strided, torch.channels_last
(torch.strided, torch.channels_last)
>>> type(torch.contiguous_format)
<class 'torch.memory_format'>
"""

from __future__ import annotations


def _lookup(name):
    """Unpickling: the tag of that name (tags are singletons)."""
    return globals()[name]


class _Tag:
    __slots__ = ("_name",)

    def __init__(self, name):
        self._name = name

    def __repr__(self):
        return f"torch.{self._name}"

    def __reduce__(self):
        return _lookup, (self._name,)


class layout(_Tag):
    """The memory layout of a tensor (only ``torch.strided`` exists here)."""

    __slots__ = ()


class memory_format(_Tag):
    """The order of a tensor's dims in memory, as asked for with ``memory_format=``."""

    __slots__ = ()


for _cls in (layout, memory_format):  # print as PyTorch's classes: <class 'torch.layout'>
    _cls.__module__ = "torch"

strided = layout("strided")
contiguous_format = memory_format("contiguous_format")
legacy_contiguous_format = contiguous_format  # the same object in PyTorch
channels_last = memory_format("channels_last")
channels_last_3d = memory_format("channels_last_3d")
preserve_format = memory_format("preserve_format")
