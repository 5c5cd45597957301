"""Seed tutorial 3 ("torch.nn's implementation in PyTorch"), sections 3-4: MSELoss, CrossEntropyLoss and
training loops with optim.SGD and optim.Adam.

The tutorial trains on fresh random data and prints nothing; the last loss of each loop is
printed. ``torch.manual_seed(0)`` is added. ``LANTERNA_EXAMPLES_QUICK=1`` runs 10 epochs
instead of 100.
"""

import os

import lanterna as torch
import lanterna.nn as nn
import lanterna.optim as optim

torch.manual_seed(0)
epochs = 10 if os.environ.get("LANTERNA_EXAMPLES_QUICK") == "1" else 100


class MyModel(nn.Module):
    def __init__(self):
        super(MyModel, self).__init__()
        self.linear = nn.Linear(10, 1)

    def forward(self, x):
        return self.linear(x)


# 3.1 nn.MSELoss
mse_loss = nn.MSELoss()
input = torch.randn(3, 5)
target = torch.randn(3, 5)
loss = mse_loss(input, target)
print(loss)

# 3.2 nn.CrossEntropyLoss
cross_entropy_loss = nn.CrossEntropyLoss()
input = torch.randn(3, 5)
target = torch.tensor([1, 0, 4])
loss = cross_entropy_loss(input, target)
print(loss)

# 4.1 torch.optim.SGD
model = MyModel()
optimizer = optim.SGD(model.parameters(), lr=0.01)
criterion = nn.MSELoss()

# Training loop
for epoch in range(epochs):
    optimizer.zero_grad()
    output = model(torch.randn(1, 10))
    loss = criterion(output, torch.randn(1, 1))
    loss.backward()
    optimizer.step()
print(loss)

# 4.2 torch.optim.Adam
optimizer = optim.Adam(model.parameters(), lr=0.001)

# Training loop
for epoch in range(epochs):
    optimizer.zero_grad()
    output = model(torch.randn(1, 10))
    loss = criterion(output, torch.randn(1, 1))
    loss.backward()
    optimizer.step()
print(loss)
print(model.linear.bias)
