"""Tensor ``repr`` formatting that reproduces PyTorch's output character for character.

The functions here work on plain NumPy arrays plus a little metadata (the torch dtype
name, device, autograd info), so they do not depend on the ``Tensor`` class. The
algorithm follows ``torch/_tensor_str.py`` (PyTorch 2.13): one formatter decides the
width and notation for the whole tensor, then the nested-list text is laid out and the
``dtype=...`` style suffixes are appended.
"""

import contextlib
import dataclasses
import math
from collections.abc import Iterator
from typing import Any

import numpy as np

__all__ = [
    "PRINT_OPTS",
    "PrintOptions",
    "format_tensor",
    "get_printoptions",
    "printoptions",
    "set_printoptions",
]


@dataclasses.dataclass
class PrintOptions:
    precision: int = 4
    threshold: float = 1000
    edgeitems: int = 3
    linewidth: int = 80
    sci_mode: bool | None = None


PRINT_OPTS = PrintOptions()

# Profiles accepted by ``set_printoptions(profile=...)``; as in torch they do not
# touch ``sci_mode``.
_PROFILES: dict[str, dict[str, float]] = {
    "default": {"precision": 4, "threshold": 1000, "edgeitems": 3, "linewidth": 80},
    "short": {"precision": 2, "threshold": 1000, "edgeitems": 2, "linewidth": 80},
    "full": {"precision": 4, "threshold": math.inf, "edgeitems": 3, "linewidth": 80},
}


def set_printoptions(
    precision: int | None = None,
    threshold: float | None = None,
    edgeitems: int | None = None,
    linewidth: int | None = None,
    profile: str | None = None,
    sci_mode: bool | None = None,
) -> None:
    """Set options for printing tensors (same semantics as ``torch.set_printoptions``)."""
    if profile is not None and profile in _PROFILES:
        for name, value in _PROFILES[profile].items():
            setattr(PRINT_OPTS, name, value)
    for name, value in (
        ("precision", precision),
        ("threshold", threshold),
        ("edgeitems", edgeitems),
        ("linewidth", linewidth),
    ):
        if value is not None:
            setattr(PRINT_OPTS, name, value)
    # torch resets sci_mode on every call, even when it is not passed.
    PRINT_OPTS.sci_mode = sci_mode


def get_printoptions() -> dict[str, Any]:
    """Current options as a dict that can be passed back to ``set_printoptions``."""
    return dataclasses.asdict(PRINT_OPTS)


@contextlib.contextmanager
def printoptions(**kwargs: Any) -> Iterator[None]:
    """Temporarily change the print options (like ``torch._tensor_str.printoptions``)."""
    old = get_printoptions()
    set_printoptions(**kwargs)
    try:
        yield
    finally:
        set_printoptions(**old)


class _Formatter:
    """Chooses one notation and column width for every element of a tensor.

    ``values`` is the (summarised) data that will actually be shown, so that hidden
    elements do not influence the width, exactly as in torch.
    """

    def __init__(self, values: np.ndarray) -> None:
        self.floating = values.dtype.kind == "f"
        self.int_mode = True
        self.sci_mode = False
        self.max_width = 1

        if not self.floating:
            for value in values.ravel().tolist():
                self.max_width = max(self.max_width, len(f"{value}"))
            return

        # torch measures in double precision: half/bfloat16 would overflow at 1e8.
        flat = values.ravel().astype(np.float64)
        nonzero_finite = flat[np.isfinite(flat) & (flat != 0)]
        if nonzero_finite.size == 0:
            # Only zeros, nan and inf: keep int mode ("0.", "nan") and width 1.
            return

        magnitudes = np.abs(nonzero_finite)
        smallest = float(magnitudes.min())
        largest = float(magnitudes.max())
        self.int_mode = bool(np.all(nonzero_finite == np.ceil(nonzero_finite)))
        if PRINT_OPTS.sci_mode is None:
            self.sci_mode = (
                largest / smallest > 1000.0 or largest > 1.0e8 or smallest < 1.0e-4
            )
        else:
            self.sci_mode = PRINT_OPTS.sci_mode

        # Widths come from the nonzero finite values only; zeros and non-finite
        # values may therefore print narrower or wider than the column (torch too).
        precision = PRINT_OPTS.precision
        for value in nonzero_finite.tolist():
            if self.sci_mode:
                width = len(f"{value:.{precision}e}")
            elif self.int_mode:
                width = len(f"{value:.0f}") + 1  # +1 for the trailing "."
            else:
                width = len(f"{value:.{precision}f}")
            self.max_width = max(self.max_width, width)

    def format(self, value: float) -> str:
        if self.floating:
            precision = PRINT_OPTS.precision
            if self.sci_mode:
                text = f"{value:{self.max_width}.{precision}e}"
            elif self.int_mode:
                # The trailing "." marks the value as floating point ("1.", "-0.").
                text = f"{value:.0f}"
                if math.isfinite(value):
                    text += "."
            else:
                text = f"{value:.{precision}f}"
        else:
            text = f"{value}"
        return text.rjust(self.max_width)


