"""Recurrent layers against PyTorch: outputs, final states, every gradient, initialisation,
packed sequences, cells, reprs and error messages."""

import itertools

import lanterna as L
import numpy as np
import pytest
from lanterna.nn.utils import rnn as lrnn

pytestmark = pytest.mark.oracle
torch = pytest.importorskip("torch")
trnn = torch.nn.utils.rnn

T, B, I, H = 4, 3, 5, 6


def lt(a, requires_grad=False):
    """numpy -> lanterna tensor; torch tensor -> lanterna tensor (a copy)."""
    if isinstance(a, torch.Tensor):
        a = a.detach().numpy()
    return L.tensor(np.array(a), requires_grad=requires_grad)


def tt(a, requires_grad=False):
    return torch.tensor(np.array(a), requires_grad=requires_grad)


def npy(t):
    return t.detach().numpy()


def pair(name, *args, **kwargs):
    """The same module in both libraries, lanterna's weights copied from torch's."""
    tm = getattr(torch.nn, name)(*args, **kwargs)
    lm = getattr(L.nn, name)(*args, **kwargs)
    lm.load_state_dict({k: lt(v) for k, v in tm.state_dict().items()})
    return tm, lm


def close(a, b, tol=2e-5):
    assert tuple(a.shape) == tuple(b.shape)
    np.testing.assert_allclose(npy(a), npy(b), rtol=tol, atol=tol)


def check_grads(tm, lm, pairs, tol=2e-5):
    for (tn, tp), (ln, lp) in zip(tm.named_parameters(), lm.named_parameters()):
        assert tn == ln
        close(tp.grad, lp.grad, tol)
    for ta, la in pairs:
        close(ta.grad, la.grad, tol)


def weighted_loss(outs, seed):
    """sum(out * w) over all outputs with fixed random weights (so every gradient is non-trivial)."""
    rng = np.random.default_rng(seed)
    ws = [rng.standard_normal(tuple(o.shape)).astype(np.float32) for o in outs]
    return ws


GRID = list(itertools.product(["LSTM", "GRU", "RNN", "RNN_relu"], [1, 2], [False, True], [False, True],
                              [False, True]))


@pytest.mark.parametrize("kind,layers,bidir,batch_first,with_state", GRID,
                         ids=[f"{k}-l{n}-{'bi' if b else 'uni'}-{'bf' if f else 'sf'}-{'h0' if s else 'noh0'}"
                              for k, n, b, f, s in GRID])
def test_grid_matches_torch(kind, layers, bidir, batch_first, with_state):
    name = "RNN" if kind.startswith("RNN") else kind
    kwargs = {"num_layers": layers, "bidirectional": bidir, "batch_first": batch_first}
    if kind == "RNN_relu":
        kwargs["nonlinearity"] = "relu"
    torch.manual_seed(0)
    tm, lm = pair(name, I, H, **kwargs)
    rng = np.random.default_rng(1)
    x = rng.standard_normal((B, T, I) if batch_first else (T, B, I)).astype(np.float32)
    D = 2 if bidir else 1
    tx, lx = tt(x, True), lt(x, True)
    targs, largs, leaves = [tx], [lx], [(tx, lx)]
    if with_state:
        h0 = rng.standard_normal((layers * D, B, H)).astype(np.float32)
        th, lh = tt(h0, True), lt(h0, True)
        leaves.append((th, lh))
        if name == "LSTM":
            c0 = rng.standard_normal((layers * D, B, H)).astype(np.float32)
            tc, lc = tt(c0, True), lt(c0, True)
            leaves.append((tc, lc))
            targs.append((th, tc))
            largs.append((lh, lc))
        else:
            targs.append(th)
            largs.append(lh)
    tout, thid = tm(*targs)
    lout, lhid = lm(*largs)
    touts = [tout] + (list(thid) if name == "LSTM" else [thid])
    louts = [lout] + (list(lhid) if name == "LSTM" else [lhid])
    for a, b in zip(touts, louts):
        assert tuple(a.shape) == tuple(b.shape)
        close(a, b)
    ws = weighted_loss(touts, 2)
    sum((o * torch.tensor(w)).sum() for o, w in zip(touts, ws)).backward()
    sum((o * L.tensor(w)).sum() for o, w in zip(louts, ws)).backward()
    check_grads(tm, lm, leaves)


