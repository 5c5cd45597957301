"""``lanterna.fft`` (``torch.fft``): the real-valued helpers only.

``fftfreq``, ``rfftfreq``, ``fftshift`` and ``ifftshift`` work (with gradients where they take a
tensor). The transforms themselves return complex tensors, which Lanterna does not have: calling
one raises a NotImplementedError that says so.
"""

from __future__ import annotations

__all__ = ["fftfreq", "fftshift", "ifftshift", "rfftfreq"]


def fftfreq(n, d=1.0, *, dtype=None, device=None, requires_grad=False, **kwargs):
    """Sample frequencies ``[0, 1, ..., n//2 - 1 or so, -n//2, ..., -1] / (d * n)``."""
    from .ops.creation import arange
    from .ops.joining import cat

    pos = arange((n - 1) // 2 + 1, dtype=dtype, device=device)
    neg = arange(-(n // 2), 0, dtype=dtype, device=device)
    out = cat([pos, neg]) / (d * n) if n else pos
    return out.requires_grad_(requires_grad)


def rfftfreq(n, d=1.0, *, dtype=None, device=None, requires_grad=False, **kwargs):
    """Sample frequencies of ``rfft``: ``[0, 1, ..., n // 2] / (d * n)``."""
    from .ops.creation import arange

    return (arange(n // 2 + 1, dtype=dtype, device=device) / (d * n)).requires_grad_(requires_grad)


def _dims(input, dim):
    if dim is None:
        return tuple(range(input.dim()))
    return (dim,) if isinstance(dim, int) else tuple(dim)


def fftshift(input, dim=None):
    """Move the zero-frequency term to the centre (a roll by ``size // 2`` along each dim)."""
    from .ops.joining import roll

    dims = _dims(input, dim)
    return roll(input, [input.shape[d] // 2 for d in dims], dims) if dims else input


def ifftshift(input, dim=None):
    """The inverse of :func:`fftshift` (a roll by ``-(size // 2)``)."""
    from .ops.joining import roll

    dims = _dims(input, dim)
    return roll(input, [-(input.shape[d] // 2) for d in dims], dims) if dims else input


_COMPLEX = ("fft", "ifft", "fft2", "ifft2", "fftn", "ifftn", "rfft", "irfft", "rfft2", "irfft2", "rfftn", "irfftn",
            "hfft", "ihfft", "hfft2", "ihfft2", "hfftn", "ihfftn")


def __getattr__(name):
    if name in _COMPLEX:
        def unsupported(*args, **kwargs):
            raise NotImplementedError(f"torch.fft.{name} is not supported by Lanterna: FFTs take or return complex "
                                      "tensors, and Lanterna has no complex dtypes")

        unsupported.__name__ = name
        return unsupported
    raise AttributeError(f"module '{__name__}' has no attribute '{name}'")
