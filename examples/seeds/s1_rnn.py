"""Seed tutorial 1 ("PyTorch usage notes"), section 11: nn.RNN, nn.LSTM and nn.GRU shapes.

Fixed: the LSTM's initial states are passed as one tuple, ``rnn(x_input, (h_0, c_0))`` (the
tutorial passes them as two arguments). The tutorial's RNN example names its outputs the other
way round (``h_n, out = rnn(...)``); that is kept, as are its printed shapes.
``torch.manual_seed(0)`` is added.
"""

import lanterna as torch
import lanterna.nn as nn

torch.manual_seed(0)

# torch.nn.RNN(input_size, hidden_size, num_layers)
rnn = torch.nn.RNN(input_size=100, hidden_size=20, num_layers=2, batch_first=False)
print(rnn)

x_input = torch.randn(5, 3, 100)  # seq len, batch, feature len
h_0 = torch.randn(2, 3, 20)  # layer len, batch, hidden len

h_n, out = rnn(x_input, h_0)

print(h_n.shape)  # torch.Size([5, 3, 20])
print(out.shape)  # torch.Size([2, 3, 20])
print(out[-1, 0, :5])

# LSTM
rnn = nn.LSTM(input_size=10, hidden_size=20, num_layers=2)
x_input = torch.randn(5, 3, 10)  # seq len, batch, input_size
h_0 = torch.randn(2, 3, 20)  # 1*num_layers, batch, hidden_size
c_0 = torch.randn(2, 3, 20)  # 1*num_layers, batch, hidden_size
output, (h_n, c_n) = rnn(x_input, (h_0, c_0))
print(rnn)
print(output.shape, h_n.shape, c_n.shape)
print(h_n[-1, 0, :5], c_n[-1, 0, :5])

# a bidirectional LSTM doubles output's last dimension and h_n's first
bi = nn.LSTM(input_size=10, hidden_size=20, num_layers=2, bidirectional=True)
output, (h_n, c_n) = bi(x_input)
print(output.shape, h_n.shape, c_n.shape)

# GRU
rnn = nn.GRU(input_size=10, hidden_size=20, num_layers=2)
x_input = torch.randn(5, 3, 10)  # seq len, batch, input_size
h_0 = torch.randn(2, 3, 20)  # 1*num_layers, batch, hidden_size
output, h_n = rnn(x_input, h_0)
print(rnn)
print(output.shape, h_n.shape)
print(h_n[-1, 0, :5])
