"""Seed tutorial 1 ("PyTorch usage notes"), section 14.2: torch.manual_seed makes random data reproducible.

The tutorial imports torch as ``t`` and plots the fake data; the scatter plot is saved as
fake_data.png in a temporary folder (or ``$LANTERNA_EXAMPLES_OUT``) with matplotlib's Agg
backend, and the data are printed.
"""

import os
import tempfile

import matplotlib

matplotlib.use("Agg")  # no window: the figure goes to a PNG file
import matplotlib.pyplot as plt  # noqa: E402

import lanterna as t  # noqa: E402

OUT = os.environ.get("LANTERNA_EXAMPLES_OUT") or tempfile.mkdtemp(prefix="lanterna-examples-")

t.manual_seed(1000)


def get_fake_data(batch_size=8):
    '''Random data: y = x*2 + 3, plus some noise'''
    x = t.rand(batch_size, 1) * 20
    y = x * 2 + (1 + t.randn(batch_size, 1)) * 3
    return x, y


x, y = get_fake_data()
plt.scatter(x.squeeze().numpy(), y.squeeze().numpy())
plt.savefig(os.path.join(OUT, "fake_data.png"))
print(x.squeeze())
print(y.squeeze())

# the same seed gives the same numbers again
t.manual_seed(1000)
x2, y2 = get_fake_data()
print(t.equal(x, x2), t.equal(y, y2))
