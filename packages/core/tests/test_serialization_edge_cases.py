"""Edge cases of lanterna.save / lanterna.load found by comparing with PyTorch (regressions).

Checkpoints are written by hand here (no PyTorch needed); the ``_oracle`` file beside this one
checks the same behaviours against real ``torch.save`` / ``torch.load``.
"""

import io
import pickle
import struct
import zipfile

import lanterna as torch
import pytest
from lanterna.serialization import CheckpointError


# ---- hand-written pickle opcodes and archives ------------------------------------------------
def G(module, name):
    return b"c" + f"{module}\n{name}\n".encode()


def S(text):
    data = text.encode()
    return b"X" + struct.pack("<I", len(data)) + data


def untyped_storage_pid(key, numel):
    """``('storage', torch.storage.UntypedStorage, key, 'cpu', numel)`` as PyTorch pickles it."""
    return b"(" + S("storage") + G("torch.storage", "UntypedStorage") + S(key) + S("cpu") + b"K" + bytes(
        [numel]
    ) + b"tQ"


def zip_checkpoint(pkl, records=None):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
        z.writestr("archive/data.pkl", pkl)
        z.writestr("archive/byteorder", "little")
        for key, data in (records or {}).items():
            z.writestr(f"archive/data/{key}", data)
        z.writestr("archive/version", "3\n")
    buf.seek(0)
    return buf


def rezip(buf, data_pkl):
    """A copy of the zip checkpoint in ``buf`` with its data.pkl replaced."""
    src = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as z:
        for name in src.namelist():
            z.writestr(name, data_pkl if name.endswith("/data.pkl") else src.read(name))
    out.seek(0)
    return out


def saved(obj, **kwargs):
    buf = io.BytesIO()
    torch.save(obj, buf, **kwargs)
    buf.seek(0)
    return buf


# ---- torch.storage.UntypedStorage --------------------------------------------------------------
def test_bare_untyped_storage_loads():
    # torch.save(t.untyped_storage()) names the storage class by its module, torch.storage
    buf = zip_checkpoint(b"\x80\x02" + untyped_storage_pid("0", 4) + b".", {"0": bytes([1, 2, 3, 250])})
    storage = torch.load(buf)
    assert storage.size() == 4 and storage.tolist() == [1, 2, 3, 250]


@pytest.mark.parametrize("dtype", ["uint16", "uint32", "uint64", "float8_e4m3fn"])
def test_unsupported_dtype_on_untyped_storage_is_named(dtype):
    # PyTorch saves these dtypes through _rebuild_tensor_v3 on an UntypedStorage: the error must
    # name the dtype, not complain about the storage class
    pkl = (
        b"\x80\x02"
        + G("torch._utils", "_rebuild_tensor_v3")
        + b"("
        + untyped_storage_pid("0", 8)
        + b"K\x00K\x02\x85K\x01\x85\x89"
        + G("collections", "OrderedDict")
        + b")R"
        + G("torch", dtype)
        + b"tR."
    )
    with pytest.raises(RuntimeError, match=rf"torch\.{dtype}.*does not support"):
        torch.load(zip_checkpoint(pkl, {"0": bytes(8)}))


# ---- legacy format: a refused storage global is reported by name, and never run ----------------
@pytest.mark.parametrize("weights_only", [True, False])
def test_legacy_refused_storage_global_is_named(weights_only, tmp_path):
    data = saved({"x": torch.arange(3, dtype=torch.uint8)}, _use_new_zipfile_serialization=False).getvalue()
    assert G("torch", "ByteStorage") in data
    hostile = data.replace(G("torch", "ByteStorage"), G("os", "system"))
    with pytest.raises(pickle.UnpicklingError, match=r"os\.system"):
        torch.load(io.BytesIO(hostile), weights_only=weights_only)


# ---- weights_only defaults as in torch.load ----------------------------------------------------
class Config:
    def __init__(self, lr):
        self.lr = lr


def test_pickle_module_without_weights_only_is_a_full_load():
    buf = saved({"config": Config(0.5), "w": torch.ones(2)})
    out = torch.load(buf, pickle_module=pickle)  # torch.load: weights_only=None -> False here
    assert isinstance(out["config"], Config) and out["config"].lr == 0.5
    assert out["w"].tolist() == [1.0, 1.0]


