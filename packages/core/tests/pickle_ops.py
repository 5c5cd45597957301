"""Hand-written pickle opcodes and checkpoint archives, for the tests that feed torch.load hostile
or broken bytes (shared by the serialization safety and fuzz tests)."""

import io
import struct

from lanterna.serialization._zip import ZipWriter


def G(module, name):
    return b"c" + f"{module}\n{name}\n".encode()


def S(text):
    data = text.encode()
    return b"X" + struct.pack("<I", len(data)) + data


def I(n):  # noqa: E743
    if -(2**31) <= n < 2**31:
        return b"J" + struct.pack("<i", n)
    data = n.to_bytes(16, "little", signed=True)
    return b"\x8a" + bytes([len(data)]) + data  # LONG1


def tup(*items):
    return b"(" + b"".join(items) + b"t"


def call(func, *args):
    return func + tup(*args) + b"R"


def pkl(body, proto=2):
    return b"\x80" + bytes([proto]) + body + b"."


def pid(storage="FloatStorage", key="0", location="cpu", numel=2):
    return tup(S("storage"), G("torch", storage), S(key), S(location), I(numel)) + b"Q"


def tensor(pid_ops=None, offset=0, size=(2,), stride=(1,), requires_grad=b"\x89"):
    return call(
        G("torch._utils", "_rebuild_tensor_v2"),
        pid() if pid_ops is None else pid_ops,
        I(offset),
        tup(*map(I, size)),
        tup(*map(I, stride)),
        requires_grad,
        call(G("collections", "OrderedDict")),
    )


FLOATS = struct.pack("<2f", 1.5, -2.0)


def make_zip(data_pkl, records=None, prefix="archive"):
    buf = io.BytesIO()
    writer = ZipWriter(buf)
    writer.write_record(f"{prefix}/data.pkl", data_pkl)
    for name, data in (records or {"data/0": FLOATS}).items():
        writer.write_record(f"{prefix}/{name}", data)
    writer.write_record(f"{prefix}/version", b"3\n")
    writer.close()
    return buf.getvalue()
