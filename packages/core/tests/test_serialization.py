"""lanterna.save / lanterna.load round trips: dtypes, views, sharing, containers, files, devices."""

import io
import os
import pickle
import zipfile
from collections import Counter, OrderedDict

import lanterna as torch
import numpy as np
import pytest
from lanterna.backends import Backend
from lanterna.serialization import CheckpointError, write_checkpoint

DTYPES = [
    torch.float32,
    torch.float64,
    torch.float16,
    torch.int64,
    torch.int32,
    torch.int16,
    torch.int8,
    torch.uint8,
    torch.bool,
]


def roundtrip(obj, **load_kwargs):
    buf = io.BytesIO()
    torch.save(obj, buf)
    buf.seek(0)
    return torch.load(buf, **load_kwargs)


def same(a, b):
    return a.dtype is b.dtype and a.shape == b.shape and np.array_equal(a.numpy(), b.numpy())


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_every_dtype_roundtrips(dtype):
    x = (torch.arange(-6, 6) * 7).reshape(3, 4).to(dtype)
    y = roundtrip(x)
    assert same(x, y)
    assert y.stride() == (4, 1) and not y.requires_grad


def test_special_float_values_bit_exact():
    x = torch.tensor([0.0, -0.0, float("inf"), -float("inf"), float("nan"), 1e-45, 3.4e38])
    y = roundtrip(x)
    assert x.numpy().view(np.uint32).tolist() == y.numpy().view(np.uint32).tolist()


def test_shapes_scalars_and_empty():
    for x in (torch.tensor(3.5), torch.zeros(0), torch.zeros(2, 0, 3), torch.ones(1, 1, 1)):
        y = roundtrip(x)
        assert same(x, y)


def test_noncontiguous_views_keep_strides_and_values():
    base = torch.arange(24.0).reshape(2, 3, 4)
    views = {
        "t": base.transpose(0, 2),
        "slice": base[:, 1:, ::2],
        "row": base[1],
        "perm": base.permute(2, 0, 1),
    }
    out = roundtrip(views)
    for k, v in views.items():
        assert same(v, out[k]), k
        assert out[k].stride() == v.stride(), k


def test_shared_storage_saved_once_and_shared_after_load():
    base = torch.arange(1000.0)
    obj = {"a": base, "b": base[10:20], "c": base.reshape(10, 100).t()}
    buf = io.BytesIO()
    torch.save(obj, buf)
    records = zipfile.ZipFile(io.BytesIO(buf.getvalue())).namelist()
    assert [r for r in records if "/data/" in r] == ["archive/data/0"]  # one storage for three tensors
    buf.seek(0)
    out = torch.load(buf)
    assert same(out["b"], base[10:20]) and same(out["c"], obj["c"])
    out["a"].add_(1)  # sharing is restored: writes through one tensor show in the others
    assert out["b"][0].item() == 11.0 and out["c"][0, 1].item() == 101.0


def test_expanded_tensor_keeps_zero_stride():
    x = torch.arange(3.0).expand(4, 3)
    y = roundtrip(x)
    assert same(x, y) and y.stride() == (0, 1)


def test_flipped_negative_stride_tensor_is_copied():
    x = torch.arange(5.0).flip(0)
    assert same(roundtrip(x), x)


def test_same_tensor_twice_is_one_object():
    x = torch.ones(3)
    out = roundtrip([x, x])
    assert out[0] is out[1]


def test_requires_grad_and_nonleaf():
    w = torch.ones(2, requires_grad=True)
    out = roundtrip({"w": w, "y": w * 2})
    assert out["w"].requires_grad and out["w"].is_leaf
    assert out["y"].requires_grad and out["y"].is_leaf and out["y"].tolist() == [2.0, 2.0]


