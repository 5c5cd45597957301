"""The gradient reducer of DistributedDataParallel: buckets, hooks and non-blocking all-reduces.

Parameters are grouped into buckets in reverse registration order (roughly the order in which
backward produces their gradients), up to ``bucket_cap_mb`` each, the first one small (1 MB, as
PyTorch) so that communication starts early. A post-accumulate-grad hook on every parameter
marks it ready; when a bucket is complete (and every bucket before it has been launched: the
ranks must issue collectives in the same order), its gradients are flattened into one tensor,
divided by the world size and all-reduced without blocking, while backward goes on. The hook of
the last parameter to become ready waits for every bucket and writes the averaged gradients
back into ``param.grad``.

It speaks Tensor ops only, plus the process group's backend for the non-blocking all-reduce.
"""

from __future__ import annotations

import copy

import lanterna

FIRST_BUCKET_BYTES = 1024 * 1024


class _Bucket:
    def __init__(self, params):
        self.params = params
        self.offsets = []
        n = 0
        for p in params:
            self.offsets.append(n)
            n += p.numel()
        self.numel = n
        self.pending = len(params)
        self.flat = None  # the tensor being all-reduced (kept as grads' storage with bucket views)
        self.work = None
        self.fut = None  # the future a communication hook returned


def assign_buckets(params, cap_bytes, first_bytes=FIRST_BUCKET_BYTES):
    """Lists of parameters (reverse order, one dtype and device per bucket) of at most ``cap`` bytes."""
    buckets, open_ = [], {}
    limit = min(first_bytes, cap_bytes)
    for p in reversed(params):
        key = (p.dtype, p.device)
        cur = open_.setdefault(key, [[], 0])
        cur[0].append(p)
        cur[1] += p.numel() * p.element_size()
        if cur[1] >= limit:
            buckets.append(cur[0])
            del open_[key]
            limit = cap_bytes
    buckets.extend(c[0] for c in open_.values() if c[0])
    return buckets


