"""DDP communication hooks (``DistributedDataParallel.register_comm_hook``)."""

from enum import Enum
from functools import partial

from . import default_hooks


def _ddp_comm_hook_wrapper(comm_hook, model, state):
    model.register_comm_hook(state, comm_hook)


class DDPCommHookType(Enum):
    """The built-in hooks, registered with ``register_ddp_comm_hook(kind, model, state)``."""

    ALLREDUCE = partial(_ddp_comm_hook_wrapper, comm_hook=default_hooks.allreduce_hook)
    FP16_COMPRESS = partial(_ddp_comm_hook_wrapper, comm_hook=default_hooks.fp16_compress_hook)


def register_ddp_comm_hook(comm_hook_type, model, state=None):
    """Register the built-in hook ``comm_hook_type`` (a :class:`DDPCommHookType`) on ``model``."""
    comm_hook_type.value(model=model, state=state)


__all__ = ["DDPCommHookType", "default_hooks", "register_ddp_comm_hook"]
