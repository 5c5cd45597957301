"""PyTorch as the oracle for the API-breadth additions (test_ops_breadth.py): every spec's values,
gradients, dtypes, shapes, grad_fn names and error messages, plus the namespace-level pieces
(the functional in-place forms, runtime settings, special values of the special functions).
Skipped where torch is not installed."""

import math
import warnings

import numpy as np
import pytest

import lanterna
import optest
import test_ops_breadth

pytestmark = pytest.mark.oracle
torch = pytest.importorskip("torch")

ALL = [s for s in list(test_ops_breadth.SPECS) + list(test_ops_breadth.ERRORS) if s.oracle]


@pytest.mark.parametrize("spec", [pytest.param(s, id=s.name) for s in ALL])
def test_matches_torch(spec):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch.qr / torch.lu / index_reduce warn (deprecated, beta)
        optest.check_against_torch(spec, torch)


# functional in-place forms PyTorch has whose op Lanterna lacks (or that are not numerical)
NOT_PROVIDED = {"conj_physical_", "embedding_renorm_", "feature_alpha_dropout_", "resize_as_sparse_", "rrelu_"}


def test_functional_inplace_names_cover_torch():
    torch_names = {n for n in dir(torch) if n.endswith("_") and not n.startswith("_")}
    missing = sorted(n for n in torch_names - NOT_PROVIDED if not hasattr(lanterna, n))
    assert not missing, missing


INPLACE_CASES = [
    ("abs_", [-1.5, 2.0], ()), ("acos_", [0.2, -0.4], ()), ("arccosh_", [1.5, 3.0], ()), ("arcsinh_", [0.5, -2.0], ()),
    ("arctanh_", [0.3, -0.5], ()), ("ceil_", [1.2, -1.7], ()), ("clamp_", [-2.0, 3.0], (-1.0, 1.0)),
    ("clamp_min_", [-2.0, 3.0], (0.5,)), ("clip_", [-2.0, 3.0], (None, 1.0)), ("deg2rad_", [90.0, 180.0], ()),
    ("erf_", [0.3, -1.0], ()), ("exp2_", [1.0, 3.0], ()), ("expm1_", [1e-3, 1.0], ()), ("fix_", [1.7, -1.7], ()),
    ("frac_", [1.75, -1.25], ()), ("i0_", [0.5, 3.0], ()), ("log1p_", [0.5, 2.0], ()), ("logit_", [0.2, 0.7], ()),
    ("nan_to_num_", [float("nan"), float("inf")], ()), ("neg_", [1.0, -2.0], ()), ("rad2deg_", [1.0, 3.0], ()),
    ("reciprocal_", [2.0, 4.0], ()), ("relu_", [-1.0, 2.0], ()), ("round_", [0.5, 1.5], ()),
    ("rsqrt_", [4.0, 9.0], ()), ("sigmoid_", [0.0, 2.0], ()), ("sinc_", [0.0, 0.5], ()), ("square_", [3.0, -2.0], ()),
    ("tanh_", [0.5, -1.0], ()), ("trunc_", [1.5, -2.5], ()), ("zero_", [1.0, 2.0], ()), ("fill_", [1.0, 2.0], (7,)),
    ("xlogy_", [0.0, 2.0], (3.0,)), ("celu_", [-1.0, 2.0], (0.5,)), ("selu_", [-1.0, 2.0], ()),
    ("threshold_", [0.5, 2.0], (1.0, -3.0)), ("dropout_", [1.0, 2.0], (0.5, False)),
]


@pytest.mark.parametrize("name,values,args", INPLACE_CASES, ids=[c[0] for c in INPLACE_CASES])
def test_functional_inplace_matches_torch(name, values, args):
    mine = lanterna.tensor(values)
    theirs = torch.tensor(values)
    r_mine = getattr(lanterna, name)(mine, *args)
    r_theirs = getattr(torch, name)(theirs, *args)
    assert r_mine is mine and r_theirs is theirs
    np.testing.assert_allclose(mine.numpy(), theirs.numpy(), rtol=1e-6, atol=1e-7)


def test_integer_inplace_forms_match_torch():
    for name, other in (("gcd_", [8, 4]), ("lcm_", [8, 4]), ("ldexp_", [1, 2])):
        mine, theirs = lanterna.tensor([12, 18]), torch.tensor([12, 18])
        if name == "ldexp_":
            mine, theirs = mine.float(), theirs.float()
        getattr(lanterna, name)(mine, lanterna.tensor(other))
        getattr(torch, name)(theirs, torch.tensor(other))
        assert mine.tolist() == theirs.tolist() and repr(mine.dtype) == str(theirs.dtype)


