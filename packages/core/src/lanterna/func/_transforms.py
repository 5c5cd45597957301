"""``torch.func``'s autodiff transforms: ``grad``, ``grad_and_value``, ``vjp``, ``jvp``,
``jacrev``, ``jacfwd``, ``hessian`` and ``linearize``, on Lanterna's reverse-mode autograd.

Each call of a transformed function is one *level*: the differentiated inputs are replaced by
fresh tensors that require grad (``x.detach().requires_grad_()``), so the caller's tensors and
their ``.grad`` are left alone, and derivatives come from ``autograd.grad`` (never ``.grad``).
Transforms compose (``grad(grad(f))``, ``vmap(grad(f))``, ``jacfwd(jacrev(f))``) because an
input that already requires grad (an outer level's fresh tensor, or a parameter the caller
differentiates) enters through ``x.view_as(x)``: a new node on the outer graph, so the inner
level differentiates with respect to its own input only while the outer one sees through it.
A level builds the graph of its derivatives (``create_graph``) only when its output reaches a
leaf that is not its own; results that depend on nothing outside the level are returned
detached, as PyTorch's are.

Forward mode (``jvp``, ``jacfwd``) is computed by reverse mode: ``jvp`` with the double-backward
trick, ``jacfwd`` row by row like ``jacrev`` (same values).

>>> import lanterna as torch
>>> from lanterna.func import grad
>>> grad(lambda x: (x ** 3).sum())(torch.tensor([1.0, 2.0]))
tensor([ 3., 12.])
"""

from __future__ import annotations

import functools
import threading

from ._pytree import tree_flatten, tree_unflatten, treespec_pprint

__all__ = ["grad", "grad_and_value", "vjp", "jvp", "jacrev", "jacfwd", "hessian", "linearize"]

_JVP = "jvp(f, primals, tangents)"


def _Tensor():
    from .._tensor import Tensor

    return Tensor


# --- argnums ---------------------------------------------------------------------------------

def _wrap_argnum(argnum, num_args):
    if not isinstance(argnum, int):
        raise RuntimeError(f"argnum must be int, got: {type(argnum)}")
    if 0 <= argnum < num_args:
        return argnum
    if -num_args <= argnum < 0:
        return argnum + num_args
    raise RuntimeError(f"Got argnum={argnum}, but only {num_args} positional inputs")


def _normalize_argnums(argnums, num_args):
    """``argnums`` with negative positions wrapped, after PyTorch's checks."""
    if isinstance(argnums, int):
        return _wrap_argnum(argnums, num_args)
    if not isinstance(argnums, tuple):
        raise RuntimeError(f"argnums must be int or Tuple[int, ...], got: {type(argnums)}")
    wrapped = tuple(_wrap_argnum(a, num_args) for a in argnums)
    if len(wrapped) == 0:
        raise RuntimeError("argnums must be non-empty")
    if len(set(wrapped)) != len(wrapped):
        raise RuntimeError(f"argnums elements must be unique, got {wrapped}")
    return wrapped


def _replace_args(args, argnums, new):
    """``args`` with position ``argnums`` (an int: ``new`` is the value; a tuple: ``new`` holds one
    value per position) replaced."""
    args = list(args)
    if isinstance(argnums, int):
        args[argnums] = new
    else:
        for i, value in zip(argnums, new):
            args[i] = value
    return tuple(args)


# --- one level of differentiation -------------------------------------------------------------

def _reaches_outside(tensors, own_ids):
    """Whether the graph of some tensor in ``tensors`` reaches a leaf requiring grad that is not
    one of ``own_ids`` (the fresh inputs of a level and of the levels inside it): then an outer
    level, or the caller's own autograd, differentiates through it."""
    from ..autograd.graph import AccumulateGrad

    Tensor = _Tensor()
    stack = []
    for t in tensors:
        if not isinstance(t, Tensor) or not t.requires_grad:
            continue
        if t.grad_fn is None:
            if id(t) not in own_ids:
                return True
        else:
            stack.append(t.grad_fn)
    seen = set()
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if type(node) is AccumulateGrad:
            if id(node.variable) not in own_ids:
                return True
            continue
        for nxt, _ in getattr(node, "next_functions", ()):
            if nxt is not None and id(nxt) not in seen:
                stack.append(nxt)
    return False


_ACTIVE = threading.local()  # .levels: the levels being computed, innermost last


def _active_levels():
    levels = getattr(_ACTIVE, "levels", None)
    if levels is None:
        levels = _ACTIVE.levels = []
    return levels