# A pair of formatters: (real,) for real tensors, (real, imag) for complex ones.
_Formatters = tuple[_Formatter, ...]


def _format_value(value: Any, formatters: _Formatters) -> str:
    if len(formatters) == 1:
        return formatters[0].format(value)
    real = formatters[0].format(value.real)
    imag = (formatters[1].format(value.imag) + "j").lstrip()
    # A negative imaginary part brings its own sign ("1.-2.j"); otherwise add "+".
    if imag[0] in "+-":
        return real + imag
    return real + "+" + imag


def _summarized_data(array: np.ndarray) -> np.ndarray:
    """The elements that stay visible after summarisation (torch's get_summarized_data)."""
    edge = PRINT_OPTS.edgeitems
    if array.ndim == 0:
        return array
    if array.ndim == 1:
        if array.shape[0] > 2 * edge:
            # With edgeitems == 0 torch's ``self[-0:]`` is the whole vector, which we
            # reproduce so that the (invisible) width computation still matches.
            return np.concatenate((array[:edge], array[-edge:] if edge else array))
        return array
    if not edge:
        return array[(slice(0, 0),) * array.ndim]
    if array.shape[0] > 2 * edge:
        rows = list(range(edge)) + list(range(array.shape[0] - edge, array.shape[0]))
    else:
        rows = list(range(array.shape[0]))
    return np.stack([_summarized_data(array[i]) for i in rows])


def _vector_str(
    array: np.ndarray, indent: int, summarize: bool, formatters: _Formatters
) -> str:
    # Every element takes its width plus ", "; complex adds the imag part and "j".
    element_length = formatters[0].max_width + 2
    if len(formatters) == 2:
        element_length += formatters[1].max_width + 1
    per_line = max(1, math.floor((PRINT_OPTS.linewidth - indent) / element_length))

    edge = PRINT_OPTS.edgeitems
    if summarize and not edge:
        data = ["..."]
    elif summarize and array.shape[0] > 2 * edge:
        data = (
            [_format_value(v, formatters) for v in array[:edge].tolist()]
            + [" ..."]
            + [_format_value(v, formatters) for v in array[-edge:].tolist()]
        )
    else:
        data = [_format_value(v, formatters) for v in array.tolist()]

    lines = [", ".join(data[i : i + per_line]) for i in range(0, len(data), per_line)]
    return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"


def _nested_str(
    array: np.ndarray, indent: int, summarize: bool, formatters: _Formatters
) -> str:
    if array.ndim == 0:
        return _format_value(array.item(), formatters)
    if array.ndim == 1:
        return _vector_str(array, indent, summarize, formatters)

    edge = PRINT_OPTS.edgeitems
    size = array.shape[0]
    if summarize and size > 2 * edge:
        head = [
            _nested_str(array[i], indent + 1, summarize, formatters)
            for i in range(edge)
        ]
        tail = [
            _nested_str(array[i], indent + 1, summarize, formatters)
            for i in range(size - edge, size)
        ]
        slices = head + ["..."] + tail
    else:
        slices = [
            _nested_str(array[i], indent + 1, summarize, formatters)
            for i in range(size)
        ]
    # Slices of an n-D tensor are separated by n - 1 newlines (a blank line per
    # extra dimension), then indented under the opening bracket.
    separator = "," + "\n" * (array.ndim - 1) + " " * (indent + 1)
    return "[" + separator.join(slices) + "]"


