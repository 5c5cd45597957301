"""``DistributedDataParallel``: the same model on every rank, gradients averaged in backward."""

from __future__ import annotations

import zlib
from contextlib import contextmanager

import lanterna

from ..modules.module import Module
from ._reducer import Reducer


def _dist():
    try:
        import lanterna.distributed as dist
    except ImportError:
        raise ImportError("DistributedDataParallel needs lanterna.distributed: "
                          "pip install 'lanterna-distributed[mpi]'") from None
    return dist


class DistributedDataParallel(Module):
    """Data parallelism over processes: wrap the model, train as usual, gradients are averaged.

    At construction, rank 0's parameters and buffers are copied to every rank. During backward
    the gradients are averaged over the ranks in buckets of ``bucket_cap_mb``, with
    non-blocking all-reduces that start while the rest of backward runs; when ``backward()``
    returns, every rank holds the same averaged ``.grad``, so the same optimizer step keeps the
    replicas identical. ``state_dict()`` keys carry the ``module.`` prefix, as in PyTorch.

    >>> model = DistributedDataParallel(nn.Linear(4, 2))   # doctest: +SKIP
    >>> loss = model(x).sum(); loss.backward()              # doctest: +SKIP

    :param module: the model to replicate
    :param device_ids: for CUDA models, the one device this process uses (or None)
    :param broadcast_buffers: copy rank 0's buffers to every rank at each forward
    :param process_group: the group to average over (the world by default)
    :param bucket_cap_mb: the size of a gradient bucket (MiB)
    :param find_unused_parameters: find parameters that the outputs do not depend on at each
        forward, so that backward does not wait for their gradients
    :param gradient_as_bucket_view: after backward, ``.grad`` tensors are views into the
        communication buckets (saves a copy and memory)
    """

    def __init__(self, module, device_ids=None, output_device=None, dim=0, broadcast_buffers=True,
                 init_sync=True, process_group=None, bucket_cap_mb=None, find_unused_parameters=False,
                 check_reduction=False, gradient_as_bucket_view=False, static_graph=False,
                 delay_all_reduce_named_params=None, param_to_hook_all_reduce=None, mixed_precision=None,
                 device_mesh=None):
        super().__init__()
        dist = _dist()
        if not dist.is_initialized():
            raise ValueError("Default process group has not been initialized, please make sure to call "
                             "init_process_group.")
        params = [p for p in module.parameters() if p.requires_grad]
        if not params:
            raise RuntimeError("DistributedDataParallel is not needed when a module doesn't have any "
                               "parameter that requires a gradient.")
        devices = {p.device.type for p in params}
        if len(devices) > 1:
            raise ValueError(f"DistributedDataParallel's input module must be on one device type, found {devices}")
        if device_ids is not None and devices == {"cpu"}:
            raise ValueError("DistributedDataParallel device_ids and output_device arguments only work with "
                             f"single-device/multiple-device GPU modules or CPU modules, but got device_ids "
                             f"{device_ids}, output_device {output_device}, and module parameters "
                             f"{ {p.device for p in params} }.")
        self.module = module
        self.device_ids = device_ids
        self.output_device = output_device
        self.dim = dim
        self.broadcast_buffers = broadcast_buffers
        self.process_group = process_group
        self.find_unused_parameters = find_unused_parameters
        self.gradient_as_bucket_view = gradient_as_bucket_view
        self.static_graph = static_graph
        self.bucket_bytes_cap = int((25 if bucket_cap_mb is None else bucket_cap_mb) * 1024 * 1024)
        self.require_backward_grad_sync = True
        self.require_forward_param_sync = True
        self._verify_same_model(params)
        if init_sync:
            self._sync_module_states()
        self.reducer = Reducer(params, process_group, self.bucket_bytes_cap / (1024 * 1024),
                               find_unused_parameters, gradient_as_bucket_view)
        from lanterna.distributed.algorithms.join import _JoinConfig

        self._join_config = _JoinConfig.construct_disabled_join_config()
        self._divide_by_initial_world_size = True
        self._comm_hooks = []
        self._static_graph = False
        self._training_started = False
        if static_graph:
            self._set_static_graph()

    @property
    def _distributed_rank(self):
        return _dist().get_rank(self.process_group)

    # ---- construction -------------------------------------------------------------------------
    def _backend_for(self, t):
        from lanterna.distributed.process_group import _group

        return _group(self.process_group)._get(t.device.type)

    def _verify_same_model(self, params):
        """Raise on every rank when the ranks wrap models of different parameter shapes."""
        dist = _dist()
        from lanterna.distributed.process_group import _group

        pg = _group(self.process_group)
        if pg.size() == 1:
            return
        b = pg._any()
        shapes = tuple((tuple(p.shape), str(p.dtype)) for p in params)
        hi, lo = b.agree([len(shapes), zlib.crc32(repr(shapes).encode())], "DistributedDataParallel()")  # str hashes vary by process
        if hi != lo:
            import pickle

            everyone = [pickle.loads(x) for x in b.all_gather_bytes(pickle.dumps(shapes))]
            detail = "; ".join(f"rank {pg._ranks[i]}: {len(s)} parameters" for i, s in enumerate(everyone))
            for i, s in enumerate(everyone):
                if s != shapes:
                    diff = next((k for k, (a, c) in enumerate(zip(s, shapes)) if a != c), min(len(s), len(shapes)))
                    detail += (f" (first difference at parameter {diff}: rank {pg._ranks[i]} has "
                               f"{s[diff] if diff < len(s) else 'none'}, this rank {dist.get_rank()} has "
                               f"{shapes[diff] if diff < len(shapes) else 'none'})")
                    break
            raise RuntimeError(f"DDP expects the same model on every rank, but the parameters differ: {detail}")

    def _broadcast_states(self, tensors, root=0):
        from lanterna.distributed.process_group import _group

        pg = _group(self.process_group)
        if pg.size() == 1:
            return
        works = [self._backend_for(t).broadcast(t, root) for t in tensors]
        for w in works:
            w.wait()

    def _sync_module_states(self):
        with lanterna.no_grad():
            self._broadcast_states([p for p in self.module.parameters()] + [b for b in self.module.buffers()])

    # ---- forward / backward -------------------------------------------------------------------
    def forward(self, *inputs, **kwargs):
        sync = lanterna.is_grad_enabled() and self.require_backward_grad_sync
        if sync:
            self._training_started = True
            self.reducer.prepare()
        else:
            self.reducer.disarm()
        join = self._join_config.enable
        if join:
            from lanterna.distributed.algorithms.join import Join

            work = Join.notify_join_context(self)
            if work is not None and sync:
                self.reducer._set_forward_pass_work_handle(work, self._divide_by_initial_world_size)
        if self._will_sync_module_buffers():
            with lanterna.no_grad():
                root = self._find_common_rank(self._distributed_rank, True) if join else 0
                self._broadcast_states(list(self.module.buffers()), root)
        if join:
            self._check_global_requires_backward_grad_sync(is_joined_rank=False)
        out = self.module(*inputs, **kwargs)
        if sync and self.find_unused_parameters:
            out = self.reducer.mark_unused(out)
        return out

    # ---- uneven inputs: join() ---------------------------------------------------------------
    def _will_sync_module_buffers(self):
        return self.broadcast_buffers and self.require_forward_param_sync and any(True for _ in self.module.buffers())

    def _find_common_rank(self, input_rank, rank_cond):
        """The largest group rank among the ranks where ``rank_cond`` holds (one all-reduce)."""
        dist = _dist()
        rank_to_use = lanterna.tensor([input_rank if rank_cond else -1], device=self.join_device)
        self._backend_for(rank_to_use).all_reduce(rank_to_use, dist.ReduceOp.MAX).wait()
        rank = int(rank_to_use.item())
        if rank == -1:
            raise ValueError("BUG! Expected rank_cond to be true for at least one process.")
        return rank

    def _check_global_requires_backward_grad_sync(self, is_joined_rank):
        """Tell the joined ranks whether this iteration's backward synchronises (one all-reduce)."""
        dist = _dist()
        flag = lanterna.tensor([0 if is_joined_rank or not self.require_backward_grad_sync
                                or not lanterna.is_grad_enabled() else 1], device=self.join_device)
        self._backend_for(flag).all_reduce(flag, dist.ReduceOp.SUM).wait()
        return int(flag.item()) != 0

    def join(self, divide_by_initial_world_size=True, enable=True, throw_on_early_termination=False):
        """A context manager for training with uneven inputs (``torch.distributed.algorithms.Join``).

        A rank that runs out of batches leaves the ``with`` body and shadows the communication of
        the ranks still training (forward checks, buffer broadcasts, one all-reduce of zeros per
        gradient bucket) until every rank has left it; then every rank takes the model of the
        last rank to finish.

        >>> with ddp.join():                           # doctest: +SKIP
        ...     for x, y in my_batches:                # fewer batches on some ranks
        ...         loss_fn(ddp(x), y).backward(); opt.step()

        :param divide_by_initial_world_size: divide the summed gradients by the world size (True),
            or by the number of ranks still training (False)
        :param enable: False: no uneven-input detection (a no-op context)
        :param throw_on_early_termination: raise on every rank as soon as one runs out of inputs
        """
        from lanterna.distributed.algorithms.join import Join

        return Join([self], enable, throw_on_early_termination,
                    divide_by_initial_world_size=divide_by_initial_world_size)

    def join_hook(self, **kwargs):
        """The :class:`~lanterna.distributed.algorithms.JoinHook` of DDP (used by ``Join``)."""
        divide_by_initial_world_size = kwargs.get("divide_by_initial_world_size", True)
        return _DDPJoinHook(self, divide_by_initial_world_size=divide_by_initial_world_size)

    @property
    def join_device(self):
        return next(iter(self.module.parameters())).device

    @property
    def join_process_group(self):
        return self.process_group

    # ---- communication hooks -------------------------------------------------------------
    def register_comm_hook(self, state, hook):
        """Replace the all-reduce of each gradient bucket by ``hook(state, bucket)``.

        ``bucket`` is a :class:`lanterna.distributed.GradBucket` (the flat gradients, not divided
        by the world size); the hook returns a :class:`lanterna.futures.Future` of the reduced
        flat tensor, which DDP writes into the ``.grad`` of the bucket's parameters. Register it
        once, before the first forward.

        >>> from lanterna.distributed.algorithms.ddp_comm_hooks import default_hooks
        >>> ddp.register_comm_hook(None, default_hooks.fp16_compress_hook)  # doctest: +SKIP
        """
        self._check_comm_hook(hook)
        if self.reducer.comm_hook is not None:
            raise RuntimeError("register_comm_hook or register_builtin_comm_hook can only be called once.")
        if self._training_started:
            raise RuntimeError("register_comm_hook must be called before the first forward/backward of "
                               "DistributedDataParallel: a communication hook can only be registered before "
                               "training starts.")
        self._comm_hooks.append((hook, state))
        self.reducer.comm_hook = (state, hook)

    def _check_comm_hook(self, hook):
        import inspect

        if not callable(hook):
            raise TypeError("Communication hook must be callable.")
        try:
            sig = inspect.signature(hook)
        except (TypeError, ValueError):
            return
        from lanterna.distributed import GradBucket
        from lanterna.futures import Future

        bucket = sig.parameters.get("bucket")
        if bucket is not None and bucket.annotation not in (inspect.Parameter.empty, GradBucket, "dist.GradBucket",
                                                               "GradBucket"):
            raise ValueError("Communication hook: bucket annotation should be dist.GradBucket.")
        if sig.return_annotation not in (inspect.Signature.empty, Future, "Future", "torch.futures.Future[torch.Tensor]",
                                         "Future[torch.Tensor]", "Future[Tensor]"):
            raise ValueError("Communication hook: return annotation should be torch.futures.Future[torch.Tensor].")

    def _set_static_graph(self):
        """Tell DDP the graph (used parameters, their order) is the same at every iteration."""
        if self._static_graph:
            import warnings

            warnings.warn("You've set static_graph to be True, no need to set it again.", stacklevel=2)
            return
        self._static_graph = True
        self.static_graph = True

    @contextmanager
    def no_sync(self):
        """Accumulate gradients locally: backward passes of forwards run inside do not communicate.

        The first backward after the context (of a forward outside it) averages the accumulated
        gradients.

        >>> with ddp.no_sync():           # doctest: +SKIP
        ...     ddp(x1).sum().backward()
        >>> ddp(x2).sum().backward()      # doctest: +SKIP
        """
        old = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = old

    def _get_ddp_logging_data(self):
        return {"world_size": _dist().get_world_size(self.process_group), "bucket_cap_bytes": self.bucket_bytes_cap,
                "find_unused_parameters": self.find_unused_parameters,
                "gradient_as_bucket_view": self.gradient_as_bucket_view}

    # ---- copy / pickle -----------------------------------------------------------------------
    # As in PyTorch: the reducer (hooks on this process's parameters, live communication state)
    # and the process group are not copied; the copy rebuilds its reducer over the default group.
    def _check_default_group(self):
        dist = _dist()
        if not dist.is_initialized():
            raise ValueError("Default process group has not been initialized, please make sure to call "
                             "init_process_group.")
        if self.process_group is not None and self.process_group is not dist.group.WORLD:
            raise RuntimeError("DDP Pickling/Unpickling are only supported when using DDP with the default "
                               "process group. That is, when you have called init_process_group and have not "
                               "passed process_group argument to DDP constructor")

    def __getstate__(self):
        self._check_default_group()
        state = super().__getstate__()
        del state["process_group"]
        del state["reducer"]
        return state

    def __setstate__(self, state):
        super().__setstate__(state)
        self.process_group = None  # the default group, the only one a pickled DDP can use
        self._check_default_group()
        self.__dict__.setdefault("require_forward_param_sync", True)
        self.__dict__.setdefault("require_backward_grad_sync", True)
        params = [p for p in self.module.parameters() if p.requires_grad]
        self.reducer = Reducer(params, None, self.bucket_bytes_cap / (1024 * 1024),
                               self.find_unused_parameters, self.gradient_as_bucket_view)


