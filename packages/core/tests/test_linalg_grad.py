"""Gradients of the decompositions in ``torch.linalg``: SVD (``svd``, ``svdvals``, legacy
``torch.svd``), QR (``qr``, legacy ``torch.qr``), the symmetric eigendecomposition (``eigh``,
``eigvalsh``) and the pseudo-inverse (``pinv``, ``pinverse``).

float64 finite-difference gradcheck and gradgradcheck on well-conditioned random inputs
(distinct singular values / eigenvalues) through gauge-invariant functions of the outputs, plus
closed-form gradients and PyTorch's errors for the non-differentiable QR modes."""

import warnings

import numpy as np
import pytest

import lanterna as torch
from lanterna.autograd import gradcheck, gradgradcheck

L = torch.linalg


def _rand(*shape, seed=0):
    rng = np.random.default_rng(seed + 7 * sum(shape))
    return torch.tensor(rng.standard_normal(shape), dtype=torch.float64, requires_grad=True)


def _sym(a):
    return a + a.mT


def _usv(U, S, Vh):
    return (U * S.unsqueeze(-2)) @ Vh


def _svd_k(full):
    """Gauge-invariant functions of the SVD: S, U diag(S) Vh, U U^T, V V^T (the first k columns
    of U and rows of Vh when the matrices are full), and U^T A V-like mixes of both factors."""
    def f(a):
        U, S, Vh = L.svd(a, full_matrices=full)
        k = S.shape[-1]
        U, Vh = U[..., :k], Vh[..., :k, :]
        return S, _usv(U, S.exp(), Vh), U @ U.mT, Vh.mT @ Vh, U.pow(2), (U * Vh.mT[..., :U.shape[-2], :]
                                                                         if U.shape[-2] <= Vh.shape[-1] else
                                                                         U[..., :Vh.shape[-1], :] * Vh.mT)
    return f


SHAPES = [(4, 3), (3, 4), (3, 3), (2, 4, 3), (2, 3, 5)]

CASES = {}
for shp in SHAPES:
    tag = "x".join(map(str, shp))
    CASES[f"svdvals_{tag}"] = (L.svdvals, shp)
    CASES[f"svd_reduced_{tag}"] = (_svd_k(False), shp)
    CASES[f"svd_full_{tag}"] = (_svd_k(True), shp)
    CASES[f"svd_S_only_{tag}"] = (lambda a: L.svd(a)[1], shp)
    CASES[f"svd_U_only_{tag}"] = (lambda a: (lambda U, S, Vh: U[..., :S.shape[-1]] @ U[..., :S.shape[-1]].mT)(
        *L.svd(a, full_matrices=False)), shp)
    CASES[f"svd_Vh_only_{tag}"] = (lambda a: (lambda U, S, Vh: Vh.mT @ Vh)(*L.svd(a, full_matrices=False)), shp)
    CASES[f"qr_{tag}"] = (lambda a: tuple(L.qr(a)), shp)
    CASES[f"qr_Q_{tag}"] = (lambda a: L.qr(a).Q, shp)
    CASES[f"qr_R_{tag}"] = (lambda a: L.qr(a).R, shp)
    CASES[f"pinv_{tag}"] = (L.pinv, shp)
    CASES[f"matrix_norm_nuc_{tag}"] = (lambda a: L.matrix_norm(a, "nuc"), shp)
    CASES[f"torch_svd_{tag}"] = (lambda a: (lambda U, S, V: (S, _usv(U, S, V.mT)))(*torch.svd(a)), shp)
for shp in [(3, 4), (3, 3), (2, 2, 5)]:
    tag = "x".join(map(str, shp))
    CASES[f"qr_complete_{tag}"] = (lambda a: tuple(L.qr(a, mode="complete")), shp)
