"""The launcher, like ``torchrun``: ``python -m lanterna.distributed.run --nproc-per-node N train.py``.

It starts the ranks through the ``mpiexec`` of the MPI wheel installed with
``lanterna-distributed[mpi]`` (several machines: ``--hostfile``), or, without MPI, as plain
child processes that find each other through a shared directory (enough for NCCL). Each rank
sees ``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK`` and ``LOCAL_WORLD_SIZE``, as under torchrun.

When a rank fails, the launcher ends the whole job, says which rank failed and why, and exits
non-zero: an uncaught exception after ``init_process_group`` aborts the job through
``MPI_Abort``; one before it (or a non-zero ``sys.exit``) is noticed by the launcher, which then
stops the other ranks.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import sysconfig
import tempfile
import time

from .process_group import FAILURE_DIR_ENV
from .rendezvous import STORE_ENV

GRACE_SECONDS = 2.0  # after a rank failed: time for MPI_Abort to end the job by itself


def _parser():
    p = argparse.ArgumentParser(
        prog="python -m lanterna.distributed.run",
        description="Start a data-parallel job: N processes per machine, each running the script.")
    p.add_argument("--nproc-per-node", "--nproc_per_node", dest="nproc_per_node", default="1",
                   help="processes per machine: a number, or 'auto'/'cpu' for the number of CPU cores")
    p.add_argument("--nnodes", default=None, help="number of machines (with --hostfile; default: all hosts in it)")
    p.add_argument("--hostfile", "--host-file", dest="hostfile", default=None,
                   help="file of host names, one per line ('host' or 'host:slots'); ranks start there via ssh")
    p.add_argument("--launcher", choices=["auto", "mpi", "spawn"], default="auto",
                   help="'mpi': through mpiexec; 'spawn': child processes of this machine (no MPI); "
                        "'auto': mpi when mpiexec is found")
    p.add_argument("--mpiexec", default=None, help="the mpiexec to use (default: the one installed beside Python)")
    p.add_argument("--standalone", action="store_true", help="accepted for torchrun compatibility (one machine)")
    p.add_argument("--max-restarts", "--max_restarts", dest="max_restarts", type=int, default=0,
                   help="only 0 is supported")
    p.add_argument("--monitor-interval", "--monitor_interval", dest="monitor_interval", type=float, default=0.1)
    p.add_argument("--master-addr", "--master_addr", dest="master_addr", default=None,
                   help="MASTER_ADDR given to the ranks (default 127.0.0.1)")
    p.add_argument("--master-port", "--master_port", dest="master_port", default=None,
                   help="MASTER_PORT given to the ranks (default 29500)")
    p.add_argument("--rdzv-id", "--rdzv_id", dest="rdzv_id", default="none",
                   help="the job id, given to the ranks as TORCHELASTIC_RUN_ID")
    _torchrun_options(p)
    p.add_argument("-m", "--module", action="store_true", help="run the target as a module (python -m)")
    p.add_argument("--no-python", "--no_python", dest="no_python", action="store_true",
                   help="run the target as an executable, not with Python")
    p.add_argument("target", help="the training script (or module with -m)")
    p.add_argument("args", nargs=argparse.REMAINDER, help="arguments of the script")
    return p


def _torchrun_options(p):
    """Options of ``torchrun`` that scripts' command lines carry and that change nothing here.

    Ranks meet through MPI (or the launcher's directory with ``--launcher spawn``), so the
    rendezvous settings are not needed; they are accepted so that a torchrun command line runs
    unchanged. ``--node-rank`` and multi-machine rendezvous need ``--hostfile`` instead.
    """
    ignored = p.add_argument_group()
    for names in [("--node-rank", "--node_rank"), ("--rdzv-backend", "--rdzv_backend"),
                  ("--rdzv-endpoint", "--rdzv_endpoint"), ("--rdzv-conf", "--rdzv_conf"),
                  ("--local-addr", "--local_addr"), ("--log-dir", "--log_dir"),
                  ("-r", "--redirects"), ("-t", "--tee"), ("--role",), ("--start-method", "--start_method"),
                  ("--local-ranks-filter", "--local_ranks_filter"), ("--logs-specs", "--logs_specs"),
                  ("--signals-to-handle", "--signals_to_handle")]:
        ignored.add_argument(*names, dest="_ignored_" + names[-1].lstrip("-").replace("-", "_"),
                             default=None, metavar="VALUE", help=argparse.SUPPRESS)
    ignored.add_argument("--run-path", "--run_path", dest="_ignored_run_path", action="store_true",
                         help=argparse.SUPPRESS)


def _torchrun_environment(args, env, nproc):
    """The variables torchrun gives every rank besides the ranks: master address, job id."""
    if args.master_addr:
        env["MASTER_ADDR"] = args.master_addr
    if args.master_port:
        env["MASTER_PORT"] = str(args.master_port)
    nnodes = int(str(args.nnodes or "1").split(":")[-1]) if not args.hostfile else (
        int(args.nnodes) if args.nnodes else len(_hosts(args.hostfile)))
    env.update(TORCHELASTIC_RUN_ID=str(args.rdzv_id), TORCHELASTIC_RESTART_COUNT="0",
               TORCHELASTIC_MAX_RESTARTS="0", GROUP_WORLD_SIZE=str(nnodes), ROLE_NAME="default")


def find_mpiexec(explicit=None):
    """The ``mpiexec`` to use: given, beside this Python (the mpich wheel's), or on PATH."""
    if explicit:
        return explicit
    for d in (sysconfig.get_path("scripts"), os.path.dirname(sys.executable)):
        cand = os.path.join(d, "mpiexec")
        if os.path.exists(cand):
            return cand
    return shutil.which("mpiexec")


def _nproc(value):
    if value in ("auto", "cpu"):
        return os.cpu_count() or 1
    if value == "gpu":
        raise SystemExit("--nproc-per-node gpu: give the number of GPUs explicitly")
    n = int(value)
    if n < 1:
        raise SystemExit("--nproc-per-node must be at least 1")
    return n


def _hosts(path):
    with open(path) as f:
        return [line.split("#")[0].strip() for line in f if line.split("#")[0].strip()]


def _rank_command(args):
    if args.no_python:
        return [args.target, *args.args]
    cmd = [sys.executable, "-u", "-m", "lanterna.distributed._bootstrap"]
    if args.module:
        cmd.append("-m")
    return cmd + [args.target, *args.args]


def build_mpi_command(args, mpiexec, nproc):
    """The ``mpiexec`` command line for ``args`` (``nproc`` processes per machine)."""
    cmd = [mpiexec]
    if args.hostfile:
        nnodes = int(args.nnodes) if args.nnodes else len(_hosts(args.hostfile))
        cmd += ["-f", args.hostfile, "-ppn", str(nproc), "-n", str(nproc * nnodes)]
    else:
        if args.nnodes not in (None, "1", "1:1"):
            raise SystemExit("--nnodes > 1 needs --hostfile (the machines to start ranks on)")
        cmd += ["-n", str(nproc)]
    return cmd + _rank_command(args)


def _failures(where):
    out = {}
    for name in sorted(os.listdir(where)):
        if name.startswith("rank") and name.endswith(".failed"):
            try:
                with open(os.path.join(where, name)) as f:
                    out[int(name[4:-7])] = f.read().strip()
            except (OSError, ValueError):
                pass
    return out


def _stop(procs):
    """SIGTERM every process still running (mpiexec passes it on to the ranks), SIGKILL if needed."""
    for p in procs:
        if p.poll() is None:
            try:
                p.send_signal(signal.SIGTERM)
            except OSError:
                pass
    deadline = time.monotonic() + 5
    for p in procs:
        try:
            p.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def _watch(procs, where, interval):
    """Wait for the job; stop it when a rank failed. Returns ({rank: note}, first non-zero code)."""
    first_failure = None
    code = 0
    try:
        while True:
            states = [p.poll() for p in procs]
            bad = [c for c in states if c not in (None, 0)]
            if bad and not code:
                code = bad[0]
            if all(c is not None for c in states):
                break
            if first_failure is None and (bad or _failures(where)):
                first_failure = time.monotonic()
            if first_failure is not None and time.monotonic() - first_failure > (
                    GRACE_SECONDS if len(procs) == 1 else 0.0):
                _stop(procs)
                break
            time.sleep(interval)
    except KeyboardInterrupt:
        _stop(procs)
        raise
    for p in procs:
        c = p.wait()
        if c not in (0, None) and not code:
            code = c
    return _failures(where), code


def main(argv=None) -> int:
    """Run the launcher; returns the exit code (non-zero when any rank failed)."""
    args = _parser().parse_args(argv)
    if args.max_restarts:
        raise SystemExit("--max-restarts: restarting failed ranks is not supported")
    nproc = _nproc(args.nproc_per_node)
    mpiexec = find_mpiexec(args.mpiexec) if args.launcher != "spawn" else None
    if args.launcher == "mpi" and not mpiexec:
        raise SystemExit("no mpiexec found: pip install 'lanterna-distributed[mpi]' (it brings the mpich wheel)")
    if args.hostfile and not mpiexec:
        raise SystemExit("--hostfile needs MPI: pip install 'lanterna-distributed[mpi]'")
    env = dict(os.environ)
    if nproc > 1 and "OMP_NUM_THREADS" not in env:
        # as torchrun: N processes with N BLAS threads each would oversubscribe the cores
        env["OMP_NUM_THREADS"] = "1"
    _torchrun_environment(args, env, nproc)
    where = tempfile.mkdtemp(prefix="lanterna-dist-")
    env[FAILURE_DIR_ENV] = where
    try:
        if mpiexec:
            procs = [subprocess.Popen(build_mpi_command(args, mpiexec, nproc), env=env)]
        else:
            env[STORE_ENV] = os.path.join(where, "store")
            procs = []
            for r in range(nproc):
                e = dict(env, RANK=str(r), WORLD_SIZE=str(nproc), LOCAL_RANK=str(r), LOCAL_WORLD_SIZE=str(nproc))
                procs.append(subprocess.Popen(_rank_command(args), env=e))
        failures, code = _watch(procs, where, args.monitor_interval)
    finally:
        notes = _failures(where) if os.path.isdir(where) else {}
        shutil.rmtree(where, ignore_errors=True)
    failures = failures or notes
    for rank, why in sorted(failures.items()):
        sys.stderr.write(f"lanterna.distributed.run: rank {rank} failed{': ' + why if why else ''}\n")
    if failures or code:
        if not failures:
            sys.stderr.write(f"lanterna.distributed.run: the job failed (exit code {code})\n")
        return 1 if failures or not isinstance(code, int) or code <= 0 else code
    return 0


if __name__ == "__main__":
    sys.exit(main())
