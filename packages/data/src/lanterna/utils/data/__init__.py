"""Lanterna data: Dataset, DataLoader with worker processes, samplers."""

__version__ = "0.1.0"
