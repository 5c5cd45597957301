"""lanterna.utils.safetensors: the safetensors format, written and read without the library."""

import json
import struct

import lanterna as torch
import numpy as np
import pytest
from lanterna.utils import safetensors as st


def header_of(data):
    n = int.from_bytes(data[:8], "little")
    return json.loads(data[8 : 8 + n]), 8 + n


def test_layout_matches_the_specification():
    data = st.save({"a": torch.tensor([1.0, 2.0]), "i": torch.tensor([7], dtype=torch.int16)}, {"k": "v"})
    header, start = header_of(data)
    assert start % 8 == 0  # the header is padded with spaces to 8 bytes
    assert header == {
        "__metadata__": {"k": "v"},
        "a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
        "i": {"dtype": "I16", "shape": [1], "data_offsets": [8, 10]},
    }
    assert data[start:] == struct.pack("<2fh", 1.0, 2.0, 7)


def test_roundtrip_every_dtype_and_shape(tmp_path):
    tensors = {
        d.name: (torch.arange(6) % 3).reshape(2, 3).to(d)
        for d in (
            torch.float32,
            torch.float64,
            torch.float16,
            torch.int64,
            torch.int32,
            torch.int16,
            torch.int8,
            torch.uint8,
            torch.bool,
        )
    }
    tensors["scalar"] = torch.tensor(2.5)
    tensors["empty"] = torch.zeros(0, 4)
    tensors["view"] = torch.arange(12.0).reshape(3, 4).t()  # non-contiguous: written contiguously
    st.save_file(tensors, tmp_path / "m.safetensors", metadata={"format": "pt"})
    for out in (st.load_file(tmp_path / "m.safetensors"), st.load(st.save(tensors))):
        assert set(out) == set(tensors)
        for k, v in tensors.items():
            assert (
                out[k].dtype is v.dtype
                and out[k].shape == v.shape
                and np.array_equal(out[k].numpy(), v.numpy())
            )
    assert st.metadata(tmp_path / "m.safetensors") == {"format": "pt"}
    loaded = torch.load(tmp_path / "m.safetensors")  # lanterna.load dispatches on the extension, as torch
    assert loaded["view"].tolist() == tensors["view"].tolist()


def test_bfloat16_loads_as_float32():
    values = np.array([1.5, -2.25, 3.0e38], dtype=np.float32)
    bits = values.view(np.uint32) >> 16  # bfloat16 is the top half of a float32
    head = json.dumps({"w": {"dtype": "BF16", "shape": [3], "data_offsets": [0, 6]}}).encode()
    out = st.load(len(head).to_bytes(8, "little") + head + bits.astype("<u2").tobytes())["w"]
    assert out.dtype is torch.float32
    assert out.tolist() == [1.5, -2.25, float((bits << 16).view(np.float32)[2])]
    assert abs(out.tolist()[2] - 3.0e38) / 3.0e38 < 2**-7


def _file(header, payload=b""):
    head = json.dumps(header).encode()
    return len(head).to_bytes(8, "little") + head + payload


@pytest.mark.parametrize(
    "data,message",
    [
        (b"\x01\x00", "too small"),
        ((10**9).to_bytes(8, "little") + b"{}", "header length"),
        (b"\x04" + bytes(7) + b"nope", "JSON"),
        (_file([1, 2]), "JSON object"),
        (_file({"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}, bytes(4)), "outside"),
        (_file({"w": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}}, bytes(8)), "needs 12 bytes"),
        (_file({"w": {"dtype": "X9", "shape": [1], "data_offsets": [0, 4]}}, bytes(4)), "unknown dtype"),
        (_file({"w": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}}, bytes(4)), "invalid shape"),
        (
            _file(
                {
                    "a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]},
                    "b": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]},
                },
                bytes(4),
            ),
            "gap or overlap",
        ),
        (_file({"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}, bytes(8)), "cover 4 bytes"),
        (_file({"w": {"dtype": "U16", "shape": [1], "data_offsets": [0, 2]}}, bytes(2)), "does not support"),
        (
            _file({"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4], "x": 1}}, bytes(4)),
            "invalid header",
        ),
        (_file({"__metadata__": {"a": 1}}), "metadata"),
    ],
)
def test_malformed_files_are_rejected(data, message):
    with pytest.raises(st.SafetensorError, match=message):
        st.load(data)


def test_save_rejects_non_tensors():
    with pytest.raises(TypeError, match="tensors only"):
        st.save({"x": [1, 2]})
    with pytest.raises(ValueError, match="str to str"):
        st.save({"x": torch.ones(1)}, metadata={"a": 1})