def _tensor_str(array: np.ndarray, indent: int) -> str:
    if array.size == 0:
        return "[]"
    summarize = array.size > PRINT_OPTS.threshold
    shown = _summarized_data(array) if summarize else array
    if np.iscomplexobj(array):
        formatters: _Formatters = (_Formatter(shown.real), _Formatter(shown.imag))
    else:
        formatters = (_Formatter(shown),)
    return _nested_str(array, indent, summarize, formatters)


def _add_suffixes(tensor_str: str, suffixes: list[str], indent: int) -> str:
    """Append ``, suffix`` items, moving one to a new line when it would not fit."""
    parts = [tensor_str]
    # torch's arithmetic (including its +1 when there is no newline) kept verbatim,
    # since it decides where the wraps happen.
    last_line_len = len(tensor_str) - tensor_str.rfind("\n") + 1
    for suffix in suffixes:
        if last_line_len + len(suffix) + 2 > PRINT_OPTS.linewidth:
            parts.append(",\n" + " " * indent + suffix)
            last_line_len = indent + len(suffix)
        else:
            parts.append(", " + suffix)
            last_line_len += len(suffix) + 2
    parts.append(")")
    return "".join(parts)


def format_tensor(
    array: np.ndarray,
    *,
    dtype_name: str,
    default_float_dtype_name: str = "float32",
    device: str | None = None,
    grad_fn_name: str | None = None,
    requires_grad: bool = False,
    prefix: str = "tensor(",
    tensor_contents: str | None = None,
) -> str:
    """Return what ``repr()`` of the equivalent torch tensor prints.

    ``dtype_name`` is the torch dtype without ``torch.`` (bfloat16 data is passed as a
    float32 array). ``prefix`` is ``"tensor("`` for plain tensors and parameters; torch
    uses ``"<SubclassName>("`` for tensor subclasses and ``"nested_tensor("``.
    ``tensor_contents`` (torch's ``Tensor.__repr__(tensor_contents=...)``) replaces the
    printed values; the suffixes are still chosen from the real tensor.
    """
    array = np.asarray(array)
    indent = len(prefix)
    suffixes = []
    dtype_suffix = f"dtype=torch.{dtype_name}"
    size_suffix = f"size={tuple(int(n) for n in array.shape)}"
    tensor_str = tensor_contents

    # Only a non-CPU device is printed (torch: one that differs from the default).
    if device is not None and device != "cpu":
        suffixes.append(f"device='{device}'")

    if device == "meta":
        # Meta tensors have no data to show.
        tensor_str = "..." if tensor_str is None else tensor_str
        suffixes.append(size_suffix)
        if dtype_name != default_float_dtype_name:
            suffixes.append(dtype_suffix)
    elif array.size == 0:
        # The shape of an empty tensor is only implied by "[]" when it is (0,).
        if array.ndim != 1:
            suffixes.append(size_suffix)
        # With no elements the dtype cannot be guessed, so even int64 is shown.
        if dtype_name != default_float_dtype_name:
            suffixes.append(dtype_suffix)
        tensor_str = "[]" if tensor_str is None else tensor_str
    else:
        if not PRINT_OPTS.edgeitems:
            suffixes.append(size_suffix)
        # These dtypes are implied by the printed values, so torch omits them.
        complex_name = (
            "complex128" if default_float_dtype_name == "float64" else "complex64"
        )
        implied = {default_float_dtype_name, complex_name, "int64", "bool"}
        if dtype_name not in implied:
            suffixes.append(dtype_suffix)
        tensor_str = _tensor_str(array, indent) if tensor_str is None else tensor_str

    if grad_fn_name is not None:
        suffixes.append(f"grad_fn=<{grad_fn_name}>")
    elif requires_grad:
        suffixes.append("requires_grad=True")

    return _add_suffixes(prefix + tensor_str, suffixes, indent)
