"""Collation: samples become a batch (``default_collate``); arrays become tensors (``default_convert``).

Dispatch is by ``default_collate_fn_map`` (element type -> function), then by container kind,
exactly as in PyTorch, so custom types can be added by updating the map.
"""

from __future__ import annotations

import collections.abc
import copy
import re

import lanterna
import numpy as np

# NumPy dtypes that hold strings or objects: not convertible to tensors
np_str_obj_array_pattern = re.compile(r"[SaUO]")

default_collate_err_msg_format = (
    "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; found {}"
)


def _map_like(data, convert):
    """``data``'s mapping type with each value converted; a plain dict if that type cannot be rebuilt."""
    try:
        if isinstance(data, collections.abc.MutableMapping):
            clone = copy.copy(data)
            clone.update({key: convert(key) for key in data})
            return clone
        return type(data)({key: convert(key) for key in data})
    except TypeError:
        return {key: convert(key) for key in data}


def _sequence_like(data, items):
    """``data``'s sequence type holding ``items``; a list if that type cannot be rebuilt."""
    items = list(items)
    try:
        if isinstance(data, collections.abc.MutableSequence):
            clone = copy.copy(data)
            for i, item in enumerate(items):
                clone[i] = item
            return clone
        return type(data)(items)
    except TypeError:
        return items


def default_convert(data):
    """Convert every NumPy array or scalar inside ``data`` to a tensor, keeping the structure.

    Used as ``collate_fn`` when automatic batching is off (``batch_size=None``). Tuples become lists
    (PyTorch's backward-compatible behaviour); namedtuples stay namedtuples.

    >>> import numpy as np
    >>> default_convert(0)
    0
    >>> default_convert(np.array([0, 1]))
    tensor([0, 1])
    >>> default_convert((np.array(0), "a"))
    [tensor(0), 'a']
    """
    elem_type = type(data)
    if isinstance(data, lanterna.Tensor):
        return data
    if elem_type.__module__ == "numpy" and elem_type.__name__ not in ("str_", "string_"):
        if elem_type.__name__ == "ndarray" and np_str_obj_array_pattern.search(data.dtype.str) is not None:
            return data
        return lanterna.as_tensor(data)
    if isinstance(data, collections.abc.Mapping):
        return _map_like(data, lambda key: default_convert(data[key]))
    if isinstance(data, tuple) and hasattr(data, "_fields"):  # namedtuple
        return elem_type(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, (str, bytes)):
        return _sequence_like(data, (default_convert(d) for d in data))
    return data


def collate(batch, *, collate_fn_map=None):
    """Collate ``batch`` (a list of samples) using ``collate_fn_map`` for leaf types.

    An element type found in ``collate_fn_map`` (exactly, then by ``isinstance`` in insertion
    order) is handled by its function; mappings, namedtuples and sequences are collated field by
    field; anything else is a TypeError.

    >>> def as_list(batch, *, collate_fn_map=None):
    ...     return list(batch)
    >>> collate([(1, 2), (3, 4)], collate_fn_map={int: as_list})
    [[1, 3], [2, 4]]
    """
    elem = batch[0]
    elem_type = type(elem)

    if collate_fn_map is not None:
        if elem_type in collate_fn_map:
            return collate_fn_map[elem_type](batch, collate_fn_map=collate_fn_map)
        for collate_type in collate_fn_map:
            if isinstance(elem, collate_type):
                return collate_fn_map[collate_type](batch, collate_fn_map=collate_fn_map)

    if isinstance(elem, collections.abc.Mapping):
        return _map_like(elem, lambda key: collate([d[key] for d in batch], collate_fn_map=collate_fn_map))
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # namedtuple
        return elem_type(*(collate(samples, collate_fn_map=collate_fn_map) for samples in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        it = iter(batch)
        elem_size = len(next(it))
        if not all(len(e) == elem_size for e in it):
            raise RuntimeError("each element in list of batch should be of equal size")
        transposed = list(zip(*batch))
        if isinstance(elem, tuple):
            return [collate(samples, collate_fn_map=collate_fn_map) for samples in transposed]
        return _sequence_like(
            elem, (collate(samples, collate_fn_map=collate_fn_map) for samples in transposed)
        )

    raise TypeError(default_collate_err_msg_format.format(elem_type))


def collate_tensor_fn(batch, *, collate_fn_map=None):
    """Tensors are stacked along a new first dimension."""
    return lanterna.stack(batch, 0)


def collate_numpy_array_fn(batch, *, collate_fn_map=None):
    """NumPy arrays become tensors, then are stacked; string and object arrays are rejected."""
    elem = batch[0]
    if np_str_obj_array_pattern.search(elem.dtype.str) is not None:
        raise TypeError(default_collate_err_msg_format.format(elem.dtype))
    return collate([lanterna.as_tensor(b) for b in batch], collate_fn_map=collate_fn_map)


def collate_numpy_scalar_fn(batch, *, collate_fn_map=None):
    """NumPy scalars become a 1-d tensor of their own dtype (``np.float32`` stays float32)."""
    # through one NumPy array, so the dtype is the scalars' own (not the default float dtype)
    return lanterna.as_tensor(np.asarray(batch))


def collate_float_fn(batch, *, collate_fn_map=None):
    """Python floats become a float64 tensor (not the default dtype: no precision is lost)."""
    return lanterna.tensor(batch, dtype=lanterna.float64)


def collate_int_fn(batch, *, collate_fn_map=None):
    """Python ints become an int64 tensor; bools a bool tensor."""
    return lanterna.tensor(batch)


def collate_str_fn(batch, *, collate_fn_map=None):
    """Strings and bytes are kept as a list."""
    return batch


default_collate_fn_map = {lanterna.Tensor: collate_tensor_fn}
default_collate_fn_map[np.ndarray] = collate_numpy_array_fn
default_collate_fn_map[(np.bool_, np.number, np.object_)] = collate_numpy_scalar_fn
default_collate_fn_map[float] = collate_float_fn
default_collate_fn_map[int] = collate_int_fn
default_collate_fn_map[str] = collate_str_fn
default_collate_fn_map[bytes] = collate_str_fn


def default_collate(batch):
    """Stack a list of samples into a batch with a new outer dimension, recursing into containers.

    Tensor -> stacked tensor; NumPy array or scalar -> tensor; float -> float64 tensor;
    int -> int64 tensor; str/bytes -> unchanged list; Mapping -> same mapping of collated values;
    namedtuple -> same namedtuple of collated fields; tuple or list -> list of collated columns.

    >>> default_collate([0, 1, 2, 3])
    tensor([0, 1, 2, 3])
    >>> default_collate(["a", "b", "c"])
    ['a', 'b', 'c']
    >>> default_collate([{"A": 0, "B": 1}, {"A": 100, "B": 100}])
    {'A': tensor([  0, 100]), 'B': tensor([  1, 100])}
    >>> default_collate([(0, 1.5), (2, 3.5)])
    [tensor([0, 2]), tensor([1.5000, 3.5000], dtype=torch.float64)]
    """
    return collate(batch, collate_fn_map=default_collate_fn_map)
