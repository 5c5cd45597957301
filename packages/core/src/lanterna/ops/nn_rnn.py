"""Fused recurrent layers: one graph node runs one layer and direction over a whole sequence.

An eager framework pays per op and per node; an LSTM unrolled into Tensor ops costs ~15 nodes per
time step. Here the input projection of every time step is one GEMM (an ordinary ``linear`` node)
and the recurrence is a single node whose forward loops over time on arrays, keeping what backward
needs, and whose backward loops back over time on arrays and finishes with one GEMM for the
recurrent weight gradient. An LSTM layer is one node with its input projection (``rnn_layer``):
each step multiplies ``[x_t, h_{t-1}, 1]`` by all its weights at once. Sequences may be packed:
``batch_sizes[t]`` rows are active at step ``t`` (non-increasing, as ``pack_padded_sequence``
makes them), stored time-major in a 2-D array.

Gate layouts are PyTorch's: LSTM ``i, f, g, o``; GRU ``r, z, n`` with
``n = tanh(W_in x + b_in + r * (W_hn h + b_hn))``.

The fused backward works on arrays, so it is not itself differentiable; when a graph of the
backward is requested (``create_graph=True``) it recomputes the layer with Tensor ops and
differentiates that instead, so higher-order gradients stay correct.
"""

from __future__ import annotations

from .._tensor import Tensor
from ..autograd.grad_mode import GRAD_ENABLED
from ._apply import Node, apply, attach
from .nn_linear import linear
from .nn_rnn_kernels import KERNELS, Arrays, lstm_layer_backward, lstm_layer_forward

_make = Tensor._make


def _steps(batch_sizes, reverse):
    """``(t, offset, rows)`` for every time step, in processing order."""
    out, off = [], 0
    for t, b in enumerate(batch_sizes):
        out.append((t, off, b))
        off += b
    return out[::-1] if reverse else out


class _FusedRNN(Node):
    """One layer and direction over a whole sequence; the time loops are in ``nn_rnn_kernels``.

    Inputs ``(xw, h0, [c0], w_hh, [b_hh], [w_hr])``, outputs ``(out, h_n, [c_n])``."""

    mode = None

    def run_forward(self, xp, xw, h0, c0, w_hh, b_hh, w_hr, need_grad):
        arrays = Arrays(xp)
        fwd, _ = KERNELS[self.mode]
        out, h, c, keep = fwd(arrays, xw, h0, c0, w_hh, b_hh, w_hr, _steps(self.batch_sizes, self.reverse),
                              need_grad)
        if need_grad:
            self._keep = (arrays, keep)
        return out, h, c

    def backward(self, *grads):
        if GRAD_ENABLED[0]:
            return self._differentiable_backward(grads)
        arrays, keep = self._keep
        xp = arrays.xp
        xw, h0, c0, w_hh, b_hh, w_hr = self.saved
        gout, gh, gc = _output_grads(xp, grads, xw, h0, c0)
        _, bwd = KERNELS[self.mode]
        d_xw, d_h0, d_c0, d_whh, d_pre_hh, d_whr = bwd(
            arrays, keep, gout, gh, gc, w_hh._data,
            None if w_hr is None else w_hr._data, _steps(self.batch_sizes, self.reverse))
        res = [d_xw, d_h0] + ([d_c0] if c0 is not None else []) + [d_whh]
        if b_hh is not None:
            res.append(xp.sum(d_pre_hh, axis=0))
        if w_hr is not None:
            res.append(d_whr)
        return tuple(_make(a, xw._backend, xw._device) for a in res)

    def _reference(self):
        """This layer's outputs recomputed with Tensor ops (differentiable to any order)."""
        xw, h0, c0, w_hh, b_hh, w_hr = self.saved
        return rnn_reference(self.mode, xw, h0, c0, w_hh, b_hh, w_hr, self.batch_sizes, self.reverse)

    def _differentiable_backward(self, grads):
        """``create_graph=True``: differentiate a Tensor-op recomputation of this layer."""
        from ..autograd import grad as autograd_grad

        inputs = [t for t in self.saved if t is not None]
        wanted = [t for t in inputs if t.requires_grad]
        outs = self._reference()
        pairs = [(o, g.reshape(o.shape)) for o, g in zip(outs, grads) if o is not None and g is not None]
        got = autograd_grad([o for o, _ in pairs], wanted, [g for _, g in pairs],
                            create_graph=True, retain_graph=True, allow_unused=True)
        by_id = {id(t): g for t, g in zip(wanted, got)}
        return tuple(by_id.get(id(t)) for t in inputs)

    def release(self):
        self.__dict__.pop("_keep", None)
        super().release()


