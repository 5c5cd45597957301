"""The deprecated ``size_average``/``reduce`` loss arguments, mapped onto ``reduction``."""

from __future__ import annotations

import warnings


def legacy_get_string(size_average, reduce, emit_warning=True):
    """``reduction`` string equivalent to the legacy pair (both default to True)."""
    if size_average is None:
        size_average = True
    if reduce is None:
        reduce = True
    if size_average and reduce:
        ret = "mean"
    elif reduce:
        ret = "sum"
    else:
        ret = "none"
    if emit_warning:
        warnings.warn(
            f"size_average and reduce args will be deprecated, please use reduction='{ret}' instead.",
            stacklevel=3,
        )
    return ret


def resolve(size_average, reduce, reduction):
    """The reduction to use: the legacy arguments win when either is given."""
    if size_average is not None or reduce is not None:
        return legacy_get_string(size_average, reduce)
    return reduction
