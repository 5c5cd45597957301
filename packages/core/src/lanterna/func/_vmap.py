"""``torch.vmap`` / ``torch.func.vmap``: map a function over a dimension of its inputs.

Lanterna runs the function once per batch element (each input sliced with ``select`` along its
``in_dim``) and stacks the results along ``out_dims``. The results, errors and composition with
the other transforms (``vmap(grad(f))``, nested ``vmap``) are PyTorch's; there is no batching
speed-up, and code that PyTorch's vmap refuses (``.item()``, data-dependent control flow) runs.

>>> import lanterna as torch
>>> torch.vmap(torch.dot)(torch.ones(2, 3), torch.ones(2, 3))
tensor([3., 3.])
"""

from __future__ import annotations

import functools

from ._pytree import broadcast_to_and_flatten, tree_flatten, tree_unflatten

__all__ = ["vmap"]

_RANDOMNESS = ("error", "different", "same")


def _Tensor():
    from .._tensor import Tensor

    return Tensor


def _get_name(func):
    if hasattr(func, "__name__"):
        return func.__name__
    if isinstance(func, functools.partial):
        return f"functools.partial({_get_name(func.func)}, ...)"
    return repr(func)  # a module or other callable object


def check_randomness_arg(randomness):
    if randomness not in _RANDOMNESS:
        raise RuntimeError(
            f"Only allowed values for randomness are 'error', 'different', or 'same'. Got {randomness}"
        )


class RandomnessGuard:
    """PyTorch's ``randomness`` modes for a function run once per batch element.

    ``'error'``: a random draw from the default CPU generator raises (checked after the runs);
    ``'same'``: every element sees the generator state of the first, so draws repeat (the state
    afterwards is that after one run, as in PyTorch); ``'different'``: nothing to do.
    """

    def __init__(self, randomness):
        self.mode = randomness
        self.state = None if randomness == "different" else self._state()

    @staticmethod
    def _state():
        from .. import _rng

        return _rng.default_generator.get_state()

    def before(self, index):
        if self.mode == "same" and index:
            from .. import _rng

            _rng.default_generator.set_state(self.state)

    def check(self):
        if self.mode == "error" and not (self._state() == self.state).all():
            raise RuntimeError(
                "vmap: called random operation while in randomness error mode. Please either use the 'same' or "
                "'different' randomness flags on vmap or perform the randomness operation out of vmap"
            )


def vmap(func, in_dims=0, out_dims=0, randomness="error", *, chunk_size=None):
    """Return ``func`` mapped over dimension ``in_dims`` of its inputs, the results stacked at
    ``out_dims``.

    ``in_dims``/``out_dims``: an int, or a (nested) tuple matching the inputs/outputs, with None
    for an input that is not mapped (passed whole to every call) or an output that is the same
    for every element. Keyword arguments are never mapped. ``chunk_size`` is accepted (the
    elements run one at a time anyway). ``randomness='error'`` detects draws from the default
    CPU generator only.
    """
    check_randomness_arg(randomness)
    if not (chunk_size is None or chunk_size > 0):
        raise ValueError(f"vmap: chunk_size should be None or greater than 0. (got {chunk_size})")

    @functools.wraps(func)
    def wrapped(*args, **kwargs):
        return _vmap_impl(func, in_dims, out_dims, randomness, args, kwargs)

    return wrapped


def _process_batched_inputs(in_dims, args, func):
    """``(batch_size, flat_in_dims, flat_args, args_spec)``, with PyTorch's argument errors."""
    Tensor = _Tensor()
    name = _get_name(func)
    if not isinstance(in_dims, (int, tuple)):
        raise ValueError(
            f"vmap({name}, in_dims={in_dims}, ...)(<inputs>): expected `in_dims` to be int or a (potentially "
            f"nested) tuple matching the structure of inputs, got: {type(in_dims)}."
        )
    if len(args) == 0:
        raise ValueError(
            f"vmap({name})(<inputs>): got no inputs. Maybe you forgot to add inputs, or you are trying to vmap "
            "over a function with no inputs. The latter is unsupported."
        )
    flat_args, args_spec = tree_flatten(args)
    flat_in_dims = broadcast_to_and_flatten(in_dims, args_spec)
    if flat_in_dims is None:
        raise ValueError(
            f"vmap({name}, in_dims={in_dims}, ...)(<inputs>): in_dims is not compatible with the structure of "
            f"`inputs`. in_dims has structure {tree_flatten(in_dims)[1]} but inputs has structure {args_spec}."
        )
    for i, (arg, in_dim) in enumerate(zip(flat_args, flat_in_dims)):
        if not isinstance(in_dim, int) and in_dim is not None:
            raise ValueError(
                f"vmap({name}, in_dims={in_dims}, ...)(<inputs>): Got in_dim={in_dim} for an input but in_dim "
                "must be either an integer dimension or None."
            )
        if isinstance(in_dim, int) and not isinstance(arg, Tensor):
            raise ValueError(
                f"vmap({name}, in_dims={in_dims}, ...)(<inputs>): Got in_dim={in_dim} for an input but the input "
                f"is of type {type(arg)}. We cannot vmap over non-Tensor arguments, please use None as the "
                "respective in_dim"
            )
        if in_dim is not None and not -arg.dim() <= in_dim < arg.dim():
            raise ValueError(
                f"vmap({name}, in_dims={in_dims}, ...)(<inputs>): Got in_dim={in_dim} for some input, but that "
                f"input is a Tensor of dimensionality {arg.dim()} so expected in_dim to satisfy "
                f"-{arg.dim()} <= in_dim < {arg.dim()}."
            )
        if in_dim is not None and in_dim < 0:
            flat_in_dims[i] = in_dim % arg.dim()
    sizes = [arg.size(d) for d, arg in zip(flat_in_dims, flat_args) if d is not None]
    if not sizes:
        raise ValueError("vmap: Expected at least one Tensor to vmap over")
    if any(s != sizes[0] for s in sizes):
        raise ValueError(
            "vmap: Expected all tensors to have the same size in the mapped dimension, got sizes "
            f"{sizes} for the mapped dimension"
        )
    return sizes[0], flat_in_dims, flat_args, args_spec


