"""``lanterna.nn.parallel``: data-parallel wrappers (DistributedDataParallel ...), provided by lanterna-distributed."""
