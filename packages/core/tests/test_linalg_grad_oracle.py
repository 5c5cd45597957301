"""Gradients of the linalg decompositions against PyTorch: the same inputs and upstream gradients
through SVD, QR, eigh and pinv give the same first and second derivatives and grad_fn names."""

import warnings

import numpy as np
import pytest

import lanterna

pytestmark = pytest.mark.oracle
torch = pytest.importorskip("torch")


def _usv(U, S, Vh):
    return (U * S.unsqueeze(-2)) @ Vh


def _svd_parts(T, full):
    def f(a):
        U, S, Vh = T.linalg.svd(a, full_matrices=full)
        k = S.shape[-1]
        U, Vh = U[..., :k], Vh[..., :k, :]
        return S, _usv(U, S.exp(), Vh), U @ U.mT, Vh.mT @ Vh, U.pow(2), Vh.pow(2)
    return f


def _sym(a):
    return a + a.mT


# name -> (T -> function of one tensor, shapes)
CASES = {
    "svdvals": (lambda T: T.linalg.svdvals, [(4, 3), (3, 5), (2, 4, 4)]),
    "svd_reduced": (lambda T: _svd_parts(T, False), [(4, 3), (3, 5), (3, 3), (2, 4, 3)]),
    "svd_full": (lambda T: _svd_parts(T, True), [(5, 3), (3, 5), (2, 3, 4)]),
    "svd_U_only": (lambda T: lambda a: (lambda U, S, Vh: U[..., :S.shape[-1]].pow(2))(*T.linalg.svd(a)),
                   [(5, 3), (3, 5)]),
    "svd_Vh_only": (lambda T: lambda a: (lambda U, S, Vh: Vh[..., :S.shape[-1], :].pow(2))(*T.linalg.svd(a)),
                    [(5, 3), (3, 5)]),
    "torch_svd": (lambda T: lambda a: (lambda U, S, V: (S, U.pow(2), V.pow(2)))(*T.svd(a)), [(4, 3), (3, 4)]),
    "matrix_norm_2": (lambda T: lambda a: T.linalg.matrix_norm(a, 2), [(4, 3)]),
    "qr_reduced": (lambda T: lambda a: tuple(T.linalg.qr(a)), [(5, 3), (3, 5), (3, 3), (2, 4, 3), (2, 2, 4)]),
    "qr_Q": (lambda T: lambda a: T.linalg.qr(a).Q, [(5, 3), (3, 5)]),
    "qr_R": (lambda T: lambda a: T.linalg.qr(a).R, [(5, 3), (3, 5)]),
    "qr_complete": (lambda T: lambda a: tuple(T.linalg.qr(a, mode="complete")), [(3, 5), (4, 4)]),
    "torch_qr": (lambda T: lambda a: tuple(T.qr(a)), [(5, 3)]),
    "eigh": (lambda T: lambda a: (lambda w, v: (w, v.pow(2), (v * w.unsqueeze(-2).sin()) @ v.mT))(
        *T.linalg.eigh(_sym(a))), [(3, 3), (4, 4), (2, 3, 3)]),
    "eigh_upper": (lambda T: lambda a: (lambda w, v: (w, v.pow(2)))(*T.linalg.eigh(_sym(a), UPLO="U")), [(4, 4)]),
    "eigh_V_only": (lambda T: lambda a: T.linalg.eigh(_sym(a))[1].pow(2), [(4, 4)]),
    "eigh_not_symmetrized": (lambda T: lambda a: (lambda w, v: (w, v.pow(2)))(*T.linalg.eigh(a)), [(4, 4)]),
    "eigvalsh": (lambda T: lambda a: T.linalg.eigvalsh(_sym(a)), [(3, 3), (2, 4, 4)]),
    "pinv": (lambda T: T.linalg.pinv, [(4, 3), (3, 5), (3, 3), (2, 4, 3)]),
    "pinv_hermitian": (lambda T: lambda a: T.linalg.pinv(_sym(a), hermitian=True), [(4, 4)]),
    "pinverse": (lambda T: T.pinverse, [(4, 3)]),
}

PARAMS = [(name, shape) for name, (_, shapes) in CASES.items() for shape in shapes]


