"""Random numbers on the GPU: one CuPy (cuRAND) stream per device, with Lanterna's generator API.

``lanterna.manual_seed(s)`` / ``lanterna.cuda.manual_seed_all(s)`` make CUDA draws reproducible
from run to run, but the numbers are CuPy's (cuRAND XORWOW), not PyTorch's CUDA stream (Philox):
a seeded model initialised on ``cuda`` differs from one initialised by PyTorch on CUDA. To get
PyTorch's exact weights, initialise on the CPU (bit-exact with torch) and move the model with
``.cuda()``.
"""

from __future__ import annotations

import numpy as np

_DEFAULT_SEED = 67280421310721  # PyTorch's default seed, for every device


class CUDAGenerator:
    """The generator of one CUDA device; draws return CuPy arrays on that device."""

    def __init__(self, backend, index, seed=_DEFAULT_SEED):
        self._backend = backend
        self.index = index
        self._state = None
        self.manual_seed(seed)

    # --- seeding and state
    def manual_seed(self, seed):
        seed = int(seed)
        if not -(1 << 63) <= seed < (1 << 64):
            raise RuntimeError("Overflow when unpacking long long")
        self._seed = seed % (1 << 64)
        self._state = None  # created on the first draw: seeding never imports CuPy
        self._draws = 0
        return self

    def seed(self):
        import os

        s = int.from_bytes(os.urandom(8), "little") >> 1
        self.manual_seed(s)
        return s

    def initial_seed(self):
        return self._seed

    def get_state(self):
        """16 bytes, as PyTorch's CUDA state: the seed and the number of draws since seeding."""
        return np.frombuffer(np.array([self._seed, self._draws], dtype="<u8").tobytes(), np.uint8).copy()

    def set_state(self, state):
        seed, draws = np.frombuffer(np.asarray(state, dtype=np.uint8).tobytes(), dtype="<u8")
        if draws:
            raise NotImplementedError(
                "lanterna-cuda can restore a CUDA generator state only as it was right after seeding "
                "(cuRAND states cannot be saved); use manual_seed")
        self.manual_seed(int(seed))

    # --- the stream
    def _rs(self):
        cp = self._backend.cupy
        if self._state is None:
            with cp.cuda.Device(self.index):
                self._state = cp.random.RandomState(self._seed)
        self._draws += 1
        return cp, self._state

    def _on_device(self, fn):
        cp, rs = self._rs()
        with cp.cuda.Device(self.index):
            return fn(cp, rs)

    # --- draws (``dtype`` is a NumPy dtype; CuPy draws float32/float64, half is cast)
    def uniform(self, shape, dtype, low=0.0, high=1.0):
        dtype = np.dtype(dtype)
        draw = dtype if dtype in (np.float32, np.float64) else np.float32
        return self._on_device(
            lambda cp, rs: rs.uniform(low, high, size=shape, dtype=draw).astype(dtype, copy=False))

    def normal(self, shape, dtype, mean=0.0, std=1.0):
        dtype = np.dtype(dtype)
        draw = dtype if dtype in (np.float32, np.float64) else np.float32
        return self._on_device(
            lambda cp, rs: rs.normal(mean, std, size=shape, dtype=draw).astype(dtype, copy=False))

    def normal_tensor(self, mean, std, dtype):
        def draw(cp, rs):
            m, s = cp.asarray(mean, dtype=dtype), cp.asarray(std, dtype=dtype)
            shape = np.broadcast_shapes(m.shape, s.shape)
            z = rs.standard_normal(shape, dtype=np.float64 if np.dtype(dtype) == np.float64 else np.float32)
            return (z.astype(dtype) * s + m).astype(dtype)

        return self._on_device(draw)

    def random_int(self, shape, low, high, dtype):
        low, high = int(low), int(high)
        if low >= high:
            raise RuntimeError(
                f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")
        return self._on_device(
            lambda cp, rs: rs.randint(low, high, size=shape, dtype=np.int64).astype(dtype, copy=False))

    def randperm(self, n, dtype=np.int64):
        return self._on_device(lambda cp, rs: rs.permutation(int(n)).astype(dtype, copy=False))

    def bernoulli(self, p, shape=None, dtype=np.float32):
        def draw(cp, rs):
            if np.ndim(p) == 0 and not hasattr(p, "shape"):
                return (rs.random_sample(shape, dtype=np.float64) < float(p)).astype(dtype)
            q = cp.asarray(p)
            out_shape = q.shape if shape is None else tuple(shape)
            u = rs.random_sample(out_shape, dtype=np.float64 if q.dtype == np.float64 else np.float32)
            return (u < q).astype(dtype)

        return self._on_device(draw)

    def exponential(self, shape, dtype, lambd=1.0):
        def draw(cp, rs):  # -log(1 - u) / lambda, in double, then cast (as PyTorch)
            return (-cp.log1p(-rs.random_sample(shape, dtype=np.float64)) / float(lambd)).astype(dtype)

        return self._on_device(draw)

    def multinomial(self, probs, num_samples, replacement=False):
        """Indices (int64) drawn from the rows of ``probs`` (1-D or 2-D), on the device."""

        def draw(cp, rs):
            p = cp.asarray(probs)
            rows = p.reshape(1, -1) if p.ndim == 1 else p
            k = int(num_samples)
            if not replacement or k == 1:
                # the exponential race: top-k of p / Exp(1) samples without replacement
                q = rows / -cp.log1p(-rs.random_sample(rows.shape, dtype=np.float64)).astype(rows.dtype)
                out = cp.argsort(-q, axis=1)[:, :k]
            else:
                cum = cp.cumsum(rows.astype(np.float64), axis=1)
                cum /= cum[:, -1:]
                u = rs.random_sample((rows.shape[0], k), dtype=np.float64)
                out = cp.stack([cp.searchsorted(cum[i], u[i], side="left") for i in range(rows.shape[0])])
                out = cp.minimum(out, rows.shape[1] - 1)
            out = out.astype(np.int64)
            return out[0] if p.ndim == 1 else out

        return self._on_device(draw)
