"""The ``lanterna.backends`` entry point of lanterna-cuda: registers the ``cuda`` device.

Imported by ``import lanterna``; it imports neither CuPy nor anything heavy. The backend is
registered even without a GPU, so that ``lanterna.cuda.is_available()`` is False and
``.cuda()`` raises one error that says why (no CuPy, no driver, no device).

Communication: the ``nccl`` backend of ``lanterna.distributed`` (registered by
lanterna-distributed through ``lanterna_register_comm_backends``) runs on the CuPy arrays and
the current CuPy stream of this backend; a CUDA-specific communication backend would be
registered from this module with the same hook.
"""

from __future__ import annotations

from lanterna.backends import hookimpl

from .backend import CUDABackend


@hookimpl
def lanterna_register_backends(registry):
    registry.register_backend(CUDABackend())


@hookimpl
def lanterna_register_kernels(registry):
    from .kernels import KERNELS

    for name, fn in KERNELS.items():
        registry.register_kernel("cuda", name, fn)
