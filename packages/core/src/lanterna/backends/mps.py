"""``torch.backends.mps``: Apple's Metal device. ``is_available()`` is True only where a plugin
registers an available ``mps`` backend (none ships with Lanterna)."""


def is_available():
    import lanterna

    return lanterna.mps.is_available()


def is_built():
    from .registry import REGISTRY

    return "mps" in REGISTRY.backends


def is_macos_or_newer(major, minor):
    return False
