"""Lanterna optim: optimizers and learning-rate schedulers, with PyTorch's API (``torch.optim``).

>>> import lanterna as torch
>>> w = torch.tensor([2.0], requires_grad=True)
>>> opt = torch.optim.SGD([w], lr=0.25)
>>> for _ in range(3):
...     opt.zero_grad()
...     (w * w).sum().backward()
...     opt.step()
>>> w  # w <- w - 0.25 * 2w = w / 2, three times
tensor([0.2500], requires_grad=True)
"""

__version__ = "0.1.0"

from . import lr_scheduler
from .adadelta import Adadelta
from .adagrad import Adagrad
from .adam import Adam
from .adamax import Adamax
from .adamw import AdamW
from .asgd import ASGD
from .lbfgs import LBFGS
from .nadam import NAdam
from .optimizer import Optimizer
from .radam import RAdam
from .rmsprop import RMSprop
from .rprop import Rprop
from .sgd import SGD

__all__ = [
    "ASGD",
    "LBFGS",
    "SGD",
    "Adadelta",
    "Adagrad",
    "Adam",
    "AdamW",
    "Adamax",
    "NAdam",
    "Optimizer",
    "RAdam",
    "RMSprop",
    "Rprop",
    "lr_scheduler",
]


def __getattr__(name):
    # swa_utils needs lanterna.nn (AveragedModel is a Module): load it on first use only
    if name == "swa_utils":
        import importlib

        return importlib.import_module(".swa_utils", __name__)
    raise AttributeError(f"module 'lanterna.optim' has no attribute '{name}'")
