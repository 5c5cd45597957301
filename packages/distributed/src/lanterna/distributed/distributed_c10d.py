"""``torch.distributed.distributed_c10d``: the module most of ``torch.distributed`` is defined in.

Code written against PyTorch reaches some names only through it (``_get_default_group`` ...).
"""

from __future__ import annotations

import warnings

from .backend import ReduceOp
from .process_group import (  # noqa: F401 (re-exported)
    _STATE,
    Backend,
    GroupMember,
    ProcessGroup,
    _require_world,
    destroy_process_group,
    get_backend,
    get_rank,
    get_world_size,
    group,
    init_process_group,
    is_initialized,
    new_group,
)
from .store import HashStore, PrefixStore, Store  # noqa: F401


def _get_default_group():
    """The world process group (raises if ``init_process_group`` has not run)."""
    return _require_world()


def get_pg_count() -> int:
    """How many process groups exist (the world and the groups made by ``new_group``)."""
    return len(_STATE.groups) if _STATE.world is not None else 0


class _reduce_op:  # noqa: N801 (torch's name)
    """Deprecated ``reduce_op``: ``ReduceOp``'s members, with a FutureWarning on each use."""

    def __getattr__(self, name):
        warnings.warn(
            "`torch.distributed.reduce_op` is deprecated, please use `torch.distributed.ReduceOp` instead",
            FutureWarning,
            stacklevel=2,
        )
        return getattr(ReduceOp, name)


reduce_op = _reduce_op()
