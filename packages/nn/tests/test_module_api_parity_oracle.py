"""PyTorch as the oracle for test_module_api_parity.py: the same code must give the same values,
dtypes, keys and errors (type and message) on both."""

import warnings

import pytest

torch = pytest.importorskip("torch")

import lanterna as lt  # noqa: E402

pytestmark = pytest.mark.oracle


def _norm(x, lib):
    """Results as comparable data (tensors as class name, dtype, shape, values)."""
    if isinstance(x, lib.Tensor):
        return (type(x).__name__, str(x.dtype), tuple(x.shape), x.detach().double().flatten().tolist())
    if isinstance(x, (list, tuple)):
        return tuple(_norm(v, lib) for v in x)
    if isinstance(x, dict):
        return {k: _norm(v, lib) for k, v in x.items()}
    if isinstance(x, lib.dtype):
        return str(x)
    return x


def _run(lib, body):
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        try:
            return _norm(body(lib), lib)
        except Exception as e:  # the error itself is what is compared
            return (type(e).__name__, str(e))


def _same(body):
    assert _run(lt, body) == _run(torch, body)


def _dtypes(m):
    return {k: str(v.dtype) for k, v in m.state_dict().items()}


# ---- Module.to ------------------------------------------------------------------------------
TO_CALLS = [
    (("cpu", "float64", True), {}),
    (("float64", True), {}),
    (("float64",), {"non_blocking": True}),
    ((None, "float64"), {}),
    (("cpu", None, False), {}),
    ((), {"dtype": "float64", "device": "cpu"}),
    ((), {"device": None}),
    (("float64", "float32"), {}),
    (("cpu",), {"device": "cpu"}),
    (("cpu",), {"non_blocking": "x"}),
    (("cpu",), {"non_blocking": 1}),
    (("cpu", "tensor_i64"), {}),
    (("tensor_f64",), {"dtype": "float32"}),
    (("tensor_f64", True), {}),
    ((), {"foo": 1}),
    (([1],), {}),
    (("float64",), {"copy": True}),
    (("cpu",), {"copy": False}),
    (("int32",), {}),
    (("tensor_i64",), {}),
    (("float16",), {"memory_format": "channels_last"}),
]


def _resolve(lib, a):
    if a == "tensor_f64":
        return lib.zeros(1, dtype=lib.float64)
    if a == "tensor_i64":
        return lib.zeros(1, dtype=lib.int64)
    if a in ("float64", "float32", "float16", "int32", "channels_last"):
        return getattr(lib, a)
    return a


@pytest.mark.parametrize("args, kwargs", TO_CALLS)
def test_module_to_parses_like_torch(args, kwargs):
    def body(lib):
        m = lib.nn.Sequential(lib.nn.Conv2d(1, 1, 1), lib.nn.BatchNorm1d(1))
        a = [_resolve(lib, x) for x in args]
        k = {n: _resolve(lib, v) for n, v in kwargs.items()}
        assert m.to(*a, **k) is m
        return _dtypes(m)

    _same(body)


@pytest.mark.parametrize("requires_grad", [True, False])
def test_type_to_integer(requires_grad):
    def body(lib):
        m = lib.nn.Linear(1, 1).requires_grad_(requires_grad)
        m.type(lib.int32)
        return _dtypes(m), type(m.weight).__name__

    _same(body)


# ---- Unflatten ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "dim, sizes",
    [(1, (2, 3)), ("a", (2, 3)), (1.0, (2, 3)), ("f", (("C", 2), ("H", 3))), (1, 3), (1, (2, "a")), (-1, [2, -1])],
)
def test_unflatten_arguments(dim, sizes):
    _same(lambda lib: repr(lib.nn.Unflatten(dim, sizes)))


# ---- gradient norms -------------------------------------------------------------------------
@pytest.mark.parametrize("norm_type", [2.0, 1, 0, "inf", "-inf", float("-inf"), 3])
def test_clip_grad_norm_orders(norm_type):
    def body(lib):
        ps = []
        for v in ([3.0, -4.0], [-2.0, 7.0, 0.5]):
            p = lib.nn.Parameter(lib.zeros(len(v)))
            p.grad = lib.tensor(v)
            ps.append(p)
        total = lib.nn.utils.clip_grad_norm_(ps, 1.5, norm_type=norm_type)
        return [round(total.item(), 4)] + [[round(x, 4) for x in p.grad.tolist()] for p in ps]

    _same(body)


