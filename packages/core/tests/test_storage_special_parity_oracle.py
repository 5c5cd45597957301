"""Storages, torch.special's Bessel/polynomial functions and linalg.solve_ex / tensorinv /
tensorsolve against PyTorch itself."""

import math
import warnings

import numpy as np
import pytest

import lanterna

pytestmark = pytest.mark.oracle
torch = pytest.importorskip("torch")

UNARY = ["airy_ai", "bessel_j0", "bessel_j1", "bessel_y0", "bessel_y1", "modified_bessel_i0", "modified_bessel_i1",
         "modified_bessel_k0", "modified_bessel_k1", "scaled_modified_bessel_k0", "scaled_modified_bessel_k1",
         "spherical_bessel_j0"]
POLYNOMIALS = ["chebyshev_polynomial_t", "chebyshev_polynomial_u", "chebyshev_polynomial_v", "chebyshev_polynomial_w",
               "shifted_chebyshev_polynomial_t", "shifted_chebyshev_polynomial_u", "shifted_chebyshev_polynomial_v",
               "shifted_chebyshev_polynomial_w", "hermite_polynomial_h", "hermite_polynomial_he",
               "laguerre_polynomial_l", "legendre_polynomial_p"]
TOL = {"float32": (2e-6, 1e-6), "float64": (1e-12, 1e-13)}  # (rtol, atol)


def _inputs():
    rng = np.random.default_rng(0)
    edges = [0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 2.0, 2.09, -2.09, 5.0, -5.0, 8.0, -8.0, 1e-6, 1e-5, 30.0, 100.0,
             103.0, 104.0, 700.0, 1e5, -1e5, math.inf, -math.inf, math.nan]
    return np.concatenate([edges, rng.uniform(-10, 10, 200), 10 ** rng.uniform(-8, 3, 60), -(10 ** rng.uniform(-8, 3, 60))])


def _close(ours, theirs, dtype):
    rtol, atol = TOL[dtype]
    np.testing.assert_allclose(np.asarray(ours.numpy(), np.float64), theirs.numpy().astype(np.float64),
                               rtol=rtol, atol=atol, equal_nan=True)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", UNARY)
def test_bessel_functions_match(name, dtype):
    x = _inputs()
    ours = getattr(lanterna.special, name)(lanterna.tensor(x, dtype=getattr(lanterna, dtype)))
    theirs = getattr(torch.special, name)(torch.tensor(x, dtype=getattr(torch, dtype)))
    assert ours.dtype == getattr(lanterna, dtype)
    _close(ours, theirs, dtype)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", POLYNOMIALS)
def test_polynomials_match(name, dtype):
    rng = np.random.default_rng(1)
    xs = np.concatenate([[0.0, 1.0, -1.0, 0.5, -0.5, 2.0, 1e-6, 0.25, 0.75, -3.0, math.inf, -math.inf],
                         rng.uniform(-1.5, 1.5, 40)])
    ns = np.array([-3, -1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12])
    X, N = np.meshgrid(xs, ns)
    ours = getattr(lanterna.special, name)(lanterna.tensor(X, dtype=getattr(lanterna, dtype)), lanterna.tensor(N))
    theirs = getattr(torch.special, name)(torch.tensor(X, dtype=getattr(torch, dtype)), torch.tensor(N))
    rtol, atol = TOL[dtype]
    # Large-degree values grow fast: compare relative to their size
    np.testing.assert_allclose(ours.numpy().astype(np.float64), theirs.numpy().astype(np.float64),
                               rtol=max(rtol, 1e-5 if dtype == "float32" else 1e-12), atol=atol * 10, equal_nan=True)


def test_high_degrees_and_scalar_arguments_match():
    x = np.linspace(-1.2, 1.2, 31)
    for name in ("hermite_polynomial_h", "legendre_polynomial_p", "laguerre_polynomial_l", "chebyshev_polynomial_t"):
        for n in (30, 100, 129):
            ours = getattr(lanterna.special, name)(lanterna.tensor(x), n)
            theirs = getattr(torch.special, name)(torch.tensor(x), n)
            np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-11, atol=1e-12, equal_nan=True)
    for n_ours, n_theirs in ((2.7, 2.7), (lanterna.tensor([3, 4]), torch.tensor([3, 4]))):
        ours = lanterna.special.chebyshev_polynomial_u(0.3, n_ours) if not isinstance(n_ours, float) else \
            lanterna.special.chebyshev_polynomial_u(lanterna.tensor([0.3]), n_ours)
        theirs = torch.special.chebyshev_polynomial_u(0.3, n_theirs) if not isinstance(n_theirs, float) else \
            torch.special.chebyshev_polynomial_u(torch.tensor([0.3]), n_theirs)
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)
        assert str(ours.dtype) == str(theirs.dtype)


def _error(fn):
    try:
        fn()
    except Exception as e:  # noqa: BLE001 - the type and message are what we compare
        return type(e).__name__, str(e).split("\n")[0]
    return None


