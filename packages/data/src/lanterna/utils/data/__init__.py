"""``lanterna.utils.data``: datasets, samplers and the DataLoader, as ``torch.utils.data``.

>>> import lanterna as torch
>>> from lanterna.utils.data import DataLoader, TensorDataset
>>> loader = DataLoader(TensorDataset(torch.arange(6.0)), batch_size=4)
>>> [batch[0].tolist() for batch in loader]
[[0.0, 1.0, 2.0, 3.0], [4.0, 5.0]]
"""

__version__ = "0.1.0"

from .dataloader import (  # noqa: F401  (_DatasetKind: as in torch.utils.data)
    DataLoader,
    _DatasetKind,
    default_collate,
    default_convert,
    get_worker_info,
)
from .dataset import (
    ChainDataset,
    ConcatDataset,
    Dataset,
    IterableDataset,
    StackDataset,
    Subset,
    TensorDataset,
    random_split,
)
from .distributed import DistributedSampler
from .sampler import (
    BatchSampler,
    RandomSampler,
    Sampler,
    SequentialSampler,
    SubsetRandomSampler,
    WeightedRandomSampler,
)

__all__ = [
    "BatchSampler",
    "ChainDataset",
    "ConcatDataset",
    "DataLoader",
    "Dataset",
    "DistributedSampler",
    "IterableDataset",
    "RandomSampler",
    "Sampler",
    "SequentialSampler",
    "StackDataset",
    "Subset",
    "SubsetRandomSampler",
    "TensorDataset",
    "WeightedRandomSampler",
    "default_collate",
    "default_convert",
    "get_worker_info",
    "random_split",
]