def test_lstm_proj_size_matches_torch():
    torch.manual_seed(0)
    tm, lm = pair("LSTM", I, H, num_layers=2, bidirectional=True, proj_size=3)
    assert [n for n, _ in lm.named_parameters()] == [n for n, _ in tm.named_parameters()]
    assert [tuple(p.shape) for p in lm.parameters()] == [tuple(p.shape) for p in tm.parameters()]
    x = np.random.default_rng(0).standard_normal((T, B, I)).astype(np.float32)
    h0 = np.random.default_rng(1).standard_normal((4, B, 3)).astype(np.float32)
    c0 = np.random.default_rng(2).standard_normal((4, B, H)).astype(np.float32)
    tx, lx, th, lh = tt(x, True), lt(x, True), tt(h0, True), lt(h0, True)
    to, (thn, tcn) = tm(tx, (th, tt(c0)))
    lo, (lhn, lcn) = lm(lx, (lh, lt(c0)))
    for a, b in ((to, lo), (thn, lhn), (tcn, lcn)):
        close(a, b)
    ws = weighted_loss([to, thn, tcn], 3)
    sum((o * torch.tensor(w)).sum() for o, w in zip([to, thn, tcn], ws)).backward()
    sum((o * L.tensor(w)).sum() for o, w in zip([lo, lhn, lcn], ws)).backward()
    check_grads(tm, lm, [(tx, lx), (th, lh)])


@pytest.mark.parametrize("name", ["LSTM", "GRU", "RNN"])
def test_unbatched_input(name):
    torch.manual_seed(0)
    tm, lm = pair(name, I, H, num_layers=2)
    x = np.random.default_rng(0).standard_normal((T, I)).astype(np.float32)
    h = np.random.default_rng(1).standard_normal((2, H)).astype(np.float32)
    hx_t = (tt(h), tt(h)) if name == "LSTM" else tt(h)
    hx_l = (lt(h), lt(h)) if name == "LSTM" else lt(h)
    to, th = tm(tt(x), hx_t)
    lo, lh = lm(lt(x), hx_l)
    close(to, lo)
    for a, b in zip(th if name == "LSTM" else [th], lh if name == "LSTM" else [lh]):
        assert tuple(a.shape) == tuple(b.shape) == (2, H)
        close(a, b)


@pytest.mark.parametrize("name", ["LSTM", "GRU", "RNN"])
@pytest.mark.parametrize("enforce_sorted", [True, False])
@pytest.mark.parametrize("bidir", [False, True])
def test_packed_sequence_matches_torch(name, enforce_sorted, bidir):
    lengths = [5, 3, 3, 1] if enforce_sorted else [3, 5, 1, 3]
    torch.manual_seed(0)
    tm, lm = pair(name, I, H, num_layers=2, bidirectional=bidir)
    x = np.random.default_rng(0).standard_normal((5, 4, I)).astype(np.float32)
    tx, lx = tt(x, True), lt(x, True)
    tp = trnn.pack_padded_sequence(tx, lengths, enforce_sorted=enforce_sorted)
    lp = lrnn.pack_padded_sequence(lx, lengths, enforce_sorted=enforce_sorted)
    close(tp.data, lp.data)
    assert lp.batch_sizes.tolist() == tp.batch_sizes.tolist()
    for a, b in ((tp.sorted_indices, lp.sorted_indices), (tp.unsorted_indices, lp.unsorted_indices)):
        assert (a is None) == (b is None) and (a is None or a.tolist() == b.tolist())
    D = 2 if bidir else 1
    h0 = np.random.default_rng(1).standard_normal((2 * D, 4, H)).astype(np.float32)
    th, lh = tt(h0, True), lt(h0, True)
    thx = (th, tt(h0 * 0.5)) if name == "LSTM" else th
    lhx = (lh, lt(h0 * 0.5)) if name == "LSTM" else lh
    to, thid = tm(tp, thx)
    lo, lhid = lm(lp, lhx)
    assert isinstance(lo, lrnn.PackedSequence)
    close(to.data, lo.data)
    assert lo.batch_sizes.tolist() == to.batch_sizes.tolist()
    if not enforce_sorted:
        assert lo.sorted_indices.tolist() == to.sorted_indices.tolist()
        assert lo.unsorted_indices.tolist() == to.unsorted_indices.tolist()
    thl = list(thid) if name == "LSTM" else [thid]
    lhl = list(lhid) if name == "LSTM" else [lhid]
    for a, b in zip(thl, lhl):
        close(a, b)
    tpad, tlen = trnn.pad_packed_sequence(to, batch_first=True, padding_value=-1.0)
    lpad, llen = lrnn.pad_packed_sequence(lo, batch_first=True, padding_value=-1.0)
    close(tpad, lpad)
    assert llen.tolist() == tlen.tolist() and llen.dtype == L.int64
    ws = weighted_loss([tpad] + thl, 4)
    sum((o * torch.tensor(w)).sum() for o, w in zip([tpad] + thl, ws)).backward()
    sum((o * L.tensor(w)).sum() for o, w in zip([lpad] + lhl, ws)).backward()
    check_grads(tm, lm, [(tx, lx), (th, lh)])


