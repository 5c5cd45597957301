"""Seed tutorial 1 ("PyTorch usage notes"), section 6: minimise a function with torch.optim.Adam.

The tutorial leaves ``f`` undefined; it is the Himmelblau function of the course it follows.
Fixed: the start point is a float tensor (an int64 tensor cannot require grad). A line is
printed every 2000 steps. ``LANTERNA_EXAMPLES_QUICK=1`` runs 200 steps instead of 20000.
"""

import os

import lanterna as torch


def f(x):
    """Himmelblau's function: four minima of value 0, one at (3, 2)."""
    return (x[0] ** 2 + x[1] - 11) ** 2 + (x[0] + x[1] ** 2 - 7) ** 2


steps = 200 if os.environ.get("LANTERNA_EXAMPLES_QUICK") == "1" else 20000

x = torch.tensor([0., 0.], requires_grad=True)
optimizer = torch.optim.Adam([x], lr=1e-3)  # the optimizer takes the parameters and the learning rate

for step in range(steps):
    pred = f(x)

    optimizer.zero_grad()
    pred.backward()  # computes the gradients
    optimizer.step()  # each step updates x' = x - lr * dx, y' = y - lr * dy ...

    if step % 2000 == 0 or step == steps - 1:
        print('step {}: x = {}, f(x) = {}'.format(step, x.tolist(), pred.item()))
