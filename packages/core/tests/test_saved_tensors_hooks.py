"""torch.autograd.graph.saved_tensors_hooks / save_on_cpu / disable_saved_tensors_hooks."""

import pytest

import lanterna as torch
from lanterna.autograd.graph import disable_saved_tensors_hooks, save_on_cpu, saved_tensors_hooks


def test_pack_on_save_unpack_on_use_and_gradients_unchanged():
    calls = []

    def pack(t):
        calls.append("pack")
        return t.detach().clone() * 1

    def unpack(p):
        calls.append("unpack")
        return p

    x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    w = torch.tensor([4.0, 5.0, 6.0], requires_grad=True)
    with saved_tensors_hooks(pack, unpack):
        y = (x * w).sum()
    assert calls == ["pack", "pack"]
    y.backward()
    assert calls == ["pack", "pack", "unpack", "unpack"]
    assert x.grad.tolist() == [4.0, 5.0, 6.0] and w.grad.tolist() == [1.0, 2.0, 3.0]


def test_packed_object_may_be_anything_and_the_innermost_context_wins():
    store = {}

    def pack(t):
        key = len(store)
        store[key] = t
        return key

    x = torch.tensor([2.0], requires_grad=True)
    with saved_tensors_hooks(lambda t: t, lambda t: t):
        with saved_tensors_hooks(pack, store.__getitem__):
            y = (x * x).sum()
    y.backward()
    assert len(store) == 2 and x.grad.tolist() == [4.0]


def test_hooked_saved_tensors_are_not_version_checked_like_pytorch():
    x = torch.tensor([3.0], requires_grad=True)
    a = x * 1
    with saved_tensors_hooks(lambda t: t.clone(), lambda t: t):
        y = (a * a).sum()
    with torch.no_grad():
        a.mul_(10)  # without hooks this would trip the version check
    y.backward()
    assert x.grad.tolist() == [6.0]  # computed from the packed copies


def test_unpack_must_return_a_tensor_and_pack_must_not_modify_its_input():
    x = torch.ones(2, requires_grad=True)
    with saved_tensors_hooks(lambda t: 1, lambda p: 2):
        y = (x * x).sum()
    with pytest.raises(TypeError, match="unpack_hook expected to be a Tensor but got result of type int"):
        y.backward()
    with pytest.raises(RuntimeError, match="pack hook is modifying its input in place"):
        with saved_tensors_hooks(lambda t: t.add_(1), lambda p: p):
            (x * x).sum()


def test_save_on_cpu_and_disable():
    x = torch.tensor([1.0, -2.0], requires_grad=True)
    with save_on_cpu():
        y = (x * x).sum()
    y.backward()
    assert x.grad.tolist() == [2.0, -4.0]
    with pytest.raises(RuntimeError, match="^no hooks here$"):
        with disable_saved_tensors_hooks("no hooks here"):
            with saved_tensors_hooks(lambda t: t, lambda t: t):
                pass
    with pytest.raises(RuntimeError, match="^nope$"):
        with saved_tensors_hooks(lambda t: t, lambda t: t):
            with disable_saved_tensors_hooks("nope"):
                (x * x).sum()
    # the stacks are clean again: saving works without hooks
    (x * x).sum().backward()


def test_released_graph_still_raises_after_hooks():
    x = torch.ones(2, requires_grad=True)
    with saved_tensors_hooks(lambda t: t, lambda t: t):
        y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.backward()