class _Level:
    """One call of a transformed function: its fresh inputs, the grad mode it was called in
    (under ``no_grad`` the results never carry a graph to the caller's tensors), and the fresh
    inputs of the levels computed inside it, which are constants as far as it is concerned.

    Used as ``with level:`` around the computation, with grad enabled.
    """

    def __init__(self):
        from ..autograd.grad_mode import is_grad_enabled

        self.outer_grad = is_grad_enabled()
        self.keep = []  # keeps the fresh leaves alive, so that their ids stay theirs
        self.inner_ids = set()  # this level's fresh leaves and those of the levels inside it
        self.parent = None
        self._grad_mode = None

    def __enter__(self):
        from ..autograd.grad_mode import enable_grad

        levels = _active_levels()
        self.parent = levels[-1] if levels else None
        levels.append(self)
        self._grad_mode = enable_grad()
        self._grad_mode.__enter__()
        return self

    def __exit__(self, *exc):
        self._grad_mode.__exit__(*exc)
        _active_levels().pop()
        if self.parent is not None:
            self.parent.inner_ids |= self.inner_ids
            self.parent.keep.append(self.keep)
        return False

    def adopt(self, leaf):
        self.keep.append(leaf)
        self.inner_ids.add(id(leaf))
        return leaf

    def differentiable(self, x):
        """The tensor the function sees in place of input ``x``."""
        if not isinstance(x, _Tensor()):
            raise ValueError(f"Thing passed to transform API must be Tensor, got {type(x)}")
        if self.outer_grad and x.requires_grad:
            return x.view_as(x)  # a new node on the outer graph (see the module docstring)
        return self.adopt(x.detach().requires_grad_())

    def tracks(self, tensors):
        """Whether derivatives of ``tensors`` must keep a graph for the outer computation."""
        return self.outer_grad and _reaches_outside(tensors, self.inner_ids)

    def release(self, t, tracking):
        """A result as the caller gets it: detached unless an outer computation differentiates it."""
        if not isinstance(t, _Tensor()) or not t.requires_grad:
            return t
        if tracking and _reaches_outside([t], self.inner_ids):
            return t
        return t.detach()

    def release_aux(self, aux, tracking):
        leaves, spec = tree_flatten(aux)
        for x in leaves:
            if not isinstance(x, _Tensor()):
                raise RuntimeError(f"Expected tensors, got unsupported type {type(x)}")
        return tree_unflatten([self.release(x, tracking) for x in leaves], spec)


def _autograd_grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False):
    """``autograd.grad`` over the outputs that require grad, with zeros (not None) for inputs
    an output does not depend on. The graph is kept when one is built (``create_graph``): an
    outer level differentiates back through it."""
    from ..autograd import grad as autograd_grad
    from ..ops.creation import zeros_like

    if grad_outputs is None:
        grad_outputs = [None] * len(outputs)
    pairs = [(o, g) for o, g in zip(outputs, grad_outputs) if o.requires_grad]
    if not pairs:
        return [zeros_like(x) for x in inputs]
    grads = autograd_grad([o for o, _ in pairs], list(inputs), [g for _, g in pairs], retain_graph=retain_graph,
                          create_graph=create_graph, allow_unused=True)
    return [zeros_like(x) if g is None else g for g, x in zip(grads, inputs)]


def _split_aux(output, api):
    if not (isinstance(output, tuple) and len(output) == 2):
        raise RuntimeError(f"{api}: output of function f should be a tuple: (output, aux) if has_aux is True")
    return output


def _check_tensor_outputs(flat_output, api):
    if (len(flat_output) == 1 and flat_output[0] is None) or len(flat_output) < 1:
        raise RuntimeError(f"{api}: Expected f to be a function that has non-empty output (got output = {flat_output})")
    for o in flat_output:
        if not isinstance(o, _Tensor()):
            raise RuntimeError(f"{api}: expected f(*primals) to return only tensors, got unsupported type {type(o)}")


def _check_float_outputs(flat_output):
    for o in flat_output:
        if not o.dtype.is_floating_point:
            raise RuntimeError(
                f"vjp(f, ...): All outputs of f must be floating-point or complex Tensors, got Tensor with dtype {o.dtype}"
            )


# --- grad -----------------------------------------------------------------------------------