def test_pickle_module_with_weights_only_true_is_refused():
    with pytest.raises(RuntimeError, match="Can not safely load weights when explicit pickle_module"):
        torch.load(saved(torch.ones(1)), pickle_module=pickle, weights_only=True)


def test_weights_only_is_still_the_default():
    with pytest.raises(pickle.UnpicklingError, match="Config"):
        torch.load(saved(Config(1.0)))


def test_weights_only_none_without_pickle_module_is_safe():
    with pytest.raises(pickle.UnpicklingError, match="Config"):
        torch.load(saved(Config(1.0)), weights_only=None)


# ---- data that ends early: an EOFError, as torch.load raises, and still a checkpoint error ----
def test_empty_file_is_eof(tmp_path):
    path = tmp_path / "empty.pt"
    path.write_bytes(b"")
    for source in (path, str(path), io.BytesIO()):
        for weights_only in (True, False):
            with pytest.raises(EOFError) as info:
                torch.load(source, weights_only=weights_only)
            assert isinstance(info.value, CheckpointError)


def test_end_of_a_multi_checkpoint_file_is_eof():
    buf = io.BytesIO()
    torch.save(torch.ones(1), buf, _use_new_zipfile_serialization=False)
    buf.seek(0)
    assert torch.load(buf).tolist() == [1.0]
    with pytest.raises(EOFError):
        torch.load(buf)


@pytest.mark.parametrize("cut", [1, 5, 20])
def test_truncated_zip_pickle_is_eof(cut):
    buf = saved({"x": torch.ones(3)})
    pkl = zipfile.ZipFile(io.BytesIO(buf.getvalue())).read("archive/data.pkl")
    with pytest.raises(EOFError) as info:
        torch.load(rezip(buf, pkl[:-cut]))
    assert isinstance(info.value, pickle.UnpicklingError)
    assert "Weights only load failed" in str(info.value)
    with pytest.raises((EOFError, pickle.UnpicklingError)):
        torch.load(rezip(buf, pkl[:-cut]), weights_only=False)


def test_empty_zip_pickle_is_eof():
    with pytest.raises(EOFError):
        torch.load(rezip(saved(torch.ones(1)), b""))


@pytest.mark.parametrize("weights_only", [True, False])
def test_truncated_legacy_pickle_is_eof(weights_only):
    data = saved({"x": torch.ones(3)}, _use_new_zipfile_serialization=False).getvalue()
    for cut in (3, len(data) // 3, len(data) - 60):
        with pytest.raises(EOFError) as info:
            torch.load(io.BytesIO(data[:cut]), weights_only=weights_only)
        assert isinstance(info.value, (RuntimeError, pickle.UnpicklingError))


def test_garbage_is_still_a_plain_checkpoint_error():
    with pytest.raises(CheckpointError) as info:
        torch.load(io.BytesIO(b"not a checkpoint at all"))
    assert not isinstance(info.value, EOFError)


# ---- Python 2 spellings of builtins (protocol 2 pickles ``int`` as ``__builtin__.long``) -------
def test_allowlisted_builtin_types_load_under_their_python3_names():
    buf = saved({"t": int, "r": range})
    assert G("__builtin__", "long") in buf.getvalue() and G("__builtin__", "xrange") in buf.getvalue()
    # named `int` (not `long`: no such thing), with builtins unprefixed as torch.load names them
    with pytest.raises(pickle.UnpicklingError, match=r"GLOBAL int was not an allowed global"):
        torch.load(io.BytesIO(buf.getvalue()))
    with torch.serialization.safe_globals([int, range]):
        assert torch.load(io.BytesIO(buf.getvalue())) == {"t": int, "r": range}


def test_unsafe_globals_are_reported_under_their_python3_names():
    names = torch.serialization.get_unsafe_globals_in_checkpoint(saved({"t": int, "r": range}))
    assert names == ["builtins.int", "builtins.range"]


def test_python2_module_names_cannot_sneak_past_the_blocklist():
    # `commands` is Python 2's name for what is now `subprocess`
    pkl = b"\x80\x02" + G("commands", "getoutput") + S("echo hi") + b"\x85R."
    with torch.serialization.safe_globals([(print, "subprocess.getoutput")]):
        with pytest.raises(pickle.UnpicklingError, match="subprocess"):
            torch.load(zip_checkpoint(pkl))
