"""Hostile and damaged checkpoints: loading must refuse them, run nothing, and return nothing wrong.

Each payload, if it ran, would create a sentinel file; every test checks that it does not exist.
One control test runs a payload with ``weights_only=False`` to prove the payloads are live.
"""

import io
import os
import pickle
import struct
import subprocess
import zipfile

import lanterna as torch
import pytest
from lanterna.serialization import CheckpointError


@pytest.fixture
def sentinel(tmp_path):
    path = tmp_path / "pwned"
    yield str(path)
    assert not path.exists(), "a payload in the checkpoint was executed"


from pickle_ops import FLOATS, G, I, S, call, make_zip, pid, pkl, tensor, tup


def load_bytes(data, **kwargs):
    return torch.load(io.BytesIO(data), **kwargs)


# ---- the payloads ------------------------------------------------------------------------------
class Exec:
    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return exec, (f"open({self.path!r}, 'w').close()",)


class System(Exec):
    def __reduce__(self):
        return os.system, (f"touch {self.path}",)


class Popen(Exec):
    def __reduce__(self):
        return subprocess.Popen, (["touch", self.path],)


class Eval(Exec):
    def __reduce__(self):
        return eval, (f"open({self.path!r}, 'w')",)


PAYLOADS = [Exec, System, Popen, Eval]


def test_control_payloads_are_live_with_weights_only_false(tmp_path):
    path = tmp_path / "ran"
    data = make_zip(pickle.dumps({"x": Exec(str(path))}, protocol=2))
    load_bytes(data, weights_only=False)
    assert path.exists()  # the same file is refused below: the refusal is what protects


@pytest.mark.parametrize("payload", PAYLOADS, ids=lambda c: c.__name__)
@pytest.mark.parametrize("protocol", [0, 2, 4])
def test_code_execution_payloads_are_refused(payload, protocol, sentinel):
    data = make_zip(pickle.dumps({"weights": [1.0], "x": payload(sentinel)}, protocol=protocol))
    with pytest.raises(
        pickle.UnpicklingError, match=r"(?s)Weights only load failed.*(Unsupported global|blocked)"
    ):
        load_bytes(data)


def test_error_names_the_forbidden_global(sentinel):
    data = make_zip(pickle.dumps(System(sentinel), protocol=2))
    with pytest.raises(pickle.UnpicklingError) as info:
        load_bytes(data)
    assert f"GLOBAL {os.system.__module__}.system" in str(info.value)
    assert torch.serialization.get_unsafe_globals_in_checkpoint(io.BytesIO(data)) == [
        f"{os.system.__module__}.system"
    ]
    data = make_zip(pkl(call(G("collections", "UserDict"))))
    with pytest.raises(
        pickle.UnpicklingError,
        match=r"Unsupported global: GLOBAL collections.UserDict was not an "
        r"allowed global by default",
    ):
        load_bytes(data)


def test_blocked_modules_stay_blocked_even_if_allowlisted(sentinel):
    with torch.serialization.safe_globals([os.system, (eval, "builtins.eval")]):
        for payload in (System, Eval):
            with pytest.raises(pickle.UnpicklingError, match="is blocked"):
                load_bytes(make_zip(pickle.dumps(payload(sentinel), protocol=2)))


