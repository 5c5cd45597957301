"""Recurrent layers without PyTorch: finite-difference gradchecks (float64) of the fused
sequence nodes and of whole modules, double backward, graph size, packing utilities."""

import itertools

import lanterna as L
import numpy as np
import pytest
from lanterna.autograd import gradcheck, gradgradcheck
from lanterna.nn.utils.rnn import (
    PackedSequence,
    pack_padded_sequence,
    pack_sequence,
    pad_packed_sequence,
    pad_sequence,
    unpack_sequence,
    unpad_sequence,
)
from lanterna.ops.nn_rnn import rnn_reference, rnn_sequence

GATES = {"LSTM": 4, "GRU": 3, "RNN_TANH": 1, "RNN_RELU": 1}


def _inputs(mode, batch_sizes, hidden=3, proj=0, bias=True, seed=0):
    L.manual_seed(seed)
    G, B, N = GATES[mode], batch_sizes[0], sum(batch_sizes)
    P = proj or hidden

    def mk(*shape):
        return L.randn(*shape, dtype=L.float64, requires_grad=True)

    return [mk(N, G * hidden), mk(B, P), mk(B, hidden) if mode == "LSTM" else None, mk(G * hidden, P),
            mk(G * hidden) if bias else None, mk(P, hidden) if proj else None]


def _fn(mode, args, batch_sizes, reverse, fused=True):
    """The op as a function of the tensors that are present (for gradcheck)."""
    run = rnn_sequence if fused else rnn_reference

    def f(*ts):
        it = iter(ts)
        full = [next(it) if a is not None else None for a in args]
        return tuple(o for o in run(mode, *full, batch_sizes=batch_sizes, reverse=reverse) if o is not None)

    return f, [a for a in args if a is not None]


CASES = [(m, bs, rev, proj) for m in GATES for bs in ([2, 2, 2], [3, 2, 2, 1]) for rev in (False, True)
         for proj in ((0, 2) if m == "LSTM" else (0,))]


@pytest.mark.parametrize("mode,batch_sizes,reverse,proj", CASES)
def test_fused_node_gradcheck_and_matches_reference(mode, batch_sizes, reverse, proj):
    args = _inputs(mode, batch_sizes, hidden=3 if not proj else 4, proj=proj)
    f, present = _fn(mode, args, batch_sizes, reverse)
    ref, _ = _fn(mode, args, batch_sizes, reverse, fused=False)
    for a, b in zip(f(*present), ref(*present)):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-12, atol=1e-12)
    assert gradcheck(f, present)


@pytest.mark.parametrize("mode", list(GATES))
def test_portable_path_without_out_arguments(mode, monkeypatch):
    """Array namespaces without ``out=`` (the Array API standard) take the assignment path."""
    from lanterna.ops import nn_rnn_kernels

    args = _inputs(mode, [3, 2, 2], hidden=4, proj=2 if mode == "LSTM" else 0)
    f, present = _fn(mode, args, [3, 2, 2], True)
    fast = [o.detach().numpy() for o in f(*present)]
    monkeypatch.setitem(nn_rnn_kernels._OUT_OK, np, False)
    assert not nn_rnn_kernels.Arrays(np).out
    for a, b in zip(fast, f(*present)):
        np.testing.assert_allclose(a, b.detach().numpy(), rtol=1e-13, atol=1e-13)
    assert gradcheck(f, present)


@pytest.mark.parametrize("dtype", [L.float32, L.float64])
def test_lstm_saturated_gates_are_exact_and_silent(dtype):
    """Pre-activations far beyond ``exp``'s range saturate the gates to 0 and 1 without
    overflow warnings, as the reference's sigmoid and tanh do."""
    import warnings

    args = [None if a is None else (a.detach() * 1e4).to(dtype).requires_grad_()
            for a in _inputs("LSTM", [3, 2, 2, 1])]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = rnn_sequence("LSTM", *args, batch_sizes=[3, 2, 2, 1])
        ref = rnn_reference("LSTM", *args, batch_sizes=[3, 2, 2, 1])
        (out[0].sum() + out[2].sum()).backward()
    grads = [a.grad.clone() for a in args if a is not None]
    for a in args:
        if a is not None:
            a.grad = None
    (ref[0].sum() + ref[2].sum()).backward()
    for a, b in zip(out, ref):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-5, atol=1e-5)
    for g, a in zip(grads, [a for a in args if a is not None]):
        assert np.isfinite(g.numpy()).all()
        np.testing.assert_allclose(g.numpy(), a.grad.numpy(), rtol=1e-5, atol=1e-5)