def _check_out_dims(out_dims, func):
    if isinstance(out_dims, int):
        return
    for d in tree_flatten(out_dims)[0]:
        if not (d is None or isinstance(d, int)):
            raise ValueError(
                f"vmap({_get_name(func)}, ..., out_dims={out_dims}): `out_dims` must be an int, None or a python "
                "collection of ints representing where in the outputs the vmapped dimension should appear."
            )


def _vmap_impl(func, in_dims, out_dims, randomness, args, kwargs):
    _check_out_dims(out_dims, func)
    batch_size, flat_in_dims, flat_args, args_spec = _process_batched_inputs(in_dims, args, func)
    if batch_size == 0:
        return _empty_batch(func, flat_in_dims, flat_args, args_spec, out_dims, kwargs)
    guard = RandomnessGuard(randomness)
    outputs = []
    for i in range(batch_size):
        guard.before(i)
        element = [arg if d is None else arg.select(d, i) for arg, d in zip(flat_args, flat_in_dims)]
        outputs.append(func(*tree_unflatten(element, args_spec), **kwargs))
    guard.check()
    return _stack_outputs(outputs, out_dims, func)


def _flat_out_dims(output, out_dims, out_spec, func):
    """One out_dim per output leaf (PyTorch's rules: a lone Tensor takes an int or a 1-tuple)."""

    def incompatible():
        return ValueError(
            f"vmap({_get_name(func)}, ..., out_dims={out_dims})(<inputs>): out_dims is not compatible with the "
            f"structure of `outputs`. out_dims has structure {tree_flatten(out_dims)[1]} but outputs has "
            f"structure {out_spec}."
        )

    if isinstance(output, _Tensor()):
        if isinstance(out_dims, int) or out_dims is None:
            return [out_dims]
        if isinstance(out_dims, tuple) and len(out_dims) == 1:
            return list(out_dims)
        raise incompatible()
    flat = broadcast_to_and_flatten(out_dims, out_spec)
    if flat is None:
        raise incompatible()
    return flat


def _same_for_all(values):
    """Whether an output is equal for every element (so it is not mapped: out_dim None is valid)."""
    first = values[0]
    for v in values[1:]:
        if v is first:
            continue
        if v.shape != first.shape or v.dtype != first.dtype:
            return False
        differ = (v != first) & ((v == v) | (first == first))  # NaN == NaN here
        if bool(differ.any()):
            return False
    return True


def _stack_outputs(outputs, out_dims, func):
    from ..ops.joining import stack

    Tensor = _Tensor()
    name = _get_name(func)
    flat_first, out_spec = tree_flatten(outputs[0])
    columns = [[x] for x in flat_first]
    for out in outputs[1:]:
        flat, spec = tree_flatten(out)
        if spec != out_spec:
            raise ValueError(
                f"vmap({name}, ...): `{name}` returned outputs of different structures for different batch "
                f"elements: {out_spec} and {spec}"
            )
        for column, x in zip(columns, flat):
            column.append(x)
    flat_out_dims = _flat_out_dims(outputs[0], out_dims, out_spec, func)
    results = []
    for column, out_dim in zip(columns, flat_out_dims):
        if out_dim is None:
            if isinstance(column[0], Tensor) and not _same_for_all(column):
                raise ValueError(f"vmap({name}, ...): `{name}` can not return a BatchedTensor when out_dim is None")
            results.append(column[0])
            continue
        if not isinstance(column[0], Tensor):
            raise ValueError(
                f"vmap({name}, ...): `{name}` must only return Tensors, got type {type(column[0])}. "
                "Did you mean to set out_dims= to None for output?"
            )
        results.append(stack(column, dim=out_dim))
    return tree_unflatten(results, out_spec)


def _empty_batch(func, flat_in_dims, flat_args, args_spec, out_dims, kwargs):
    """A batch of size 0: run ``func`` once on zeros shaped like one element to learn the output
    structure and shapes, and return outputs with 0 at ``out_dims``."""
    from ..ops.joining import stack

    element = []
    for arg, d in zip(flat_args, flat_in_dims):
        if d is None:
            element.append(arg)
        else:
            shape = tuple(arg.shape)
            element.append(arg.new_zeros(shape[:d] + shape[d + 1:]))
    output = func(*tree_unflatten(element, args_spec), **kwargs)
    flat, out_spec = tree_flatten(output)
    results = []
    for x, out_dim in zip(flat, _flat_out_dims(output, out_dims, out_spec, func)):
        if out_dim is None:
            results.append(x)
        elif not isinstance(x, _Tensor()):
            name = _get_name(func)
            raise ValueError(
                f"vmap({name}, ...): `{name}` must only return Tensors, got type {type(x)}. "
                "Did you mean to set out_dims= to None for output?"
            )
        else:
            results.append(stack([x], dim=out_dim).narrow(out_dim, 0, 0).clone())
    return tree_unflatten(results, out_spec)
