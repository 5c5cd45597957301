"""Seed tutorial 4 ("PyTorch" notes), automatic differentiation: requires_grad, leaves, backward and
accumulated gradients.

Fixed: ``x.require_grad`` -> ``x.requires_grad``; the tutorial leaves ``b`` undefined (a random
3x4 tensor that requires grad stands in) and prints ``z.requires_grad`` before ``z`` exists
(``t`` is printed instead). ``torch.manual_seed(0)`` is added.
"""

import lanterna as torch

torch.manual_seed(0)

# way 1: a 3x4 matrix that requires grad
x = torch.randn(3, 4, requires_grad=True)
print(x)

# way 2: create it, then switch requires_grad on
x = torch.randn(3, 4)
x.requires_grad = True
print(x)

b = torch.randn(3, 4, requires_grad=True)
t = x + b
y = t.sum()
print(y)
# tensor(..., grad_fn=<SumBackward0>): the sum of t's elements

y.backward()
print(b.grad)

print(x.requires_grad, b.requires_grad, t.requires_grad)
# True True True

# the example: z = w * x + b
x = torch.rand(1)
b = torch.rand(1, requires_grad=True)
w = torch.rand(1, requires_grad=True)
y = w * x
z = y + b
print(x.requires_grad, b.requires_grad, w.requires_grad, y.requires_grad)
# False True True True: w requires grad because it was created that way

# which nodes are leaves
print(x.is_leaf, w.is_leaf, b.is_leaf, y.is_leaf, z.is_leaf)
# True True True False False

# backpropagate
z.backward(retain_graph=True)  # gradients accumulate unless zeroed
print(w.grad)
print(b.grad)
z.backward()
print(w.grad, torch.equal(w.grad, 2 * x))
print(b.grad)