def test_nested_reduce_tricks(sentinel):
    cmd = f"touch {sentinel}"
    chains = [
        # getattr(__import__('os'), 'system')(cmd)
        call(call(G("builtins", "getattr"), call(G("builtins", "__import__"), S("os")), S("system")), S(cmd)),
        # calling the result of an allowed call: OrderedDict()(cmd)
        call(call(G("collections", "OrderedDict")), S(cmd)),
        # calling a rebuilt tensor
        call(tensor(pid()), S(cmd)),
        # _rebuild_from_type_v2 with a function that is not a tensor rebuild
        call(
            G("torch._tensor", "_rebuild_from_type_v2"),
            G("collections", "OrderedDict"),
            G("torch", "Tensor"),
            tup(),
            b"N",
        ),
        # torch.Tensor used as a constructor (a 40 GB allocation)
        call(G("torch", "Tensor"), I(10_000_000_000 // 4 // 1000)),
        G("torch", "Tensor") + tup(I(10**9)) + b"\x81",  # NEWOBJ
        # builtins that allocate from an int
        call(G("builtins", "bytearray"), I(2**31 - 1)),
        call(G("_codecs", "encode"), S("x"), S("zlib")),
    ]
    for body in chains:
        with pytest.raises((pickle.UnpicklingError, RuntimeError)):
            load_bytes(make_zip(pkl(body), {"data/0": FLOATS}))


def test_setstate_and_build_tricks(sentinel):
    builds = [
        # BUILD on a tensor that tries to replace its array slot
        tensor(pid()) + b"N}(" + S("_data") + S("evil") + b"u" + b"\x86" + b"b",
        tensor(pid()) + b"}" + S("_data") + S("evil") + b"s" + b"b",
        # BUILD on an OrderedDict with a (dict, slots) state that would set __class__
        call(G("collections", "OrderedDict"))
        + b"N}"
        + S("__class__")
        + G("collections", "Counter")
        + b"s\x86b",
        # BUILD that would set attributes on a builtin
        call(G("builtins", "complex"), I(1)) + b"}" + S("real") + I(5) + b"sb",
        # SETITEM / APPEND on the wrong types
        call(G("builtins", "complex"), I(1)) + S("k") + S("v") + b"s",
        call(G("collections", "OrderedDict")) + S("v") + b"a",
    ]
    for body in builds:
        with pytest.raises(pickle.UnpicklingError):
            load_bytes(make_zip(pkl(body), {"data/0": FLOATS}))


def test_refused_opcodes(sentinel):
    bodies = [
        b"(S'touch x'\nios\nsystem\n",  # INST
        b"(" + G("os", "system") + S("touch x") + b"o",  # OBJ
        b"\x82\x01",  # EXT1 (copyreg extension registry)
        b"P0\n",  # text persistent id
        b"\x97",  # NEXT_BUFFER
    ]
    for body in bodies:
        with pytest.raises(pickle.UnpicklingError):
            load_bytes(make_zip(pkl(body)))


@pytest.mark.parametrize(
    "bad_pid",
    [
        tup(S("module"), G("collections", "OrderedDict"), S("x"), S("y")) + b"Q",
        tup(S("storage"), S("FloatStorage"), S("0"), S("cpu"), I(2)) + b"Q",  # type given as a string
        pid(key="../x"),
        pid(key="0/../../etc/passwd"),
        pid(key=""),
        pid(numel=-1),
        tup(S("storage"), G("torch", "FloatStorage"), S("0"), S("cpu"), b"\x8a\x09" + b"\xff" * 8 + b"\x7f")
        + b"Q",
        S("storage") + b"Q",
        I(0) + b"Q",
        tup(S("storage"), G("torch", "FloatStorage")) + b"Q",
        tup(S("storage"), G("torch", "FloatStorage"), S("0"), I(0), I(2)) + b"Q",  # location not a string
    ],
)
def test_bogus_persistent_ids(bad_pid, sentinel):
    records = {"data/0": FLOATS, "data/../x": FLOATS, "x": FLOATS}
    with pytest.raises((pickle.UnpicklingError, CheckpointError)):
        load_bytes(make_zip(pkl(bad_pid), records))


def test_storage_key_without_record(sentinel):
    with pytest.raises(CheckpointError, match="points to no record"):
        load_bytes(make_zip(pkl(tensor(pid(key="7"))), {"data/0": FLOATS}))


def test_absurd_sizes_never_read_out_of_bounds(sentinel):
    cases = [
        (tensor(pid(numel=10**12)), "should hold"),  # storage claims more than its record
        (tensor(pid(), size=(10**6,)), "reaches element"),  # tensor claims more than its storage
        (tensor(pid(), offset=2, size=(1,)), "reaches element"),
        (tensor(pid(), size=(2, 2), stride=(1, 1)), "reaches element"),
        (tensor(pid(storage="ComplexFloatStorage", numel=1)), "does not support"),
    ]
    for body, message in cases:
        with pytest.raises((RuntimeError, pickle.UnpicklingError), match=message):
            load_bytes(make_zip(pkl(body), {"data/0": FLOATS}))
    assert load_bytes(make_zip(pkl(tensor(pid())), {"data/0": FLOATS})).tolist() == [1.5, -2.0]


def _valid_checkpoint():
    buf = io.BytesIO()
    torch.save({"w": torch.arange(64.0), "b": torch.ones(3)}, buf)
    return bytearray(buf.getvalue())


def test_truncated_files_raise(tmp_path):
    data = _valid_checkpoint()
    for cut in (0, 3, 10, 100, len(data) // 2, len(data) - 22, len(data) - 1):
        (tmp_path / "t.pt").write_bytes(data[:cut])
        with pytest.raises(RuntimeError, match="truncated|corrupt|not a checkpoint"):
            torch.load(tmp_path / "t.pt")


def _record(data, suffix):
    info = next(i for i in zipfile.ZipFile(io.BytesIO(bytes(data))).infolist() if i.filename.endswith(suffix))
    n, m = struct.unpack("<HH", data[info.header_offset + 26 : info.header_offset + 30])
    return info, info.header_offset + 30 + n + m


def test_one_flipped_byte_in_tensor_data_is_caught():
    data = _valid_checkpoint()
    _, start = _record(data, "data/0")
    data[start + 17] ^= 0x01
    with pytest.raises(CheckpointError, match="CRC-32 mismatch in record 'archive/data/0'"):
        load_bytes(bytes(data))


def test_flipped_bytes_in_pickle_and_headers_are_caught():
    data = _valid_checkpoint()
    _, start = _record(data, "data.pkl")
    data[start + 5] ^= 0x40
    with pytest.raises(CheckpointError, match="CRC-32"):
        load_bytes(bytes(data))
    data = _valid_checkpoint()
    info, _ = _record(data, "data/1")
    data[info.header_offset + 31] ^= 0x01  # a byte of the record's name in its local header
    with pytest.raises(CheckpointError, match="local header"):
        load_bytes(bytes(data))


def _central_entries(data):
    pos = bytes(data).index(b"PK\x01\x02")
    while data[pos : pos + 4] == b"PK\x01\x02":
        n, m, k = struct.unpack("<HHH", data[pos + 28 : pos + 34])
        yield pos, bytes(data[pos + 46 : pos + 46 + n]).decode()
        pos += 46 + n + m + k


def test_zip_bomb_claimed_sizes(sentinel):
    data = _valid_checkpoint()
    entry = next(pos for pos, name in _central_entries(data) if name == "archive/data/0")
    data[entry + 20 : entry + 28] = struct.pack("<II", 2**31, 2**31)  # claims 2 GiB
    with pytest.raises(CheckpointError, match="claims 2147483648 bytes"):
        load_bytes(bytes(data))


def test_compressed_duplicate_and_encrypted_records_are_refused():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("archive/data.pkl", pickle.dumps([1], protocol=2))
    with pytest.raises(CheckpointError, match="compressed"):
        load_bytes(buf.getvalue())
    data = make_zip(pickle.dumps([1], protocol=2), {"data.pkl": pickle.dumps([2], protocol=2)})
    with pytest.raises(CheckpointError, match="twice"):
        load_bytes(data)


def test_crc_zero_means_not_recorded():
    # torch.serialization.set_crc32_options(False) writes 0: such files must still load
    data = _valid_checkpoint()
    for pos, _ in list(_central_entries(data)):
        data[pos + 16 : pos + 20] = bytes(4)
    assert load_bytes(bytes(data))["w"].tolist() == list(range(64))


def test_legacy_format_payloads_are_refused(sentinel):
    bare = pickle.dumps(System(sentinel), protocol=2)
    with pytest.raises(pickle.UnpicklingError, match="blocked"):
        load_bytes(bare)
    header = b"".join(
        pickle.dumps(v, protocol=2) for v in (0x1950A86A20F9469CFC6C, 1001, {"little_endian": True})
    )
    for payload in (Exec, System):
        body = pickle.dumps({"x": payload(sentinel)}, protocol=2) + pickle.dumps([], protocol=2)
        with pytest.raises(pickle.UnpicklingError, match="Unsupported global|blocked"):
            load_bytes(header + body)


def test_legacy_format_damage_is_caught():
    buf = io.BytesIO()
    torch.save({"a": torch.arange(5.0)}, buf, _use_new_zipfile_serialization=False)
    data = buf.getvalue()
    for bad in (data[:-3], data[:-28] + struct.pack("<q", 10**9) + data[-20:], data[:100]):
        with pytest.raises(CheckpointError, match="truncated|corrupted"):
            load_bytes(bad)