LAYER_CASES = [(bs, rev, proj, bias) for bs in ([2, 2, 2], [3, 2, 2, 1]) for rev in (False, True)
               for proj in (0, 2) for bias in ("both", "ih", None)]


@pytest.mark.parametrize("batch_sizes,reverse,proj,bias", LAYER_CASES)
def test_lstm_layer_node_gradcheck_and_matches_reference(batch_sizes, reverse, proj, bias):
    """The LSTM layer node (input projection inside, ``[x, h, 1]`` times all weights per step)
    against the input projection followed by the reference recurrence."""
    from lanterna.nn import functional as F
    from lanterna.ops.nn_rnn import rnn_layer

    L.manual_seed(0)
    H, B, N, I = 4, batch_sizes[0], sum(batch_sizes), 3
    P = proj or H

    def mk(*shape):
        return L.randn(*shape, dtype=L.float64, requires_grad=True)

    x, h0, c0, w_ih, w_hh = mk(N, I), mk(B, P), mk(B, H), mk(4 * H, I), mk(4 * H, P)
    b_ih = mk(4 * H) if bias else None
    b_hh = mk(4 * H) if bias == "both" else None
    w_hr = mk(P, H) if proj else None
    args = [x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr]
    present = [a for a in args if a is not None]

    def run(fused):
        def f(*ts):
            it = iter(ts)
            x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr = [next(it) if a is not None else None for a in args]
            if fused:
                return rnn_layer("LSTM", x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr, batch_sizes, reverse)
            xw = F.linear(x, w_ih, b_ih)
            return rnn_reference("LSTM", xw, h0, c0, w_hh, b_hh, w_hr, batch_sizes, reverse)
        return f

    for a, b in zip(run(True)(*present), run(False)(*present)):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-12, atol=1e-12)
    assert gradcheck(run(True), present)
    # without a gradient for x (a first layer's input): the node skips d x
    assert gradcheck(lambda *ts: run(True)(x.detach(), *ts), present[1:])


@pytest.mark.parametrize("mode", ["LSTM", "GRU", "RNN_TANH"])
def test_fused_node_double_backward(mode):
    args = _inputs(mode, [2, 1], hidden=2)
    for i in (2, 4):  # keep the check small: c0 and the bias held constant
        if args[i] is not None:
            args[i] = args[i].detach()
    f, present = _fn(mode, args, [2, 1], True)
    assert gradgradcheck(f, present)


def test_fused_node_without_bias_and_with_partial_output_grads():
    args = _inputs("LSTM", [2, 1], bias=False)
    out, h, c = rnn_sequence("LSTM", *args, batch_sizes=[2, 1])
    h.sum().backward()  # only h_n receives a gradient: out and c_n get none
    ref = rnn_reference("LSTM", *[a.detach().requires_grad_() if a is not None else None for a in args],
                        batch_sizes=[2, 1])
    assert args[0].grad is not None and args[3].grad is not None
    assert out.grad_fn is h.grad_fn and c.grad_fn is h.grad_fn
    assert out.grad_fn.name() == "LSTMSequenceBackward0"
    np.testing.assert_allclose(h.detach().numpy(), ref[1].detach().numpy(), rtol=1e-12)


def test_graph_has_a_constant_number_of_nodes_whatever_the_length():
    def count_nodes(t):
        seen, stack = set(), [t.grad_fn]
        while stack:
            n = stack.pop()
            if n is None or n in seen:
                continue
            seen.add(n)
            stack.extend(e[0] for e in n.next_functions if e is not None)
        return len(seen)

    counts = []
    for T in (3, 60):
        m = L.nn.LSTM(4, 5, num_layers=2)
        out, _ = m(L.randn(T, 2, 4))
        counts.append(count_nodes(out))
    assert counts[0] == counts[1] < 30