def test_containers_and_python_values():
    obj = {
        "list": [1, 2.5, "s", None, True],
        "tuple": (1, (2, 3)),
        "set": {1, 2},
        "bytes": b"\x00\xff",
        "empty_bytes": b"",
        "bytearray": bytearray(b"ab"),
        "complex": 1 - 2j,
        "big": 2**100,
        "neg": -5,
        "frozenset": frozenset({3}),
        "slice": slice(1, None, 2),
        "counter": Counter("aab"),
        "nested": {0: {"x": [torch.ones(1)]}},
        "str": "üñí",
    }
    out = roundtrip(obj)
    assert out["nested"][0]["x"][0].tolist() == [1.0]
    del obj["nested"], out["nested"]
    assert out == obj and type(out["counter"]) is Counter


def test_dtype_size_device_objects():
    obj = [
        torch.float32,
        torch.int64,
        torch.bool,
        torch.Size([2, 3]),
        torch.device("cpu"),
        torch.device("cuda", 1),
    ]
    out = roundtrip(obj)
    assert out[:3] == obj[:3] and out[0] is torch.float32 and out[2] is torch.bool
    assert out[3] == torch.Size([2, 3]) and type(out[3]) is torch.Size
    assert out[4] == torch.device("cpu") and out[5] == torch.device("cuda:1")


def test_ordered_dict_state_dict_with_metadata():
    sd = OrderedDict([("0.weight", torch.ones(2, 2)), ("1.num_batches_tracked", torch.tensor(3))])
    sd._metadata = OrderedDict([("", {"version": 1}), ("1", {"version": 2})])
    out = roundtrip(sd)
    assert type(out) is OrderedDict and list(out) == list(sd)
    assert out._metadata == sd._metadata
    assert out["1.num_batches_tracked"].dtype is torch.int64 and out["1.num_batches_tracked"].dim() == 0


def test_optimizer_like_state_dict_int_keys_and_step_tensors():
    sd = {
        "state": {0: {"step": torch.tensor(5.0), "exp_avg": torch.zeros(3)}, 1: {"momentum_buffer": None}},
        "param_groups": [{"lr": 1e-3, "betas": (0.9, 0.999), "params": [0, 1], "foreach": None}],
    }
    out = roundtrip(sd)
    assert set(out["state"]) == {0, 1} and out["state"][0]["step"].item() == 5.0
    assert out["param_groups"] == sd["param_groups"]


class Point:
    """A user type for the allowlist tests (module level so that pickle can find it)."""

    def __init__(self, x=0):
        self.x = x

    def __eq__(self, other):
        return isinstance(other, Point) and other.x == self.x


class TaggedTensor(torch.Tensor):
    pass


def test_user_types_need_allowlist():
    buf = io.BytesIO()
    torch.save({"p": Point(3)}, buf)
    buf.seek(0)
    with pytest.raises(pickle.UnpicklingError, match=r"Unsupported global: GLOBAL .*Point"):
        torch.load(buf)
    buf.seek(0)
    with torch.serialization.safe_globals([Point]):
        assert torch.load(buf)["p"] == Point(3)
    assert Point not in torch.serialization.get_safe_globals()
    buf.seek(0)
    assert torch.load(buf, weights_only=False)["p"] == Point(3)


def test_add_safe_globals_with_explicit_name():
    buf = io.BytesIO()
    torch.save(Point(1), buf)
    try:
        torch.serialization.add_safe_globals([(Point, f"{__name__}.Point")])
        buf.seek(0)
        assert torch.load(buf) == Point(1)
    finally:
        torch.serialization.clear_safe_globals()
    assert torch.serialization.get_safe_globals() == []


def test_tensor_attributes_and_subclass():
    t = torch.ones(2)
    t.note = "hello"
    sub = torch.Tensor._make(np.zeros(2, np.float32), t._backend, t._device)
    sub.__class__ = TaggedTensor
    out = roundtrip({"t": t, "sub": sub}, weights_only=False)
    assert out["t"].note == "hello" and type(out["sub"]) is TaggedTensor and out["sub"].tolist() == [0.0, 0.0]
    assert roundtrip(t).note == "hello"  # attributes are plain data: fine for weights_only


def test_whole_object_with_weights_only_false():
    obj = Point(torch.arange(3.0))
    out = roundtrip(obj, weights_only=False)
    assert type(out) is Point and out.x.tolist() == [0.0, 1.0, 2.0]


