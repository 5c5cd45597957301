"""Hostile checkpoints and interchange, checked against real PyTorch on the same bytes.

Hostile files: both libraries must refuse them with the same exception class (lanterna's may
subclass torch's) and the same message gist. Interchange: lanterna's modules and optimizers
round-trip through torch's, in both formats.
"""

import io
import mmap
import pickle
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")
import lanterna  # noqa: E402
import lanterna.nn as lnn  # noqa: E402
import lanterna.optim as loptim  # noqa: E402
from test_checkpoint_fuzz import G, I, S, call, make_zip, pid, pkl, tensor  # noqa: E402

pytestmark = pytest.mark.oracle


def both_raise(data, **load_kwargs):
    """Load ``data`` with both libraries; both must raise. Returns (torch's, lanterna's) exception."""
    caught = []
    for lib in (torch, lanterna):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # torch warns about pickle protocols other than 2
            with pytest.raises(Exception) as info:
                lib.load(io.BytesIO(data), **load_kwargs)
        caught.append(info.value)
    return tuple(caught)


# ---- hostile bytes: same exception class as torch.load ----------------------------------------
SAME_CLASS = {
    "os.system": pkl(call(G("os", "system"), S("true"))),
    "posix.system": pkl(call(G("posix", "system"), S("true"))),
    "builtins.eval": pkl(call(G("builtins", "eval"), S("1"))),
    "getattr chain": pkl(call(call(G("builtins", "getattr"), G("builtins", "dict"), S("fromkeys")), S("x"))),
    "subprocess": pkl(G("subprocess", "Popen")),
    "unknown class": pkl(call(G("mymodule", "Evil"))),
    "INST": pkl(b"(" + S("true") + b"ios\nsystem\n"),
    "OBJ": pkl(b"(" + G("os", "system") + S("true") + b"o"),
    "EXT1": pkl(b"\x82\x01"),
    "EXT2": pkl(b"\x83\x01\x00"),
    "EXT4": pkl(b"\x84\x01\x00\x00\x00"),
    "text PERSID": pkl(b"Pfoo\n"),
    "BINPERSID str": pkl(S("foo") + b"Q"),
    "BINPERSID not storage": pkl(b"(" + S("module") + S("x") + b"tQ"),
    "BUILD on dict": pkl(b"}}b"),
    "NEWOBJ dict": pkl(G("builtins", "dict") + b")\x81"),
    "storage type global refused": pkl(
        tensor(b"(" + S("storage") + G("os", "system") + S("0") + S("cpu") + I(2) + b"tQ")
    ),
    "missing storage record": pkl(tensor(pid(key="7"))),
    "key is a path": pkl(tensor(pid(key="../data.pkl"))),
    "numel larger than record": pkl(tensor(pid(numel=2**40))),
    "negative numel": pkl(tensor(pid(numel=-1))),
    "negative offset": pkl(tensor(offset=-1)),
    "offset past storage": pkl(tensor(offset=2**40)),
    "view past storage": pkl(tensor(offset=1)),
    "negative size": pkl(tensor(size=(-1,))),
    "negative stride": pkl(tensor(offset=1, stride=(-1,))),
    "huge stride": pkl(tensor(stride=(2**62,))),
    "size/stride lengths": pkl(tensor(stride=(1, 1))),
    "numel overflow": pkl(tensor(size=(2**40, 2**40), stride=(0, 0))),
    "requires_grad not bool": pkl(tensor(requires_grad=I(1))),
    "empty data.pkl": b"",
    "truncated data.pkl": pkl(tensor())[:20],
}


@pytest.mark.parametrize("name", list(SAME_CLASS))
def test_hostile_zip_checkpoints_raise_torchs_exception_class(name):
    t_exc, l_exc = both_raise(make_zip(SAME_CLASS[name]))
    assert isinstance(l_exc, type(t_exc)), (name, type(t_exc), type(l_exc), str(l_exc)[:300])
    if isinstance(t_exc, pickle.UnpicklingError):
        assert str(l_exc).startswith("Weights only load failed.")


@pytest.mark.parametrize(
    "payload, gist",
    [
        (
            pkl(call(G("os", "system"), S("true"))),
            "Trying to load unsupported GLOBAL os.system whose module os is blocked.",
        ),
        (
            pkl(call(G("builtins", "eval"), S("1"))),
            "Unsupported global: GLOBAL eval was not an allowed global by default. "
            "Please use `torch.serialization.add_safe_globals([eval])`",
        ),
        (
            pkl(call(G("collections", "UserDict"))),
            "Unsupported global: GLOBAL collections.UserDict was not an allowed global by default.",
        ),
        (
            pkl(b"}}b"),
            "Can only build Tensor, Parameter, OrderedDict or types allowlisted via `add_safe_globals`, "
            "but got <class 'dict'>",
        ),
        (pkl(b"\x82\x01"), "Unsupported operand 130"),
    ],
)
def test_refusal_messages_carry_torchs_gist(payload, gist):
    t_exc, l_exc = both_raise(make_zip(payload), weights_only=True)
    assert gist in str(t_exc)
    assert gist in str(l_exc)


