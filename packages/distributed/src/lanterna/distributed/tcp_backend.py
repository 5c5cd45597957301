"""The ``tcp`` communication backend: CPU tensors over plain TCP sockets, for processes without MPI.

PyTorch's ``gloo`` backend lets processes started any way (``multiprocessing``, ``subprocess``,
a job scheduler) form a group: they meet at ``MASTER_ADDR:MASTER_PORT`` (``env://``), at
``tcp://host:port``, or through a shared file (``file://``), given ``rank`` and ``world_size``.
MPI cannot do that (its processes must be started by ``mpiexec``), so ``init_process_group("gloo")``
uses this backend when the process was not started by an MPI launcher and the world has more
than one process; under the launcher (``python -m lanterna.distributed.run``) ``gloo`` stays on MPI.

Set-up: rank 0 serves a small key-value store (:class:`TCPStore`, as ``torch.distributed.TCPStore``)
at the master address; every rank publishes the address of its own listening socket there, then
each rank connects to every lower rank, giving one socket per pair of ranks. A reader thread per
socket files incoming messages by (group, kind, sequence number or tag), so sends never wait for
the peer to call ``recv``. Collectives exchange whole buffers between the ranks that need them, and
every rank reduces the contributions in rank order: all ranks get bitwise identical results (DDP
replicas stay identical). A peer that exits or crashes closes its sockets: whoever waits on it
raises :class:`DistBackendError` at once instead of waiting for the timeout.

This is meant for the small worlds of tests and single machines; MPI is faster for real jobs.
"""

from __future__ import annotations

import os
import socket
import struct
import threading
import time
import zlib
from collections import deque
from datetime import timedelta

import numpy as np

from .backend import CommBackend, DistBackendError, DistNetworkError, DistStoreError, ReduceOp, Work, reduction_for

_HEADER = struct.Struct("<qqqq")  # group id, kind, sequence number or tag, payload bytes
_COLL, _P2P = 0, 1
_INITS = [0]  # process groups created by this process: keys of a re-initialised world differ


def _seconds(timeout, default=1800.0):
    if timeout is None:
        return default
    return timeout.total_seconds() if isinstance(timeout, timedelta) else float(timeout)


def _recv_exact(sock, n):
    buf = bytearray(n)
    view = memoryview(buf)
    got = 0
    while got < n:
        k = sock.recv_into(view[got:], n - got)
        if k == 0:
            raise ConnectionError("connection closed")
        got += k
    return buf


def _connect(host, port, deadline, what):
    """A connected socket to ``host:port``, retrying until ``deadline`` (the peer may start later)."""
    pause = 0.01
    while True:
        try:
            s = socket.create_connection((host, int(port)), timeout=max(0.1, deadline - time.monotonic()))
            s.settimeout(None)
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            return s
        except OSError as exc:
            if time.monotonic() > deadline:
                raise DistNetworkError(f"lanterna.distributed: could not reach {what} at {host}:{port}: {exc}") from None
            time.sleep(pause)
            pause = min(pause * 2, 0.2)


