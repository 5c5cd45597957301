"""The time loops of the fused recurrent layers, on arrays: LSTM, GRU, Elman (tanh / ReLU).

Each mode has a forward, which keeps what backward needs in sequence-wide arrays (one row per
step and sequence, time-major), and a backward, which loops back over time and returns the
gradients of the input projections, the initial states and the weights, the recurrent weight
gradient as one GEMM over the whole sequence. The LSTM also has a layer form that takes the
input and ``W_ih`` instead of the input projections (``lstm_layer_forward``).

Every per-step result is written into preallocated memory (``out=`` where the array namespace
has it, assignment otherwise): a step allocates nothing, which matters as much as the arithmetic
for the small arrays of a recurrence. Rows ``[:n]`` of the ``(B, ...)`` state arrays are the
sequences still running at a step (packed sequences shrink, or grow in reverse).
"""

from __future__ import annotations

_OUT_OK: dict = {}


def _supports_out(xp):
    """Whether ``xp``'s functions take an output array as their last positional argument (NumPy's
    and CuPy's ufuncs and matmul); the Array API standard has no ``out``."""
    ok = _OUT_OK.get(xp)
    if ok is None:
        try:
            a = xp.zeros((1,))
            xp.multiply(a, a, a)
            xp.add(a, a, a)
            xp.subtract(a, a, a)
            xp.tanh(a, a)
            xp.matmul(xp.zeros((1, 1)), xp.zeros((1, 1)), xp.zeros((1, 1)))
            ok = True
        except TypeError:
            ok = False
        _OUT_OK[xp] = ok
    return ok


class Arrays:
    """``xp`` plus writes into a destination array ``dst`` (the last argument), without a
    temporary where the namespace has ``out``: its functions are then used as they are. The
    methods below are the portable path, for namespaces without ``out``."""

    def __init__(self, xp):
        self.xp = xp
        self.out = _supports_out(xp)
        if self.out:  # no Python call around each of the many small operations of a time loop
            self.matmul, self.tanh, self.mul = xp.matmul, xp.tanh, xp.multiply
            self.add, self.sub = xp.add, xp.subtract

    def empty(self, shape, like):
        return self.xp.empty(shape, dtype=like.dtype)

    def copy(self, a):
        return self.xp.asarray(a, copy=True)

    def matmul(self, a, b, dst):
        dst[...] = self.xp.matmul(a, b)
        return dst

    def tanh(self, a, dst):
        dst[...] = self.xp.tanh(a)
        return dst

    def mul(self, a, b, dst):
        dst[...] = a * b
        return dst

    def add(self, a, b, dst):
        dst[...] = a + b
        return dst

    def sub(self, a, b, dst):
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
# The gates of a sequence are kept gate-major, ``(4, N, H)``, in the order i, f, o, g. A step's
# gates are then four contiguous ``(n, H)`` blocks (NumPy runs strided 2-D slices such as
# ``x[:, H:2 H]`` 2-3x slower), the three sigmoid gates are one block, and the recurrent product
# of a step is four small GEMMs, both ways: OpenBLAS runs those on the calling thread, whereas it
# splits one ``(n, 4 H)`` GEMM across threads, and on a busy machine waiting for the second
# thread makes that product 2-4x slower. The sigmoids are ``1/2 + tanh(x/2)/2``
# with the halving folded into the weights and input projections once per sequence (exact: a
# power of two), so that one tanh call covers all four gates; NumPy's float32 tanh is faster
# than its exp, and saturates without overflow.
def _kernel_gates(A, src, dst):
    """Gate axis 0 of ``src`` (PyTorch's i, f, g, o) into ``dst`` as i, f, o, g, sigmoid gates halved."""
    A.mul(src[:2], 0.5, dst[:2])
    A.mul(src[3], 0.5, dst[2])
    dst[3] = src[2]
    return dst


def _sum4(A, t, dst):
    """``t[0] + t[1] + t[2] + t[3]`` into ``dst``, pairwise, ``t`` overwritten (two calls: half the
    time of ``xp.sum`` over axis 0 at a step's size)."""
    A.add(t[:2], t[2:], t[:2])
    return A.add(t[0], t[1], dst)


