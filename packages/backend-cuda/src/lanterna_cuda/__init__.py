"""lanterna-cuda: the ``cuda`` device for Lanterna, on CuPy.

Installed, it is found by ``import lanterna`` through the ``lanterna.backends`` entry point
(:mod:`lanterna_cuda.plugin`); use it through Lanterna's API (``tensor.cuda()``,
``device="cuda:0"``, ``lanterna.cuda.*``). Nothing here imports CuPy until a tensor goes to the
GPU; without a GPU, ``lanterna.cuda.is_available()`` is False and ``.cuda()`` says why.
"""

__version__ = "0.1.0"
