"""Seed tutorial 0 ("common PyTorch functions explained"), section 1.1: subclassing nn.Module.

The tutorial lists nn.Module's main methods and says a custom model overrides ``__init__`` and
``forward``; this script does exactly that and checks every listed method is there.
"""

import lanterna as torch
import lanterna.nn as nn


class Module(nn.Module):
    """A custom model overrides __init__ and forward, as the tutorial says."""

    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(3, 2)

    def forward(self, *input):
        return self.linear(*input)


model = Module()
print(model)

# The methods the tutorial lists (its "class Module(object): ..." outline).
listed = ["__init__", "forward", "add_module", "cuda", "cpu", "__call__", "parameters",
          "named_parameters", "children", "named_children", "modules", "named_modules",
          "train", "eval", "zero_grad", "__repr__", "__dir__"]
for name in listed:
    print(name, callable(getattr(nn.Module, name, None)))

model.add_module("act", nn.ReLU())
print([name for name, _ in model.named_children()])
print([name for name, _ in model.named_parameters()])
print([type(m).__name__ for m in model.modules()])
print(model.eval().training, model.train().training)
print(model(torch.ones(1, 3)).shape)