def test_pad_and_pack_utilities_match_torch():
    rng = np.random.default_rng(0)
    seqs = [rng.standard_normal((n, 2)).astype(np.float32) for n in (2, 4, 1)]
    tseqs = [tt(s, True) for s in seqs]
    lseqs = [lt(s, True) for s in seqs]
    for bf, side, pv in itertools.product([False, True], ["right", "left"], [0.0, 7.0]):
        close(trnn.pad_sequence(tseqs, batch_first=bf, padding_value=pv, padding_side=side),
              lrnn.pad_sequence(lseqs, batch_first=bf, padding_value=pv, padding_side=side))
    tp = trnn.pack_sequence(tseqs, enforce_sorted=False)
    lp = lrnn.pack_sequence(lseqs, enforce_sorted=False)
    close(tp.data, lp.data)
    assert repr(lp).startswith("PackedSequence(data=tensor(")
    tpad, tlen = trnn.pad_packed_sequence(tp, total_length=6)
    lpad, llen = lrnn.pad_packed_sequence(lp, total_length=6)
    close(tpad, lpad)
    assert tlen.tolist() == llen.tolist()
    for a, b in zip(trnn.unpack_sequence(tp), lrnn.unpack_sequence(lp)):
        close(a, b)
    for a, b in zip(trnn.unpad_sequence(tpad, tlen), lrnn.unpad_sequence(lpad, llen)):
        close(a, b)
    assert tuple(lpad.shape) == tuple(tpad.shape) == (3, 6, 2)  # PyTorch transposes in place
    w = rng.standard_normal(tuple(tpad.shape)).astype(np.float32)
    (tpad * torch.tensor(w)).sum().backward()
    (lpad * L.tensor(w)).sum().backward()
    for a, b in zip(tseqs, lseqs):
        close(a.grad, b.grad)
    perm = [2, 0, 3, 1]
    assert lrnn.invert_permutation(L.tensor(perm)).tolist() == trnn.invert_permutation(torch.tensor(perm)).tolist()


@pytest.mark.parametrize("call", [
    lambda m, x: m.pack_padded_sequence(x(4, 3, 2), [1, 3, 2]),
    lambda m, x: m.pack_padded_sequence(x(4, 3, 2), [3, 0, 2], enforce_sorted=False),
    lambda m, x: m.pack_padded_sequence(x(4, 3, 2), [3, 2]),
    lambda m, x: m.pad_sequence([]),
    lambda m, x: m.pad_packed_sequence(m.pack_sequence([x(3), x(2)]), total_length=2),
])
def test_utility_errors_match_torch(call):
    with pytest.raises(Exception) as te:
        call(trnn, torch.zeros)
    with pytest.raises(type(te.value)) as le:
        call(lrnn, L.zeros)
    assert str(le.value) == str(te.value)


@pytest.mark.parametrize("name,args,kwargs", [
    ("LSTM", (10, 20, 2), {}),
    ("LSTM", (4, 6), {"proj_size": 3, "bidirectional": True, "bias": False}),
    ("GRU", (3, 5), {"num_layers": 3, "batch_first": True}),
    ("RNN", (3, 5, 2, "relu"), {}),
    ("LSTMCell", (4, 7), {}),
    ("GRUCell", (4, 7), {"bias": False}),
    ("RNNCell", (4, 7), {"nonlinearity": "relu"}),
])
def test_init_is_bit_exact_under_manual_seed(name, args, kwargs):
    torch.manual_seed(0)
    tm = getattr(torch.nn, name)(*args, **kwargs)
    L.manual_seed(0)
    lm = getattr(L.nn, name)(*args, **kwargs)
    tsd, lsd = tm.state_dict(), lm.state_dict()
    assert list(tsd) == list(lsd)
    for k in tsd:
        assert np.array_equal(tsd[k].numpy(), lsd[k].numpy()), k
    assert repr(lm) == repr(tm)


