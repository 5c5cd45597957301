"""``DataParallel`` / ``data_parallel``: PyTorch's single-process multi-device wrapper.

Without an accelerator (PyTorch's behaviour too) the wrapper only forwards to ``module``, so code
written for ``nn.DataParallel(model)`` runs, and its checkpoints keep their ``module.`` key prefix.
With one, everything runs on ``device_ids[0]``: the result (gathered there in PyTorch) is the same,
only not split across devices.
"""

from __future__ import annotations

from itertools import chain

from ..modules.module import Module

__all__ = ["DataParallel", "data_parallel"]


def _accelerator_type():
    import lanterna

    return lanterna.accelerator.current_accelerator(check_available=True)


def _device_index(d):
    import lanterna

    if isinstance(d, int):
        return d
    d = lanterna.device(d)
    return 0 if d.index is None else d.index


def _to_device(obj, device):
    """Tensors inside tuples, lists and dicts moved to ``device`` (PyTorch's scatter, for one device)."""
    import lanterna

    if isinstance(obj, lanterna.Tensor):
        return obj.to(device)
    if isinstance(obj, tuple) and hasattr(obj, "_fields"):  # a namedtuple
        return type(obj)(*(_to_device(o, device) for o in obj))
    if isinstance(obj, (list, tuple)):
        return type(obj)(_to_device(o, device) for o in obj)
    if isinstance(obj, dict):
        return type(obj)((k, _to_device(v, device)) for k, v in obj.items())
    return obj


def _check_on_device(module, device):
    for t in chain(module.parameters(), module.buffers()):
        if t.device != device:
            raise RuntimeError(
                "module must have its parameters and buffers "
                f"on device {device} (device_ids[0]) but found one of "
                f"them on device: {t.device}"
            )


class DataParallel(Module):
    """Wraps ``module`` for data-parallel training; its submodule is ``self.module``.

    >>> import lanterna as torch
    >>> dp = torch.nn.DataParallel(torch.nn.Linear(2, 1))
    >>> list(dp.state_dict())
    ['module.weight', 'module.bias']
    """

    def __init__(self, module, device_ids=None, output_device=None, dim=0):
        super().__init__()
        accel = _accelerator_type()
        if accel is None:  # as PyTorch: a plain pass-through
            self.module = module
            self.device_ids = []
            return
        import lanterna

        if device_ids is None:
            device_ids = list(range(lanterna.accelerator.device_count()))
        if not device_ids:
            raise RuntimeError("no available devices were found")
        if output_device is None:
            output_device = device_ids[0]
        self.dim = dim
        self.module = module
        self.device_ids = [_device_index(d) for d in device_ids]
        self.output_device = _device_index(output_device)
        self.src_device_obj = lanterna.device(accel.type, self.device_ids[0])
        self.module.to(self.src_device_obj)

    def forward(self, *inputs, **kwargs):
        if not self.device_ids:
            return self.module(*inputs, **kwargs)
        _check_on_device(self.module, self.src_device_obj)
        inputs = _to_device(inputs, self.src_device_obj)
        kwargs = _to_device(kwargs, self.src_device_obj)
        out = self.module(*inputs, **kwargs)
        if self.output_device != self.device_ids[0]:
            import lanterna

            out = _to_device(out, lanterna.device(self.src_device_obj.type, self.output_device))
        return out


def data_parallel(module, inputs, device_ids=None, output_device=None, dim=0, module_kwargs=None):
    """Functional :class:`DataParallel`: ``module(*inputs, **module_kwargs)`` on an accelerator."""
    if not isinstance(inputs, tuple):
        inputs = (inputs,) if inputs is not None else ()
    module_kwargs = {} if module_kwargs is None else module_kwargs
    accel = _accelerator_type()
    if accel is None:  # (unlike the DataParallel module, PyTorch's function needs a device)
        raise RuntimeError("device type could not be determined")
    import lanterna

    if device_ids is None:
        device_ids = list(range(lanterna.accelerator.device_count()))
    if output_device is None:
        output_device = device_ids[0]
    src = lanterna.device(accel.type, _device_index(device_ids[0]))
    _check_on_device(module, src)
    out = module(*_to_device(inputs, src), **_to_device(module_kwargs, src))
    return _to_device(out, lanterna.device(accel.type, _device_index(output_device)))


# PyTorch's module path (this file is private so that nn.parallel can load it lazily)
DataParallel.__module__ = data_parallel.__module__ = "lanterna.nn.parallel.data_parallel"
