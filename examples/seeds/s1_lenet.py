"""Seed tutorial 1 ("PyTorch usage notes"), section 9: the LeNet of PyTorch's "neural networks" tutorial:
define it, run an input, backpropagate, compute an MSE loss and take an SGD step.

Typo fixed: ``optimizer = zero_grad()`` -> ``optimizer.zero_grad()``. ``torch.manual_seed(0)``
is added: the tutorial does not seed.
"""

import lanterna as torch
import lanterna.nn as nn
import lanterna.nn.functional as F

torch.manual_seed(0)


class Net(nn.Module):

    def __init__(self):
        super(Net, self).__init__()
        # 1 input image channel, 6 output channels, 5x5 square convolution
        # kernel
        self.conv1 = nn.Conv2d(1, 6, 5)
        self.conv2 = nn.Conv2d(6, 16, 5)
        # an affine operation: y = Wx + b
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        # Max pooling over a (2, 2) window
        x = F.max_pool2d(F.relu(self.conv1(x)), (2, 2))
        # If the size is a square you can only specify a single number
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = x.view(-1, self.num_flat_features(x))
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        x = self.fc3(x)
        return x

    def num_flat_features(self, x):
        size = x.size()[1:]  # all dimensions except the batch dimension
        num_features = 1
        for s in size:
            num_features *= s
        return num_features


net = Net()
print(net)

# 9.1 the learnable parameters
params = list(net.parameters())
print(len(params))
print(params[0].size())

# 9.2 process an input
input = torch.randn(1, 1, 32, 32)
out = net(input)
print(out)

# 9.3 zero the gradient buffers and backpropagate random gradients
net.zero_grad()
out.backward(torch.randn(1, 10))
print(net.conv1.bias.grad)

# 9.4 the loss
output = net(input)
target = torch.randn(10)
target = target.view(1, -1)
criterion = nn.MSELoss()

loss = criterion(output, target)
print(loss)

# 9.5 backpropagate the loss
net.zero_grad()  # zero the existing gradients
print(net.conv1.bias.grad)
loss.backward()  # backpropagate
print(net.conv1.bias.grad)

# 9.6 update the weights
import lanterna.optim as optim  # noqa: E402

optimizer = optim.SGD(net.parameters(), lr=0.01)  # create the optimizer
optimizer.zero_grad()  # zero the gradients
output = net(input)  # process the input
loss = criterion(output, target)  # compute the loss
loss.backward()  # backpropagate
optimizer.step()  # update the parameters
print(criterion(net(input), target))
