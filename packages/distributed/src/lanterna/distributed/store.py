"""In-process key-value stores: ``Store`` (the base class), ``HashStore`` and ``PrefixStore``.

They follow ``torch.distributed``'s store interface (the one :class:`TCPStore` speaks): keys are
str, values are stored as bytes, ``add`` keeps a decimal integer, ``get``/``wait`` block until
the key exists or the store's timeout passes.
"""

from __future__ import annotations

import threading
import time
from datetime import timedelta

from .backend import DistStoreError

_DEFAULT_TIMEOUT = timedelta(seconds=300)


def _seconds(timeout):
    return timeout.total_seconds() if isinstance(timeout, timedelta) else float(timeout)


def _key(method, key):
    if not isinstance(key, str):
        raise TypeError(f"{method}(): key must be str, not {type(key).__name__}")
    return key


def _value(method, value):
    """Store values as bytes (str is UTF-8 encoded, as torch's bindings do)."""
    if isinstance(value, str):
        return value.encode()
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    if isinstance(value, list) and all(isinstance(b, int) for b in value):
        return bytes(value)
    raise TypeError(f"{method}(): value must be str or bytes, not {type(value).__name__}")


class Store:
    """Base class of the key-value stores (``HashStore``, ``PrefixStore``, ``TCPStore``'s interface)."""

    def __init__(self):
        self._timeout = _DEFAULT_TIMEOUT

    @property
    def timeout(self) -> timedelta:
        return self._timeout

    def set_timeout(self, timeout) -> None:
        self._timeout = timedelta(seconds=_seconds(timeout))

    def _not_implemented(self, *args, **kwargs):
        raise RuntimeError(f"{type(self).__name__} does not implement this store method (Store is abstract)")

    set = get = add = check = compare_set = delete_key = num_keys = wait = _not_implemented


class HashStore(Store):
    """A thread-safe key-value store held in this process (useful for tests and single-process groups).

    >>> s = HashStore()
    >>> s.set("key", "value"); s.get("key")
    b'value'
    >>> s.add("n", 2), s.add("n", 3)
    (2, 5)
    """

    def __init__(self):
        super().__init__()
        self._data = {}
        self._cond = threading.Condition()

    def set(self, key: str, value) -> None:
        key, value = _key("set", key), _value("set", value)
        with self._cond:
            self._data[key] = value
            self._cond.notify_all()

    def get(self, key: str) -> bytes:
        key = _key("get", key)
        with self._cond:
            self._wait_locked([key], self._timeout)
            return self._data[key]

    def add(self, key: str, amount: int) -> int:
        key = _key("add", key)
        with self._cond:
            old = self._data.get(key, b"0")
            try:
                current = int(old.decode())
            except (UnicodeDecodeError, ValueError):
                raise ValueError(f"add(): the value of key {key!r} is not an integer: {old!r}") from None
            current += int(amount)
            self._data[key] = str(current).encode()
            self._cond.notify_all()
            return current

    def compare_set(self, key: str, expected_value, desired_value) -> bytes:
        """Set ``key`` to ``desired_value`` if it holds ``expected_value`` (or is missing and
        ``expected_value`` is empty); returns the value now held (``expected_value`` if missing)."""
        key = _key("compare_set", key)
        expected, desired = _value("compare_set", expected_value), _value("compare_set", desired_value)
        with self._cond:
            current = self._data.get(key)
            if current is None:
                if expected:
                    return expected
            elif current != expected:
                return current
            self._data[key] = desired
            self._cond.notify_all()
            return desired

    def check(self, keys) -> bool:
        keys = [_key("check", k) for k in keys]
        with self._cond:
            return all(k in self._data for k in keys)

    def delete_key(self, key: str) -> bool:
        key = _key("delete_key", key)
        with self._cond:
            return self._data.pop(key, None) is not None

    def num_keys(self) -> int:
        with self._cond:
            return len(self._data)

    def wait(self, keys, timeout=None) -> None:
        keys = [_key("wait", k) for k in keys]
        with self._cond:
            self._wait_locked(keys, self._timeout if timeout is None else timeout)

    def _wait_locked(self, keys, timeout):
        limit = _seconds(timeout)
        deadline = time.monotonic() + limit
        while not all(k in self._data for k in keys):
            left = deadline - time.monotonic()
            # (torch treats a zero timeout as "no timeout")
            if limit > 0 and left <= 0:
                raise DistStoreError("Wait timeout")
            self._cond.wait(left if limit > 0 else None)


class PrefixStore(Store):
    """``PrefixStore(prefix, store)``: a view of ``store`` whose keys are stored as ``prefix/key``.

    >>> base = HashStore()
    >>> PrefixStore("job", base).set("k", "v"); base.get("job/k")
    b'v'
    """

    def __init__(self, prefix: str, store: Store):
        super().__init__()
        if not isinstance(prefix, str):
            raise TypeError(f"PrefixStore(): prefix must be str, not {type(prefix).__name__}")
        if store is None or not hasattr(store, "get"):
            raise TypeError(f"PrefixStore(): store must be a Store, not {type(store).__name__}")
        self._prefix = prefix
        self._store = store
        self._timeout = getattr(store, "timeout", _DEFAULT_TIMEOUT)

    @property
    def underlying_store(self):
        return self._store

    def _k(self, method, key):
        return f"{self._prefix}/{_key(method, key)}"

    def set(self, key, value):
        self._store.set(self._k("set", key), value)

    def get(self, key):
        return self._store.get(self._k("get", key))

    def add(self, key, amount):
        return self._store.add(self._k("add", key), amount)

    def compare_set(self, key, expected_value, desired_value):
        return self._store.compare_set(self._k("compare_set", key), expected_value, desired_value)

    def check(self, keys):
        return self._store.check([self._k("check", k) for k in keys])

    def delete_key(self, key):
        return self._store.delete_key(self._k("delete_key", key))

    def num_keys(self):
        # (as torch: the count of the underlying store, not of this prefix)
        return self._store.num_keys()

    def wait(self, keys, timeout=None):
        keys = [self._k("wait", k) for k in keys]
        if timeout is None:
            self._store.wait(keys)
        else:
            self._store.wait(keys, timeout)

    def set_timeout(self, timeout):
        super().set_timeout(timeout)
        self._store.set_timeout(timeout)
