"""Seed tutorial 0 ("common PyTorch functions explained"), section 1.4: nn.Linear computes y = x W^T + b.

The tutorial does not seed: ``torch.manual_seed(0)`` is added so the weights are reproducible.
"""

import lanterna as torch
from lanterna import nn

torch.manual_seed(0)

input = torch.Tensor([1, 2, 3])  # one sample with 3 features
model = nn.Linear(3, 2)  # 3 input features, 2 output features
print("model = ", model)
# nn.Linear's weights
for param in model.parameters():
    print(param)

output = model(input)
print(output)

# The same result computed by hand, as the tutorial does: X W^T + b.
print(input @ model.weight.t() + model.bias)
print(torch.nn.Linear(in_features=3, out_features=2, bias=False))
