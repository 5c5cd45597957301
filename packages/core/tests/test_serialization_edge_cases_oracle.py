"""Edge cases of save/load checked against real PyTorch (regressions; needs PyTorch)."""

import io
import pickle
import zipfile

import pytest

torch = pytest.importorskip("torch")
import lanterna  # noqa: E402

pytestmark = pytest.mark.oracle


def torch_saved(obj, **kwargs):
    buf = io.BytesIO()
    torch.save(obj, buf, **kwargs)
    buf.seek(0)
    return buf


def both_raise(data, exc_type, **load_kwargs):
    """Both libraries refuse ``data`` with ``exc_type``; returns lanterna's exception."""
    with pytest.raises(exc_type):
        torch.load(io.BytesIO(data), **load_kwargs)
    with pytest.raises(exc_type) as info:
        lanterna.load(io.BytesIO(data), **load_kwargs)
    return info.value


@pytest.mark.parametrize("legacy", [False, True], ids=["zip", "legacy"])
@pytest.mark.parametrize("dtype", ["uint16", "uint32", "uint64", "float8_e4m3fn", "float8_e5m2"])
def test_unsupported_dtypes_give_a_clear_error(dtype, legacy):
    # PyTorch writes these on a torch.storage.UntypedStorage with _rebuild_tensor_v3
    x = torch.zeros(3).to(getattr(torch, dtype))
    buf = torch_saved({"x": x}, _use_new_zipfile_serialization=not legacy)
    with pytest.raises(RuntimeError, match=rf"torch\.{dtype}.*does not support"):
        lanterna.load(buf)


@pytest.mark.parametrize("legacy", [False, True], ids=["zip", "legacy"])
def test_bare_untyped_storage_loads(legacy):
    # torch.save(t.untyped_storage()) names torch.storage.UntypedStorage, which is no threat
    x = torch.arange(5, dtype=torch.uint8)
    out = lanterna.load(torch_saved(x.untyped_storage(), _use_new_zipfile_serialization=not legacy))
    assert out.tolist() == x.tolist() == [0, 1, 2, 3, 4]


@pytest.mark.parametrize("weights_only", [True, False])
def test_empty_file_is_eof_in_both(weights_only, tmp_path):
    both_raise(b"", EOFError, weights_only=weights_only)
    path = tmp_path / "empty.pt"
    path.write_bytes(b"")
    with pytest.raises(EOFError):
        torch.load(path, weights_only=weights_only)
    with pytest.raises(EOFError):
        lanterna.load(path, weights_only=weights_only)


@pytest.mark.parametrize("cut", [1, 2])  # (deeper cuts give torch's unpickler an IndexError)
def test_truncated_zip_pickle_is_eof_in_both(cut):
    buf = torch_saved({"x": torch.ones(3), "y": [1, 2]})
    src = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as z:
        for name in src.namelist():
            data = src.read(name)
            z.writestr(name, data[:-cut] if name.endswith("/data.pkl") else data)
    both_raise(out.getvalue(), EOFError)


class Config:
    def __init__(self, lr):
        self.lr = lr


def test_pickle_module_implies_a_full_load_in_both():
    buf = torch_saved({"config": Config(0.25), "w": torch.ones(2)})
    ref = torch.load(io.BytesIO(buf.getvalue()), pickle_module=pickle)
    out = lanterna.load(io.BytesIO(buf.getvalue()), pickle_module=pickle)
    assert out["config"].lr == ref["config"].lr == 0.25
    assert out["w"].tolist() == ref["w"].tolist()
    for lib in (torch, lanterna):
        with pytest.raises(RuntimeError, match="Can not safely load weights when explicit pickle_module"):
            lib.load(io.BytesIO(buf.getvalue()), pickle_module=pickle, weights_only=True)
        with pytest.raises(pickle.UnpicklingError):
            lib.load(io.BytesIO(buf.getvalue()), weights_only=None)


def test_python2_builtin_names_resolve_like_torch():
    buf = torch_saved({"t": int, "r": range})
    assert sorted(torch.serialization.get_unsafe_globals_in_checkpoint(io.BytesIO(buf.getvalue()))) == sorted(
        lanterna.serialization.get_unsafe_globals_in_checkpoint(io.BytesIO(buf.getvalue()))
    )
    with torch.serialization.safe_globals([int, range]), lanterna.serialization.safe_globals([int, range]):
        ref = torch.load(io.BytesIO(buf.getvalue()))
        assert lanterna.load(io.BytesIO(buf.getvalue())) == ref == {"t": int, "r": range}
