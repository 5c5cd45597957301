"""Reading a checkpoint's pickle safely: the weights-only unpickler.

``weights_only=True`` (the default) runs :class:`WeightsUnpickler`, an interpreter of pickle
opcodes that never imports anything and never calls anything but an explicit allowlist:

- GLOBAL / STACK_GLOBAL only resolve names in the allowlist (tensor rebuild functions, storage
  types, dtypes, ``torch.Size``/``device``, ``collections.OrderedDict``, a few builtins) or
  added with :func:`add_safe_globals`; anything else raises ``pickle.UnpicklingError`` naming
  the global. Modules ``os``, ``sys``, ``subprocess`` ... and builtins like ``eval`` are refused
  even if a user allowlists them.
- REDUCE, NEWOBJ and NEWOBJ_EX only call objects that the allowlist handed out in this load.
- BUILD only sets state on OrderedDicts, tensors and allowlisted types; APPEND / SETITEM /
  ADDITEMS only on plain lists, dicts and sets.
- INST, OBJ, EXT*, PERSID and out-of-band buffers are refused; BINPERSID only accepts
  ``('storage', ...)`` ids, which the caller checks further.
- Every read is bounds-checked against the pickle's bytes, so a lying length cannot make it
  allocate or read past the end.

``weights_only=False`` uses Python's own unpickler instead (``_allowlist.full_unpickler``).
"""

from __future__ import annotations

import codecs
import pickle
import struct
from collections import Counter, OrderedDict

from .._tensor import Tensor
from . import _names
from ._allowlist import resolve_weights_only_global
from ._rebuild import _make_parameter, _set_state

UnpicklingError = pickle.UnpicklingError


class PickleTruncated(UnpicklingError, EOFError):
    """The pickle ends before its STOP opcode (an EOFError too, as Python's and torch's unpicklers raise)."""


def _op(code: bytes) -> int:
    return code[0]


class _CallerError(Exception):
    """Carries an exception of ``persistent_load`` through the unpickler's error conversion."""


class _Opaque:
    """What a scan pass pushes instead of calling anything."""

    def __repr__(self):
        return "<not evaluated>"


OPAQUE = _Opaque()


class WeightsUnpickler:
    """A restricted unpickler over an in-memory pickle (see the module docstring).

    With ``scan=True`` it evaluates nothing at all: unknown globals, calls and BUILDs become
    placeholders, and it only reports the persistent ids it meets (``persistent_load`` is
    called with each). The legacy format needs that to learn its storages' types before
    reading their bytes, which come after the pickle.
    """

    def __init__(self, data, *, persistent_load, encoding: str = "utf-8", start: int = 0, scan: bool = False):
        self._data = bytes(data) if not isinstance(data, bytes) else data
        self._pos = start
        self._scan = scan
        self._persistent_load = persistent_load
        self._encoding = encoding
        self._handed_out: dict[int, object] = {}  # id -> object, for REDUCE/NEWOBJ checks
        self._refused = None  # scan pass: the first global it refused, reported if a storage needs it
        self.globals_seen: list = []  # scan pass: every (module, name) it met, STACK_GLOBAL's too

    # -- reading, bounds-checked
    def _read(self, n: int) -> bytes:
        end = self._pos + n
        if n < 0 or end > len(self._data):
            raise PickleTruncated("pickle data was truncated")
        chunk = self._data[self._pos : end]
        self._pos = end
        return chunk

    def _readline(self) -> bytes:
        end = self._data.find(b"\n", self._pos)
        if end < 0:
            raise PickleTruncated("pickle data was truncated")
        line = self._data[self._pos : end]
        self._pos = end + 1
        return line

    def _uint(self, fmt: str) -> int:
        return struct.unpack(fmt, self._read(struct.calcsize(fmt)))[0]

    # -- the interpreter
    def load(self):
        """Unpickle one object; afterwards ``self.position`` is the byte after its STOP."""
        self._stack: list = []
        self._metastack: list = []
        self._memo: dict = {}
        try:
            while True:
                key = self._read(1)[0]
                handler = _DISPATCH.get(key)
                if handler is None:
                    raise UnpicklingError(
                        f"Unsupported operand {key} ({bytes([key])!r}) in a weights-only load"
                    )
                if handler is _stop:
                    return self._pop()
                handler(self)
        except _CallerError as exc:
            raise exc.args[0] from None
        except (
            IndexError,
            KeyError,
            struct.error,
            TypeError,
            ValueError,
            UnicodeDecodeError,
            RecursionError,
            OverflowError,
            AttributeError,
        ) as exc:
            raise UnpicklingError(
                f"malformed pickle data near byte {self._pos}: {type(exc).__name__}: {exc}"
            ) from None

    @property
    def position(self) -> int:
        return self._pos

    def _pop(self):
        if not self._stack:
            raise UnpicklingError("unpickling stack underflow")
        return self._stack.pop()

    def _pop_mark(self) -> list:
        if not self._metastack:
            raise UnpicklingError("could not find MARK")
        items = self._stack
        self._stack = self._metastack.pop()
        return items

    def _top(self):
        if not self._stack:
            raise UnpicklingError("unpickling stack underflow")
        return self._stack[-1]

    def _push_global(self, module, name):
        if self._scan:
            self.globals_seen.append((module, name))
            try:
                obj = resolve_weights_only_global(module, name)
            except (UnpicklingError, RuntimeError) as exc:
                self._refused = self._refused or exc
                obj = OPAQUE
        else:
            obj = resolve_weights_only_global(module, name)
        self._handed_out[id(obj)] = obj
        self._stack.append(obj)

    def _allowed_callable(self, func) -> bool:
        # torch.Tensor is allowlisted as a type to rebuild into, never as a constructor:
        # Tensor(10**10) would allocate 40 GB.
        return self._handed_out.get(id(func)) is func and func is not Tensor

    def _decode_str(self, raw: bytes):
        return raw if self._encoding == "bytes" else raw.decode(self._encoding, "strict")


