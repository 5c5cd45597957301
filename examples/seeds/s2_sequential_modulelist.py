"""Seed tutorial 2 ("PyTorch basics"), ModuleList vs Sequential: building and calling both.

The ModuleList snippet's sizes are left undefined by the tutorial (small ones stand in) and its
typos are fixed: a missing ``)`` after ``append(...``, and ``modelist``/``modellist`` ->
``linears``. The "wrong way" (calling a ModuleList) is run to show its error.
``torch.manual_seed(0)`` is added.
"""

from collections import OrderedDict

import lanterna as torch
import lanterna.nn as nn

torch.manual_seed(0)

# 1. Sequential
# (1) create an empty nn.Sequential, then add_module the children
net = nn.Sequential()
net.add_module('conv', nn.Conv2d(3, 3, 3))
net.add_module('batchnorm', nn.BatchNorm2d(3))
print(net)

# (2) pass the children to nn.Sequential
net = nn.Sequential(
    nn.Conv2d(3, 3, 3),
    nn.BatchNorm2d(3)
)
print(net)

# (3) name the children with an OrderedDict
net = nn.Sequential(OrderedDict([
    ('conv', nn.Conv2d(3, 3, 3)),
    ('batchnorm', nn.BatchNorm2d(3)),
    ('activation_layer', nn.ReLU())
]))
print(net)

# calling: (1) the whole module runs the children in order
input = torch.rand(1, 3, 4, 4)
output = net(input)
print(output)
# (2) child by child
input = torch.rand(1, 3, 4, 4)
# by name
output = net.conv(input)
output = net.batchnorm(output)
print(output.shape)
# by index
output = net[0](input)
output = net[1](output)
print(output.shape, type(net[2]).__name__, type(net[0:2]).__name__, len(net))

# 2. ModuleList
input_size, layers_size, output_size, num_layers = 4, 8, 2, 3
# 1. create
linears = nn.ModuleList([nn.Linear(input_size, layers_size)])
# 2. extend
linears.extend([nn.Linear(layers_size, layers_size) for i in range(1, num_layers - 1)])
# 3. append
linears.append(nn.Linear(layers_size, output_size))
print(linears)
# 4. call
input = torch.randn(5, input_size)
# wrong: a ModuleList has no forward()
try:
    output = linears(input)
except NotImplementedError as e:
    print("NotImplementedError:", e)
# right
for model in linears:
    input = model(input)
print(input)


# a ModuleList's parameters belong to the module that holds it; a plain list's do not
class Holder(nn.Module):
    def __init__(self):
        super(Holder, self).__init__()
        self.registered = nn.ModuleList([nn.Linear(2, 2)])
        self.plain = [nn.Linear(2, 2)]


print(len(list(Holder().parameters())))
