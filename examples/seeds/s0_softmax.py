"""Seed tutorial 0 ("common PyTorch functions explained"), section 1.9: softmax over columns and rows."""

import warnings

import lanterna as torch
import lanterna.nn.functional as F

input = torch.Tensor([[1, 2, 3, 4], [1, 2, 3, 4]])

output1 = F.softmax(input, dim=0)  # softmax over each column
print(output1)

output2 = F.softmax(input, dim=1)  # softmax over each row
print(output2)

# The module form, nn.Softmax(dim), gives the same result.
print(torch.nn.Softmax(dim=1)(input))

# Leaving out dim is deprecated: the tutorial says it warns.
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    F.softmax(input)
print([f"{w.category.__name__}: {w.message}" for w in caught])