@pytest.mark.parametrize(
    "data",
    [
        bytes(range(200, 256)),  # (text may read as pickle opcodes to torch: a KeyError by chance)
        b"\x1f\x8b\x08\x00" + bytes(20),
        b"PK\x05\x06" + bytes(18),
        b"P",
        b"PK",
        b"PK\x03",
        pickle.dumps(12345, protocol=2),  # a pickle whose first value is not the magic number
        pickle.dumps(0x1950A86A20F9469CFC6C, protocol=2) + pickle.dumps(999, protocol=2),
        b"PK\x03\x04" + bytes(100),
        b"",
    ],
)
def test_non_checkpoints_raise_torchs_exception_class(data):
    t_exc, l_exc = both_raise(data)
    assert isinstance(l_exc, type(t_exc)), (type(t_exc), type(l_exc))


def test_bad_byteorder_record_is_a_value_error_in_both():
    t_exc, l_exc = both_raise(make_zip(pkl(b"N"), {"byteorder": b"middle"}))
    assert type(t_exc) is ValueError and isinstance(l_exc, ValueError)
    assert str(t_exc) == str(l_exc) == "Unknown endianness type: middle"


def _torch_bytes(obj, **kwargs):
    buf = io.BytesIO()
    torch.save(obj, buf, **kwargs)
    return buf.getvalue()


@pytest.mark.parametrize("legacy", [False, True], ids=["zip", "legacy"])
def test_truncated_torch_checkpoints_never_load(legacy):
    data = _torch_bytes({"w": torch.arange(4.0), "n": 1}, _use_new_zipfile_serialization=not legacy)
    for cut in range(0, len(data), 7):
        with pytest.raises((RuntimeError, EOFError, pickle.UnpicklingError)):
            lanterna.load(io.BytesIO(data[:cut]))


class Opaque:
    pass


def test_unsafe_globals_listed_like_torch():
    data = _torch_bytes({"a": Opaque(), "b": torch.ones(1), "c": (int, range)})
    assert sorted(lanterna.serialization.get_unsafe_globals_in_checkpoint(io.BytesIO(data))) == sorted(
        torch.serialization.get_unsafe_globals_in_checkpoint(io.BytesIO(data))
    )
    legacy = _torch_bytes([1], _use_new_zipfile_serialization=False)
    for lib in (torch, lanterna):
        with pytest.raises(ValueError, match="Expected input to be a checkpoint returned by torch.save"):
            lib.serialization.get_unsafe_globals_in_checkpoint(io.BytesIO(legacy))
    with torch.serialization.safe_globals([Opaque]), lanterna.serialization.safe_globals([Opaque]):
        assert sorted(lanterna.serialization.get_unsafe_globals_in_checkpoint(io.BytesIO(data))) == sorted(
            torch.serialization.get_unsafe_globals_in_checkpoint(io.BytesIO(data))
        )
        assert type(lanterna.load(io.BytesIO(data), weights_only=False)["a"]) is Opaque


# ---- interchange: lanterna's modules and optimizers through torch's -------------------------------
def _via(src_lib, dst_lib, obj, legacy=False):
    buf = io.BytesIO()
    src_lib.save(obj, buf, _use_new_zipfile_serialization=not legacy)
    buf.seek(0)
    return dst_lib.load(buf)  # weights_only=True, the default of both


MODULES = {
    "linear": lambda nn: nn.Linear(3, 2),
    "conv2d": lambda nn: nn.Conv2d(2, 3, 3),
    "batchnorm": lambda nn: nn.BatchNorm1d(4),
    "lstm": lambda nn: nn.LSTM(3, 4, num_layers=2),
}


@pytest.mark.parametrize("legacy", [False, True], ids=["zip", "legacy"])
@pytest.mark.parametrize("kind", list(MODULES))
def test_lanterna_module_state_dicts_load_into_torch_modules_and_back(kind, legacy):
    lmod, tmod = MODULES[kind](lnn), MODULES[kind](torch.nn)
    lsd = lmod.state_dict()
    tsd = _via(lanterna, torch, lsd, legacy)
    assert list(tsd) == list(tmod.state_dict()) and tsd._metadata == tmod.state_dict()._metadata
    tmod.load_state_dict(tsd)  # strict: every key, shape and dtype fits torch's module
    for key, value in tmod.state_dict().items():
        assert str(value.dtype) == str(lsd[key].dtype), key
        assert np.array_equal(value.numpy(), lsd[key].numpy()), key
        assert not value.requires_grad  # state_dict tensors are detached in both
    if kind == "batchnorm":
        assert tsd["num_batches_tracked"].dtype is torch.int64 and tsd["num_batches_tracked"].dim() == 0
    # torch's trained values come back into a fresh lanterna module
    with torch.no_grad():
        for p in tmod.parameters():
            p.add_(0.5)
    back = _via(torch, lanterna, tmod.state_dict(), legacy)
    fresh = MODULES[kind](lnn)
    fresh.load_state_dict(back)
    for key, value in tmod.state_dict().items():
        assert np.array_equal(fresh.state_dict()[key].numpy(), value.numpy()), key