def test_runtime_settings_match_torch():
    for mod in (lanterna, torch):
        assert mod.get_float32_matmul_precision() == "highest"
        assert mod.are_deterministic_algorithms_enabled() is False
        assert mod.get_deterministic_debug_mode() == 0
        assert str(mod.get_default_device()) == "cpu"
        assert mod.is_inference(mod.ones(2)) is False
    for bad, exc in ((0, RuntimeError), (1.5, RuntimeError), ("2", RuntimeError)):
        msgs = []
        for mod in (lanterna, torch):
            with pytest.raises(exc) as info:
                mod.set_num_threads(bad)
            msgs.append(str(info.value))
        assert msgs[0] == msgs[1]
    for bad in ("bogus", 5):
        msgs = []
        for mod in (lanterna, torch):
            with pytest.raises(RuntimeError) as info:
                mod.set_deterministic_debug_mode(bad)
            msgs.append(str(info.value))
        assert msgs[0] == msgs[1]


SPECIAL_POINTS = np.array([-3.0, -2.5, -1.0, -0.5, -0.0, 0.0, 1e-8, 0.5, 1.0, 2.0, 10.0, 35.0, 1e3, np.inf, -np.inf,
                           np.nan])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", ["lgamma", "digamma", "erfinv", "i0", "special.i1", "special.i0e", "special.i1e",
                                  "polygamma1", "polygamma2", "polygamma3", "special.ndtr", "special.ndtri",
                                  "special.log_ndtr", "special.erfcx", "special.entr"])
def test_special_values_match_torch(name, dtype):
    """Poles, infinities, NaN and the tails, in both float dtypes (erfinv/ndtri on their domain)."""
    x = SPECIAL_POINTS
    if name in ("erfinv",):
        x = np.array([-1.0, -0.999999, -0.5, -0.0, 0.0, 1e-10, 0.3, 0.99, 1.0, 1.5, np.nan])
    if name == "special.ndtri":
        x = np.array([0.0, 1e-10, 0.025, 0.5, 0.975, 1.0, -0.5, np.nan])
    x = x.astype(dtype)

    def run(mod):
        t = mod.tensor(x)
        if name.startswith("polygamma"):
            return mod.polygamma(int(name[-1]), t)
        fn = mod
        for part in name.split("."):
            fn = getattr(fn, part)
        return fn(t)

    mine, theirs = run(lanterna), run(torch)
    assert repr(mine.dtype) == str(theirs.dtype)
    tol = 2e-6 if dtype == "float32" else 1e-10
    if name == "polygamma1" or name == "digamma":
        tol = max(tol, 1e-7)  # PyTorch's trigamma series is accurate to ~1e-8 only
    a, b = mine.numpy(), theirs.numpy()
    huge = np.abs(b) > 1e14  # reflection poles: both huge (the exact value depends on sin's rounding)
    assert np.array_equal(np.isnan(a), np.isnan(b)), (a, b)
    np.testing.assert_allclose(a[~huge], b[~huge], rtol=tol, atol=tol)
    assert np.all(np.abs(a[huge]) > 1e14)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("n", [0, 1, 2, 5, 8])
@pytest.mark.parametrize("periodic", [True, False])
def test_windows_match_torch(dtype, n, periodic):
    for name, kw in (("hann", {}), ("hamming", {}), ("bartlett", {}), ("blackman", {}), ("kaiser", {}),
                     ("kaiser", {"beta": 3.5}), ("hamming", {"alpha": 0.5, "beta": 0.3})):
        mine = getattr(lanterna, f"{name}_window")(n, periodic, dtype=getattr(lanterna, dtype), **kw)
        theirs = getattr(torch, f"{name}_window")(n, periodic, dtype=getattr(torch, dtype), **kw)
        assert repr(mine.dtype) == str(theirs.dtype) and tuple(mine.shape) == tuple(theirs.shape)
        np.testing.assert_allclose(mine.numpy(), theirs.numpy(), rtol=1e-6, atol=2e-7, err_msg=name)


def test_quantile_many_shapes_match_torch():
    rng = np.random.default_rng(3)
    for shape, dim in (((7,), None), ((4, 6), 1), ((3, 5, 2), 0), ((2, 3), None)):
        x = rng.standard_normal(shape).astype(np.float32)
        x.reshape(-1)[::4] = np.nan
        q = np.array([0.0, 0.1, 0.5, 0.77, 1.0], np.float32)
        for m in ("linear", "lower", "higher", "midpoint", "nearest"):
            for fn in ("quantile", "nanquantile"):
                for keepdim in (False, True):
                    mine = getattr(lanterna, fn)(lanterna.tensor(x), lanterna.tensor(q), dim, keepdim,
                                                 interpolation=m)
                    theirs = getattr(torch, fn)(torch.tensor(x), torch.tensor(q), dim, keepdim, interpolation=m)
                    assert tuple(mine.shape) == tuple(theirs.shape)
                    np.testing.assert_allclose(mine.numpy(), theirs.numpy(), rtol=1e-6, atol=1e-6,
                                               err_msg=f"{fn} {m} {shape} {dim}")


