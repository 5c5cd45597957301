"""PyTorch as the oracle for test_not_a_tensor_errors_last.py: clip, where, masked_fill, scatter,
the bitwise and comparison ops and the functional softmax / losses / convolutions given a
non-tensor raise the same exception type with the same message."""

import numpy as np
import pytest

import lanterna
from oracle_summary import NOT_TENSORS, raised as _raised
import lanterna.nn.functional as LF

pytestmark = pytest.mark.oracle
torch = pytest.importorskip("torch")
import torch.nn.functional as TF  # noqa: E402

T, I, B, W = "tensor", "index", "mask", "weight"  # placeholders, made per library

BAD = {**NOT_TENSORS, "ndarray": np.array([1.0, 2.0])}

#: (name, arguments after the bad input, keyword arguments)
CALLS = [("clip", (0.0,), {}), ("clip", (), {"max": 1.0}), ("clip", (0.0, 1.0), {}), ("where", (), {}),
         ("where", (T, T), {}), ("where", (T, 0.0), {}), ("where", (1, 2.0), {}), ("where", (T,), {}),
         ("masked_fill", (B, 0.0), {}), ("masked_fill", (B, T), {}), ("scatter", (0, I, T), {}),
         ("scatter", (0, I, 1.0), {}), ("scatter", (0, I), {"value": 1.0}), ("scatter", (0, I, T), {"reduce": "add"}),
         ("bitwise_and", (3,), {}), ("bitwise_or", ([1],), {}), ("bitwise_xor", (None,), {}),
         ("bitwise_left_shift", (1,), {}), ("bitwise_right_shift", (1.5,), {}),
         ("eq", (2.0,), {}), ("greater", (1,), {}), ("greater_equal", (1,), {}), ("less", (1,), {}),
         ("less_equal", (1,), {}), ("not_equal", (1,), {}),
         ("F.softmax", (0,), {}), ("F.log_softmax", (), {"dim": 0}), ("F.mse_loss", (T,), {}),
         ("F.cross_entropy", (I,), {}), ("F.conv1d", (W,), {}), ("F.conv2d", (W,), {}), ("F.conv3d", (W,), {}),
         ("F.conv2d", (W,), {"padding": "same"}), ("F.conv2d", (W,), {"stride": 2})]


def _arg(lib, a):
    return {T: lambda: lib.ones(2), I: lambda: lib.zeros(2, dtype=lib.long), B: lambda: lib.ones(2, dtype=lib.bool),
            W: lambda: lib.ones(1, 1, 1, 1)}.get(a, lambda: a)() if isinstance(a, str) else a


def _fn(lib, name):
    if name.startswith("F."):
        return getattr(TF if lib is torch else LF, name[2:])
    return getattr(lib, name)



@pytest.mark.parametrize("bad", BAD.values(), ids=BAD.keys())
@pytest.mark.parametrize("name, args, kwargs", CALLS, ids=[f"{n}{len(a)}{''.join(k)}" for n, a, k in CALLS])
def test_same_error_as_torch(name, args, kwargs, bad):
    expected = _raised(_fn(torch, name), bad, *[_arg(torch, a) for a in args], **kwargs)
    assert _raised(_fn(lanterna, name), bad, *[_arg(lanterna, a) for a in args], **kwargs) == expected


@pytest.mark.parametrize("name, first, args", [("F.mse_loss", T, ([1.0],)), ("F.cross_entropy", W, ([1],)),
                                                ("F.conv2d", W, ([1.0],)), ("F.softmax", ([1.0],), ())])
def test_second_argument_same_error_as_torch(name, first, args):
    def call(lib):
        head = _arg(lib, first) if isinstance(first, str) else first[0]
        return _raised(_fn(lib, name), head, *args)

    assert call(lanterna) == call(torch)


@pytest.mark.parametrize("name", ["clamp", "clip"])
def test_clamp_and_clip_still_agree_with_torch(name):
    values = [-2.0, 0.5, 3.0]
    got = getattr(lanterna, name)(lanterna.tensor(values), -1, 1).tolist()
    assert got == getattr(torch, name)(torch.tensor(values), -1, 1).tolist()