def _as_tuple(x):
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def _run(T, name, a_np, seed):
    fn = CASES[name][0](T)
    a = T.tensor(a_np, dtype=T.float64, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch.qr is deprecated
        outs = _as_tuple(fn(a))
    rng = np.random.default_rng(seed)
    gos = [T.tensor(rng.standard_normal(tuple(o.shape)), dtype=T.float64) for o in outs]
    # one scalar <outs, gos>: the same vector-Jacobian product as grad(outs, a, gos)
    loss = sum((o * go).sum() for o, go in zip(outs, gos))
    (g,) = T.autograd.grad(loss, a, create_graph=True)
    # a second derivative: d <g, w> / dA
    w = T.tensor(rng.standard_normal(tuple(g.shape)), dtype=T.float64)
    (gg,) = T.autograd.grad((g * w).sum(), a)
    return [o.detach().numpy() for o in outs], g.detach().numpy(), gg.detach().numpy()


@pytest.mark.parametrize("name, shape", PARAMS, ids=[f"{n}-{'x'.join(map(str, s))}" for n, s in PARAMS])
def test_grad_matches_torch(name, shape):
    a = np.random.default_rng(sum(shape) * 13 + len(name)).standard_normal(shape)
    lo, lg, lgg = _run(lanterna, name, a, 5)
    to, tg, tgg = _run(torch, name, a, 5)
    for x, y in zip(lo, to):
        np.testing.assert_allclose(x, y, atol=1e-10, rtol=1e-8)
    np.testing.assert_allclose(lg, tg, atol=1e-9, rtol=1e-7)
    np.testing.assert_allclose(lgg, tgg, atol=1e-8, rtol=1e-6)


NAMES = {
    "svd_U": lambda T, a: T.linalg.svd(a).U,
    "svd_S": lambda T, a: T.linalg.svd(a, full_matrices=False).S,
    "svdvals": lambda T, a: T.linalg.svdvals(a),
    "torch_svd_V": lambda T, a: T.svd(a).V,
    "torch_svd_no_uv_S": lambda T, a: T.svd(a, compute_uv=False).S,
    "qr_Q": lambda T, a: T.linalg.qr(a).Q,
    "qr_r_R": lambda T, a: T.linalg.qr(a, mode="r").R,
    "eigh_V": lambda T, a: T.linalg.eigh(a @ a.mT).eigenvectors,
    "eigvalsh": lambda T, a: T.linalg.eigvalsh(a @ a.mT),
    "pinv": lambda T, a: T.linalg.pinv(a),
    "pinverse": lambda T, a: T.pinverse(a),
}


def _names(t):
    node = t.grad_fn
    return node.name(), tuple(n.name() if n is not None else None for n, _ in node.next_functions), \
        getattr(t, "output_nr", None)


@pytest.mark.parametrize("name", sorted(NAMES))
def test_grad_fn_names_match_torch(name):
    a = np.random.default_rng(3).standard_normal((4, 3))
    got = _names(NAMES[name](lanterna, lanterna.tensor(a, requires_grad=True)))
    want = _names(NAMES[name](torch, torch.tensor(a, requires_grad=True)))
    assert got == want


@pytest.mark.parametrize("make, match", [
    (lambda T, a: T.linalg.qr(a, mode="complete").R, "mode='complete' and nrows > ncols"),
    (lambda T, a: T.linalg.qr(a, mode="r").R, "not computed when mode='r'"),
])
def test_qr_backward_errors_match_torch(make, match):
    a = np.random.default_rng(4).standard_normal((4, 3))
    msgs = []
    for T in (lanterna, torch):
        out = make(T, T.tensor(a, requires_grad=True))
        assert out.requires_grad
        with pytest.raises(RuntimeError, match=match) as e:
            out.sum().backward()
        msgs.append(str(e.value))
    assert msgs[0] == msgs[1]


@pytest.mark.parametrize("kw", [{}, {"rtol": 0.3}, {"atol": 0.5}, {"atol": 0.1, "rtol": 0.2}, {"hermitian": True}])
def test_pinv_values_match_torch(kw):
    rng = np.random.default_rng(6)
    a = rng.standard_normal((2, 4, 4))
    a = a @ np.swapaxes(a, -1, -2) - 1.5 * np.eye(4)
    got = lanterna.linalg.pinv(lanterna.tensor(a), **kw).numpy()
    want = torch.linalg.pinv(torch.tensor(a), **kw).numpy()
    np.testing.assert_allclose(got, want, atol=1e-10)
