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

import contextlib

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

    def exp(self, a, dst):
        if self.out:
            return self.xp.exp(a, out=dst)
        dst[...] = self.xp.exp(a)
        return dst

    def reciprocal(self, a, dst):
        if self.out:
            return self.xp.divide(1, a, out=dst)
        dst[...] = 1 / a
        return dst

    def neg(self, a, dst):
        if self.out:
            return self.xp.negative(a, out=dst)
        dst[...] = -a
        return dst

    def quiet_overflow(self):
        """A context in which overflow to infinity is not warned about (NumPy warns)."""
        errstate = getattr(self.xp, "errstate", None)
        return contextlib.nullcontext() if errstate is None else errstate(over="ignore")

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


def _dh_step(A, dh, gout, off, n, buf):
    """Gradient reaching step's hidden output: from the next step (``dh``) plus the output's."""
    dht = buf[:n]
    if gout is None:
        dht[...] = dh[:n]
        return dht
    return A.add(dh[:n], gout[off:off + n], dht)


# ---- LSTM: gates i, f, g, o; c' = f c + i g; h' = o tanh(c') (then h' W_hr^T) ----------------
# Inside the time loop a step's gates are gate-major, ``(4, rows, hidden)``, in the order i, f, o, g:
# every gate is then a contiguous block (NumPy runs strided 2-D slices about 3x slower) and the
# three sigmoid gates are one block. Their pre-activations come negated (weights and input
# projections negated once per sequence, which is exact), so that the sigmoids are computed as
# ``1 / (1 + exp(.))`` in place: NumPy's float32 ``exp`` is about twice as fast as its ``tanh``.
def _kernel_gates(A, src, dst):
    """Gate axis 0 of ``src`` (PyTorch's i, f, g, o) into ``dst`` as i, f, o, g, sigmoids negated."""
    A.neg(src[:2], dst[:2])
    A.neg(src[3], dst[2])
    dst[3] = src[2]
    return dst


def _runs(steps):
    """``(off, k, n)``: the steps in memory order, grouped in runs of ``k`` steps of ``n`` rows."""
    runs = []
    for _, off, n in sorted(steps, key=lambda st: st[1]):
        if runs and runs[-1][2] == n:
            runs[-1][1] += 1
        else:
            runs.append([off, 1, n])
    return runs


def _blocks(A, flat, runs, g, H):
    """``{off: (g, n, H) view}`` of each step's block of a flat gate-major array (one reshape per run)."""
    views = {}
    for off, k, n in runs:
        run = A.xp.reshape(flat[off * g * H:(off + k * n) * g * H], (k, g, n, H))
        views.update((off + j * n, run[j]) for j in range(k))
    return views


def _gate_major(A, x, runs, H):
    """``x`` ``(N, 4 H)`` as a flat array of per-step ``(4, n, H)`` blocks in ``_kernel_gates`` order."""
    xp = A.xp
    out = A.empty((x.shape[0] * 4 * H,), x)
    for off, k, n in runs:
        src = xp.reshape(x[off:off + k * n], (k, n, 4, H))
        dst = xp.reshape(out[off * 4 * H:(off + k * n) * 4 * H], (k, 4, n, H))
        _kernel_gates(A, xp.permute_dims(src, (2, 0, 1, 3)), xp.permute_dims(dst, (1, 0, 2, 3)))
    return out


