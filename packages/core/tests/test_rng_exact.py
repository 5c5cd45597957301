"""``lanterna._rng``: the PyTorch-exact CPU generator.

The module is loaded by file path so these tests run before (and independently of) the
``lanterna`` package. Tests marked ``oracle`` compare bit for bit against PyTorch 2.13's CPU
generator and skip where torch is not installed; the others check the module on its own.
"""

from __future__ import annotations

import importlib.util
import math
import pathlib
import sys
import warnings
from fractions import Fraction

import numpy as np
import pytest

_PATH = pathlib.Path(__file__).parents[1] / "src" / "lanterna" / "_rng.py"
_spec = importlib.util.spec_from_file_location("lanterna_rng_under_test", _PATH)
rng = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = rng
_spec.loader.exec_module(rng)

SIZES = [1, 7, 15, 16, 17, 100, 1000]
SEEDS = [0, 1, 42, 2024, 2**32 + 7, 67280421310721]
FLOATS = [np.float32, np.float64]


@pytest.fixture
def torch():
    return pytest.importorskip("torch")


def T(torch, dtype):
    return {
        np.float16: torch.float16,
        np.float32: torch.float32,
        np.float64: torch.float64,
        np.int64: torch.int64,
        np.int32: torch.int32,
        np.int16: torch.int16,
        np.uint8: torch.uint8,
        np.bool_: torch.bool,
    }[np.dtype(dtype).type]


def same(ours, theirs):
    """Bit-identical values, dtype and shape (-0.0 differs from 0.0; NaN never appears)."""
    theirs = theirs.numpy() if hasattr(theirs, "numpy") else np.asarray(theirs)
    assert ours.dtype == theirs.dtype and ours.shape == theirs.shape
    assert ours.tobytes() == theirs.tobytes(), np.flatnonzero(ours != theirs)[:10]


def pair(torch, seed):
    return rng.Generator(seed), torch.Generator().manual_seed(seed)


# ---- oracle: PyTorch 2.13 CPU ------------------------------------------------------------------


@pytest.mark.oracle
@pytest.mark.parametrize("seed", SEEDS)
def test_raw_stream_and_default_seed(torch, seed):
    g, tg = pair(torch, seed)
    same(g.random_int(1000, 0, 2**31 - 1, np.int64), torch.randint(0, 2**31 - 1, (1000,), generator=tg))
    same(g.random_int(1000, 0, 1000, np.int64), torch.randint(0, 1000, (1000,), generator=tg))
    g, tg = rng.Generator(), torch.Generator()
    assert g.initial_seed() == tg.initial_seed() == 67280421310721
    same(g.uniform(50, np.float32), torch.rand(50, generator=tg))


@pytest.mark.oracle
@pytest.mark.parametrize("dtype", FLOATS + [np.float16])
@pytest.mark.parametrize("n", SIZES)
def test_rand(torch, dtype, n):
    for seed in SEEDS:
        g, tg = pair(torch, seed)
        same(g.uniform((n,), dtype), torch.rand(n, dtype=T(torch, dtype), generator=tg))
        same(
            g.uniform((n, 1), dtype, -2.5, 7.25),
            torch.empty(n, 1, dtype=T(torch, dtype)).uniform_(-2.5, 7.25, generator=tg),
        )


@pytest.mark.oracle
@pytest.mark.parametrize("dtype", FLOATS)
def test_uniform_symmetric_bound_like_kaiming(torch, dtype):
    for seed in SEEDS:
        for b in (1 / math.sqrt(20), 0.1, math.sqrt(3.0) * math.sqrt(2.0 / 6) / math.sqrt(784)):
            g, tg = pair(torch, seed)
            same(
                g.uniform((64, 33), dtype, -b, b),
                torch.empty(64, 33, dtype=T(torch, dtype)).uniform_(-b, b, generator=tg),
            )


