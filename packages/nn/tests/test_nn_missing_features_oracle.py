"""PyTorch as the oracle for fractional max pooling, bicubic ``grid_sample`` and antialiased
``interpolate``: outputs, indices and input gradients for several shapes and dtypes, the windows a
seeded run draws, and the argument errors."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import lanterna as lt  # noqa: E402
import lanterna.nn as lnn  # noqa: E402
import lanterna.nn.functional as LF  # noqa: E402

pytestmark = pytest.mark.oracle
TF = torch.nn.functional
rng = np.random.default_rng(0)
TOL = {"float64": 1e-10, "float32": 2e-5, "float16": 1e-3}


def _np(t):
    return t.detach().numpy()


def _close(t, l, tol):
    assert tuple(t.shape) == tuple(l.shape), (tuple(t.shape), tuple(l.shape))
    np.testing.assert_allclose(_np(l), _np(t), rtol=tol, atol=tol)


def check(t_fn, l_fn, arrays, tol, exact=False):
    """Outputs (all of them, exactly where ``exact``) and the gradients of every float input for
    a random output gradient of the first output."""
    ts = [torch.tensor(a, requires_grad=True) for a in arrays]
    ls = [lt.tensor(a, requires_grad=True) for a in arrays]
    t_out, l_out = t_fn(*ts), l_fn(*ls)
    t_out = t_out if isinstance(t_out, tuple) else (t_out,)
    l_out = l_out if isinstance(l_out, tuple) else (l_out,)
    for a, b in zip(t_out, l_out):
        if exact:
            assert str(b.dtype) == str(a.dtype)
            np.testing.assert_array_equal(_np(b), _np(a))
        else:
            _close(a, b, tol)
    g = rng.standard_normal(tuple(t_out[0].shape)).astype(arrays[0].dtype)
    t_grads = torch.autograd.grad(t_out[0], ts, torch.tensor(g))
    l_grads = lt.autograd.grad(l_out[0], ls, lt.tensor(g))
    for a, b in zip(t_grads, l_grads):
        _close(a, b, tol)
    assert type(l_out[0].grad_fn).__name__ == type(t_out[0].grad_fn).__name__


def same_error(t_call, l_call):
    with pytest.raises(Exception) as t_info:
        t_call()
    with pytest.raises(Exception) as l_info:
        l_call()
    assert type(l_info.value).__name__ == type(t_info.value).__name__, (t_info.value, l_info.value)
    assert str(l_info.value) == str(t_info.value)


# ---- fractional max pooling -------------------------------------------------------------------
FRACTIONAL = [
    ((2, 3, 7, 8), 3, (5, 5)),
    ((3, 9, 10), (2, 3), (4, 5)),
    ((1, 2, 20, 17), 2, (10, 9)),
    ((2, 3, 7, 8), 3, (1, 1)),
    ((2, 3, 7, 8), 3, (0, 3)),
    ((2, 2, 6, 7, 8), 2, (4, 5, 6)),
    ((2, 7, 8, 9), (2, 3, 2), (3, 4, 5)),
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape, k, out", FRACTIONAL)
def test_fractional_max_pool_matches_torch(shape, k, out, dtype):
    nd = len(out)
    x = np.round(rng.standard_normal(shape), 1).astype(dtype)  # ties: the first maximum wins
    s = rng.random((shape[0] if len(shape) == nd + 2 else 1, shape[-nd - 1], nd)).astype(dtype)
    name = f"fractional_max_pool{nd}d"
    kw = {"output_size": out, "return_indices": True}
    check(lambda x: getattr(TF, name)(x, k, _random_samples=torch.tensor(s), **kw),
          lambda x: getattr(LF, name)(x, k, _random_samples=lt.tensor(s), **kw),
          [x], TOL[dtype], exact=True)


def test_fractional_max_pool_float16_and_nan_match_torch():
    x = rng.standard_normal((2, 3, 9, 8)).astype("float16")
    x[0, 0, :3, :3] = np.nan
    s = rng.random((2, 3, 2)).astype("float16")
    t = TF.fractional_max_pool2d(torch.tensor(x), 2, (5, 4), return_indices=True,
                                 _random_samples=torch.tensor(s))
    l = LF.fractional_max_pool2d(lt.tensor(x), 2, (5, 4), return_indices=True, _random_samples=lt.tensor(s))
    np.testing.assert_array_equal(l[0].numpy(), t[0].numpy())
    np.testing.assert_array_equal(l[1].numpy(), t[1].numpy())


@pytest.mark.parametrize("nd, shape, kw", [
    (2, (2, 3, 11, 12), {"output_ratio": (0.5, 0.5)}),
    (2, (3, 11, 12), {"output_size": 4}),
    (3, (2, 3, 7, 8, 9), {"output_ratio": (0.5, 0.6, 0.7)}),
    (3, (3, 7, 8, 9), {"output_size": (3, 4, 5)}),
])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_fractional_max_pool_seeded_windows_match_torch(nd, shape, kw, dtype):
    # without _random_samples both draw rand(N, C, nd) from the global generator
    x = rng.standard_normal(shape).astype(dtype)
    name = f"fractional_max_pool{nd}d"
    torch.manual_seed(11)
    lt.manual_seed(11)
    t = getattr(TF, name)(torch.tensor(x), 2, return_indices=True, **kw)
    l = getattr(LF, name)(lt.tensor(x), 2, return_indices=True, **kw)
    np.testing.assert_array_equal(l[0].numpy(), t[0].numpy())
    np.testing.assert_array_equal(l[1].numpy(), t[1].numpy())
    # and the modules, twice in a row (a new draw each call)
    tm = getattr(torch.nn, f"FractionalMaxPool{nd}d")(2, **kw)
    lm = getattr(lnn, f"FractionalMaxPool{nd}d")(2, **kw)
    for _ in range(2):
        np.testing.assert_array_equal(lm(lt.tensor(x)).numpy(), tm(torch.tensor(x)).numpy())


def _fractional_error_cases():
    def f2(x, *a, **k):
        return lambda T, F: F.fractional_max_pool2d(x(T), *a, **k)

    def f3(x, *a, **k):
        return lambda T, F: F.fractional_max_pool3d(x(T), *a, **k)

    x4 = lambda T: T.zeros(2, 3, 7, 8)  # noqa: E731
    x5 = lambda T: T.zeros(2, 3, 6, 7, 8)  # noqa: E731
    return [
        f2(x4, 3, output_size=(6, 5)),
        f2(x4, 3, output_size=(5, 7)),
        f2(x4, (3, 2, 1), output_size=(5, 5)),
        f2(x4, 3, output_size=(5, 5, 5)),
        f2(x4, 3),
        f2(x4, 3, output_ratio=0.5),
        f2(x4, 3, output_ratio=(0.5, 0.5, 0.5)),
        f2(x4, 3, output_ratio=(0.5,)),
        f2(x4, 3.0, output_size=5),
        f2(x4, 3, output_size=5.0),
        f2(x4, 3, output_size=(5, 5.0)),
        f2(x4, 3, output_size=[5]),
        f2(x4, 3, output_size=(-1, 5)),
        lambda T, F: F.fractional_max_pool2d(T.zeros(2, 3, 7, 8), 3, 5, _random_samples=T.rand(2, 3, 3)),
        lambda T, F: F.fractional_max_pool2d(T.zeros(2, 3, 7, 8), 3, 5, _random_samples=T.rand(1, 3, 2)),
        lambda T, F: F.fractional_max_pool2d(T.zeros(2, 3, 7, 8), 3, 5, _random_samples=T.rand(2, 4, 2)),
        lambda T, F: F.fractional_max_pool2d(T.zeros(2, 3, 7, 8), 3, 5, _random_samples=T.rand(6, 2)),
        lambda T, F: F.fractional_max_pool2d(T.zeros(2, 3, 7, 8), 3, 5,
                                             _random_samples=T.rand(2, 3, 2, dtype=T.float64)),
        lambda T, F: F.fractional_max_pool2d(T.zeros(2, 3, 7, 8), 3, 5,
                                             _random_samples=T.rand(2, 3, 2, requires_grad=True)),
        lambda T, F: F.fractional_max_pool2d(T.zeros(2, 3, 7, 8), 3, 5, _random_samples=[1]),
        lambda T, F: F.fractional_max_pool2d(T.zeros(7, 8), 3, 5),
        lambda T, F: F.fractional_max_pool2d(T.zeros(7, 8), 3, 5, _random_samples=T.rand(1, 3, 2)),
        lambda T, F: F.fractional_max_pool2d(T.zeros(2, 3, 0, 4), 3, 5),
        lambda T, F: F.fractional_max_pool2d(T.zeros(2, 3, 7, 8, dtype=T.int64), 3, 5),
        lambda T, F: F.fractional_max_pool2d(T.zeros(2, 3, 7, 8, dtype=T.int64), 3, 5,
                                             _random_samples=T.zeros(2, 3, 2, dtype=T.int64)),
        f3(x5, 2, output_size=(5, 5, 6)),
        f3(x5, 2, output_size=(4, 6, 6)),
        f3(x5, 2, output_size=(4, 5, 7)),
        f3(x5, (2, 2), output_size=(4, 5, 6)),
        f3(x5, 2, output_size=(4, 5)),
        f3(x5, 2),
        f3(x5, 2, output_ratio=(0.5, 0.5)),
        f3(x5, 2, output_size=(3, 3, -1)),
        f3(x5, 2.0, output_size=(4, 5, 6)),
        lambda T, F: F.fractional_max_pool3d(T.zeros(2, 3, 6, 7, 8), 2, 3, _random_samples=T.rand(2, 3, 2)),
        lambda T, F: F.fractional_max_pool3d(T.zeros(6, 7, 8), 2, 3, _random_samples=T.rand(1, 6, 3)),
        lambda T, F: F.fractional_max_pool3d(T.zeros(3, 0, 7, 8), 2, 3),
        lambda T, F: F.fractional_max_pool3d(T.zeros(2, 3, 6, 7, 8, dtype=T.int64), 2, 3,
                                             _random_samples=T.zeros(2, 3, 3, dtype=T.int64)),
        lambda T, F: T.nn.FractionalMaxPool2d(3),
        lambda T, F: T.nn.FractionalMaxPool2d(3, output_size=2, output_ratio=0.5),
        lambda T, F: T.nn.FractionalMaxPool2d(3, output_ratio=1.5),
        lambda T, F: T.nn.FractionalMaxPool2d(3, output_ratio=(0.5, 1.0)),
        lambda T, F: T.nn.FractionalMaxPool2d(3, output_ratio=(0.5,)),
        lambda T, F: T.nn.FractionalMaxPool3d(0, output_ratio=0.5),
        lambda T, F: T.nn.FractionalMaxPool3d((2, 0, 1), output_ratio=0.5),
        lambda T, F: T.nn.FractionalMaxPool3d(2),
        lambda T, F: T.nn.FractionalMaxPool3d(2, output_ratio=(0.5, 0.5, 1)),
    ]


@pytest.mark.parametrize("case", _fractional_error_cases())
def test_fractional_max_pool_errors_match_torch(case):
    same_error(lambda: case(torch, TF), lambda: case(lt, LF))


def test_fractional_max_pool_modules_match_torch():
    for nd, kw in ((2, {"output_ratio": 0.5}), (3, {"output_size": (2, 3, 4)})):
        tm = getattr(torch.nn, f"FractionalMaxPool{nd}d")(3, **kw)
        lm = getattr(lnn, f"FractionalMaxPool{nd}d")(3, **kw)
        assert repr(lm) == repr(tm)
        for attr in ("kernel_size", "output_size", "output_ratio", "return_indices"):
            assert getattr(lm, attr) == getattr(tm, attr)
    s = rng.random((1, 2, 2)).astype("float32")
    tm = torch.nn.FractionalMaxPool2d(2, output_size=3, return_indices=True, _random_samples=torch.tensor(s))
    lm = lnn.FractionalMaxPool2d(2, output_size=3, return_indices=True, _random_samples=lt.tensor(s))
    assert list(lm.state_dict()) == list(tm.state_dict()) == ["_random_samples"]
    x = rng.standard_normal((1, 2, 7, 6)).astype("float32")
    check(tm, lm, [x], TOL["float32"], exact=True)


# ---- grid_sample(mode="bicubic") ----------------------------------------------------------------
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("padding", ["zeros", "border", "reflection"])
@pytest.mark.parametrize("align", [False, True])
@pytest.mark.parametrize("xs, gs", [((2, 3, 5, 7), (2, 4, 6, 2)), ((1, 2, 1, 4), (1, 3, 3, 2)),
                                    ((2, 1, 6, 6), (2, 5, 1, 2))])
def test_grid_sample_bicubic_matches_torch(xs, gs, padding, align, dtype):
    x = rng.standard_normal(xs).astype(dtype)
    g = rng.uniform(-1.5, 1.5, gs).astype(dtype)
    g.reshape(-1, 2)[:2] = [[1.0, -1.0], [-1.0, 0.5]]  # the corners and an edge
    kw = {"mode": "bicubic", "padding_mode": padding, "align_corners": align}
    # the grid's gradient grows with the input's size: compare it relative to its scale
    tol = TOL[dtype] * (5 if dtype == "float32" else 1)
    check(lambda x, g: TF.grid_sample(x, g, **kw), lambda x, g: LF.grid_sample(x, g, **kw), [x, g], tol)


def test_grid_sample_bicubic_errors_match_torch():
    for xs, gs, dt in (((1, 1, 2, 2, 2), (1, 1, 1, 1, 3), "float32"), ((1, 1, 4, 4), (1, 1, 1, 2), "int64")):
        def call(T, F):
            d = getattr(T, dt)
            x, g = T.zeros(xs, dtype=d), T.zeros(gs, dtype=d)
            return F.grid_sample(x, g, mode="bicubic", align_corners=False)

        same_error(lambda: call(torch, TF), lambda: call(lt, LF))


# ---- interpolate(antialias=True) ----------------------------------------------------------------
AA_CASES = [
    ((2, 3, 16, 13), {"size": (5, 4)}),
    ((1, 2, 7, 9), {"size": (3, 20)}),
    ((1, 1, 10, 10), {"scale_factor": 0.3}),
    ((1, 1, 10, 10), {"scale_factor": 2.5}),
    ((2, 1, 9, 8), {"scale_factor": (0.45, 1.7)}),
    ((1, 2, 5, 5), {"size": 1}),
    ((1, 2, 6, 6), {"size": (6, 3)}),
    ((1, 1, 33, 17), {"scale_factor": 0.26, "recompute_scale_factor": True}),
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("mode, align", [("bilinear", False), ("bilinear", True), ("bicubic", False),
                                         ("bicubic", True), ("lanczos", False)])
@pytest.mark.parametrize("shape, kw", AA_CASES)
def test_interpolate_antialias_matches_torch(shape, kw, mode, align, dtype):
    x = rng.standard_normal(shape).astype(dtype)
    kw = dict(kw, mode=mode, align_corners=align, antialias=True)
    check(lambda x: TF.interpolate(x, **kw), lambda x: LF.interpolate(x, **kw), [x], TOL[dtype])


@pytest.mark.parametrize("align", [False, True])
@pytest.mark.parametrize("kw", [{"size": (3, 11)}, {"scale_factor": 1.7}, {"scale_factor": (0.6, 2.0)}])
def test_interpolate_bicubic_matches_torch(kw, align):
    x = rng.standard_normal((2, 2, 6, 5))
    kw = dict(kw, mode="bicubic", align_corners=align)
    check(lambda x: TF.interpolate(x, **kw), lambda x: LF.interpolate(x, **kw), [x], TOL["float64"])


@pytest.mark.parametrize("shape, kw", [
    ((1, 1, 4), {"mode": "linear", "antialias": True}),
    ((1, 1, 4, 4), {"mode": "nearest", "antialias": True}),
    ((1, 1, 4, 4, 4), {"mode": "bilinear", "antialias": True}),
    ((1, 1, 4, 4), {"mode": "lanczos"}),
    ((1, 1, 4), {"mode": "lanczos"}),
    ((1, 1, 4, 4), {"mode": "lanczos", "antialias": True, "align_corners": True}),
    ((1, 1, 4, 4), {"mode": "foo"}),
])
def test_interpolate_antialias_errors_match_torch(shape, kw):
    size = (2,) * (len(shape) - 2)
    same_error(lambda: TF.interpolate(torch.zeros(shape), size=size, **kw),
               lambda: LF.interpolate(lt.zeros(shape), size=size, **kw))


def test_interpolate_antialias_half_error_matches_torch():
    kw = {"size": 2, "mode": "bilinear", "antialias": True}
    same_error(lambda: TF.interpolate(torch.zeros(1, 1, 4, 4).half(), **kw),
               lambda: LF.interpolate(lt.zeros(1, 1, 4, 4).half(), **kw))
