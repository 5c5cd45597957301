"""The autograd graph: nodes, leaf accumulation and the backward engine.

Every differentiable op is a ``Node`` subclass whose forward computes arrays and whose
``backward`` is written in Tensor ops, so that running it under grad mode (``create_graph=True``)
records a graph of its own: higher-order gradients come for free.
"""

from __future__ import annotations

import sys
import weakref

from .grad_mode import GRAD_ENABLED
from .saved_hooks import SAVED_HOOKS, Packed, disable_saved_tensors_hooks, save_on_cpu, saved_tensors_hooks
from .saved_hooks import pack as pack_saved

ANOMALY = [False]


class Node:
    """A recorded op. Subclasses set ``backward``; the engine fills ``next_functions``."""

    # _in_meta: per input (shape, array dtype) to fit gradients to; None when every gradient
    # has its input's shape and dtype already (same-shape arithmetic)
    __slots__ = ("next_functions", "_in_meta", "__weakref__", "__dict__")
    # Rarely set: class-level defaults, so the engine reads them without getattr fallbacks.
    _saved = None
    _versions = ()
    _pre_hooks = None
    _retained = None
    _post_hooks = None
    _trace = None
    #: number of differentiable outputs (custom Functions may have more than one)
    n_outputs = 1
    #: True for ops whose output shares the input's storage (view, transpose, slicing ...)
    is_view = False

    def name(self) -> str:
        return type(self).__name__

    def __repr__(self):
        return f"<{type(self).__name__} object at {hex(id(self))}>"

    # --- saving tensors for backward, with the version check that catches in-place changes
    def save(self, *tensors):
        if SAVED_HOOKS:  # inside saved_tensors_hooks: keep what pack_hook returns
            self._saved = pack_saved(tensors)
            self._versions = ()  # as PyTorch: a tensor saved through hooks is not version-checked
            return
        self._saved = tensors
        if len(tensors) == 2:  # binary ops: no comprehension
            a, b = tensors
            self._versions = (a._version[0] if a is not None else 0, b._version[0] if b is not None else 0)
        else:
            self._versions = tuple([t._version[0] if t is not None else 0 for t in tensors])

    def _check_versions(self):
        saved = self._saved
        if saved is _RELEASED:
            raise_freed()
        for i, (t, v) in enumerate(zip(saved, self._versions)):
            if t is not None and t._version[0] != v:
                raise modified_error(t, t._version[0], v)

    def release(self):
        """Free what forward saved (after a backward without ``retain_graph``): the saved tensors
        and any array kept in the node's attributes (``self.out`` and the like)."""
        d = self.__dict__
        arrays = [k for k, v in d.items() if v.__class__ not in _PLAIN_TYPES and hasattr(v, "shape")]
        for k in arrays:
            del d[k]
        if arrays or d.get("_saved") is not None:
            self._saved = _RELEASED

    @property
    def saved(self):
        s = self._saved
        if s is _RELEASED:
            raise_freed()
        if s.__class__ is Packed:
            return s.unpacked()
        return s

    def _check_not_released(self):
        if self._saved is _RELEASED:
            raise_freed()

    def register_hook(self, fn):
        """``fn(grad_inputs, grad_outputs)`` after this node's backward; a tuple it returns replaces
        ``grad_inputs`` (as PyTorch's ``Node.register_hook``)."""
        hooks = self._post_hooks
        if hooks is None:
            hooks = self._post_hooks = []
        hooks.append(fn)
        return _RemovableHandle(hooks, fn)

    def register_prehook(self, fn):
        """``fn(grad_outputs)`` before this node's backward, after the hooks of the tensors it
        produced; a tuple it returns replaces ``grad_outputs``."""
        return self._add_pre_hook(None, fn)  # key None: the node's own hooks, given every output

    def _add_pre_hook(self, output_nr, fn):
        hooks = self._pre_hooks
        if hooks is None:
            hooks = self._pre_hooks = {}
        lst = hooks.setdefault(output_nr, [])
        lst.append(fn)
        return _RemovableHandle(lst, fn)

    @property
    def metadata(self):
        return self.__dict__.setdefault("_metadata", {})


