"""Setting up a world without MPI: a key-value store in a shared directory.

Backends that cannot find their peers by themselves (NCCL exchanges a 128-byte unique id) get a
``bootstrap`` object with ``broadcast_bytes(data, root)``. Under MPI that is the MPI backend
itself; without it, :class:`FileStore` (``init_method="file:///shared/dir"``, or the directory
the launcher passes in ``LANTERNA_DIST_STORE``) provides it through files written atomically.
"""

from __future__ import annotations

import os
import time
from datetime import timedelta

from .backend import DistStoreError

STORE_ENV = "LANTERNA_DIST_STORE"


class FileStore:
    """A key-value store in a directory that every rank can read (``set``/``get``/``wait``).

    >>> import tempfile
    >>> s = FileStore(tempfile.mkdtemp(), timeout=5)
    >>> s.set("key", b"value"); s.get("key")
    b'value'
    """

    def __init__(self, path, world_size=-1, timeout=timedelta(minutes=30)):
        self.path = path
        self.world_size = world_size
        self.timeout = timeout.total_seconds() if isinstance(timeout, timedelta) else float(timeout)
        os.makedirs(path, exist_ok=True)

    def _file(self, key):
        return os.path.join(self.path, key.replace("/", "_"))

    def set(self, key: str, value) -> None:
        """Store ``value`` (bytes or str) under ``key``: written to a temporary name, then renamed."""
        data = value.encode() if isinstance(value, str) else bytes(value)
        tmp = f"{self._file(key)}.{os.getpid()}.tmp"
        with open(tmp, "wb") as f:
            f.write(data)
        os.replace(tmp, self._file(key))

    def wait(self, keys, timeout=None) -> None:
        """Block until every key in ``keys`` exists; :class:`DistStoreError` after the timeout."""
        limit = self.timeout if timeout is None else (
            timeout.total_seconds() if isinstance(timeout, timedelta) else float(timeout))
        deadline = time.monotonic() + limit
        pause = 0.001
        for key in keys:
            while not os.path.exists(self._file(key)):
                if time.monotonic() > deadline:
                    raise DistStoreError(f"lanterna.distributed: timed out after {timedelta(seconds=limit)} "
                                         f"waiting for key '{key}' in the store at {self.path}")
                time.sleep(pause)
                pause = min(pause * 2, 0.05)

    def get(self, key: str) -> bytes:
        """The value of ``key``, waiting for it to be set."""
        self.wait([key])
        with open(self._file(key), "rb") as f:
            return f.read()

    def delete_key(self, key: str) -> bool:
        """Remove ``key``; True when it existed."""
        try:
            os.remove(self._file(key))
            return True
        except FileNotFoundError:
            return False

    def check(self, keys) -> bool:
        """True when every key exists (never blocks)."""
        return all(os.path.exists(self._file(k)) for k in keys)


class StoreBootstrap:
    """``broadcast_bytes`` over a store, for backends that need a few bytes exchanged at set-up."""

    def __init__(self, store, rank, size, prefix="bootstrap"):
        self.store = store
        self.rank = rank
        self.size = size
        self._prefix = prefix
        self._count = 0

    def broadcast_bytes(self, data, root):
        key = f"{self._prefix}.{self._count}"
        self._count += 1
        if self.rank == root:
            self.store.set(key, data)
            return bytes(data)
        return self.store.get(key)


def store_from_init_method(init_method, world_size, timeout):
    """A :class:`FileStore` for ``file://`` init methods or the launcher's store, else None."""
    if init_method and init_method.startswith("file://"):
        path = init_method[len("file://"):]
        # torch's file:// names a file; keep a directory beside it for our keys
        return FileStore(path + ".d" if not os.path.isdir(path) else path, world_size, timeout)
    env = os.environ.get(STORE_ENV)
    if env and (init_method is None or init_method == "env://"):
        return FileStore(env, world_size, timeout)
    return None
