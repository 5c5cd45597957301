"""Fused recurrent layers: one graph node runs one layer and direction over a whole sequence.

An eager framework pays per op and per node; an LSTM unrolled into Tensor ops costs ~15 nodes per
time step. Here the input projection of every time step is one GEMM (an ordinary ``linear`` node)
and the recurrence is a single node whose forward loops over time on arrays, keeping what backward
needs, and whose backward loops back over time on arrays and finishes with one GEMM for the
recurrent weight gradient. Sequences may be packed: ``batch_sizes[t]`` rows are active at step
``t`` (non-increasing, as ``pack_padded_sequence`` makes them), stored time-major in a 2-D array.

Gate layouts are PyTorch's: LSTM ``i, f, g, o``; GRU ``r, z, n`` with
``n = tanh(W_in x + b_in + r * (W_hn h + b_hn))``.

The fused backward works on arrays, so it is not itself differentiable; when a graph of the
backward is requested (``create_graph=True``) it recomputes the layer with Tensor ops and
differentiates that instead, so higher-order gradients stay correct.
"""

from __future__ import annotations

from .._tensor import Tensor
from ..autograd.grad_mode import GRAD_ENABLED
from ._apply import Node, attach
from .nn_linear import linear

_make = Tensor._make

GATES = {"LSTM": 4, "GRU": 3, "RNN_TANH": 1, "RNN_RELU": 1}


def _sigmoid_scale(xp, like, hidden, blocks):
    """Per-column scale making ``tanh(x * s) * s + (1 - s)`` a sigmoid where ``s = 0.5`` and a
    tanh where ``s = 1``: every gate non-linearity of a step in one ``tanh`` call."""
    parts = [xp.full((hidden,), 0.5 if sig else 1.0, dtype=like.dtype) for sig in blocks]
    s = xp.concat(parts)
    return s, 1 - s


def _steps(batch_sizes, reverse):
    """``(t, offset, rows)`` for every time step, in processing order."""
    out, off = [], 0
    for t, b in enumerate(batch_sizes):
        out.append((t, off, b))
        off += b
    return out[::-1] if reverse else out


class _FusedRNN(Node):
    """Common driver; subclasses define ``_step`` / ``_step_back`` for one time step."""

    mode = None

    def forward(self, xp, xw, h0, c0, w_hh, b_hh, w_hr, need_grad=True):
        steps = _steps(self.batch_sizes, self.reverse)
        whh_t = w_hh.T
        whr_t = None if w_hr is None else w_hr.T
        self.xp = xp
        self.need_grad = need_grad
        self._prep(xp, xw, w_hh)
        h, c = h0, c0
        outs = [None] * len(steps)
        cache = [None] * len(steps)
        for t, off, n in steps:
            hp = h[:n]
            cp = None if c is None else c[:n]
            gh = xp.matmul(hp, whh_t)
            if b_hh is not None:
                gh += b_hh
            hn, cn, saved = self._step(xw[off:off + n], gh, hp, cp, whr_t)
            outs[t] = hn
            if need_grad:
                cache[t] = (hp,) + saved
            h = hn if n == h.shape[0] else xp.concat([hn, h[n:]])
            if c is not None:
                c = cn if n == c.shape[0] else xp.concat([cn, c[n:]])
        if need_grad:
            self._cache = cache
        out = xp.concat(outs) if len(outs) > 1 else outs[0]
        return out, h, c

    def backward(self, *grads):
        if GRAD_ENABLED[0]:
            return self._differentiable_backward(grads)
        xp = self.xp
        xw, h0, c0, w_hh = self.saved[:4]
        w_hr = self.saved[5]
        steps = _steps(self.batch_sizes, self.reverse)
        gout, gh, gc = grads[0], grads[1], grads[2] if len(grads) > 2 else None
        gout = None if gout is None else gout._data
        dh = xp.zeros_like(h0._data) if gh is None else gh._data
        dc = None
        if c0 is not None:
            dc = xp.zeros_like(c0._data) if gc is None else gc._data
        whh = w_hh._data
        whr = None if w_hr is None else w_hr._data
        d_gi = [None] * len(steps)  # gradient of the input projection, per step
        d_gh = [None] * len(steps)  # gradient of the recurrent pre-activation, per step
        d_proj = [None] * len(steps) if whr is not None else None
        for t, off, n in reversed(steps):
            dht = dh[:n] if gout is None else dh[:n] + gout[off:off + n]
            if whr is not None:
                d_proj[t] = dht
            dct = None if dc is None else dc[:n]
            gi_t, gh_t, dhp, dcp = self._step_back(self._cache[t], dht, dct, whr)
            d_gi[t], d_gh[t] = gi_t, gh_t
            dhp = xp.matmul(gh_t, whh) if dhp is None else dhp + xp.matmul(gh_t, whh)
            dh = dhp if n == dh.shape[0] else xp.concat([dhp, dh[n:]])
            if dc is not None:
                dc = dcp if n == dc.shape[0] else xp.concat([dcp, dc[n:]])
        cat = (lambda lst: xp.concat(lst)) if len(steps) > 1 else (lambda lst: lst[0])
        g_gh = cat(d_gh)
        hp_all = cat([entry[0] for entry in self._cache])
        like = xw
        res = [_make(cat(d_gi), like._backend, like._device), _make(dh, like._backend, like._device)]
        if c0 is not None:
            res.append(_make(dc, like._backend, like._device))
        res.append(_make(xp.matmul(g_gh.T, hp_all), like._backend, like._device))
        if self.has_bias:
            res.append(_make(xp.sum(g_gh, axis=0), like._backend, like._device))
        if whr is not None:
            r_all = cat([entry[-1] for entry in self._cache])
            res.append(_make(xp.matmul(cat(d_proj).T, r_all), like._backend, like._device))
        return tuple(res)

    def _differentiable_backward(self, grads):
        """``create_graph=True``: differentiate a Tensor-op recomputation of this layer."""
        from ..autograd import grad as autograd_grad

        xw, h0, c0, w_hh, b_hh, w_hr = self.saved
        inputs = [t for t in (xw, h0, c0, w_hh, b_hh, w_hr) if t is not None]
        wanted = [t for t in inputs if t.requires_grad]
        outs = rnn_reference(self.mode, xw, h0, c0, w_hh, b_hh, w_hr, self.batch_sizes, self.reverse)
        pairs = [(o, g) for o, g in zip(outs, grads) if o is not None and g is not None]
        got = autograd_grad([o for o, _ in pairs], wanted, [g for _, g in pairs],
                            create_graph=True, retain_graph=True, allow_unused=True)
        by_id = {id(t): g for t, g in zip(wanted, got)}
        return tuple(by_id.get(id(t)) for t in inputs)

    def release(self):
        self.__dict__.pop("_cache", None)
        super().release()


