"""Process groups: ``init_process_group``, ``new_group``, ranks, and the abort-on-exception hook."""

from __future__ import annotations

import os
import sys
import time
import warnings
from datetime import timedelta

from .backend import DEFAULT_TIMEOUT, DistBackendError
from .rendezvous import StoreBootstrap, store_from_init_method

# The CPU backend users of PyTorch name. ``gloo`` is served by MPI when the job was started by an
# MPI launcher (or is a world of one), and by the ``tcp`` backend otherwise: processes started
# some other way (``multiprocessing``, ``subprocess`` with ``RANK``/``WORLD_SIZE``/``MASTER_ADDR``/
# ``MASTER_PORT``, ``--launcher spawn``) cannot form an MPI world, but they can meet over TCP.
ALIASES = {"gloo": "mpi"}


def _cpu_engine(world_size=-1) -> str:
    """The engine of the ``gloo`` alias (and of CPU tensors when no backend is named)."""
    if _launched_by_mpi() and _available("mpi"):
        return "mpi"
    if world_size in (-1, None):
        world_size = int(os.environ.get("WORLD_SIZE", "1") or 1)
    if int(world_size) <= 1 and _available("mpi"):
        return "mpi"
    return "tcp"
FAILURE_DIR_ENV = "LANTERNA_DIST_FAILURE_DIR"


class InvalidArgumentError(ValueError, AssertionError):
    """A wrong argument of ``init_process_group``: PyTorch raises ``AssertionError`` for some of
    these and ``ValueError`` for others, so code catching either keeps working."""


class Backend(str):
    """Names of communication backends, as ``torch.distributed.Backend``: ``Backend("GLOO")`` is
    the plain string ``'gloo'``.

    >>> Backend("MPI")
    'mpi'
    """

    UNDEFINED = "undefined"
    GLOO = "gloo"
    NCCL = "nccl"
    MPI = "mpi"

    def __new__(cls, name: str):
        if not isinstance(name, str):
            raise ValueError(f"Backend name must be a string, but got: {name}")  # noqa: TRY004 (as PyTorch)
        return name.lower()  # a plain str, as PyTorch returns

    @classmethod
    def register_backend(cls, name, func, extended_api=False, devices=None):
        """Register a third-party communication backend (see docs/distributed.md)."""
        from lanterna.backends import REGISTRY

        REGISTRY.load_comm_backends()
        devices = ("cpu",) if devices is None else ((devices,) if isinstance(devices, str) else tuple(devices))
        REGISTRY.register_comm_backend(name.lower(), func, devices)
        setattr(cls, name.upper(), name.lower())


class ProcessGroup:
    """A set of ranks and, per device type, the communication backend that serves them."""

    def __init__(self, backends: dict, ranks: list, spec: str, timeout: float, name: str = ""):
        self._backends = backends
        self._ranks = list(ranks)  # global ranks, in group-rank order
        self._spec = spec
        self._timeout = timeout
        self._name = name
        first = next(iter(backends.values()))
        self._rank = first.rank
        self._size = first.size

    def rank(self) -> int:
        """This process's rank in the group."""
        return self._rank

    def size(self) -> int:
        """The number of processes in the group."""
        return self._size

    def name(self) -> str:
        return self._spec

    @property
    def group_name(self) -> str:
        return self._name

    def _get(self, device_type: str):
        b = self._backends.get(device_type)
        if b is None:
            raise RuntimeError(f"No backend type associated with device type {device_type}")
        return b

    def _any(self):
        return self._backends.get("cpu") or next(iter(self._backends.values()))

    def __repr__(self):
        return f"<ProcessGroup {self._spec} rank={self._rank} size={self._size}>"


# What ``new_group`` returns to processes outside the group: -100, as PyTorch.
NON_GROUP_MEMBER = -100


def _is_non_member(group) -> bool:
    return type(group) is int and group == NON_GROUP_MEMBER


class GroupMember:
    """``GroupMember.WORLD`` (the default group, once initialised) and ``NON_GROUP_MEMBER`` (-100)."""

    NON_GROUP_MEMBER = NON_GROUP_MEMBER

    class _World:
        def __get__(self, obj, owner):
            return _STATE.world

    WORLD = _World()


group = GroupMember


class _State:
    def __init__(self):
        self.world = None
        self.groups = {}  # ProcessGroup -> name
        self.counter = 0
        self.previous_hook = None


_STATE = _State()


