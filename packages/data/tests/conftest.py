"""Every data test must leave no worker process behind."""

import gc
import multiprocessing
import time

import pytest


@pytest.fixture(autouse=True)
def no_leftover_children():
    """Fail a test that leaves worker processes running once its iterators are garbage.

    An exception's traceback keeps the iterator that raised it alive (as in PyTorch), hence the
    collection before looking.
    """
    yield
    if not multiprocessing.active_children():
        return
    gc.collect()
    deadline = time.monotonic() + 5.0
    while multiprocessing.active_children() and time.monotonic() < deadline:
        time.sleep(0.02)
    leftover = multiprocessing.active_children()
    for p in leftover:
        p.kill()
        p.join()
    assert not leftover, f"worker processes left running: {leftover}"