# ---- the key-value store of the set-up ----------------------------------------------------------
class TCPStore:
    """A key-value store served by one process over TCP, as ``torch.distributed.TCPStore``.

    ``TCPStore(host, port, world_size, is_master)``: the master serves it (``port=0`` picks a free
    port, see :attr:`port`), everyone (the master too) is a client. Values are bytes.

    >>> s = TCPStore("127.0.0.1", 0, is_master=True, timeout=timedelta(seconds=5))
    >>> s.set("key", "value"); s.get("key")
    b'value'
    >>> s.add("n", 2), s.add("n", 3)
    (2, 5)
    """

    _SET, _GET, _ADD, _CHECK, _DEL = b"s", b"g", b"a", b"c", b"d"

    def __init__(self, host_name, port, world_size=None, is_master=False, timeout=timedelta(seconds=300),
                 wait_for_workers=True, multi_tenant=False, master_listen_fd=None, use_libuv=True):
        self.host = host_name
        self.world_size = world_size
        self.timeout = timedelta(seconds=_seconds(timeout))
        self._server = None
        if is_master:
            srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                srv.bind(("", int(port)))
            except OSError as exc:
                srv.close()
                raise DistNetworkError(f"lanterna.distributed: the store cannot listen on port {port}: {exc}") from None
            srv.listen(128)
            self._server = srv
            port = srv.getsockname()[1]
            self._data = {}
            self._cond = threading.Condition()
            threading.Thread(target=self._serve, daemon=True, name="lanterna-tcpstore").start()
        self.port = int(port)
        deadline = time.monotonic() + self.timeout.total_seconds()
        self._addr = "127.0.0.1" if is_master else host_name
        self._sock = _connect(self._addr, self.port, deadline, "the store")
        self._lock = threading.Lock()

    # server side
    def _serve(self):
        while True:
            try:
                conn, _ = self._server.accept()
            except OSError:
                return
            threading.Thread(target=self._client, args=(conn,), daemon=True).start()

    def _client(self, conn):
        try:
            while True:
                op = _recv_exact(conn, 1)
                (klen,) = struct.unpack("<I", _recv_exact(conn, 4))
                key = bytes(_recv_exact(conn, klen)).decode()
                (vlen,) = struct.unpack("<Q", _recv_exact(conn, 8))
                val = bytes(_recv_exact(conn, vlen))
                with self._cond:
                    if op == self._SET:
                        self._data[key] = val
                        self._cond.notify_all()
                        reply = b""
                    elif op == self._ADD:
                        n = int(self._data.get(key, b"0")) + int(val)
                        self._data[key] = str(n).encode()
                        self._cond.notify_all()
                        reply = str(n).encode()
                    elif op == self._CHECK:
                        reply = b"1" if key in self._data else b"0"
                    elif op == self._DEL:
                        reply = b"1" if self._data.pop(key, None) is not None else b"0"
                    else:  # get: wait for the key (the client's socket timeout bounds the wait)
                        while key not in self._data:
                            self._cond.wait(1.0)
                        reply = self._data[key]
                conn.sendall(struct.pack("<Q", len(reply)) + reply)
        except (OSError, ConnectionError):
            conn.close()

    # client side
    def _call(self, op, key, val=b"", timeout=None):
        key_b = key.encode()
        val = val.encode() if isinstance(val, str) else bytes(val)
        limit = self.timeout.total_seconds() if timeout is None else _seconds(timeout)
        with self._lock:
            self._sock.settimeout(limit)
            try:
                self._sock.sendall(op + struct.pack("<I", len(key_b)) + key_b + struct.pack("<Q", len(val)) + val)
                (n,) = struct.unpack("<Q", _recv_exact(self._sock, 8))
                return bytes(_recv_exact(self._sock, n))
            except socket.timeout:
                # the server still owes this request a reply: start over on a fresh connection
                self._sock.close()
                self._sock = _connect(self._addr, self.port, time.monotonic() + self.timeout.total_seconds(),
                                      "the store")
                raise DistStoreError(f"lanterna.distributed: timed out after {timedelta(seconds=limit)} waiting "
                                     f"for key '{key}' in the store at {self.host}:{self.port}") from None
            except (OSError, ConnectionError) as exc:
                raise DistStoreError(f"lanterna.distributed: the store at {self.host}:{self.port} failed: {exc}") from None

    def set(self, key: str, value) -> None:
        self._call(self._SET, key, value)

    def get(self, key: str) -> bytes:
        return self._call(self._GET, key)

    def add(self, key: str, amount: int) -> int:
        return int(self._call(self._ADD, key, str(int(amount))))

    def check(self, keys) -> bool:
        return all(self._call(self._CHECK, k) == b"1" for k in keys)

    def delete_key(self, key: str) -> bool:
        return self._call(self._DEL, key) == b"1"

    def wait(self, keys, timeout=None) -> None:
        for k in keys:
            self._call(self._GET, k, timeout=timeout)

    def set_timeout(self, timeout) -> None:
        self.timeout = timedelta(seconds=_seconds(timeout))

    def close(self):
        for s in (self._sock, self._server):
            if s is not None:
                try:
                    s.close()
                except OSError:
                    pass


