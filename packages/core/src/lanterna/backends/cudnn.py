"""``torch.backends.cudnn``: PyTorch's cuDNN switches, kept so that scripts setting them run.

Lanterna has no cuDNN: ``is_available()`` is False and the flags (``benchmark``,
``deterministic``, ``enabled``, ``allow_tf32``) are plain attributes that change nothing
(Lanterna's CPU results are deterministic already; see ``torch.use_deterministic_algorithms``).
"""

enabled = True
benchmark = False
benchmark_limit = 10
deterministic = False
allow_tf32 = True


def is_available():
    return False


def version():
    return None


def is_acceptable(tensor):
    return False


class flags:
    """``with torch.backends.cudnn.flags(enabled=False, ...)``: sets the flags for the block."""

    def __init__(self, enabled=False, benchmark=False, benchmark_limit=10, deterministic=False, allow_tf32=True):
        self._new = {"enabled": enabled, "benchmark": benchmark, "benchmark_limit": benchmark_limit,
                     "deterministic": deterministic, "allow_tf32": allow_tf32}

    def __enter__(self):
        self._old = {k: globals()[k] for k in self._new}
        globals().update(self._new)

    def __exit__(self, *exc):
        globals().update(self._old)
        return False
