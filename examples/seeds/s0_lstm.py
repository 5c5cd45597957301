"""Seed tutorial 0 ("common PyTorch functions explained"), section 1.3: nn.LSTM's arguments and outputs.

The tutorial shows only the constructor's signature; here it is called with those arguments on
a small input. The tutorial does not seed: ``torch.manual_seed(0)`` is added.
"""

import lanterna as torch

torch.manual_seed(0)

input_size, hidden_size = 10, 20
lstm = torch.nn.LSTM(input_size,
                     hidden_size,
                     num_layers=1,
                     bias=True,
                     batch_first=False,
                     dropout=0.0,
                     bidirectional=False,
                     proj_size=0,
                     device=None,
                     dtype=None)
print(lstm)

x = torch.randn(5, 3, input_size)  # (seq len, batch, input_size): 5 words, 3 sentences
output, (h_n, c_n) = lstm(x)
print(output.shape, h_n.shape, c_n.shape)

# output holds the hidden state of every time step; h_n is the last one.
print(torch.allclose(output[-1], h_n[0]))
print(h_n)
print(c_n)