class LSTMSequenceBackward0(_FusedRNN):
    """LSTM layer: ``c' = f c + i g``, ``h' = o tanh(c')`` (then ``h' W_hr^T`` with projections)."""

    mode = "LSTM"

    def _prep(self, xp, xw, w_hh):
        self.scale, self.shift = _sigmoid_scale(xp, xw, w_hh.shape[0] // 4, (True, True, False, True))
        self.scale2 = self.scale * self.scale  # d act / d pre = s^2 (1 - raw^2)
        self.neg_scale2 = -self.scale2

    def _step(self, gi, gh, hp, cp, whr_t):
        xp = self.xp
        H = cp.shape[1]
        gh += gi
        gh *= self.scale
        raw = xp.tanh(gh)  # tanh of the scaled pre-activation
        a = raw * self.scale
        a += self.shift
        i, f, g, o = a[:, :H], a[:, H:2 * H], a[:, 2 * H:3 * H], a[:, 3 * H:]
        c = f * cp
        c += i * g
        tc = xp.tanh(c)
        r = o * tc
        h = r if whr_t is None else xp.matmul(r, whr_t)
        if not self.need_grad:
            return h, c, None
        # d gate / d pre-activation, times what each gate's gradient is multiplied by (g, c_prev,
        # i, tanh c for i, f, g, o): backward then needs a single product per step
        d = raw * raw
        d *= self.neg_scale2
        d += self.scale2
        m = xp.concat([g, cp, i, tc], axis=1)
        m *= d
        return h, c, (m, f, o, tc, r)

    def _step_back(self, saved, dh, dc, whr):
        xp = self.xp
        _, m, f, o, tc, _ = saved
        dr = dh if whr is None else xp.matmul(dh, whr)
        dct = tc * tc
        dct -= 1
        dct *= o
        dct *= dr
        dct = dc - dct  # dc + dr * o * (1 - tanh(c)^2)
        dpre = xp.concat([dct, dct, dct, dr], axis=1)
        dpre *= m
        return dpre, dpre, None, dct * f


class GRUSequenceBackward0(_FusedRNN):
    """GRU layer: ``h' = (1 - z) n + z h`` with ``n = tanh(W_in x + b_in + r (W_hn h + b_hn))``."""

    mode = "GRU"

    def _prep(self, xp, xw, w_hh):
        pass

    def _step(self, gi, gh, hp, cp, whr_t):
        xp = self.xp
        H = hp.shape[1]
        rz = gi[:, :2 * H] + gh[:, :2 * H]
        rz *= 0.5
        rz = xp.tanh(rz)
        rz *= 0.5
        rz += 0.5
        r, z = rz[:, :H], rz[:, H:]
        ghn = gh[:, 2 * H:]
        n = r * ghn
        n += gi[:, 2 * H:]
        n = xp.tanh(n)
        h = hp - n
        h *= z
        h += n
        return h, None, (rz, n, ghn)

    def _step_back(self, saved, dh, dc, whr):
        xp = self.xp
        hp, rz, n, ghn = saved
        H = hp.shape[1]
        r, z = rz[:, :H], rz[:, H:]
        dn = dh * (1 - z)
        dn *= 1 - n * n
        drz = xp.concat([dn * ghn, dh * (hp - n)], axis=1)
        drz *= rz
        drz *= 1 - rz
        gi = xp.concat([drz, dn], axis=1)
        gh = xp.concat([drz, dn * r], axis=1)
        return gi, gh, dh * z, None


class RNNTanhSequenceBackward0(_FusedRNN):
    """Elman layer ``h' = tanh(W_ih x + b_ih + W_hh h + b_hh)``."""

    mode = "RNN_TANH"

    def _prep(self, xp, xw, w_hh):
        pass

    def _step(self, gi, gh, hp, cp, whr_t):
        gh += gi
        h = self.xp.tanh(gh)
        return h, None, (h,)

    def _step_back(self, saved, dh, dc, whr):
        h = saved[1]
        d = 1 - h * h
        d *= dh
        return d, d, None, None


class RNNReluSequenceBackward0(RNNTanhSequenceBackward0):
    """Elman layer ``h' = relu(W_ih x + b_ih + W_hh h + b_hh)``."""

    mode = "RNN_RELU"

    def _step(self, gi, gh, hp, cp, whr_t):
        gh += gi
        h = self.xp.where(gh > 0, gh, self.xp.zeros_like(gh))
        return h, None, (h,)

    def _step_back(self, saved, dh, dc, whr):
        h = saved[1]
        d = self.xp.where(h > 0, dh, self.xp.zeros_like(dh))
        return d, d, None, None


_NODES = {c.mode: c for c in (LSTMSequenceBackward0, GRUSequenceBackward0, RNNTanhSequenceBackward0,
                              RNNReluSequenceBackward0)}


def rnn_sequence(mode, xw, hx, cx, w_hh, b_hh=None, w_hr=None, batch_sizes=None, reverse=False):
    """Run one recurrent layer and direction over a sequence whose input projection is given.

    ``xw``: ``(N, gates * hidden)`` input projections ``x_t @ W_ih.T + b_ih``, time-major (all of
    step 0's rows, then step 1's ...); ``batch_sizes[t]`` rows are active at step ``t``. ``hx``
    ``(B, H_out)`` and, for LSTM, ``cx`` ``(B, H)`` are the initial states. Returns ``(output
    (N, H_out), h_n (B, H_out), c_n (B, H) or None)``.

    >>> import lanterna as torch
    >>> from lanterna.ops.nn_rnn import rnn_sequence
    >>> xw = torch.zeros(6, 3); h0 = torch.zeros(2, 3); w = torch.zeros(3, 3)
    >>> out, hn, _ = rnn_sequence("RNN_TANH", xw, h0, None, w, batch_sizes=[2, 2, 2])
    >>> out.shape, hn.shape
    (torch.Size([6, 3]), torch.Size([2, 3]))
    """
    cls = _NODES[mode]
    if batch_sizes is None:
        batch_sizes = [hx.shape[0]] * (xw.shape[0] // max(hx.shape[0], 1))
    node = cls.__new__(cls)
    node.batch_sizes = list(batch_sizes)
    node.reverse = reverse
    node.has_bias = b_hh is not None
    xp = xw._backend.xp
    inputs = [t for t in (xw, hx, cx, w_hh, b_hh, w_hr) if t is not None]
    need_grad = GRAD_ENABLED[0] and any(t._requires_grad for t in inputs)
    out, hn, cn = node.forward(xp, xw._data, hx._data, None if cx is None else cx._data, w_hh._data,
                               None if b_hh is None else b_hh._data, None if w_hr is None else w_hr._data,
                               need_grad)
    backend, device = xw._backend, xw._device
    outs = [_make(out, backend, device), _make(hn, backend, device)]
    if cx is not None:
        outs.append(_make(cn, backend, device))
    if need_grad:
        node.save(xw, hx, cx, w_hh, b_hh, w_hr)
        node.n_outputs = len(outs)
        attach(node, inputs, outs[0])
        for i, o in enumerate(outs):
            o.grad_fn, o._output_nr, o._requires_grad = node, i, True
    return outs[0], outs[1], (outs[2] if cx is not None else None)


def rnn_layer(mode, input, hx, cx, w_ih, w_hh, b_ih=None, b_hh=None, w_hr=None, batch_sizes=None,
              reverse=False):
    """One layer and direction: the input projection of all steps as one GEMM, then the fused
    recurrence. ``input`` is time-major 2-D ``(N, input_size)``; see ``rnn_sequence``."""
    if mode == "LSTM" and b_ih is not None and b_hh is not None:
        # one bias for both, as PyTorch's oneDNN LSTM on CPU (and one add per step less)
        xw = linear(input, w_ih, b_ih + b_hh)
        b_hh = None
    else:
        # RNN, GRU: (x W_ih^T + b_ih) + (h W_hh^T + b_hh), PyTorch's own order of rounding
        xw = linear(input, w_ih, b_ih)
    return rnn_sequence(mode, xw, hx, cx, w_hh, b_hh, w_hr, batch_sizes, reverse)


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
