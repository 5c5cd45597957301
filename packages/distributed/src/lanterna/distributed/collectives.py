"""The collectives of ``torch.distributed``: argument checks, then the group's backend does the work.

Each collective works in place on the tensors given. Before the data moves, the ranks agree on
what they are doing: one small all-reduce of a fingerprint (which collective, dtype, shape, root,
op). When the fingerprints differ, every rank raises the same clear error naming each rank's
tensor, instead of a hang or a silently wrong result. ``LANTERNA_DISTRIBUTED_CHECK=0`` turns the
check off (it costs one small message per collective; see docs/distributed.md for figures).

The check also proves that every rank has entered the collective. A synchronous ``all_reduce``
or ``broadcast`` that passed it is therefore run as one blocking engine call
(``CommBackend.all_reduce_blocking``), which cannot wait forever on a missing rank; without the
check, operations stay non-blocking requests polled against the group's timeout.
"""

from __future__ import annotations

import os
import pickle

import lanterna

from .backend import DistBackendError, ReduceOp, Work, as_red_op
from .process_group import _group, _warn_not_in_group, get_group_rank

CHECK_ENV = "LANTERNA_DISTRIBUTED_CHECK"
_COLLECTIVES = ["barrier", "broadcast", "all_reduce", "reduce", "all_gather", "all_gather_into_tensor",
                "gather", "scatter", "reduce_scatter", "reduce_scatter_tensor", "all_to_all_single",
                "all_to_all", "all_gather_object", "broadcast_object_list", "gather_object",
                "scatter_object_list", "new_group"]
_DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"]
# The fingerprint is computed on every collective: look its codes up in dicts.
_COLLECTIVE_CODES = {name: i for i, name in enumerate(_COLLECTIVES)}
_DTYPE_CODES = {}  # lanterna dtype -> code, filled on first use


def _checking() -> bool:
    return os.environ.get(CHECK_ENV, "1") not in ("0", "false", "False", "")


def _describe(t):
    return "no tensor" if t is None else f"{str(t.dtype).rsplit('.', 1)[-1]} {list(t.shape)}"


def _dtype_code(dtype):
    code = _DTYPE_CODES.get(dtype)
    if code is None:
        dt = str(dtype).rsplit(".", 1)[-1]
        code = _DTYPE_CODES[dtype] = _DTYPES.index(dt) if dt in _DTYPES else 99
    return code


def _fingerprint(name, t, extra):
    if t is None:
        return [_COLLECTIVE_CODES[name], -1, -1, -1, 0, extra]
    shape = t.shape
    return [_COLLECTIVE_CODES[name], _dtype_code(t.dtype), t.numel(), len(shape),
            hash(tuple(shape)) & 0xFFFFFFFFFFFF, extra]


def _check(pg, backend, name, t=None, extra=0, what=None) -> bool:
    """Raise the same error on every rank when the ranks disagree on this collective.

    Returns True when every rank is known to be inside this collective (the check passed, or
    the group has one rank): the backend may then use a blocking call. False when the check is
    off (``LANTERNA_DISTRIBUTED_CHECK=0``).
    """
    if pg.size() == 1:
        return True
    if not _checking():
        return False
    mine = _fingerprint(name, t, extra)
    hi, lo = backend.agree(mine, name)
    if hi == lo:
        return True
    mine_text = pickle.dumps((name, _describe(t), extra))
    everyone = [pickle.loads(b) for b in backend.all_gather_bytes(mine_text)]
    ops = {e[0] for e in everyone}
    if len(ops) > 1:
        detail = ", ".join(f"rank {pg._ranks[i]} called {e[0]}" for i, e in enumerate(everyone))
        raise DistBackendError(f"lanterna.distributed: ranks called different collectives: {detail}")
    descs = {e[1] for e in everyone}
    if len(descs) > 1:
        detail = ", ".join(f"rank {pg._ranks[i]} has {e[1]}" for i, e in enumerate(everyone))
        raise DistBackendError(f"lanterna.distributed: {name}: the tensors differ across ranks ({detail}); "
                               "every rank must pass a tensor of the same shape and dtype")
    detail = ", ".join(f"rank {pg._ranks[i]}: {e[2]}" for i, e in enumerate(everyone))
    raise DistBackendError(f"lanterna.distributed: {name}: ranks passed different {what or 'arguments'} "
                           f"({detail})")