def _output_grads(xp, grads, x, h0, c0):
    """The arrays of the gradients reaching ``(out, h_n[, c_n])``: ``out``'s as ``(N, -1)`` or
    None, the states' zeros where none came."""
    gout, gh = grads[0], grads[1]
    gc = grads[2] if len(grads) > 2 else None
    gh = xp.zeros_like(h0._data) if gh is None else gh._data
    if c0 is not None:
        gc = xp.zeros_like(c0._data) if gc is None else gc._data
    gout = None if gout is None else xp.reshape(gout._data, (x._data.shape[0], -1))
    return gout, gh, gc


class LSTMLayerBackward0(_FusedRNN):
    """An LSTM layer with its input projection (``lstm_layer_forward``): inputs ``(x, h0, c0,
    w_ih, w_hh, [b_ih], [b_hh], [w_hr])``, outputs ``(out, h_n, c_n)``."""

    mode = "LSTM"

    def run_forward(self, xp, x, h0, c0, w_ih, w_hh, b, w_hr, need_grad):
        arrays = Arrays(xp)
        out, h, c, keep = lstm_layer_forward(arrays, x, w_ih, b, h0, c0, w_hh, w_hr,
                                             _steps(self.batch_sizes, self.reverse), need_grad)
        if need_grad:
            self._keep = (arrays, keep)
        return out, h, c

    def backward(self, *grads):
        if GRAD_ENABLED[0]:
            return self._differentiable_backward(grads)
        arrays, keep = self._keep
        xp = arrays.xp
        x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr = self.saved
        gout, gh, gc = _output_grads(xp, grads, x, h0, c0)
        need_dx = self.next_functions[0][0] is not None
        dx, dh0, dc0, dw_ih, dw_hh, db, dw_hr = lstm_layer_backward(
            arrays, keep, gout, gh, gc, w_ih._data, w_hh._data, None if w_hr is None else w_hr._data,
            _steps(self.batch_sizes, self.reverse), need_dx)
        res = [dx, dh0, dc0, dw_ih, dw_hh]
        if b_ih is not None:
            res.append(db)
        if b_hh is not None:
            res.append(db if b_ih is None else arrays.copy(db))  # two gradients, two arrays
        if w_hr is not None:
            res.append(dw_hr)
        return tuple(None if a is None else _make(a, x._backend, x._device) for a in res)

    def _reference(self):
        x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr = self.saved
        return rnn_reference(self.mode, linear(x, w_ih, b_ih), h0, c0, w_hh, b_hh, w_hr, self.batch_sizes,
                             self.reverse)


class LSTMSequenceBackward0(_FusedRNN):
    """LSTM layer: ``c' = f c + i g``, ``h' = o tanh(c')`` (then ``h' W_hr^T`` with projections)."""

    mode = "LSTM"


class GRUSequenceBackward0(_FusedRNN):
    """GRU layer: ``h' = (1 - z) n + z h`` with ``n = tanh(W_in x + b_in + r (W_hn h + b_hn))``."""

    mode = "GRU"


class RNNTanhSequenceBackward0(_FusedRNN):
    """Elman layer ``h' = tanh(W_ih x + b_ih + W_hh h + b_hh)``."""

    mode = "RNN_TANH"


