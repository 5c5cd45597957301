"""The time loops of the fused recurrent layers, on arrays: LSTM, GRU, Elman (tanh / ReLU).

Each mode has a forward, which keeps what backward needs in sequence-wide arrays (one row per
step and sequence, time-major), and a backward, which loops back over time and returns the
gradients of the input projections, the initial states and the weights, the recurrent weight
gradient as one GEMM over the whole sequence.

Every per-step result is written into preallocated memory (``out=`` where the array namespace
has it, assignment otherwise): a step allocates nothing, which matters as much as the arithmetic
for the small arrays of a recurrence. Rows ``[:n]`` of the ``(B, ...)`` state arrays are the
sequences still running at a step (packed sequences shrink, or grow in reverse).
"""

from __future__ import annotations

_OUT_OK: dict = {}


def _supports_out(xp):
    """Whether ``xp``'s functions take ``out=`` (NumPy, CuPy); the Array API standard has none."""
    ok = _OUT_OK.get(xp)
    if ok is None:
        try:
            a = xp.zeros((1,))
            xp.multiply(a, a, out=a)
            xp.tanh(a, out=a)
            xp.matmul(xp.zeros((1, 1)), xp.zeros((1, 1)), out=xp.zeros((1, 1)))
            ok = True
        except TypeError:
            ok = False
        _OUT_OK[xp] = ok
    return ok


class Arrays:
    """``xp`` plus writes into a destination array, without a temporary where ``out=`` exists."""

    def __init__(self, xp):
        self.xp = xp
        self.out = _supports_out(xp)

    def empty(self, shape, like):
        return self.xp.empty(shape, dtype=like.dtype)

    def copy(self, a):
        return self.xp.asarray(a, copy=True)

    def matmul(self, a, b, dst):
        if self.out:
            return self.xp.matmul(a, b, out=dst)
        dst[...] = self.xp.matmul(a, b)
        return dst

    def tanh(self, a, dst):
        if self.out:
            return self.xp.tanh(a, out=dst)
        dst[...] = self.xp.tanh(a)
        return dst

    def mul(self, a, b, dst):
        if self.out:
            return self.xp.multiply(a, b, out=dst)
        dst[...] = a * b
        return dst

    def add(self, a, b, dst):
        if self.out:
            return self.xp.add(a, b, out=dst)
        dst[...] = a + b
        return dst

    def sub(self, a, b, dst):
        if self.out:
            return self.xp.subtract(a, b, out=dst)
        dst[...] = a - b
        return dst


def sigmoid_scale(xp, like, hidden, blocks):
    """Per-column ``s`` making ``tanh(x * s) * s + (1 - s)`` a sigmoid where ``s = 1/2`` and a tanh
    where ``s = 1``: all gate non-linearities of a step in one ``tanh`` call."""
    s = xp.concat([xp.full((hidden,), 0.5 if sig else 1.0, dtype=like.dtype) for sig in blocks])
    return s, 1 - s


def _dh_step(A, dh, gout, off, n, buf):
    """Gradient reaching step's hidden output: from the next step (``dh``) plus the output's."""
    dht = buf[:n]
    if gout is None:
        dht[...] = dh[:n]
        return dht
    return A.add(dh[:n], gout[off:off + n], dht)


# ---- LSTM: gates i, f, g, o; c' = f c + i g; h' = o tanh(c') (then h' W_hr^T) ----------------
def lstm_forward(A, xw, h0, c0, w_hh, b_hh, w_hr, steps, keep):
    xp = A.xp
    N, (B, P), H = xw.shape[0], h0.shape, c0.shape[1]
    scale, shift = sigmoid_scale(xp, xw, H, (True, True, False, True))
    # the gates' pre-activations scaled once for the whole sequence (by 1/2 or 1: exact)
    xs = xw * scale if b_hh is None else (xw + b_hh) * scale
    whh_t = (w_hh * scale[:, None]).T
    whr_t = None if w_hr is None else w_hr.T
    out = A.empty((N, P), xw)
    h, c = A.copy(h0), A.copy(c0)
    gates, raw, tmp = A.empty((B, 4 * H), xw), A.empty((B, 4 * H), xw), A.empty((B, H), xw)
    if keep:
        s = {"hp": A.empty((N, P), xw), "act": A.empty((N, 4 * H), xw), "m": A.empty((N, 4 * H), xw),
             "tc": A.empty((N, H), xw), "r": A.empty((N, H), xw) if w_hr is not None else None}
        scale2 = scale * scale
        neg_scale2 = -scale2
    else:
        s, tcbuf, rbuf = None, A.empty((B, H), xw), A.empty((B, H), xw)
    for _, off, n in steps:
        rows = slice(off, off + n)
        hp, cp = h[:n], c[:n]
        g = A.matmul(hp, whh_t, gates[:n])
        g += xs[rows]
        rw = A.tanh(g, raw[:n])
        a = A.mul(rw, scale, s["act"][rows] if keep else g)
        a += shift
        i, f, gg, o = a[:, :H], a[:, H:2 * H], a[:, 2 * H:3 * H], a[:, 3 * H:]
        if keep:
            s["hp"][rows] = hp
            m = s["m"][rows]
            m[:, H:2 * H] = cp
        A.mul(i, gg, tmp[:n])
        A.mul(f, cp, cp)  # the cell state, updated in place
        cp += tmp[:n]
        tc = A.tanh(cp, s["tc"][rows] if keep else tcbuf[:n])
        if w_hr is None:
            hn = A.mul(o, tc, out[rows])
        else:
            r = A.mul(o, tc, s["r"][rows] if keep else rbuf[:n])
            hn = A.matmul(r, whr_t, out[rows])
        h[:n] = hn
        if keep:
            # d act / d pre-activation = s^2 (1 - raw^2), times what each gate's gradient is
            # multiplied by (g, c_prev, i, tanh c): backward then needs one product per step
            rw *= rw
            rw *= neg_scale2
            rw += scale2
            m[:, :H] = gg
            m[:, 2 * H:3 * H] = i
            m[:, 3 * H:] = tc
            m *= rw
    return out, h, c, s


