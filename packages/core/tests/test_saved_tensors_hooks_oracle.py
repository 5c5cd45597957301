"""saved_tensors_hooks against PyTorch: which tensors are packed, and the gradients."""

import numpy as np
import pytest

import lanterna

pytestmark = pytest.mark.oracle
torch = pytest.importorskip("torch")


def _run(lib, build):
    shapes = []

    def pack(t):
        shapes.append(tuple(t.shape))
        return t

    x = lib.tensor(np.arange(6, dtype=np.float32).reshape(2, 3) / 7, requires_grad=True)
    w = lib.tensor(np.linspace(-1, 1, 12, dtype=np.float32).reshape(4, 3), requires_grad=True)
    with lib.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        y = build(lib, x, w)
    y.backward()
    grads = [None if t.grad is None else t.grad.numpy() for t in (x, w)]
    return sorted(shapes), *grads


@pytest.mark.parametrize("build", [
    lambda lib, x, w: (x * x).sum(),
    lambda lib, x, w: (x * 2).sum(),
    lambda lib, x, w: lib.nn.functional.linear(x, w).sum(),
    lambda lib, x, w: (x @ w.t()).sum(),
    lambda lib, x, w: (x.unsqueeze(1) * w.unsqueeze(0)).sum(),
], ids=["mul", "mul_scalar", "linear", "matmul", "broadcast_mul"])
def test_packed_shapes_and_gradients_match(build):
    ours = _run(lanterna, build)
    ref = _run(torch, build)
    assert ours[0] == ref[0]
    for a, b in zip(ours[1:], ref[1:]):
        assert (a is None) == (b is None)
        if a is not None:
            np.testing.assert_allclose(a, b, rtol=1e-6)
