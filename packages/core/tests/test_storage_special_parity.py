"""Storages (untyped/typed, set_, legacy storage types, DLPack), torch.special's Bessel and
orthogonal-polynomial functions, and linalg.solve_ex / tensorinv / tensorsolve, checked against
formulas and reference values (no PyTorch needed)."""

import copy
import math
import pickle
import warnings

import numpy as np
import pytest

import lanterna as torch
from lanterna.autograd import gradcheck


def _ptr(t):
    return t.untyped_storage().data_ptr()


# ---- storages --------------------------------------------------------------------------------------
def test_views_share_the_storage_and_copies_do_not():
    a = torch.arange(12.0).reshape(3, 4)
    for shared in (a[1], a.T, a.detach(), a.reshape(12), a.view(2, 6), a[:, 1:], a.unsqueeze(0),
                   a.expand(2, 3, 4), torch.from_numpy(a.numpy())):
        assert _ptr(shared) == _ptr(a)
    for fresh in (a.clone(), a + 0, a.T.contiguous()):
        assert _ptr(fresh) != _ptr(a)
    assert a.untyped_storage().nbytes() == a[1].untyped_storage().nbytes() == 48
    assert (a[1].storage_offset(), a[:, 1].storage_offset(), a[2:, 3:].storage_offset()) == (4, 1, 11)


def test_storage_of_numpy_memory_starts_at_the_view():
    x = np.arange(5.0)
    assert torch.from_numpy(x).untyped_storage().data_ptr() == x.ctypes.data
    view = torch.from_numpy(x[2:])
    assert view.untyped_storage().nbytes() == 24 and view.storage_offset() == 0


def test_writing_through_a_storage_reaches_the_tensor():
    a = torch.zeros(2)
    s = a.untyped_storage()
    s[3] = 63  # float32 1.0 is 00 00 80 3f
    s[2] = 128
    assert a.tolist() == [1.0, 0.0]
    assert s[3] == 63 and s[-1] == 0 and s.size() == len(s) == 8
    with pytest.raises(IndexError, match="index 8 out of range for storage of size 8"):
        s[8]
    s.fill_(0)
    assert a.tolist() == [0.0, 0.0]
    s.copy_(torch.ones(2).untyped_storage())
    assert a.tolist() == [1.0, 1.0]
    with pytest.raises(RuntimeError, match="size does not match, self was 8 bytes but src was 4 bytes"):
        s.copy_(torch.ones(1).untyped_storage())
    c = s.clone()
    assert c.data_ptr() != s.data_ptr() and c.tolist() == s.tolist()
    assert s[4:8].nbytes() == 4 and s[4:8].data_ptr() == s.data_ptr() + 4


def test_typed_storage_warns_once_and_reads_elements():
    from lanterna.storage import _warn_typed_storage_removal

    _warn_typed_storage_removal.__dict__.pop("has_warned", None)
    t = torch.tensor([1.0, 2.0, 3.0])
    with pytest.warns(UserWarning, match="TypedStorage is deprecated"):
        st = t.storage()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        t.storage()  # once per process, as PyTorch
    assert st.dtype is torch.float32 and st.size() == len(st) == 3 and st.nbytes() == 12
    assert st.element_size() == 4 and st[1] == 2.0 and st.tolist() == [1.0, 2.0, 3.0]
    assert st.data_ptr() == t.data_ptr() and st.type() == "torch.FloatStorage"
    with pytest.raises(RuntimeError, match="slices are only supported in UntypedStorage"):
        st[0:2]
    st[0] = 7
    assert t[0].item() == 7.0
    assert isinstance(st, torch.FloatStorage) and not isinstance(st, torch.LongStorage)
    assert isinstance(st, torch.TypedStorage)
    assert t.storage_type() is torch.FloatStorage and torch.tensor([1]).storage_type() is torch.LongStorage


def test_legacy_storage_types_construct_and_stay_picklable():
    assert torch.FloatStorage([1, 2, 3]).tolist() == [1.0, 2.0, 3.0]
    assert torch.LongStorage(4).size() == 4 and torch.LongStorage([1, 2]).dtype is torch.int64
    assert torch.BoolStorage([True, False]).tolist() == [True, False]
    assert torch.UntypedStorage([1, 2, 300]).tolist() == [1, 2, 44]
    assert torch.UntypedStorage(8).nbytes() == 8
    assert torch.FloatStorage.from_buffer(b"\x00\x00\x80\x3f", "little").tolist() == [1.0]
    with pytest.raises(TypeError, match="received an invalid combination of arguments"):
        torch.FloatStorage(2.5)
    assert torch.is_storage(torch.FloatStorage(1)) and torch.is_storage(torch.ones(1).untyped_storage())
    assert not torch.is_storage(torch.ones(1))
    assert pickle.loads(pickle.dumps(torch.FloatStorage)) is torch.FloatStorage  # checkpoints name it
    assert copy.deepcopy(torch.FloatStorage([1, 2])).tolist() == [1.0, 2.0]


