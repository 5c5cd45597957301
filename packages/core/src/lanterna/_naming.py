"""Class names as PyTorch prints them.

Tutorials print types (``type(x)`` is ``<class 'torch.Tensor'>``). Lanterna's classes print under
``torch`` while their ``__module__`` stays the real one, so pickling still finds them.
"""


class TorchNamedType(type):
    def __repr__(cls):
        module = cls.__module__
        if module == "lanterna" or module.startswith("lanterna._"):
            return f"<class 'torch.{cls.__qualname__}'>"
        if module.startswith("lanterna."):
            return f"<class 'torch{module[len('lanterna'):]}.{cls.__qualname__}'>"
        return type.__repr__(cls)