def _stop(u):  # handled in load()
    pass


def _mark(u):
    u._metastack.append(u._stack)
    u._stack = []


def _global(u):
    module = u._readline().decode("utf-8")
    name = u._readline().decode("utf-8")
    u._push_global(module, name)


def _stack_global(u):
    name = u._pop()
    module = u._pop()
    u._push_global(module, name)


def _reduce(u):
    args = u._pop()
    func = u._top()
    if u._scan:
        u._stack[-1] = OPAQUE
        return
    if not u._allowed_callable(func):
        raise UnpicklingError(f"Trying to call reduce for unrecognized function {func!r}")
    if type(args) is not tuple:
        raise UnpicklingError("REDUCE arguments must be a tuple")
    if func is _names.torch_global("torch.nn.parameter.Parameter"):
        func = _make_parameter
    u._stack[-1] = func(*args)


def _newobj(u, kwargs=None):
    args = u._pop()
    cls = u._pop()
    if u._scan:
        u._stack.append(OPAQUE)
        return
    if not (isinstance(cls, type) and u._allowed_callable(cls)) or type(args) is not tuple:
        raise UnpicklingError(
            f"Can only create new object for nn.Parameter or classes allowlisted via "
            f"`add_safe_globals` but got {cls}"
        )
    kwargs = kwargs or {}
    if cls is _names.torch_global("torch.nn.parameter.Parameter"):
        u._stack.append(_make_parameter(*args, **kwargs))
    else:
        u._stack.append(cls.__new__(cls, *args, **kwargs))


def _newobj_ex(u):
    kwargs = u._pop()
    if type(kwargs) is not dict:
        raise UnpicklingError("NEWOBJ_EX keyword arguments must be a dict")
    _newobj(u, kwargs)


def _build(u):
    state = u._pop()
    inst = u._top()
    if u._scan:
        return
    if type(inst) in (OrderedDict, Counter):
        if not isinstance(state, dict) or any(type(k) is not str for k in state):
            raise UnpicklingError(f"BUILD state for {type(inst).__name__} must be a dict with str keys")
        inst.__dict__.update(state)
    elif isinstance(inst, Tensor):
        _set_state(inst, state)
    elif u._allowed_callable(type(inst)):
        setstate = getattr(inst, "__setstate__", None)
        if setstate is not None:
            setstate(state)
            return
        slots = None
        if isinstance(state, tuple) and len(state) == 2:
            state, slots = state
        if state:
            inst.__dict__.update(state)
        for k, v in (slots or {}).items():
            if type(k) is not str or k.startswith("__"):
                raise UnpicklingError(f"refusing to set attribute {k!r} from a checkpoint")
            setattr(inst, k, v)
    else:
        raise UnpicklingError(
            f"Can only build Tensor, Parameter, OrderedDict or types allowlisted via "
            f"`add_safe_globals`, but got {type(inst)}"
        )


