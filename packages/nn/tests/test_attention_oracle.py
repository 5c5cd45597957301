"""Attention against PyTorch: scaled_dot_product_attention and MultiheadAttention with every kind
of mask, outputs, attention weights and every gradient; initialisation under manual_seed."""

import itertools

import lanterna as L
import numpy as np
import pytest

pytestmark = pytest.mark.oracle
torch = pytest.importorskip("torch")
TF = torch.nn.functional
LF = L.nn.functional


def npy(t):
    return t.detach().numpy()


def close(a, b, tol=2e-5):
    assert tuple(a.shape) == tuple(b.shape)
    np.testing.assert_allclose(npy(a), npy(b), rtol=tol, atol=tol)


def both(a, requires_grad=False):
    a = np.array(a)
    return torch.tensor(a, requires_grad=requires_grad), L.tensor(a, requires_grad=requires_grad)


def rand(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def backward_both(tout, lout, seed=9):
    w = rand(*tout.shape, seed=seed)
    (tout * torch.tensor(w)).sum().backward()
    (lout * L.tensor(w)).sum().backward()


MASKS = {
    "none": None,
    "bool2d": np.array([[1, 1, 0, 1, 0], [1, 0, 0, 0, 0], [1, 1, 1, 1, 1]], bool),
    "bool_broadcast": np.random.default_rng(3).random((2, 1, 3, 5)) > 0.3,
    "float": rand(3, 5, seed=4),
    "bool_fully_masked_row": np.array([[1, 1, 0, 1, 0], [0, 0, 0, 0, 0], [1, 1, 1, 1, 1]], bool),
    "float_fully_masked_row": np.where(np.array([[1, 1, 0, 1, 0], [0, 0, 0, 0, 0], [1, 1, 1, 1, 1]], bool), 0.0,
                                       -np.inf).astype(np.float32),
}


@pytest.mark.parametrize("mask", list(MASKS))
@pytest.mark.parametrize("scale", [None, 0.3])
def test_sdpa_masks_match_torch(mask, scale):
    (tq, lq), (tk, lk), (tv, lv) = (both(rand(2, 2, n, 4, seed=i), True) for i, n in enumerate((3, 5, 5)))
    m = MASKS[mask]
    tm_, lm_ = both(m) if m is not None else (None, None)
    to = TF.scaled_dot_product_attention(tq, tk, tv, attn_mask=tm_, scale=scale)
    lo = LF.scaled_dot_product_attention(lq, lk, lv, attn_mask=lm_, scale=scale)
    close(to, lo)
    backward_both(to, lo)
    for a, b in ((tq, lq), (tk, lk), (tv, lv)):
        close(a.grad, b.grad)


@pytest.mark.parametrize("L_,S", [(4, 4), (3, 5), (5, 3)])
def test_sdpa_causal_and_gqa_match_torch(L_, S):
    (tq, lq), (tk, lk), (tv, lv) = (both(rand(2, 4, n, 3, seed=i), True) for i, n in enumerate((L_, S, S)))
    close(TF.scaled_dot_product_attention(tq, tk, tv, is_causal=True),
          LF.scaled_dot_product_attention(lq, lk, lv, is_causal=True))
    (tk2, lk2), (tv2, lv2) = both(rand(2, 2, S, 3, seed=7)), both(rand(2, 2, S, 3, seed=8))
    to = TF.scaled_dot_product_attention(tq, tk2, tv2, enable_gqa=True)
    lo = LF.scaled_dot_product_attention(lq, lk2, lv2, enable_gqa=True)
    close(to, lo)
    # unbatched 2-D inputs
    close(TF.scaled_dot_product_attention(tq[0, 0], tk[0, 0], tv[0, 0]),
          LF.scaled_dot_product_attention(lq[0, 0], lk[0, 0], lv[0, 0]))


def test_sdpa_dropout_uses_the_same_random_stream():
    (tq, lq), (tk, lk), (tv, lv) = (both(rand(2, 3, 4, seed=i)) for i in range(3))
    torch.manual_seed(5)
    L.manual_seed(5)
    close(TF.scaled_dot_product_attention(tq, tk, tv, dropout_p=0.4),
          LF.scaled_dot_product_attention(lq, lk, lv, dropout_p=0.4))


@pytest.mark.parametrize("kind", ["causal_and_mask", "int_mask"])
def test_sdpa_errors_match_torch(kind):
    def call(lib, F):
        q = lib.zeros(2, 3, 4)
        if kind == "causal_and_mask":
            return F.scaled_dot_product_attention(q, q, q, attn_mask=lib.ones(3, 3, dtype=lib.bool), is_causal=True)
        return F.scaled_dot_product_attention(q, q, q, attn_mask=lib.ones(3, 3, dtype=lib.int64))

    with pytest.raises(Exception) as te:
        call(torch, TF)
    with pytest.raises(type(te.value)) as le:
        call(L, LF)
    assert str(le.value) == str(te.value)


def mha_pair(*args, **kwargs):
    torch.manual_seed(0)
    tm = torch.nn.MultiheadAttention(*args, **kwargs)
    L.manual_seed(0)
    lm = L.nn.MultiheadAttention(*args, **kwargs)
    tsd, lsd = tm.state_dict(), lm.state_dict()
    assert list(tsd) == list(lsd)
    for k in tsd:  # initialisation is bit-exact under the same seed
        assert np.array_equal(tsd[k].numpy(), lsd[k].numpy()), k
    return tm, lm


E, NH, T_, S_, N_ = 8, 2, 3, 5, 2
KPM = {
    None: None,
    "bool": np.array([[0, 0, 0, 1, 1], [0, 0, 0, 0, 0]], bool),
    "float": np.where(np.array([[0, 0, 0, 1, 1], [0, 0, 0, 0, 0]], bool), -np.inf, 0.0).astype(np.float32),
}
AMASK = {
    None: None,
    "bool2d": np.triu(np.ones((T_, S_), bool), 3),
    "float3d": rand(N_ * NH, T_, S_, seed=11),
}
MHA_GRID = list(itertools.product([False, True], [True, False], list(KPM), list(AMASK)))


@pytest.mark.parametrize("batch_first,need_weights,kpm,amask", MHA_GRID)
def test_mha_matches_torch(batch_first, need_weights, kpm, amask):
    if kpm == "float" and amask == "bool2d":
        pytest.skip("mixing mask types is deprecated in PyTorch (a warning)")
    tm, lm = mha_pair(E, NH, batch_first=batch_first)
    shape = (N_, T_, E) if batch_first else (T_, N_, E)
    kshape = (N_, S_, E) if batch_first else (S_, N_, E)
    (tq, lq), (tk, lk) = both(rand(*shape, seed=1), True), both(rand(*kshape, seed=2), True)
    tkp, lkp = both(KPM[kpm]) if kpm else (None, None)
    tam, lam = both(AMASK[amask]) if amask else (None, None)
    to, tw = tm(tq, tk, tk, key_padding_mask=tkp, attn_mask=tam, need_weights=need_weights)
    lo, lw = lm(lq, lk, lk, key_padding_mask=lkp, attn_mask=lam, need_weights=need_weights)
    close(to, lo)
    assert (tw is None) == (lw is None)
    if tw is not None:
        close(tw, lw)
    backward_both(to, lo)
    for (n, a), (m, b) in zip(tm.named_parameters(), lm.named_parameters()):
        close(a.grad, b.grad)
    close(tq.grad, lq.grad)
    close(tk.grad, lk.grad)


@pytest.mark.parametrize("kwargs", [
    {"kdim": 3, "vdim": 6},
    {"bias": False},
    {"add_bias_kv": True},
    {"add_zero_attn": True},
    {"add_bias_kv": True, "add_zero_attn": True, "kdim": 5},
])
def test_mha_options_match_torch(kwargs):
    tm, lm = mha_pair(E, NH, **kwargs)
    (tq, lq) = both(rand(T_, N_, E, seed=1), True)
    (tk, lk) = both(rand(S_, N_, kwargs.get("kdim", E), seed=2), True)
    (tv, lv) = both(rand(S_, N_, kwargs.get("vdim", E), seed=3), True)
    tkp, lkp = both(KPM["bool"])
    to, tw = tm(tq, tk, tv, key_padding_mask=tkp, average_attn_weights=False)
    lo, lw = lm(lq, lk, lv, key_padding_mask=lkp, average_attn_weights=False)
    close(to, lo)
    close(tw, lw)
    backward_both(to, lo)
    for (n, a), (m, b) in zip(tm.named_parameters(), lm.named_parameters()):
        assert n == m
        close(a.grad, b.grad)
    for a, b in ((tq, lq), (tk, lk), (tv, lv)):
        close(a.grad, b.grad)


def test_mha_self_attention_unbatched_and_eval():
    tm, lm = mha_pair(E, NH, dropout=0.3, batch_first=True)
    tm.eval()
    lm.eval()
    tx, lx = both(rand(T_, E, seed=1))
    for need in (True, False):
        to, tw = tm(tx, tx, tx, need_weights=need, attn_mask=both(AMASK["bool2d"][:, :T_])[0])
        lo, lw = lm(lx, lx, lx, need_weights=need, attn_mask=both(AMASK["bool2d"][:, :T_])[1])
        close(to, lo)
        if need:
            close(tw, lw)
    # batched self-attention without grad: PyTorch's fast path, same numbers
    tx, lx = both(rand(N_, T_, E, seed=2))
    with torch.no_grad():
        to = tm(tx, tx, tx)[0]
    with L.no_grad():
        lo = lm(lx, lx, lx)[0]
    close(to, lo)


def test_mha_is_causal_matches_torch():
    tm, lm = mha_pair(E, NH)
    tx, lx = both(rand(T_, N_, E, seed=1))
    tmask = torch.nn.Transformer.generate_square_subsequent_mask(T_)
    lmask = L.nn.Transformer.generate_square_subsequent_mask(T_)
    to = tm(tx, tx, tx, attn_mask=tmask, is_causal=True, need_weights=False)[0]
    lo = lm(lx, lx, lx, attn_mask=lmask, is_causal=True, need_weights=False)[0]
    close(to, lo)


def _mha_errors(lib):
    z = lib.zeros
    m = lib.nn.MultiheadAttention
    return [
        lambda: m(0, 2),
        lambda: m(6, 4),
        lambda: m(8, 2)(z(3, 2, 8), z(3, 8), z(3, 8)),
        lambda: m(8, 2)(z(3, 2, 8), z(3, 2, 8), z(3, 2, 8), attn_mask=z(2, 2)),
        lambda: m(8, 2)(z(3, 2, 8), z(3, 2, 8), z(3, 2, 8), key_padding_mask=z(2, 4, dtype=lib.bool)),
        lambda: m(8, 2)(z(3, 2, 8), z(3, 2, 8), z(3, 2, 8), key_padding_mask=z(2, 3, dtype=lib.int64)),
        lambda: m(8, 2)(z(3, 2, 6), z(3, 2, 8), z(3, 2, 8)),
        lambda: m(8, 2)(z(3, 2, 8), z(3, 2, 8), z(3, 2, 8), attn_mask=z(5, 3, 3)),
        lambda: m(8, 2)(z(2, 8), z(2, 8), z(2, 8), is_causal=True),
    ]


@pytest.mark.parametrize("i", range(len(_mha_errors(L))))
def test_mha_errors_match_torch(i):
    with pytest.raises(Exception) as te:
        _mha_errors(torch)[i]()
    with pytest.raises(type(te.value)) as le:
        _mha_errors(L)[i]()
    assert str(le.value) == str(te.value)


def test_functional_mha_forward_matches_torch():
    tm, lm = mha_pair(E, NH)
    (tq, lq) = both(rand(T_, N_, E, seed=1))
    args_t = (E, NH, tm.in_proj_weight, tm.in_proj_bias, None, None, False, 0.0, tm.out_proj.weight,
              tm.out_proj.bias)
    args_l = (E, NH, lm.in_proj_weight, lm.in_proj_bias, None, None, False, 0.0, lm.out_proj.weight,
              lm.out_proj.bias)
    to, tw = TF.multi_head_attention_forward(tq, tq, tq, *args_t, training=False)
    lo, lw = LF.multi_head_attention_forward(lq, lq, lq, *args_l, training=False)
    close(to, lo)
    close(tw, lw)