@pytest.mark.parametrize(
    "make",
    [
        lambda lib, ps: lib.SGD(ps, lr=0.1, momentum=0.9),
        lambda lib, ps: lib.Adam(ps, lr=0.01),
    ],
    ids=["sgd-momentum", "adam"],
)
def test_optimizer_state_continues_identically_after_crossing(make):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 3)).astype(np.float32)
    lmod = lnn.Linear(3, 2)
    tmod = torch.nn.Linear(3, 2)
    tmod.load_state_dict(_via(lanterna, torch, lmod.state_dict()))
    lopt = make(loptim, lmod.parameters())
    lmod(lanterna.tensor(x)).sum().backward()
    lopt.step()
    tmod.load_state_dict(_via(lanterna, torch, lmod.state_dict()))
    # lanterna's optimizer state drives torch's optimizer: one more step must agree
    topt = make(torch.optim, tmod.parameters())
    tosd = _via(lanterna, torch, lopt.state_dict())
    if "step" in tosd["state"][0]:
        assert torch.is_tensor(tosd["state"][0]["step"]) and tosd["state"][0]["step"].item() == 1.0
    topt.load_state_dict(tosd)
    for lib_mod, lib_opt, lib in ((lmod, lopt, lanterna), (tmod, topt, torch)):
        lib_opt.zero_grad()
        lib_mod(lib.tensor(x)).sum().backward()
        lib_opt.step()
    np.testing.assert_allclose(
        lmod.weight.detach().numpy(), tmod.weight.detach().numpy(), rtol=1e-6, atol=1e-7
    )
    # and torch's state back into a lanterna optimizer
    lopt2 = make(loptim, lmod.parameters())
    lopt2.load_state_dict(_via(torch, lanterna, topt.state_dict()))
    assert lopt2.state_dict()["param_groups"][0]["lr"] == topt.state_dict()["param_groups"][0]["lr"]


@pytest.mark.parametrize("direction", ["torch->lanterna", "lanterna->torch"])
@pytest.mark.parametrize("legacy", [False, True], ids=["zip", "legacy"])
def test_views_in_nested_containers_stay_shared(direction, legacy):
    src_lib, dst_lib = (torch, lanterna) if direction == "torch->lanterna" else (lanterna, torch)
    base = src_lib.arange(12.0).reshape(3, 4)
    obj = {
        "outer": [base, (base.t(), {"col": base[:, 1]})],
        "row": base[2],
        "zero": src_lib.tensor(7),
        "empty": src_lib.zeros(0, 2),
    }
    out = _via(src_lib, dst_lib, obj, legacy)
    b, (t, inner) = out["outer"]
    assert (
        t.stride() == (1, 4)
        and inner["col"].stride() == (4,)
        and out["row"].tolist() == [8.0, 9.0, 10.0, 11.0]
    )
    assert out["zero"].dim() == 0 and out["zero"].item() == 7 and tuple(out["empty"].shape) == (0, 2)
    b.mul_(-1)  # one write shows through every view: memory is shared after loading
    assert t[1, 0].item() == -1.0 and inner["col"][2].item() == -9.0 and out["row"][0].item() == -8.0


def test_lanterna_files_written_without_crc_or_edited_through_a_shared_map_load_in_torch(tmp_path):
    lanterna.serialization.set_crc32_options(False)
    try:
        lanterna.save({"w": lanterna.arange(3.0)}, tmp_path / "nocrc.pt")
    finally:
        lanterna.serialization.set_crc32_options(True)
    assert torch.load(tmp_path / "nocrc.pt")["w"].tolist() == [0.0, 1.0, 2.0]
    torch.save({"w": torch.zeros(3)}, tmp_path / "shared.pt")
    with lanterna.serialization.set_default_mmap_options(mmap.MAP_SHARED):
        sd = lanterna.load(tmp_path / "shared.pt", mmap=True)
        sd["w"].add_(5)
        del sd
    assert torch.load(tmp_path / "shared.pt")["w"].tolist() == [5.0, 5.0, 5.0]
    assert lanterna.load(tmp_path / "shared.pt")["w"].tolist() == [5.0, 5.0, 5.0]