def test_tensor_constructors_over_a_storage():
    st = torch.FloatStorage([1, 2, 3])
    t = torch.FloatTensor(st)  # shares
    t[0] = 9
    assert st.tolist() == [9.0, 2.0, 3.0]
    assert torch.tensor(st).tolist() == [9.0, 2.0, 3.0]  # copies
    with pytest.raises(RuntimeError, match="Expected a Storage of type Long or an UntypedStorage, but got type Float"):
        torch.LongTensor(st)


def test_set_shares_memory():
    a = torch.arange(6.0)
    b = torch.empty(0)
    b.set_(a[2:])
    assert b.tolist() == [2.0, 3.0, 4.0, 5.0] and b.storage_offset() == 2 and _ptr(b) == _ptr(a)
    b[0] = -1
    assert a[2].item() == -1
    c = torch.empty(0)
    c.set_(a.untyped_storage(), 0, (2, 3))
    assert c.stride() == (3, 1) and c[1, 0].item() == 3.0
    c.set_(a.untyped_storage(), 1, (2,), (2,))
    assert c.tolist() == [1.0, 3.0] and c.storage_offset() == 1
    c.set_()
    assert c.shape == (0,) and c.untyped_storage().nbytes() == 0
    with pytest.raises(RuntimeError, match="out of bounds for storage of size 24"):
        c.set_(a.untyped_storage(), 4, (3,))
    with pytest.raises(RuntimeError, match="Could not set tensor of type float to a tensor of type long int"):
        torch.zeros(0, dtype=torch.int64).set_(torch.ones(2))
    with pytest.raises(RuntimeError, match="Expected a Storage of type long int or an UntypedStorage"):
        torch.zeros(0, dtype=torch.int64).set_(torch.FloatStorage(2))
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
        torch.ones(2, requires_grad=True).set_(torch.zeros(2))


def test_tensor_storages_are_not_resizable_but_own_storages_are():
    with pytest.raises(RuntimeError, match="not resizable"):
        torch.ones(2).untyped_storage().resize_(16)
    s = torch.UntypedStorage(2)
    assert s.resize_(5).nbytes() == 5


def test_dlpack_round_trips_share_memory():
    x = np.arange(3.0)
    t = torch.from_dlpack(x)
    x[0] = 5
    assert t.tolist() == [5.0, 1.0, 2.0]
    back = np.from_dlpack(t)
    back[1] = 6
    assert t.tolist() == [5.0, 6.0, 2.0]
    assert torch.from_dlpack(t.__dlpack__()).tolist() == [5.0, 6.0, 2.0]
    assert tuple(int(v) for v in t.__dlpack_device__()) == (1, 0)
    with pytest.raises(BufferError, match="require gradient"):
        np.from_dlpack(torch.ones(2, requires_grad=True))


def test_deepcopy_of_a_tensor_on_a_storage_is_independent():
    st = torch.FloatStorage([1, 2])
    t = torch.FloatTensor(st)
    c = copy.deepcopy(t)
    c[0] = 5
    assert t[0].item() == 1.0 and _ptr(c) != _ptr(t)


# ---- torch.special --------------------------------------------------------------------------------
S = torch.special
REFERENCE = {  # at x = 1 (Abramowitz & Stegun)
    "bessel_j0": 0.7651976865579666, "bessel_j1": 0.44005058574493355, "bessel_y0": 0.08825696421567697,
    "bessel_y1": -0.7812128213002887, "modified_bessel_i0": 1.2660658777520084,
    "modified_bessel_i1": 0.5651591039924851, "modified_bessel_k0": 0.42102443824070834,
    "modified_bessel_k1": 0.6019072301972346, "airy_ai": 0.1352924163128814,
    "scaled_modified_bessel_k0": 0.42102443824070834 * math.e, "scaled_modified_bessel_k1": 0.6019072301972346 * math.e,
    "spherical_bessel_j0": math.sin(1.0),
}


@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_bessel_reference_values(name):
    fn = getattr(S, name)
    assert fn(torch.tensor([1.0], dtype=torch.float64)).item() == pytest.approx(REFERENCE[name], rel=1e-14)
    assert fn(torch.tensor([1.0])).item() == pytest.approx(REFERENCE[name], rel=1e-6)
    out = fn(torch.tensor([2, 3]))  # integers compute in the default dtype
    assert out.dtype is torch.float32