def is_torchelastic_launched() -> bool:
    """True when the process was started by a torchrun-style launcher (``TORCHELASTIC_RUN_ID`` is set,
    as ``python -m lanterna.distributed.run`` does)."""
    return os.getenv("TORCHELASTIC_RUN_ID") is not None


def is_available() -> bool:
    """True: ``lanterna.distributed`` is installed (backends may still be missing)."""
    return True


def is_mpi_available() -> bool:
    """True when the ``mpi`` backend can run here (mpi4py is installed)."""
    return _available("mpi")


def is_nccl_available() -> bool:
    """True when the ``nccl`` backend can run here (CuPy with NCCL and a CUDA GPU)."""
    return _available("nccl")


def is_gloo_available() -> bool:
    """``gloo`` is served by the ``mpi`` backend under MPI, by the ``tcp`` backend otherwise."""
    return _available("mpi") or _available("tcp")


def is_backend_available(backend: str) -> bool:
    """True when the named communication backend is registered and usable here."""
    if backend.lower() == "gloo":
        return is_gloo_available()
    return _available(ALIASES.get(backend.lower(), backend.lower()))


def _comm_backends():
    from lanterna.backends import REGISTRY

    return REGISTRY.load_comm_backends()


def _available(name):
    entry = _comm_backends().get(name)
    if entry is None:
        return False
    check = getattr(entry[0], "is_available", None)
    try:
        return bool(check()) if check is not None else True
    except Exception:  # noqa: BLE001 (a broken backend is an unavailable one)
        return False


def is_initialized() -> bool:
    """True once ``init_process_group`` has run (and ``destroy_process_group`` has not)."""
    return _STATE.world is not None


def _resolve(spec, world_size=-1):
    """``backend`` argument -> ``{device_type: backend_name}``."""
    registered = _comm_backends()
    aliases = dict(ALIASES, gloo=_cpu_engine(world_size))
    if spec is None:
        out = {}
        cpu = aliases["gloo"]
        if cpu in registered and _available(cpu):
            out["cpu"] = cpu
        for name, (factory, devices) in registered.items():
            if name in ("mpi", "tcp") and name != cpu:
                continue
            if _available(name):
                for d in devices:
                    out.setdefault(d, name)
        if not out:
            reasons = "; ".join(_reason(n) for n in registered) or "no communication backend is installed"
            raise RuntimeError(f"init_process_group: no communication backend is available ({reasons})")
        return out
    spec = str(spec).lower()
    out = {}
    for part in spec.split(","):
        part = part.strip()
        if ":" in part:
            dev, name = part.split(":", 1)
            pairs = [(dev, aliases.get(name, name))]
        else:
            name = aliases.get(part, part)
            if name not in registered:
                raise InvalidArgumentError(f"Invalid backend: '{part}' (registered communication backends: "
                                           f"{', '.join(sorted(registered)) or 'none'})")
            pairs = [(d, name) for d in registered[name][1]]
        for dev, name in pairs:
            if name not in registered:
                raise InvalidArgumentError(f"Invalid backend: '{name}' (registered communication backends: "
                                           f"{', '.join(sorted(registered)) or 'none'})")
            if not _available(name):
                raise RuntimeError(f"Distributed package doesn't have the '{name}' backend available here: "
                                   f"{_reason(name)}")
            out[dev] = name
    return out


def _reason(name):
    factory = _comm_backends()[name][0]
    fn = getattr(factory, "unavailable_reason", None)
    return fn() if fn is not None else f"'{name}' is unavailable"