@pytest.mark.oracle
def test_uniform_maps_high_back_to_low(torch):
    # Draw 71006344 of seed 0's stream is the largest 24-bit uniform, 1 - 2**-24, which rounds up
    # to 101 in [100, 101): torch returns `from` there. Skip to it, then hand the state to torch.
    g = rng.Generator(0)
    for _ in range(7):
        g.random_int(10_000_000, 0, 2, np.int64)  # one 32-bit draw each
    g.random_int(1_006_344, 0, 2, np.int64)
    tg = torch.Generator()
    tg.set_state(torch.from_numpy(g.get_state()))
    ours = g.uniform(3, np.float32, 100.0, 101.0)
    same(ours, torch.empty(3).uniform_(100.0, 101.0, generator=tg))
    assert ours[0] == 100.0


@pytest.mark.oracle
def test_nn_linear_init_is_bit_identical(torch):
    torch.manual_seed(0)
    lin = torch.nn.Linear(20, 30)
    g = rng.Generator(0)
    # kaiming_uniform_(a=sqrt(5)) then the bias, with torch.nn.init's own float64 arithmetic.
    gain = math.sqrt(2.0 / (1 + math.sqrt(5) ** 2))
    bound = math.sqrt(3.0) * (gain / math.sqrt(20))
    same(g.uniform((30, 20), np.float32, -bound, bound), lin.weight.detach())
    same(g.uniform((30,), np.float32, -1 / math.sqrt(20), 1 / math.sqrt(20)), lin.bias.detach())


@pytest.mark.oracle
@pytest.mark.parametrize("dtype", FLOATS + [np.float16])
@pytest.mark.parametrize("n", SIZES + [4096, 4103])
def test_randn(torch, dtype, n):
    for seed in SEEDS:
        g, tg = pair(torch, seed)
        same(g.normal((n,), dtype), torch.randn(n, dtype=T(torch, dtype), generator=tg))
        same(
            g.normal((n, 2), dtype, 0.3, 2.7),
            torch.empty(n, 2, dtype=T(torch, dtype)).normal_(0.3, 2.7, generator=tg),
        )
        same(g.normal((n,), dtype, -1.5), torch.empty(n, dtype=T(torch, dtype)).normal_(-1.5, generator=tg))
        same(g.uniform(3, dtype), torch.rand(3, dtype=T(torch, dtype), generator=tg))  # stream position


@pytest.mark.oracle
def test_randn_large_float32(torch):
    g, tg = pair(torch, 3)
    same(g.normal((1000, 1000), np.float32), torch.randn(1000, 1000, generator=tg))
    same(
        g.normal((999, 1001), np.float32, 0.25, 3.5), torch.empty(999, 1001).normal_(0.25, 3.5, generator=tg)
    )


@pytest.mark.oracle
def test_scalar_normal_cache_spans_calls(torch):
    g, tg = pair(torch, 5)
    for n, dtype in [
        (3, np.float64),
        (1, np.float32),
        (2, np.float64),
        (20, np.float32),
        (5, np.float32),
        (1, np.float64),
        (7, np.float16),
    ]:
        same(g.normal(n, dtype), torch.randn(n, dtype=T(torch, dtype), generator=tg))
    # manual_seed drops the cached sample
    g.normal(1, np.float64), torch.randn(1, dtype=torch.float64, generator=tg)
    g.manual_seed(5), tg.manual_seed(5)
    same(g.normal(1, np.float64), torch.randn(1, dtype=torch.float64, generator=tg))


@pytest.mark.oracle
def test_normal_with_tensor_mean_std(torch):
    g, tg = pair(torch, 7)
    for n in (5, 40):
        mean = np.linspace(-2, 2, n, dtype=np.float32)
        std = np.linspace(0.5, 3, n, dtype=np.float32)
        tm, ts = torch.from_numpy(mean), torch.from_numpy(std)
        same(g.normal_tensor(mean, std, np.float32), torch.normal(tm, ts, generator=tg))
        same(g.normal_tensor(mean, 2.5, np.float32), torch.normal(tm, 2.5, generator=tg))
        same(g.normal_tensor(0.3, std, np.float32), torch.normal(0.3, ts, generator=tg))
        same(
            g.normal_tensor(mean.astype(np.float64), std.astype(np.float64), np.float64),
            torch.normal(tm.double(), ts.double(), generator=tg),
        )


