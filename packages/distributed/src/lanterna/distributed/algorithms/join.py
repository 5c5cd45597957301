"""``Join``: a context manager for training with uneven inputs across ranks (PyTorch's API).

A rank that runs out of inputs leaves the ``with Join(...)`` body and, in ``__exit__``, shadows
the collective communications of the ranks still training (each :class:`Joinable` says how, with
its :class:`JoinHook`), until every rank has joined. Ranks still training tell the others at each
iteration, through :meth:`Join.notify_join_context`, that they have not joined.

>>> with Join([ddp_model]):                  # doctest: +SKIP
...     for x in my_uneven_batches:
...         ddp_model(x).sum().backward()
"""

from __future__ import annotations

import warnings
from abc import ABC, abstractmethod

import lanterna


class JoinHook:
    """What a joined rank does for one :class:`Joinable`: ``main_hook`` shadows one iteration of
    the ranks still training; ``post_hook(is_last_joiner)`` runs once everyone has joined."""

    def main_hook(self) -> None:
        """Called for every iteration that some rank still trains."""

    def post_hook(self, is_last_joiner: bool) -> None:
        """Called once all ranks have joined."""


class Joinable(ABC):
    """A class (such as DistributedDataParallel) whose collectives can be shadowed by joined ranks."""

    @abstractmethod
    def __init__(self):
        super().__init__()
        self._join_config = _JoinConfig.construct_disabled_join_config()

    @abstractmethod
    def join_hook(self, **kwargs) -> JoinHook:
        """The :class:`JoinHook` of this joinable."""

    @property
    @abstractmethod
    def join_device(self):
        """The device of the join context's collectives."""

    @property
    @abstractmethod
    def join_process_group(self):
        """The process group of the join context's collectives."""


class _JoinConfig:
    def __init__(self, enable, throw_on_early_termination, is_first_joinable):
        self.enable = enable
        self.throw_on_early_termination = throw_on_early_termination
        self.is_first_joinable = is_first_joinable

    @staticmethod
    def construct_disabled_join_config():
        return _JoinConfig(enable=False, throw_on_early_termination=False, is_first_joinable=False)


class Join:
    """The join context manager (``torch.distributed.algorithms.Join``).

    :param joinables: the :class:`Joinable` objects taking part (all with the same process group)
    :param enable: False turns the context into a no-op
    :param throw_on_early_termination: raise on every rank as soon as one rank runs out of inputs,
        instead of shadowing
    :param kwargs: passed to each joinable's ``join_hook`` (``divide_by_initial_world_size``)
    """

    def __init__(self, joinables, enable=True, throw_on_early_termination=False, **kwargs):
        if len(joinables) == 0:
            raise ValueError("The join context manager requires at least one joinable")
        self._joinables = list(joinables)
        self._join_hooks = [j.join_hook(**kwargs) for j in self._joinables]
        self._enable = enable
        self._throw_on_early_termination = throw_on_early_termination
        self._set_joinable_configs()
        self._extract_dist_info()

    def _set_joinable_configs(self):
        assert len(self._joinables) > 0
        is_first_joinable = True
        for joinable in self._joinables:
            joinable._join_config = _JoinConfig(enable=self._enable,
                                                throw_on_early_termination=self._throw_on_early_termination,
                                                is_first_joinable=is_first_joinable)
            is_first_joinable = False

    def _extract_dist_info(self):
        process_group = None
        device = None
        for joinable in self._joinables:
            if process_group is None:
                process_group = joinable.join_process_group
            elif process_group != joinable.join_process_group:
                raise ValueError("Using join context manager with multiple process groups")
            if device is None:
                device = joinable.join_device
        self._process_group = process_group
        self._device = device

    def __enter__(self):
        return self

    def __exit__(self, type, value, traceback):
        if not self._enable or type:
            return  # let an exception propagate
        all_procs_joined = False
        is_last_joiner = True
        i = 0
        warn_threshold = 1000
        while not all_procs_joined:
            if i == warn_threshold:
                warnings.warn(f"Detected uneven input skew of greater than {warn_threshold}. This means that "
                              f"rank on which this warning is emitted has at least {warn_threshold} fewer inputs "
                              "than other currently-active ranks. This level of skew could lead to performance "
                              "degradation during training.", stacklevel=2)
            num_nonjoined_procs = self._get_num_nonjoined_procs()
            if num_nonjoined_procs == 0:
                all_procs_joined = True
            else:
                if self._throw_on_early_termination:
                    self._notify_procs_to_terminate()
                for join_hook in self._join_hooks:
                    join_hook.main_hook()
                is_last_joiner = False
            i += 1
        for join_hook in self._join_hooks:
            join_hook.post_hook(is_last_joiner)

    def _get_num_nonjoined_procs(self):
        import lanterna.distributed as dist

        num_nonjoined_procs = lanterna.zeros(1, device=self._device)
        # non-blocking, as the notify_join_context all-reduce it matches (MPI does not match a
        # blocking collective with a non-blocking one)
        dist.all_reduce(num_nonjoined_procs, group=self._process_group, async_op=True).wait()
        return num_nonjoined_procs.item()

    def _notify_procs_to_terminate(self):
        import lanterna.distributed as dist

        ones = lanterna.ones(1, device=self._device)
        dist.all_reduce(ones, group=self._process_group)
        raise RuntimeError(f"Rank {dist.get_rank()} exhausted all inputs.")

    @staticmethod
    def notify_join_context(joinable):
        """Called by a joinable at each iteration (DDP: in forward): tells the joined ranks that
        this rank still trains. Returns the all-reduce's ``Work`` for the first joinable, else None."""
        import lanterna.distributed as dist

        assert hasattr(joinable, "_join_config"), (
            f"Check that the {type(joinable)} constructor calls the ``Joinable`` constructor")
        join_config = joinable._join_config
        if not join_config.is_first_joinable or not join_config.enable:
            return None
        device = joinable.join_device
        process_group = joinable.join_process_group
        ones = lanterna.ones(1, device=device)
        work = dist.all_reduce(ones, group=process_group, async_op=True)
        if join_config.throw_on_early_termination:
            zeros = lanterna.zeros(1, device=device)
            dist.all_reduce(zeros, group=process_group)
            if zeros.item():
                raise RuntimeError("Detected at least one rank that exhausted inputs. Throwing across all ranks.")
        return work


__all__ = ["Join", "JoinHook", "Joinable"]