def _tensor_arg(t, name):
    """PyTorch's check of a tensor argument (a TypeError naming the parameter)."""
    if not isinstance(t, lanterna.Tensor):
        raise TypeError(f"Invalid function argument. Expected parameter `{name}` of type torch.Tensor\n"
                        f"             but got {type(t)} instead.")


def _tensor_list_arg(ts, name):
    if not isinstance(ts, (list, tuple)) or not all(isinstance(t, lanterna.Tensor) for t in ts):
        raise TypeError(f"Invalid function argument. Expected parameter `{name}` of type List[torch.Tensor]\n"
                        f"             but got {type(ts)} instead.")


def _list_size(what, tensors, pg, name):
    """A per-rank tensor list must have one tensor per rank (a RuntimeError, as PyTorch's gloo)."""
    if len(tensors) != pg.size():
        raise RuntimeError(f"{what}: {name} has {len(tensors)} tensors, but the group has {pg.size()} ranks "
                           "(one tensor per rank is needed)")


_BITWISE = (ReduceOp.BAND, ReduceOp.BOR, ReduceOp.BXOR)


def _check_op(pg, b, op, tensor):
    """The reduce ops PyTorch refuses for a dtype, refused the same way on every rank, before any message."""
    if op in _BITWISE and tensor.is_floating_point():
        raise RuntimeError(f"Cannot use ReduceOp.{op.name} with non-integral dtype ({_describe(tensor)})")
    if op is ReduceOp.AVG and not tensor.is_floating_point() and (pg.name() == "gloo" or b.name == "tcp"):
        # gloo averages in floating point and cannot write the mean back into an integer tensor
        raise RuntimeError(f"ReduceOp.AVG on a gloo group needs a floating-point tensor: result type Float can't "
                           f"be cast to the desired output type {_describe(tensor).split()[0]}")


def _setup(group, tensor, op_name):
    pg = _group(group)
    if pg is None:
        _warn_not_in_group(op_name)
        return None, None
    return pg, (pg._get(tensor.device.type) if tensor is not None else pg._any())


def _peer(pg, rank, group_rank, name):
    """A peer's rank in ``pg`` from a global rank (``src``/``dst``) or a group rank."""
    if group_rank is not None:
        if rank is not None:
            raise ValueError(f"Can not specify both {name} and group_{name}")
        g = int(group_rank)
    else:
        if rank is None:
            rank = 0
        g = get_group_rank(pg, int(rank)) if pg._ranks != list(range(len(pg._ranks))) else int(rank)
    if not 0 <= g < pg.size():
        # as PyTorch's backends ("invalid root rank"); a global rank outside a subgroup is a ValueError above
        raise RuntimeError(f"Invalid {name} rank {rank if rank is not None else g}: invalid root rank, the group "
                           f"has {pg.size()} ranks")
    return g


def _done(work: Work, async_op):
    if async_op:
        return work
    work.wait()
    return None


def _same(tensors, like, what):
    """Every tensor of a list like ``like``: ValueError for dtypes, RuntimeError for shapes (as PyTorch)."""
    for i, t in enumerate(tensors):
        if t.dtype != like.dtype:
            raise ValueError(f"Invalid usage of tensors with different dtypes: {what}: tensor {i} has dtype "
                             f"{t.dtype}, expected {like.dtype}")
        if tuple(t.shape) != tuple(like.shape):
            raise RuntimeError(f"{what}: invalid tensor size at index {i}: tensor {i} has shape {list(t.shape)}, "
                               f"expected {list(like.shape)}")


# ---- collectives on tensors -----------------------------------------------------------------
def barrier(group=None, async_op=False, device_ids=None):
    """Block until every rank of ``group`` has reached this call."""
    pg, b = _setup(group, None, "barrier")
    if pg is None:
        return None
    _check(pg, b, "barrier")
    return _done(b.barrier(), async_op)


def monitored_barrier(group=None, timeout=None, wait_all_ranks=False):
    """A barrier that raises (naming the timeout) when some rank does not arrive in time."""
    pg, b = _setup(group, None, "monitored_barrier")
    if pg is None:
        return
    b.barrier().wait(timeout)