class _DDPJoinHook:
    """What a rank that has joined does for DDP while the others still train."""

    def __init__(self, ddp, divide_by_initial_world_size):
        self.ddp = ddp
        ddp._divide_by_initial_world_size = divide_by_initial_world_size

    def main_hook(self):
        """Shadow one iteration of the ranks still training: their forward's collectives, then
        one all-reduce of zeros per gradient bucket (through the comm hook, if any)."""
        ddp = self.ddp
        if ddp._will_sync_module_buffers():
            with lanterna.no_grad():
                root = ddp._find_common_rank(ddp._distributed_rank, False)
                ddp._broadcast_states(list(ddp.module.buffers()), root)
        if not ddp._check_global_requires_backward_grad_sync(is_joined_rank=True):
            return
        ddp.reducer._match_all_reduce_for_bwd_pass()

    def post_hook(self, is_last_joiner):
        """Every rank takes the model of the last rank to join (the largest such rank)."""
        ddp = self.ddp
        ddp._authoritative_rank = ddp._find_common_rank(ddp._distributed_rank, is_last_joiner)
        with lanterna.no_grad():
            states = list(ddp.module.parameters())
            if ddp.broadcast_buffers:
                states += list(ddp.module.buffers())
            ddp._broadcast_states(states, ddp._authoritative_rank)


__all__ = ["DistributedDataParallel"]