def test_parameter_roundtrip():
    nn = pytest.importorskip("lanterna.nn")
    if not hasattr(nn, "Parameter"):
        pytest.skip("lanterna.nn.Parameter not available yet")
    p = nn.Parameter(torch.arange(3.0))
    frozen = nn.Parameter(torch.ones(1), requires_grad=False)
    out = roundtrip({"p": p, "f": frozen, "view": p.detach()[1:]})
    assert type(out["p"]) is nn.Parameter and out["p"].requires_grad and out["p"].tolist() == [0.0, 1.0, 2.0]
    assert type(out["f"]) is nn.Parameter and not out["f"].requires_grad


def test_save_to_path_is_atomic_and_keeps_old_file_on_failure(tmp_path):
    path = tmp_path / "ckpt.pt"
    torch.save({"v": torch.tensor([1.0])}, path)
    before = path.read_bytes()

    class Unpicklable:
        def __reduce__(self):
            raise RuntimeError("disk full (simulated)")

    with pytest.raises(RuntimeError, match="disk full"):
        torch.save({"v": torch.tensor([2.0]), "bad": Unpicklable()}, str(path))
    assert path.read_bytes() == before  # the previous checkpoint is intact
    assert os.listdir(tmp_path) == ["ckpt.pt"]  # and no temporary file is left behind
    assert torch.load(path)["v"].tolist() == [1.0]
    assert zipfile.ZipFile(path).namelist()[0] == "ckpt/data.pkl"  # archive named after the file, as torch


def test_save_keeps_permissions_and_writes_through_symlink(tmp_path):
    target = tmp_path / "real.pt"
    torch.save(torch.zeros(1), target)
    os.chmod(target, 0o640)
    link = tmp_path / "link.pt"
    link.symlink_to(target)
    torch.save(torch.ones(1), link)
    assert link.is_symlink() and torch.load(target).tolist() == [1.0]
    assert os.stat(target).st_mode & 0o777 == 0o640


def test_save_errors(tmp_path):
    with pytest.raises(RuntimeError, match="Parent directory .* does not exist"):
        torch.save(torch.ones(1), tmp_path / "missing" / "x.pt")
    with pytest.raises(AttributeError, match="write"):
        torch.save(torch.ones(1), 123)
    with pytest.raises(ValueError, match="pickle_protocol"):
        torch.save(torch.ones(1), io.BytesIO(), pickle_protocol=1)


def test_file_objects_nonseekable_streams_and_protocols(tmp_path):
    x = torch.arange(4.0)
    with open(tmp_path / "f.pt", "wb") as fh:
        torch.save(x, fh)
    with open(tmp_path / "f.pt", "rb") as fh:
        assert same(torch.load(fh), x)

    class Pipe(io.RawIOBase):  # write-only / read-only, no seeking
        def __init__(self, data=b""):
            self.buf = bytearray(data)

        def writable(self):
            return True

        def write(self, b):
            self.buf += bytes(b)
            return len(b)

        def read(self, n=-1):
            out, self.buf[:] = bytes(self.buf), b""
            return out

    pipe = Pipe()
    torch.save(x, pipe)
    assert same(torch.load(Pipe(pipe.buf)), x)
    for protocol in (3, 4, 5):
        buf = io.BytesIO()
        torch.save({"x": x}, buf, pickle_protocol=protocol)
        buf.seek(0)
        assert same(torch.load(buf)["x"], x)


@pytest.mark.parametrize("legacy", [False, True])
def test_streams_that_write_a_few_bytes_per_call(legacy):
    class Trickle(io.RawIOBase):  # an unbuffered raw stream may accept fewer bytes than offered
        def __init__(self):
            self.buf = bytearray()

        def writable(self):
            return True

        def write(self, b):
            self.buf += bytes(b)[:7]
            return min(len(b), 7)

    x = torch.arange(40.0).reshape(5, 8)
    out = Trickle()
    torch.save({"x": x, "t": x.t()}, out, _use_new_zipfile_serialization=not legacy)
    loaded = torch.load(io.BytesIO(bytes(out.buf)))
    assert same(loaded["t"], x.t())