def broadcast(tensor, src=None, group=None, async_op=False, group_src=None):
    """Copy ``tensor`` of rank ``src`` into ``tensor`` on every other rank.

    >>> dist.broadcast(t, src=0)  # doctest: +SKIP
    """
    _tensor_arg(tensor, "tensor")
    pg, b = _setup(group, tensor, "broadcast")
    if pg is None:
        return None
    root = _peer(pg, src, group_src, "src")
    if _check(pg, b, "broadcast", tensor, root, "src ranks") and not async_op:
        b.broadcast_blocking(tensor, root)
        return None
    return _done(b.broadcast(tensor, root), async_op)


def all_reduce(tensor, op=ReduceOp.SUM, group=None, async_op=False):
    """Reduce ``tensor`` over all ranks with ``op``; every rank gets the result in place.

    >>> t = lanterna.tensor([float(dist.get_rank() + 1)])  # doctest: +SKIP
    >>> dist.all_reduce(t); t                               # doctest: +SKIP
    tensor([3.])
    """
    _tensor_arg(tensor, "tensor")
    pg, b = _setup(group, tensor, "all_reduce")
    if pg is None:
        return None
    op = as_red_op(op)
    _check_op(pg, b, op, tensor)
    if _check(pg, b, "all_reduce", tensor, int(op), "reduce ops") and not async_op:
        b.all_reduce_blocking(tensor, op)  # every rank is here: no timeout needed, no Work
        return None
    return _done(b.all_reduce(tensor, op), async_op)


def reduce(tensor, dst=None, op=ReduceOp.SUM, group=None, async_op=False, group_dst=None):
    """Reduce ``tensor`` over all ranks into ``tensor`` of rank ``dst`` (others keep theirs)."""
    _tensor_arg(tensor, "tensor")
    pg, b = _setup(group, tensor, "reduce")
    if pg is None:
        return None
    op = as_red_op(op)
    _check_op(pg, b, op, tensor)
    root = _peer(pg, dst, group_dst, "dst")
    _check(pg, b, "reduce", tensor, root * 16 + int(op), "dst ranks or reduce ops")
    return _done(b.reduce(tensor, root, op), async_op)


def all_gather(tensor_list, tensor, group=None, async_op=False):
    """Fill ``tensor_list[i]`` with ``tensor`` of rank ``i`` on every rank."""
    _tensor_list_arg(tensor_list, "tensor_list")
    _tensor_arg(tensor, "tensor")
    pg, b = _setup(group, tensor, "all_gather")
    if pg is None:
        return None
    _same(tensor_list, tensor, "all_gather")
    _list_size("all_gather", tensor_list, pg, "tensor_list")
    _check(pg, b, "all_gather", tensor)
    return _done(b.all_gather(list(tensor_list), tensor), async_op)


def all_gather_single(output_tensor, input_tensor, group=None, async_op=False):
    """Gather ``input_tensor`` of every rank into ``output_tensor`` (concatenated or stacked on dim 0)."""
    _tensor_arg(output_tensor, "output_tensor")
    _tensor_arg(input_tensor, "input_tensor")
    pg, b = _setup(group, input_tensor, "all_gather_single")
    if pg is None:
        return None
    if output_tensor.dtype != input_tensor.dtype:
        raise RuntimeError(f"all_gather_into_tensor: invalid tensor type: output dtype {output_tensor.dtype} "
                           f"differs from input dtype {input_tensor.dtype}")
    if output_tensor.numel() != input_tensor.numel() * pg.size():
        raise RuntimeError(f"all_gather_into_tensor: output has {output_tensor.numel()} elements, expected "
                           f"world_size ({pg.size()}) x input ({input_tensor.numel()})")
    _check(pg, b, "all_gather_into_tensor", input_tensor)
    return _done(b.all_gather_into_tensor(output_tensor, input_tensor), async_op)


def gather(tensor, gather_list=None, dst=None, group=None, async_op=False, group_dst=None):
    """Collect ``tensor`` of every rank into ``gather_list`` on rank ``dst``."""
    _tensor_arg(tensor, "tensor")
    if gather_list:
        _tensor_list_arg(gather_list, "gather_list")
    pg, b = _setup(group, tensor, "gather")
    if pg is None:
        return None
    root = _peer(pg, dst, group_dst, "dst")
    if pg.rank() == root:
        if gather_list is None:
            raise ValueError("Argument ``gather_list`` must be specified on destination rank.")
        _same(gather_list, tensor, "gather")
        _list_size("gather", gather_list, pg, "gather_list")
    elif gather_list:
        raise ValueError("Argument ``gather_list`` must NOT be specified on non-destination ranks.")
    _check(pg, b, "gather", tensor, root, "dst ranks")
    return _done(b.gather(list(gather_list) if pg.rank() == root else None, tensor, root), async_op)


