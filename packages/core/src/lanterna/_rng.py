"""Temporary generator (replaced by the PyTorch-exact mt19937 stream)."""
import numpy as np

class Generator:
    def __init__(self, seed=67280421310721): self.manual_seed(seed)
    def manual_seed(self, s): self.s=s; self.r=np.random.default_rng(s); return self
    def initial_seed(self): return self.s
    def seed(self): return 0
    def uniform(self, shape, dtype, low=0.0, high=1.0): return (self.r.random(shape)*(high-low)+low).astype(dtype)
    def normal(self, shape, dtype, mean=0.0, std=1.0): return (self.r.standard_normal(shape)*std+mean).astype(dtype)
    def random_int(self, shape, low, high, dtype): return self.r.integers(low, high, shape).astype(dtype)
    def randperm(self, n, dtype=np.int64): return self.r.permutation(n).astype(dtype)
    def bernoulli(self, p, shape, dtype): return (self.r.random(shape) < p).astype(dtype)
    def multinomial(self, probs, n, replacement): return np.zeros(n, np.int64)
    def get_state(self): return np.zeros(5056, np.uint8)
default_generator = Generator()