class RNNReluSequenceBackward0(_FusedRNN):
    """Elman layer ``h' = relu(W_ih x + b_ih + W_hh h + b_hh)``."""

    mode = "RNN_RELU"


_NODES = {c.mode: c for c in (LSTMSequenceBackward0, GRUSequenceBackward0, RNNTanhSequenceBackward0,
                              RNNReluSequenceBackward0)}
_NAMED: dict = {}


def _node_class(base, name):
    """The node class ``base``, or a subclass of it called ``name`` (cached)."""
    if name is None:
        return base
    cls = _NAMED.get((base, name))
    if cls is None:
        cls = _NAMED[(base, name)] = type(name, (base,), {"__doc__": base.__doc__})
    return cls


class _Renamed(Node):
    """Passes its input through (a view) under another node name; see ``renamed``."""

    is_view = True

    def forward(self, x):
        return x._data

    def backward(self, grad):
        return grad


def renamed(t, name):
    """``t`` itself, recorded under the grad_fn name PyTorch gives the same value (e.g. the cell
    state of ``LSTMCell`` is ``AddBackward0`` there): printing matches, gradients pass through."""
    if not (GRAD_ENABLED[0] and t._requires_grad):
        return t
    cls = _NAMED.get(("renamed", name))
    if cls is None:
        cls = _NAMED[("renamed", name)] = type(name, (_Renamed,), {})
    return apply(cls, t)


def rnn_sequence(mode, xw, hx, cx, w_hh, b_hh=None, w_hr=None, batch_sizes=None, reverse=False, out_shape=None,
                 grad_fn_name=None):
    """Run one recurrent layer and direction over a sequence whose input projection is given.

    ``xw``: ``(N, gates * hidden)`` input projections ``x_t @ W_ih.T + b_ih``, time-major (all of
    step 0's rows, then step 1's ...); ``batch_sizes[t]`` rows are active at step ``t``. ``hx``
    ``(B, H_out)`` and, for LSTM, ``cx`` ``(B, H)`` are the initial states. Returns ``(output
    (N, H_out), h_n (B, H_out), c_n (B, H) or None)``; ``out_shape`` reshapes the output (e.g. to
    ``(T, B, H_out)``) and ``grad_fn_name`` names the node as PyTorch's kernel for the same call
    would be named (so printed tensors read the same).

    >>> import lanterna as torch
    >>> from lanterna.ops.nn_rnn import rnn_sequence
    >>> xw = torch.zeros(6, 3); h0 = torch.zeros(2, 3); w = torch.zeros(3, 3)
    >>> out, hn, _ = rnn_sequence("RNN_TANH", xw, h0, None, w, batch_sizes=[2, 2, 2])
    >>> out.shape, hn.shape
    (torch.Size([6, 3]), torch.Size([2, 3]))
    """
    node = _new_node(_NODES[mode], grad_fn_name, batch_sizes, reverse, xw, hx)
    saved = (xw, hx, cx, w_hh, b_hh, w_hr)
    need_grad = _needs_grad(saved)
    out, hn, cn = node.run_forward(xw._backend.xp, *_arrays(saved), need_grad)
    return _outputs(node, saved, need_grad, xw, cx, out, hn, cn, out_shape)