def _lstm_steps(A, pre, h0, c0, w_hr, N, steps, keep):
    """The forward time loop. ``pre(hp, rows, dst)`` writes the gate pre-activations of the
    sequence rows ``rows``, whose state is ``hp``, into ``dst`` ``(4, n, H)`` (``_kernel_gates``
    layout) and returns it."""
    (B, P), H = h0.shape, c0.shape[1]
    whr_t = None if w_hr is None else w_hr.T
    out = A.empty((N, P), h0)
    h, c = A.copy(h0), A.copy(c0)
    tmp = A.empty((B, H), h0)
    if keep:  # what backward needs, one row per step and sequence
        s = {"act": A.empty((4, N, H), h0), "cp": A.empty((N, H), h0), "tc": A.empty((N, H), h0),
             "r": A.empty((N, H), h0) if w_hr is not None else None}
        act, tc, r = s["act"], s["tc"], s["r"]
    else:  # one step's worth, used at each step's size
        s = None
        act, tc, r = A.empty((4, B, H), h0), A.empty((B, H), h0), A.empty((B, H), h0)
    prev = None  # the previous step's output
    for (_, off, n), n_next in zip(steps, [st[2] for st in steps[1:]] + [0]):
        rows = slice(off, off + n)
        cur = rows if keep else slice(0, n)
        # h is written only where the batch changes: rows that end here (h_n), or the state a
        # growing next step reads (its new rows are still the initial state's)
        hp = prev[:n] if prev is not None and prev.shape[0] >= n else h[:n]
        cp = c[:n]
        a = pre(hp, rows, act[:, cur])
        A.tanh(a, a)
        sig = a[:3]
        sig *= 0.5
        sig += 0.5
        i, f, o, g = a[0], a[1], a[2], a[3]
        if keep:
            s["cp"][rows] = cp
        A.mul(i, g, tmp[:n])
        cp *= f  # the cell state, updated in place
        cp += tmp[:n]
        t = A.tanh(cp, tc[cur])
        if w_hr is None:
            hn = A.mul(o, t, out[rows])
        else:
            hn = A.matmul(A.mul(o, t, r[cur]), whr_t, out[rows])
        if n_next != n:
            h[:n] = hn
        prev = hn
    return out, h, c, s


def lstm_forward(A, xw, h0, c0, w_hh, b_hh, w_hr, steps, keep):
    xp = A.xp
    N, P, H = xw.shape[0], h0.shape[1], c0.shape[1]
    x = xw if b_hh is None else xw + b_hh
    xs = _kernel_gates(A, xp.permute_dims(xp.reshape(x, (N, 4, H)), (1, 0, 2)), A.empty((4, N, H), xw))
    whh = _kernel_gates(A, xp.permute_dims(xp.reshape(w_hh, (4, H, P)), (0, 2, 1)), A.empty((4, P, H), xw))
    hps = A.empty((N, P), xw) if keep else None  # each row's previous state, for d W_hh

    def pre(hp, rows, dst):
        if keep:
            hps[rows] = hp
        A.matmul(hp, whh, dst)
        dst += xs[:, rows]
        return dst

    out, h, c, s = _lstm_steps(A, pre, h0, c0, w_hr, N, steps, keep)
    if keep:
        s["hp"] = hps
    return out, h, c, s


def lstm_layer_forward(A, x, w_ih, b, h0, c0, w_hh, w_hr, steps, keep):
    """An LSTM layer with its input projection (``b``: the summed biases, or None). Each step
    multiplies the rows ``[x_t, h_{t-1}, 1]`` by ``[W_ih, W_hh, b]^T`` in one product: more work
    per step than ``h_{t-1} W_hh^T`` alone (``I + P + 1`` columns instead of ``P``; the same work
    in all), but no GEMM over the whole sequence beforehand (which BLAS splits across threads) and
    no input projections to lay out gate-major and add step by step. The rows are kept for
    backward, where one GEMM gives all the weight gradients."""
    xp = A.xp
    (N, I), P, H = x.shape, h0.shape[1], c0.shape[1]
    K = I + P + (b is not None)
    z = A.empty((N, K), x)  # [x, h_prev, 1] per row; the h_prev columns are filled step by step
    z[:, :I] = x
    w = A.empty((4 * H, K), x)
    w[:, :I] = w_ih
    w[:, I:I + P] = w_hh
    if b is not None:
        z[:, I + P] = 1
        w[:, I + P] = b
    wz = _kernel_gates(A, xp.permute_dims(xp.reshape(w, (4, H, K)), (0, 2, 1)), A.empty((4, K, H), x))

    def pre(hp, rows, dst):
        zt = z[rows]
        zt[:, I:I + P] = hp
        return A.matmul(zt, wz, dst)

    out, h, c, s = _lstm_steps(A, pre, h0, c0, w_hr, N, steps, keep)
    if keep:
        s["z"] = z
    return out, h, c, s