def lstm_forward(A, xw, h0, c0, w_hh, b_hh, w_hr, steps, keep):
    xp = A.xp
    N, (B, P), H = xw.shape[0], h0.shape, c0.shape[1]
    runs = _runs(steps)
    xs = _blocks(A, _gate_major(A, xw if b_hh is None else xw + b_hh, runs, H), runs, 4, H)
    whh = _kernel_gates(A, xp.permute_dims(xp.reshape(w_hh, (4, H, P)), (0, 2, 1)), A.empty((4, P, H), xw))
    whr_t = None if w_hr is None else w_hr.T
    out = A.empty((N, P), xw)
    h, c = A.copy(h0), A.copy(c0)
    tmp = A.empty((B, H), xw)
    if keep:  # everything backward needs, each step's act a (4, n, H) block of a flat array
        s = {"runs": runs, "act": A.empty((N * 4 * H,), xw), "hp": A.empty((N, P), xw), "cp": A.empty((N, H), xw),
             "tc": A.empty((N, H), xw), "r": A.empty((N, H), xw) if w_hr is not None else None}
        acts, tc, r = _blocks(A, s["act"], runs, 4, H), s["tc"], s["r"]
    else:  # one step's worth of buffers, viewed at each step's size
        s, buf = None, A.empty((B * 4 * H,), xw)
        acts = {off: xp.reshape(buf[:4 * n * H], (4, n, H)) for _, off, n in steps}
        tc, r = A.empty((B, H), xw), A.empty((B, H), xw)
    with A.quiet_overflow():  # exp(-x) overflows to inf for very negative x: the sigmoid is then 0
        for _, off, n in steps:
            rows = slice(off, off + n) if keep else slice(0, n)
            hp, cp = h[:n], c[:n]
            a = A.matmul(hp, whh, acts[off])
            a += xs[off]
            sig = a[:3]
            A.exp(sig, sig)
            sig += 1
            A.reciprocal(sig, sig)
            i, f, o, g = a[0], a[1], a[2], a[3]
            A.tanh(g, g)
            if keep:
                s["hp"][rows] = hp
                s["cp"][rows] = cp
            A.mul(i, g, tmp[:n])
            cp *= f  # the cell state, updated in place
            cp += tmp[:n]
            t = A.tanh(cp, tc[rows])
            if w_hr is None:
                hn = A.mul(o, t, out[off:off + n])
            else:
                hn = A.matmul(A.mul(o, t, r[rows]), whr_t, out[off:off + n])
            h[:n] = hn
    return out, h, c, s


def _lstm_factors(A, s, H):
    """What backward multiplies each step's gradients by, for a whole run of steps at once (one
    contiguous block per gate and step): ``m`` (gate-major blocks, PyTorch's gate order) ``= [g i',
    c_prev f', i g', tanh(c) o']`` (``'``: the derivative of the gate's non-linearity), so that
    ``d pre = [dc, dc, dc, dh] * m``; and ``q = o (1 - tanh(c)^2)``, so that ``dc += dh q``."""
    xp = A.xp
    act = s["act"]
    N = s["cp"].shape[0]
    m, q = A.empty(act.shape, act), A.empty((N, H), act)
    for off, k, n in s["runs"]:
        a4, m4 = (xp.reshape(x[off * 4 * H:(off + k * n) * 4 * H], (k, 4, n, H)) for x in (act, m))
        cp, tc, q3 = (xp.reshape(x[off:off + k * n], (k, n, H)) for x in (s["cp"], s["tc"], q))
        i, f, o, g = a4[:, 0], a4[:, 1], a4[:, 2], a4[:, 3]
        for sig, times, dst in ((i, g, m4[:, 0]), (f, cp, m4[:, 1]), (o, tc, m4[:, 3])):
            A.mul(sig, sig, dst)
            A.sub(sig, dst, dst)  # sigmoid' = s - s^2
            dst *= times
        A.mul(g, g, m4[:, 2])
        m4[:, 2] *= i
        A.sub(i, m4[:, 2], m4[:, 2])  # i tanh' = i - i g^2
        A.mul(tc, tc, q3)
        q3 *= o
        A.sub(o, q3, q3)
    return m, q


def lstm_backward(A, s, gout, gh, gc, w_hh, w_hr, steps):
    xp = A.xp
    (N, P), H = s["hp"].shape, s["cp"].shape[1]
    m, q = _lstm_factors(A, s, H)
    ms, acts = _blocks(A, m, s["runs"], 4, H), _blocks(A, s["act"], s["runs"], 4, H)
    dh = A.copy(gh)
    dc = A.copy(gc)
    B = dh.shape[0]
    dpre_all = A.empty((N, 4 * H), dh)
    dpre_gm = xp.permute_dims(xp.reshape(dpre_all, (N, 4, H)), (1, 0, 2))  # gate-major view
    dproj_all = A.empty((N, P), dh) if w_hr is not None else None
    dht_buf, dct_buf = A.empty((B, P), dh), A.empty((B, H), dh)
    dr_buf = A.empty((B, H), dh) if w_hr is not None else None
    for _, off, n in reversed(steps):
        rows = slice(off, off + n)
        if w_hr is None:
            dr = _dh_step(A, dh, gout, off, n, dht_buf)
        else:
            dht = _dh_step(A, dh, gout, off, n, dproj_all[off:])
            dr = A.matmul(dht, w_hr, dr_buf[:n])
        dct = A.mul(dr, q[rows], dct_buf[:n])
        dct += dc[:n]  # dc + dh o (1 - tanh(c)^2)
        mt = ms[off]
        A.mul(mt[:3], dct, dpre_gm[:3, rows])
        A.mul(mt[3], dr, dpre_gm[3, rows])
        A.mul(dct, acts[off][1], dc[:n])
        A.matmul(dpre_all[rows], w_hh, dh[:n])
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
