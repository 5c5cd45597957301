"""The lean paths of a training step (Linear's hand-built transpose node, the engine's release
shortcut, log_softmax/nll backward on arrays, the root gradient's dtype) keep PyTorch's semantics."""

import numpy as np
import pytest

import lanterna as torch
import lanterna.nn.functional as F


def _linear_grads(bias_shape, grad_dtype=None):
    torch.manual_seed(0)
    x = torch.randn(4, 3, requires_grad=True)
    w = torch.randn(2, 3, requires_grad=True)
    b = torch.randn(bias_shape, requires_grad=True)
    y = F.linear(x, w, b)
    g = torch.ones(4, 2, dtype=grad_dtype) if grad_dtype is not None else None
    (y.sum() if g is None else y).backward(g)
    return x, w, b


@pytest.mark.parametrize("bias_shape", [(2,), (1,), ()])
def test_linear_bias_gradient_takes_the_bias_shape(bias_shape):
    x, w, b = _linear_grads(bias_shape)
    assert tuple(b.grad.shape) == bias_shape
    # every output element depends on the bias once per row it is broadcast over
    assert np.allclose(b.grad.numpy(), 4.0 * (2 if bias_shape != (2,) else 1))
    assert np.allclose(w.grad.numpy(), np.tile(x.detach().numpy().sum(0), (2, 1)))


def test_a_root_gradient_of_another_dtype_is_cast_to_the_output_dtype():
    x, w, b = _linear_grads((2,), grad_dtype=torch.float64)
    assert x.grad.dtype == w.grad.dtype == b.grad.dtype == torch.float32
    leaf = torch.ones(3, requires_grad=True)
    (leaf * 2).backward(torch.ones(3, dtype=torch.int64))
    assert leaf.grad.dtype == torch.float32 and leaf.grad.tolist() == [2.0, 2.0, 2.0]


def test_linear_records_pytorchs_graph_and_frees_it():
    lin = torch.nn.Linear(3, 2)
    y = lin(torch.randn(4, 3))
    fn = y.grad_fn
    assert fn.name() == "AddmmBackward0"
    t_node = fn.next_functions[2][0]
    assert t_node.name() == "TBackward0"
    assert t_node.next_functions[0][0].variable is lin.weight
    y.sum().backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.sum().backward()


def test_linear_weight_grad_is_contiguous_and_owned():
    lin = torch.nn.Linear(5, 3)
    lin(torch.randn(8, 5)).sum().backward()
    g = lin.weight.grad
    assert g.is_contiguous() and tuple(g.shape) == (3, 5)
    g.add_(1.0)  # the gradient owns its memory: nothing else changes
    assert not np.shares_memory(g.numpy(), lin.weight.detach().numpy())


def _ce_grads(create_graph):
    torch.manual_seed(1)
    logits = torch.randn(6, 5, requires_grad=True)
    target = torch.tensor([0, 4, 2, 2, 1, 3])
    loss = F.cross_entropy(logits, target)
    (g,) = torch.autograd.grad(loss, logits, create_graph=create_graph)
    return g, logits, target


def test_cross_entropy_backward_on_arrays_equals_the_recorded_one_bitwise():
    plain, logits, target = _ce_grads(False)
    recorded, _, _ = _ce_grads(True)
    assert np.array_equal(plain.numpy(), recorded.detach().numpy())
    # and the formula: (softmax - onehot) / N
    p = np.exp(logits.detach().numpy().astype(np.float64))
    p /= p.sum(1, keepdims=True)
    p[np.arange(6), target.numpy()] -= 1
    assert np.allclose(plain.numpy(), p / 6, atol=1e-6)


def test_log_softmax_backward_refuses_an_output_changed_in_place():
    x = torch.randn(3, 4, requires_grad=True)
    y = F.log_softmax(x, 1)
    y.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


def test_post_accumulate_grad_hooks_still_run_and_can_be_removed():
    w = torch.ones(2, requires_grad=True)
    seen = []
    handle = w.register_post_accumulate_grad_hook(lambda p: seen.append(p.grad.tolist()))
    (w * 3).sum().backward()
    handle.remove()
    (w * 3).sum().backward()
    assert seen == [[3.0, 3.0]] and w.grad.tolist() == [6.0, 6.0]


def test_backward_with_create_graph_warns_once_about_the_reference_cycle(monkeypatch):
    import warnings

    import lanterna.autograd as A

    monkeypatch.setattr(A, "_WARNED_CREATE_GRAPH", [False])
    x = torch.ones(2, requires_grad=True)
    with pytest.warns(UserWarning, match="create_graph=True will create a reference cycle"):
        (x * x).sum().backward(create_graph=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        (x * x).sum().backward(create_graph=True)  # once per process
        torch.autograd.grad((x * x).sum(), x, create_graph=True)  # grad never warns


def test_loss_and_linear_dtype_errors_name_pytorchs_kernels():
    with pytest.raises(NotImplementedError, match='"nll_loss_out_frame" not implemented for \'Long\''):
        F.nll_loss(torch.ones(2, 3, dtype=torch.long), torch.tensor([0, 1]))
    with pytest.raises(NotImplementedError, match='"mse_cpu" not implemented for \'Long\''):
        F.mse_loss(torch.ones(2, dtype=torch.long), torch.ones(2, dtype=torch.long))
    with pytest.raises(RuntimeError, match="Found dtype Long but expected Float"):
        F.binary_cross_entropy(torch.full((2,), 0.5), torch.ones(2, dtype=torch.long))
    with pytest.raises(RuntimeError, match=r"got: float != double$"):
        F.linear(torch.ones(2, 3), torch.ones(4, 3, dtype=torch.float64))
    with pytest.raises(RuntimeError, match="self and mat2 must have the same dtype, but got Double and Float"):
        F.linear(torch.ones(2, 3), torch.ones(4, 3), torch.ones(4, dtype=torch.float64))
    out = F.binary_cross_entropy_with_logits(torch.tensor([0.0]), torch.tensor([1.0], dtype=torch.float64))
    assert out.dtype == torch.float64  # the target's dtype, as PyTorch's in-place formula gives


def test_detach_in_place_refuses_views_but_not_detached_tensors():
    with pytest.raises(RuntimeError, match="Can't detach views in-place"):
        torch.ones(2, 2)[0].detach_()
    assert torch.ones(2, 2)[1].detach().detach_().shape == (2,)
    x = torch.arange(6.0).reshape(2, 3)
    assert x[1].detach().storage_offset() == 3  # still shares x's storage