@pytest.mark.oracle
@pytest.mark.parametrize(
    "low, high",
    [
        (0, 2),
        (0, 10),
        (-5, 5),
        (3, 1000),
        (0, 2**28 - 1),
        (0, 2**28),
        (-(2**40), 2**40),
        (0, 2**31 - 1),
        (7, 2**32 + 7),
    ],
)
@pytest.mark.parametrize(
    "dtype", [np.int64, np.int32, np.int16, np.uint8, np.float32, np.float64, np.float16]
)
def test_randint(torch, low, high, dtype):
    info = np.finfo(dtype) if np.dtype(dtype).kind == "f" else np.iinfo(dtype)
    if np.dtype(dtype).kind != "f" and (low < info.min or high - 1 > info.max):
        pytest.skip("out of range for the dtype")
    if dtype == np.float16 and high > 2**16:
        pytest.skip("out of range for the dtype")
    for seed in SEEDS[:3]:
        g, tg = pair(torch, seed)
        with warnings.catch_warnings():  # torch warns about float bounds beyond 2**digits
            warnings.simplefilter("ignore")
            expect = torch.randint(low, high, (200,), dtype=T(torch, dtype), generator=tg)
        same(g.random_int((200,), low, high, dtype), expect)
        same(g.uniform(2, np.float32), torch.rand(2, generator=tg))


@pytest.mark.oracle
@pytest.mark.parametrize("n", [0, 1, 2, 3, 10, 100, 1000, 12345])
def test_randperm(torch, n):
    for seed in SEEDS[:4]:
        g, tg = pair(torch, seed)
        same(g.randperm(n), torch.randperm(n, generator=tg))
        same(g.randperm(n, np.float32), torch.randperm(n, generator=tg, dtype=torch.float32))
        same(g.uniform(1, np.float32), torch.rand(1, generator=tg))


@pytest.mark.oracle
@pytest.mark.parametrize("n", SIZES)
def test_bernoulli(torch, n):
    for seed in SEEDS:
        g, tg = pair(torch, seed)
        same(g.bernoulli(0.3, (n,), np.float32), torch.empty(n).bernoulli_(0.3, generator=tg))
        p = np.linspace(0, 1, n, dtype=np.float32)
        same(g.bernoulli(p, None, np.float32), torch.bernoulli(torch.from_numpy(p), generator=tg))
        same(
            g.bernoulli(p.astype(np.float64), (n,), np.float64),
            torch.bernoulli(torch.from_numpy(p).double(), generator=tg),
        )
        same(g.bernoulli(0.7, (n,), np.bool_), torch.empty(n, dtype=torch.bool).bernoulli_(0.7, generator=tg))


@pytest.mark.oracle
@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_dropout_draws_scalar_bernoulli(torch, p):
    x = np.linspace(-1, 1, 1000, dtype=np.float32)
    torch.manual_seed(11)
    out = torch.nn.functional.dropout(torch.from_numpy(x), p, training=True).numpy()
    keep = rng.Generator(11).bernoulli(1 - p, x.shape, np.float32)  # noise.bernoulli_(1 - p)
    np.testing.assert_array_equal(x * (keep / np.float32(1 - p)), out)  # noise.div_(1 - p); x * noise


@pytest.mark.oracle
@pytest.mark.parametrize("dtype", FLOATS + [np.float16])
def test_exponential(torch, dtype):
    for seed in SEEDS:
        for lam in (1.0, 0.7, 3.3):
            g, tg = pair(torch, seed)
            same(
                g.exponential((100,), dtype, lam),
                torch.empty(100, dtype=T(torch, dtype)).exponential_(lam, generator=tg),
            )