def _new_node(base, name, batch_sizes, reverse, x, hx):
    cls = _node_class(base, name)
    if batch_sizes is None:
        batch_sizes = [hx.shape[0]] * (x.shape[0] // max(hx.shape[0], 1))
    node = cls.__new__(cls)
    node.batch_sizes = list(batch_sizes)
    node.reverse = reverse
    return node


def _needs_grad(tensors):
    return GRAD_ENABLED[0] and any(t is not None and t._requires_grad for t in tensors)


def _arrays(tensors):
    return [None if t is None else t._data for t in tensors]


def _outputs(node, saved, need_grad, x, cx, out, hn, cn, out_shape):
    """The output tensors ``(out, h_n, c_n or None)``, recorded as ``node``'s when gradients are
    needed (``saved``: its inputs, None where absent)."""
    backend, device = x._backend, x._device
    if out_shape is not None:
        out = backend.xp.reshape(out, tuple(out_shape))
    outs = [_make(out, backend, device), _make(hn, backend, device)]
    if cx is not None:
        outs.append(_make(cn, backend, device))
    if need_grad:
        node.save(*saved)
        node.n_outputs = len(outs)
        attach(node, [t for t in saved if t is not None], outs[0])
        for i, o in enumerate(outs):
            o.grad_fn, o._output_nr, o._requires_grad = node, i, True
    return outs[0], outs[1], (outs[2] if cx is not None else None)


def rnn_layer(mode, input, hx, cx, w_ih, w_hh, b_ih=None, b_hh=None, w_hr=None, batch_sizes=None,
              reverse=False, out_shape=None, grad_fn_name=None):
    """One layer and direction. ``input`` is time-major 2-D ``(N, input_size)``; see
    ``rnn_sequence``. An LSTM layer is one node with its input projection (``lstm_layer_forward``);
    the others project all steps with one GEMM, then run the fused recurrence."""
    if mode == "LSTM":
        node = _new_node(LSTMLayerBackward0, grad_fn_name, batch_sizes, reverse, input, hx)
        saved = (input, hx, cx, w_ih, w_hh, b_ih, b_hh, w_hr)
        need_grad = _needs_grad(saved)
        x, h0, c0, wi, wh, bi, bh, wr = _arrays(saved)
        b = bh if bi is None else bi if bh is None else bi + bh  # one bias, as PyTorch's oneDNN LSTM on CPU
        out, hn, cn = node.run_forward(input._backend.xp, x, h0, c0, wi, wh, b, wr, need_grad)
        return _outputs(node, saved, need_grad, input, cx, out, hn, cn, out_shape)
    # RNN, GRU: (x W_ih^T + b_ih) + (h W_hh^T + b_hh), PyTorch's own order of rounding
    xw = linear(input, w_ih, b_ih)
    return rnn_sequence(mode, xw, hx, cx, w_hh, b_hh, w_hr, batch_sizes, reverse, out_shape, grad_fn_name)


def rnn_reference(mode, xw, hx, cx, w_hh, b_hh=None, w_hr=None, batch_sizes=None, reverse=False):
    """``rnn_sequence`` composed of Tensor ops: slow, but differentiable to any order."""
    from .. import cat

    if batch_sizes is None:
        batch_sizes = [hx.shape[0]] * (xw.shape[0] // max(hx.shape[0], 1))
    steps = _steps(batch_sizes, reverse)
    H = w_hh.shape[1] if w_hr is None else w_hr.shape[1]
    h, c = hx, cx
    outs = [None] * len(steps)
    for t, off, n in steps:
        hp = h[:n]
        gh = hp.matmul(w_hh.t())
        if b_hh is not None:
            gh = gh + b_hh
        gi = xw[off:off + n]
        if mode == "LSTM":
            g = gi + gh
            i, f, o = g[:, :H].sigmoid(), g[:, H:2 * H].sigmoid(), g[:, 3 * H:].sigmoid()
            cn = f * c[:n] + i * g[:, 2 * H:3 * H].tanh()
            hn = o * cn.tanh()
            if w_hr is not None:
                hn = hn.matmul(w_hr.t())
            c = cn if n == c.shape[0] else cat([cn, c[n:]])
        elif mode == "GRU":
            Hh = hp.shape[1]
            r = (gi[:, :Hh] + gh[:, :Hh]).sigmoid()
            z = (gi[:, Hh:2 * Hh] + gh[:, Hh:2 * Hh]).sigmoid()
            nn_ = (gi[:, 2 * Hh:] + r * gh[:, 2 * Hh:]).tanh()
            hn = (1 - z) * nn_ + z * hp
        else:
            pre = gi + gh
            hn = pre.tanh() if mode == "RNN_TANH" else pre.relu()
        outs[t] = hn
        h = hn if n == h.shape[0] else cat([hn, h[n:]])
    return cat(outs), h, c
