"""In-place samplers against PyTorch 2.13 (CPU): the numbers under a seed (bit for bit), the
dtypes, the order the draws land in, and the errors (type and message) for bad arguments."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import lanterna as L

pytestmark = pytest.mark.oracle
torch = pytest.importorskip("torch")

FLOATS = ["float32", "float64", "float16"]
INTS = ["int64", "int32", "int16", "int8", "uint8"]


def run(mod, dtype, shape, method, *args, seed=0, view=None, **kwargs):
    """``mod.empty(shape).<method>(...)`` after ``mod.manual_seed(seed)`` -> ('ok', bytes, dtype,
    shape) or ('err', type name, first line of the message)."""
    mod.manual_seed(seed)
    t = mod.zeros(shape, dtype=getattr(mod, dtype))
    target = view(t) if view else t
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = getattr(target, method)(*args, **kwargs)
    except Exception as e:  # compared with torch's
        return ("err", type(e).__name__, str(e).splitlines()[0])
    assert out is target
    a = np.ascontiguousarray(t.numpy())
    # what comes next in the stream (the generator advanced alike)
    after = mod.rand(3, dtype=mod.float64).numpy().tobytes()
    return ("ok", a.tobytes(), str(a.dtype), a.shape, after)


def same(dtype, shape, method, *args, **kwargs):
    ours = run(L, dtype, shape, method, *args, **kwargs)
    theirs = run(torch, dtype, shape, method, *args, **kwargs)
    assert ours == theirs, (ours[:3], theirs[:3])
    return ours


@pytest.mark.parametrize("dtype", FLOATS + INTS)
@pytest.mark.parametrize("p", [0.3, 0.9, 1e-3, 1e-7])
@pytest.mark.parametrize("n", [1, 17, 300])
def test_geometric_exact(dtype, p, n):
    same(dtype, (n,), "geometric_", p, seed=n)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("mean,std", [(1, 2), (0.0, 1.0), (-2.5, 0.3), (40.0, 5.0)])
@pytest.mark.parametrize("n", [1, 3, 16, 33, 200])
def test_log_normal_exact(dtype, mean, std, n):
    same(dtype, (n,), "log_normal_", mean, std, seed=7 * n)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("median,sigma", [(0, 1), (1.5, 2.3), (-3.0, 0.1), (0.0, 1e-320), (0.0, float("inf"))])
@pytest.mark.parametrize("n", [1, 16, 257])
def test_cauchy_exact(dtype, median, sigma, n):
    same(dtype, (n,), "cauchy_", median, sigma, seed=n + 1)


def test_defaults_and_keywords():
    same("float32", (5,), "log_normal_")
    same("float32", (5,), "cauchy_")
    same("float64", (5,), "log_normal_", mean=0.5, std=0.25)
    same("float64", (5,), "cauchy_", median=2.0, sigma=3.0)
    same("float64", (5,), "geometric_", p=0.25)


def test_log_normal_shares_the_cached_normal_sample():
    """log_normal_ draws Box-Muller pairs and caches the second sample, which randn uses next."""
    for mod in (L, torch):
        mod.manual_seed(3)
    a = L.empty(3, dtype=L.float64).log_normal_(0, 1)
    b = torch.empty(3, dtype=torch.float64).log_normal_(0, 1)
    assert a.numpy().tobytes() == b.numpy().tobytes()
    assert L.randn(1, dtype=L.float64).item() == torch.randn(1, dtype=torch.float64).item()


def test_generator_argument():
    g, tg = L.Generator().manual_seed(11), torch.Generator().manual_seed(11)
    for name, args in (("geometric_", (0.4,)), ("log_normal_", ()), ("cauchy_", (1.0, 0.5))):
        a = getattr(L.empty(20, dtype=L.float64), name)(*args, generator=g)
        b = getattr(torch.empty(20, dtype=torch.float64), name)(*args, generator=tg)
        assert a.numpy().tobytes() == b.numpy().tobytes(), name


VIEWS = [lambda t: t.t(), lambda t: t[:, ::2], lambda t: t.permute(1, 0)[1:]]


@pytest.mark.parametrize("view", VIEWS)
@pytest.mark.parametrize("method,args", [("uniform_", (-1.0, 2.0)), ("normal_", (0.5, 2.0)), ("exponential_", (2.0,)),
                                         ("geometric_", (0.2,)), ("log_normal_", ()), ("cauchy_", ()),
                                         ("random_", (0, 100)), ("random_", ()), ("bernoulli_", (0.3,))])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_strided_views_fill_in_memory_order(view, method, args, dtype):
    """Torch writes the draws in the storage order of the tensor (and normal_ on a strided tensor
    takes its element-by-element path even for 16 elements or more)."""
    same(dtype, (6, 8), method, *args, view=view)


@pytest.mark.parametrize("dtype", FLOATS + INTS + ["bool"])
@pytest.mark.parametrize("method,args", [("geometric_", (0.5,)), ("log_normal_", ()), ("cauchy_", ()),
                                         ("normal_", ()), ("exponential_", ()), ("uniform_", ()),
                                         ("normal_", (0.0, -1.0)), ("cauchy_", (0.0, -1.0))])
@pytest.mark.parametrize("n", [0, 3])
def test_dtype_support_and_empty_tensors(dtype, method, args, n):
    same(dtype, (n,), method, *args)


BAD_ARGS = [
    ("geometric_", (0,), {}), ("geometric_", (1,), {}), ("geometric_", (-0.1,), {}), ("geometric_", (1.5,), {}),
    ("geometric_", (float("nan"),), {}), ("geometric_", (True,), {}), ("geometric_", (), {}),
    ("geometric_", (0.5, 0.2), {}), ("geometric_", (0.5,), {"p": 0.2}), ("geometric_", ("a",), {}),
    ("geometric_", (0.5,), {"generator": 5}),
    ("log_normal_", (1, 0), {}), ("log_normal_", (1, -1), {}), ("log_normal_", (1, float("nan")), {}),
    ("log_normal_", (0, -0.123456789), {}), ("log_normal_", (0, 1, 2), {}), ("log_normal_", ("a",), {}),
    ("log_normal_", (0, "b"), {}), ("log_normal_", (), {"std": "b"}), ("log_normal_", (), {"foo": 1}),
    ("cauchy_", (0, 0), {}), ("cauchy_", (0, -1e20), {}), ("cauchy_", (None,), {}), ("cauchy_", (1 + 2j,), {}),
    ("cauchy_", (L.tensor([1.0, 2.0]),), {}),
    ("exponential_", (1, 2), {}), ("exponential_", (), {"lambd": "a"}), ("exponential_", (float("nan"),), {}),
    ("uniform_", (0, 1, 2), {}), ("uniform_", ("a",), {}), ("uniform_", (-3e38, 3e38), {}), ("uniform_", (-4e38, 3), {}),
    ("uniform_", (0, float("nan")), {}), ("uniform_", (2, 1), {}),
    ("normal_", (0, float("nan")), {}), ("normal_", (0, 1, 2), {}),
    ("bernoulli_", (float("nan"),), {}), ("bernoulli_", (0.5, 3), {}), ("bernoulli_", ("a",), {}),
]


@pytest.mark.parametrize("method,args,kwargs", BAD_ARGS)
def test_argument_errors_match(method, args, kwargs):
    targs = tuple(torch.tensor(a.tolist()) if isinstance(a, L.Tensor) else a for a in args)
    ours, theirs = run(L, "float32", (3,), method, *args, **kwargs), run(torch, "float32", (3,), method, *targs, **kwargs)
    assert ours[0] == theirs[0] == "err"
    assert ours[1:] == theirs[1:]


def test_tensor_parameters_are_read_as_numbers():
    for arg in (0.25, np.float32(0.25), np.int64(1)):
        same("float64", (4,), "cauchy_", arg)
    a = run(L, "float64", (4,), "cauchy_", L.tensor(1.5))
    b = run(torch, "float64", (4,), "cauchy_", torch.tensor(1.5))
    assert a == b
    a = run(L, "float64", (4,), "bernoulli_", L.tensor([2.0, 0.5, 0.5, 0.5]))
    b = run(torch, "float64", (4,), "bernoulli_", torch.tensor([2.0, 0.5, 0.5, 0.5]))
    assert a == b


def test_leaf_requiring_grad_is_refused_before_the_value_checks():
    for mod in (L, torch):
        x = mod.zeros(2, requires_grad=True)
        with pytest.raises(RuntimeError, match="leaf Variable"):
            x.geometric_(2)
        with pytest.raises(RuntimeError, match="leaf Variable"):
            x.cauchy_(0, -1)


# ---- random_ ------------------------------------------------------------------------------------
RANDOM_CASES = [
    (5.5,), (1.5, 3.7), (1, 3.0), (1.0, 3), (True,), (False, True), (True, 3), (None,), (None, 3), (3.0,),
    (0, 300), (-1, 5), (256,), (255,), (0, 256), (-129, 0), (-128, 0), (0, 2**31), (2**31,), (2**63,),
    (2**63 - 1,), (-(2**63), 0), (0, 2**64), (5,), (0,), (3, 3), (4, 2), (0, None), (2, None), (-5, None),
    (127, None), (128, None), (2047, None), (2048, None), (60000, None), (2**60, None), (-(2**63), None),
    (2**24 + 1, 2**24 + 2), (2**25 + 1, 2**25 + 2), (2**24, 2**24 + 2), (2**60,), (0, 2), (1, None),
    (np.int64(7),), (np.bool_(True),), (np.float64(3.0),),
]


@pytest.mark.parametrize("dtype", FLOATS + INTS + ["bool"])
@pytest.mark.parametrize("args", RANDOM_CASES, ids=repr)
def test_random_bounds_match(dtype, args):
    same(dtype, (6,), "random_", *args)


@pytest.mark.parametrize("kwargs", [{"to": 5}, {"from": 2, "to": 5}, {"from": 2}, {"from": 2.5, "to": 4},
                                    {"to": None}, {"from": 2, "to": None}, {"foo": 3}, {"generator": 3}])
def test_random_keywords_match(kwargs):
    ours, theirs = run(L, "int64", (4,), "random_", **kwargs), run(torch, "int64", (4,), "random_", **kwargs)
    assert ours[:2] == theirs[:2]
    if ours[0] == "ok":
        assert ours == theirs


def test_random_tensor_bounds():
    assert run(L, "int64", (4,), "random_", L.tensor(3)) == run(torch, "int64", (4,), "random_", torch.tensor(3))
    for bad in (L.tensor(3.0), L.tensor(True), L.tensor([3])):
        assert run(L, "int64", (4,), "random_", bad)[:2] == ("err", "TypeError")
    with pytest.raises(TypeError, match="takes 2 positional arguments but 3 were given"):
        L.empty(3).random_(2, 5, 6)


def test_random_float_bound_warning_matches():
    for mod in (L, torch):
        with pytest.warns(UserWarning, match=r"to - 1 is out of bounds \[-\(2\^24\), 2\^24\]"):
            mod.empty(2).random_(0, 2**31)
