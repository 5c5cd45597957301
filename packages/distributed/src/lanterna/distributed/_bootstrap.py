"""What each rank of a launched job runs first: set torchrun's variables, then run the script.

``python -m lanterna.distributed._bootstrap [-m] target args...`` is started by the launcher,
once per rank (through ``mpiexec``, or directly). It sets ``RANK``, ``WORLD_SIZE``,
``LOCAL_RANK``, ``LOCAL_WORLD_SIZE`` from the MPI launcher's own variables (MPICH's ``PMI_*``,
Open MPI's ``OMPI_COMM_WORLD_*``) so that scripts written for ``torchrun`` find them, runs the
target as ``__main__``, and leaves a note for the launcher when the rank fails.
"""

from __future__ import annotations

import os
import runpy
import sys

# (our name, MPICH/hydra's name, Open MPI's name)
_ENV = [
    ("RANK", "PMI_RANK", "OMPI_COMM_WORLD_RANK"),
    ("WORLD_SIZE", "PMI_SIZE", "OMPI_COMM_WORLD_SIZE"),
    ("LOCAL_RANK", "MPI_LOCALRANKID", "OMPI_COMM_WORLD_LOCAL_RANK"),
    ("LOCAL_WORLD_SIZE", "MPI_LOCALNRANKS", "OMPI_COMM_WORLD_LOCAL_SIZE"),
]


def set_rank_environment(environ=os.environ) -> None:
    """Fill ``RANK``/``WORLD_SIZE``/``LOCAL_RANK``/``LOCAL_WORLD_SIZE`` from the MPI launcher's variables."""
    for ours, *theirs in _ENV:
        for name in theirs:
            if name in environ:
                environ[ours] = environ[name]
                break
    environ.setdefault("RANK", "0")
    environ.setdefault("WORLD_SIZE", "1")
    environ.setdefault("LOCAL_RANK", environ["RANK"])
    environ.setdefault("LOCAL_WORLD_SIZE", environ["WORLD_SIZE"])
    environ.setdefault("GROUP_RANK", str(int(environ["RANK"]) // max(1, int(environ["LOCAL_WORLD_SIZE"]))))
    environ.setdefault("ROLE_RANK", environ["RANK"])
    environ.setdefault("ROLE_WORLD_SIZE", environ["WORLD_SIZE"])
    environ.setdefault("MASTER_ADDR", "127.0.0.1")
    environ.setdefault("MASTER_PORT", "29500")


def main(argv=None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    as_module = bool(argv) and argv[0] == "-m"
    if as_module:
        argv = argv[1:]
    if not argv:
        sys.exit("usage: python -m lanterna.distributed._bootstrap [-m] target [args...]")
    set_rank_environment()
    rank = int(os.environ["RANK"])
    target = argv[0]
    sys.argv = argv
    from .process_group import record_failure

    try:
        if as_module:
            runpy.run_module(target, run_name="__main__", alter_sys=True)
        else:
            sys.path.insert(0, os.path.dirname(os.path.abspath(target)))
            runpy.run_path(target, run_name="__main__")
    except SystemExit as exc:
        if exc.code not in (None, 0):
            record_failure(rank, f"exited with code {exc.code}")
        raise
    except BaseException as exc:
        record_failure(rank, f"{type(exc).__name__}: {exc}")
        raise


if __name__ == "__main__":
    main()
