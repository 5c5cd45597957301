"""Read and write the safetensors format (Hugging Face's tensor files) in pure Python and NumPy.

A safetensors file is an 8-byte little-endian header length ``N``, ``N`` bytes of JSON
(``{"name": {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}, "__metadata__":
{...}}``), then the raw little-endian bytes of every tensor. It holds no code at all, so it is
safe to load from anywhere; the reader below also checks that every tensor's bytes lie inside the
file, match its shape, and that the tensors cover the data without gaps or overlaps.

The functions mirror ``safetensors.torch``: :func:`save_file`, :func:`load_file`, :func:`save`
and :func:`load`. Differences: bfloat16 tensors load as float32 (lanterna has no bfloat16), and
tensors that share memory are written as separate copies (``safetensors.torch`` refuses them).

>>> import lanterna as torch
>>> from lanterna.utils.safetensors import save, load
>>> load(save({"w": torch.ones(2, 2)}))
{'w': tensor([[1., 1.],
        [1., 1.]])}
"""

from __future__ import annotations

import json
import os

import numpy as np

_MAX_HEADER = 100_000_000  # as the reference implementation: refuse absurd headers

_CODES = {  # safetensors dtype -> (file dtype, lanterna dtype name)
    "BOOL": ("?", "bool"),
    "U8": ("u1", "uint8"),
    "I8": ("i1", "int8"),
    "I16": ("<i2", "int16"),
    "I32": ("<i4", "int32"),
    "I64": ("<i8", "int64"),
    "F16": ("<f2", "float16"),
    "F32": ("<f4", "float32"),
    "F64": ("<f8", "float64"),
    "BF16": ("<u2", "float32"),
}
_SIZES = {"U16": 2, "U32": 4, "U64": 8, "F8_E4M3": 1, "F8_E5M2": 1, "C64": 8, "C128": 16}
_FOR_DTYPE = {
    "bool": "BOOL",
    "uint8": "U8",
    "int8": "I8",
    "int16": "I16",
    "int32": "I32",
    "int64": "I64",
    "float16": "F16",
    "float32": "F32",
    "float64": "F64",
}


class SafetensorError(ValueError):
    """The bytes are not a valid safetensors file."""


def _host_array(tensor) -> np.ndarray:
    from .. import Tensor

    if not isinstance(tensor, Tensor):
        raise TypeError(f"safetensors stores tensors only, got {type(tensor).__name__}")
    array = np.asarray(tensor.detach()._host(), order="C")  # (ascontiguousarray makes 0-d arrays 1-d)
    return array.astype(array.dtype.newbyteorder("<"), copy=False) if array.dtype.itemsize > 1 else array


def save(tensors: dict, metadata: dict | None = None) -> bytes:
    """The safetensors bytes of ``{name: tensor}`` (``metadata``: str -> str, stored as is).

    >>> import lanterna as torch
    >>> data = save({"b": torch.zeros(3)}, metadata={"format": "pt"})
    >>> n = int.from_bytes(data[:8], "little")
    >>> data[8:8 + n].decode().rstrip()
    '{"__metadata__":{"format":"pt"},"b":{"dtype":"F32","shape":[3],"data_offsets":[0,12]}}'
    """
    if not isinstance(tensors, dict):
        raise TypeError(f"expected a dict of tensors, got {type(tensors).__name__}")
    header: dict = {}
    if metadata is not None:
        if not all(isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()):
            raise ValueError("safetensors metadata must map str to str")
        header["__metadata__"] = dict(metadata)
    arrays, offset = [], 0
    # Larger elements first, then by name (the reference writer's order): keeps data aligned.
    items = sorted(tensors.items(), key=lambda kv: (-_host_itemsize(kv[1]), kv[0]))
    for name, tensor in items:
        if not isinstance(name, str):
            raise TypeError(f"tensor names must be str, got {name!r}")
        array = _host_array(tensor)
        code = _FOR_DTYPE[tensor.dtype.name]
        header[name] = {
            "dtype": code,
            "shape": list(array.shape),
            "data_offsets": [offset, offset + array.nbytes],
        }
        arrays.append(array)
        offset += array.nbytes
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    return b"".join([len(text).to_bytes(8, "little"), text] + [a.tobytes() for a in arrays])


def _host_itemsize(tensor) -> int:
    return getattr(getattr(tensor, "dtype", None), "itemsize", 0)


def save_file(tensors: dict, filename, metadata: dict | None = None) -> None:
    """Write ``{name: tensor}`` to ``filename`` in the safetensors format (atomically)."""
    data = save(tensors, metadata)
    from ..serialization._io import _atomic_write

    _atomic_write(os.fspath(filename), lambda fh, _name: fh.write(data))


