"""``saved_tensors_hooks``: what a node saves for backward goes through ``pack_hook`` when saved
and ``unpack_hook`` when backward uses it (offloading, compression, checking), as in PyTorch.

Lanterna's nodes save their tensor inputs through ``Node.save``; results some nodes keep as
arrays (``exp``'s output and the like) are not passed to the hooks. See docs/coming-from-pytorch.md.
"""

from __future__ import annotations

import contextlib

from .grad_mode import GRAD_ENABLED

#: the (pack_hook, unpack_hook) pairs of the active contexts, innermost last (read by Node.save)
SAVED_HOOKS = []
#: the error message of an active ``disable_saved_tensors_hooks``, innermost last
_DISABLED = []


class Packed(tuple):
    """A node's saved tensors as pack hooks returned them: ``(packed, unpack_hook)`` per tensor
    (None for an input saved as None). Unpacked again at every use, as in PyTorch."""

    def unpacked(self):
        from .._tensor import Tensor

        out = []
        for item in self:
            if item is None:
                out.append(None)
                continue
            packed, unpack = item
            t = unpack(packed)
            if not isinstance(t, Tensor):
                raise TypeError("Output of saved tensor unpack_hook expected to be a Tensor but got result of type "
                                f"{type(t).__name__}")
            out.append(t)
        return tuple(out)


def pack(tensors):
    """Run the innermost pack hook over ``tensors`` (Node.save, when a context is active)."""
    if _DISABLED:
        raise RuntimeError(_DISABLED[-1])
    pack_hook, unpack_hook = SAVED_HOOKS[-1]
    items = []
    for t in tensors:
        if t is None:
            items.append(None)
            continue
        version = t._version[0]
        prev, GRAD_ENABLED[0] = GRAD_ENABLED[0], False  # as PyTorch, the hook runs without recording
        try:
            packed = pack_hook(t)
        finally:
            GRAD_ENABLED[0] = prev
        if t._version[0] != version:
            raise RuntimeError(
                "A saved tensor pack hook is modifying its input in place. Tensors provided as input to pack hook "
                "cannot be modified by in-place operations as this can lead to unexpected side-effects. Please open "
                "an issue if you need to perform in-place operations on the input to a pack hook."
            )
        items.append((packed, unpack_hook))
    return Packed(items)


class saved_tensors_hooks:
    """Context manager: tensors saved for backward inside it go through ``pack_hook(tensor) ->
    object``; backward gets them back through ``unpack_hook(object) -> tensor``.

    >>> import lanterna as torch
    >>> x = torch.ones(2, requires_grad=True)
    >>> with torch.autograd.graph.saved_tensors_hooks(lambda t: t * 1, lambda t: t):
    ...     y = (x * x).sum()
    >>> y.backward(); x.grad
    tensor([2., 2.])
    """

    def __init__(self, pack_hook, unpack_hook):
        self.pack_hook = pack_hook
        self.unpack_hook = unpack_hook

    def __enter__(self):
        if _DISABLED:
            raise RuntimeError(_DISABLED[-1])
        SAVED_HOOKS.append((self.pack_hook, self.unpack_hook))
        return self

    def __exit__(self, *exc):
        SAVED_HOOKS.pop()


class save_on_cpu(saved_tensors_hooks):
    """Saved tensors are kept in CPU memory and moved back to their device for backward."""

    def __init__(self, pin_memory=False, device_type="cuda"):
        def pack_to_cpu(tensor):
            return tensor.device, tensor.cpu()

        def unpack_from_cpu(packed):
            device, tensor = packed
            return tensor.to(device, non_blocking=pin_memory)

        super().__init__(pack_to_cpu, unpack_from_cpu)


class disable_saved_tensors_hooks(contextlib.ContextDecorator):
    """Inside it, registering saved-tensor hooks, or saving under ones already active, raises
    ``RuntimeError(error_message)``."""

    def __init__(self, error_message):
        self.error_message = error_message

    def __enter__(self):
        _DISABLED.append(self.error_message)
        return self

    def __exit__(self, *exc):
        _DISABLED.pop()