def _binpersid(u):
    pid = u._pop()
    if u._scan and not (type(pid) is tuple and pid and pid[0] in ("storage", b"storage")):
        u._stack.append(OPAQUE)
        return
    if type(pid) is not tuple or not pid or pid[0] not in ("storage", b"storage"):
        raise UnpicklingError(f"Only persistent_load of storage is allowed, but got {pid!r:.200}")
    if u._scan and u._refused is not None and any(part is OPAQUE for part in pid):
        # a storage described by a refused global (a dtype lanterna lacks, or worse): say which
        raise u._refused
    try:
        result = u._persistent_load(pid)
    except UnpicklingError:
        raise
    except Exception as exc:  # the caller's own errors (bad map_location, corrupted record) pass as they are
        raise _CallerError(exc) from exc
    u._stack.append(OPAQUE if u._scan else result)


def _append(u):
    item = u._pop()
    target = u._top()
    if target is OPAQUE and u._scan:
        return
    if type(target) is not list:
        raise UnpicklingError(f"Can only append to lists, but got {type(target)}")
    target.append(item)


def _appends(u):
    items = u._pop_mark()
    target = u._top()
    if target is OPAQUE and u._scan:
        return
    if type(target) is not list:
        raise UnpicklingError(f"Can only extend lists, but got {type(target)}")
    target.extend(items)


def _check_mapping(u, what):
    target = u._top()
    if u._scan and target is OPAQUE:
        return {}
    if type(target) not in (dict, OrderedDict, Counter):
        raise UnpicklingError(
            f"Can only {what} for dict, collections.OrderedDict, collections.Counter, but got {type(target)}"
        )
    return target


def _setitem(u):
    value = u._pop()
    key = u._pop()
    _check_mapping(u, "SETITEM")[key] = value


def _setitems(u):
    items = u._pop_mark()
    target = _check_mapping(u, "SETITEMS")
    if len(items) % 2:
        raise UnpicklingError("SETITEMS needs key/value pairs")
    for i in range(0, len(items), 2):
        target[items[i]] = items[i + 1]


def _additems(u):
    items = u._pop_mark()
    target = u._top()
    if u._scan and target is OPAQUE:
        return
    if type(target) is not set:
        raise UnpicklingError(f"Can only add items to sets, but got {type(target)}")
    target.update(items)


def _tuple_n(n):
    def handler(u):
        if len(u._stack) < n:
            raise UnpicklingError("unpickling stack underflow")
        items = tuple(u._stack[len(u._stack) - n :]) if n else ()
        del u._stack[len(u._stack) - n :]
        u._stack.append(items)

    return handler


def _put(u, idx):
    if idx < 0:
        raise UnpicklingError("negative PUT argument")
    u._memo[idx] = u._top()


def _get(u, idx):
    if idx not in u._memo:
        raise UnpicklingError(f"Memo value not found at index {idx}")
    u._stack.append(u._memo[idx])


def _push(value):
    return lambda u: u._stack.append(value() if callable(value) else value)


def _dup(u):
    u._stack.append(u._top())


def _frame(u):
    u._uint("<Q")  # frames only group opcodes; the data is already in memory


def _proto(u):
    proto = u._read(1)[0]
    if proto > pickle.HIGHEST_PROTOCOL:
        raise UnpicklingError(f"unsupported pickle protocol: {proto}")


def _text_int(u):
    line = u._readline()
    u._stack.append({b"00": False, b"01": True}.get(line) if line in (b"00", b"01") else int(line))


def _text_string(u):
    line = u._readline().rstrip(b"\r")
    if len(line) < 2 or line[:1] not in b"'\"" or line[-1:] != line[:1]:
        raise UnpicklingError("the STRING opcode argument must be quoted")
    u._stack.append(u._decode_str(codecs.escape_decode(line[1:-1])[0]))


def _sized(fmt, convert):
    return lambda u: u._stack.append(convert(u, u._read(u._uint(fmt))))


def _pairs_to_dict(items):
    if len(items) % 2:
        raise UnpicklingError("DICT needs key/value pairs")
    return {items[i]: items[i + 1] for i in range(0, len(items), 2)}


def _from_mark(make):
    def handler(u):
        items = u._pop_mark()  # first: it replaces u._stack
        u._stack.append(make(items))

    return handler