def _parse(buffer) -> tuple[dict, int, dict | None]:
    """(header, data start, metadata) of a safetensors buffer, every entry checked."""
    size = len(buffer)
    if size < 8:
        raise SafetensorError("file too small to be safetensors: the 8-byte header length is missing")
    n = int.from_bytes(bytes(buffer[:8]), "little")
    if n > _MAX_HEADER or 8 + n > size:
        raise SafetensorError(f"invalid safetensors header length {n} for a file of {size} bytes")
    try:
        header = json.loads(bytes(buffer[8 : 8 + n]).decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise SafetensorError(f"invalid safetensors JSON header: {exc}") from None
    if not isinstance(header, dict):
        raise SafetensorError("the safetensors header must be a JSON object")
    metadata = header.pop("__metadata__", None)
    if metadata is not None and not (
        isinstance(metadata, dict) and all(isinstance(v, str) for v in metadata.values())
    ):
        raise SafetensorError("safetensors __metadata__ must map str to str")
    start, data_len = 8 + n, size - 8 - n
    spans = []
    for name, info in header.items():
        if not isinstance(info, dict) or set(info) != {"dtype", "shape", "data_offsets"}:
            raise SafetensorError(f"invalid header entry for tensor '{name}'")
        code, shape, offsets = info["dtype"], info["shape"], info["data_offsets"]
        if code not in _CODES and code not in _SIZES:
            raise SafetensorError(f"tensor '{name}' has unknown dtype {code!r}")
        if not (isinstance(shape, list) and all(type(d) is int and d >= 0 for d in shape)):
            raise SafetensorError(f"tensor '{name}' has an invalid shape {shape!r}")
        if not (
            isinstance(offsets, list)
            and len(offsets) == 2
            and all(type(o) is int for o in offsets)
            and 0 <= offsets[0] <= offsets[1] <= data_len
        ):
            raise SafetensorError(
                f"tensor '{name}' has data offsets {offsets!r} outside the {data_len} data bytes"
            )
        numel = int(np.prod(shape, dtype=object)) if shape else 1
        itemsize = np.dtype(_CODES[code][0]).itemsize if code in _CODES else _SIZES[code]
        if offsets[1] - offsets[0] != numel * itemsize:
            raise SafetensorError(
                f"tensor '{name}' of shape {shape} and dtype {code} needs {numel * itemsize} "
                f"bytes, its data offsets span {offsets[1] - offsets[0]}"
            )
        spans.append((offsets[0], offsets[1], name))
    spans.sort()
    end = 0
    for begin, stop, name in spans:
        if begin != end:
            raise SafetensorError(
                f"tensor '{name}' data does not follow the previous tensor's (gap or overlap)"
            )
        end = stop
    if end != data_len:
        raise SafetensorError(f"the tensors cover {end} bytes but the file has {data_len} data bytes")
    return header, start, metadata


def _build(buffer, device="cpu") -> dict:
    import lanterna

    header, start, _ = _parse(buffer)
    out = {}
    for name, info in header.items():
        code = info["dtype"]
        if code not in _CODES:
            raise SafetensorError(f"tensor '{name}' has dtype {code}, which lanterna does not support")
        file_dtype, _ = _CODES[code]
        begin, stop = info["data_offsets"]
        count = (stop - begin) // np.dtype(file_dtype).itemsize
        array = np.frombuffer(buffer, dtype=file_dtype, count=count, offset=start + begin)
        if code == "BF16":
            array = (array.astype(np.uint32) << 16).view(np.float32)
        elif not array.dtype.isnative:
            array = array.astype(array.dtype.newbyteorder("="))
        tensor = lanterna.from_numpy(array.reshape(tuple(info["shape"])))
        out[name] = tensor if str(device) == "cpu" else tensor.to(device)
    return out


def load(data: bytes) -> dict:
    """``{name: tensor}`` from safetensors bytes (the tensors own a copy of the data)."""
    return _build(bytearray(data))


def load_file(filename, device="cpu") -> dict:
    """``{name: tensor}`` from a safetensors file, on ``device``."""
    with open(filename, "rb") as fh:
        buffer = bytearray(fh.read())
    return _build(buffer, device)


def metadata(filename) -> dict | None:
    """The ``__metadata__`` of a safetensors file (None when it has none)."""
    with open(filename, "rb") as fh:
        return _parse(bytearray(fh.read()))[2]
