"""``lanterna.futures``: ``torch.futures.Future``, as far as communication hooks need it.

A :class:`Future` holds a value that becomes available later: set it with :meth:`set_result`
(or :meth:`set_exception`), read it with :meth:`wait` / :meth:`value`, chain work on it with
:meth:`then`. Lanterna has no background threads: a future made from an operation in flight
(``Work.get_future()``) completes when someone waits on it (or on a future chained from it), or
when :meth:`done` finds the operation complete, and its callbacks run then, in the caller.

>>> fut = Future()
>>> chained = fut.then(lambda f: f.value() + 1)
>>> fut.set_result(41)
>>> chained.wait()
42
"""

from __future__ import annotations

_UNSET = object()


class Future:
    """``torch.futures.Future``: a value that becomes available later.

    :param devices: accepted for PyTorch compatibility (CUDA streams are not tracked)
    """

    def __init__(self, *, devices=None):
        self._value = _UNSET
        self._error = None
        self._callbacks = []
        # Non-blocking and blocking drivers for futures that complete from an operation in
        # flight (a Work) or from the future they were chained on.
        self._poll = None
        self._block = None

    def __class_getitem__(cls, item):  # Future[torch.Tensor] in annotations
        return cls

    # ---- state -------------------------------------------------------------------------------
    def done(self) -> bool:
        """True once the future has a result or an exception (never blocks)."""
        if not self._completed() and self._poll is not None:
            self._poll()
        return self._completed()

    def _completed(self):
        return self._value is not _UNSET or self._error is not None

    def set_result(self, result) -> None:
        """Complete the future with ``result`` and run the callbacks added so far."""
        if self._completed():
            raise RuntimeError("Future can only be marked completed once.")
        self._value = result
        self._run_callbacks()

    def set_exception(self, result) -> None:
        """Complete the future with an error: :meth:`wait` and :meth:`value` raise it."""
        if not isinstance(result, BaseException):
            raise TypeError(f"{result} is of type {type(result)}, not an Exception.")
        if self._completed():
            raise RuntimeError("Future can only be marked completed once.")
        self._error = result
        self._run_callbacks()

    def _run_callbacks(self):
        callbacks, self._callbacks = self._callbacks, []
        for cb in callbacks:
            cb(self)

    # ---- reading -----------------------------------------------------------------------------
    def wait(self):
        """Block until the future completes; return its value (raise its exception)."""
        if not self._completed() and self._block is not None:
            self._block()
        if not self._completed():
            raise RuntimeError("Future.wait(): the future is not completed and nothing will complete it "
                               "(lanterna has no background threads: call set_result first)")
        return self.value()

    def value(self):
        """The value of a completed future (raises its exception; raises if not completed)."""
        if self._error is not None:
            raise self._error
        if self._value is _UNSET:
            if self._poll is not None:
                self._poll()
            if self._error is not None:
                raise self._error
            if self._value is _UNSET:
                raise RuntimeError("Future.value() called before the future completed")
        return self._value

    # ---- chaining ----------------------------------------------------------------------------
    def add_done_callback(self, callback) -> None:
        """Run ``callback(self)`` once the future completes (now, if it already has)."""
        if self._completed():
            callback(self)
        else:
            self._callbacks.append(callback)

    def then(self, callback) -> Future:
        """A new future holding ``callback(self)``, computed once this future completes.

        An exception raised by ``callback`` becomes the new future's exception.
        """
        child = Future()
        child._poll = self.done
        child._block = self._wait_quietly

        def run(fut):
            try:
                out = callback(fut)
            except Exception as exc:  # noqa: BLE001 - delivered through the future, as PyTorch does
                child.set_exception(exc)
            else:
                child.set_result(out)

        self.add_done_callback(run)
        return child

    def _wait_quietly(self):
        """Complete the future without raising its exception (that is for its readers)."""
        if not self._completed() and self._block is not None:
            self._block()

    def __repr__(self):
        state = "done" if self._completed() else "pending"
        return f"<lanterna.futures.Future ({state})>"


def _from_work(work, value):
    """A future completed by ``work`` (a ``lanterna.distributed.Work``) with ``value()``."""
    fut = Future()

    def settle():
        if fut._completed():
            return
        err = work.exception()
        if err is not None:
            fut.set_exception(err)
        else:
            fut.set_result(value())

    def poll():
        if work.is_completed():
            settle()

    def block():
        try:
            work.wait()
        except Exception as exc:  # noqa: BLE001
            if not fut._completed():
                fut.set_exception(exc)
            return
        settle()

    fut._poll, fut._block = poll, block
    return fut


def collect_all(futures):
    """A future of the list of ``futures``, completed once all of them are."""
    futures = list(futures)
    out = Future()

    def block():
        for f in futures:
            f._wait_quietly()
        if not out._completed():
            out.set_result(futures)

    def poll():
        if all(f.done() for f in futures) and not out._completed():
            out.set_result(futures)

    out._poll, out._block = poll, block
    return out


def wait_all(futures):
    """Wait for every future; return their values (raise the first exception)."""
    return [f.wait() for f in futures]


__all__ = ["Future", "collect_all", "wait_all"]