def modified_error(t, version, expected, producer=None):
    """PyTorch's error for a saved tensor changed in place; it names the op that produced it."""
    import re

    fn = producer if producer is not None else t.grad_fn
    which = ""
    if fn is not None:
        nr = 0 if producer is not None else t._output_nr
        which = f", which is output {nr} of {re.sub(r'Backward[0-9]*$', '', fn.name())},"
    return RuntimeError(
        "one of the variables needed for gradient computation has been modified by an inplace operation: "
        f"[{t.type()} {list(t.shape)}]{which} is at version {version}; expected version {expected} instead. "
        "Hint: enable anomaly detection to find the operation that failed to compute its gradient, with "
        "torch.autograd.set_detect_anomaly(True, check_nan=False)."
    )


def raise_freed():
    raise RuntimeError(
        "Trying to backward through the graph a second time (or directly access saved "
        "tensors after they have already been freed). Saved intermediate values of the graph "
        "are freed when you call .backward() or autograd.grad(). Specify retain_graph=True if "
        "you need to backward through the graph a second time or if you need to access saved "
        "tensors after calling backward."
    )


# attribute values that are never arrays: release() skips its hasattr probe for them
_PLAIN_TYPES = frozenset([type(None), bool, int, float, str, tuple, list, dict])


class _Released(tuple):
    pass


_RELEASED = _Released()


class _RemovableHandle:
    _next_id = 0

    def __init__(self, container, item):
        self._container = container
        self._item = item
        self.id = _RemovableHandle._next_id
        _RemovableHandle._next_id += 1

    def remove(self):
        try:
            self._container.remove(self._item)
        except ValueError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


class AccumulateGrad(Node):
    """The node of a leaf tensor: adds the incoming gradient into ``leaf.grad``."""

    __slots__ = ("variable",)

    def __init__(self, variable):
        self.variable = variable
        self.next_functions = ()

    def name(self):
        return "torch::autograd::AccumulateGrad"

    def accumulate(self, grad, create_graph, held=1):
        """Add ``grad`` into the leaf's ``.grad``; ``held`` is how many references to ``grad``
        the engine itself still holds (its buffer or locals), for the buffer-stealing check."""
        var = self.variable
        if var._hooks:
            for hook in var._hooks:
                out = hook(grad)
                if out is not None:
                    grad = out
                    held = 1  # the name ``out``
        if create_graph:
            var.grad = grad if var.grad is None else var.grad + grad
            return
        if var._grad is None:
            # Steal the buffer when nothing else holds it (as PyTorch does); otherwise copy, so
            # that an in-place change of one parameter's .grad never reaches another's.
            # refcounts: the engine's (held), this frame's name and getrefcount's argument
            data = grad._data
            if sys.getrefcount(grad) > 2 + held or sys.getrefcount(data) > 3 or not _owns_memory(data):
                grad = grad.detach().clone()
            elif grad.grad_fn is not None or grad._requires_grad:
                grad = grad.detach()
            var._grad = grad
        else:
            g = var._grad
            try:
                g._data += grad._data
            except (TypeError, ValueError):
                g._data = g._data + grad._data
            g._version[0] += 1
        if var._post_acc_hooks:  # set by register_post_accumulate_grad_hook
            for hook in var._post_acc_hooks:
                hook(var)


def _owns_memory(a):
    """True when nothing but array ``a`` reaches its memory: it has no base, or it is a view
    spanning a base that nothing else holds (``W.t()``'s gradient, computed transposed)."""
    base = getattr(a, "base", None)
    if base is None:
        return True
    # refcounts of base: a's own pointer, the name ``base`` and getrefcount's argument
    return sys.getrefcount(base) <= 3 and getattr(base, "size", -1) == a.size


# The edge of an input that needs no gradient: PyTorch shows it as (None, 0) in next_functions.
NO_EDGE = (None, 0)


