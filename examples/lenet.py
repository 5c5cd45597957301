"""LeNet, as in PyTorch's "Neural Networks" tutorial: define it, run an input, backpropagate, compute a
loss, follow its graph, update the weights by hand and with ``optim.SGD``.

    python examples/lenet.py [--steps N]
"""

from __future__ import annotations

import argparse

import lanterna as torch
import lanterna.nn as nn
import lanterna.nn.functional as F
import lanterna.optim as optim


class Net(nn.Module):
    """Two 5x5 convolutions with 2x2 max-pooling, then three fully connected layers."""

    def __init__(self):
        super().__init__()
        # 1 input image channel, 6 output channels, 5x5 square convolution kernel
        self.conv1 = nn.Conv2d(1, 6, 5)
        self.conv2 = nn.Conv2d(6, 16, 5)
        # an affine operation: y = Wx + b
        self.fc1 = nn.Linear(16 * 5 * 5, 120)  # 5*5 from image dimension
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, input):
        c1 = F.relu(self.conv1(input))  # (N, 6, 28, 28)
        s2 = F.max_pool2d(c1, (2, 2))  # (N, 6, 14, 14)
        c3 = F.relu(self.conv2(s2))  # (N, 16, 10, 10)
        s4 = F.max_pool2d(c3, 2)  # (N, 16, 5, 5)
        s4 = torch.flatten(s4, 1)  # (N, 400)
        f5 = F.relu(self.fc1(s4))  # (N, 120)
        f6 = F.relu(self.fc2(f5))  # (N, 84)
        return self.fc3(f6)  # (N, 10)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20, help="optim.SGD steps at the end (default 20)")
    args = parser.parse_args(argv)
    torch.manual_seed(0)

    net = Net()
    print(net)

    params = list(net.parameters())
    print(len(params))
    print(params[0].size())  # conv1's .weight

    input = torch.randn(1, 1, 32, 32)
    out = net(input)
    print(out)

    # zero the gradient buffers of all parameters and backprop with random gradients
    net.zero_grad()
    out.backward(torch.randn(1, 10))

    # a loss function
    output = net(input)
    target = torch.randn(10)  # a dummy target, for example
    target = target.view(1, -1)  # make it the same shape as output
    criterion = nn.MSELoss()
    loss = criterion(output, target)
    print(loss)

    # follow the loss backward through its graph
    print(type(loss.grad_fn).__name__)  # MSELoss
    print(type(loss.grad_fn.next_functions[0][0]).__name__)  # Linear: addmm(fc3.bias, input, fc3.weight.t())
    print(type(loss.grad_fn.next_functions[0][0].next_functions[0][0]).__name__)  # fc3.bias's accumulator

    # backprop
    net.zero_grad()
    print("conv1.bias.grad before backward")
    print(net.conv1.bias.grad)
    loss.backward()
    print("conv1.bias.grad after backward")
    print(net.conv1.bias.grad)

    # update the weights by hand: weight = weight - learning_rate * gradient
    learning_rate = 0.01
    for f in net.parameters():
        f.data.sub_(f.grad.data * learning_rate)

    # and with torch.optim
    optimizer = optim.SGD(net.parameters(), lr=0.01)
    losses = []
    for _ in range(args.steps):
        optimizer.zero_grad()  # zero the gradient buffers
        output = net(input)
        loss = criterion(output, target)
        loss.backward()
        optimizer.step()  # does the update
        losses.append(loss.item())
    if losses:
        print(f"loss after {len(losses)} SGD steps: {losses[0]:.4f} -> {losses[-1]:.4f}")
    return net, losses


if __name__ == "__main__":
    main()