@pytest.mark.parametrize("name", ["LSTM", "GRU", "RNN"])
def test_module_gradcheck_float64(name):
    L.manual_seed(0)
    kwargs = {"num_layers": 2, "bidirectional": True, "batch_first": True}
    if name == "LSTM":
        kwargs["proj_size"] = 2
    m = getattr(L.nn, name)(3, 3, **kwargs).double()
    x = L.randn(2, 3, 3, dtype=L.float64, requires_grad=True)

    def f(x, w):
        out, hid = m(x * w)
        return out, hid[0] if name == "LSTM" else hid

    w = L.ones(1, dtype=L.float64, requires_grad=True)
    assert gradcheck(f, (x, w))
    assert gradcheck(lambda p: m(x.detach())[0] * p.sum(), (m.weight_hh_l1_reverse,))


def test_create_graph_through_a_module():
    """Higher-order gradients flow through the fused layer (it recomputes with Tensor ops)."""
    L.manual_seed(0)
    m = L.nn.GRU(2, 3).double()
    x = L.randn(4, 1, 2, dtype=L.float64, requires_grad=True)
    out, _ = m(x)
    (g,) = L.autograd.grad(out.pow(2).sum(), x, create_graph=True)
    g.sum().backward()
    assert m.weight_hh_l0.grad is not None and float(m.weight_hh_l0.grad.abs().sum()) > 0


def test_no_grad_forward_records_nothing():
    m = L.nn.LSTM(3, 4)
    with L.no_grad():
        out, (h, _c) = m(L.randn(5, 2, 3))
    assert out.grad_fn is None and h.grad_fn is None and not out.requires_grad


def test_outputs_shapes_and_last_step_consistency():
    m = L.nn.LSTM(3, 4, num_layers=2, bidirectional=True, batch_first=True)
    out, (h, c) = m(L.randn(2, 5, 3))
    assert out.shape == (2, 5, 8) and h.shape == (4, 2, 4) and c.shape == (4, 2, 4)
    # last layer: forward direction ends at the last step, reverse direction at the first
    np.testing.assert_allclose(out[:, -1, :4].detach().numpy(), h[2].detach().numpy(), rtol=1e-6)
    np.testing.assert_allclose(out[:, 0, 4:].detach().numpy(), h[3].detach().numpy(), rtol=1e-6)