@pytest.mark.parametrize("call", [
    lambda t: t.special.bessel_j0(1.0),
    lambda t: t.special.airy_ai("x"),
    lambda t: t.special.chebyshev_polynomial_t(0.5, 3),
    lambda t: t.special.modified_bessel_k1(t.ones(2, dtype=t.float16)),
    lambda t: t.special.legendre_polynomial_p(t.ones(2, dtype=t.float16), 2),
])
def test_special_errors_match(call):
    ours, theirs = _error(lambda: call(lanterna)), _error(lambda: call(torch))
    assert ours is not None and theirs is not None
    assert ours[0] == theirs[0] and ours[1] == theirs[1]


def test_special_results_do_not_require_grad():
    for lib in (lanterna, torch):
        y = lib.special.bessel_y1(lib.ones(2, requires_grad=True))
        assert not y.requires_grad and y.grad_fn is None


# ---- storages ----------------------------------------------------------------------------------------
def _sharing(lib):
    def same(a, b):
        return a.untyped_storage().data_ptr() == b.untyped_storage().data_ptr()

    a = lib.arange(12.0).reshape(3, 4)
    views = [a[1], a.T, a.detach(), a.reshape(12), a.view(2, 6), a[:, 1:], a.flatten(), a.unsqueeze(0),
             a.expand(2, 3, 4), a.narrow(0, 1, 1), lib.from_numpy(a.numpy())]
    copies = [a.clone(), a.T.contiguous(), a + 0, a.T.reshape(12)]
    return ([same(a, v) for v in views], [same(a, c) for c in copies],
            [v.storage_offset() for v in (a[1], a[:, 1], a.T, a[2:, 3:])],
            [a.untyped_storage().nbytes(), a[1].untyped_storage().nbytes(), lib.empty(0).untyped_storage().nbytes()])


def test_storage_sharing_matches():
    assert _sharing(lanterna) == _sharing(torch)


def _storage_story(lib):
    warnings.simplefilter("ignore")
    out = []
    st = lib.FloatStorage([1, 2, 3])
    t = lib.FloatTensor(st)
    t[0] = 9
    out += [st.tolist(), st.size(), st.nbytes(), st.element_size(), str(st.dtype), st.type(), len(st.untyped())]
    b = lib.empty(0)
    b.set_(st)
    b[1] = 7
    out += [st.tolist(), b.storage_offset()]
    c = lib.zeros(0)
    c.set_(st.untyped(), 1, (2,), (1,))
    out += [c.tolist(), c.storage_offset(), c.stride()]
    a = lib.arange(6.0)
    d = lib.empty(0)
    d.set_(a[2:])
    out += [d.tolist(), d.storage_offset(), d.untyped_storage().data_ptr() == a.untyped_storage().data_ptr()]
    u = a.untyped_storage()
    out += [u[0], u[-1], u[4:8].tolist(), u.size(), len(u), u.element_size(), u.type(), str(u.device)]
    u.fill_(0)
    out += [a.tolist(), lib.UntypedStorage([1, 2, 300]).tolist(), lib.LongStorage(3).size(), str(lib.HalfStorage(2).dtype)]
    out += [lib.is_storage(u), lib.is_storage(st), lib.is_storage(a), isinstance(st, lib.FloatStorage),
            isinstance(st, lib.LongStorage), isinstance(a.storage(), lib.TypedStorage), a.storage()[1],
            str(a.storage_type()).replace("<class '", "").replace("'>", "")]
    out += [repr(lib.tensor([1.0, 2.0]).storage()), repr(lib.ByteStorage([1, 2]).untyped())]
    out += [lib.tensor(lib.FloatStorage([4, 5])).tolist(), lib.FloatStorage([1.5, 2]).int().tolist()]
    return out


def test_storage_api_matches():
    assert _storage_story(lanterna) == _storage_story(torch)


@pytest.mark.parametrize("call", [
    lambda t: t.zeros(0, dtype=t.int64).set_(t.ones(2)),
    lambda t: t.zeros(0, dtype=t.int64).set_(t.FloatStorage(2)),
    lambda t: t.LongTensor(t.FloatStorage(2)),
    lambda t: t.ones(2, requires_grad=True).set_(t.zeros(2)),
    lambda t: t.ones(2).untyped_storage()[8],
    lambda t: t.ones(2).storage()[0:1],
    lambda t: t.ones(2).untyped_storage().copy_(t.ones(3).untyped_storage()),
    lambda t: t.FloatStorage(2.5),
])
def test_storage_errors_match(call):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours, theirs = _error(lambda: call(lanterna)), _error(lambda: call(torch))
    assert ours is not None and theirs is not None
    assert ours[0] == theirs[0]
    assert ours[1][:40] == theirs[1][:40]


def test_typed_storage_deprecation_warning_text():
    import torch.storage as torch_storage

    from lanterna import storage as lanterna_storage

    messages = []
    for mod, lib in ((lanterna_storage, lanterna), (torch_storage, torch)):
        mod._warn_typed_storage_removal.__dict__["has_warned"] = False
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            lib.ones(1).storage()
        messages.append([(x.category, str(x.message)) for x in w])
    assert messages[0] == messages[1] and messages[0]


