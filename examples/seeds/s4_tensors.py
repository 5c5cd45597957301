"""Seed tutorial 4 ("PyTorch" notes), tensors: scalar/vector/matrix, creation, arithmetic, indexing, view
and NumPy interop.

Written as a notebook: each cell's displayed value is printed. Fixed: ``tensor(42, )`` ->
``torch.tensor(42.)``, the matrix literal gets its outer brackets, and ``x`` is a 5x3 random
matrix again before ``x + y`` (the notebook re-ran that cell). ``torch.empty`` is
uninitialised, so only its shape is printed. ``torch.manual_seed(0)`` is added.
"""

import numpy as np

import lanterna as torch

torch.manual_seed(0)

# scalar
x = torch.tensor(42.)
print(x, x.dim(), 2 * x, x.item())
# vector
v = torch.tensor([1.5, -0.5, 3.0])
print(v, v.dim(), v.size())
# matrix
M = torch.tensor([[1., 2.], [3., 4.]])
print(M, M.matmul(M), torch.tensor([1., 0.]).matmul(M), M * M)

# an uninitialised matrix
x = torch.empty(5, 3)
print(x.shape)

# a random matrix
x = torch.rand(5, 3)
print(x)

# all zeros
x = torch.zeros(5, 3)
print(x)
print(torch.zeros(5, 3, dtype=torch.long))

# from data
x = torch.tensor([5.5, 3])
print(x)
x = x.new_ones(5, 3, dtype=torch.double)
print(x)
x = torch.randn_like(x, dtype=torch.float)
print(x)

# the size
x = torch.rand(5, 3)
print(x.size())

# arithmetic
y = torch.rand(5, 3)
print(x + y)
print(torch.add(x, y))  # also addition

# indexing
print(x[:, 1])

# view changes the shape
x = torch.randn(4, 4)  # the original matrix
y = x.view(16)  # one dimension
z = x.view(-1, 8)  # -1: inferred from the other dimensions
print(x.size(), y.size(), z.size())
# torch.Size([4, 4]) torch.Size([16]) torch.Size([2, 8])

# with numpy
a = torch.ones(5)
b = a.numpy()
print(repr(b))
# array([1., 1., 1., 1., 1.], dtype=float32): a tensor to an array
a.add_(1)
print(b)  # they share memory

a = np.ones(5)
b = torch.from_numpy(a)
print(b)
# tensor([1., 1., 1., 1., 1.], dtype=torch.float64): an array to a tensor
np.add(a, 1, out=a)
print(b)