@pytest.mark.oracle
@pytest.mark.parametrize("dtype", FLOATS + [np.float16])
def test_multinomial(torch, dtype):
    for seed in range(20):
        r = np.random.default_rng(seed)
        probs = r.random((4, 9)).astype(dtype)
        probs[0, 3] = 0
        for rows in (probs, probs[1]):
            for k, repl in [(1, True), (1, False), (5, False), (9, False), (2, True), (30, True)]:
                g, tg = pair(torch, seed)
                same(
                    g.multinomial(rows, k, repl),
                    torch.multinomial(torch.from_numpy(rows), k, repl, generator=tg),
                )


@pytest.mark.oracle
def test_interleaved_sequence(torch):
    g, tg = pair(torch, 1234)
    for _ in range(3):
        same(g.uniform((3, 4), np.float32), torch.rand(3, 4, generator=tg))
        same(g.normal((5,), np.float32), torch.randn(5, generator=tg))
        same(g.random_int((6,), 0, 10, np.int64), torch.randint(0, 10, (6,), generator=tg))
        same(g.normal((17,), np.float32), torch.randn(17, generator=tg))
        same(g.randperm(11), torch.randperm(11, generator=tg))
        same(g.normal((3,), np.float64), torch.randn(3, dtype=torch.float64, generator=tg))
        same(g.bernoulli(0.5, (9,), np.float32), torch.empty(9).bernoulli_(0.5, generator=tg))
        same(
            g.uniform((2,), np.float64, -1, 1),
            torch.empty(2, dtype=torch.float64).uniform_(-1, 1, generator=tg),
        )
        same(
            g.multinomial(np.array([0.2, 0.5, 0.3]), 4, True),
            torch.multinomial(torch.tensor([0.2, 0.5, 0.3], dtype=torch.float64), 4, True, generator=tg),
        )
        same(g.exponential((4,), np.float32), torch.empty(4).exponential_(generator=tg))
        same(g.normal((33,), np.float64), torch.randn(33, dtype=torch.float64, generator=tg))


@pytest.mark.oracle
def test_state_bytes_interchange_with_torch(torch):
    g, tg = pair(torch, 99)
    same(g.get_state(), tg.get_state())  # freshly seeded: left = 1, next = 0
    for step in range(4):
        g.normal(3, np.float64), torch.randn(3, dtype=torch.float64, generator=tg)  # leaves a cached sample
        g.random_int(617 * step, 0, 5, np.int64), torch.randint(0, 5, (617 * step,), generator=tg)
        same(g.get_state(), tg.get_state())
    tg_state = tg.get_state()
    # torch -> ours, ours -> torch: both continue identically
    g2 = rng.Generator(1)
    g2.set_state(tg_state.numpy())
    tg2 = torch.Generator()
    tg2.set_state(torch.from_numpy(g2.get_state()))
    same(g2.get_state(), tg2.get_state())
    same(g2.normal(1, np.float64), torch.randn(1, dtype=torch.float64, generator=tg2))  # the cached one
    same(g2.normal(100, np.float32), torch.randn(100, generator=tg2))
    same(g2.get_state(), tg2.get_state())
    g3, tg3 = pair(torch, 8)
    g3.random_int(624, 0, 3, np.int64), torch.randint(0, 3, (624,), generator=tg3)
    same(g3.get_state(), tg3.get_state())  # left = 1, next = 624


# ---- without torch -------------------------------------------------------------------------------
def test_determinism_and_independence():
    a, b = rng.Generator(3), rng.Generator(3)
    np.testing.assert_array_equal(a.normal((100,), np.float32), b.normal((100,), np.float32))
    assert not np.array_equal(a.uniform(10, np.float32), rng.Generator(4).uniform(10, np.float32))
    assert a.manual_seed(5) is a and a.initial_seed() == 5
    assert isinstance(rng.default_generator, rng.Generator)
    s = a.seed()
    assert a.initial_seed() == s and 0 <= s < 2**64
    assert rng.Generator(-1).initial_seed() == 2**64 - 1