def _store_for(init_method, bootstrap, world_size, timeout):
    """The store to meet in, and the address this process should publish for itself."""
    store = getattr(bootstrap, "store", None)  # file://, the launcher's directory, or store=
    if store is not None:
        return store, None, "127.0.0.1"
    if init_method and init_method.startswith("tcp://"):
        addr = init_method[len("tcp://"):].split("?")[0].rstrip("/")
        host, _, port = addr.rpartition(":")
        if not host or not port:
            raise ValueError(f"init_method {init_method!r}: expected tcp://host:port")
    else:
        host, port = os.environ.get("MASTER_ADDR"), os.environ.get("MASTER_PORT")
        for name, value in (("MASTER_ADDR", host), ("MASTER_PORT", port)):
            if value is None:
                raise ValueError(f"Error initializing torch.distributed using env:// rendezvous: environment "
                                 f"variable {name} expected, but not set")
    return None, (host.strip("[]"), int(port)), None


# ---- the mesh of sockets ------------------------------------------------------------------------
class _Mesh:
    """One socket per peer, a reader thread each, and the messages received but not yet used."""

    def __init__(self, rank, size, socks):
        self.rank = rank
        self.size = size
        self.socks = socks  # global rank -> socket
        self.send_locks = {p: threading.Lock() for p in socks}
        self.inbox = {}  # (peer, group, kind, n) -> deque of payloads
        self.dead = {}  # peer -> why its connection ended
        self.cond = threading.Condition()
        self.closed = False
        for p, s in socks.items():
            threading.Thread(target=self._read, args=(p, s), daemon=True, name=f"lanterna-tcp-{p}").start()

    def _read(self, peer, sock):
        try:
            while True:
                gid, kind, n, nbytes = _HEADER.unpack(_recv_exact(sock, _HEADER.size))
                payload = _recv_exact(sock, nbytes) if nbytes else bytearray()
                with self.cond:
                    self.inbox.setdefault((peer, gid, kind, n), deque()).append(payload)
                    self.cond.notify_all()
        except (OSError, ConnectionError) as exc:
            with self.cond:
                self.dead[peer] = "closed the connection" if isinstance(exc, ConnectionError) else str(exc)
                self.cond.notify_all()
        if self.closed:
            sock.close()

    def send(self, peer, gid, kind, n, data):
        if isinstance(data, np.ndarray):
            data = data.reshape(-1).view(np.uint8) if data.size else b""
        view = memoryview(data)
        with self.send_locks[peer]:
            try:
                self.socks[peer].sendall(_HEADER.pack(gid, kind, n, len(view)))
                if len(view):
                    self.socks[peer].sendall(view)
            except OSError as exc:
                why = f"it {self.dead[peer]}" if peer in self.dead else f"it failed or exited: {exc}"
                raise DistBackendError(f"lanterna.distributed: rank {self.rank} could not send to rank {peer} "
                                       f"({why})") from None

    def take(self, peer, key):
        """The next payload from ``peer`` under ``key`` (call with ``cond`` held), or None."""
        q = self.inbox.get((peer, *key))
        if q:
            out = q.popleft()
            if not q:
                del self.inbox[(peer, *key)]
            return out
        if peer in self.dead:
            raise DistBackendError(f"lanterna.distributed: rank {peer} {self.dead[peer]} while rank {self.rank} "
                                   "was waiting for it (it failed or exited)")
        return None

    def close(self):
        """Stop sending; the reader threads go on draining until the peers close their side too.

        Closing a socket that still has unread data would reset the connection, which can
        discard messages the peer has received but not yet read.
        """
        self.closed = True
        for p, s in self.socks.items():
            if p in self.dead:
                s.close()
                continue
            try:
                s.shutdown(socket.SHUT_WR)
            except OSError:
                pass


