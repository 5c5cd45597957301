"""Every data test must leave no worker process behind."""

import gc
import multiprocessing
import time

import pytest


@pytest.fixture(autouse=True)
def no_leftover_children():
    """Fail a test that leaves worker processes running once its iterators are garbage.

    An exception's traceback keeps the iterator that raised it alive (as in PyTorch), hence the
    collection before looking. Processes that were running before the test are not its own.
    """
    before = set(multiprocessing.active_children())
    yield

    def new_children():
        return [p for p in multiprocessing.active_children() if p not in before]

    if not new_children():
        return
    gc.collect()
    deadline = time.monotonic() + 5.0
    while new_children() and time.monotonic() < deadline:
        time.sleep(0.02)
    leftover = new_children()
    for p in leftover:
        p.kill()
        p.join()
    assert not leftover, f"worker processes left running: {leftover}"