def scatter(tensor, scatter_list=None, src=None, group=None, async_op=False, group_src=None):
    """Rank ``src`` sends ``scatter_list[i]`` to rank ``i``, which receives it into ``tensor``."""
    _tensor_arg(tensor, "tensor")
    if scatter_list:
        _tensor_list_arg(scatter_list, "scatter_list")
    pg, b = _setup(group, tensor, "scatter")
    if pg is None:
        return None
    root = _peer(pg, src, group_src, "src")
    if pg.rank() == root:
        if scatter_list is None:
            raise ValueError("Argument ``scatter_list`` must be specified on source rank.")
        _same(scatter_list, tensor, "scatter")
        _list_size("scatter", scatter_list, pg, "scatter_list")
    elif scatter_list:
        raise ValueError("Argument ``scatter_list`` must NOT be specified on non-source ranks.")
    _check(pg, b, "scatter", tensor, root, "src ranks")
    return _done(b.scatter(tensor, list(scatter_list) if pg.rank() == root else None, root), async_op)


def reduce_scatter(output, input_list, op=ReduceOp.SUM, group=None, async_op=False):
    """Reduce ``input_list[i]`` over all ranks into ``output`` of rank ``i``."""
    _tensor_arg(output, "output")
    _tensor_list_arg(input_list, "input_list")
    pg, b = _setup(group, output, "reduce_scatter")
    if pg is None:
        return None
    op = as_red_op(op)
    _same(input_list, output, "reduce_scatter")
    _list_size("reduce_scatter", input_list, pg, "input_list")
    _check_op(pg, b, op, output)
    _check(pg, b, "reduce_scatter", output, int(op), "reduce ops")
    return _done(b.reduce_scatter(output, list(input_list), op), async_op)


def reduce_scatter_single(output, input, op=ReduceOp.SUM, group=None, async_op=False):
    """Reduce ``input`` (world_size chunks along dim 0) over all ranks; rank ``i`` gets chunk ``i``."""
    _tensor_arg(output, "output")
    _tensor_arg(input, "input")
    pg, b = _setup(group, input, "reduce_scatter_single")
    if pg is None:
        return None
    op = as_red_op(op)
    if output.dtype != input.dtype:
        raise RuntimeError(f"reduce_scatter_tensor: output dtype {output.dtype} differs from input dtype "
                           f"{input.dtype}")
    _check_op(pg, b, op, input)
    if input.numel() != output.numel() * pg.size():
        raise RuntimeError(f"reduce_scatter_tensor: input has {input.numel()} elements, expected world_size "
                           f"({pg.size()}) x output ({output.numel()})")
    _check(pg, b, "reduce_scatter_tensor", input, int(op), "reduce ops")
    return _done(b.reduce_scatter_tensor(output, input, op), async_op)


def _deprecated_name(old, new):
    import warnings

    warnings.warn(f"`torch.distributed.{old}` is deprecated. Please use `torch.distributed.{new}` instead.",
                  FutureWarning, stacklevel=3)


def all_gather_into_tensor(output_tensor, input_tensor, group=None, async_op=False):
    """The former name of :func:`all_gather_single` (deprecated in PyTorch, which warns)."""
    _deprecated_name("all_gather_into_tensor", "all_gather_single")
    return all_gather_single(output_tensor, input_tensor, group, async_op)


def reduce_scatter_tensor(output, input, op=ReduceOp.SUM, group=None, async_op=False):
    """The former name of :func:`reduce_scatter_single` (deprecated in PyTorch, which warns)."""
    _deprecated_name("reduce_scatter_tensor", "reduce_scatter_single")
    return reduce_scatter_single(output, input, op, group, async_op)


