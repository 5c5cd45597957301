"""``swap_in_optimizer_params_and_state``: run an optimizer on other parameters and state for a while.

PyTorch uses it to trace ``optimizer.step()`` on fake tensors; in Lanterna it serves the same
purpose with real ones, e.g. stepping a copy of the weights from a saved ``state_dict`` without
touching the live optimizer. The checks and their messages are PyTorch's.
"""

from __future__ import annotations

import contextlib
from collections import defaultdict
from typing import Any, NamedTuple

from lanterna import Tensor

__all__ = ["swap_in_optimizer_params_and_state"]

_NAME = "swap_in_optimizer_params_and_state"


class _GroupSwapinInfo(NamedTuple):
    """One group: the live group dict (edited in place), the swap-in group (hyperparameters and
    packed ``params`` ids) and the swap-in tensors, in the order of those ids."""

    live_group: dict
    swapin_group: dict
    swapin_params: list


def _validate_state_field(state: Any) -> dict:
    if not isinstance(state, dict):
        raise RuntimeError(  # noqa: TRY004 (PyTorch's type)
            f"{_NAME} requires swapin_optim_state['state'] to be a dict mapping packed parameter ids "
            f"to per-param state dicts, got {type(state).__name__}."
        )
    if any(isinstance(k, Tensor) for k in state):
        raise RuntimeError(f"{_NAME} requires optimizer.state_dict()-style state keyed by packed parameter ids.")
    if any(isinstance(k, int) and not isinstance(v, dict) for k, v in state.items()):
        raise RuntimeError(f"{_NAME} requires per-parameter optimizer state entries to be dictionaries.")
    return state


def _validate_param_groups_field(optimizer, param_groups: Any) -> list:
    if not isinstance(param_groups, list):
        raise RuntimeError(  # noqa: TRY004
            f"{_NAME} requires swapin_optim_state['param_groups'] to be a list of param-group dicts, "
            f"got {type(param_groups).__name__}."
        )
    if len(optimizer.param_groups) != len(param_groups):
        raise RuntimeError("swapin_optim_state has a different number of parameter groups than the live optimizer.")
    return param_groups


def _validate_group_against_live(idx: int, group: dict, swapin_group: Any) -> list:
    if not isinstance(swapin_group, dict):
        raise RuntimeError(f"{_NAME} requires each optimizer param group to be a dictionary.")  # noqa: TRY004
    swapin_param_ids = swapin_group.get("params")
    if not isinstance(swapin_param_ids, list) or not all(isinstance(pid, int) for pid in swapin_param_ids):
        raise RuntimeError(
            f"{_NAME} requires optimizer.state_dict()-style param_groups[*]['params'] entries keyed by packed "
            "parameter ids."
        )
    if len(group["params"]) != len(swapin_param_ids):
        raise RuntimeError(
            f"swapin_optim_state param group {idx} has a different number of params than the live optimizer "
            "param group."
        )
    swapin_only = [k for k in swapin_group if k not in group]
    live_only = [k for k in group if k not in swapin_group]
    if swapin_only or live_only:
        raise RuntimeError(
            f"{_NAME} requires optimizer.state_dict()-style param group keys to exactly match the live optimizer "
            f"group keys for group {idx}. Keys only in swap-in: {swapin_only}. Keys only in live: {live_only}."
        )
    return swapin_param_ids


def _prepare_swap_in(optimizer, swapin_parameters, swapin_optim_state):
    if not optimizer.state:
        raise RuntimeError(f"{_NAME} requires initialized optimizer state.")
    if not isinstance(swapin_optim_state, dict):
        raise RuntimeError(f"{_NAME} requires a DCP-style optimizer state_dict.")  # noqa: TRY004
    swapin_state = _validate_state_field(swapin_optim_state.get("state"))
    swapin_param_groups = _validate_param_groups_field(optimizer, swapin_optim_state.get("param_groups"))

    # packed ids follow optimizer.param_groups order, and so do the swap-in tensors
    flat_parameters = list(swapin_parameters.values())
    offset = 0
    seen_param_ids = set()
    infos = []
    for idx, (group, swapin_group) in enumerate(zip(optimizer.param_groups, swapin_param_groups)):
        ids = _validate_group_against_live(idx, group, swapin_group)
        seen_param_ids.update(ids)
        next_offset = offset + len(ids)
        if next_offset > len(flat_parameters):
            raise RuntimeError(
                f"{_NAME} requires the explicit parameter state to match optimizer.param_groups ordering."
            )
        infos.append(_GroupSwapinInfo(group, swapin_group, flat_parameters[offset:next_offset]))
        offset = next_offset
    extra_keys = [k for k in swapin_state if k not in seen_param_ids]
    if extra_keys:
        raise RuntimeError(
            f"{_NAME} requires swapin_optim_state['state'] to be keyed only by packed parameter ids from "
            f"param_groups[*]['params']; got extra keys {extra_keys!r}."
        )
    return swapin_state, infos


@contextlib.contextmanager
def swap_in_optimizer_params_and_state(optimizer, swapin_parameters, swapin_optim_state):
    """Within the ``with`` block, ``optimizer`` works on ``swapin_parameters`` and ``swapin_optim_state``.

    Args:
        optimizer: the live optimizer; its state must already exist (at least one step taken).
        swapin_parameters: a dict of tensors, in the order of the optimizer's parameters (as
            ``model.named_parameters()`` gives them).
        swapin_optim_state: a dict shaped like ``optimizer.state_dict()`` whose group keys match
            the live groups. Its tensors are updated in place by ``step()``; other changes made
            inside the block (new state entries, group values) are dropped on exit.

    Unlike ``load_state_dict``, the parameters are swapped too, and everything is put back on exit.

    >>> import copy
    >>> import lanterna as torch
    >>> w = torch.ones(2, requires_grad=True)
    >>> opt = torch.optim.SGD([w], lr=0.5, momentum=0.9)
    >>> w.grad = torch.ones(2); opt.step()
    >>> other, saved = torch.zeros(2, requires_grad=True), copy.deepcopy(opt.state_dict())
    >>> other.grad = torch.ones(2)
    >>> with torch.optim.swap_in_optimizer_params_and_state(opt, {"w": other}, saved):
    ...     opt.step()
    >>> other, w  # other moved by lr * (0.9 * 1 + 1); w is untouched
    (tensor([-0.9500, -0.9500], requires_grad=True), tensor([0.5000, 0.5000], requires_grad=True))
    """
    state, infos = _prepare_swap_in(optimizer, swapin_parameters, swapin_optim_state)
    original_state = optimizer.state
    # shallow copies: the original "params" lists keep their identity when restored
    snapshots = [dict(g) for g in optimizer.param_groups]
    try:
        swapin_state = defaultdict(dict)
        for info in infos:
            info.live_group["params"] = info.swapin_params
            for key, value in info.swapin_group.items():
                if key != "params":
                    info.live_group[key] = value
            for swapin_param, param_id in zip(info.swapin_params, info.swapin_group["params"]):
                # a shallow copy: in-place tensor updates reach the caller's dict, new entries do not
                swapin_state[swapin_param] = dict(state.get(param_id, {}))
        optimizer.state = swapin_state
        yield
    finally:
        for group, snapshot in zip(optimizer.param_groups, snapshots):
            group.clear()
            group.update(snapshot)
        optimizer.state = original_state
