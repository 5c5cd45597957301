"""PyTorch as the oracle for printing real Lanterna tensors: ``repr``/``str``/f-strings of tensors
built from the same NumPy arrays in both libraries, with autograd suffixes, parameters, gradients,
print options, the default dtype, ``torch.return_types`` and containers of tensors. (The tests in
test_tensor_str.py call the formatter directly; these go through ``lanterna.Tensor``.) Skipped
where torch is not installed."""

import math

import numpy as np
import pytest

import lanterna

pytestmark = pytest.mark.oracle
torch = pytest.importorskip("torch")

DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"]
SHAPES = [(), (1,), (5,), (0,), (2, 0), (0, 3, 4), (3, 4), (2, 3, 4), (2, 1, 3, 2), (1, 2, 1, 2, 3),
          (40,), (1001,), (40, 40), (3, 500), (500, 3), (11, 11, 11), (7, 7, 7, 7), (1, 1, 1100)]
SPECIALS = [0.0, -0.0, math.nan, math.inf, -math.inf, 1.0, -2.5, 1e-5, 1e10, 1e-4, 9.99995e-5, 99999.5,
            1e8, 65504.0, 6e-8, 0.99995, -9.99995, 1 / 3]
OPTIONS = [{}, {"precision": 2}, {"precision": 8}, {"precision": 0}, {"sci_mode": True}, {"sci_mode": False},
           {"linewidth": 40}, {"linewidth": 200}, {"threshold": 10}, {"threshold": 10, "edgeitems": 1},
           {"threshold": 5, "edgeitems": 0}, {"edgeitems": 0}, {"profile": "short"}, {"profile": "full"},
           {"profile": "short", "sci_mode": True}, {"threshold": 20, "edgeitems": 5, "linewidth": 60}]


@pytest.fixture(autouse=True)
def _restore_options():
    yield
    for lib in (torch, lanterna):
        lib.set_printoptions(profile="default")
        lib.set_default_dtype(lib.float32)


def _values(rng, dtype, shape):
    size = math.prod(shape)
    if dtype == "bool":
        return (rng.random(size) < 0.5).reshape(shape)
    if dtype[0] in "iu":
        info = np.iinfo(dtype)
        if rng.random() < 0.5:
            values = rng.integers(info.min, info.max, size, endpoint=True, dtype=np.int64)
        else:
            values = rng.integers(max(info.min, -50), 50, size)
        return values.astype(dtype).reshape(shape)
    kind = rng.random()
    if kind < 0.3:
        values = rng.choice(SPECIALS, size)
    elif kind < 0.6:
        # A different magnitude for every element: scientific notation, wide columns.
        values = rng.standard_normal(size) * 10.0 ** rng.integers(-9, 9, size)
    else:
        # Rounded values: often integral ("1."), sometimes with few decimals.
        values = np.round(rng.standard_normal(size) * 10.0 ** rng.integers(-3, 6), int(rng.integers(0, 5)))
    with np.errstate(over="ignore"):
        return values.astype(dtype).reshape(shape)


def _texts(lib, array, dtype, options, requires_grad, view):
    """Everything the two libraries must print identically for one tensor."""
    lib.set_printoptions(**{"profile": "default", **options})
    t = lib.tensor(array, dtype=getattr(lib, dtype), requires_grad=requires_grad)
    out = [repr(t), str(t), f"{t}", repr([t]), str({"t": t})]
    if view and t.dim() >= 2:
        out.append(repr(t.transpose(0, -1)))
        out.append(repr(t[..., ::2]))
    if requires_grad:
        out.append(repr(t * 2))
        (t * 3).sum().backward()
        out.append(repr(t.grad))
        out.append(repr(lib.nn.Parameter(t.detach())))
        out.append(str(lib.nn.Parameter(t.detach(), requires_grad=False)))
    out += [repr(t.shape), repr(t.dtype), str(t.dtype), repr(t.device), str(t.device)]
    return out