def all_to_all_single(output, input, output_split_sizes=None, input_split_sizes=None, group=None,
                      async_op=False):
    """Split ``input`` along dim 0, send piece ``i`` to rank ``i``; receive into ``output``."""
    _tensor_arg(output, "output")
    _tensor_arg(input, "input")
    pg, b = _setup(group, input, "all_to_all_single")
    if pg is None:
        return None
    if output.dtype != input.dtype:
        raise RuntimeError(f"all_to_all_single: output dtype {output.dtype} differs from input dtype {input.dtype}")
    if output_split_sizes is None and input_split_sizes is None:
        if input.dim() == 0 or input.shape[0] % pg.size() or output.numel() != input.numel():
            raise RuntimeError(f"all_to_all_single: dim 0 of the input ({list(input.shape)}) must divide by the "
                               f"world size ({pg.size()}) and the output ({list(output.shape)}) must have as many "
                               "elements as the input")
        _check(pg, b, "all_to_all_single", input)
        return _done(b.all_to_all_single(output, input), async_op)
    _check(pg, b, "all_to_all_single", None)
    return _done(b.all_to_all_single(output, input, output_split_sizes, input_split_sizes), async_op)


def all_to_all(output_tensor_list, input_tensor_list, group=None, async_op=False):
    """Send ``input_tensor_list[i]`` to rank ``i``; receive rank ``i``'s into ``output_tensor_list[i]``."""
    _tensor_list_arg(output_tensor_list, "output_tensor_list")
    _tensor_list_arg(input_tensor_list, "input_tensor_list")
    if not input_tensor_list:
        raise RuntimeError("all_to_all: input_tensor_list is empty (one tensor per rank is needed)")
    pg, b = _setup(group, input_tensor_list[0], "all_to_all")
    if pg is None:
        return None
    _list_size("all_to_all", input_tensor_list, pg, "input_tensor_list")
    _list_size("all_to_all", output_tensor_list, pg, "output_tensor_list")
    _check(pg, b, "all_to_all", None)
    return _done(b.all_to_all(list(output_tensor_list), list(input_tensor_list)), async_op)


# ---- point to point --------------------------------------------------------------------------
def _p2p(tensor, peer, group, group_peer, name):
    _tensor_arg(tensor, "tensor")
    pg, b = _setup(group, tensor, name)
    if pg is None:
        return None, None, None
    if peer is None and group_peer is None:
        return pg, b, None
    p = _peer(pg, peer, group_peer, "dst" if name in ("send", "isend") else "src")
    if p == pg.rank():
        kind = "destination" if name in ("send", "isend") else "source"
        raise ValueError(f"Invalid {kind} rank: {kind} rank should not be the same as the rank of the "
                         "current process.")
    return pg, b, p


def isend(tensor, dst=None, group=None, tag=0, group_dst=None):
    """Send ``tensor`` to rank ``dst`` without waiting; returns a :class:`Work`."""
    pg, b, p = _p2p(tensor, dst, group, group_dst, "isend")
    if pg is None:
        return None
    if p is None:
        raise ValueError("isend needs a destination rank (dst)")
    return b.send(tensor, p, int(tag))


def irecv(tensor, src=None, group=None, tag=0, group_src=None):
    """Receive into ``tensor`` from rank ``src`` (any rank when None) without waiting."""
    pg, b, p = _p2p(tensor, src, group, group_src, "irecv")
    if pg is None:
        return None
    return b.recv(tensor, p, int(tag))


def send(tensor, dst=None, group=None, tag=0, group_dst=None):
    """Send ``tensor`` to rank ``dst`` (blocks until it may be reused)."""
    work = isend(tensor, dst, group, tag, group_dst)
    if work is not None:
        work.wait()


def recv(tensor, src=None, group=None, tag=0, group_src=None):
    """Receive into ``tensor`` from rank ``src`` (any rank when None); returns the sender's rank."""
    work = irecv(tensor, src, group, tag, group_src)
    if work is None:
        return -1
    work.wait()
    pg = _group(group)
    return pg._ranks[work.source_rank()]


class P2POp:
    """A point-to-point operation for :func:`batch_isend_irecv`: ``P2POp(dist.isend, t, peer)``."""

    def __init__(self, op, tensor, peer=None, group=None, tag=0, group_peer=None):
        if op not in (isend, irecv):
            raise ValueError("Invalid ``op``. Expected ``op`` to be of type ``torch.distributed.isend`` or "
                             "``torch.distributed.irecv``.")
        self.op, self.tensor, self.peer, self.group, self.tag, self.group_peer = (
            op, tensor, peer, group, tag, group_peer)