def test_total_norm_of_mixed_dtypes():
    def body(lib):
        ts = [lib.tensor([3.0, 4.0], dtype=lib.float16), lib.tensor([12.0], dtype=lib.float64)]
        return lib.nn.utils.get_total_norm(ts), lib.nn.utils.get_total_norm(ts[::-1], "inf")

    _same(body)


# ---- parameters_to_vector -------------------------------------------------------------------
@pytest.mark.parametrize("shape", [(2, 3), (6,), ()])
def test_parameters_to_vector_of_a_tensor(shape):
    _same(lambda lib: lib.nn.utils.parameters_to_vector(lib.arange(6.0)[: 1 if not shape else 6].reshape(shape)))


# ---- pad_sequence ---------------------------------------------------------------------------
SEQS = [
    ("i64,f32", lambda lib: [lib.tensor([1, 2]), lib.tensor([1.5])]),
    ("f32,i64", lambda lib: [lib.tensor([1.5]), lib.tensor([1, 2])]),
    ("bool", lambda lib: [lib.tensor([True]), lib.tensor([False, True])]),
    ("broadcast", lambda lib: [lib.ones(2, 3), lib.zeros(1, 1)]),
    ("1d-into-2d", lambda lib: [lib.ones(2, 3), lib.ones(3)]),
    ("narrower", lambda lib: [lib.ones(2, 1), lib.ones(1, 3)]),
    ("mismatch", lambda lib: [lib.ones(2, 3, 4), lib.ones(1, 2, 4)]),
    ("more-dims", lambda lib: [lib.ones(2, 3), lib.ones(1, 3, 1)]),
]


@pytest.mark.parametrize("name, seqs", SEQS, ids=[s[0] for s in SEQS])
@pytest.mark.parametrize("batch_first, side", [(False, "right"), (True, "left")])
def test_pad_sequence(name, seqs, batch_first, side):
    _same(lambda lib: lib.nn.utils.rnn.pad_sequence(seqs(lib), batch_first, 1, side))


def test_pad_sequence_broadcast_gradients():
    def body(lib):
        a = lib.ones(2, 3, requires_grad=True)
        b = lib.ones(1, 1, requires_grad=True)
        out = lib.nn.utils.rnn.pad_sequence([a, b], batch_first=True)
        (out * lib.arange(12.0).reshape(2, 2, 3)).sum().backward()
        return out, a.grad, b.grad

    _same(body)


# ---- memory formats -------------------------------------------------------------------------
def test_convert_conv_weight_memory_format():
    def body(lib):
        lib.manual_seed(0)
        m = lib.nn.Sequential(lib.nn.Conv2d(1, 2, 3), lib.nn.Conv3d(1, 1, 1), lib.nn.Linear(1, 1))
        params = list(m.parameters())
        out = lib.nn.utils.convert_conv2d_weight_memory_format(m, lib.channels_last)
        out = lib.nn.utils.convert_conv3d_weight_memory_format(out, lib.contiguous_format)
        return out is m, [p is q for p, q in zip(params, m.parameters())], [type(p).__name__ for p in m.parameters()]

    _same(body)


# ---- DataParallel ---------------------------------------------------------------------------
def test_data_parallel_on_cpu():
    if lt.accelerator.is_available() or torch.cuda.is_available():
        pytest.skip("an accelerator is present")

    def body(lib):
        lib.manual_seed(0)
        dp = lib.nn.DataParallel(lib.nn.Linear(2, 1))
        x = lib.ones(3, 2)
        return repr(dp), list(dp.state_dict()), dp.device_ids, dp(x).shape == (3, 1)

    _same(body)
    _same(lambda lib: lib.nn.parallel.data_parallel(lib.nn.Linear(2, 1), lib.ones(1, 2)))