def grad_edge(t):
    """The (node, output_nr) a gradient for tensor ``t`` flows into (``NO_EDGE`` if none)."""
    fn = t.grad_fn
    if fn is not None:
        return (fn, t._output_nr)
    if not t._requires_grad:
        return NO_EDGE
    acc = t._grad_acc() if t._grad_acc is not None else None
    if acc is None:
        acc = AccumulateGrad(t)
        t._grad_acc = weakref.ref(acc)
    return (acc, 0)


def _topo_dependencies(roots):
    """Count, for every node reachable from ``roots``, how many edges point at it (iteratively)."""
    deps = {}
    stack = [n for n in roots if n is not None]
    walked = set(stack)  # roots are walked from the start: one reached from another is not walked again
    while stack:
        for nxt, _ in stack.pop().next_functions:
            if nxt is None:
                continue
            if nxt in deps:
                deps[nxt] += 1
            else:  # first visit: walk on from it
                deps[nxt] = 1
                if nxt not in walked:
                    stack.append(nxt)
    return deps


def run_backward(tensors, grad_tensors, retain_graph, create_graph, inputs=None, allow_unused=False,
                 accumulate=True):
    """The engine behind ``Tensor.backward`` and ``autograd.grad``.

    Nodes run in an order where each runs only once all its consumers have sent their gradient.
    With ``inputs`` given and ``accumulate`` False, the gradients reaching those tensors are
    returned instead of being accumulated into ``.grad``.
    """
    buffers = {}
    roots = []
    for t, g in zip(tensors, grad_tensors):
        edge = grad_edge(t)
        if edge[0] is None:
            raise RuntimeError("element 0 of tensors does not require grad and does not have a grad_fn")
        node, nr = edge
        buf = buffers.get(node)
        if buf is None:
            buf = buffers[node] = [None] * node.n_outputs
            roots.append(node)
        buf[nr] = g if buf[nr] is None else buf[nr] + g

    capture = None
    if inputs is not None:
        from .._tensor import Tensor

        capture = {}
        for i, t in enumerate(inputs):
            if not isinstance(t, Tensor):
                raise TypeError(f"inputs must be tensors, got {type(t).__name__}")
            edge = grad_edge(t)
            if edge[0] is None:
                raise RuntimeError(f"One of the differentiated Tensors (input {i}) does not require grad")
            capture.setdefault(edge, []).append(i)
        captured = [None] * len(inputs)
        capture_nodes = {e[0] for e in capture}
        # as PyTorch: only nodes on a path to a requested input run; the graph below stays untouched
        reach = _reaching(roots, capture_nodes)

    deps = _topo_dependencies(roots)
    ready = [n for n in roots if deps.get(n, 0) == 0]
    prev_mode = GRAD_ENABLED[0]
    GRAD_ENABLED[0] = create_graph
    check_anomaly = ANOMALY[0]
    fast_leaves = accumulate and capture is None  # leaves may skip the ready queue
    g = in_grads = None
    try:
        while ready:
            node = ready.pop()
            grads = buffers.pop(node)
            if node._pre_hooks:
                _run_pre_hooks(node, grads)
            if node._retained:
                _retain(node, grads, create_graph)
            if capture is not None and node in capture_nodes:
                for nr in range(node.n_outputs):
                    for i in capture.get((node, nr), ()):
                        captured[i] = grads[nr]
                if not any(nxt in reach for nxt, _ in node.next_functions):
                    continue  # nothing needed lies below it: its backward does not run
            if node.__class__ is AccumulateGrad:
                if accumulate and grads[0] is not None:
                    node.accumulate(grads[0], create_graph)
                continue
            saved = node._saved
            if saved is not None:
                if saved is _RELEASED:
                    raise_freed()
                for t, v in zip(saved, node._versions):
                    if t is not None and t._version[0] != v:
                        raise modified_error(t, t._version[0], v)
            in_grads = node.backward(grads[0]) if node.n_outputs == 1 else node.backward(*grads)
            if in_grads.__class__ is not tuple:
                in_grads = (in_grads,)
            if check_anomaly:
                _check_anomaly(node, in_grads)
            if node._post_hooks:
                in_grads = _run_post_hooks(node, in_grads, grads)
            grads = None  # let the incoming gradients die: a leaf may then take its buffer
            if not retain_graph:
                d = node.__dict__
                if d:
                    if saved is not None and len(d) == 2:  # just what save() set: nothing else to scan
                        node._saved = _RELEASED
                    else:
                        node.release()
            # send each input's gradient to the node that produced that input
            edges = node.next_functions
            if len(in_grads) != len(edges):
                raise RuntimeError(
                    f"function {node.name()} returned an incorrect number of gradients (expected "
                    f"{len(edges)}, got {len(in_grads)})"
                )
            metas = node._in_meta
            for i, (nxt, nr) in enumerate(edges):
                if nxt is None or (capture is not None and nxt not in reach):
                    continue
                g = in_grads[i]
                left = deps[nxt] - 1
                deps[nxt] = left
                if g is None:
                    if left == 0:
                        if nxt in buffers:
                            ready.append(nxt)
                        else:
                            _skip(nxt, buffers, deps, ready)
                    continue
                if metas is not None:
                    # the check inline, the fitting (rare) in _fit; no local names the array:
                    # accumulate() counts its references to decide whether to steal it
                    shape, dtype = metas[i]
                    if g._data.shape != shape or (g._data.dtype is not dtype and g._data.dtype != dtype):
                        g = _fit(g, metas[i], node)
                if left == 0:
                    if nxt.__class__ is AccumulateGrad and fast_leaves and not nxt._pre_hooks:
                        # a leaf's only (or last) gradient: straight into .grad, no queueing
                        buf = buffers.pop(nxt, None)
                        if buf is not None:  # the sum of what reached it
                            g = _sum_grads(buf[0], g, create_graph)
                            buf = None
                        nxt.accumulate(g, create_graph, 1 + (in_grads[i] is g))
                        continue
                    ready.append(nxt)  # runs once its buffer below holds this last gradient
                buf = buffers.get(nxt)
                if buf is None:
                    if nxt.n_outputs == 1:
                        buffers[nxt] = [g]
                    else:
                        buf = buffers[nxt] = [None] * nxt.n_outputs
                        buf[nr] = g
                else:
                    buf[nr] = g if buf[nr] is None else _sum_grads(buf[nr], g, create_graph)
            g = in_grads = None  # hold no stale reference: accumulate() counts them
    finally:
        GRAD_ENABLED[0] = prev_mode

    if capture is not None:
        for i, g in enumerate(captured):
            if g is None and not allow_unused:
                raise RuntimeError(
                    f"The differentiated Tensor at index {i} appears to not have been used in the graph. "
                    "Set allow_unused=True if this is the desired behavior."
                )
        return captured
    return None