def test_dlpack_exchange_with_torch_shares_memory():
    ours = lanterna.arange(4.0)
    theirs = torch.from_dlpack(ours)
    theirs[0] = 9
    assert ours.tolist() == [9.0, 1.0, 2.0, 3.0]
    src = torch.arange(3.0)
    back = lanterna.from_dlpack(src)
    src[1] = 7
    assert back.tolist() == [0.0, 7.0, 2.0]
    assert lanterna.from_dlpack(src.__dlpack__()).tolist() == [0.0, 7.0, 2.0]
    x = np.arange(3.0)
    assert lanterna.from_dlpack(x).untyped_storage().data_ptr() == torch.from_dlpack(x).untyped_storage().data_ptr()
    assert tuple(int(v) for v in lanterna.ones(1).__dlpack_device__()) == tuple(int(v) for v in
                                                                                torch.ones(1).__dlpack_device__())


# ---- linalg -------------------------------------------------------------------------------------------
def _solve_ex_cases(lib):
    A = lib.tensor([[2.0, 1.0], [1.0, 3.0]])
    S3 = lib.tensor([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 0.0, 1.0]])
    out = []
    for a, b, kw in [(A, lib.tensor([[1.0], [2.0]]), {}), (lib.zeros(2, 2), lib.tensor([[1.0], [2.0]]), {}),
                     (lib.stack([A, lib.zeros(2, 2)]), lib.ones(2, 2), {}), (S3, lib.ones(3), {}),
                     (S3, lib.tensor([[1.0, 0.0], [0.0, 0.0], [0.0, 1.0]]), {}),
                     (lib.tensor([[1.0, 2.0], [2.0, 4.0]], dtype=lib.float64), lib.tensor([3.0, 6.0], dtype=lib.float64), {}),
                     (A, lib.tensor([[1.0, 2.0]]), {"left": False})]:
        r = lib.linalg.solve_ex(a, b, **kw)
        out.append((np.round(r.result.numpy(), 6).tolist(), r.info.tolist(), str(r.info.dtype), type(r).__name__))
    return out


def test_solve_ex_matches():
    ours, theirs = _solve_ex_cases(lanterna), _solve_ex_cases(torch)
    assert repr(ours) == repr(theirs)


@pytest.mark.parametrize("call", [
    lambda t: t.linalg.solve_ex(t.stack([t.eye(2), t.zeros(2, 2)]), t.ones(2, 2), check_errors=True),
    lambda t: t.linalg.solve_ex(t.ones(2, 3), t.ones(2)),
    lambda t: t.linalg.solve_ex(t.eye(2).long(), t.ones(2).long()),
    lambda t: t.linalg.solve(t.eye(2), t.ones(2, dtype=t.float64)),
    lambda t: t.linalg.solve(t.eye(2), t.ones(2, 1), left=False),
    lambda t: t.linalg.solve(t.stack([t.eye(2), t.zeros(2, 2)]), t.ones(2)),
    lambda t: t.linalg.tensorinv(t.ones(4, 6, 8, 3), ind=0),
    lambda t: t.linalg.tensorinv(t.ones(4, 6, 8, 4)),
    lambda t: t.linalg.tensorinv(t.zeros(2, 2, 2, 2)),
    lambda t: t.linalg.tensorinv(t.eye(4).reshape(2, 2, 2, 2).long()),
    lambda t: t.linalg.tensorsolve(t.ones(6, 4, 4, 3, 2), t.ones(5, 4)),
    lambda t: t.linalg.tensorsolve(t.ones(2, 3, 6), t.ones(2, 3), dims=0),
    lambda t: t.linalg.tensorsolve(t.zeros(2, 2), t.ones(2)),
])
def test_linalg_errors_match(call):
    ours, theirs = _error(lambda: call(lanterna)), _error(lambda: call(torch))
    assert ours is not None and theirs is not None
    assert ours[1] == theirs[1]
    assert ours[0] == theirs[0] or (ours[0], theirs[0]) == ("LinAlgError", "_LinAlgError")


def test_tensor_forms_match_values_and_gradients():
    rng = np.random.default_rng(3)
    a = rng.standard_normal((4, 6, 8, 3))
    np.testing.assert_allclose(lanterna.linalg.tensorinv(lanterna.tensor(a)).numpy(),
                               torch.linalg.tensorinv(torch.tensor(a)).numpy(), rtol=1e-10, atol=1e-12)
    A = rng.standard_normal((4, 6, 24))
    B = rng.standard_normal(24)
    grads = []
    for lib in (lanterna, torch):
        At = lib.tensor(A, requires_grad=True)
        Bt = lib.tensor(B, requires_grad=True)
        X = lib.linalg.tensorsolve(At, Bt, dims=(0, 1))
        (X * X).sum().backward()
        Ai = lib.tensor(a.reshape(24, 4, 6)[:, :, :], requires_grad=True)
        lib.linalg.tensorinv(Ai, ind=1).sum().backward()
        grads.append((X.detach().numpy(), At.grad.numpy(), Bt.grad.numpy(), Ai.grad.numpy()))
    for ours, theirs in zip(*grads):
        np.testing.assert_allclose(ours, theirs, rtol=1e-8, atol=1e-10)