_P = pickle
_DISPATCH = {
    _op(_P.STOP): _stop,
    _op(_P.MARK): _mark,
    _op(_P.POP): lambda u: u._pop(),
    _op(_P.POP_MARK): lambda u: u._pop_mark(),
    _op(_P.DUP): _dup,
    _op(_P.GLOBAL): _global,
    _op(_P.STACK_GLOBAL): _stack_global,
    _op(_P.REDUCE): _reduce,
    _op(_P.NEWOBJ): _newobj,
    _op(_P.NEWOBJ_EX): _newobj_ex,
    _op(_P.BUILD): _build,
    _op(_P.BINPERSID): _binpersid,
    _op(_P.APPEND): _append,
    _op(_P.APPENDS): _appends,
    _op(_P.SETITEM): _setitem,
    _op(_P.SETITEMS): _setitems,
    _op(_P.ADDITEMS): _additems,
    _op(_P.LIST): _from_mark(list),
    _op(_P.DICT): _from_mark(_pairs_to_dict),
    _op(_P.TUPLE): _from_mark(tuple),
    _op(_P.FROZENSET): _from_mark(frozenset),
    _op(_P.EMPTY_TUPLE): _push(()),
    _op(_P.TUPLE1): _tuple_n(1),
    _op(_P.TUPLE2): _tuple_n(2),
    _op(_P.TUPLE3): _tuple_n(3),
    _op(_P.EMPTY_LIST): _push(list),
    _op(_P.EMPTY_DICT): _push(dict),
    _op(_P.EMPTY_SET): _push(set),
    _op(_P.NONE): lambda u: u._stack.append(None),
    _op(_P.NEWTRUE): lambda u: u._stack.append(True),
    _op(_P.NEWFALSE): lambda u: u._stack.append(False),
    _op(_P.BININT): lambda u: u._stack.append(u._uint("<i")),
    _op(_P.BININT1): lambda u: u._stack.append(u._uint("<B")),
    _op(_P.BININT2): lambda u: u._stack.append(u._uint("<H")),
    _op(_P.LONG1): _sized("<B", lambda u, b: int.from_bytes(b, "little", signed=True)),
    _op(_P.LONG4): _sized("<i", lambda u, b: int.from_bytes(b, "little", signed=True)),
    _op(_P.BINFLOAT): lambda u: u._stack.append(struct.unpack(">d", u._read(8))[0]),
    _op(_P.BINUNICODE): _sized("<I", lambda u, b: b.decode("utf-8", "surrogatepass")),
    _op(_P.SHORT_BINUNICODE): _sized("<B", lambda u, b: b.decode("utf-8", "surrogatepass")),
    _op(_P.BINUNICODE8): _sized("<Q", lambda u, b: b.decode("utf-8", "surrogatepass")),
    _op(_P.BINSTRING): _sized("<i", lambda u, b: u._decode_str(b)),
    _op(_P.SHORT_BINSTRING): _sized("<B", lambda u, b: u._decode_str(b)),
    _op(_P.BINBYTES): _sized("<I", lambda u, b: b),
    _op(_P.SHORT_BINBYTES): _sized("<B", lambda u, b: b),
    _op(_P.BINBYTES8): _sized("<Q", lambda u, b: b),
    _op(_P.BYTEARRAY8): _sized("<Q", lambda u, b: bytearray(b)),
    _op(_P.BINGET): lambda u: _get(u, u._uint("<B")),
    _op(_P.LONG_BINGET): lambda u: _get(u, u._uint("<I")),
    _op(_P.GET): lambda u: _get(u, int(u._readline())),
    _op(_P.BINPUT): lambda u: _put(u, u._uint("<B")),
    _op(_P.LONG_BINPUT): lambda u: _put(u, u._uint("<I")),
    _op(_P.PUT): lambda u: _put(u, int(u._readline())),
    _op(_P.MEMOIZE): lambda u: _put(u, len(u._memo)),
    _op(_P.PROTO): _proto,
    _op(_P.FRAME): _frame,
    # protocol 0 text forms of the data opcodes
    _op(_P.INT): _text_int,
    _op(_P.LONG): lambda u: u._stack.append(int(u._readline().rstrip(b"L"))),
    _op(_P.FLOAT): lambda u: u._stack.append(float(u._readline())),
    _op(_P.STRING): _text_string,
    _op(_P.UNICODE): lambda u: u._stack.append(u._readline().decode("raw-unicode-escape")),
}
