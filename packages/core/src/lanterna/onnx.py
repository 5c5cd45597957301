"""``lanterna.onnx`` (``torch.onnx``): ONNX export is not supported (Lanterna builds no graph
of a whole model to export). ``is_in_onnx_export()`` is False, so model code that asks works."""

from __future__ import annotations

__all__ = ["export", "is_in_onnx_export"]


def is_in_onnx_export():
    return False


def export(*args, **kwargs):
    raise NotImplementedError("torch.onnx.export is not supported by Lanterna: it has no graph tracer to export "
                              "from; save the state_dict with torch.save and export it from PyTorch instead")


def dynamo_export(*args, **kwargs):
    export()