def batch_isend_irecv(p2p_op_list):
    """Start every send and receive of the list; returns their :class:`Work` objects."""
    return [p.op(p.tensor, p.peer, p.group, p.tag, p.group_peer) for p in p2p_op_list]


# ---- collectives on picklable objects ---------------------------------------------------------
def _object_backend(group, name):
    pg = _group(group)
    if pg is None:
        _warn_not_in_group(name)
        return None, None
    return pg, pg._any()


def _fill(object_list, everyone, what, name):
    """``object_list[i] = object of rank i``, after the exchange (so that every rank took part, as in
    PyTorch). A longer list keeps its extra entries; a shorter one is an IndexError, as PyTorch's."""
    if len(object_list) < len(everyone):
        raise IndexError(f"list assignment index out of range: {what}: {name} has {len(object_list)} entries, "
                         f"but the group has {len(everyone)} ranks")
    for i, data in enumerate(everyone):
        object_list[i] = pickle.loads(data)


def all_gather_object(object_list, obj, group=None):
    """Fill ``object_list[i]`` with ``obj`` of rank ``i`` (any picklable object)."""
    pg, b = _object_backend(group, "all_gather_object")
    if pg is None:
        return
    _check(pg, b, "all_gather_object")
    everyone = b.all_gather_bytes(pickle.dumps(obj))
    _fill(object_list, everyone, "all_gather_object", "object_list")


def gather_object(obj, object_gather_list=None, dst=None, group=None, group_dst=None):
    """Collect ``obj`` of every rank into ``object_gather_list`` on rank ``dst``."""
    pg, b = _object_backend(group, "gather_object")
    if pg is None:
        return
    root = _peer(pg, dst, group_dst, "dst")
    if pg.rank() == root and object_gather_list is None:
        raise ValueError("Argument ``object_gather_list`` must be specified on destination rank.")
    _check(pg, b, "gather_object", None, root, "dst ranks")
    everyone = b.all_gather_bytes(pickle.dumps(obj))
    if pg.rank() == root:
        _fill(object_gather_list, everyone, "gather_object", "object_gather_list")


def broadcast_object_list(object_list, src=None, group=None, device=None, group_src=None):
    """Replace ``object_list``'s entries on every rank with those of rank ``src``."""
    pg, b = _object_backend(group, "broadcast_object_list")
    if pg is None:
        return
    root = _peer(pg, src, group_src, "src")
    _check(pg, b, "broadcast_object_list", None, root * 100003 + len(object_list), "src ranks or list lengths")
    data = b.broadcast_bytes(pickle.dumps(list(object_list)) if pg.rank() == root else b"", root)
    if pg.rank() != root:
        object_list[:] = pickle.loads(data)


def scatter_object_list(scatter_object_output_list, scatter_object_input_list=None, src=None, group=None,
                        group_src=None):
    """Rank ``src`` sends ``scatter_object_input_list[i]`` to rank ``i`` (into ``output_list[0]``)."""
    pg, b = _object_backend(group, "scatter_object_list")
    if pg is None:
        return
    root = _peer(pg, src, group_src, "src")
    if not isinstance(scatter_object_output_list, list) or len(scatter_object_output_list) < 1:
        raise ValueError("Expected argument scatter_object_output_list to be a list of size at least 1.")
    if pg.rank() == root and (scatter_object_input_list is None or len(scatter_object_input_list) != pg.size()):
        raise ValueError(f"scatter_object_list: the source rank needs {pg.size()} input objects")
    _check(pg, b, "scatter_object_list", None, root, "src ranks")
    data = b.broadcast_bytes(pickle.dumps(list(scatter_object_input_list)) if pg.rank() == root else b"", root)
    scatter_object_output_list[0] = pickle.loads(data)[pg.rank()]


__all__ = [
    "P2POp", "all_gather", "all_gather_into_tensor", "all_gather_object", "all_gather_single", "all_reduce",
    "all_to_all",
    "all_to_all_single", "barrier", "batch_isend_irecv", "broadcast", "broadcast_object_list", "gather",
    "gather_object", "irecv", "isend", "monitored_barrier", "recv", "reduce", "reduce_scatter",
    "reduce_scatter_single", "reduce_scatter_tensor", "scatter", "scatter_object_list", "send",
]