def _reaching(roots, targets):
    """The nodes from which some node of ``targets`` can be reached (targets included): a
    depth-first walk that settles each node after its inputs (the graph is acyclic)."""
    reaches = {}
    stack = [(n, False) for n in roots]
    while stack:
        node, settle = stack.pop()
        if settle:
            reaches[node] = node in targets or any(reaches.get(c, False) for c, _ in node.next_functions)
            continue
        if node in reaches:
            continue
        reaches[node] = False  # visited; settled once its inputs are
        stack.append((node, True))
        stack.extend((c, False) for c, _ in node.next_functions if c is not None and c not in reaches)
    return {n for n, r in reaches.items() if r}


def _sum_grads(a, b, create_graph):
    """Two gradients for one tensor, added: on plain arrays when no graph is recorded and nothing
    needs promoting or broadcasting (the common case: a tensor used twice)."""
    da, db = a._data, b._data
    if not create_graph and da.shape == db.shape and da.dtype == db.dtype and a._device is b._device:
        return a._make(da + db, a._backend, a._device)
    return a + b


def _run_pre_hooks(node, grads):
    """Hooks registered on the tensors this node produced (``tensor.register_hook``), then the
    node's own (``grad_fn.register_prehook``), which see all its output gradients at once."""
    for nr, hooks in node._pre_hooks.items():
        if nr is not None and grads[nr] is not None:
            for hook in hooks:
                out = hook(grads[nr])
                if out is not None:
                    grads[nr] = out
    for hook in node._pre_hooks.get(None, ()):
        out = hook(tuple(grads))
        if out is not None:
            grads[:] = _checked_hook_result(hook, out, len(grads))