@pytest.mark.parametrize("seed", range(4))
def test_random_tensors_print_as_torch(seed):
    rng = np.random.default_rng(seed)
    for shape in SHAPES:
        for dtype in DTYPES:
            array = _values(rng, dtype, shape)
            options = OPTIONS[int(rng.integers(len(OPTIONS)))]
            requires_grad = dtype.startswith("float") and bool(rng.random() < 0.5)
            view = bool(rng.random() < 0.3)
            case = (dtype, shape, options, requires_grad, array.ravel()[:6].tolist())
            expected = _texts(torch, array, dtype, options, requires_grad, view)
            assert _texts(lanterna, array, dtype, options, requires_grad, view) == expected, case


@pytest.mark.parametrize("dtype", DTYPES)
def test_dtype_suffixes_with_float64_default(dtype):
    array = _values(np.random.default_rng(1), dtype, (3,))

    def texts(lib):
        lib.set_default_dtype(lib.float64)
        tensors = [lib.tensor(array, dtype=getattr(lib, dtype)), lib.tensor([], dtype=getattr(lib, dtype)),
                   lib.zeros(2, 0, dtype=getattr(lib, dtype)), lib.tensor(array.tolist()), lib.tensor([1.5])]
        return [repr(t) for t in tensors]

    assert texts(lanterna) == texts(torch)


RETURN_TYPE_CALLS = {
    "max": lambda t: t.max(0), "min": lambda t: t.min(1, keepdim=True), "sort": lambda t: t.sort(),
    "topk": lambda t: t.topk(2), "kthvalue": lambda t: t.kthvalue(1), "median": lambda t: t.median(1),
    "mode": lambda t: t.mode(1), "cummax": lambda t: t.cummax(1), "aminmax": lambda t: t.aminmax(dim=1),
}


@pytest.mark.parametrize("op", list(RETURN_TYPE_CALLS))
def test_return_types_print_as_torch(op):
    array = np.array([[1.0, 5.0, 2.0], [3.0, 2.0, 7.0]], dtype=np.float32)

    def texts(lib):
        result = RETURN_TYPE_CALLS[op](lib.tensor(array, requires_grad=True))
        rebuilt = type(result)(tuple(result))  # PyTorch's constructor takes one sequence
        return [repr(result), str(result), repr(type(result)), str([result]), repr(rebuilt),
                (result.n_fields, result.n_sequence_fields, result.n_unnamed_fields)]

    assert texts(lanterna) == texts(torch)


def test_print_options_round_trip_as_torch():
    def texts(lib):
        out = []
        for options in [{"profile": "short"}, {"profile": "full"}, {"precision": 3, "profile": "short"},
                        {"linewidth": 1}, {"threshold": 0}, {"threshold": 1, "edgeitems": 10},
                        {"precision": 20}, {"sci_mode": True, "precision": 1}, {"profile": "unknown"}]:
            lib.set_printoptions(**options)
            out.append(lib._tensor_str.get_printoptions())
            out.append(repr(lib.tensor(np.arange(2000, dtype=np.float32) / 7)))
            out.append(repr(lib.tensor([1e-6, 1.0, 2.0])))
            lib.set_printoptions(profile="default")
        with lib._tensor_str.printoptions(precision=1):
            out.append(repr(lib.tensor([1.2345])))
        out.append(repr(lib.tensor([1.2345])))
        return out

    assert texts(lanterna) == texts(torch)


def test_tensor_contents_matches_torch():
    from lanterna._tensor_str import format_tensor

    cases = [(np.array([1.0, 2.0], dtype=np.float32), "float32", False),
             (np.zeros((2, 0), np.float32), "float32", False),
             (np.array([1, 2], dtype=np.int32), "int32", False),
             (np.array([1.5, 2.0]), "float64", True)]
    for array, dtype, requires_grad in cases:
        tensor = torch.from_numpy(array).requires_grad_(requires_grad)
        expected = tensor.__repr__(tensor_contents="[values]")
        assert format_tensor(array, dtype_name=dtype, requires_grad=requires_grad,
                             tensor_contents="[values]") == expected
