"""Seed tutorial 2 ("PyTorch basics"), parameters: Module.parameters() for an optimizer, nn.Parameter and
nn.ParameterList.

The tutorial leaves ``encoder``, ``decoder`` and ``hidden_size`` undefined; small layers stand
in. ``torch.FloatTensor(hidden_size)`` is uninitialised, so only its shape is printed.
``torch.manual_seed(0)`` is added.
"""

import lanterna as torch
import lanterna.nn as nn
import lanterna.optim as optim

torch.manual_seed(0)

# Module.parameters(): the optimizer's input; several networks' parameters are joined as lists
encoder = nn.Linear(6, 4)
decoder = nn.Linear(4, 6)
param = list(encoder.parameters()) + list(decoder.parameters())
optimizer = optim.Adam(param, lr=1e-3)
print(len(param), [tuple(p.shape) for p in param])
print(optimizer)

# torch.nn.Parameter(): makes a tensor trainable and registers it with the module
hidden_size = 5


class Attention(nn.Module):
    def __init__(self):
        super(Attention, self).__init__()
        self.v = torch.nn.Parameter(torch.FloatTensor(hidden_size))


attn = Attention()
print([(name, p.shape, p.requires_grad) for name, p in attn.named_parameters()])


# torch.nn.ParameterList(): like ModuleList, for Parameters
class MyModule(nn.Module):
    def __init__(self):
        super(MyModule, self).__init__()
        self.params = nn.ParameterList([nn.Parameter(torch.randn(10, 10)) for i in range(10)])

    def forward(self, x):
        for i, p in enumerate(self.params):
            x = self.params[i // 2].mm(x) + p.mm(x)
        return x


module = MyModule()
print(module)
print(len(list(module.parameters())))
x = torch.randn(10, 1)
out = module(x)
print(out.shape)
print((out / out.abs().max()).view(-1)[:3])  # values grow large: print them scaled