def grad_and_value(func, argnums=0, has_aux=False):
    """``(gradient, value)`` of a scalar-valued ``func`` with respect to its positional
    argument(s) ``argnums`` (an int, or a tuple giving a tuple of gradients; an argument may be a
    pytree of tensors, such as a dict of parameters). With ``has_aux``, ``func`` returns
    ``(output, aux)`` and the result is ``(gradient, (value, aux))``."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        return _grad_and_value(func, argnums, has_aux, args, kwargs)

    return wrapper


def grad(func, argnums=0, has_aux=False):
    """The gradient of a scalar-valued ``func`` with respect to argument(s) ``argnums``
    (``(gradient, aux)`` with ``has_aux``). See :func:`grad_and_value`.

    >>> import lanterna as torch
    >>> torch.func.grad(lambda x, y: (x * y).sum(), argnums=(0, 1))(torch.tensor([1.0]), torch.tensor([2.0]))
    (tensor([2.]), tensor([1.]))
    """

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        grads, value = _grad_and_value(func, argnums, has_aux, args, kwargs)
        return (grads, value[1]) if has_aux else grads

    return wrapper


def _grad_and_value(func, argnums, has_aux, args, kwargs):
    api = "grad_and_value(f)(*args)"
    level = _Level()
    with level:
        argnums = _normalize_argnums(argnums, len(args))
        diff_args = args[argnums] if isinstance(argnums, int) else tuple(args[i] for i in argnums)
        flat_diff, spec = tree_flatten(diff_args)
        fresh = [level.differentiable(x) for x in flat_diff]
        output = func(*_replace_args(args, argnums, tree_unflatten(fresh, spec)), **kwargs)
        aux = None
        if has_aux:
            output, aux = _split_aux(output, api)
        if not isinstance(output, _Tensor()):
            raise RuntimeError(f"{api}: Expected f(*args) to return a Tensor, got {type(output)}")
        if output.dim() != 0:
            raise RuntimeError(
                f"{api}: Expected f(*args) to return a scalar Tensor, got tensor with {output.dim()} dims. "
                "Maybe you wanted to use the vjp or jacrev APIs instead?"
            )
        tracking = level.tracks([output])
        flat_grads = _autograd_grad([output], fresh, create_graph=tracking)
    grads = tree_unflatten([level.release(g, tracking) for g in flat_grads], spec)
    value = level.release(output, tracking)
    if has_aux:
        return grads, (value, level.release_aux(aux, tracking))
    return grads, value


# --- vjp / jvp ---------------------------------------------------------------------------------

def vjp(func, *primals, has_aux=False):
    """``(func(*primals), vjp_fn)`` (``(output, vjp_fn, aux)`` with ``has_aux``):
    ``vjp_fn(cotangents)`` gives the tuple of cotangent-Jacobian products, one per primal, and
    may be called several times."""
    from ..autograd.grad_mode import is_grad_enabled

    api = "vjp(f, *primals)"
    level = _Level()
    with level:
        flat_primals, primals_spec = tree_flatten(primals)
        fresh = [level.differentiable(x) for x in flat_primals]
        output = func(*tree_unflatten(fresh, primals_spec))
        aux = None
        if has_aux:
            output, aux = _split_aux(output, api)
        flat_output, output_spec = tree_flatten(output)
        _check_tensor_outputs(flat_output, api)
        _check_float_outputs(flat_output)
        tracking = level.tracks(flat_output)
    results = tree_unflatten([level.release(o, tracking) for o in flat_output], output_spec)

    def vjp_fn(cotangents, retain_graph=True, create_graph=None):
        if create_graph is None:
            create_graph = is_grad_enabled()
        flat_cotangents, cotangents_spec = tree_flatten(cotangents)
        if cotangents_spec != output_spec:
            raise RuntimeError(
                "Expected pytree structure of cotangents to be the same as pytree structure of outputs to the "
                f"function. cotangents: {treespec_pprint(cotangents_spec)}, "
                f"primal output: {treespec_pprint(output_spec)}"
            )
        # a graph is needed when an outer computation differentiates the outputs or the cotangents
        keep = create_graph and (tracking or level.tracks(flat_cotangents))
        flat = _autograd_grad(flat_output, fresh, flat_cotangents, retain_graph=retain_graph, create_graph=keep)
        return tree_unflatten([level.release(g, keep) for g in flat], primals_spec)

    if has_aux:
        return results, vjp_fn, level.release_aux(aux, tracking)
    return results, vjp_fn


def _check_primal(p, t=None):
    if not p.dtype.is_floating_point:
        raise ValueError(f"Expected primal to be floating point or complex, but got: {p.dtype}")
    if t is None:
        return
    if not t.dtype.is_floating_point:
        raise ValueError(f"Expected tangent to be floating point or complex, but got: {t.dtype}")
    if t.shape != p.shape:
        raise RuntimeError(
            "Trying to set a forward gradient that has a different size than that of the original Tensor, this is "
            f"not supported. Tensor is of size {list(p.shape)} while the given forward gradient is of size "
            f"{list(t.shape)}."
        )


def _check_tensor_list(flat, argname):
    if len(flat) == 0:
        raise RuntimeError(f"{_JVP}: Expected {argname} to contain at least one Tensor.")
    for x in flat:
        if not isinstance(x, _Tensor()):
            raise RuntimeError(f"{_JVP}: Expected {argname} to only contain Tensors, got {type(x)}")


def jvp(func, primals, tangents, *, strict=False, has_aux=False):
    """``(func(*primals), J @ tangents)`` (``(output, jvp_out, aux)`` with ``has_aux``);
    ``primals`` is a tuple of arguments and ``tangents`` has its structure."""
    if not isinstance(primals, tuple):
        raise RuntimeError(f"{_JVP}: Expected primals to be a tuple. E.g. it should be valid to call f(*primals).")
    flat_primals, primals_spec = tree_flatten(primals)
    flat_tangents, tangents_spec = tree_flatten(tangents)
    if primals_spec != tangents_spec:
        raise RuntimeError(
            f"{_JVP}: Expected primals and tangents to have the same python structure. For example, if primals "
            f"is a tuple of 3 tensors, tangents also must be. Got primals with structure {primals_spec} and "
            f"tangents with structure {tangents_spec}"
        )
    _check_tensor_list(flat_primals, "primals")
    _check_tensor_list(flat_tangents, "tangents")
    for p, t in zip(flat_primals, flat_tangents):
        _check_primal(p, t)
    level = _Level()
    with level:
        fresh = [level.differentiable(x) for x in flat_primals]
        output = func(*tree_unflatten(fresh, primals_spec))
        aux = None
        if has_aux:
            output, aux = _split_aux(output, _JVP)
        flat_output, output_spec = tree_flatten(output)
        _check_tensor_outputs(flat_output, _JVP)
        if strict and not all(o.requires_grad for o in flat_output):
            raise RuntimeError("jvp(f, primals, tangents, strict=True): The output of f is independent of the "
                               "inputs. This is not allowed with strict=True.")
        tracking = level.tracks(list(flat_output) + list(flat_tangents))
        flat_jvp = _jvp_by_double_backward(level, flat_output, fresh, flat_tangents, tracking)
    out = tree_unflatten([level.release(o, tracking) for o in flat_output], output_spec)
    jvp_out = tree_unflatten([level.release(t, tracking) for t in flat_jvp], output_spec)
    if has_aux:
        return out, jvp_out, level.release_aux(aux, tracking)
    return out, jvp_out


def _jvp_by_double_backward(level, outputs, inputs, tangents, tracking):
    """``J v`` for each output: ``g(u) = J^T u`` is linear in a dummy cotangent ``u``, so the
    vector-Jacobian product of ``g`` with respect to ``u`` along ``v`` is ``J v``."""
    from ..autograd import grad as autograd_grad
    from ..ops.creation import zeros_like

    results = [zeros_like(o) for o in outputs]
    diff = [(i, o) for i, o in enumerate(outputs) if o.requires_grad]
    if not diff:
        return results
    dummies = [level.adopt(o.new_zeros(o.shape).requires_grad_()) for _, o in diff]
    g = autograd_grad([o for _, o in diff], list(inputs), dummies, create_graph=True, allow_unused=True)
    pairs = [(gi, v) for gi, v in zip(g, tangents) if gi is not None and gi.requires_grad]
    if not pairs:
        return results
    jv = autograd_grad([gi for gi, _ in pairs], dummies, [v for _, v in pairs], create_graph=tracking,
                       allow_unused=True)
    for (i, _), r in zip(diff, jv):
        if r is not None:
            results[i] = r
    return results


def linearize(func, *primals):
    """``(func(*primals), jvp_fn)``: ``jvp_fn(*tangents)`` is the Jacobian at ``primals`` times
    ``tangents``."""
    output = jvp(func, primals, tuple(_zeros_tree(primals)))[0]

    def jvp_fn(*tangents):
        return jvp(func, primals, tangents)[1]

    return output, jvp_fn


def _zeros_tree(tree):
    from ..ops.creation import zeros_like

    leaves, spec = tree_flatten(tree)
    return tree_unflatten([zeros_like(x) if isinstance(x, _Tensor()) else x for x in leaves], spec)


# --- Jacobians ------------------------------------------------------------------------------

def jacrev(func, argnums=0, *, has_aux=False, chunk_size=None, _preallocate_and_copy=False):
    """The Jacobian of ``func`` with respect to argument(s) ``argnums``, by reverse mode: for
    each output (a pytree of outputs gives a pytree), a tensor of shape
    ``output.shape + input.shape`` per input (a tuple of them when ``argnums`` is a tuple).
    ``chunk_size`` is accepted (rows are computed one at a time)."""
    if not (chunk_size is None or chunk_size > 0):
        raise ValueError("jacrev: `chunk_size` should be greater than 0.")

    @functools.wraps(func)
    def wrapper_fn(*args):
        return _jacobian(func, args, argnums, has_aux, forward=False)

    return wrapper_fn


def jacfwd(func, argnums=0, has_aux=False, *, randomness="error"):
    """The Jacobian of ``func`` with respect to argument(s) ``argnums``, laid out as
    :func:`jacrev`'s (same values: Lanterna computes it by reverse mode too).
    ``randomness='error'`` raises if ``func`` draws from the default CPU generator."""

    @functools.wraps(func)
    def wrapper_fn(*args):
        from ._vmap import RandomnessGuard, check_randomness_arg

        check_randomness_arg(randomness)
        guard = RandomnessGuard(randomness)
        result = _jacobian(func, args, argnums, has_aux, forward=True)
        guard.check()
        return result

    return wrapper_fn


def hessian(func, argnums=0):
    """The Hessian of a scalar ``func`` with respect to argument(s) ``argnums``:
    ``jacfwd(jacrev(func, argnums), argnums)``."""
    return jacfwd(jacrev(func, argnums), argnums)


def _jacobian(func, args, argnums, has_aux, forward):
    api = _JVP if forward else "vjp(f, *primals)"
    level = _Level()
    with level:
        argnums = _normalize_argnums(argnums, len(args))
        positions = (argnums,) if isinstance(argnums, int) else argnums
        primals = tuple(args[i] for i in positions)
        flat_primals, primals_spec = tree_flatten(primals)
        if forward:
            for p in flat_primals:
                if isinstance(p, _Tensor()):
                    _check_primal(p)
        fresh = [level.differentiable(x) for x in flat_primals]
        output = func(*_replace_args(args, positions, tree_unflatten(fresh, primals_spec)))
        aux = None
        if has_aux:
            output, aux = _split_aux(output, api)
        flat_output, output_spec = tree_flatten(output)
        _check_tensor_outputs(flat_output, api)
        if not forward:
            _check_float_outputs(flat_output)
        tracking = level.tracks(flat_output)
        per_output = [_jacobian_of(o, fresh, tracking) for o in flat_output]
    per_output = [[level.release(j, tracking) for j in jacs] for jacs in per_output]
    # each output's Jacobians, nested like the differentiated arguments
    nested = [tree_unflatten(jacs, primals_spec) for jacs in per_output]
    if isinstance(argnums, int):
        nested = [n[0] for n in nested]
    result = tree_unflatten(nested, output_spec)
    if has_aux:
        return result, level.release_aux(aux, tracking)
    return result


def _jacobian_of(output, inputs, tracking):
    """``d output / d input`` for each input, shaped ``output.shape + input.shape``: one
    reverse pass per element of ``output``, its cotangent a row of the identity."""
    from ..ops.creation import eye
    from ..ops.joining import stack

    out_shape = tuple(output.shape)
    n = output.numel()
    if n == 0 or not output.requires_grad or not output.dtype.is_floating_point:
        # nothing to differentiate: zeros (a non-float output keeps its dtype, as jacfwd's)
        dtype = None if output.dtype.is_floating_point else output.dtype
        return [x.new_zeros(out_shape + tuple(x.shape), dtype=dtype or x.dtype) for x in inputs]
    basis = eye(n, dtype=output.dtype, device=output.device)
    rows = [_autograd_grad([output], inputs, [basis[k].reshape(out_shape)], retain_graph=True,
                           create_graph=tracking) for k in range(n)]
    return [stack([r[i] for r in rows]).reshape(out_shape + tuple(x.shape)) for i, x in enumerate(inputs)]