def test_legacy_format_roundtrip_with_sharing():
    base = torch.arange(10, dtype=torch.int16)
    buf = io.BytesIO()
    torch.save(
        {"a": base, "b": base[2:5], "f": torch.tensor([1.5])}, buf, _use_new_zipfile_serialization=False
    )
    assert buf.getvalue()[:2] == b"\x80\x02"  # not a zip
    buf.seek(0)
    out = torch.load(buf)
    assert same(out["b"], base[2:5]) and out["f"].tolist() == [1.5]
    out["a"].add_(1)
    assert out["b"].tolist() == [3, 4, 5]
    buf.seek(0)
    assert same(torch.load(buf, weights_only=False)["a"], base)


def test_several_checkpoints_in_one_file():
    buf = io.BytesIO()
    for i in range(3):
        torch.save({"i": torch.tensor([i])}, buf, _use_new_zipfile_serialization=False)
    buf.seek(0)
    assert [torch.load(buf)["i"].item() for _ in range(3)] == [0, 1, 2]
    buf = io.BytesIO()  # the zip format cannot do this (nor can PyTorch): an error, not the wrong one
    torch.save(torch.ones(1), buf)
    torch.save(torch.zeros(1), buf)
    buf.seek(0)
    with pytest.raises(CheckpointError, match="data before its zip archive"):
        torch.load(buf)


def test_zip64_records_load(tmp_path):
    x = torch.arange(6.0).reshape(2, 3)
    with open(tmp_path / "z.pt", "wb") as fh:
        write_checkpoint({"x": x, "y": x[1]}, fh, "z", force_zip64=True)
    assert zipfile.ZipFile(tmp_path / "z.pt").testzip() is None
    out = torch.load(tmp_path / "z.pt")
    assert same(out["y"], x[1])


def test_data_is_aligned_to_64_bytes():
    buf = io.BytesIO()
    torch.save([torch.ones(3), torch.zeros(5, dtype=torch.float64)], buf)
    raw = buf.getvalue()
    for info in zipfile.ZipFile(io.BytesIO(raw)).infolist():
        if "/data/" in info.filename:
            name_len, extra_len = (
                int.from_bytes(raw[info.header_offset + 26 : info.header_offset + 28], "little"),
                int.from_bytes(raw[info.header_offset + 28 : info.header_offset + 30], "little"),
            )
            assert (info.header_offset + 30 + name_len + extra_len) % 64 == 0


def test_mmap_load(tmp_path):
    x = torch.arange(12.0).reshape(3, 4)
    torch.save({"x": x, "t": x.t()}, tmp_path / "m.pt")
    out = torch.load(tmp_path / "m.pt", mmap=True)
    assert same(out["t"], x.t())
    out["x"].add_(1)  # copy-on-write: the file is unchanged
    assert same(torch.load(tmp_path / "m.pt")["x"], x)
    with pytest.raises(ValueError, match="file path"):
        torch.load(io.BytesIO((tmp_path / "m.pt").read_bytes()), mmap=True)


def _cuda_checkpoint():
    buf = io.BytesIO()
    write_checkpoint({"x": torch.arange(3.0), "y": torch.ones(2)}, buf, location_of=lambda t: "cuda:0")
    buf.seek(0)
    return buf


@pytest.mark.parametrize(
    "map_location",
    [
        "cpu",
        torch.device("cpu"),
        {"cuda:0": "cpu"},
        b"cpu",
        lambda storage, loc: storage,
        lambda storage, loc: storage.cpu(),
        lambda storage, loc: storage.to("cpu"),
    ],
)
def test_map_location_brings_cuda_checkpoints_to_cpu(map_location):
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA: the unmapped load would succeed")
    out = torch.load(_cuda_checkpoint(), map_location=map_location)
    assert out["x"].tolist() == [0.0, 1.0, 2.0] and out["x"].device == torch.device("cpu")


