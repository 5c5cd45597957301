"""PyTorch's TypeErrors for arguments of the wrong type (``torch.exp(1.5)``, ``torch.sum([1, 2])``).

PyTorch's argument parser checks types before anything runs; Lanterna checks only ``isinstance(input,
Tensor)`` at the top of a public function and builds the message here, on the failure path, so a
successful call pays nothing more.

>>> import lanterna as torch
>>> torch.exp(1.5)
Traceback (most recent call last):
    ...
TypeError: exp(): argument 'input' (position 1) must be Tensor, not float
"""

from __future__ import annotations

import re

from .._tensor import Tensor

_HEAPTYPE = 1 << 9  # Py_TPFLAGS_HEAPTYPE: classes defined in Python


def type_name(value):
    """The name PyTorch's parser gives the type of ``value``: the C type's ``tp_name``, which for
    extension types includes the module (``numpy.ndarray``) and for builtins and Python classes
    is the bare name (``float``, ``MyClass``)."""
    if isinstance(value, Tensor):
        return "Tensor"
    t = type(value)
    if t.__flags__ & _HEAPTYPE or t.__module__ == "builtins":
        return t.__name__
    return f"{t.__module__}.{t.__qualname__}"


def not_a_tensor(name, value, arg="input", position=1):
    """``name(): argument 'input' (position 1) must be Tensor, not float``, to raise."""
    return TypeError(f"{name}(): argument '{arg}' (position {position}) must be Tensor, not {type_name(value)}")


def no_attribute(value, attr):
    """The AttributeError Python raises for ``value.attr``: what PyTorch's Python-level functions
    (``torch.norm``, ``torch.split``) leak for a non-tensor, reproduced here."""
    return AttributeError(f"'{type_name(value)}' object has no attribute '{attr}'")


def invalid_combination(name, args, signatures, kwargs=None):
    """PyTorch's TypeError for arguments that fit none of an op's overloads.

    ``args`` are the positional arguments as given; ``kwargs`` the keyword ones that differ from
    their defaults. ``signatures`` are the overloads in PyTorch's wording; each one with purely
    positional parameter types (a tuple ``(text, types)``) also gets PyTorch's "didn't match" line
    marking the arguments of the wrong type; one with as many parameters as were passed, the line
    naming the keywords it lacks. (PyTorch prints these lines in a few more cases, not followed.)
    """
    got = [type_name(a) for a in args] + [f"{k}={type_name(v)}" for k, v in (kwargs or {}).items()]
    lines = [f"{name}() received an invalid combination of arguments - got ({', '.join(got)}), "
             "but expected one of:"]
    for sig in signatures:
        text, types = sig if isinstance(sig, tuple) else (sig, None)
        lines.append(f" * ({text})")
        if types is not None and not kwargs and len(args) == len(types):
            marked = [type_name(a) if _fits(a, t) else f"!{_describe(a)}!" for a, t in zip(args, types)]
            lines.append(f"      didn't match because some of the arguments have invalid types: ({', '.join(marked)})")
        unknown = [k for k in (kwargs or ()) if not re.search(rf"\b{re.escape(k)}\b", text)]
        # keywords this overload lacks (PyTorch names them only for an overload without ``out``)
        if unknown and len(args) + len(kwargs) == _arity(text) and " out = None" not in text:
            lines.append(f"      didn't match because some of the keywords were incorrect: {', '.join(unknown)}")
    return TypeError("\n".join(lines) + "\n")


def given(first, *optional, **keyword_only):
    """The arguments a call most likely passed, as ``(args, kwargs)`` (PyTorch's message lists
    what was passed): ``first`` and the ``(name, value, default)`` triples up to the first one left
    at its default as positional, later ones not at their default as keywords, and the
    ``keyword_only`` ones that are not None."""
    args, kwargs, skipped = [first], {}, False
    for name, value, default in optional:
        if value is default:
            skipped = True
        elif skipped:
            kwargs[name] = value
        else:
            args.append(value)
    kwargs.update((k, v) for k, v in keyword_only.items() if v is not None)
    return tuple(args), kwargs or None


def _describe(value):
    """How PyTorch's "didn't match" line shows an argument: a list or tuple with its items' types."""
    if isinstance(value, list):
        return f"list of [{', '.join(type_name(v) for v in value)}]"
    if isinstance(value, tuple):
        return f"tuple of ({', '.join(type_name(v) for v in value)})"
    return type_name(value)


def _arity(signature):
    """How many parameters an overload has, ``out`` left aside."""
    return sum(1 for p in signature.split(", ") if p != "*" and not p.split(" = ")[0].endswith(" out"))


def _fits(value, kind):
    if kind == "Tensor":
        return isinstance(value, Tensor)
    if kind == "int":  # PyTorch's parser takes no bool (nor float) for an int
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "Number":  # PyTorch's "didn't match" line marks even a number given for a Number
        return False
    return True
