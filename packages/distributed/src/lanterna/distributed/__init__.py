"""Lanterna distributed: process groups and DistributedDataParallel on MPI and NCCL."""

__version__ = "0.1.0"
