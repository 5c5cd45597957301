"""Seed tutorial 1 ("PyTorch usage notes"), sections 14.1 and 14.3: a Flatten module and gradient clipping.

The clipping snippet's model, data, loss and optimizer are left undefined by the tutorial; a
small model on ``y = 2x + 3`` data stands in. ``torch.manual_seed(0)`` is added.
"""

import lanterna as torch
import lanterna.nn as nn


# 14.1 flatten
class Flatten(nn.Module):
    def __init__(self):
        super(Flatten, self).__init__()

    def forward(self, input):
        return input.view(input.size(0), -1)


torch.manual_seed(0)
images = torch.rand(4, 3, 8, 8)
print(Flatten()(images).shape, torch.equal(Flatten()(images), nn.Flatten()(images)))

# 14.3 gradient clipping
model = nn.Sequential(Flatten(), nn.Linear(1, 8), nn.Tanh(), nn.Linear(8, 1))
optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
loss_fun = nn.MSELoss()
x = torch.rand(16, 1) * 20
y = x * 2 + 3

output = model(x)
loss = loss_fun(output, y)
model.zero_grad()
loss.backward()
for p in model.parameters():
    norm = torch.nn.utils.clip_grad_norm_(p, 10)  # clip to a norm of at most 10
    print(tuple(p.shape), round(norm.item(), 3), round(p.grad.norm().item(), 3))
optimizer.step()
print(loss_fun(model(x), y) < loss)