def init_process_group(backend=None, init_method=None, timeout=None, world_size=-1, rank=-1, store=None,
                       group_name="", pg_options=None, device_id=None):
    """Join the default process group: every process of the job calls it once.

    Under the launcher (``python -m lanterna.distributed.run``) or ``mpiexec``, ranks and world
    size come from MPI and nothing needs passing. ``backend`` is ``"mpi"`` (CPU tensors),
    ``"nccl"`` (CUDA tensors), ``"gloo"`` (``"mpi"`` under an MPI launcher, else ``"tcp"``: plain
    sockets, for processes started without MPI), ``"cpu:mpi,cuda:nccl"``, or None for every
    available one. ``init_method`` ``"env://"`` (default) reads ``RANK`` and
    ``WORLD_SIZE``; ``"file:///path"`` names a shared directory for backends that need one.

    Once initialised with more than one process, an uncaught exception in any rank aborts the
    whole job (``MPI_Abort``) instead of leaving the other ranks waiting; collectives that wait
    longer than ``timeout`` raise :class:`DistBackendError`.

    >>> import lanterna.distributed as dist
    >>> dist.init_process_group("mpi")          # doctest: +SKIP
    >>> dist.get_rank(), dist.get_world_size()  # doctest: +SKIP
    (0, 1)
    """
    if _STATE.world is not None:
        raise ValueError("trying to initialize the default process group twice!")
    if store is not None and init_method is not None:
        raise InvalidArgumentError("Cannot specify both init_method and store.")
    if store is not None:
        # as PyTorch: a store says where to meet, not who is who
        if world_size in (-1, None) or int(world_size) <= 0:
            raise InvalidArgumentError("world_size must be positive if using store")
        if rank in (-1, None) or int(rank) < 0:
            raise InvalidArgumentError("rank must be non-negative if using store")
    timeout = DEFAULT_TIMEOUT if timeout is None else timeout
    seconds = timeout.total_seconds() if isinstance(timeout, timedelta) else float(timeout)
    if init_method in (None, "env://") and store is None:
        rank = int(os.environ["RANK"]) if rank in (-1, None) and "RANK" in os.environ else rank
        world_size = (int(os.environ["WORLD_SIZE"]) if world_size in (-1, None) and "WORLD_SIZE" in os.environ
                      else world_size)
    by_device = _resolve(backend, world_size)
    registered = _comm_backends()
    # Create the backends that need no bootstrap first (MPI), so the others can bootstrap on them.
    names = sorted(set(by_device.values()), key=lambda n: n != "mpi")
    made = {}
    boot = None
    for name in names:
        factory = registered[name][0]
        if boot is None and name != "mpi":
            st = store or store_from_init_method(init_method, world_size, timeout)
            if st is not None and rank not in (-1, None) and world_size not in (-1, None):
                boot = StoreBootstrap(st, int(rank), int(world_size))
            elif _launched_by_mpi() and _available("mpi"):
                # e.g. backend="nccl" under mpiexec: MPI only carries the set-up bytes
                mpi = registered["mpi"][0]
                boot = getattr(mpi, "create", mpi)(rank=rank, world_size=world_size, timeout=seconds,
                                                   init_method=init_method, bootstrap=None)
        create = getattr(factory, "create", factory)
        b = create(rank=rank, world_size=world_size, timeout=seconds, init_method=init_method, bootstrap=boot)
        made[name] = b
        rank, world_size = b.rank, b.size
        if boot is None and hasattr(b, "broadcast_bytes"):
            boot = b
    sizes = {(b.rank, b.size) for b in made.values()}
    if len(sizes) != 1:
        raise RuntimeError(f"init_process_group: the backends disagree on rank and world size: {sizes}")
    spec = str(backend).lower() if backend is not None else ",".join(f"{d}:{n}" for d, n in by_device.items())
    if backend is None and len(set(by_device.values())) == 1:
        spec = next(iter(by_device.values()))
    backends = {d: made[n] for d, n in by_device.items()}
    world = ProcessGroup(backends, list(range(world_size)), spec, seconds, group_name or "default_pg")
    _STATE.world = world
    _STATE.groups = {world: world._name}
    if world_size > 1:
        _install_abort_hook()


def _launched_by_mpi() -> bool:
    return any(k in os.environ for k in ("PMI_RANK", "OMPI_COMM_WORLD_RANK", "PMIX_RANK"))


def _require_world():
    if _STATE.world is None:
        raise ValueError("Default process group has not been initialized, please make sure to call "
                         "init_process_group.")
    return _STATE.world


def _group(group):
    """The ProcessGroup for ``group`` (None means the world); None when not a member."""
    world = _require_world()
    if group is None or group is GroupMember.WORLD:
        return world
    if _is_non_member(group):
        return None
    if not isinstance(group, ProcessGroup):
        raise ValueError(f"Process group {group!r} is not initialized in the world group map. Please initialize the "
                         "group first (group must be a ProcessGroup returned by new_group, or None for the world).")
    if group not in _STATE.groups:
        raise ValueError("Invalid process group specified (was it destroyed?)")
    return group


def get_rank(group=None) -> int:
    """This process's rank in ``group`` (the world by default); -1 if it is not a member."""
    pg = _group(group)
    return -1 if pg is None else pg.rank()


