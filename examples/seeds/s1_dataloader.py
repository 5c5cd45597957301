"""Seed tutorial 1 ("PyTorch usage notes"), section 7: iterate a Dataset in shuffled batches of 64.

The tutorial leaves ``dataset`` undefined; it is a TensorDataset of 150 random samples.
``torch.manual_seed(0)`` is added so the shuffled order is reproducible.
"""

import lanterna as torch
from lanterna.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)

dataset = TensorDataset(torch.randn(150, 4), torch.arange(150))

# main arguments: dataset, batch_size, shuffle (default False), num_workers (default 0: load in
# the main process)
dataloader = DataLoader(dataset, 64, shuffle=True)
for batch_data, targets in dataloader:
    print(batch_data.shape, targets[:8])

print(len(dataloader), len(dataset))
print(torch.equal(torch.sort(torch.cat([t for _, t in dataloader])).values, torch.arange(150)))