@pytest.mark.parametrize("name,kwargs", [("LSTMCell", {}), ("GRUCell", {}), ("RNNCell", {}),
                                         ("RNNCell", {"nonlinearity": "relu"}), ("GRUCell", {"bias": False})])
@pytest.mark.parametrize("batched", [True, False])
def test_cells_match_torch(name, kwargs, batched):
    torch.manual_seed(0)
    tm, lm = pair(name, I, H, **kwargs)
    rng = np.random.default_rng(0)
    shape = (B,) if batched else ()
    xs = [rng.standard_normal(shape + (I,)).astype(np.float32) for _ in range(3)]
    h = rng.standard_normal(shape + (H,)).astype(np.float32)
    th, lh = tt(h, True), lt(h, True)
    tstate = (th, th * 0.5) if name == "LSTMCell" else th
    lstate = (lh, lh * 0.5) if name == "LSTMCell" else lh
    tx = [tt(x, True) for x in xs]
    lx = [lt(x, True) for x in xs]
    for a, b in zip(tx, lx):  # a short unrolled loop, as users write with cells
        tstate = tm(a, tstate)
        lstate = lm(b, lstate)
    touts = list(tstate) if name == "LSTMCell" else [tstate]
    louts = list(lstate) if name == "LSTMCell" else [lstate]
    for a, b in zip(touts, louts):
        close(a, b)
    ws = weighted_loss(touts, 5)
    sum((o * torch.tensor(w)).sum() for o, w in zip(touts, ws)).backward()
    sum((o * L.tensor(w)).sum() for o, w in zip(louts, ws)).backward()
    check_grads(tm, lm, [(th, lh)] + list(zip(tx, lx)))
    if name != "LSTMCell":  # default zero state
        close(tm(tx[0]), lm(lx[0]))


def _errors(m):
    f = m.zeros
    return [
        lambda: m.nn.LSTM(10, 20, 2)(f(3, 4, 5)),
        lambda: m.nn.LSTM(10, 20, 2)(f(3, 4, 10), (f(2, 3, 20), f(2, 4, 20))),
        lambda: m.nn.LSTM(10, 20, 2)(f(3, 4, 10), (f(2, 4, 20), f(2, 4, 5))),
        lambda: m.nn.LSTM(10, 20, 2)(f(3, 4, 10, dtype=m.float64)),
        lambda: m.nn.LSTM(10, 20)(f(4)),
        lambda: m.nn.LSTM(10, 20)(f(3, 4, 10), (f(1, 4, 20), f(4, 20))),
        lambda: m.nn.GRU(10, 20)(f(3, 4, 10), f(4, 20)),
        lambda: m.nn.GRU(10, 20)(f(3, 10), f(1, 1, 20)),
        lambda: m.nn.RNN(10, 20)(f(4)),
        lambda: m.nn.GRU(10, 20)(f(2, 3, 10), f(1, 2, 20)),
        lambda: m.nn.RNN(10, 20, nonlinearity="sigmoid"),
        lambda: m.nn.GRU(10, 20, proj_size=2),
        lambda: m.nn.LSTM(10, 20, proj_size=20),
        lambda: m.nn.LSTM(10, 20, dropout=1.5),
        lambda: m.nn.LSTM(0, 20),
        lambda: m.nn.LSTMCell(10, 20)(f(3, 5)),
        lambda: m.nn.LSTMCell(10, 20)(f(3, 10), (f(2, 20), f(2, 20))),
        lambda: m.nn.GRUCell(10, 20)(f(3, 10), f(3, 5)),
        lambda: m.nn.LSTMCell(10, 20)(f(3, 10), (f(3, 20), f(3, 5))),
        lambda: m.nn.RNNCell(10, 20)(f(2, 3, 10)),
    ]


@pytest.mark.parametrize("i", range(len(_errors(L))))
def test_errors_match_torch(i):
    with pytest.raises(Exception) as te:
        _errors(torch)[i]()
    with pytest.raises(type(te.value)) as le:
        _errors(L)[i]()
    assert str(le.value) == str(te.value)


