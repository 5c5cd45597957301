"""Learning-rate schedulers (``torch.optim.lr_scheduler``).

>>> import lanterna as torch
>>> opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
>>> sched = torch.optim.lr_scheduler.ExponentialLR(opt, gamma=0.5)
>>> for epoch in range(2):
...     opt.step()      # the optimizer first,
...     sched.step()    # then the scheduler, once per epoch
>>> sched.get_last_lr()
[0.025]
"""

from ..optimizer import Optimizer  # noqa: F401  (torch's module has it too)
from ._base import (  # noqa: F401  (torch's module has them too)
    EPOCH_DEPRECATION_WARNING,
    ConstantLR,
    CosineAnnealingLR,
    ExponentialLR,
    LambdaLR,
    LinearLR,
    LRScheduler,
    MultiplicativeLR,
    MultiStepLR,
    PolynomialLR,
    StepLR,
    _LRScheduler,
)
from ._composite import ChainedScheduler, ReduceLROnPlateau, SequentialLR
from ._cyclic import CosineAnnealingWarmRestarts, CyclicLR, OneCycleLR

__all__ = [
    "ChainedScheduler",
    "ConstantLR",
    "CosineAnnealingLR",
    "CosineAnnealingWarmRestarts",
    "CyclicLR",
    "ExponentialLR",
    "LRScheduler",
    "LambdaLR",
    "LinearLR",
    "MultiStepLR",
    "MultiplicativeLR",
    "OneCycleLR",
    "PolynomialLR",
    "ReduceLROnPlateau",
    "SequentialLR",
    "StepLR",
]