class Reducer:
    """Averages the gradients of ``params`` over the ranks of ``group`` during backward."""

    def __init__(self, params, group, bucket_cap_mb=25, find_unused_parameters=False,
                 gradient_as_bucket_view=False):
        import lanterna.distributed as dist

        self.group = group
        self.world_size = dist.get_world_size(group)
        self.find_unused = find_unused_parameters
        self.as_view = gradient_as_bucket_view
        self.params = params
        cap = int(bucket_cap_mb * 1024 * 1024)
        self.buckets = [_Bucket(ps) for ps in assign_buckets(params, cap)]
        self.where = {}
        for bi, b in enumerate(self.buckets):
            for slot, p in enumerate(b.params):
                self.where[id(p)] = (bi, slot)
        self.handles = [p.register_post_accumulate_grad_hook(self._on_grad) for p in params]
        self.armed = False
        self.ready = set()
        self.next_bucket = 0
        self.locally_used = None
        self.comm_hook = None  # (state, hook) from DistributedDataParallel.register_comm_hook
        self.join_work = None  # join(): the forward's all-reduce counting the ranks still training
        self.divide_by_initial_world_size = True

    # ---- per-iteration state ----------------------------------------------------------------
    def prepare(self):
        """Called by DDP's forward when the next backward must synchronise gradients."""
        if self.armed and self.ready:
            raise RuntimeError(
                "Expected to have finished reduction in the prior iteration before starting a new one. "
                "This error indicates that your module has parameters that were not used in producing "
                "loss. You can enable unused parameter detection by passing the keyword argument "
                "`find_unused_parameters=True` to `torch.nn.parallel.DistributedDataParallel`, and by "
                "making sure all `forward` function outputs participate in calculating loss. Parameters "
                f"that did not receive a gradient: {self._missing()}")
        self.armed = True
        self.ready = set()
        self.next_bucket = 0
        self.locally_used = None
        self.join_work = None
        for b in self.buckets:
            b.pending = len(b.params)
            b.work = None
            b.fut = None

    def disarm(self):
        """The next backward accumulates locally (``no_sync``, or forward without grad)."""
        self.armed = False
        self.ready = set()

    def _set_forward_pass_work_handle(self, work, divide_by_initial_world_size):
        """join(): the all-reduce of this forward that counts the ranks still training."""
        self.join_work = work
        self.divide_by_initial_world_size = divide_by_initial_world_size

    def _divisor(self):
        if self.join_work is not None and not self.divide_by_initial_world_size:
            self.join_work.wait()
            return max(1, int(self.join_work.result()[0].item()))
        return self.world_size

    def _run_comm_hook(self, bi, flat):
        from lanterna.distributed import GradBucket

        b = self.buckets[bi]
        state, hook = self.comm_hook
        fut = hook(state, GradBucket(bi, flat, b.params, b.offsets, bi == len(self.buckets) - 1))
        if not hasattr(fut, "wait") or not hasattr(fut, "then"):
            raise RuntimeError("The communication hook must return a torch.futures.Future, got "
                               f"{type(fut).__name__}")
        return fut

    def _match_all_reduce_for_bwd_pass(self):
        """join(): a rank out of inputs contributes zeros to every bucket's reduction."""
        from lanterna.distributed import ReduceOp

        pending = []
        for bi, b in enumerate(self.buckets):
            p0 = b.params[0]
            zeros = lanterna.zeros(b.numel, dtype=p0.dtype, device=p0.device)
            if self.comm_hook is not None:
                pending.append(self._run_comm_hook(bi, zeros))
            else:
                pending.append(self._backend(zeros).all_reduce(zeros, ReduceOp.SUM))
        for w in pending:
            w.wait()
        if self.find_unused:
            mask = lanterna.zeros(len(self.params), dtype=lanterna.int32)
            self._backend(mask).all_reduce(mask, ReduceOp.MAX).wait()

    def mark_unused(self, outputs):
        """``find_unused_parameters``: parameters the outputs do not depend on are ready now.

        Returns the outputs to hand to the caller. When several outputs carry gradients, they go
        through :class:`_DDPSink`, as in PyTorch: an output the loss does not use gets no
        gradient, so the parameters only it depends on are marked ready (unused) when backward
        starts, instead of leaving the reduction waiting for hooks that never fire.
        """
        tensors = []
        _flatten_tensors(outputs, tensors)
        with_graph = [t for t in tensors if t.grad_fn is not None]
        used = _reachable_leaves(outputs)
        self.locally_used = {id(p) for p in self.params if id(p) in used}
        for p in self.params:
            if id(p) not in used:
                self._mark(p)
        if len(with_graph) < 2:
            return outputs
        self._output_leaves = [_reachable_leaves(t) for t in with_graph]
        sunk = iter(_DDPSink.apply(self, *with_graph))
        return _rebuild(outputs, {id(t): next(sunk) for t in with_graph})

    def _outputs_without_grad(self, unused_outputs):
        """Backward has started, and the outputs ``unused_outputs`` got no gradient: the parameters
        that only they depend on will get none either."""
        leaves = getattr(self, "_output_leaves", None)
        self._output_leaves = None
        if not self.armed or not unused_outputs or leaves is None:
            return
        needed = set().union(*(ls for i, ls in enumerate(leaves) if i not in unused_outputs))
        for p in self.params:
            if id(p) in self.locally_used and id(p) not in needed and id(p) not in self.ready:
                self.locally_used.discard(id(p))
                self._mark(p)

    def _missing(self):
        return [i for i, p in enumerate(self.params) if id(p) not in self.ready]

    # ---- hooks -------------------------------------------------------------------------------
    def _on_grad(self, param):
        if not self.armed or id(param) in self.ready:
            return
        for b in self.buckets[:self.next_bucket]:
            if b.work is not None:
                b.work.is_completed()  # let the engine make progress on what is in flight
        self._mark(param)

    def _mark(self, param):
        self.ready.add(id(param))
        bi, _ = self.where[id(param)]
        self.buckets[bi].pending -= 1
        while self.next_bucket < len(self.buckets) and self.buckets[self.next_bucket].pending == 0:
            self._launch(self.buckets[self.next_bucket])
            self.next_bucket += 1
        if self.next_bucket == len(self.buckets):
            self._finalize()

    def _launch(self, b):
        from lanterna.distributed import ReduceOp

        with lanterna.no_grad():
            grads = [p.grad for p in b.params]
            if self.as_view and b.flat is not None and all(
                    g is not None and g is getattr(b, "views", {}).get(i) for i, g in enumerate(grads)):
                flat = b.flat  # the gradients already live in the bucket
            else:
                flat = lanterna.cat([(g if g is not None else lanterna.zeros_like(p)).reshape(-1)
                                     for g, p in zip(grads, b.params)])
            if self.comm_hook is None:
                flat.div_(self._divisor())
        b.flat = flat
        if self.comm_hook is not None:  # the hook divides, as in PyTorch
            b.fut = self._run_comm_hook(self.buckets.index(b), flat)
            b.work = None
        else:
            b.work = self._backend(flat).all_reduce(flat, ReduceOp.SUM)

    def _backend(self, t):
        from lanterna.distributed.process_group import _group

        return _group(self.group)._get(t.device.type)

    def _finalize(self):
        self.armed = False
        used_everywhere = None
        if self.find_unused:
            used_everywhere = self._globally_used()
        for b in self.buckets:
            if getattr(b, "fut", None) is not None:
                self._collect_hook_result(b)
            else:
                b.work.wait()
            views = {}
            with lanterna.no_grad():
                for i, (p, off) in enumerate(zip(b.params, b.offsets)):
                    if used_everywhere is not None and not used_everywhere[self.params_index[id(p)]]:
                        continue  # no rank used it: leave .grad as it was, as PyTorch does
                    avg = b.flat[off:off + p.numel()].view(p.shape)
                    if self.as_view:
                        p.grad = avg
                        views[i] = avg
                    elif p.grad is None:
                        p.grad = avg.clone()
                    else:
                        p.grad.copy_(avg)
            b.views = views
            b.work = None
            b.fut = None
            if not self.as_view:
                b.flat = None  # the gradients own their storage: do not keep a second copy
        self.ready = set()

    def _collect_hook_result(self, b):
        out = b.fut.wait()
        if isinstance(out, (list, tuple)) and len(out) == 1:
            out = out[0]
        if not isinstance(out, lanterna.Tensor):
            raise RuntimeError("The communication hook's future must hold the reduced bucket tensor, got "
                               f"{type(out).__name__}")
        if out.numel() != b.numel:
            raise RuntimeError(f"The communication hook returned a tensor of {out.numel()} elements for a "
                               f"bucket of {b.numel}")
        if out is not b.flat:
            with lanterna.no_grad():
                b.flat.copy_(out.reshape(-1))

    @property
    def params_index(self):
        idx = getattr(self, "_params_index", None)
        if idx is None:
            idx = self._params_index = {id(p): i for i, p in enumerate(self.params)}
        return idx

    def _globally_used(self):
        from lanterna.distributed import ReduceOp

        used = self.locally_used if self.locally_used is not None else {id(p) for p in self.params}
        mask = lanterna.tensor([1 if id(p) in used else 0 for p in self.params], dtype=lanterna.int32)
        self._backend(mask).all_reduce(mask, ReduceOp.MAX).wait()
        return [bool(v) for v in mask.tolist()]

    def remove(self):
        for h in self.handles:
            h.remove()