for shp in [(3, 3), (4, 4), (2, 3, 3)]:
    tag = "x".join(map(str, shp))
    CASES[f"eigh_{tag}"] = (lambda a: (lambda w, v: (w, (v * w.unsqueeze(-2).sin()) @ v.mT, v.pow(2)))(
        *L.eigh(_sym(a))), shp)
    CASES[f"eigh_V_only_{tag}"] = (lambda a: (lambda w, v: v @ torch.diag_embed(torch.arange(
        1.0, v.shape[-1] + 1, dtype=torch.float64)) @ v.mT)(*L.eigh(_sym(a))), shp)
    CASES[f"eigh_upper_{tag}"] = (lambda a: (lambda w, v: (w, v.pow(2)))(*L.eigh(_sym(a), UPLO="U")), shp)
    CASES[f"eigvalsh_{tag}"] = (lambda a: L.eigvalsh(_sym(a)), shp)
    CASES[f"pinv_hermitian_{tag}"] = (lambda a: L.pinv(_sym(a), hermitian=True), shp)
    CASES[f"pinverse_{tag}"] = (lambda a: torch.pinverse(a), shp)


@pytest.mark.parametrize("name", sorted(CASES))
def test_gradcheck(name):
    fn, shape = CASES[name]
    a = _rand(*shape)
    assert gradcheck(fn, (a,))


@pytest.mark.parametrize("name", sorted(n for n in CASES if not n.startswith(("pinverse", "torch_svd"))))
def test_gradgradcheck(name):
    fn, shape = CASES[name]
    a = _rand(*shape, seed=1)
    assert gradgradcheck(fn, (a,))


def test_torch_qr_legacy_gradcheck():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert gradcheck(lambda a: tuple(torch.qr(a)), (_rand(4, 3),))
        assert gradcheck(lambda a: tuple(torch.qr(a, some=False)), (_rand(3, 4),))


@pytest.mark.parametrize("fn, name", [
    (lambda a: L.svd(a).U, "LinalgSvdBackward0"),
    (lambda a: L.svd(a, full_matrices=False).S, "LinalgSvdBackward0"),
    (lambda a: L.svd(a).Vh, "LinalgSvdBackward0"),
    (L.svdvals, "LinalgSvdBackward0"),
    (lambda a: L.qr(a).Q, "LinalgQrBackward0"),
    (lambda a: L.qr(a, mode="r").R, "LinalgQrBackward0"),
    (lambda a: L.eigh(a @ a.mT).eigenvectors, "LinalgEighBackward0"),
    (lambda a: L.eigvalsh(a @ a.mT), "LinalgEighBackward0"),
    (L.pinv, "LinalgPinvBackward0"),
    (lambda a: torch.svd(a).V, "TransposeBackward0"),
])
def test_grad_fn_name(fn, name):
    out = fn(_rand(4, 3))
    assert out.requires_grad
    assert type(out.grad_fn).__name__ == name


def test_outputs_are_numbered():
    U, S, Vh = L.svd(_rand(4, 3))
    assert (U.grad_fn is S.grad_fn is Vh.grad_fn)
    assert [U.output_nr, S.output_nr, Vh.output_nr] == [0, 1, 2]
    Q, R = L.qr(_rand(4, 3))
    assert Q.grad_fn is R.grad_fn and [Q.output_nr, R.output_nr] == [0, 1]
    w, v = L.eigh(_sym(_rand(3, 3)))
    assert w.grad_fn is v.grad_fn and [w.output_nr, v.output_nr] == [0, 1]


def test_no_grad_without_requires_grad():
    a = _rand(4, 3).detach()
    for out in (*L.svd(a), L.svdvals(a), *L.qr(a), L.pinv(a), *L.eigh(a.mT @ a), L.eigvalsh(a.mT @ a)):
        assert not out.requires_grad and out.grad_fn is None
    with torch.no_grad():
        assert L.svdvals(_rand(4, 3)).grad_fn is None


def test_svdvals_closed_form():
    # d(sum S)/dA = U Vh (the nuclear norm's gradient)
    a = _rand(5, 3)
    L.svdvals(a).sum().backward()
    U, _, Vh = np.linalg.svd(a.detach().numpy(), full_matrices=False)
    np.testing.assert_allclose(a.grad.numpy(), U @ Vh, atol=1e-12)


def test_eigvalsh_closed_form():
    # d lambda_i / dA = v_i v_i^T
    a = _sym(_rand(4, 4)).detach().requires_grad_()
    L.eigvalsh(a)[-1].backward()
    _, v = np.linalg.eigh(a.detach().numpy())
    np.testing.assert_allclose(a.grad.numpy(), np.outer(v[:, -1], v[:, -1]), atol=1e-12)


