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
                             f"{device_ids}, output_device {output_device}, and module parameters {devices}.")
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

    def _broadcast_states(self, tensors):
        from lanterna.distributed.process_group import _group

        pg = _group(self.process_group)
        if pg.size() == 1:
            return
        root = 0
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
            self.reducer.prepare()
        else:
            self.reducer.disarm()
        if self.broadcast_buffers and self.require_forward_param_sync:
            buffers = list(self.module.buffers())
            if buffers:
                with lanterna.no_grad():
                    self._broadcast_states(buffers)
        out = self.module(*inputs, **kwargs)
        if sync and self.find_unused_parameters:
            self.reducer.mark_unused(out)
        return out

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

    def __getstate__(self):
        raise TypeError("DistributedDataParallel cannot be pickled: save ddp.module or ddp.state_dict() instead")


__all__ = ["DistributedDataParallel"]