def lstm_backward(A, s, gout, gh, gc, w_hh, w_hr, steps):
    xp = A.xp
    (N, P), H = s["hp"].shape, s["tc"].shape[1]
    dh = A.copy(gh)
    dc = A.copy(gc)
    B = dh.shape[0]
    dpre_all = A.empty((N, 4 * H), dh)
    dproj_all = A.empty((N, P), dh) if w_hr is not None else None
    dht_buf, dct_buf = A.empty((B, P), dh), A.empty((B, H), dh)
    dr_buf = A.empty((B, H), dh) if w_hr is not None else None
    act, m_all, tc_all = s["act"], s["m"], s["tc"]
    for _, off, n in reversed(steps):
        rows = slice(off, off + n)
        dht = _dh_step(A, dh, gout, off, n, dht_buf)
        if w_hr is not None:
            dproj_all[rows] = dht
            dr = A.matmul(dht, w_hr, dr_buf[:n])
        else:
            dr = dht
        a = act[rows]
        dct = A.mul(tc_all[rows], tc_all[rows], dct_buf[:n])
        dct -= 1
        dct *= a[:, 3 * H:]
        dct *= dr
        A.sub(dc[:n], dct, dct)  # dc + dr * o * (1 - tanh(c)^2)
        dpre = dpre_all[rows]
        dpre[:, :H] = dct
        dpre[:, H:2 * H] = dct
        dpre[:, 2 * H:3 * H] = dct
        dpre[:, 3 * H:] = dr
        dpre *= m_all[rows]
        A.mul(dct, a[:, H:2 * H], dc[:n])
        A.matmul(dpre, w_hh, dh[:n])
    d_whr = None if w_hr is None else xp.matmul(dproj_all.T, s["r"])
    return dpre_all, dh, dc, xp.matmul(dpre_all.T, s["hp"]), dpre_all, d_whr


# ---- GRU: r, z = sigmoid; n = tanh(gi_n + r (W_hn h + b_hn)); h' = n + z (h - n) ---------------
def gru_forward(A, xw, h0, c0, w_hh, b_hh, w_hr, steps, keep):
    N, (B, H) = xw.shape[0], h0.shape
    whh_t = w_hh.T
    out = A.empty((N, H), xw)
    h = A.copy(h0)
    ghbuf = A.empty((B, 3 * H), xw)
    if keep:
        s = {"hp": A.empty((N, H), xw), "rz": A.empty((N, 2 * H), xw), "n": A.empty((N, H), xw),
             "ghn": A.empty((N, H), xw)}
    else:
        s, rzbuf, nbuf = None, A.empty((B, 2 * H), xw), A.empty((B, H), xw)
    for _, off, n in steps:
        rows = slice(off, off + n)
        hp = h[:n]
        gi = xw[rows]
        gh = A.matmul(hp, whh_t, ghbuf[:n])
        if b_hh is not None:
            gh += b_hh
        rz = A.add(gi[:, :2 * H], gh[:, :2 * H], s["rz"][rows] if keep else rzbuf[:n])
        rz *= 0.5
        A.tanh(rz, rz)
        rz *= 0.5
        rz += 0.5  # sigmoid(x) = tanh(x / 2) / 2 + 1 / 2
        ghn = gh[:, 2 * H:]
        nn = A.mul(rz[:, :H], ghn, s["n"][rows] if keep else nbuf[:n])
        nn += gi[:, 2 * H:]
        A.tanh(nn, nn)
        hn = A.sub(hp, nn, out[rows])
        hn *= rz[:, H:]
        hn += nn
        if keep:
            s["hp"][rows] = hp
            s["ghn"][rows] = ghn
        h[:n] = hn
    return out, h, None, s


