"""Convert the weights of convolution layers to a memory format (NHWC kernels on accelerators)."""

from __future__ import annotations

__all__ = ["convert_conv2d_weight_memory_format", "convert_conv3d_weight_memory_format"]


def _convert_weights(module, kinds, memory_format):
    # The same Parameter object keeps its values (optimizers hold references to it); only the
    # layout of its storage changes.
    if isinstance(module, kinds):
        module.weight.data = module.weight.detach().clone(memory_format=memory_format)
    for child in module.children():
        _convert_weights(child, kinds, memory_format)
    return module


def convert_conv2d_weight_memory_format(module, memory_format):
    """Give the weight of every ``Conv2d`` / ``ConvTranspose2d`` in ``module`` (itself included)
    the ``memory_format``; returns ``module``.

    >>> import lanterna as torch
    >>> m = torch.nn.Sequential(torch.nn.Conv2d(1, 2, 3))
    >>> torch.nn.utils.convert_conv2d_weight_memory_format(m, torch.channels_last) is m
    True
    """
    from ..modules.conv import Conv2d, ConvTranspose2d

    return _convert_weights(module, (Conv2d, ConvTranspose2d), memory_format)


def convert_conv3d_weight_memory_format(module, memory_format):
    """Give the weight of every ``Conv3d`` / ``ConvTranspose3d`` in ``module`` (itself included)
    the ``memory_format``; returns ``module``."""
    from ..modules.conv import Conv3d, ConvTranspose3d

    return _convert_weights(module, (Conv3d, ConvTranspose3d), memory_format)