def test_shapes_dtypes_ranges():
    g = rng.Generator(0)
    for dt in (np.float16, np.float32, np.float64):
        u = g.uniform((4, 5), dt, -3, 2)
        assert u.dtype == dt and u.shape == (4, 5) and u.min() >= -3 and u.max() < 2
        for n in (3, 64):
            z = g.normal((n, 2), dt, 1.0, 0.5)
            assert z.dtype == dt and z.shape == (n, 2) and np.isfinite(z).all()
        e = g.exponential((50,), dt)
        assert e.dtype == dt and (e >= 0).all()
    assert g.uniform((), np.float32).shape == ()
    r = g.random_int((2, 3), -4, 4, np.int32)
    assert r.dtype == np.int32 and r.shape == (2, 3) and r.min() >= -4 and r.max() < 4
    assert sorted(g.randperm(50).tolist()) == list(range(50)) and g.randperm(0).shape == (0,)
    b = g.bernoulli(np.array([0.0, 1.0, 0.0, 1.0]), None, np.float32)
    np.testing.assert_array_equal(b, [0, 1, 0, 1])
    m = g.multinomial(np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]]), 3, True)
    np.testing.assert_array_equal(m, [[1, 1, 1], [0, 0, 0]])
    assert sorted(g.multinomial(np.ones(6), 6, False).tolist()) == list(range(6))
    with pytest.raises(RuntimeError):
        g.random_int(3, 5, 5, np.int64)


def test_normal_statistics():
    z = rng.Generator(1).normal((200_000,), np.float32, 2.0, 3.0).astype(np.float64)
    assert abs(z.mean() - 2.0) < 0.05 and abs(z.std() - 3.0) < 0.05
    z = rng.Generator(1).normal((200_000,), np.float64)
    assert abs(z.mean()) < 0.01 and abs(z.std() - 1.0) < 0.01


def test_state_round_trip_and_size():
    g = rng.Generator(17)
    g.normal(1, np.float64)  # leaves a cached Box-Muller sample in the state
    st = g.get_state()
    assert st.dtype == np.uint8 and st.shape == (5056,)
    x = [g.normal(1, np.float64), g.uniform(700, np.float32), g.normal(40, np.float32)]
    h = rng.Generator()
    h.set_state(st)
    np.testing.assert_array_equal(h.get_state(), st)
    for a, b in zip(x, [h.normal(1, np.float64), h.uniform(700, np.float32), h.normal(40, np.float32)]):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(RuntimeError):
        h.set_state(st[:100])


def _nearest(v, exact):
    """v is a floating-point number nearest to the rational ``exact``."""
    err = abs(Fraction(float(v)) - exact)
    return all(
        err <= abs(Fraction(float(np.nextafter(v, d))) - exact)
        for d in (v.dtype.type(-np.inf), v.dtype.type(np.inf))
    )


def test_fused_multiply_add_helpers_are_correctly_rounded():
    r = np.random.default_rng(0)
    a, b = r.standard_normal(3000), r.standard_normal(3000)
    c = -a * b * (1 + r.standard_normal(3000) * 2.0 ** -r.integers(20, 60, 3000))
    for x, y, z, v in zip(a, b, c, rng._fma64(a, b, c)):
        assert v == float(Fraction(x) * Fraction(y) + Fraction(z))  # float(Fraction) rounds correctly
    a32, b32, c32 = (v.astype(np.float32) for v in (a, b, c))
    # plus cases where rounding the exact sum to float64 first would land on a float32 tie
    one = np.float32(1 + 2.0**-12)
    a32, b32 = np.append(a32, [one, one, -one]), np.append(b32, [one, one, one])
    c32 = np.append(c32, np.float32([2.0**-70, -(2.0**-70), -(2.0**-70)]))
    got = rng._fma32(a32, b32, c32)
    assert got[-3] == np.float32(1 + 2.0**-11 + 2.0**-23) and got[-2] == np.float32(1 + 2.0**-11)
    for x, y, z, v in zip(a32, b32, c32, got):
        assert _nearest(v, Fraction(float(x)) * Fraction(float(y)) + Fraction(float(z)))
