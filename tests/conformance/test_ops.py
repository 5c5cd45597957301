"""Every core op family on the device: forward values and gradients equal the CPU's.

Each case runs ``fn`` on CPU tensors and on device tensors built from the same NumPy inputs;
outputs must match, and so must the gradients of a weighted sum of the floating outputs with
respect to every floating input.
"""

import numpy as np
import pytest

import lanterna as torch

from .helpers import assert_matches

rng = np.random.default_rng(0)
A = rng.standard_normal((3, 4)).astype(np.float32)
B = rng.standard_normal((3, 4)).astype(np.float32)
ROW = rng.standard_normal((4,)).astype(np.float32)
POS = rng.uniform(0.5, 2.0, (3, 4)).astype(np.float32)
UNIT = rng.uniform(-0.9, 0.9, (3, 4)).astype(np.float32)
M34 = rng.standard_normal((3, 4)).astype(np.float32)
M45 = rng.standard_normal((4, 5)).astype(np.float32)
B234 = rng.standard_normal((2, 3, 4)).astype(np.float32)
B245 = rng.standard_normal((2, 4, 5)).astype(np.float32)
V3 = rng.standard_normal((3,)).astype(np.float32)
V4 = rng.standard_normal((4,)).astype(np.float32)
I34 = rng.integers(-5, 6, (3, 4)).astype(np.int64)
IDX = np.array([2, 0, 2, 1], dtype=np.int64)
GIDX = rng.integers(0, 4, (3, 2)).astype(np.int64)
MASK = A > 0
WITH_NAN = np.array([1.0, np.nan, np.inf, -np.inf, 0.0], dtype=np.float32)
TIES = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]], dtype=np.float32)


class Case:
    def __init__(self, name, fn, *inputs, grad=True, rtol=1e-5, atol=1e-6):
        self.name, self.fn, self.inputs, self.grad = name, fn, inputs, grad
        self.rtol, self.atol = rtol, atol


