"""``torch.return_types``: the named tuples that ``max(dim)``, ``sort``, ``topk`` ... return.

They are tuples (unpack, index, compare) with named fields, and print as PyTorch prints them:

>>> import lanterna as torch
>>> torch.tensor([[1.0, 5.0], [3.0, 2.0]]).max(1)
torch.return_types.max(
values=tensor([5., 3.]),
indices=tensor([1, 0]))
"""

from __future__ import annotations

from collections import namedtuple

__all__ = []


def _structseq(name, fields):
    base = namedtuple(name, fields)

    def __repr__(self):
        body = ",\n".join(f"{f}={v!r}" for f, v in zip(self._fields, self))
        return f"torch.return_types.{name}(\n{body})"

    def __reduce__(self):
        return (cls, tuple(self))

    cls = type(name, (base,), {"__slots__": (), "__repr__": __repr__, "__str__": __repr__,
                               "__reduce__": __reduce__, "__module__": __name__,
                               "n_fields": len(fields), "n_sequence_fields": len(fields)})
    cls.__qualname__ = name
    globals()[name] = cls
    __all__.append(name)
    return cls


for _name in ("max", "min", "sort", "topk", "kthvalue", "median", "nanmedian", "mode", "cummax", "cummin"):
    _structseq(_name, ("values", "indices"))
_structseq("aminmax", ("min", "max"))
_structseq("slogdet", ("sign", "logabsdet"))
_structseq("linalg_slogdet", ("sign", "logabsdet"))
_structseq("qr", ("Q", "R"))
_structseq("linalg_qr", ("Q", "R"))
_structseq("svd", ("U", "S", "V"))
_structseq("linalg_svd", ("U", "S", "Vh"))
_structseq("linalg_eigh", ("eigenvalues", "eigenvectors"))
_structseq("frexp", ("mantissa", "exponent"))
_structseq("histogram", ("hist", "bin_edges"))