def get_world_size(group=None) -> int:
    """The number of processes in ``group`` (the world by default); -1 if not a member."""
    pg = _group(group)
    return -1 if pg is None else pg.size()


def get_backend(group=None) -> str:
    """The backend name of ``group`` (``"mpi"``, ``"nccl"``, ``"cpu:mpi,cuda:nccl"`` ...)."""
    pg = _group(group)
    if pg is None:
        raise ValueError("Invalid process group specified")
    return Backend(pg.name())


def get_process_group_ranks(group) -> list:
    """The global ranks of ``group``'s members, in group-rank order."""
    pg = _group(group)
    return list(range(get_world_size())) if pg is None or pg is _STATE.world else list(pg._ranks)


def get_global_rank(group, group_rank: int) -> int:
    """The global rank of ``group_rank`` in ``group``."""
    pg = _group(group)
    if pg is None or not 0 <= group_rank < len(pg._ranks):
        raise ValueError(f"Group rank {group_rank} is not part of group {group}")
    return pg._ranks[group_rank]


def get_group_rank(group, global_rank: int) -> int:
    """The rank in ``group`` of the process with global rank ``global_rank``."""
    pg = _group(group)
    if pg is None or global_rank not in pg._ranks:
        raise ValueError(f"Group {group} does not contain global rank {global_rank}")
    return pg._ranks.index(global_rank)


def new_group(ranks=None, timeout=None, backend=None, pg_options=None, use_local_synchronization=False,
              group_desc=None, device_id=None):
    """A process group of the given global ``ranks`` (all of them by default).

    Every process of the world must call it, with the same ``ranks``, members or not (as in
    PyTorch); non-members get ``GroupMember.NON_GROUP_MEMBER``. With MPI this makes a
    sub-communicator (``MPI_Comm_split``).
    """
    world = _require_world()
    size = world.size()
    ranks = sorted(range(size) if ranks is None else {int(r) for r in ranks})
    for r in ranks:
        if not 0 <= r < size:
            raise ValueError(f"new_group: rank {r} is not a rank of the world of size {size}")
    if timeout is None:
        seconds = world._timeout
    else:
        seconds = timeout.total_seconds() if isinstance(timeout, timedelta) else float(timeout)
    subs = {}
    made = {}
    for dev, b in world._backends.items():
        if id(b) not in made:
            made[id(b)] = b.split(ranks)
            if made[id(b)] is not None:
                made[id(b)].timeout = seconds
        subs[dev] = made[id(b)]
    if world.rank() not in ranks:
        return NON_GROUP_MEMBER
    _STATE.counter += 1
    pg = ProcessGroup(subs, ranks, world.name(), seconds, group_desc or str(_STATE.counter))
    _STATE.groups[pg] = pg._name
    return pg


def new_subgroups_by_enumeration(ranks_per_subgroup_list, timeout=None, backend=None, pg_options=None,
                                 group_desc=None):
    """One group per list of global ranks (every process calls it with the same lists).

    Returns ``(the group of this process or None, [every group])``; entries of groups this
    process is not in are ``GroupMember.NON_GROUP_MEMBER``, as ``new_group`` gives.
    """
    if not ranks_per_subgroup_list:
        raise ValueError("The arg 'ranks_per_subgroup_list' cannot be empty")
    seen = {}
    for ranks in ranks_per_subgroup_list:
        for r in ranks:
            if r in seen:
                raise ValueError(f"Rank {r} has appeared in both subgroup {seen[r]} and {list(ranks)}")
            seen[r] = list(ranks)
    me = get_rank()
    cur, subgroups = None, []
    for ranks in ranks_per_subgroup_list:
        g = new_group(ranks=ranks, timeout=timeout, backend=backend, pg_options=pg_options, group_desc=group_desc)
        subgroups.append(g)
        if me in ranks:
            cur = g
    return cur, subgroups


