"""``lanterna.device``: a device type plus an optional index, interned so that ``is`` compares."""

from __future__ import annotations

from ._naming import TorchNamedType


class device(metaclass=TorchNamedType):
    __slots__ = ("type", "index")
    _interned: dict = {}

    def __new__(cls, type_or_str, index=None):
        if isinstance(type_or_str, device):
            if index is not None:
                raise ValueError("device(): cannot give an index together with a device")
            return type_or_str
        if isinstance(type_or_str, int) and not isinstance(type_or_str, bool):
            # torch.device(0) means the current accelerator; lanterna treats it as cuda:0
            type_or_str, index = "cuda", type_or_str
        if not isinstance(type_or_str, str):
            raise TypeError(f"device() expected a string or an int, got {type(type_or_str).__name__}")
        text = type_or_str.strip()
        if ":" in text:
            if index is not None:
                raise RuntimeError(f"type (string) must not include an index because index was passed explicitly: {text}")
            name, _, idx = text.partition(":")
            if not idx.isdigit():
                raise RuntimeError(f"Invalid device string: '{type_or_str}'")
            index = int(idx)
        else:
            name = text
        if not name or not name.replace("_", "").isalnum():
            raise RuntimeError(f"Invalid device string: '{type_or_str}'")
        if index is not None and index < 0:
            raise RuntimeError("Device index must not be negative")
        key = (name, index)
        dev = cls._interned.get(key)
        if dev is None:
            dev = object.__new__(cls)
            object.__setattr__(dev, "type", name)
            object.__setattr__(dev, "index", index)
            cls._interned[key] = dev
        return dev

    def __setattr__(self, key, value):
        raise AttributeError("device is immutable")

    def __repr__(self):
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other):
        # as in PyTorch, a device never equals a string: ``device('cpu') == 'cpu'`` is False
        if not isinstance(other, device):
            return NotImplemented
        return self.type == other.type and self.index == other.index

    def __hash__(self):
        return hash((self.type, self.index))

    def __reduce__(self):
        return (device, (str(self),))


CPU = device("cpu")

#: the device of tensors created without ``device=`` (None: the CPU); see ``set_default_device``
DEFAULT_DEVICE = [None]