def _series(x, sign):
    """J0 (sign -1) or I0 (sign +1) by the power series sum (+-x^2/4)^k / k!^2 in 60 digits."""
    from decimal import Decimal, localcontext

    with localcontext() as ctx:
        ctx.prec = 60
        x, term, total, k = Decimal(x), Decimal(1), Decimal(1), 0
        while k < 4 * x or abs(term) > Decimal(10) ** -40:
            k += 1
            term = term * (x / 2) ** 2 / (k * k) * sign
            total += term
        return float(total)


def test_bessel_edges():
    x = torch.tensor([0.0, -1.0, math.inf, math.nan], dtype=torch.float64)
    assert S.bessel_j0(x)[:2].tolist() == [1.0, pytest.approx(0.7651976865579666)]
    assert S.bessel_j1(torch.tensor([-1.0], dtype=torch.float64)).item() == pytest.approx(-0.44005058574493355)
    y0 = S.bessel_y0(x).tolist()
    assert y0[0] == -math.inf and math.isnan(y0[1]) and math.isnan(y0[3])
    k0 = S.modified_bessel_k0(x).tolist()
    assert k0[0] == math.inf and math.isnan(k0[1]) and k0[2] == 0.0
    assert S.airy_ai(torch.tensor([0.0, 200.0])).tolist() == [pytest.approx(0.3550280538878172), 0.0]
    assert S.spherical_bessel_j0(torch.tensor([math.inf])).item() == 0.0
    big = [30.0, 60.0]  # the asymptotic branches, against the power series summed exactly
    assert S.bessel_j0(torch.tensor(big, dtype=torch.float64)).tolist() == pytest.approx(
        [_series(x, -1) for x in big], rel=1e-12)
    assert S.modified_bessel_i0(torch.tensor(big, dtype=torch.float64)).tolist() == pytest.approx(
        [_series(x, 1) for x in big], rel=1e-13)


def test_polynomials_match_closed_forms():
    x = torch.linspace(-0.9, 0.9, 7, dtype=torch.float64)
    theta = torch.arccos(x)
    for n in (0, 1, 2, 5, 7, 12):
        assert torch.allclose(S.chebyshev_polynomial_t(x, n), torch.cos(n * theta))
        assert torch.allclose(S.chebyshev_polynomial_u(x, n), torch.sin((n + 1) * theta) / torch.sin(theta))
        assert torch.allclose(S.chebyshev_polynomial_v(x, n), torch.cos((n + 0.5) * theta) / torch.cos(theta / 2))
        assert torch.allclose(S.chebyshev_polynomial_w(x, n), torch.sin((n + 0.5) * theta) / torch.sin(theta / 2))
        assert torch.allclose(S.shifted_chebyshev_polynomial_t((x + 1) / 2, n), torch.cos(n * theta))
    assert torch.allclose(S.legendre_polynomial_p(x, 3), (5 * x**3 - 3 * x) / 2)
    assert torch.allclose(S.hermite_polynomial_h(x, 3), 8 * x**3 - 12 * x)
    assert torch.allclose(S.hermite_polynomial_he(x, 3), x**3 - 3 * x)
    assert torch.allclose(S.laguerre_polynomial_l(x, 2), (x**2 - 4 * x + 2) / 2)


def test_polynomial_special_cases_and_degree_tensors():
    x = torch.tensor([0.5, 2.0])
    assert S.chebyshev_polynomial_t(x, -1).tolist() == [0.0, 0.0]
    assert S.chebyshev_polynomial_t(x, torch.tensor([3, 3])).tolist() == [-1.0, 26.0]
    assert S.chebyshev_polynomial_t(x, 2.7).tolist() == [-0.5, 7.0]  # degrees truncate
    assert S.chebyshev_polynomial_t(0.5, torch.tensor([2, 3])).tolist() == [-0.5, -1.0]
    assert S.chebyshev_polynomial_u(torch.tensor([-1.0]), 3).item() == -4.0  # -(n + 1) at x = -1, n odd
    assert math.isnan(S.hermite_polynomial_h(x, 129)[0].item())  # past float32's limit
    assert not math.isnan(S.hermite_polynomial_h(x.double(), 129)[0].item())
    assert S.hermite_polynomial_h(x, torch.tensor([math.nan, math.inf])).tolist() == [0.0, 0.0]
    assert S.chebyshev_polynomial_t(torch.tensor([1, 2]), 3).dtype is torch.float32
    assert S.chebyshev_polynomial_t(x, torch.tensor([2.0, 3.0], dtype=torch.float64)).dtype is torch.float64
    assert S.legendre_polynomial_p(x, torch.tensor([[1], [2]])).shape == (2, 2)