def test_unmapped_cuda_checkpoint_on_cpu_machine_raises_clearly():
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    with pytest.raises(
        RuntimeError, match=r"Attempting to deserialize object on a CUDA device .*map_location"
    ):
        torch.load(_cuda_checkpoint())
    with pytest.raises(RuntimeError, match="CUDA"):
        torch.load(_cuda_checkpoint(), map_location={"cpu": "cpu"})  # the dict does not cover cuda:0
    seen = []
    torch.load(
        _cuda_checkpoint(), map_location=lambda s, loc: seen.append((loc, s.size(), s.dtype)) or s.cpu()
    )
    assert seen == [("cuda:0", 3, torch.float32), ("cuda:0", 2, torch.float32)]


def test_map_location_errors():
    with pytest.raises(TypeError, match="map_location"):
        torch.load(_cuda_checkpoint(), map_location=3.5)
    with pytest.raises(TypeError, match="storage or None"):
        torch.load(_cuda_checkpoint(), map_location=lambda s, loc: "nope")
    with pytest.raises(RuntimeError, match="Can not safely load weights when explicit pickle_module"):
        torch.load(_cuda_checkpoint(), pickle_module=pickle, weights_only=True)


def test_not_a_checkpoint(tmp_path):
    (tmp_path / "t.txt").write_text("hello")
    with pytest.raises(CheckpointError, match="not a checkpoint"):
        torch.load(tmp_path / "t.txt")
    with zipfile.ZipFile(tmp_path / "z.zip", "w") as z:
        z.writestr("foo/bar.txt", "x")
    with pytest.raises(CheckpointError, match="data.pkl"):
        torch.load(tmp_path / "z.zip")
    with zipfile.ZipFile(tmp_path / "ts.pt", "w") as z:
        z.writestr("m/constants.pkl", "x")
    with pytest.raises(RuntimeError, match="TorchScript"):
        torch.load(tmp_path / "ts.pt")


@pytest.mark.parametrize(
    "module", ["lanterna.serialization", "lanterna.serialization._allowlist", "lanterna.utils.safetensors"]
)
def test_docstring_examples_run(module):
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(module))
    assert result.failed == 0 and result.attempted > 0


class _FakeDevice(Backend):
    """A NumPy-backed device under another name, with one device index."""

    def __init__(self, name, available=True):
        super().__init__()
        self.name = name
        self._available = available

    def is_available(self):
        return self._available

    def load_xp(self):
        return np

    def from_numpy(self, array, index):
        return np.array(array)

    def to_numpy(self, array):
        return np.array(array)


def test_tensors_on_other_devices_save_and_map(monkeypatch):
    monkeypatch.setitem(torch.backends.REGISTRY.backends, "fakegpu", _FakeDevice("fakegpu"))
    x = torch.arange(4.0).to("fakegpu")
    buf = io.BytesIO()
    torch.save({"x": x, "t": x.reshape(2, 2).t()}, buf)
    assert b"fakegpu:0" in zipfile.ZipFile(io.BytesIO(buf.getvalue())).read("archive/data.pkl")
    buf.seek(0)
    out = torch.load(buf)  # back where it was saved
    assert out["x"].device == torch.device("fakegpu:0") and out["t"].tolist() == [[0.0, 2.0], [1.0, 3.0]]
    buf.seek(0)
    out = torch.load(buf, map_location="cpu")
    assert out["x"].device == torch.device("cpu") and out["x"].tolist() == [0.0, 1.0, 2.0, 3.0]
    cpu_buf = io.BytesIO()
    torch.save(torch.ones(2), cpu_buf)
    cpu_buf.seek(0)
    assert torch.load(cpu_buf, map_location="fakegpu").device == torch.device("fakegpu:0")
    cpu_buf.seek(0)
    with pytest.raises(RuntimeError, match=r"FAKEGPU device 3 but torch.fakegpu.device_count\(\) is 1"):
        torch.load(cpu_buf, map_location="fakegpu:3")
    monkeypatch.setitem(torch.backends.REGISTRY.backends, "fakegpu", _FakeDevice("fakegpu", available=False))
    buf.seek(0)
    with pytest.raises(RuntimeError, match=r"FAKEGPU device but torch.fakegpu.is_available\(\) is False"):
        torch.load(buf)
