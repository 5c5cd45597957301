"""The _foreach_* list ops give what the per-tensor Tensor ops give, and fall back to them when needed."""

import lanterna as torch
import numpy as np
import pytest


def _lists(seed=0, dtype=torch.float32):
    rng = np.random.default_rng(seed)
    shapes = [(2, 3), (4,), ()]
    return [torch.tensor(rng.uniform(0.5, 2.0, s), dtype=dtype) for s in shapes]


def _same(xs, ys):
    assert len(xs) == len(ys)
    for x, y in zip(xs, ys):
        assert x.dtype == y.dtype and x.shape == y.shape
        np.testing.assert_allclose(np.asarray(x), np.asarray(y), rtol=1e-6)


BINARY = [("add", {}), ("add", {"alpha": -0.5}), ("sub", {"alpha": 2}), ("mul", {}), ("div", {}),
          ("maximum", {}), ("minimum", {}), ("clamp_min", {}), ("clamp_max", {})]


@pytest.mark.parametrize("name,kw", BINARY, ids=[f"{n}{kw}" for n, kw in BINARY])
@pytest.mark.parametrize("kind", ["tensors", "scalar", "scalars"])
def test_binary_matches_tensor_ops(name, kw, kind):
    a, b = _lists(0), _lists(1)
    other = {"tensors": b, "scalar": 1.25, "scalars": [0.5, 1.5, 2.5]}[kind]
    per = other if isinstance(other, list) else [other] * len(a)
    if name in ("maximum", "minimum"):  # the Tensor methods take tensors only
        per = [torch.tensor(v) if isinstance(v, float) else v for v in per]
    expected = [getattr(t, name)(o, **kw) for t, o in zip(a, per)]
    _same(getattr(torch, f"_foreach_{name}")(a, other, **kw), expected)
    versions = [t._version_count for t in a]
    assert getattr(torch, f"_foreach_{name}_")(a, other, **kw) is None
    _same(a, expected)
    assert [t._version_count for t in a] == [v + 1 for v in versions]


@pytest.mark.parametrize("name", ["addcmul", "addcdiv"])
@pytest.mark.parametrize("value", [1, -0.5, [0.5, -1.0, 2.0]])
def test_pointwise(name, value):
    a, b, c = _lists(0), _lists(1), _lists(2)
    vals = value if isinstance(value, list) else [value] * 3
    expected = [getattr(t, name)(x, y, value=v) for t, x, y, v in zip(a, b, c, vals)]
    _same(getattr(torch, f"_foreach_{name}")(a, b, c, value), expected)
    getattr(torch, f"_foreach_{name}_")(a, b, c, value)
    _same(a, expected)


@pytest.mark.parametrize("weight", [0.1, 0.5, 0.9])
def test_lerp_uses_torchs_two_sided_formula(weight):
    a, b = _lists(0), _lists(1)
    expected = [t + weight * (e - t) for t, e in zip(a, b)]
    _same(torch._foreach_lerp(a, b, weight), expected)
    torch._foreach_lerp_(a, b, weight)
    _same(a, expected)
    x, e = [torch.tensor([3.0])], [torch.tensor([7.0])]
    torch._foreach_lerp_(x, e, 1.0)  # exact at the end point
    assert x[0].item() == 7.0


@pytest.mark.parametrize("name", ["sqrt", "abs", "exp", "sign", "neg", "reciprocal"])
def test_unary(name):
    a = _lists(0)
    expected = [getattr(t, name)() for t in a]
    _same(getattr(torch, f"_foreach_{name}")(a), expected)
    getattr(torch, f"_foreach_{name}_")(a)
    _same(a, expected)


def test_zero_copy_norm():
    a, b = _lists(0), _lists(1)
    norms = torch._foreach_norm(a)
    _same(norms, [t.norm() for t in a])
    assert all(n.shape == () for n in norms)
    torch._foreach_copy_(a, b)
    _same(a, b)
    torch._foreach_zero_(a)
    _same(a, [torch.zeros_like(t) for t in b])


def test_scalar_tensor_operand_and_mixed_dtypes_fall_back():
    a = _lists(0)
    torch._foreach_mul_(a, torch.tensor(2.0))
    _same(a, [t * 2 for t in _lists(0)])
    d = _lists(1, dtype=torch.float64)
    out = torch._foreach_add(a, d)  # per-index promotion through the Tensor op
    assert all(t.dtype == torch.float64 for t in out)


def test_records_a_graph_when_an_input_requires_grad():
    w = [torch.ones(2, requires_grad=True), torch.ones(3, requires_grad=True)]
    out = torch._foreach_mul(w, [torch.full((2,), 2.0), torch.full((3,), 3.0)])
    sum(o.sum() for o in out).backward()
    assert torch.equal(w[0].grad, torch.full((2,), 2.0)) and torch.equal(w[1].grad, torch.full((3,), 3.0))
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
        torch._foreach_add_(w, 1.0)
    with torch.no_grad():
        torch._foreach_add_(w, 1.0)
    assert torch.equal(w[0], torch.full((2,), 2.0))


def test_list_errors():
    with pytest.raises(RuntimeError, match="Tensor list must have at least one tensor"):
        torch._foreach_add_([], 1.0)
    with pytest.raises(RuntimeError, match="Tensor lists must have the same number of tensors, got 3 and 2"):
        torch._foreach_add_(_lists(0), _lists(1)[:2])


def test_sgd_momentum_step_matches_the_three_foreach_ops_bit_for_bit():
    lanterna = torch
    from lanterna.ops.foreach import sgd_momentum_step_

    gen = np.random.default_rng(3)
    shapes = [(5, 3), (7,), (2, 2, 2)]
    arrays = [[gen.standard_normal(s).astype(np.float32) for s in shapes] for _ in range(3)]
    fused = [[lanterna.tensor(a.copy()) for a in group] for group in arrays]
    plain = [[lanterna.tensor(a.copy()) for a in group] for group in arrays]
    # one float64 index among float32 ones takes the fallback path; a dampening makes alpha != 1
    fused[0][1], fused[1][1], fused[2][1] = (t.double() for t in (fused[0][1], fused[1][1], fused[2][1]))
    plain[0][1], plain[1][1], plain[2][1] = (t.double() for t in (plain[0][1], plain[1][1], plain[2][1]))
    for _ in range(3):
        sgd_momentum_step_(fused[0], fused[1], fused[2], 0.9, 0.1, 0.01)
        lanterna._foreach_mul_(plain[2], 0.9)
        lanterna._foreach_add_(plain[2], plain[1], alpha=1 - 0.1)
        lanterna._foreach_add_(plain[0], plain[2], alpha=-0.01)
    for f, p in zip(fused[0] + fused[2], plain[0] + plain[2]):
        assert f.dtype == p.dtype and np.array_equal(f.numpy(), p.numpy())
    assert [t._version[0] for t in fused[0] + fused[2]] == [t._version[0] for t in plain[0] + plain[2]]
