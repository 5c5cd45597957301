"""``torch.return_types``: the named tuples that ``max(dim)``, ``sort``, ``topk`` ... return.

They are tuples (unpack, index, compare) with named fields, and print as PyTorch prints them:

>>> import lanterna as torch
>>> torch.tensor([[1.0, 5.0], [3.0, 2.0]]).max(1)
torch.return_types.max(
values=tensor([5., 3.]),
indices=tensor([1, 0]))

Each type is made on first use (module ``__getattr__``): building a named tuple class costs
about as much as importing a small module, and most programs use one or two of these.
"""

from __future__ import annotations

from collections import namedtuple

_FIELDS = {name: ("values", "indices") for name in (
    "max", "min", "sort", "topk", "kthvalue", "median", "nanmedian", "mode", "cummax", "cummin")}
_FIELDS.update({
    "aminmax": ("min", "max"),
    "slogdet": ("sign", "logabsdet"),
    "linalg_slogdet": ("sign", "logabsdet"),
    "qr": ("Q", "R"),
    "linalg_qr": ("Q", "R"),
    "svd": ("U", "S", "V"),
    "linalg_svd": ("U", "S", "Vh"),
    "linalg_eigh": ("eigenvalues", "eigenvectors"),
    "frexp": ("mantissa", "exponent"),
    "geqrf": ("a", "tau"),
    "histogram": ("hist", "bin_edges"),
    "linalg_lstsq": ("solution", "residuals", "rank", "singular_values"),
    "linalg_lu": ("P", "L", "U"),
    "lu_unpack": ("P", "L", "U"),
    "linalg_lu_factor": ("LU", "pivots"),
    "linalg_lu_factor_ex": ("LU", "pivots", "info"),
    "_lu_with_info": ("LU", "pivots", "info"),
    "linalg_inv_ex": ("inverse", "info"),
    "linalg_solve_ex": ("result", "info"),
    "linalg_cholesky_ex": ("L", "info"),
    "triangular_solve": ("solution", "cloned_coefficient"),
})

__all__ = list(_FIELDS)


class _StructSeqType(type):
    # ``type(r)`` prints as PyTorch's ``<class 'torch.return_types.max'>``; ``__module__`` stays the
    # real one, so pickling still finds the class
    def __repr__(cls):
        return f"<class 'torch.return_types.{cls.__qualname__}'>"


def _structseq(name, fields):
    base = namedtuple(name, fields)

    def __new__(cls, *args, **kwargs):
        # PyTorch's form is one sequence of the field values: ``torch.return_types.max((v, i))``.
        # Every type has at least two fields, so a single argument can only be that sequence.
        if len(args) == 1 and not kwargs:
            args = tuple(args[0])
        return base.__new__(cls, *args, **kwargs)

    def __repr__(self):
        body = ",\n".join(f"{f}={v!r}" for f, v in zip(self._fields, self))
        return f"torch.return_types.{name}(\n{body})"

    def __reduce__(self):
        return (cls, tuple(self))

    cls = _StructSeqType(name, (base,), {
        "__slots__": (), "__new__": __new__, "__repr__": __repr__, "__str__": __repr__,
        "__reduce__": __reduce__, "__module__": __name__,
        "n_fields": len(fields), "n_sequence_fields": len(fields), "n_unnamed_fields": 0})
    cls.__qualname__ = name
    # setdefault: should two threads build the same type at once, both get the one kept here
    # (pickle finds classes by name, so there must be exactly one)
    cls = globals().setdefault(name, cls)
    return cls


def __getattr__(name):
    fields = _FIELDS.get(name)
    if fields is None:
        raise AttributeError(f"module '{__name__}' has no attribute '{name}'")
    return _structseq(name, fields)


def __dir__():
    return sorted(set(globals()) | set(__all__))