def test_packed_input_equals_running_each_sequence_alone():
    L.manual_seed(0)
    m = L.nn.GRU(2, 3, bidirectional=True)
    seqs = [L.randn(n, 2) for n in (2, 4, 1)]
    out, h = m(pack_sequence(seqs, enforce_sorted=False))
    padded, lengths = pad_packed_sequence(out)
    assert lengths.tolist() == [2, 4, 1]
    for b, s in enumerate(seqs):
        o1, h1 = m(s.unsqueeze(1))
        n = s.shape[0]
        np.testing.assert_allclose(padded[:n, b].detach().numpy(), o1[:, 0].detach().numpy(), rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(h[:, b].detach().numpy(), h1[:, 0].detach().numpy(), rtol=1e-5, atol=1e-6)
        assert float(padded[n:, b].abs().sum()) == 0


def test_pack_pad_roundtrip_and_layout():
    x = L.arange(12.0).reshape(3, 4)  # batch_first: 3 sequences of length 4
    p = pack_padded_sequence(x, [4, 2, 1], batch_first=True)
    assert p.data.tolist() == [0.0, 4.0, 8.0, 1.0, 5.0, 2.0, 3.0]
    assert p.batch_sizes.tolist() == [3, 2, 1, 1] and p.sorted_indices is None
    padded, lengths = pad_packed_sequence(p, batch_first=True, padding_value=-1)
    assert padded.tolist() == [[0, 1, 2, 3], [4, 5, -1, -1], [8, -1, -1, -1]]
    assert lengths.tolist() == [4, 2, 1] and lengths.dtype == L.int64
    q = pack_padded_sequence(x, L.tensor([1, 4, 2]), batch_first=True, enforce_sorted=False)
    assert q.sorted_indices.tolist() == [1, 2, 0] and q.unsorted_indices.tolist() == [2, 0, 1]
    padded, lengths = pad_packed_sequence(q, batch_first=True)
    assert padded.tolist() == [[0, 0, 0, 0], [4, 5, 6, 7], [8, 9, 0, 0]] and lengths.tolist() == [1, 4, 2]


def test_pad_sequence_sides_and_unpad():
    seqs = [L.tensor([1, 2, 3]), L.tensor([4])]
    assert pad_sequence(seqs, batch_first=True).tolist() == [[1, 2, 3], [4, 0, 0]]
    assert pad_sequence(seqs, batch_first=True, padding_side="left").tolist() == [[1, 2, 3], [0, 0, 4]]
    assert pad_sequence(seqs).shape == (3, 2)
    assert [t.tolist() for t in unpad_sequence(pad_sequence(seqs, batch_first=True), L.tensor([3, 1]),
                                               batch_first=True)] == [[1, 2, 3], [4]]
    assert [t.tolist() for t in unpack_sequence(pack_sequence(seqs))] == [[1, 2, 3], [4]]


def test_packing_gradients_by_finite_differences():
    a = L.randn(3, 2, dtype=L.float64, requires_grad=True)
    b = L.randn(1, 2, dtype=L.float64, requires_grad=True)
    c = L.randn(2, 2, dtype=L.float64, requires_grad=True)

    def f(a, b, c):
        p = pack_sequence([a, b, c], enforce_sorted=False)
        return pad_packed_sequence(PackedSequence(p.data * p.data, p.batch_sizes, p.sorted_indices,
                                                  p.unsorted_indices), padding_value=0.5)[0]

    assert gradcheck(f, (a, b, c))


def test_packed_sequence_conversions():
    p = pack_sequence([L.tensor([1.0, 2.0]), L.tensor([3.0])])
    assert p.double().data.dtype == L.float64 and p.to(L.float64).batch_sizes is p.batch_sizes
    assert p.to("cpu") is p and not p.is_cuda
    data, batch_sizes, _sorted, _unsorted = p
    assert PackedSequence(data, batch_sizes).data is data
    with pytest.raises(AssertionError):
        PackedSequence(data)


@pytest.mark.parametrize("kind,layers,bidir", list(itertools.product(["LSTM", "GRU"], [1, 2], [False, True])))
def test_fused_module_matches_reference_unrolled(kind, layers, bidir):
    """The module equals a cell-by-cell loop with the same weights (no torch needed)."""
    L.manual_seed(0)
    m = getattr(L.nn, kind)(2, 3, num_layers=layers, bidirectional=bidir).double()
    cell = getattr(L.nn, kind + "Cell")(2, 3).double()
    x = L.randn(4, 2, 2, dtype=L.float64)
    out, _ = m(x)
    if layers == 1 and not bidir:
        cell.load_state_dict({k[:-3]: v for k, v in m.state_dict().items()})
        h = L.zeros(2, 3, dtype=L.float64)
        c = L.zeros(2, 3, dtype=L.float64)
        for t in range(4):
            if kind == "LSTM":
                h, c = cell(x[t], (h, c))
            else:
                h = cell(x[t], h)
            np.testing.assert_allclose(out[t].detach().numpy(), h.detach().numpy(), rtol=1e-12)
    assert out.shape == (4, 2, 3 * (2 if bidir else 1))


def test_repr_and_misc():
    assert repr(L.nn.LSTM(10, 20, num_layers=2)) == "LSTM(10, 20, num_layers=2)"
    assert repr(L.nn.GRUCell(3, 4, bias=False)) == "GRUCell(3, 4, bias=False)"
    m = L.nn.LSTM(3, 4)
    m.flatten_parameters()
    assert [n for n, _ in m.named_parameters()] == ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"]
    bound = 1 / 2
    assert all(float(p.abs().max()) <= bound for p in m.parameters())
    with pytest.warns(UserWarning, match="non-zero dropout expects num_layers greater than 1"):
        L.nn.GRU(3, 4, dropout=0.5)