class _TCPWork(Work):
    """A Work whose completion is the arrival of given messages; ``wait`` sleeps until they come."""

    def __init__(self, backend, needs, finish, what, result, any_source=False):
        self._mesh = backend.mesh
        self._needs = list(needs)  # [(global peer, key)], or candidates when any_source
        self._any = any_source
        self._got = {}
        self._user_finish = finish
        super().__init__(test=self._ready if self._needs else None, finish=self._finish_all, timeout=backend.timeout,
                         what=what, result=result, rank=backend.rank)

    def _ready_locked(self):
        if self._any:
            if self._got:
                return True
            for peer, key in self._needs:
                data = self._mesh.inbox.get((peer, *key))
                if data:
                    self._got[peer] = self._mesh.take(peer, key)
                    return True
            if all(p in self._mesh.dead for p, _ in self._needs):
                self._mesh.take(*self._needs[0])  # raises
            return False
        for peer, key in self._needs:
            if peer not in self._got:
                data = self._mesh.take(peer, key)
                if data is None:
                    return False
                self._got[peer] = data
        return True

    def _ready(self):
        with self._mesh.cond:
            try:
                return self._ready_locked()
            except DistBackendError as exc:
                self._error = exc
                raise

    def _finish_all(self):
        return self._user_finish(self._got) if self._user_finish is not None else None

    def wait(self, timeout=None) -> bool:
        if self._done:
            if self._error is not None:
                raise self._error
            return True
        limit = self._timeout if timeout is None else _seconds(timeout)
        deadline = self._started + limit
        with self._mesh.cond:
            while True:
                try:
                    if self._ready_locked():
                        break
                except DistBackendError as exc:
                    self._error = exc
                    raise
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    self._error = DistBackendError(
                        f"lanterna.distributed: {self._what} on rank {self._rank} timed out after "
                        f"{timedelta(seconds=round(limit, 3))} (the process group's timeout): another rank "
                        "failed, exited, or did not call the same collective")
                    raise self._error
                self._mesh.cond.wait(min(remaining, 1.0))
        self._done = True
        self._run_finish()
        return True


def _reducer(op, dtype):
    """``f(acc, x)`` for ``op`` on arrays of ``dtype`` (raises before any data moves)."""
    return reduction_for(op, dtype, "tcp", sum=np.add, prod=np.multiply, min=np.minimum, max=np.maximum,
                         logical_and=np.logical_and, logical_or=np.logical_or, logical_xor=np.logical_xor,
                         bit_and=np.bitwise_and, bit_or=np.bitwise_or, bit_xor=np.bitwise_xor)


def _array(t):
    return np.ascontiguousarray(t._data)


def _write(t, values):
    t._data[...] = np.asarray(values).reshape(t._data.shape)
    t._version[0] += 1


