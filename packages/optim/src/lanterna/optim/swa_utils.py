"""Stochastic weight averaging and EMA of weights: AveragedModel, SWALR, update_bn (``torch.optim.swa_utils``).

``AveragedModel`` is an ``nn.Module``: it is built on first access, so that SWALR and the
averaging functions work without the ``lanterna-nn`` distribution.
"""

from __future__ import annotations

import itertools
import math
from copy import deepcopy

import lanterna

from .lr_scheduler._base import LRScheduler, _format_param, _warn_get_lr_called_within_step
from .optimizer import Optimizer

__all__ = [  # noqa: F822  (AveragedModel is built on first access, see __getattr__)
    "SWALR", "AveragedModel", "get_ema_avg_fn", "get_ema_multi_avg_fn", "get_swa_avg_fn",
    "get_swa_multi_avg_fn", "update_bn",
]


def get_ema_multi_avg_fn(decay=0.999):
    """An in-place exponential moving average over lists of tensors: ``ema = decay * ema + (1 - decay) * p``."""
    if decay < 0.0 or decay > 1.0:
        raise ValueError(f"Invalid decay value {decay} provided. Please provide a value in [0,1] range.")

    @lanterna.no_grad()
    def ema_update(ema_param_list, current_param_list, _):
        if ema_param_list[0].is_floating_point():
            lanterna._foreach_lerp_(ema_param_list, current_param_list, 1 - decay)
        else:
            for p_ema, p_model in zip(ema_param_list, current_param_list, strict=True):
                p_ema.copy_(p_ema * decay + p_model * (1 - decay))

    return ema_update


def get_swa_multi_avg_fn():
    """An in-place running mean over lists of tensors (the SWA average)."""

    @lanterna.no_grad()
    def swa_update(averaged_param_list, current_param_list, num_averaged):
        if averaged_param_list[0].is_floating_point():
            lanterna._foreach_lerp_(averaged_param_list, current_param_list, float(1 / (num_averaged + 1)))
        else:
            diffs = lanterna._foreach_sub(current_param_list, averaged_param_list)
            lanterna._foreach_add_(averaged_param_list, diffs, alpha=1.0 / (float(num_averaged) + 1))

    return swa_update


def get_ema_avg_fn(decay=0.999):
    """``(ema, p, n) -> decay * ema + (1 - decay) * p`` for one tensor."""
    if decay < 0.0 or decay > 1.0:
        raise ValueError(f"Invalid decay value {decay} provided. Please provide a value in [0,1] range.")

    @lanterna.no_grad()
    def ema_update(ema_param, current_param, num_averaged):
        return decay * ema_param + (1 - decay) * current_param

    return ema_update


def get_swa_avg_fn():
    """``(avg, p, n) -> avg + (p - avg) / (n + 1)`` for one tensor."""

    @lanterna.no_grad()
    def swa_update(averaged_param, current_param, num_averaged):
        return averaged_param + (current_param - averaged_param) / (num_averaged + 1)

    return swa_update


