"""Checkpoint interchange with real PyTorch: torch.save -> lanterna.load, lanterna.save -> torch.load."""

import io
from collections import OrderedDict

import numpy as np
import pytest

torch = pytest.importorskip("torch")
import lanterna  # noqa: E402
from lanterna.serialization import write_checkpoint  # noqa: E402

pytestmark = pytest.mark.oracle

DTYPES = ["float32", "float64", "float16", "int64", "int32", "int16", "int8", "uint8", "bool"]


def to_np(t):
    if isinstance(t, torch.Tensor):
        t = t.detach()
        return (t.float() if t.dtype == torch.bfloat16 else t).numpy()
    return t.detach().numpy()


def assert_same(lt, tt):
    assert str(lt.dtype) == str(tt.dtype), (lt.dtype, tt.dtype)
    assert tuple(lt.shape) == tuple(tt.shape)
    assert np.array_equal(to_np(lt), to_np(tt), equal_nan=True)


def torch_to_lanterna(obj, **save_kwargs):
    buf = io.BytesIO()
    torch.save(obj, buf, **save_kwargs)
    buf.seek(0)
    return lanterna.load(buf)


def lanterna_to_torch(obj, **save_kwargs):
    buf = io.BytesIO()
    lanterna.save(obj, buf, **save_kwargs)
    buf.seek(0)
    return torch.load(buf)  # weights_only=True: torch's default


def sample_tensors(lib):
    out = {}
    for name in DTYPES:
        dt = getattr(lib, name)
        out[name] = (lib.arange(-6, 6) * 37).reshape(3, 4).to(dt)
    base = lib.arange(24.0).reshape(2, 3, 4)
    out.update(
        base=base,
        t=base.transpose(0, 2),
        sl=base[:, 1:, ::2],
        row=base[1],
        scalar=lib.tensor(3.25),
        empty=lib.zeros(0, 3),
        exp=lib.arange(3.0).expand(4, 3),
        grad=lib.ones(2, requires_grad=True),
        special=lib.tensor([float("nan"), -float("inf"), -0.0]),
    )
    return out


@pytest.mark.parametrize("legacy", [False, True], ids=["zip", "legacy"])
def test_torch_saves_lanterna_loads_every_kind_of_tensor(legacy):
    src = sample_tensors(torch)
    src["bf16"] = torch.tensor([1.5, -2.25, 1e30], dtype=torch.bfloat16)
    out = torch_to_lanterna(src, _use_new_zipfile_serialization=not legacy)
    for key, t in src.items():
        if key == "bf16":  # lanterna has no bfloat16: exact float32 values
            assert out[key].dtype is lanterna.float32 and np.array_equal(out[key].numpy(), t.float().numpy())
            continue
        assert_same(out[key], t)
        if t.numel():  # (strides of empty tensors are not meaningful: NumPy reports zeros)
            assert out[key].stride() == t.stride(), key
        assert out[key].requires_grad == t.requires_grad
    # views of one storage share memory again
    out["base"].add_(100)
    assert out["t"][0, 0, 0].item() == 100 and out["row"][0, 0].item() == 112


def test_lanterna_saves_torch_loads_every_kind_of_tensor():
    src = sample_tensors(lanterna)
    out = lanterna_to_torch(src)
    for key, t in src.items():
        assert str(out[key].dtype) == str(t.dtype) and tuple(out[key].shape) == tuple(t.shape)
        assert np.array_equal(to_np(out[key]), t.detach().numpy(), equal_nan=True), key
        if t.numel():
            assert out[key].stride() == t.stride(), key
        assert out[key].requires_grad == t.requires_grad
    assert out["t"].untyped_storage().data_ptr() == out["base"].untyped_storage().data_ptr()
    assert out["sl"].storage_offset() == 4


def test_torch_model_state_dict_with_batchnorm_and_optimizer():
    torch.manual_seed(0)
    model = torch.nn.Sequential(
        torch.nn.Conv2d(1, 2, 3), torch.nn.BatchNorm2d(2), torch.nn.Flatten(), torch.nn.Linear(8, 3)
    )
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    model(torch.randn(4, 1, 4, 4)).sum().backward()
    opt.step()
    sd, osd = model.state_dict(), opt.state_dict()
    out = torch_to_lanterna({"model": sd, "optim": osd})
    assert type(out["model"]) is OrderedDict and list(out["model"]) == list(sd)
    assert out["model"]._metadata == sd._metadata
    for k, v in sd.items():
        assert_same(out["model"][k], v)
    assert out["model"]["1.num_batches_tracked"].dtype is lanterna.int64
    assert out["optim"]["param_groups"] == osd["param_groups"]
    for i, state in osd["state"].items():
        for k, v in state.items():
            assert_same(out["optim"]["state"][i][k], v)
    # and back: lanterna writes what torch reads, and the model accepts it
    back = lanterna_to_torch(out)
    model.load_state_dict(back["model"])
    opt.load_state_dict(back["optim"])
    assert back["model"]._metadata == sd._metadata
    for k, v in sd.items():
        assert torch.equal(back["model"][k], v)


