"""Seed tutorial 0 ("common PyTorch functions explained"), section 1.5: nn.CrossEntropyLoss with class
indices and with one-hot (probability) targets.

The tutorial does not seed: ``torch.manual_seed(0)`` is added.
"""

import lanterna as torch
import lanterna.nn as nn
from lanterna.nn.functional import one_hot

torch.manual_seed(0)

output = torch.randn(4, 3)  # model predictions: 4 samples, 3 classes
print('output:\n', output)

target = torch.tensor([1, 2, 0, 1])  # true labels
target1 = target
# Converting to one_hot is not needed; this tests that both give the same loss
target = one_hot(target, num_classes=3)
target = target.to(dtype=torch.float)
crossentropyloss = nn.CrossEntropyLoss()
output_loss = crossentropyloss(output, target)
output_loss1 = crossentropyloss(output, target1)

print('output_loss:\n', output_loss)
print('output_loss1:\n', output_loss1)
