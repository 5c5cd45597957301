"""Seed tutorial 1 ("PyTorch usage notes"), section 4: plot relu, sigmoid, tanh and softplus.

The plot is saved as activations.png in a temporary folder (or ``$LANTERNA_EXAMPLES_OUT``)
with matplotlib's Agg backend instead of ``plt.show()``; a few sampled values are printed.
"""

import os
import tempfile

import lanterna as torch
import lanterna.nn.functional as F
from lanterna.autograd import Variable

OUT = os.environ.get("LANTERNA_EXAMPLES_OUT") or tempfile.mkdtemp(prefix="lanterna-examples-")

x = torch.linspace(-5, 5, 200)
x = Variable(x)

x_np = x.data.numpy()

y_relu = F.relu(x).data.numpy()
y_sigmoid = F.sigmoid(x).data.numpy()
y_tanh = F.tanh(x).data.numpy()
y_softplus = F.softplus(x).data.numpy()

print(torch.sigmoid(torch.tensor([0.0])), torch.tanh(torch.tensor([0.0])))
print(torch.relu(torch.tensor([-1.0, 2.0])))
for name, y in [("relu", y_relu), ("sigmoid", y_sigmoid), ("tanh", y_tanh), ("softplus", y_softplus)]:
    print(name, y.dtype, y.shape, y[::40].round(4))

import matplotlib  # noqa: E402

matplotlib.use("Agg")  # no window: the figure goes to a PNG file
import matplotlib.pyplot as plt  # noqa: E402

plt.figure(1, figsize=(8, 6))
plt.subplot(221)
plt.plot(x_np, y_relu, c='red', label='relu')
plt.ylim((-1, 5))
plt.legend(loc='best')

plt.subplot(222)
plt.plot(x_np, y_sigmoid, c='red', label='sigmoid')
plt.ylim((-0.2, 1.2))
plt.legend(loc='best')

plt.subplot(223)
plt.plot(x_np, y_tanh, c='red', label='tanh')
plt.ylim((-1.2, 1.2))
plt.legend(loc='best')

plt.subplot(224)
plt.plot(x_np, y_softplus, c='red', label='softplus')
plt.ylim((-0.2, 6))
plt.legend(loc='best')

plt.savefig(os.path.join(OUT, "activations.png"))  # the tutorial calls plt.show()
print("saved activations.png")
