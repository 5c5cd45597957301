"""Ops save for backward only what their backward reads, as PyTorch's generated code does: a factor
that no gradient needs can then change in place before backward without tripping the "modified by
an inplace operation" check. Also addcdiv's refusal of integer operands, foreach included."""

import pytest

import lanterna as lt

MODIFIED = "modified by an inplace operation"


def _run(op, grads, modify):
    """``op`` on (self, tensor1, tensor2, weight) with ``grads`` requiring grad; then tensor
    ``modify`` changes in place and backward runs."""
    ts = [lt.randn(3), lt.randn(3), lt.rand(3) + 1, lt.rand(3)]
    for t, g in zip(ts, grads):
        t.requires_grad_(g)
    a, t1, t2, w = ts
    r = op(a * 1, t1, t2, w)
    with lt.no_grad():
        ts[modify].add_(1)
    r.sum().backward()
    return ts


OPS = {
    "addcmul_": lambda b, t1, t2, w: b.addcmul_(t1, t2, value=2),
    "addcmul": lambda b, t1, t2, w: lt.addcmul(b, t1, t2, value=2),
    "addcdiv_": lambda b, t1, t2, w: b.addcdiv_(t1, t2, value=2),
    "addcdiv": lambda b, t1, t2, w: lt.addcdiv(b, t1, t2, value=2),
    "lerp_": lambda b, t1, t2, w: b.lerp_(t1, w),
    "lerp": lambda b, t1, t2, w: lt.lerp(b, t1, w),
}

# (op, which tensors require grad, which tensor is changed in place afterwards, whether it raises)
CASES = [
    ("addcmul", (True, False, False, False), 1, False),
    ("addcmul", (True, False, False, False), 2, False),
    ("addcmul", (False, True, False, False), 1, False),  # t1's gradient reads t2 only
    ("addcmul", (False, True, False, False), 2, True),
    ("addcmul", (False, False, True, False), 1, True),
    ("addcmul", (False, False, True, False), 2, False),
    ("addcdiv", (True, False, False, False), 1, False),
    ("addcdiv", (True, False, False, False), 2, True),  # PyTorch keeps tensor2 whenever it records
    ("addcdiv", (False, True, False, False), 1, False),
    ("addcdiv", (False, False, True, False), 1, True),
    ("lerp", (True, False, False, False), 1, False),  # end only for the weight's gradient
    ("lerp", (True, False, False, False), 3, True),
    ("lerp", (False, False, False, True), 1, True),
]


@pytest.mark.parametrize("suffix", ["", "_"])
@pytest.mark.parametrize("name,grads,modify,raises", CASES)
def test_saved_factors(name, grads, modify, raises, suffix):
    op = OPS[name + suffix]
    if raises:
        with pytest.raises(RuntimeError, match=MODIFIED):
            _run(op, grads, modify)
    else:
        _run(op, grads, modify)


def test_gradients_unchanged():
    a, t1, t2, w = (lt.randn(4, dtype=lt.float64, requires_grad=True) for _ in range(4))
    t2 = (t2.detach().abs() + 1).requires_grad_()
    w = w.detach().requires_grad_()
    assert lt.autograd.gradcheck(lambda *x: lt.addcmul(x[0], x[1], x[2], value=0.5), (a, t1, t2))
    assert lt.autograd.gradcheck(lambda *x: lt.addcdiv(x[0], x[1], x[2], value=0.5), (a, t1, t2))
    assert lt.autograd.gradcheck(lt.lerp, (a, t1, w))
    # and with only one operand needing a gradient, the others' are None
    b = t1.detach()
    lt.addcmul(a, b, t2.detach()).sum().backward()
    assert b.grad is None


def test_exp_avg_sq_pattern():
    """The optimizers' ``v.mul_(beta).addcmul_(g, g)`` on a graph (differentiable=True), then ``g``
    changed in place: only ``v``'s history needs nothing from ``g`` when ``g`` needs no gradient."""
    p = lt.randn(3, requires_grad=True)
    v = p * 1
    g = lt.randn(3)
    v.addcmul_(g, g, value=0.1)
    g.mul_(0)
    v.sum().backward()
    assert p.grad.tolist() == [1.0, 1.0, 1.0]


INT_DIV = ("Integer division with addcdiv is no longer supported, and in a future  release addcdiv will perform "
           "a true division of tensor1 and tensor2.")


@pytest.mark.parametrize("call", [
    lambda a, b, c: lt.addcdiv(a, b, c),
    lambda a, b, c: a.addcdiv_(b, c),
    lambda a, b, c: lt.addcdiv(a.float(), b, c),
    lambda a, b, c: lt.addcdiv(a, b.bool(), c.bool()),
    lambda a, b, c: lt._foreach_addcdiv_([a], [b], [c]),
    lambda a, b, c: lt._foreach_addcdiv([a], [b], [c]),
    lambda a, b, c: lt._foreach_addcdiv_([a], [b], [c], [2]),
    lambda a, b, c: lt._foreach_addcdiv_([a.float()], [b], [c]),
])
def test_addcdiv_integer_operands_refused(call):
    a, b, c = lt.tensor([1, 2]), lt.tensor([3, 4]), lt.tensor([1, 2])
    with pytest.raises(RuntimeError) as e:
        call(a, b, c)
    assert str(e.value).startswith(INT_DIV)
    assert a.tolist() == [1, 2]  # nothing updated first


def test_addcdiv_one_float_operand_divides():
    a = lt.tensor([1.0, 2.0])
    assert lt.addcdiv(a, lt.tensor([3, 4]), lt.tensor([2.0, 8.0])).tolist() == [2.5, 2.5]
    lt._foreach_addcdiv_([a], [lt.tensor([1.0, 1.0])], [lt.tensor([2, 4])])
    assert a.tolist() == [1.5, 2.25]
