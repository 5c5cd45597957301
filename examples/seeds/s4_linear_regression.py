"""Seed tutorial 4 ("PyTorch" notes), linear regression: fit y = 2x + 1 with nn.Linear, SGD and MSELoss,
predict, save and load the parameters, then train on the GPU where there is one.

Typos fixed: ``torch.optim.SDG`` -> ``torch.optim.SGD``, ``loss.backword()`` ->
``loss.backward()``, ``model.to(divice)`` -> ``model.to(device)``. The tutorial does not seed:
``torch.manual_seed(0)`` is added. ``model.pkl`` goes to a temporary folder (or
``$LANTERNA_EXAMPLES_OUT``). ``LANTERNA_EXAMPLES_QUICK=1`` trains 100 epochs instead of 1000.
"""

import os
import tempfile

import numpy as np

import lanterna as torch
import lanterna.nn as nn

OUT = os.environ.get("LANTERNA_EXAMPLES_OUT") or tempfile.mkdtemp(prefix="lanterna-examples-")
torch.manual_seed(0)

# the training data
x_values = [i for i in range(11)]
# as an array
x_train = np.array(x_values, dtype=np.float32)
# as one column
x_train = x_train.reshape(-1, 1)

# the labels
y_values = [2 * i + 1 for i in x_values]
y_train = np.array(y_values, dtype=np.float32)
y_train = y_train.reshape(-1, 1)


class LinearRegressionModel(nn.Module):
    # two arguments: the input and the output dimension
    def __init__(self, input_dim, output_dim):
        super(LinearRegressionModel, self).__init__()
        self.linear = nn.Linear(input_dim, output_dim)

    def forward(self, x):
        out = self.linear(x)
        return out


# one input and one output dimension: a linear regression
input_dim = 1
output_dim = 1

model = LinearRegressionModel(input_dim, output_dim)

# number of epochs
epochs = 100 if os.environ.get("LANTERNA_EXAMPLES_QUICK") == "1" else 1000
# learning rate
learning_rate = 0.01
# the optimizer: SGD
optimizer = torch.optim.SGD(model.parameters(), lr=learning_rate)
# the loss: cross entropy for classification, MSE for regression
criterion = nn.MSELoss()

for epoch in range(epochs):
    epoch += 1
    # the training data as tensors
    inputs = torch.from_numpy(x_train)
    labels = torch.from_numpy(y_train)

    # zero the gradients at each iteration
    optimizer.zero_grad()
    # forward
    outputs = model(inputs)
    # the loss
    loss = criterion(outputs, labels)
    # backward
    loss.backward()
    # update the weights
    optimizer.step()
    if epoch % 50 == 0:
        print("epoch{}, loss{}".format(epoch, loss.item()))

# predict
predicted = model(torch.from_numpy(x_train).requires_grad_()).data.numpy()
print(predicted.round(3).ravel())

# save and load: the first argument is the model's parameters, the second the file name
torch.save(model.state_dict(), os.path.join(OUT, "model.pkl"))
# load
print(model.load_state_dict(torch.load(os.path.join(OUT, "model.pkl"))))

# train on the GPU if CUDA is available, else on the CPU
device = torch.device("cuda:0" if torch.cuda.is_available() else "cpu")

# move the model to the device
model.to(device)

for epoch in range(epochs):
    epoch += 1
    # the training data as tensors, on the device
    inputs = torch.from_numpy(x_train).to(device)
    labels = torch.from_numpy(y_train).to(device)

    # zero the gradients at each iteration
    optimizer.zero_grad()
    # forward
    outputs = model(inputs)
    # the loss
    loss = criterion(outputs, labels)
    # backward
    loss.backward()
    # update the weights
    optimizer.step()
    if epoch % 50 == 0:
        print("epoch{}, loss{}".format(epoch, loss.item()))

print(model.linear.weight.item(), model.linear.bias.item())
