"""Lanterna nn: Module, layers, losses, functional, init, utils."""

__version__ = "0.1.0"