def test_dropout_between_layers_only_in_training():
    torch.manual_seed(0)
    tm, lm = pair("LSTM", I, H, num_layers=3, dropout=0.5)
    x = np.random.default_rng(0).standard_normal((T, B, I)).astype(np.float32)
    lm.eval()
    tm.eval()
    close(tm(tt(x))[0], lm(lt(x))[0])
    lm.train()
    out1, (h1, _) = lm(lt(x))
    out2, (h2, _) = lm(lt(x))
    assert not np.allclose(npy(out1), npy(out2))
    # the first layer's final state sees no dropout: it is the same with and without
    np.testing.assert_allclose(npy(h1[0]), npy(h2[0]), rtol=1e-6, atol=1e-6)
    close(h1[0], tm(tt(x))[1][0][0])
    # the dropout masks come from the same generator stream as PyTorch's
    tm.train()
    torch.manual_seed(1)
    L.manual_seed(1)
    close(tm(tt(x))[0], lm(lt(x))[0])


def test_state_dict_interchange_and_flatten_parameters():
    torch.manual_seed(0)
    tm = torch.nn.GRU(I, H, num_layers=2, bidirectional=True)
    lm = L.nn.GRU(I, H, num_layers=2, bidirectional=True)
    lm.load_state_dict({k: lt(v) for k, v in tm.state_dict().items()})
    back = {k: torch.tensor(npy(v)) for k, v in lm.state_dict().items()}
    tm2 = torch.nn.GRU(I, H, num_layers=2, bidirectional=True)
    tm2.load_state_dict(back)
    x = np.random.default_rng(0).standard_normal((T, B, I)).astype(np.float32)
    np.testing.assert_array_equal(tm(tt(x))[0].detach().numpy(), tm2(tt(x))[0].detach().numpy())
    lm.flatten_parameters()
    assert [[n for n in names] for names in lm._all_weights] == tm._all_weights
    assert len(lm.all_weights) == len(tm.all_weights) == 4
    assert lm.all_weights[1][0] is lm.weight_ih_l0_reverse


def _grad_fn_names(lib):
    def n(t):
        return type(t.grad_fn).__name__

    x = lib.randn(5, 2, 3)
    names = []
    for kind in ("LSTM", "GRU", "RNN"):
        for bidir in (False, True):
            out, hid = getattr(lib.nn, kind)(3, 4, num_layers=2, bidirectional=bidir)(x)
            names.append((n(out), n(hid[0] if kind == "LSTM" else hid)))
    names.append(n(lib.nn.LSTM(3, 4).double()(x.double())[0]))
    names.append(n(lib.nn.LSTM(3, 4, batch_first=True)(x)[0]))
    names.append(n(lib.nn.GRU(3, 4)(x[:, 0])[0]))
    h, c = lib.nn.LSTMCell(3, 4)(x[0])
    names += [n(h), n(c), n(lib.nn.GRUCell(3, 4)(x[0])), n(lib.nn.RNNCell(3, 4, nonlinearity="relu")(x[0]))]
    packed = lib.nn.utils.rnn.pack_sequence([lib.randn(3, 3), lib.randn(2, 3)])
    out, hid = lib.nn.GRU(3, 4)(packed)
    names.append((n(out.data), n(hid)))
    return names


def test_grad_fn_names_match_torch():
    """Printed outputs show ``grad_fn=<...>``: the names are PyTorch's CPU ones."""
    assert _grad_fn_names(L) == _grad_fn_names(torch)


def test_projection_warning_matches_torch():
    import warnings

    from lanterna.nn.modules import rnn as rnn_module

    rnn_module._PROJ_WARNED.clear()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        m = L.nn.LSTM(3, 4, proj_size=2)
        m(L.randn(2, 1, 3))
        m(L.randn(2, 1, 3))
    assert [str(w.message) for w in caught] == [
        "LSTM with projections is not supported with oneDNN. Using default implementation."]


def test_types_print_and_pickle_as_torch():
    def types(lib):
        mha = lib.nn.MultiheadAttention(4, 2)
        return [repr(type(m)) for m in (lib.nn.LSTM(2, 3), lib.nn.GRUCell(2, 3), mha, mha.out_proj,
                                         lib.nn.utils.rnn.pack_sequence([lib.ones(2, 1)]))]

    assert types(L) == types(torch)
    import pickle

    cell = pickle.loads(pickle.dumps(L.nn.LSTMCell(2, 3)))
    assert repr(type(cell)) == "<class 'torch.nn.modules.rnn.LSTMCell'>"
