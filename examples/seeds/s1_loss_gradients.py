"""Seed tutorial 1 ("PyTorch usage notes"), section 5.1: gradients of a loss with torch.autograd.grad and
with backward().

Fixed so it runs: ``w`` is created as a float tensor that requires grad (``torch.full([1], 2)``
is an int64 tensor without grad), the loss is computed again before ``backward()`` (the graph
of the first one was freed by ``autograd.grad``), and the softmax example uses an input that
requires grad and backpropagates one (scalar) output. ``torch.manual_seed(0)`` is added.
"""

import lanterna as torch
import lanterna.nn.functional as F

torch.manual_seed(0)

# MSE
x = torch.ones(1)
w = torch.full([1], 2., requires_grad=True)  # y = wx
mse = F.mse_loss(torch.ones(1), x * w)
print(mse)
# the gradient of the loss: the first argument is the loss, the second the network's parameters
print(torch.autograd.grad(mse, [w]))

# or call backward() on the loss
mse = F.mse_loss(torch.ones(1), x * w)
mse.backward()
print(w.grad)

# CEL: softmax
a = torch.rand(3, requires_grad=True)
p = F.softmax(a, dim=0)
print(p)
print(torch.autograd.grad(p[1], [a], retain_graph=True))  # dp1/da_i
p[2].backward()
print(a.grad)  # dp2/da_i = p2 (delta_2i - p_i)