def test_parameters_cross_both_ways():
    out = torch_to_lanterna(
        {"p": torch.nn.Parameter(torch.ones(2)), "q": torch.nn.Parameter(torch.zeros(1), False)}
    )
    assert out["p"].requires_grad and not out["q"].requires_grad and out["p"].tolist() == [1.0, 1.0]
    nn = pytest.importorskip("lanterna.nn")
    if not hasattr(nn, "Parameter"):
        pytest.skip("lanterna.nn.Parameter not available yet")
    assert type(out["p"]) is nn.Parameter
    back = lanterna_to_torch({"p": nn.Parameter(lanterna.arange(3.0))})
    assert type(back["p"]) is torch.nn.Parameter and back["p"].requires_grad


def test_python_objects_torch_understands():
    sd = OrderedDict(w=lanterna.ones(2))
    sd._metadata = OrderedDict([("", {"version": 1})])
    obj = {
        "dtype": lanterna.float16,
        "size": lanterna.Size([2, 3]),
        "dev": lanterna.device("cpu"),
        "sd": sd,
        "ints": {0: [1, 2], 1: (3.5, None)},
        "bytes": b"xy",
        "set": {1, 2},
        "c": 1 + 2j,
        "optim": {"state": {0: {"step": lanterna.tensor(3.0)}}, "param_groups": [{"lr": 0.1, "params": [0]}]},
    }
    out = lanterna_to_torch(obj)
    assert (
        out["dtype"] is torch.float16
        and out["size"] == torch.Size([2, 3])
        and type(out["size"]) is torch.Size
    )
    assert out["dev"] == torch.device("cpu") and out["sd"]._metadata == sd._metadata
    assert (
        out["ints"] == obj["ints"] and out["bytes"] == b"xy" and out["set"] == {1, 2} and out["c"] == 1 + 2j
    )
    assert out["optim"]["state"][0]["step"].item() == 3.0


def test_legacy_zip64_mmap_and_cuda_tags_in_torch(tmp_path):
    x = lanterna.arange(12.0).reshape(3, 4)
    lanterna.save({"x": x, "t": x.t()}, tmp_path / "legacy.pt", _use_new_zipfile_serialization=False)
    out = torch.load(tmp_path / "legacy.pt")
    assert out["t"].tolist() == x.t().tolist() and out["t"].stride() == (1, 4)
    with open(tmp_path / "z64.pt", "wb") as fh:
        write_checkpoint({"x": x}, fh, "z64", force_zip64=True)
    assert torch.load(tmp_path / "z64.pt")["x"].tolist() == x.tolist()
    lanterna.save({"x": x, "t": x.t()}, tmp_path / "m.pt")
    mapped = torch.load(tmp_path / "m.pt", mmap=True)
    assert mapped["t"].tolist() == x.t().tolist()
    with open(tmp_path / "cuda.pt", "wb") as fh:
        write_checkpoint({"x": x}, fh, "cuda", location_of=lambda t: "cuda:0")
    with pytest.raises(RuntimeError, match="CUDA"):
        torch.load(tmp_path / "cuda.pt")
    assert torch.load(tmp_path / "cuda.pt", map_location="cpu")["x"].tolist() == x.tolist()


def test_torch_files_without_crc_and_from_paths(tmp_path):
    torch.serialization.set_crc32_options(False)
    try:
        torch.save({"w": torch.arange(5.0)}, tmp_path / "nocrc.pt")
    finally:
        torch.serialization.set_crc32_options(True)
    assert lanterna.load(tmp_path / "nocrc.pt")["w"].tolist() == [0.0, 1.0, 2.0, 3.0, 4.0]
    torch.save(torch.arange(3), tmp_path / "my.model.pt")
    assert lanterna.load(tmp_path / "my.model.pt").tolist() == [0, 1, 2]
    assert lanterna.load(tmp_path / "my.model.pt", mmap=True).tolist() == [0, 1, 2]


def test_torch_whole_module_file_is_refused_by_weights_only(tmp_path):
    torch.save(torch.nn.Linear(2, 2), tmp_path / "m.pt")
    import pickle

    with pytest.raises(
        pickle.UnpicklingError, match="(?s)Weights only load failed.*torch.nn.modules.linear.Linear"
    ):
        lanterna.load(tmp_path / "m.pt")
