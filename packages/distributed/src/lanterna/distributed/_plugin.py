"""The built-in communication backends, registered like a third party's (entry point ``lanterna.backends``).

Core imports this module at ``import lanterna`` and calls its hook only when
``lanterna.distributed`` first needs the list of communication backends. It imports nothing heavy:
each factory imports its engine (mpi4py, CuPy) when a process group is created.
"""

from __future__ import annotations

from lanterna.backends import hookimpl


class _Lazy:
    """A factory that imports its backend class on first use."""

    def __init__(self, module, cls):
        self._module = module
        self._cls = cls

    def _load(self):
        import importlib

        return getattr(importlib.import_module(f"lanterna.distributed.{self._module}"), self._cls)

    def is_available(self):
        return self._load().is_available()

    def unavailable_reason(self):
        return self._load().unavailable_reason()

    def __call__(self, **kwargs):
        return self._load().create(**kwargs)

    def __repr__(self):
        return f"<lanterna.distributed.{self._module}.{self._cls}>"


@hookimpl
def lanterna_register_comm_backends(registry):
    registry.register_comm_backend("mpi", _Lazy("mpi_backend", "MPIBackend"), devices=("cpu",))
    registry.register_comm_backend("nccl", _Lazy("nccl_backend", "NCCLBackend"), devices=("cuda",))
    registry.register_comm_backend("tcp", _Lazy("tcp_backend", "TCPBackend"), devices=("cpu",))