class _DDPSink(lanterna.autograd.Function):
    """Passes DDP's outputs through; its backward (the first node to run) sees which outputs the
    loss left without a gradient (``set_materialize_grads(False)`` keeps those None)."""

    @staticmethod
    def forward(ctx, reducer, *outputs):
        ctx.set_materialize_grads(False)
        ctx.reducer = reducer
        return outputs

    @staticmethod
    def backward(ctx, *grads):
        ctx.reducer._outputs_without_grad({i for i, g in enumerate(grads) if g is None})
        return (None, *grads)


def _flatten_tensors(obj, out):
    if isinstance(obj, lanterna.Tensor):
        out.append(obj)
    elif isinstance(obj, (list, tuple)):
        for o in obj:
            _flatten_tensors(o, out)
    elif isinstance(obj, dict):
        for o in obj.values():
            _flatten_tensors(o, out)


def _rebuild(obj, new):
    """``obj`` with the tensors whose id is in ``new`` replaced (same containers, same types)."""
    if isinstance(obj, lanterna.Tensor):
        return new.get(id(obj), obj)
    if isinstance(obj, list):
        return [_rebuild(o, new) for o in obj]
    if isinstance(obj, tuple):
        items = [_rebuild(o, new) for o in obj]
        return type(obj)(*items) if hasattr(obj, "_fields") else type(obj)(items)
    if isinstance(obj, dict):
        out = copy.copy(obj)  # keeps OrderedDict and dict subclasses
        for k, v in obj.items():
            out[k] = _rebuild(v, new)
        return out
    return obj


def _reachable_leaves(outputs):
    """ids of the leaf tensors that the autograd graph of ``outputs`` reaches."""
    stack, seen, leaves = [], set(), set()
    _collect(outputs, stack)
    while stack:
        node = stack.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        var = getattr(node, "variable", None)
        if var is not None:
            leaves.add(id(var))
        for edge in getattr(node, "next_functions", ()) or ():
            if edge is not None and edge[0] is not None:
                stack.append(edge[0])
    return leaves


def _collect(obj, stack):
    if isinstance(obj, lanterna.Tensor):
        if obj.grad_fn is not None:
            stack.append(obj.grad_fn)
    elif isinstance(obj, (list, tuple)):
        for o in obj:
            _collect(o, stack)
    elif isinstance(obj, dict):
        for o in obj.values():
            _collect(o, stack)
