"""Seed tutorial 3 ("torch.nn's implementation in PyTorch"), sections 1-2 and 5-10: nn.Module, layers,
activations, normalisation, dropout, containers, the functional API and nn.Parameter.

The tutorial does not seed its random inputs: ``torch.manual_seed(0)`` is added.
"""

import lanterna as torch
import lanterna.nn as nn
import lanterna.nn.functional as F

torch.manual_seed(0)


# 1. nn.Module
class MyModel(nn.Module):
    def __init__(self):
        super(MyModel, self).__init__()
        self.linear = nn.Linear(10, 1)

    def forward(self, x):
        return self.linear(x)


model = MyModel()
print(model)

# 2.1 nn.Linear
linear = nn.Linear(10, 5)
input = torch.randn(1, 10)
output = linear(input)
print(output)

# 2.2 nn.Conv2d
conv = nn.Conv2d(in_channels=1, out_channels=3, kernel_size=3)
input = torch.randn(1, 1, 5, 5)
output = conv(input)
print(output)

# 2.3 nn.MaxPool2d
maxpool = nn.MaxPool2d(kernel_size=2)
input = torch.randn(1, 1, 4, 4)
output = maxpool(input)
print(output)

# 5.1 nn.ReLU
relu = nn.ReLU()
input = torch.randn(2)
output = relu(input)
print(output)

# 6.1 nn.BatchNorm2d
batch_norm = nn.BatchNorm2d(3)
input = torch.randn(1, 3, 5, 5)
output = batch_norm(input)
print(output)

# 7.1 nn.Dropout
dropout = nn.Dropout(p=0.5)
input = torch.randn(2, 3)
output = dropout(input)
print(output)

# 8.1 nn.Sequential
model = nn.Sequential(
    nn.Linear(10, 20),
    nn.ReLU(),
    nn.Linear(20, 5)
)
input = torch.randn(1, 10)
output = model(input)
print(output)

# 8.2 nn.ModuleList
layers = nn.ModuleList([
    nn.Linear(10, 20),
    nn.ReLU(),
    nn.Linear(20, 5)
])
input = torch.randn(1, 10)
for layer in layers:
    input = layer(input)
print(input)

# 9.1 F.relu
input = torch.randn(2)
output = F.relu(input)
print(output)

# 9.2 F.cross_entropy
input = torch.randn(3, 5)
target = torch.tensor([1, 0, 4])
loss = F.cross_entropy(input, target)
print(loss)

# 9.3 F.conv2d
input = torch.randn(1, 1, 5, 5)
weight = torch.randn(3, 1, 3, 3)  # Manually defined weights
output = F.conv2d(input, weight)
print(output)


# 10. nn.Parameter
class MyModelWithParam(nn.Module):
    def __init__(self):
        super(MyModelWithParam, self).__init__()
        self.my_param = nn.Parameter(torch.randn(10, 10))

    def forward(self, x):
        return x @ self.my_param


model = MyModelWithParam()
input = torch.randn(1, 10)
output = model(input)
print(output)

# the model's parameters
for name, param in model.named_parameters():
    print(name, param.size())
