"""Seed tutorial 2 ("PyTorch basics"), the loss formulas it states, checked: BCELoss on sigmoid outputs
equals BCEWithLogitsLoss (also with pos_weight), CrossEntropyLoss equals LogSoftmax + NLLLoss
(with class weights and ignore_index), and nn.Conv2d's forward is F.conv2d.

The tutorial has formulas but no code for these; every printed pair should agree.
``torch.manual_seed(0)`` is added.
"""

import lanterna as torch
import lanterna.nn as nn
import lanterna.nn.functional as F

torch.manual_seed(0)

# sigmoid, BCELoss, BCEWithLogitsLoss
x = torch.randn(4, 3)  # (N, *): 4 samples, 3 binary labels each
y = torch.randint(0, 2, (4, 3)).float()
print(nn.Sigmoid()(x))
print(nn.BCELoss()(torch.sigmoid(x), y), nn.BCEWithLogitsLoss()(x, y))
print(nn.BCELoss(reduction='none')(torch.sigmoid(x), y))
w = torch.tensor([1.0, 2.0, 0.5, 1.0]).view(4, 1)
print(nn.BCELoss(weight=w)(torch.sigmoid(x), y), nn.BCEWithLogitsLoss(weight=w)(x, y))
pos_weight = torch.tensor([3.0, 1.0, 0.5])
manual = -(pos_weight * y * F.logsigmoid(x) + (1 - y) * F.logsigmoid(-x)).mean()
print(nn.BCEWithLogitsLoss(pos_weight=pos_weight)(x, y), manual)

# softmax, LogSoftmax, NLLLoss, CrossEntropyLoss
x = torch.randn(5, 4)  # (N, C)
target = torch.tensor([1, 0, 3, 3, 2])
print(nn.Softmax(dim=1)(x).sum(dim=1))
print(nn.LogSoftmax(dim=1)(x))
print(nn.CrossEntropyLoss()(x, target), nn.NLLLoss()(nn.LogSoftmax(dim=1)(x), target))
weight = torch.tensor([1.0, 2.0, 0.5, 1.0])
print(nn.CrossEntropyLoss(weight=weight)(x, target), nn.NLLLoss(weight=weight)(F.log_softmax(x, 1), target))
print(nn.CrossEntropyLoss(ignore_index=3)(x, target), nn.CrossEntropyLoss(reduction='none')(x, target))
x_nd = torch.randn(2, 4, 3, 3)  # (N, C, d1, d2)
t_nd = torch.randint(0, 4, (2, 3, 3))
print(nn.CrossEntropyLoss()(x_nd, t_nd), nn.NLLLoss()(F.log_softmax(x_nd, 1), t_nd))

# torch.nn vs torch.nn.functional: nn.Conv2d's forward() is F.conv2d with its own parameters
conv = nn.Conv2d(2, 3, 3)
image = torch.randn(1, 2, 5, 5)
print(torch.allclose(conv(image), F.conv2d(image, conv.weight, conv.bias)))
print(torch.equal(nn.MaxPool2d(2)(image), F.max_pool2d(image, 2)), torch.equal(nn.ReLU()(x), F.relu(x)))
