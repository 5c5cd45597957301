"""Lanterna nn: Module, layers, losses, functional, init, utils.

Everything here is written in Tensor ops, so it runs unchanged on every device backend.

>>> import lanterna as torch
>>> import lanterna.nn as nn
>>> torch.manual_seed(0)  # doctest: +ELLIPSIS
<...>
>>> model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
>>> model(torch.zeros(3, 4)).shape
torch.Size([3, 2])
"""

__version__ = "0.1.0"

from . import functional, init  # noqa: E402,F401
from .modules import *  # noqa: E402,F401,F403
from .modules import Module  # noqa: E402,F401
from .parameter import Buffer, Parameter, UninitializedBuffer, UninitializedParameter  # noqa: E402,F401
from . import parallel, utils  # noqa: E402,F401


def __getattr__(name):
    if name == "DataParallel":  # from lanterna.nn.parallel, on first use
        return parallel.DataParallel
    raise AttributeError(f"module 'lanterna.nn' has no attribute '{name}'")
