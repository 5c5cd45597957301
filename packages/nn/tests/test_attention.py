"""Attention without PyTorch: formulas, finite-difference gradchecks (float64), mask semantics."""

import math

import lanterna as L
import numpy as np
import pytest
from lanterna.autograd import gradcheck

F = L.nn.functional


def r(*shape, seed=0):
    L.manual_seed(seed)
    return L.randn(*shape, dtype=L.float64, requires_grad=True)


def test_sdpa_equals_the_formula():
    q, k, v = r(2, 3, 4), r(2, 5, 4, seed=1), r(2, 5, 2, seed=2)
    out = F.scaled_dot_product_attention(q, k, v)
    qa, ka, va = (t.detach().numpy() for t in (q, k, v))
    s = qa @ ka.transpose(0, 2, 1) / math.sqrt(4)
    p = np.exp(s - s.max(-1, keepdims=True))
    p /= p.sum(-1, keepdims=True)
    np.testing.assert_allclose(out.detach().numpy(), p @ va, rtol=1e-12)


@pytest.mark.parametrize("mask", ["none", "bool", "float", "causal"])
def test_sdpa_gradcheck(mask):
    q, k, v = r(2, 3, 4), r(2, 3, 4, seed=1), r(2, 3, 2, seed=2)
    kwargs = {}
    if mask == "bool":
        kwargs["attn_mask"] = L.tensor([[True, False, True], [True, True, False], [False, False, True]])
    elif mask == "float":
        kwargs["attn_mask"] = L.randn(3, 3, dtype=L.float64)
    elif mask == "causal":
        kwargs["is_causal"] = True
    assert gradcheck(lambda q, k, v: F.scaled_dot_product_attention(q, k, v, scale=0.7, **kwargs), (q, k, v))


def test_sdpa_masks_block_attention_and_empty_rows_give_zero():
    q, k, v = r(1, 3, 4), r(1, 3, 4, seed=1), r(1, 3, 2, seed=2)
    allowed = L.tensor([[True, False, False], [False, False, False], [True, True, True]])
    out = F.scaled_dot_product_attention(q, k, v, attn_mask=allowed)
    np.testing.assert_allclose(out[0, 0].detach().numpy(), v[0, 0].detach().numpy(), rtol=1e-12)
    assert out[0, 1].abs().sum().item() == 0  # no key allowed: zeros, not NaN
    out.sum().backward()
    assert np.isfinite(q.grad.numpy()).all() and q.grad[0, 1].abs().sum().item() == 0
    causal = F.scaled_dot_product_attention(q, k, v, is_causal=True)
    np.testing.assert_allclose(causal[0, 0].detach().numpy(), v[0, 0].detach().numpy(), rtol=1e-12)


def test_mha_gradcheck_with_masks():
    L.manual_seed(0)
    m = L.nn.MultiheadAttention(4, 2, kdim=3, vdim=5, add_bias_kv=True).double()
    q, k, v = r(2, 2, 4), r(3, 2, 3, seed=1), r(3, 2, 5, seed=2)
    kpm = L.tensor([[False, False, True], [False, False, False]])
    am = L.tensor([[False, True, False], [False, False, False]])

    def f(q, k, v):
        out, w = m(q, k, v, key_padding_mask=kpm, attn_mask=am)
        return out, w

    assert gradcheck(f, (q, k, v))
    assert gradcheck(lambda w: m(q.detach(), k.detach(), v.detach())[0] * w.sum(), (m.q_proj_weight,))


def test_mha_weights_are_a_distribution_and_respect_padding():
    m = L.nn.MultiheadAttention(6, 3, batch_first=True)
    x = L.randn(2, 4, 6)
    kpm = L.tensor([[False, False, True, True], [False, False, False, False]])
    out, w = m(x, x, x, key_padding_mask=kpm)
    assert out.shape == (2, 4, 6) and w.shape == (2, 4, 4)
    np.testing.assert_allclose(w.sum(-1).detach().numpy(), np.ones((2, 4)), rtol=1e-5)
    assert w[0, :, 2:].abs().sum().item() == 0
    out, w = m(x, x, x, average_attn_weights=False)
    assert w.shape == (2, 3, 4, 4)
    out, w = m(x, x, x, need_weights=False)
    assert w is None


def test_mha_parameters_and_repr():
    m = L.nn.MultiheadAttention(8, 2)
    assert [n for n, _ in m.named_parameters()] == ["in_proj_weight", "in_proj_bias", "out_proj.weight",
                                                    "out_proj.bias"]
    assert m.in_proj_bias.abs().sum().item() == 0 and m.out_proj.bias.abs().sum().item() == 0
    m2 = L.nn.MultiheadAttention(8, 2, kdim=4, vdim=3, bias=False)
    assert [n for n, _ in m2.named_parameters()] == ["q_proj_weight", "k_proj_weight", "v_proj_weight",
                                                     "out_proj.weight"]
    assert repr(m).startswith("MultiheadAttention(\n  (out_proj): NonDynamicallyQuantizableLinear(in_features=8")
    with pytest.raises(AssertionError, match="embed_dim must be divisible by num_heads"):
        L.nn.MultiheadAttention(6, 4)