def test_pinv_closed_form_invertible():
    # for invertible A, pinv = inv: d(sum pinv)/dA = -A^-T 1 A^-T
    a = _rand(3, 3)
    L.pinv(a).sum().backward()
    inv = np.linalg.inv(a.detach().numpy())
    np.testing.assert_allclose(a.grad.numpy(), -inv.T @ np.ones((3, 3)) @ inv.T, atol=1e-10)


def test_qr_single_column_closed_form():
    # one column: R = +-||a||, so dR/da = a / R
    a = _rand(4, 1)
    L.qr(a).R.sum().backward()  # R = ||a|| (up to LAPACK's sign)
    r = L.qr(a.detach()).R.item()
    np.testing.assert_allclose(a.grad.numpy(), a.detach().numpy() / r, atol=1e-12)


def test_qr_complete_tall_backward_raises():
    Q, R = L.qr(_rand(4, 3), mode="complete")
    assert R.requires_grad
    with pytest.raises(RuntimeError, match="not differentiable when mode='complete' and nrows > ncols"):
        R.sum().backward()


def test_qr_mode_r_backward_raises():
    a = _rand(4, 3)
    Q, R = L.qr(a, mode="r")
    assert tuple(Q.shape) == (0,) and R.requires_grad
    np.testing.assert_allclose(R.detach().numpy(), np.linalg.qr(a.detach().numpy(), mode="r"), atol=1e-12)
    with pytest.raises(RuntimeError, match="depends on Q, which is not computed when mode='r'"):
        R.sum().backward()


def test_qr_bad_mode():
    with pytest.raises(RuntimeError, match="unrecognized mode 'foo'"):
        L.qr(_rand(3, 3), mode="foo")


def test_full_matrices_extra_columns_get_no_gradient():
    # the last m - n columns of a full U are arbitrary: loss through them alone gives zero
    a = _rand(5, 3)
    U = L.svd(a).U
    (U[..., 3:] * 0 + U[..., :3].sum()).sum().backward()
    assert a.grad is not None
    b = _rand(5, 3)
    (g,) = torch.autograd.grad(L.svd(b).U[..., 3:].sum(), b)
    np.testing.assert_allclose(g.numpy(), 0.0, atol=1e-12)


def test_pinv_tolerances():
    a = torch.tensor([[2.0, 0.0, 0.0], [0.0, 1e-3, 0.0]], dtype=torch.float64)
    np.testing.assert_allclose(L.pinv(a).numpy(), np.linalg.pinv(a.numpy()), atol=1e-12)
    np.testing.assert_allclose(L.pinv(a, rtol=1e-2).numpy(), [[0.5, 0.0], [0.0, 0.0], [0.0, 0.0]])
    np.testing.assert_allclose(L.pinv(a, atol=1e-2).numpy(), [[0.5, 0.0], [0.0, 0.0], [0.0, 0.0]])
    np.testing.assert_allclose(L.pinv(a, atol=1e-4).numpy(), np.linalg.pinv(a.numpy()), atol=1e-9)
    np.testing.assert_allclose(torch.pinverse(a, 1e-2).numpy(), [[0.5, 0.0], [0.0, 0.0], [0.0, 0.0]])
    h = torch.tensor([[2.0, 0.0], [0.0, -4.0]], dtype=torch.float64)
    np.testing.assert_allclose(L.pinv(h, hermitian=True).numpy(), [[0.5, 0.0], [0.0, -0.25]])


def test_batched_matches_per_matrix():
    a = _rand(3, 4, 2)
    fn = lambda x: (lambda U, S, Vh: _usv(U, S.pow(2), Vh))(*L.svd(x, full_matrices=False)).sum()
    (gb,) = torch.autograd.grad(fn(a), a)
    for i in range(3):
        ai = a.detach()[i].clone().requires_grad_()
        (gi,) = torch.autograd.grad(fn(ai), ai)
        np.testing.assert_allclose(gb[i].numpy(), gi.numpy(), atol=1e-12)
