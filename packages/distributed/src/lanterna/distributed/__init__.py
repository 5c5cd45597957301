"""Lanterna distributed: process groups and DistributedDataParallel on MPI and NCCL.

The API of ``torch.distributed``: ``init_process_group``, ranks, collectives (``all_reduce``,
``broadcast`` ...), point-to-point ``send``/``recv``, ``new_group``. Communication backends are
plugins (``mpi`` and ``nccl`` are built in, registered through the ``lanterna.backends`` entry
point like any third party's). Start a job with the launcher::

    python -m lanterna.distributed.run --nproc-per-node 2 train.py

This module loads its parts on first use, so that ``import lanterna`` (which imports the plugin
entry point, hence this package) stays fast and never starts MPI.
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

_EXPORTS = {
    "backend": ["DistBackendError", "DistError", "DistNetworkError", "DistStoreError", "ReduceOp", "Work",
                "CommBackend"],
    "process_group": ["Backend", "GroupMember", "ProcessGroup", "destroy_process_group", "get_backend",
                      "get_global_rank", "get_group_rank", "get_node_local_rank", "get_process_group_ranks",
                      "get_rank", "get_world_size", "group", "init_process_group", "is_available",
                      "is_backend_available", "is_gloo_available", "is_initialized", "is_mpi_available",
                      "is_nccl_available", "is_torchelastic_launched", "new_group", "new_subgroups",
                      "new_subgroups_by_enumeration"],
    "collectives": ["P2POp", "all_gather", "all_gather_into_tensor", "all_gather_object", "all_gather_single",
                    "all_reduce", "all_to_all", "all_to_all_single", "barrier", "batch_isend_irecv", "broadcast",
                    "broadcast_object_list", "gather", "gather_object", "irecv", "isend", "monitored_barrier",
                    "recv", "reduce", "reduce_scatter", "reduce_scatter_single", "reduce_scatter_tensor",
                    "scatter", "scatter_object_list", "send"],
    "rendezvous": ["FileStore"],
    "tcp_backend": ["TCPStore"],
    "grad_bucket": ["GradBucket"],
    "store": ["HashStore", "PrefixStore", "Store"],
    "distributed_c10d": ["get_pg_count", "reduce_op"],
}
_WHERE = {name: mod for mod, names in _EXPORTS.items() for name in names}
__all__ = sorted(_WHERE)  # noqa: PLE0605


def __getattr__(name):
    if name == "distributed_c10d":  # the submodule, loaded on first use like the others
        return importlib.import_module(f"{__name__}.distributed_c10d")
    mod = _WHERE.get(name)
    if mod is None:
        raise AttributeError(f"module 'lanterna.distributed' has no attribute '{name}'")
    value = getattr(importlib.import_module(f"{__name__}.{mod}"), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))
