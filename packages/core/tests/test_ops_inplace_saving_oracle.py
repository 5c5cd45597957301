"""PyTorch as the oracle for what addcmul/addcdiv/lerp (and their in-place forms) save for backward:
the same tensors changed in place after the op must raise or not raise alike; and addcdiv's error
for integer operands, foreach included."""

import itertools

import pytest

torch = pytest.importorskip("torch")

import lanterna as lt  # noqa: E402

pytestmark = pytest.mark.oracle


def _ops(lib):
    return {
        "addcmul_": lambda b, t1, t2, w: b.addcmul_(t1, t2, value=2),
        "addcmul": lambda b, t1, t2, w: lib.addcmul(b, t1, t2, value=2),
        "addcdiv_": lambda b, t1, t2, w: b.addcdiv_(t1, t2, value=2),
        "addcdiv": lambda b, t1, t2, w: lib.addcdiv(b, t1, t2, value=2),
        "lerp_": lambda b, t1, t2, w: b.lerp_(t1, w),
        "lerp": lambda b, t1, t2, w: lib.lerp(b, t1, w),
        "div_": lambda b, t1, t2, w: b.div_(t2),
        "mul_self": lambda b, t1, t2, w: b.mul_(t1),
    }


def _outcome(lib, name, grads, modify):
    ts = [lib.randn(3), lib.randn(3), lib.rand(3) + 1, lib.rand(3)]
    for t, g in zip(ts, grads):
        t.requires_grad_(g)
    a, t1, t2, w = ts
    try:
        r = _ops(lib)[name](a * 1, t1, t2, w)
        with lib.no_grad():
            ts[modify].add_(1)
        r.sum().backward()
    except RuntimeError as e:
        return "modified by an inplace operation" in str(e), str(e)[:60]
    return False, ""


GRADS = [g for g in itertools.product((False, True), repeat=4) if any(g)]


@pytest.mark.parametrize("name", sorted(_ops(lt)))
@pytest.mark.parametrize("grads", GRADS)
def test_version_check_like_torch(name, grads):
    for modify in (1, 2, 3):
        assert _outcome(lt, name, grads, modify) == _outcome(torch, name, grads, modify), modify


def _calls(lib):
    return [
        lambda a, b, c: lib.addcdiv(a, b, c),
        lambda a, b, c: a.addcdiv_(b, c),
        lambda a, b, c: lib.addcdiv(a.float(), b, c),
        lambda a, b, c: lib.addcdiv(a, b.bool(), c.bool()),
        lambda a, b, c: lib.addcdiv(a, b.float(), c),
        lambda a, b, c: lib._foreach_addcdiv_([a], [b], [c]),
        lambda a, b, c: lib._foreach_addcdiv([a], [b], [c]),
        lambda a, b, c: lib._foreach_addcdiv_([a], [b], [c], [2]),
        lambda a, b, c: lib._foreach_addcdiv_([a.float()], [b], [c]),
        lambda a, b, c: lib._foreach_addcdiv([a.float()], [b], [c.float()]),
    ]


@pytest.mark.parametrize("i", range(len(_calls(lt))))
def test_addcdiv_integer_error_like_torch(i):
    res = []
    for lib in (torch, lt):
        a, b, c = lib.tensor([1, 2]), lib.tensor([3, 4]), lib.tensor([1, 2])
        try:
            out = _calls(lib)[i](a, b, c)
            res.append(("ok", None if out is None else [o.tolist() for o in out] if isinstance(out, (list, tuple))
                        else out.tolist()))
        except Exception as e:  # noqa: BLE001 - comparing type and message with PyTorch's
            res.append((type(e).__name__, str(e)))
    assert res[1] == res[0]
