"""Transformer layers without PyTorch: structure, masks, norm_first, gradchecks (float64)."""

import warnings

import lanterna as L
import numpy as np
import pytest
from lanterna.autograd import gradcheck
from lanterna.nn.modules.transformer import _detect_is_causal_mask


def test_square_subsequent_mask():
    m = L.nn.Transformer.generate_square_subsequent_mask(4)
    expected = np.triu(np.full((4, 4), -np.inf, np.float32), 1)
    np.testing.assert_array_equal(m.numpy(), expected)
    assert L.nn.Transformer.generate_square_subsequent_mask(2, dtype=L.float64).dtype == L.float64
    assert _detect_is_causal_mask(m) is True
    assert _detect_is_causal_mask(L.zeros(4, 4)) is False
    assert _detect_is_causal_mask(L.zeros(4, 4), is_causal=True) is True


@pytest.mark.parametrize("norm_first", [False, True])
def test_encoder_layer_gradcheck(norm_first):
    L.manual_seed(0)
    layer = L.nn.TransformerEncoderLayer(4, 2, 6, dropout=0.0, norm_first=norm_first, activation="gelu").double()
    x = L.randn(3, 2, 4, dtype=L.float64, requires_grad=True)
    pad = L.tensor([[False, False, True], [False, False, False]])
    assert gradcheck(lambda x: layer(x, src_key_padding_mask=pad), (x,))


def test_decoder_layer_gradcheck():
    L.manual_seed(0)
    layer = L.nn.TransformerDecoderLayer(4, 2, 6, dropout=0.0).double()
    tgt = L.randn(3, 1, 4, dtype=L.float64, requires_grad=True)
    mem = L.randn(2, 1, 4, dtype=L.float64, requires_grad=True)
    mask = L.nn.Transformer.generate_square_subsequent_mask(3, dtype=L.float64)
    assert gradcheck(lambda t, m: layer(t, m, tgt_mask=mask), (tgt, mem))


def test_causal_mask_makes_outputs_independent_of_the_future():
    L.manual_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        enc = L.nn.TransformerEncoder(L.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0), 2)
    x = L.randn(5, 1, 8)
    mask = L.nn.Transformer.generate_square_subsequent_mask(5)
    y1 = enc(x, mask=mask)
    x2 = x.clone()
    x2[4] = 0.0
    y2 = enc(x2, mask=mask)
    np.testing.assert_allclose(y1[:4].detach().numpy(), y2[:4].detach().numpy(), rtol=1e-5, atol=1e-6)
    assert not np.allclose(y1[4].detach().numpy(), y2[4].detach().numpy())


def test_structure_state_dict_and_clones():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = L.nn.Transformer(d_model=8, nhead=2, num_encoder_layers=2, num_decoder_layers=1, dim_feedforward=16)
    keys = list(model.state_dict())
    assert keys[0] == "encoder.layers.0.self_attn.in_proj_weight"
    assert "decoder.layers.0.multihead_attn.out_proj.bias" in keys and "decoder.norm.weight" in keys
    assert len(model.encoder.layers) == 2
    a, b = model.encoder.layers
    assert a.linear1.weight is not b.linear1.weight  # deep copies, not shared
    assert model.encoder.layers[0].activation is L.nn.functional.relu
    src, tgt = L.randn(6, 3, 8), L.randn(4, 3, 8)
    assert model(src, tgt).shape == (4, 3, 8)
    with pytest.raises(RuntimeError, match="the feature number of src and tgt must be equal to d_model"):
        model(L.randn(6, 3, 4), tgt)


def test_unbatched_and_batch_first():
    L.manual_seed(0)
    layer = L.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, batch_first=True)
    x = L.randn(2, 5, 8)
    out = layer(x)
    assert out.shape == (2, 5, 8)
    np.testing.assert_allclose(layer(x[1]).detach().numpy(), out[1].detach().numpy(), rtol=1e-5, atol=1e-6)
