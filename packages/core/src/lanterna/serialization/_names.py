"""PyTorch's global names in a checkpoint, and the lanterna objects they stand for.

Loading maps ``torch._utils._rebuild_tensor_v2``, ``torch.FloatStorage``, ``torch.float32``,
``torch.Size`` ... to lanterna's objects; saving writes lanterna's objects under those names, so
that PyTorch reads our files. Python builtins a checkpoint may need are offered through checked
wrappers: ``bytearray(10**12)`` in a hostile file must not allocate a terabyte.
"""

from __future__ import annotations

import codecs
import functools
from collections import Counter, OrderedDict

from .. import _dtype as D
from .._device import device as Device
from .._tensor import Size, Tensor
from . import _rebuild as R
from . import _storage as S

_REBUILD_UTILS = (
    "_rebuild_tensor_v2",
    "_rebuild_tensor_v3",
    "_rebuild_tensor",
    "_rebuild_parameter",
    "_rebuild_parameter_with_state",
    "_rebuild_device_tensor_from_cpu_tensor",
)
_TORCH_DTYPE_ALIASES = {
    "float": D.float32,
    "double": D.float64,
    "half": D.float16,
    "long": D.int64,
    "int": D.int32,
    "short": D.int16,
    "bool": D.bool_,
    "bfloat16": D.float32,  # bfloat16 loads as float32
}
#: torch features a checkpoint may use that lanterna lacks: name -> what it is
UNSUPPORTED = {
    "torch._utils._rebuild_sparse_tensor": "sparse tensors",
    "torch._utils._rebuild_sparse_csr_tensor": "sparse tensors",
    "torch._utils._rebuild_qtensor": "quantized tensors",
    "torch._utils._rebuild_nested_tensor": "nested tensors",
    "torch._utils._rebuild_wrapper_subclass": "tensor wrapper subclasses",
    "torch._utils._rebuild_meta_tensor_no_storage": "meta tensors",
    "torch._utils._rebuild_device_tensor_from_numpy": "device tensors saved through NumPy",
    "torch._utils._rebuild_xla_tensor": "XLA tensors",
    "torch._utils._rebuild_mps_tensor": "MPS tensors",
    **{
        f"torch.{n}": "complex dtypes"
        for n in ("complex32", "complex64", "complex128", "cfloat", "cdouble", "chalf")
    },
    **{
        f"torch.{n}": "this dtype"
        for n in (
            "uint16",
            "uint32",
            "uint64",
            "float8_e4m3fn",
            "float8_e5m2",
            "float8_e4m3fnuz",
            "float8_e5m2fnuz",
            "qint8",
            "quint8",
            "qint32",
        )
    },
}


def _safe_encode(text, encoding="utf-8"):
    """``_codecs.encode`` as protocol-2 pickles use it for bytes: text codecs only."""
    if type(text) is not str or codecs.lookup(encoding).name not in (
        "latin-1",
        "iso8859-1",
        "utf-8",
        "ascii",
    ):
        raise TypeError("_codecs.encode in a checkpoint may only encode str with latin1/utf-8")
    return codecs.encode(text, encoding)


def _no_int(cls):
    """``bytes``/``bytearray`` without the ``(n)`` form, which allocates n bytes."""

    def make(*args):
        if args and type(args[0]) is int:
            raise TypeError(f"{cls.__name__}(int) is not allowed in a checkpoint")
        return cls(*args)

    make.__name__ = cls.__name__
    return make


@functools.lru_cache(maxsize=1)
def _static_globals() -> dict:
    rc = {
        "collections.OrderedDict": OrderedDict,
        "collections.Counter": Counter,
        "builtins.set": set,
        "builtins.frozenset": frozenset,
        "builtins.complex": complex,
        "builtins.slice": slice,
        "builtins.bytearray": _no_int(bytearray),
        "builtins.bytes": _no_int(bytes),
        "_codecs.encode": _safe_encode,
        "torch.Size": Size,
        "torch.Tensor": Tensor,
        "torch.device": Device,
        "torch.serialization._get_layout": R._get_layout,
        "torch._tensor._rebuild_from_type_v2": R._rebuild_from_type_v2,
    }
    rc.update({f"torch._utils.{name}": getattr(R, name) for name in _REBUILD_UTILS})
    for name, st in S.STORAGE_TYPES.items():
        rc[f"torch.{name}"] = st
        rc[f"torch.cuda.{name}"] = st  # storages of pre-1.0 CUDA checkpoints
    # PyTorch names the untyped storage by its defining module: tensors of dtypes without a typed
    # storage (uint16, float8 ...) and bare `tensor.untyped_storage()` are saved with it.
    rc["torch.storage.UntypedStorage"] = S.UntypedStorage
    rc.update({f"torch.{d.name}": d for d in D.ALL_DTYPES})
    rc.update({f"torch.{name}": d for name, d in _TORCH_DTYPE_ALIASES.items()})
    return rc


PARAMETER_NAMES = ("torch.nn.parameter.Parameter", "torch.nn.Parameter")


def torch_global(full_name: str):
    """The lanterna object for a torch global a weights-only load accepts, else None."""
    if full_name in PARAMETER_NAMES:
        return R.parameter_class()
    return _static_globals().get(full_name)


@functools.lru_cache(maxsize=1)
def _static_renames() -> dict:
    rc = {
        ("lanterna._tensor", "Tensor"): ("torch", "Tensor"),
        ("lanterna._tensor", "Size"): ("torch", "Size"),
        ("lanterna._device", "device"): ("torch", "device"),
        (R.__name__, "_rebuild_from_type_v2"): ("torch._tensor", "_rebuild_from_type_v2"),
    }
    rc.update({(R.__name__, name): ("torch._utils", name) for name in _REBUILD_UTILS})
    rc.update({(S.__name__, name): ("torch", name) for name in S.STORAGE_TYPES})
    rc.update({(D.__name__, attr): ("torch", d.name) for attr, d in DTYPE_ATTRS_BY_NAME.items()})
    return rc


def save_renames() -> dict:
    """(lanterna module, name) -> (torch module, name), applied to the globals a save writes."""
    rc = dict(_static_renames())
    param = R.parameter_class(import_nn=False)
    if param is not None:
        rc[(param.__module__, param.__qualname__)] = ("torch.nn.parameter", "Parameter")
    return rc


#: the attribute of ``lanterna._dtype`` that holds each dtype (``bool`` lives at ``bool_``)
DTYPE_ATTRS_BY_NAME = {
    attr: v
    for attr, v in vars(D).items()
    if isinstance(v, D.dtype)
    and getattr(D, attr) is D._BY_NAME.get(v.name)
    and attr in (v.name, v.name + "_")
}
DTYPE_ATTR = {d: attr for attr, d in DTYPE_ATTRS_BY_NAME.items()}
