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
from ._adafactor import Adafactor
from ._muon import Muon
from ._stateless import swap_in_optimizer_params_and_state
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
from .sparse_adam import SparseAdam

# as in torch: the classes of the private modules print and pickle under the package
Adafactor.__module__ = "lanterna.optim"
Muon.__module__ = "lanterna.optim"
swap_in_optimizer_params_and_state.__module__ = "lanterna.optim"

__all__ = [
    "ASGD",
    "LBFGS",
    "SGD",
    "Adadelta",
    "Adafactor",
    "Adagrad",
    "Adam",
    "AdamW",
    "Adamax",
    "Muon",
    "NAdam",
    "Optimizer",
    "RAdam",
    "RMSprop",
    "Rprop",
    "SparseAdam",
    "lr_scheduler",
    "swa_utils",
    "swap_in_optimizer_params_and_state",
]


def __getattr__(name):
    # swa_utils needs lanterna.nn (AveragedModel is a Module): load it on first use only
    if name == "swa_utils":
        import importlib

        return importlib.import_module(".swa_utils", __name__)
    raise AttributeError(f"module 'lanterna.optim' has no attribute '{name}'")


def __dir__():
    return sorted({*globals(), "swa_utils"})