CASES = [
    # elementwise arithmetic and broadcasting
    Case("add", lambda a, b: a + b, A, B),
    Case("add_broadcast", lambda a, r: a + r, A, ROW),
    Case("add_alpha", lambda a, b: torch.add(a, b, alpha=2), A, B),
    Case("sub", lambda a, b: a - b, A, B),
    Case("mul", lambda a, b: a * b, A, B),
    Case("div", lambda a, b: a / b, A, POS),
    Case("scalar_ops", lambda a: (a + 1) * 2.5 - 0.5 / (a * a + 1), A),
    Case("rsub_rdiv_rpow", lambda p: (1 - p) + 2 / p + 2 ** p, POS),
    Case("pow_scalar", lambda p: p ** 3 + p ** 0.5, POS),
    Case("pow_tensor", lambda p, q: p ** q, POS, POS),
    Case("remainder", lambda a: torch.remainder(a, 0.7), A),
    Case("fmod", lambda a: torch.fmod(a, 0.7), A),
    Case("floor_divide", lambda a: torch.floor_divide(a, 0.7), A, grad=False),
    Case("int_arith", lambda i: (i + 2) * 3 - i // 2 + i % 3, I34, grad=False),
    Case("int_true_div", lambda i: i / 2, I34, grad=False),
    Case("int_plus_float_scalar", lambda i: i + 1.5, I34, grad=False),
    Case("int_times_float_tensor", lambda i, a: i * a, I34, A),
    # unary math
    *[Case(f, (lambda f: lambda a: getattr(torch, f)(a))(f), A) for f in
      ("neg", "exp", "expm1", "sin", "cos", "tanh", "sigmoid", "relu", "abs", "erf", "erfc", "square",
       "sinh", "cosh", "atan")],
    *[Case(f, (lambda f: lambda p: getattr(torch, f)(p))(f), POS) for f in
      ("log", "log2", "log10", "log1p", "sqrt", "rsqrt", "reciprocal", "tan")],
    Case("asin_acos", lambda u: torch.asin(u) + torch.acos(u), UNIT),
    *[Case(f, (lambda f: lambda a: getattr(torch, f)(a * 3))(f), A, grad=False) for f in
      ("floor", "ceil", "round", "trunc", "frac", "sign")],
    Case("round_decimals", lambda a: torch.round(a * 10, decimals=1), A, grad=False),
    Case("clamp", lambda a: torch.clamp(a, -0.5, 0.5), A),
    Case("clamp_min", lambda a: a.clamp(min=0.1), A),
    Case("clamp_tensor", lambda a, b: torch.clamp(a, min=b), A, B),
    Case("int_unary", lambda i: torch.abs(i) + torch.neg(i) + i.sign(), I34, grad=False),
    # comparisons, logic, selection
    Case("compare", lambda a, b: torch.stack([a == b, a != b, a < b, a <= b, a > b, a >= b]), A, B,
         grad=False),
    Case("compare_scalar", lambda a: (a > 0) & (a < 1) | (a == 0), A, grad=False),
    Case("logical", lambda a, b: torch.logical_xor(torch.logical_and(a > 0, b > 0),
                                                   torch.logical_or(a < 0, b < 0)) ^ torch.logical_not(a > b),
         A, B, grad=False),
    Case("bitwise_int", lambda i: (i & 3) | (i ^ 5) | ~i, I34, grad=False),
    Case("nan_inf_checks", lambda x: torch.stack([x.isnan(), x.isinf(), x.isfinite()]), WITH_NAN, grad=False),
    Case("isclose", lambda a, b: torch.isclose(a, a + b * 1e-7), A, B, grad=False),
    Case("where", lambda a, b: torch.where(a > 0, a, b), A, B),
    Case("where_scalar", lambda a: torch.where(a > 0, a, 0.0), A),
    Case("masked_fill", lambda a: a.masked_fill(a > 0.5, -1.0), A),
    Case("maximum_minimum", lambda a, b: torch.maximum(a, b) + torch.minimum(a, b) * 2, A, B),
    Case("maximum_ties", lambda t: torch.maximum(t, t.flip(1)), TIES),
    # reductions
    Case("sum", lambda a: a.sum(), A),
    Case("sum_dim", lambda a: a.sum(dim=1, keepdim=True) + a.sum(0).sum(), A),
    Case("sum_int", lambda i: i.sum() + i.sum(dim=0).sum(), I34, grad=False),
    Case("sum_bool", lambda a: (a > 0).sum(dim=1), A, grad=False),
    Case("mean", lambda a: a.mean() + a.mean(dim=(0, 1)) + a.mean(-1).sum(), A),
    Case("prod", lambda p: p.prod(dim=1), POS),
    Case("var_std", lambda a: a.var(dim=1) + a.std(), A),
    Case("amax_amin", lambda a: a.amax(dim=1) - a.amin(dim=0).sum(), A),
    Case("max_min_ties", lambda t: t.max() + t.min(), TIES),
    Case("max_dim", lambda a: a.max(dim=1).values * 2 + a.min(dim=0, keepdim=True).values.sum(), A),
    Case("max_dim_indices", lambda a: a.max(dim=1).indices + a.min(dim=0).indices.sum(), A, grad=False),
    Case("argmax_argmin", lambda a: a.argmax() + a.argmin(dim=1), A, grad=False),
    Case("logsumexp", lambda a: torch.logsumexp(a, dim=1), A),
    Case("norm", lambda a: a.norm() + a.norm(p=1, dim=1).sum(), A),
    Case("all_any", lambda a: torch.stack([(a > -9).all(), (a > 9).any(), (a > 0).any(dim=0).all()]), A,
         grad=False),
    Case("cumsum_cumprod", lambda p: p.cumsum(1) + p.cumprod(0), POS),
    Case("cumsum_int", lambda i: i.cumsum(0), I34, grad=False),
    Case("count_nonzero", lambda i: torch.count_nonzero(i) + torch.count_nonzero(i, dim=0).sum(), I34,
         grad=False),
    # shapes and views
    Case("view_reshape", lambda a: a.view(4, 3).reshape(2, 6).flatten(), A),
    Case("unflatten", lambda a: a.reshape(12).unflatten(0, (2, 6)), A),
    Case("permute_transpose", lambda b: b.permute(2, 0, 1).transpose(0, 2).contiguous(), B234),
    Case("transpose_then_reshape", lambda a: a.t().reshape(12) * 1, A),
    Case("T_mT", lambda a: a.T * 2 + a.mT, A),
    Case("squeeze_unsqueeze", lambda a: a.unsqueeze(0).unsqueeze(-1).squeeze(0).squeeze(), A),
    Case("expand", lambda r: r.expand(3, 4) * 1, ROW),
    Case("repeat_tile", lambda a: a.repeat(1, 2) + a.tile((2,)), A),
    Case("cat_stack", lambda a, b: torch.cat([a, b], 1).sum(1) + torch.stack([a, b], 0).sum(0).sum(1), A, B),
    Case("split_chunk", lambda a: a.split(2, 1)[1] * 2 + a.chunk(2, 1)[0], A),
    Case("narrow_select_unbind", lambda a: a.narrow(1, 1, 2).sum() + a.select(0, 1) + a.unbind(0)[2], A),
    Case("flip_roll", lambda a: a.flip(0) + a.roll(1, 1) + a.roll(2), A),
    Case("tril_triu", lambda a: a.tril() + a.triu(1) * 2, A),
    Case("clone", lambda a: a.clone(), A),
    # indexing
    Case("getitem_basic", lambda a: a[1] + a[:, 2].sum() + a[::2, 1:3].sum() + a[None, ..., -1].sum(), A),
    Case("getitem_mask", lambda a: a[a > 0], A),
    Case("getitem_tensor_index", lambda a, i: a[i], A, IDX[:3]),
    Case("getitem_list", lambda a: a[[0, 2, 2]], A),
    Case("getitem_2d_fancy", lambda a: a[torch.tensor([0, 2]), torch.tensor([1, 3])], A),
    Case("getitem_mixed", lambda a: a[1:, [0, 3]], A),
    Case("setitem_basic", lambda a: _setitem(a, (slice(None), 1), 5.0), A),
    Case("setitem_mask", lambda a: _setitem(a, a > 0, 0.0), A),
    Case("setitem_fancy", lambda a: _setitem(a, ([0, 2], [1, 1]), 7.0), A),
    Case("setitem_tensor_value", lambda a, r: _setitem(a, 0, r), A, ROW),
    Case("gather", lambda a, i: a.gather(1, i), A, GIDX),
    Case("scatter", lambda a, i, b: a.scatter(1, i, b), A, GIDX, B[:, :2].copy()),
    Case("scatter_add", lambda a, i, b: a.scatter_add(1, i, b), A, GIDX, B[:, :2].copy()),
    Case("index_select", lambda a, i: a.index_select(1, i), A, IDX),
    Case("masked_select", lambda a: torch.masked_select(a, a > 0), A),
    Case("nonzero", lambda i: torch.nonzero(i), I34, grad=False),
    Case("sort", lambda a: a.sort(dim=1).values + a.sort(dim=0, descending=True).values, A),
    Case("sort_indices", lambda a: a.sort(dim=1).indices + a.argsort(dim=0), A, grad=False),
    Case("topk_kthvalue", lambda a: a.topk(2, dim=1).values.sum(1) + a.kthvalue(2, dim=1).values, A),
    Case("take_along_dim", lambda a, i: torch.take_along_dim(a, i, dim=1), A, GIDX),
    Case("index_put_accumulate", lambda a, v: a.index_put((torch.tensor([0, 0, 2]),), v, accumulate=True),
         A, B[:3].copy()),
    # linear algebra
    Case("matmul_2d", lambda a, b: a @ b, M34, M45),
    Case("matmul_batched", lambda a, b: torch.matmul(a, b), B234, B245),
    Case("matmul_broadcast", lambda a, b: torch.matmul(a, b), B234, M45),
    Case("matmul_vec", lambda a, v: a @ v + (v @ a.t()).sum(), M34, V4),
    Case("mm_bmm", lambda a, b, c, d: torch.mm(a, b).sum() + torch.bmm(c, d).sum(), M34, M45, B234, B245),
    Case("mv_dot_outer", lambda a, v, w: torch.mv(a, v).sum() + torch.dot(v, v) + torch.outer(w, v).sum(),
         M34, V4, V3),
    Case("addmm", lambda a, b, c: torch.addmm(c, a, b, beta=0.5, alpha=2), M34, M45,
         rng.standard_normal((3, 5)).astype(np.float32)),
    Case("einsum", lambda a, b: torch.einsum("ij,jk->ik", a, b), M34, M45),
    Case("einsum_nograd", lambda a, b: torch.einsum("bij,bjk->bk", a, b), B234, B245, grad=False),
    Case("cross", lambda a, b: torch.cross(a, b, dim=1), A[:, :3].copy(), B[:, :3].copy()),
    # casts
    Case("casts", lambda a: (a * 3).to(torch.int64) + (a > 0).long() + a.to(torch.int32).to(torch.int64), A,
         grad=False),
    Case("cast_float64_and_back", lambda a: a.double().exp().float(), A),
    Case("cast_bool", lambda i: i.bool(), I34, grad=False),
    # in place (no graph)
    Case("inplace_arith", lambda a, b: _inplace(a, b), A, B, grad=False),
]


def _setitem(a, index, value):
    out = a.clone()
    out[index] = value
    return out


def _inplace(a, b):
    out = a.clone()
    out.add_(b).mul_(2).sub_(1).div_(3)
    out += b
    out.clamp_(-1, 1)
    z = a.clone().zero_()
    f = a.clone().fill_(2.0)
    c = a.clone().copy_(b)
    return torch.stack([out, z, f, c])


def _tensors(case, device, requires_grad):
    ts = []
    for x in case.inputs:
        t = torch.tensor(x, device=device)
        if requires_grad and x.dtype.kind == "f":
            t.requires_grad_(True)
        ts.append(t)
    return ts


def _outputs(out):
    if isinstance(out, (tuple, list)):
        return [o for item in out for o in _outputs(item)]
    return [out]


def _run(case, device):
    ts = _tensors(case, device, case.grad)
    outs = _outputs(case.fn(*ts))
    grads = []
    if case.grad:
        wrng = np.random.default_rng(1)
        loss = None
        for o in outs:
            if o.requires_grad:
                w = torch.tensor(wrng.standard_normal(tuple(o.shape)).astype(np.float32), device=device)
                term = (o * w.to(o.dtype)).sum()
                loss = term if loss is None else loss + term
        assert loss is not None, "no differentiable output"
        loss.backward()
        grads = [t.grad for t in ts if t.requires_grad]
    return outs, grads


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_op_matches_cpu(device, case):
    ref_outs, ref_grads = _run(case, "cpu")
    outs, grads = _run(case, device)
    assert len(outs) == len(ref_outs)
    for o, r in zip(outs, ref_outs):
        assert_matches(o, r, device, rtol=case.rtol, atol=case.atol)
    for g, r in zip(grads, ref_grads):
        assert (g is None) == (r is None)
        if r is not None:
            assert_matches(g, r, device, rtol=case.rtol * 10, atol=case.atol * 10)


def test_double_backward_on_device(device):
    x = torch.tensor([0.5, 1.5, -1.0], device=device, requires_grad=True)
    (g,) = torch.autograd.grad((x * x * x).sum(), x, create_graph=True)
    (gg,) = torch.autograd.grad(g.sum(), x)
    assert_matches(gg, torch.tensor([3.0, 9.0, -6.0]), device)


def test_gradcheck_on_device(device):
    x = torch.tensor([[0.3, -0.7], [1.1, 0.2]], dtype=torch.float64, device=device, requires_grad=True)
    w = torch.tensor([[1.0, 2.0], [-1.0, 0.5]], dtype=torch.float64, device=device, requires_grad=True)
    assert torch.autograd.gradcheck(lambda a, b: (a @ b).tanh().sum(0), (x, w))


def test_mixing_devices_is_an_error(device):
    if device == "cpu":
        pytest.skip("needs a second device type")
    a = torch.ones(2, device=device)
    with pytest.raises(RuntimeError, match="same device"):
        a + torch.ones(2)
    assert_matches(a + torch.tensor(2.0), torch.full((2,), 3.0), device)  # a 0-dim CPU tensor may join
