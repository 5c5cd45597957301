"""``lanterna.nn.parallel``: data-parallel wrappers: ``DataParallel`` and ``DistributedDataParallel``
(provided by lanterna-distributed).

``DistributedDataParallel`` loads on first use: ``lanterna.nn`` imports this package, and must
stay cheap and work without lanterna-distributed installed.
"""

from __future__ import annotations



def __getattr__(name):
    if name in ("DataParallel", "data_parallel"):  # loaded on first use too: import time
        from . import _data_parallel as module

        value = globals()[name] = getattr(module, name)
        return value
    if name == "DistributedDataParallel":
        from .distributed import DistributedDataParallel

        globals()[name] = DistributedDataParallel
        return DistributedDataParallel
    raise AttributeError(f"module 'lanterna.nn.parallel' has no attribute '{name}'")


__all__ = ["DataParallel", "DistributedDataParallel", "data_parallel"]