def _is_batchnorm(module):
    return any(c.__name__ in ("_BatchNorm", "BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "SyncBatchNorm")
               for c in type(module).__mro__)


@lanterna.no_grad()
def update_bn(loader, model, device=None):
    """Recompute BatchNorm running statistics with one pass over ``loader`` (cumulative averages)."""
    momenta = {}
    for module in model.modules():
        if _is_batchnorm(module):
            module.reset_running_stats()
            momenta[module] = module.momentum
    if not momenta:
        return
    was_training = model.training
    model.train()
    for module in momenta:
        module.momentum = None
    for input in loader:
        if isinstance(input, (list, tuple)):
            input = input[0]
        if device is not None:
            input = input.to(device)
        model(input)
    for bn_module, momentum in momenta.items():
        bn_module.momentum = momentum
    model.train(was_training)


class SWALR(LRScheduler):
    """Anneal each group's lr to ``swa_lr`` over ``anneal_epochs`` epochs (cosine or linear), then hold it."""

    def __init__(self, optimizer, swa_lr, anneal_epochs=10, anneal_strategy="cos", last_epoch=-1):
        swa_lrs = _format_param("swa_lr", optimizer, swa_lr)
        for lr, group in zip(swa_lrs, optimizer.param_groups, strict=True):
            group["swa_lr"] = lr
        if anneal_strategy not in ["cos", "linear"]:
            raise ValueError(f"anneal_strategy must be one of 'cos' or 'linear', instead got {anneal_strategy}")
        self._set_anneal_func(anneal_strategy)
        if not isinstance(anneal_epochs, int) or anneal_epochs < 0:
            raise ValueError(f"anneal_epochs must be equal or greater than 0, got {anneal_epochs}")
        self.anneal_epochs = anneal_epochs
        super().__init__(optimizer, last_epoch)

    @staticmethod
    def _linear_anneal(t):
        return t

    @staticmethod
    def _cosine_anneal(t):
        return (1 - math.cos(math.pi * t)) / 2

    @staticmethod
    def _get_initial_lr(lr, swa_lr, alpha):
        if alpha == 1:
            return swa_lr
        return (lr - alpha * swa_lr) / (1 - alpha)

    def get_lr(self):
        _warn_get_lr_called_within_step(self)
        step = self._step_count - 1
        if self.anneal_epochs == 0:
            step = max(1, step)
        # recover the lr the annealing started from, then move to this step's point
        prev_t = max(0, min(1, (step - 1) / max(1, self.anneal_epochs)))
        prev_alpha = self.anneal_func(prev_t)
        prev_lrs = [self._get_initial_lr(g["lr"], g["swa_lr"], prev_alpha) for g in self.optimizer.param_groups]
        t = max(0, min(1, step / max(1, self.anneal_epochs)))
        alpha = self.anneal_func(t)
        return [g["swa_lr"] * alpha + lr * (1 - alpha)
                for g, lr in zip(self.optimizer.param_groups, prev_lrs, strict=True)]

    def _set_anneal_func(self, anneal_strategy):
        self._anneal_strategy = anneal_strategy
        self.anneal_func = self._cosine_anneal if anneal_strategy == "cos" else self._linear_anneal

    def state_dict(self):
        """The state without the annealing function (restored from its name)."""
        return {k: v for k, v in self.__dict__.items() if k not in ("optimizer", "anneal_func")}

    def load_state_dict(self, state_dict):
        """Restore the state saved by :meth:`state_dict`."""
        self.__dict__.update(state_dict)
        self._set_anneal_func(self._anneal_strategy)


def _make_averaged_model():
    from lanterna import nn

    class AveragedModel(nn.Module):
        """A copy of ``model`` whose parameters are the running average (SWA) or EMA of the model's.

        Call ``update_parameters(model)`` after optimizer steps; ``n_averaged`` counts the updates.
        """

        def __init__(self, model, device=None, avg_fn=None, multi_avg_fn=None, use_buffers=False):
            super().__init__()
            if avg_fn is not None and multi_avg_fn is not None:
                raise AssertionError("Only one of avg_fn and multi_avg_fn should be provided")
            self.module = deepcopy(model)
            if device is not None:
                self.module = self.module.to(device)
            self.register_buffer("n_averaged", lanterna.tensor(0, dtype=lanterna.long, device=device))
            self.avg_fn = avg_fn
            self.multi_avg_fn = multi_avg_fn
            self.use_buffers = use_buffers

        def forward(self, *args, **kwargs):
            return self.module(*args, **kwargs)

        def update_parameters(self, model):
            """Fold ``model``'s current parameters (and buffers with ``use_buffers``) into the average."""
            if self.use_buffers:
                self_param = itertools.chain(self.module.parameters(), self.module.buffers())
                model_param = itertools.chain(model.parameters(), model.buffers())
            else:
                self_param, model_param = self.parameters(), model.parameters()
            averaged, current = [], []
            copy_param = bool(self.n_averaged == 0)
            for p_averaged, p_model in zip(self_param, model_param):
                p_model_ = p_model.detach().to(p_averaged.device)
                averaged.append(p_averaged.detach())
                current.append(p_model_)
                if copy_param:
                    with lanterna.no_grad():
                        p_averaged.detach().copy_(p_model_)
            n = self.n_averaged.item()
            if n > 0:
                if self.multi_avg_fn is not None or self.avg_fn is None:
                    # as in PyTorch, the list functions see one device and dtype at a time (a
                    # float parameter never shares a list with an integer buffer), and the
                    # default average is the foreach lerp only on devices with foreach kernels:
                    # on the CPU it is avg + (p - avg) / (n + 1) tensor by tensor, which rounds
                    # differently from lerp
                    grouped = Optimizer._group_tensors_by_device_and_dtype([averaged, current])
                    for (device, _), ([avg_list, cur_list], _) in grouped.items():
                        if self.multi_avg_fn is not None:
                            self.multi_avg_fn(avg_list, cur_list, self.n_averaged)
                        elif device.type != "cpu":
                            get_swa_multi_avg_fn()(avg_list, cur_list, n)
                        else:
                            avg_fn = get_swa_avg_fn()
                            with lanterna.no_grad():
                                for p_averaged, p_model in zip(avg_list, cur_list, strict=True):
                                    p_averaged.copy_(avg_fn(p_averaged, p_model, self.n_averaged))
                else:
                    with lanterna.no_grad():
                        for p_averaged, p_model in zip(averaged, current, strict=True):
                            p_averaged.copy_(self.avg_fn(p_averaged, p_model, self.n_averaged))
            if not self.use_buffers:
                # buffers (e.g. BatchNorm running stats) follow the model, they are not averaged
                with lanterna.no_grad():
                    for b_swa, b_model in zip(self.module.buffers(), model.buffers(), strict=True):
                        b_swa.detach().copy_(b_model.detach().to(b_swa.device))
            with lanterna.no_grad():
                self.n_averaged += 1

    return AveragedModel


def __getattr__(name):
    if name == "AveragedModel":
        cls = globals()["AveragedModel"] = _make_averaged_model()
        cls.__module__ = __name__
        return cls
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