def new_subgroups(group_size=None, group=None, timeout=None, backend=None, pg_options=None, group_desc=None):
    """Split the world (or ``group``) into groups of ``group_size`` consecutive ranks.

    Returns ``(the group of this process, [every group])``. ``group_size`` defaults, as in
    PyTorch, to the number of CUDA devices, which on a CPU-only machine is 0: pass it.
    """
    if group_size is None:
        import lanterna

        cuda = getattr(lanterna, "cuda", None)
        group_size = cuda.device_count() if cuda is not None and cuda.is_available() else 0
    if group_size <= 0:
        raise ValueError(f"The arg 'group_size' ({group_size}) must be positive")
    ranks = get_process_group_ranks(group) if group is not None else list(range(get_world_size()))
    if group_size > len(ranks):
        raise ValueError(f"The arg 'group_size' ({group_size}) must not exceed the world size ({len(ranks)})")
    if len(ranks) % group_size != 0:
        raise ValueError(f"The world size ({len(ranks)}) must be divisible by 'group_size' ({group_size})")
    lists = [ranks[i:i + group_size] for i in range(0, len(ranks), group_size)]
    return new_subgroups_by_enumeration(lists, timeout=timeout, backend=backend, pg_options=pg_options,
                                        group_desc=group_desc)


def get_node_local_rank(fallback_rank=None) -> int:
    """This process's rank on its machine: ``LOCAL_RANK`` (set by the launcher), else ``fallback_rank``."""
    if "LOCAL_RANK" in os.environ:
        return int(os.environ["LOCAL_RANK"])
    if fallback_rank is not None:
        return int(fallback_rank)
    raise RuntimeError("LOCAL_RANK is not in the environment. Consider passing fallback_rank to allow "
                       "`get_node_local_rank` to work, assuming you are not running in a multi-device context "
                       "and want the code to run locally instead.")


def destroy_process_group(group=None) -> None:
    """Leave ``group`` (all groups and the default one when None). MPI itself stays initialised."""
    if _is_non_member(group):
        return
    if group is None and _STATE.world is None:
        raise AssertionError("Process group cannot be None (the default process group is not initialized, or "
                             "was destroyed already)")
    if group is None or group is GroupMember.WORLD:
        for pg in list(_STATE.groups):
            _shutdown(pg)
        _STATE.groups = {}
        _STATE.world = None
        _remove_abort_hook()
        return
    if group not in _STATE.groups:
        raise ValueError("Invalid process group specified")
    _shutdown(group)
    del _STATE.groups[group]


def _shutdown(pg):
    for b in {id(b): b for b in pg._backends.values() if b is not None}.values():
        b.shutdown()


# ---- one failing rank must not leave the others waiting ---------------------------------------
def _install_abort_hook():
    if _STATE.previous_hook is None:
        _STATE.previous_hook = sys.excepthook
        sys.excepthook = _abort_on_exception


def _remove_abort_hook():
    if _STATE.previous_hook is not None:
        if sys.excepthook is _abort_on_exception:
            sys.excepthook = _STATE.previous_hook
        _STATE.previous_hook = None


def record_failure(rank, text):
    """Leave a note for the launcher saying which rank failed and why (when it asked for notes)."""
    where = os.environ.get(FAILURE_DIR_ENV)
    if not where:
        return
    try:
        with open(os.path.join(where, f"rank{rank}.failed"), "w") as f:
            f.write(text)
    except OSError:
        pass


def _abort_on_exception(exc_type, exc, tb):
    """``sys.excepthook`` while a multi-process group exists: print, then abort the whole job."""
    prev = _STATE.previous_hook or sys.__excepthook__
    prev(exc_type, exc, tb)
    world = _STATE.world
    if world is None:
        return
    rank = world.rank()
    record_failure(rank, f"{exc_type.__name__}: {exc}")
    sys.stderr.write(f"lanterna.distributed: rank {rank} raised an uncaught {exc_type.__name__}; aborting "
                     f"all {world.size()} processes of the job\n")
    sys.stderr.flush()
    sys.stdout.flush()
    # mpiexec forwards output through pipes and stops reading them once the abort reaches it:
    # give it a moment to pass on the traceback first, or the job ends without saying why.
    time.sleep(0.2)
    world._any().abort(1)


def _warn_not_in_group(op):
    warnings.warn(f"Running {op} on global rank {get_rank()} which does not belong to the given group.",
                  stacklevel=3)


__all__ = [
    "Backend", "DistBackendError", "GroupMember", "ProcessGroup", "destroy_process_group", "get_backend",
    "get_global_rank", "get_group_rank", "get_node_local_rank", "get_process_group_ranks", "get_rank",
    "get_world_size", "group",
    "init_process_group", "is_available", "is_backend_available", "is_gloo_available", "is_initialized",
    "is_mpi_available", "is_nccl_available", "is_torchelastic_launched", "new_group", "new_subgroups",
    "new_subgroups_by_enumeration",
]