def test_nanmedian_indices_match_torch():
    rng = np.random.default_rng(4)
    x = np.round(rng.standard_normal((6, 9)), 1).astype(np.float32)  # ties
    x[x > 1.2] = np.nan
    for dim in (0, 1):
        mine = lanterna.nanmedian(lanterna.tensor(x), dim)
        theirs = torch.nanmedian(torch.tensor(x), dim)
        np.testing.assert_array_equal(mine.values.numpy(), theirs.values.numpy())
        np.testing.assert_array_equal(mine.indices.numpy(), theirs.indices.numpy())


def test_histogram_matches_torch():
    rng = np.random.default_rng(5)
    x = rng.standard_normal(200).astype(np.float32)
    for kwargs in ({"bins": 7}, {"bins": 5, "range": (-1.0, 1.0)}, {"bins": 4, "density": True}):
        mine = lanterna.histogram(lanterna.tensor(x), **kwargs)
        theirs = torch.histogram(torch.tensor(x), **kwargs)
        np.testing.assert_allclose(mine.bin_edges.numpy(), theirs.bin_edges.numpy(), rtol=1e-6)
        np.testing.assert_allclose(mine.hist.numpy(), theirs.hist.numpy(), rtol=1e-6)


def test_lstsq_drivers_match_torch():
    rng = np.random.default_rng(6)
    a = rng.standard_normal((2, 6, 3))
    b = rng.standard_normal((2, 6, 2))
    for driver in (None, "gels", "gelsy", "gelsd", "gelss"):
        mine = lanterna.linalg.lstsq(lanterna.tensor(a), lanterna.tensor(b), driver=driver)
        theirs = torch.linalg.lstsq(torch.tensor(a), torch.tensor(b), driver=driver)
        for m, t in zip(mine, theirs):
            assert tuple(m.shape) == tuple(t.shape), driver
            assert repr(m.dtype) == str(t.dtype)
            np.testing.assert_allclose(m.numpy(), t.numpy(), rtol=1e-8, atol=1e-10)


def test_lu_matches_torch_batched():
    rng = np.random.default_rng(7)
    for shape in ((4, 4), (3, 5, 5), (4, 2), (2, 3, 5)):
        a = rng.standard_normal(shape)
        mine, theirs = lanterna.linalg.lu_factor(lanterna.tensor(a)), torch.linalg.lu_factor(torch.tensor(a))
        np.testing.assert_allclose(mine.LU.numpy(), theirs.LU.numpy(), atol=1e-12)
        np.testing.assert_array_equal(mine.pivots.numpy(), theirs.pivots.numpy())
        for m, t in zip(lanterna.linalg.lu(lanterna.tensor(a)), torch.linalg.lu(torch.tensor(a))):
            np.testing.assert_allclose(m.numpy(), t.numpy(), atol=1e-12)


def test_matrix_exp_gradients_match_torch():
    a = np.random.default_rng(8).standard_normal((2, 3, 3))
    la = lanterna.tensor(a, requires_grad=True)
    ta = torch.tensor(a, requires_grad=True)
    g = np.random.default_rng(9).standard_normal((2, 3, 3))
    (lg,) = lanterna.autograd.grad(lanterna.linalg.matrix_exp(la), la, lanterna.tensor(g), create_graph=True)
    (tg,) = torch.autograd.grad(torch.linalg.matrix_exp(ta), ta, torch.tensor(g), create_graph=True)
    np.testing.assert_allclose(lg.detach().numpy(), tg.detach().numpy(), rtol=1e-10)
    (lgg,) = lanterna.autograd.grad(lg.sum(), la)
    (tgg,) = torch.autograd.grad(tg.sum(), ta)
    np.testing.assert_allclose(lgg.numpy(), tgg.numpy(), rtol=1e-8, atol=1e-10)


def test_default_device_roundtrip_matches_torch():
    for mod in (lanterna, torch):
        mod.set_default_device("cpu")
        assert str(mod.get_default_device()) == "cpu"
        mod.set_default_device(None)
    assert math.isclose(lanterna.scalar_tensor(2).item(), torch.scalar_tensor(2).item())



@pytest.mark.oracle
def test_geqrf_householder_product_match_torch():
    A = np.random.default_rng(1).standard_normal((3, 6, 4))
    ta, la = torch.geqrf(torch.tensor(A)), lanterna.geqrf(lanterna.tensor(A))
    np.testing.assert_allclose(la.a.numpy(), ta.a.numpy(), atol=1e-12)
    np.testing.assert_allclose(la.tau.numpy(), ta.tau.numpy(), atol=1e-12)
    tq = torch.linalg.householder_product(ta.a, ta.tau)
    lq = lanterna.linalg.householder_product(la.a, la.tau)
    np.testing.assert_allclose(lq.numpy(), tq.numpy(), atol=1e-12)
    assert type(la).__name__ == type(ta).__name__ == "geqrf" and la._fields == ("a", "tau")