def _lstm_factors(A, s):
    """What backward multiplies each step's gradients by, for the whole sequence at once: ``m``
    (gate-major, PyTorch's gate order) ``= [g i', c_prev f', i g', tanh(c) o']`` (``'``: the
    derivative of the gate's non-linearity), so that ``d pre = [dc, dc, dc, dh] * m``; and
    ``q = o (1 - tanh(c)^2)``, so that ``dc += dh q``."""
    act, cp, tc = s["act"], s["cp"], s["tc"]
    i, f, o, g = act[0], act[1], act[2], act[3]
    m, q = A.empty(act.shape, act), A.empty(tc.shape, tc)
    A.mul(act[:2], act[:2], m[:2])
    A.sub(act[:2], m[:2], m[:2])  # sigmoid' = s - s^2
    A.mul(o, o, m[3])
    A.sub(o, m[3], m[3])
    m[0] *= g
    m[1] *= cp
    m[3] *= tc
    A.mul(g, g, m[2])
    m[2] *= i
    A.sub(i, m[2], m[2])  # i tanh' = i - i g^2
    A.mul(tc, tc, q)
    q *= o
    A.sub(o, q, q)
    return m, q


def _lstm_steps_back(A, s, gout, gh, gc, w_hh, w_hr, steps):
    """The backward time loop: the gradients of the pre-activations ``(N, 4 H)`` (PyTorch's gate
    order), of the initial states and of ``W_hr``."""
    xp = A.xp
    (N, H), P = s["cp"].shape, gh.shape[1]
    f = s["act"][1]
    # ``m`` becomes the gradient of the pre-activations, step by step in place (PyTorch's gate
    # order): four (n, H) @ (H, P) GEMMs and a sum over gates then give d h (see above).
    m, q = _lstm_factors(A, s)
    whh = xp.reshape(w_hh, (4, H, P))
    dh = A.copy(gh)
    dc = A.copy(gc)
    B = dh.shape[0]
    dproj_all = A.empty((N, P), dh) if w_hr is not None else None
    dht_buf, dct_buf = A.empty((B, P), dh), A.empty((B, H), dh)
    dr_buf = A.empty((B, H), dh) if w_hr is not None else None
    dh4 = A.empty((4, B, P), dh)
    for _, off, n in reversed(steps):
        rows = slice(off, off + n)
        if w_hr is None:
            dr = _dh_step(A, dh, gout, off, n, dht_buf)
        else:
            dht = _dh_step(A, dh, gout, off, n, dproj_all[off:])
            dr = A.matmul(dht, w_hr, dr_buf[:n])
        dct = A.mul(dr, q[rows], dct_buf[:n])
        dct += dc[:n]  # dc + dh o (1 - tanh(c)^2)
        dpre = m[:, rows]
        dpre[:3] *= dct
        dpre[3] *= dr
        A.mul(dct, f[rows], dc[:n])
        _sum4(A, A.matmul(dpre, whh, dh4[:, :n]), dh[:n])
    dpre_all = A.empty((N, 4 * H), dh)  # row-major for the weight gradients' GEMMs
    xp.reshape(dpre_all, (N, 4, H))[...] = xp.permute_dims(m, (1, 0, 2))
    d_whr = None if w_hr is None else xp.matmul(dproj_all.T, s["r"])
    return dpre_all, dh, dc, d_whr


def lstm_backward(A, s, gout, gh, gc, w_hh, w_hr, steps):
    dpre, dh, dc, d_whr = _lstm_steps_back(A, s, gout, gh, gc, w_hh, w_hr, steps)
    return dpre, dh, dc, A.xp.matmul(dpre.T, s["hp"]), dpre, d_whr


def lstm_layer_backward(A, s, gout, gh, gc, w_ih, w_hh, w_hr, steps, need_dx):
    """Backward of ``lstm_layer_forward``: ``(d x or None, d h0, d c0, d W_ih, d W_hh, d b or None,
    d W_hr)``."""
    dpre, dh, dc, d_whr = _lstm_steps_back(A, s, gout, gh, gc, w_hh, w_hr, steps)
    I, P = w_ih.shape[1], w_hh.shape[1]
    dw = A.xp.matmul(dpre.T, s["z"])  # [d W_ih, d W_hh, d b]
    dx = A.xp.matmul(dpre, w_ih) if need_dx else None
    db = A.copy(dw[:, I + P]) if dw.shape[1] > I + P else None
    return dx, dh, dc, A.copy(dw[:, :I]), A.copy(dw[:, I:I + P]), db, d_whr


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