class TCPBackend(CommBackend):
    """A group of CPU processes connected by TCP sockets (the world, or a ``new_group`` of it)."""

    name = "tcp"

    @staticmethod
    def is_available() -> bool:
        return True

    @staticmethod
    def unavailable_reason() -> str:
        return "available"

    @classmethod
    def create(cls, rank=-1, world_size=-1, timeout=None, init_method=None, bootstrap=None):
        if rank in (-1, None) and bootstrap is not None:
            rank, world_size = bootstrap.rank, bootstrap.size
        if rank in (-1, None) or world_size in (-1, None):
            raise ValueError("init_process_group: without an MPI launcher, rank and world_size are needed "
                             "(set RANK and WORLD_SIZE, or pass rank= and world_size=)")
        rank, size = int(rank), int(world_size)
        if not 0 <= rank < size:
            raise ValueError(f"init_process_group: rank {rank} is not in [0, {size - 1}]")
        seconds = _seconds(timeout)
        deadline = time.monotonic() + seconds
        _INITS[0] += 1
        prefix = f"lanterna.tcp.{_INITS[0]}"
        store, master, my_host = _store_for(init_method, bootstrap, size, seconds)
        owned_store = None
        if store is None:
            owned_store = store = TCPStore(master[0], master[1], size, is_master=rank == 0,
                                           timeout=timedelta(seconds=seconds))
            # the address the others reach us at: the one our store connection leaves from
            my_host = master[0] if rank == 0 else store._sock.getsockname()[0]
            if my_host.startswith("127.") and not master[0].startswith("127.") and master[0] != "localhost":
                my_host = socket.gethostbyname(socket.gethostname())
        socks = {}
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            listener.bind(("", 0))
            listener.listen(max(1, size))
            store.set(f"{prefix}/addr/{rank}", f"{my_host}:{listener.getsockname()[1]}")
            for peer in range(rank):
                host, _, port = store.get(f"{prefix}/addr/{peer}").decode().rpartition(":")
                s = _connect(host, port, deadline, f"rank {peer}")
                s.sendall(struct.pack("<qq", rank, size))
                socks[peer] = s
            listener.settimeout(max(0.1, deadline - time.monotonic()))
            while len(socks) < size - 1:
                try:
                    s, _ = listener.accept()
                except socket.timeout:
                    missing = sorted(set(range(rank + 1, size)) - set(socks))
                    raise DistNetworkError(f"lanterna.distributed: rank {rank} timed out waiting for ranks "
                                           f"{missing} to connect") from None
                s.settimeout(None)
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                peer, their_size = struct.unpack("<qq", _recv_exact(s, 16))
                if their_size != size:
                    raise ValueError(f"init_process_group: rank {peer} has world_size={their_size}, rank {rank} "
                                     f"has world_size={size}")
                socks[int(peer)] = s
        except BaseException:
            for s in socks.values():
                s.close()
            if owned_store is not None:
                owned_store.close()
            raise
        finally:
            listener.close()
        world = cls(_Mesh(rank, size, socks), list(range(size)), 0, seconds)
        world._store = owned_store
        world._owner = True
        world.barrier().wait()  # every rank is connected: the addresses are no longer needed
        delete = getattr(store, "delete_key", None)
        if delete is not None and owned_store is None:
            delete(f"{prefix}/addr/{rank}")  # a shared directory may be reused by a later job
        return world

    def __init__(self, mesh, ranks, gid, timeout):
        self.mesh = mesh
        self.ranks = list(ranks)  # group rank -> global rank
        self.gid = gid
        self.rank = self.ranks.index(mesh.rank)
        self.size = len(self.ranks)
        self.timeout = timeout
        self._seq = 0
        self._splits = 0
        self._store = None
        self._owner = False

    # ---- plumbing ---------------------------------------------------------------------------
    def _key(self):
        self._seq += 1
        return (self.gid, _COLL, self._seq)

    def _peers(self):
        return [r for r in range(self.size) if r != self.rank]

    def _send(self, r, key, data):
        self.mesh.send(self.ranks[r], key[0], key[1], key[2], data)

    def _work(self, needs, key, finish, what, result=()):
        return _TCPWork(self, [(self.ranks[r], key) for r in needs], finish, what, result)

    def _contributions(self, got, mine, dtype, shape):
        out = []
        for r in range(self.size):
            out.append(mine if r == self.rank else np.frombuffer(got[self.ranks[r]], dtype=dtype).reshape(shape))
        return out

    def _reduce(self, parts, op, dtype):
        f = _reducer(op, dtype)
        acc = np.array(parts[0], copy=True)
        for p in parts[1:]:
            acc = f(acc, p).astype(dtype, copy=False)
        if int(op) == ReduceOp.AVG:
            acc = np.true_divide(acc, len(parts)).astype(dtype) if np.issubdtype(dtype, np.floating) else \
                (np.trunc(acc / len(parts))).astype(dtype)
        return acc

    # ---- collectives ------------------------------------------------------------------------
    def all_reduce(self, tensor, op):
        a = _array(tensor)
        _reducer(op, a.dtype)
        key = self._key()
        for r in self._peers():
            self._send(r, key, a)
        return self._work(self._peers(), key, lambda got: _write(
            tensor, self._reduce(self._contributions(got, a, a.dtype, a.shape), op, a.dtype)), "all_reduce", [tensor])

    def reduce(self, tensor, root, op):
        a = _array(tensor)
        _reducer(op, a.dtype)
        key = self._key()
        if self.rank != root:
            self._send(root, key, a)
            return self._work([], key, None, "reduce", [tensor])
        return self._work(self._peers(), key, lambda got: _write(
            tensor, self._reduce(self._contributions(got, a, a.dtype, a.shape), op, a.dtype)), "reduce", [tensor])

    def broadcast(self, tensor, root):
        key = self._key()
        if self.rank == root:
            a = _array(tensor)
            for r in self._peers():
                self._send(r, key, a)
            return self._work([], key, None, "broadcast", [tensor])
        dtype = tensor._data.dtype
        return self._work([root], key, lambda got: _write(tensor, np.frombuffer(got[self.ranks[root]], dtype=dtype)),
                          "broadcast", [tensor])

    def _exchange(self, a, what, finish, result):
        key = self._key()
        for r in self._peers():
            self._send(r, key, a)
        return self._work(self._peers(), key, lambda got: finish(self._contributions(got, a, a.dtype, a.shape)),
                          what, result)

    def all_gather_into_tensor(self, output, input):
        return self._exchange(_array(input), "all_gather_into_tensor",
                              lambda parts: _write(output, np.stack(parts)), [output])

    def all_gather(self, outputs, input):
        def finish(parts):
            for out, p in zip(outputs, parts):
                _write(out, p)
        return self._exchange(_array(input), "all_gather", finish, outputs)

    def gather(self, outputs, input, root):
        a = _array(input)
        key = self._key()
        if self.rank != root:
            self._send(root, key, a)
            return self._work([], key, None, "gather", [])

        def finish(got):
            for out, p in zip(outputs, self._contributions(got, a, a.dtype, a.shape)):
                _write(out, p)
        return self._work(self._peers(), key, finish, "gather", outputs)

    def scatter(self, output, inputs, root):
        key = self._key()
        if self.rank == root:
            for r in self._peers():
                self._send(r, key, _array(inputs[r]))
            _write(output, _array(inputs[root]))
            return self._work([], key, None, "scatter", [output])
        dtype = output._data.dtype
        return self._work([root], key, lambda got: _write(output, np.frombuffer(got[self.ranks[root]], dtype=dtype)),
                          "scatter", [output])

    def _send_pieces(self, pieces, what, finish, result):
        """Send ``pieces[r]`` to rank ``r``; ``finish(received pieces in rank order)``."""
        key = self._key()
        for r in self._peers():
            self._send(r, key, pieces[r])
        dtype = pieces[self.rank].dtype

        def done(got):
            return finish([pieces[r] if r == self.rank else np.frombuffer(got[self.ranks[r]], dtype=dtype)
                           for r in range(self.size)])
        return self._work(self._peers(), key, done, what, result)

    def reduce_scatter_tensor(self, output, input, op):
        a = _array(input).reshape(-1)
        _reducer(op, a.dtype)
        n = output.numel()
        pieces = [a[r * n:(r + 1) * n] for r in range(self.size)]
        return self._send_pieces(pieces, "reduce_scatter", lambda parts: _write(output, self._reduce(
            parts, op, a.dtype)), [output])

    def reduce_scatter(self, output, inputs, op):
        pieces = [_array(t).reshape(-1) for t in inputs]
        _reducer(op, pieces[0].dtype)
        return self._send_pieces(pieces, "reduce_scatter", lambda parts: _write(output, self._reduce(
            parts, op, pieces[0].dtype)), [output])

    def all_to_all_single(self, output, input, output_split_sizes=None, input_split_sizes=None):
        a = _array(input)
        rows = a.reshape(a.shape[0], -1) if a.ndim else a.reshape(1, -1)
        sizes = list(input_split_sizes) if input_split_sizes else [rows.shape[0] // self.size] * self.size
        offs = np.cumsum([0] + sizes)
        pieces = [np.ascontiguousarray(rows[offs[r]:offs[r + 1]]).reshape(-1) for r in range(self.size)]
        return self._send_pieces(pieces, "all_to_all", lambda parts: _write(output, np.concatenate(parts)),
                                 [output])

    def all_to_all(self, outputs, inputs):
        pieces = [_array(t).reshape(-1) for t in inputs]

        def finish(parts):
            for out, p in zip(outputs, parts):
                _write(out, p)
        return self._send_pieces(pieces, "all_to_all", finish, outputs)

    def barrier(self):
        return self._exchange(np.zeros(0, dtype=np.uint8), "barrier", lambda parts: None, [])

    # ---- point to point ---------------------------------------------------------------------
    def send(self, tensor, dst, tag):
        self.mesh.send(self.ranks[dst], self.gid, _P2P, tag, _array(tensor))
        return self._work([], None, None, "send", [tensor])

    def recv(self, tensor, src, tag):
        key = (self.gid, _P2P, tag)
        dtype = tensor._data.dtype
        candidates = self._peers() if src is None else [src]

        def finish(got):
            (peer, data), = got.items()
            _write(tensor, np.frombuffer(data, dtype=dtype))
            return self.ranks.index(peer)
        return _TCPWork(self, [(self.ranks[r], key) for r in candidates], finish, "recv", [tensor],
                        any_source=src is None)

    # ---- small blocking helpers of the frontend ---------------------------------------------
    def agree(self, values, what="consistency check"):
        a = np.array(list(values), dtype=np.int64)
        parts = []
        w = self._exchange(a, what, parts.extend, [])
        w.wait()
        stack = np.stack(parts)
        return stack.max(0).tolist(), stack.min(0).tolist()

    def all_gather_bytes(self, data):
        data = bytes(data)
        key = self._key()
        for r in self._peers():
            self._send(r, key, data)
        out = []
        self._work(self._peers(), key, lambda got: out.extend(
            data if r == self.rank else bytes(got[self.ranks[r]]) for r in range(self.size)),
            "all_gather_object").wait()
        return out

    def broadcast_bytes(self, data, root):
        key = self._key()
        if self.rank == root:
            for r in self._peers():
                self._send(r, key, bytes(data))
            return bytes(data)
        out = []
        self._work([root], key, lambda got: out.append(bytes(got[self.ranks[root]])), "broadcast_object_list").wait()
        return out[0]

    # ---- groups and lifetime ----------------------------------------------------------------
    def split(self, ranks):
        self._splits += 1
        members = [self.ranks[r] for r in ranks]
        hi, lo = self.agree([zlib.crc32(repr(members).encode()), len(members)], "new_group")
        if hi != lo:
            raise DistBackendError("new_group() was called with different ranks on different processes: "
                                   "every process must pass the same list")
        if self.mesh.rank not in members:
            return None
        gid = zlib.crc32(repr((self.gid, self._splits, members)).encode()) & 0x7FFFFFFF or 1
        return TCPBackend(self.mesh, members, gid, self.timeout)

    def shutdown(self):
        if self._owner:
            self.mesh.close()
            if self._store is not None:
                self._store.close()