def gru_backward(A, s, gout, gh, gc, w_hh, w_hr, steps):
    xp = A.xp
    N, H = s["hp"].shape
    dh = A.copy(gh)
    B = dh.shape[0]
    dgi_all, dgh_all = A.empty((N, 3 * H), dh), A.empty((N, 3 * H), dh)
    dht_buf, tmp, w = A.empty((B, H), dh), A.empty((B, H), dh), A.empty((B, 2 * H), dh)
    for _, off, n in reversed(steps):
        rows = slice(off, off + n)
        dht = _dh_step(A, dh, gout, off, n, dht_buf)
        hp, rz, nn, ghn = s["hp"][rows], s["rz"][rows], s["n"][rows], s["ghn"][rows]
        dgi, dgh = dgi_all[rows], dgh_all[rows]
        dn = dgi[:, 2 * H:]  # d pre-activation of n
        A.mul(dht, rz[:, H:], dn)
        A.sub(dht, dn, dn)  # dh (1 - z)
        t = A.mul(nn, nn, tmp[:n])
        t *= -1
        t += 1
        dn *= t  # ... (1 - n^2)
        A.mul(dn, ghn, dgi[:, :H])  # d r
        A.sub(hp, nn, dgi[:, H:2 * H])
        dgi[:, H:2 * H] *= dht  # d z
        drz = dgi[:, :2 * H]
        ww = A.mul(rz, rz, w[:n])
        A.sub(rz, ww, ww)  # sigmoid' = s (1 - s)
        drz *= ww
        dgh[:, :2 * H] = drz
        A.mul(dn, rz[:, :H], dgh[:, 2 * H:])
        A.matmul(dgh, w_hh, dh[:n])
        A.mul(dht, rz[:, H:], tmp[:n])
        dh[:n] += tmp[:n]
    return dgi_all, dh, None, xp.matmul(dgh_all.T, s["hp"]), dgh_all, None


# ---- Elman: h' = tanh or relu(W_ih x + b_ih + W_hh h + b_hh) ---------------------------------
def _elman_forward(A, xw, h0, w_hh, b_hh, steps, keep, relu):
    xp = A.xp
    N, H = xw.shape[0], h0.shape[1]
    whh_t = w_hh.T
    out = A.empty((N, H), xw)
    h = A.copy(h0)
    s = {"hp": A.empty((N, H), xw), "h": A.empty((N, H), xw)} if keep else None
    for _, off, n in steps:
        rows = slice(off, off + n)
        hp = h[:n]
        pre = A.matmul(hp, whh_t, out[rows])
        if b_hh is not None:
            pre += b_hh
        pre += xw[rows]
        if relu:
            if A.out:
                xp.maximum(pre, 0, out=pre)
            else:
                pre[...] = xp.where(pre > 0, pre, xp.zeros_like(pre))
        else:
            A.tanh(pre, pre)
        if keep:
            s["hp"][rows] = hp
            s["h"][rows] = pre
        h[:n] = pre
    return out, h, None, s


def _elman_backward(A, s, gout, gh, steps, w_hh, relu):
    xp = A.xp
    N, H = s["hp"].shape
    dh = A.copy(gh)
    dpre_all = A.empty((N, H), dh)
    dht_buf = A.empty((dh.shape[0], H), dh)
    for _, off, n in reversed(steps):
        rows = slice(off, off + n)
        dht = _dh_step(A, dh, gout, off, n, dht_buf)
        h, d = s["h"][rows], dpre_all[rows]
        if relu:
            d[...] = xp.where(h > 0, dht, xp.zeros_like(dht))
        else:
            A.mul(h, h, d)
            d *= -1
            d += 1
            d *= dht
        A.matmul(d, w_hh, dh[:n])
    return dpre_all, dh, None, xp.matmul(dpre_all.T, s["hp"]), dpre_all, None


def rnn_tanh_forward(A, xw, h0, c0, w_hh, b_hh, w_hr, steps, keep):
    return _elman_forward(A, xw, h0, w_hh, b_hh, steps, keep, relu=False)


def rnn_tanh_backward(A, s, gout, gh, gc, w_hh, w_hr, steps):
    return _elman_backward(A, s, gout, gh, steps, w_hh, relu=False)


def rnn_relu_forward(A, xw, h0, c0, w_hh, b_hh, w_hr, steps, keep):
    return _elman_forward(A, xw, h0, w_hh, b_hh, steps, keep, relu=True)


def rnn_relu_backward(A, s, gout, gh, gc, w_hh, w_hr, steps):
    return _elman_backward(A, s, gout, gh, steps, w_hh, relu=True)


KERNELS = {
    "LSTM": (lstm_forward, lstm_backward),
    "GRU": (gru_forward, gru_backward),
    "RNN_TANH": (rnn_tanh_forward, rnn_tanh_backward),
    "RNN_RELU": (rnn_relu_forward, rnn_relu_backward),
}
