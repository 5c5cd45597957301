"""Transformer layers against PyTorch: initialisation under manual_seed, state_dict names,
outputs and every gradient with masks, norm_first, activations, batch_first, training dropout."""

import itertools
import warnings

import lanterna as L
import numpy as np
import pytest

pytestmark = pytest.mark.oracle
torch = pytest.importorskip("torch")

D, NH, FF = 8, 2, 16


def npy(t):
    return t.detach().numpy()


def close(a, b, tol=3e-5):
    assert tuple(a.shape) == tuple(b.shape)
    np.testing.assert_allclose(npy(a), npy(b), rtol=tol, atol=tol)


def rand(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def both(a, requires_grad=False):
    a = np.array(a)
    return torch.tensor(a, requires_grad=requires_grad), L.tensor(a, requires_grad=requires_grad)


def pair(name, *args, **kwargs):
    """Built under the same seed in both libraries; the weights must come out identical."""
    torch.manual_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tm = getattr(torch.nn, name)(*args, **kwargs)
    L.manual_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        lm = getattr(L.nn, name)(*args, **kwargs)
    tsd, lsd = tm.state_dict(), lm.state_dict()
    assert list(tsd) == list(lsd)
    for k in tsd:
        assert np.array_equal(tsd[k].numpy(), lsd[k].numpy()), k
    return tm, lm


def backward_and_compare(tm, lm, tout, lout, leaves, tol=3e-5):
    w = rand(*tout.shape, seed=9)
    (tout * torch.tensor(w)).sum().backward()
    (lout * L.tensor(w)).sum().backward()
    for (n, a), (m, b) in zip(tm.named_parameters(), lm.named_parameters()):
        assert n == m
        close(a.grad, b.grad, tol)
    for a, b in leaves:
        close(a.grad, b.grad, tol)


ENC_GRID = list(itertools.product([False, True], [False, True], ["relu", "gelu"], ["none", "causal", "padding"]))


@pytest.mark.parametrize("norm_first,batch_first,activation,mask", ENC_GRID)
def test_encoder_layer_matches_torch(norm_first, batch_first, activation, mask):
    tm, lm = pair("TransformerEncoderLayer", D, NH, FF, 0.0, activation, batch_first=batch_first,
                  norm_first=norm_first)
    S, N = 5, 2
    tx, lx = both(rand(*((N, S, D) if batch_first else (S, N, D)), seed=1), True)
    kw_t, kw_l = {}, {}
    if mask == "causal":
        kw_t["src_mask"] = torch.nn.Transformer.generate_square_subsequent_mask(S)
        kw_l["src_mask"] = L.nn.Transformer.generate_square_subsequent_mask(S)
        kw_t["is_causal"] = kw_l["is_causal"] = True
    elif mask == "padding":
        kw_t["src_key_padding_mask"], kw_l["src_key_padding_mask"] = both(
            np.array([[0, 0, 0, 1, 1], [0, 0, 0, 0, 0]], bool))
    to, lo = tm(tx, **kw_t), lm(lx, **kw_l)
    close(to, lo)
    backward_and_compare(tm, lm, to, lo, [(tx, lx)])


def test_encoder_layer_callable_activation_and_unbatched():
    tm, lm = pair("TransformerEncoderLayer", D, NH, FF, 0.0)
    tm.activation, lm.activation = torch.tanh, L.tanh
    tx, lx = both(rand(4, D, seed=1))
    close(tm(tx), lm(lx))
    assert lm.activation_relu_or_gelu == tm.activation_relu_or_gelu == 1


DEC_GRID = list(itertools.product([False, True], [False, True]))


@pytest.mark.parametrize("norm_first,batch_first", DEC_GRID)
def test_decoder_layer_matches_torch(norm_first, batch_first):
    tm, lm = pair("TransformerDecoderLayer", D, NH, FF, 0.0, "gelu", batch_first=batch_first,
                  norm_first=norm_first)
    T_, S, N = 4, 5, 2
    tt_, lt_ = both(rand(*((N, T_, D) if batch_first else (T_, N, D)), seed=1), True)
    tmem, lmem = both(rand(*((N, S, D) if batch_first else (S, N, D)), seed=2), True)
    tpad, lpad = both(np.array([[0, 0, 0, 1, 1], [0, 0, 0, 0, 0]], bool))
    tmask = torch.nn.Transformer.generate_square_subsequent_mask(T_)
    lmask = L.nn.Transformer.generate_square_subsequent_mask(T_)
    to = tm(tt_, tmem, tgt_mask=tmask, memory_key_padding_mask=tpad, tgt_is_causal=True)
    lo = lm(lt_, lmem, tgt_mask=lmask, memory_key_padding_mask=lpad, tgt_is_causal=True)
    close(to, lo)
    backward_and_compare(tm, lm, to, lo, [(tt_, lt_), (tmem, lmem)])


@pytest.mark.parametrize("batch_first", [False, True])
def test_full_transformer_matches_torch(batch_first):
    tm, lm = pair("Transformer", D, NH, 2, 2, FF, 0.0, batch_first=batch_first)
    S, T_, N = 5, 4, 2
    ts, ls = both(rand(*((N, S, D) if batch_first else (S, N, D)), seed=1), True)
    tt_, lt_ = both(rand(*((N, T_, D) if batch_first else (T_, N, D)), seed=2), True)
    tpad, lpad = both(np.array([[0, 0, 0, 0, 1], [0, 0, 0, 0, 0]], bool))
    tmask = tm.generate_square_subsequent_mask(T_)
    lmask = lm.generate_square_subsequent_mask(T_)
    close(tmask, lmask)
    to = tm(ts, tt_, tgt_mask=tmask, src_key_padding_mask=tpad, memory_key_padding_mask=tpad)
    lo = lm(ls, lt_, tgt_mask=lmask, src_key_padding_mask=lpad, memory_key_padding_mask=lpad)
    close(to, lo)
    backward_and_compare(tm, lm, to, lo, [(ts, ls), (tt_, lt_)], tol=1e-4)


def test_training_dropout_draws_the_same_masks():
    tm, lm = pair("TransformerEncoderLayer", D, NH, FF, 0.25)
    tx, lx = both(rand(5, 2, D, seed=1))
    torch.manual_seed(7)
    L.manual_seed(7)
    close(tm(tx), lm(lx))


@pytest.mark.parametrize("grad", [False, True])
def test_encoder_inference_fast_path_zeroes_padding(grad):
    """PyTorch's encoder in eval mode without grad drops padded positions (nested tensors) and
    pads them back with zeros; with grad it computes them. Lanterna gives the same numbers."""
    layer_t, layer_l = pair("TransformerEncoderLayer", D, NH, FF, 0.1, batch_first=True)
    torch.manual_seed(0)
    tm = torch.nn.TransformerEncoder(layer_t, 2, norm=torch.nn.LayerNorm(D))
    lm = L.nn.TransformerEncoder(layer_l, 2, norm=L.nn.LayerNorm(D))
    lm.load_state_dict({k: L.tensor(v.numpy()) for k, v in tm.state_dict().items()})
    tm.eval()
    lm.eval()
    tx, lx = both(rand(2, 5, D, seed=1))
    tpad, lpad = both(np.array([[0, 0, 0, 1, 1], [0, 0, 0, 0, 0]], bool))
    if grad:
        close(tm(tx, src_key_padding_mask=tpad), lm(lx, src_key_padding_mask=lpad))
    else:
        with torch.no_grad():
            to = tm(tx, src_key_padding_mask=tpad)
        with L.no_grad():
            lo = lm(lx, src_key_padding_mask=lpad)
        close(to, lo)


def test_nested_tensor_warning_matches_torch():
    with warnings.catch_warnings(record=True) as tw:
        warnings.simplefilter("always")
        torch.nn.TransformerEncoder(torch.nn.TransformerEncoderLayer(D, NH), 2)
    with warnings.catch_warnings(record=True) as lw:
        warnings.simplefilter("always")
        L.nn.TransformerEncoder(L.nn.TransformerEncoderLayer(D, NH), 2)
    assert [str(w.message) for w in lw] == [str(w.message) for w in tw]
    assert len(lw) == 1


def test_state_dicts_interchange_with_torch():
    torch.manual_seed(0)
    tm = torch.nn.Transformer(D, NH, 1, 1, FF, 0.0)
    lm = L.nn.Transformer(D, NH, 1, 1, FF, 0.0)
    lm.load_state_dict({k: L.tensor(v.numpy()) for k, v in tm.state_dict().items()})
    tm2 = torch.nn.Transformer(D, NH, 1, 1, FF, 0.0)
    tm2.load_state_dict({k: torch.tensor(npy(v)) for k, v in lm.state_dict().items()})
    ts, ls = both(rand(5, 2, D, seed=1))
    tt_, lt_ = both(rand(3, 2, D, seed=2))
    close(tm2(ts, tt_), lm(ls, lt_))
    assert repr(lm) == repr(tm)


def test_transformer_errors_match_torch():
    def call(lib):
        m = lib.nn.Transformer(D, NH, 1, 1, FF)
        return m(lib.zeros(5, 2, D), lib.zeros(3, 3, D))

    with pytest.raises(Exception) as te:
        call(torch)
    with pytest.raises(type(te.value)) as le:
        call(L)
    assert str(le.value) == str(te.value)
    with pytest.raises(RuntimeError, match="activation should be relu/gelu, not tanh"):
        L.nn.TransformerEncoderLayer(D, NH, activation="tanh")
