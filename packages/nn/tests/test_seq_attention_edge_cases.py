"""Edge cases of the sequence and attention layers without PyTorch: input validation of
scaled_dot_product_attention, grouped-query attention where only key or value is grouped,
pad_sequence's padding_side check, and TransformerEncoder's nested-tensor inference path."""

import lanterna as L
import numpy as np
import pytest
from lanterna.autograd import gradcheck
from lanterna.nn.utils.rnn import pad_sequence

F = L.nn.functional


def rand(*shape, requires_grad=False, seed=0):
    t = L.tensor(np.random.RandomState(seed).randn(*shape))
    return t.requires_grad_(requires_grad)


def test_pad_sequence_bad_padding_side_is_runtime_error():
    with pytest.raises(RuntimeError, match="Expected padding_side to be one of left or right, but got middle."):
        pad_sequence([L.ones(2), L.ones(1)], padding_side="middle")


def test_sdpa_qkv_dtype_mismatch():
    q = rand(2, 3, 4)
    with pytest.raises(RuntimeError, match="query.dtype: double key.dtype: float and value.dtype: double"):
        F.scaled_dot_product_attention(q, q.float(), q)


def test_sdpa_needs_2d_inputs():
    with pytest.raises(RuntimeError, match="at least 2 dimensional, but got query.dim: 3 key.dim: 1 and value.dim: 2"):
        F.scaled_dot_product_attention(rand(2, 3, 4), rand(4), rand(3, 4))


@pytest.mark.parametrize("q_dtype, mask_dtype", [("float64", "float16"), ("float32", "float64"), ("float32", "int32")])
def test_sdpa_float_mask_must_be_float32_or_query_dtype(q_dtype, mask_dtype):
    q = rand(2, 3, 4).to(getattr(L, q_dtype))
    mask = L.zeros(3, 3, dtype=getattr(L, mask_dtype))
    with pytest.raises(RuntimeError, match="Expected attn_mask dtype to be bool or float or to match query dtype"):
        F.scaled_dot_product_attention(q, q, q, attn_mask=mask)


def test_sdpa_float32_mask_on_double_query():
    q, k, v = rand(2, 3, 4, seed=0), rand(2, 5, 4, seed=1), rand(2, 5, 6, seed=2)
    mask = rand(3, 5, seed=3)
    out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask.float())
    assert out.dtype == L.float64
    scores = q.numpy() @ k.numpy().swapaxes(-1, -2) / 2.0 + mask.float().numpy().astype(np.float64)
    w = np.exp(scores - scores.max(-1, keepdims=True))
    w /= w.sum(-1, keepdims=True)
    np.testing.assert_allclose(out.numpy(), w @ v.numpy(), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("k_heads, v_heads", [(4, 2), (2, 4), (1, 2)])
def test_sdpa_gqa_key_or_value_grouped(k_heads, v_heads):
    q = rand(2, 4, 3, 5, requires_grad=True, seed=0)
    k = rand(2, k_heads, 6, 5, requires_grad=True, seed=1)
    v = rand(2, v_heads, 6, 5, requires_grad=True, seed=2)
    out = F.scaled_dot_product_attention(q, k, v, enable_gqa=True)
    ref = F.scaled_dot_product_attention(q, k.repeat_interleave(4 // k_heads, -3),
                                         v.repeat_interleave(4 // v_heads, -3))
    np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy(), rtol=1e-12, atol=1e-12)
    assert gradcheck(lambda q, k, v: F.scaled_dot_product_attention(q, k, v, enable_gqa=True), (q, k, v))


def test_sdpa_gqa_heads_must_divide():
    q, k, v = rand(2, 4, 3, 5), rand(2, 4, 6, 5), rand(2, 3, 6, 5)
    with pytest.raises(RuntimeError, match="Number of heads in key and value must divide the number of heads in"):
        F.scaled_dot_product_attention(q, k, v, enable_gqa=True)


def _encoder(mask_check):
    L.manual_seed(0)
    layer = L.nn.TransformerEncoderLayer(8, 2, 16, batch_first=True, dtype=L.float64)
    return L.nn.TransformerEncoder(layer, 2, enable_nested_tensor=True, mask_check=mask_check).eval()


def test_encoder_nested_path_not_left_aligned_without_mask_check():
    """PyTorch's nested tensors keep the first count(not padding) steps of each sequence, so
    padding in the middle acts as padding at the end; padded steps come out as 0."""
    enc = _encoder(mask_check=False)
    x = rand(3, 5, 8)
    kpm = L.zeros(3, 5, dtype=L.bool)
    kpm[0, 1] = True  # not at the end
    kpm[2, 3:] = True
    aligned = L.zeros(3, 5, dtype=L.bool)
    aligned[0, 4] = True
    aligned[2, 3:] = True
    with L.no_grad():
        out = enc(x, src_key_padding_mask=kpm)
        enc.use_nested_tensor = False  # the plain path with the aligned mask, then zeroed padding
        ref = enc(x, src_key_padding_mask=aligned) * aligned.logical_not().unsqueeze(-1)
    np.testing.assert_allclose(out.numpy(), ref.numpy(), rtol=1e-12, atol=1e-12)
    assert (out[0, 4] == 0).all() and not (out[0, 1] == 0).all()


def test_encoder_nested_path_float_padding_mask_masks_nonzero():
    """Any nonzero value of a float padding mask marks padding on the nested-tensor path."""
    enc = _encoder(mask_check=True)
    x = rand(2, 4, 8)
    fmask = L.tensor([[0.0, 0.0, -1.0, -1.0], [0.0, 0.0, 0.0, 0.0]], dtype=L.float64)
    with L.no_grad():
        out = enc(x, src_key_padding_mask=fmask)
        ref = enc(x, src_key_padding_mask=fmask != 0)
    np.testing.assert_allclose(out.numpy(), ref.numpy(), rtol=1e-12, atol=1e-12)
