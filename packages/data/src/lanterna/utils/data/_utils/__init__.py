"""Machinery behind the DataLoader: collation, fetching, worker processes, memory pinning.

The layout follows ``torch.utils.data._utils`` so code that reaches into it
(``_utils.collate.default_collate_fn_map``) keeps working.
"""

from __future__ import annotations

import atexit
import sys
import traceback

IS_WINDOWS = sys.platform == "win32"

# How often (seconds) the main process checks that its workers are alive while it waits for a
# batch, and how often a worker checks that its parent is alive. Short, so a dead worker is
# reported within about this long; a wait on a queue costs nothing while it lasts.
MP_STATUS_CHECK_INTERVAL = 0.2

python_exit_status = False
"""True once the interpreter is shutting down: no orderly worker shutdown is attempted then."""


def _set_python_exit_flag():
    global python_exit_status
    python_exit_status = True


atexit.register(_set_python_exit_flag)


class KeyErrorMessage(str):
    """A str whose repr is itself: KeyError would otherwise print the whole traceback on one line."""

    __slots__ = ()

    def __repr__(self):
        return self


class ExceptionWrapper:
    """An exception and its formatted traceback, to re-raise in another thread or process.

    Only the type and the formatted text travel (the traceback object itself cannot be pickled
    and would keep frames alive).
    """

    def __init__(self, exc_info=None, where="in background"):
        if exc_info is None:
            exc_info = sys.exc_info()
        self.exc_type = exc_info[0]
        self.exc_name = exc_info[0].__name__  # kept if the type must be replaced to cross processes
        self.exc_msg = "".join(traceback.format_exception(*exc_info))
        self.where = where

    def reraise(self):
        """Raise the wrapped exception type here, its message naming where it happened and its traceback."""
        msg = f"Caught {self.exc_name} {self.where}.\nOriginal {self.exc_msg}"
        if self.exc_type is KeyError:
            msg = KeyErrorMessage(msg)
        elif getattr(self.exc_type, "message", None):
            # exceptions whose first argument is not the message but which take message=
            raise self.exc_type(message=msg)
        try:
            exception = self.exc_type(msg)
        except Exception:
            # the type cannot be built from one string: say what happened anyway
            raise RuntimeError(msg) from None
        raise exception


from . import collate, fetch, pin_memory, shared_memory, worker  # noqa: E402,F401