def test_special_errors_and_no_gradient():
    with pytest.raises(TypeError, match="argument 'input' \\(position 1\\) must be Tensor, not float"):
        S.bessel_j0(1.0)
    with pytest.raises(TypeError, match="received an invalid combination of arguments - got \\(float, int\\)"):
        S.chebyshev_polynomial_t(0.5, 3)
    with pytest.raises(NotImplementedError, match="\"airy_ai_cpu\" not implemented for 'Half'"):
        S.airy_ai(torch.ones(2, dtype=torch.float16))
    with pytest.raises(RuntimeError, match="must match the size"):
        S.chebyshev_polynomial_t(torch.ones(2), torch.ones(3))
    y = S.bessel_j0(torch.ones(2, requires_grad=True))
    assert not y.requires_grad and y.grad_fn is None
    out = torch.empty(2)
    assert S.bessel_j1(torch.ones(2), out=out) is out


# ---- linalg -----------------------------------------------------------------------------------------
def test_solve_ex_info_and_errors():
    A = torch.tensor([[2.0, 1.0], [1.0, 3.0]])
    B = torch.tensor([[1.0], [2.0]])
    result, info = torch.linalg.solve_ex(A, B)
    assert torch.allclose(result, torch.tensor([[0.2], [0.6]])) and info.item() == 0 and info.dtype is torch.int32
    batch = torch.stack([A, torch.zeros(2, 2)])
    r = torch.linalg.solve_ex(batch, torch.ones(2, 2))
    assert r.info.tolist() == [0, 1] and torch.isnan(r.result[1]).any()
    with pytest.raises(torch.linalg.LinAlgError, match="solve_ex: \\(Batch element 1\\): The solver failed"):
        torch.linalg.solve_ex(batch, torch.ones(2, 2), check_errors=True)
    singular = torch.tensor([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 0.0, 1.0]])
    r = torch.linalg.solve_ex(singular, torch.ones(3))
    assert r.info.item() == 3 and math.isnan(r.result[0].item()) and r.result[1].item() == -math.inf
    with pytest.raises(RuntimeError, match="Expected A and B to have the same dtype"):
        torch.linalg.solve(A, torch.ones(2, dtype=torch.float64))
    with pytest.raises(RuntimeError, match="equation XA = B \\(2x2 and 2x1\\)"):
        torch.linalg.solve(A, B, left=False)


def test_solve_ex_gradient():
    A = torch.tensor([[2.0, 1.0], [1.0, 3.0]], dtype=torch.float64, requires_grad=True)
    B = torch.tensor([1.0, 2.0], dtype=torch.float64, requires_grad=True)
    assert gradcheck(lambda a, b: torch.linalg.solve_ex(a, b).result, (A, B))


def test_tensorinv_and_tensorsolve():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((4, 6, 8, 3))
    inv = torch.linalg.tensorinv(torch.tensor(a), ind=2)
    assert inv.shape == (8, 3, 4, 6)
    assert np.allclose(inv.numpy(), np.linalg.tensorinv(a, ind=2))
    A = rng.standard_normal((6, 4, 2, 3, 4))
    B = rng.standard_normal((6, 4))
    X = torch.linalg.tensorsolve(torch.tensor(A), torch.tensor(B))
    assert np.allclose(X.numpy(), np.linalg.tensorsolve(A, B))
    A2 = rng.standard_normal((4, 6, 24))
    B2 = rng.standard_normal(24)
    X2 = torch.linalg.tensorsolve(torch.tensor(A2), torch.tensor(B2), dims=(0, 1))
    assert np.allclose(X2.numpy(), np.linalg.tensorsolve(A2, B2, axes=(0, 1)))
    with pytest.raises(RuntimeError, match="Expected a strictly positive integer for 'ind', but got 0"):
        torch.linalg.tensorinv(torch.tensor(a), ind=0)
    with pytest.raises(RuntimeError, match="prod\\(self.shape\\[ind:\\]\\) == prod\\(self.shape\\[:ind\\]\\), but got 3 != 2"):
        torch.linalg.tensorinv(torch.ones(2, 3), ind=1)
    with pytest.raises(torch.linalg.LinAlgError, match="inv: The diagonal element 1 is zero"):
        torch.linalg.tensorinv(torch.zeros(2, 2, 2, 2))
    with pytest.raises(RuntimeError, match="but got 24 != 20"):
        torch.linalg.tensorsolve(torch.ones(6, 4, 4, 3, 2), torch.ones(5, 4))
    with pytest.raises(TypeError, match="argument 'dims' must be tuple of ints, not int"):
        torch.linalg.tensorsolve(torch.ones(2, 3, 6), torch.ones(2, 3), dims=0)


def test_tensor_forms_have_gradients():
    rng = np.random.default_rng(1)
    A = torch.tensor(rng.standard_normal((2, 2, 4)), requires_grad=True)
    B = torch.tensor(rng.standard_normal((2, 2)), requires_grad=True)
    assert gradcheck(torch.linalg.tensorsolve, (A, B))
    assert gradcheck(lambda a: torch.linalg.tensorinv(a, ind=1), (A.detach().reshape(4, 2, 2).requires_grad_(),))