def _run_post_hooks(node, in_grads, grads):
    for hook in node._post_hooks:
        out = hook(in_grads, tuple(grads))
        if out is not None:
            in_grads = _checked_hook_result(hook, out, len(in_grads))
    return in_grads


def _checked_hook_result(hook, out, n):
    out = tuple(out) if isinstance(out, (tuple, list)) else (out,)
    if len(out) != n:
        name = getattr(hook, "__name__", type(hook).__name__)
        raise RuntimeError(f"hook '{name}' has returned an incorrect number of values (got {len(out)}, but "
                           f"expected {n})")
    return out


def _retain(node, grads, create_graph):
    """``retain_grad()`` on non-leaf outputs of this node."""
    for nr, ref in node._retained.items():
        t = ref()
        if t is not None and grads[nr] is not None:
            g = grads[nr] if create_graph else grads[nr].detach()
            t._grad = g.clone() if t._grad is None else t._grad + g


def _skip(node, buffers, deps, ready):
    """A node that received no gradient at all: release its consumers' dependency counts."""
    stack = [node]
    while stack:
        n = stack.pop()
        for edge in n.next_functions:
            nxt = edge[0]
            if nxt is None:
                continue
            deps[nxt] -= 1
            if deps[nxt] == 0:
                if nxt in buffers:
                    ready.append(nxt)
                else:
                    stack.append(nxt)


def _fit(g, meta, node):
    """Bring gradient ``g`` to its input's ``meta`` = (shape, array dtype)."""
    shape, dtype = meta
    data = g._data
    if data.shape != shape:
        g = _fit_shape(g, shape, node)
        data = g._data
    if data.dtype is not dtype and data.dtype != dtype:
        g = g.to(g._backend.dtypes[dtype])
    return g


def _fit_shape(g, shape, node):
    """Undo broadcasting: sum a gradient down to the shape of the input it belongs to."""
    gshape = g._data.shape
    lead = len(gshape) - len(shape)
    # the input's shape must broadcast to the gradient's (dims of 1 or equal, aligned at the end);
    # comparing element counts instead would refuse a gradient with a 0-sized dim
    if lead < 0 or any(s != 1 and s != gshape[i + lead] for i, s in enumerate(shape)):
        if _prod(gshape) == _prod(shape):
            return g.reshape(shape)
        raise RuntimeError(
            f"Function {node.name()} returned an invalid gradient - got {list(gshape)} but expected "
            f"shape compatible with {list(shape)}"
        )
    axes = tuple(range(lead)) + tuple(
        i + lead for i, s in enumerate(shape) if s == 1 and gshape[i + lead] != 1
    )
    if axes:
        g = g.sum(dim=axes, keepdim=True)
    if g._data.shape != shape:
        g = g.reshape(shape)
    return g


def _prod(shape):
    p = 1
    for s in shape:
        p *= s
    return p


def _check_anomaly(node, in_grads):
    for i, g in enumerate(in_grads):
        if g is not None and g.dtype.is_floating_point and bool(g.isnan().any()):
            import warnings

            trace = getattr(node, "_trace", None)
            warnings.warn(f"Error detected in {node.name()}. Traceback of forward call that caused the error:\n"
                          f"{''.join(trace or [])}", UserWarning, stacklevel=2)
            raise RuntimeError(f"Function '{node.name()}' returned nan values in its {i}th output.")
