"""Functions for ``lanterna.multiprocessing.spawn`` tests (they must be importable by the children)."""

import os
import sys


def write_index(i, out_dir):
    with open(os.path.join(out_dir, f"proc{i}"), "w") as f:
        f.write(str(os.getpid()))


def raise_on_one(i):
    if i == 1:
        raise ValueError("process 1 fails on purpose")


def exit_on_one(i, code):
    if i == 1:
        sys.exit(code)
