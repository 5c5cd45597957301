"""The work behind ``lanterna.save`` and ``lanterna.load`` (see the package docstring):
writing and reading checkpoint files, atomic saves, map_location, the zip and legacy formats.
Imported on first use, so that ``import lanterna`` does not pay for zipfile and friends.
"""

from __future__ import annotations

import contextlib
import io
import mmap as _mmap
import os
import pickle
import pickletools
import tempfile

from . import DEFAULT_PROTOCOL, _legacy, _options
from ._allowlist import full_unpickler, py3_name, resolve_weights_only_global
from ._pickler import StorageTable, pickle_checkpoint
from ._storage import LoadedStorage, check_storage_id, decode_file_array, make_restore_location
from ._unpickler import WeightsUnpickler
from ._zip import CheckpointEOFError, CheckpointError, CheckpointValueError, ZipReader, ZipWriter

FILE_FORMAT_VERSION = b"3\n"  # the "version" record torch.save writes
UNSAFE_MESSAGE = (
    "Re-running `torch.load` with `weights_only` set to `False` will likely succeed, but it can result in "
    "arbitrary code execution. Do it only if you got the file from a trusted source."
)


def _is_path(f) -> bool:
    return isinstance(f, (str, os.PathLike))


# ---- save ------------------------------------------------------------------------------------
def save(
    obj,
    f,
    pickle_module=pickle,
    pickle_protocol=DEFAULT_PROTOCOL,
    _use_new_zipfile_serialization=True,
    _disable_byteorder_record=False,
):
    """See :func:`lanterna.serialization.save`."""
    if not _is_path(f) and not hasattr(f, "write"):
        raise AttributeError(
            f"expected 'f' to be string, path, or a file-like object with a 'write' attribute, "
            f"got {type(f).__name__}"
        )

    def write(stream, archive_name):
        write_checkpoint(
            obj,
            stream,
            archive_name,
            pickle_module,
            pickle_protocol,
            legacy=not _use_new_zipfile_serialization,
            byteorder_record=not _disable_byteorder_record,
        )

    if _is_path(f):
        _atomic_write(os.fspath(f), write)
    else:
        write(f, "archive")


def write_checkpoint(
    obj,
    stream,
    archive_name="archive",
    pickle_module=pickle,
    protocol=DEFAULT_PROTOCOL,
    *,
    legacy=False,
    byteorder_record=True,
    location_of=None,
    force_zip64=False,
):
    """Write ``obj`` to a binary ``stream`` (the work of :func:`save`, without the file handling).

    ``location_of(tensor) -> str`` overrides the location tags ('cpu', 'cuda:0') written for
    each storage.
    """
    table = StorageTable(location_of, legacy=legacy)
    data = pickle_checkpoint(obj, table, pickle_module, protocol)
    if legacy:
        _legacy.write_legacy(stream, data, table.storages)
        return
    prefix = (archive_name or "archive") + "/"
    writer = ZipWriter(stream, force_zip64=force_zip64, compute_crc32=_options.get_crc32_options())
    writer.write_record(prefix + "data.pkl", data)
    writer.write_record(prefix + ".storage_alignment", b"64")
    if byteorder_record:
        writer.write_record(prefix + "byteorder", b"little")
    for key, storage in table.storages.items():
        writer.write_record(f"{prefix}data/{key}", storage.little_endian())
    writer.write_record(prefix + "version", FILE_FORMAT_VERSION)
    writer.write_record(
        prefix + ".data/serialization_id", f"{int.from_bytes(os.urandom(16), 'little'):040d}".encode()
    )
    writer.close()


def _default_mode() -> int:
    """The permissions a new file gets (0o666 minus the umask), read without changing the umask
    where the platform allows it."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return 0o666 & ~int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask


def _atomic_write(path: str, write) -> None:
    """Write through a temporary file in the target's folder, fsync it, then rename it over the
    target: readers see the old file or the new one, never half of one."""
    target = os.path.realpath(path)  # write through symlinks, as open(path, "wb") would
    archive_name = os.path.splitext(os.path.basename(path))[0]
    if not archive_name or not (archive_name.isascii() and archive_name.isprintable()):
        archive_name = "archive"  # as torch.save names archives of non-ASCII file names
    if os.path.exists(target) and not os.path.isfile(target):  # /dev/null, a FIFO: write in place
        with open(target, "wb") as fh:
            write(fh, archive_name)
        return
    directory = os.path.dirname(target) or "."
    if not os.path.isdir(directory):
        raise RuntimeError(f"Parent directory {os.path.dirname(path) or directory} does not exist.")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(target)}.", suffix=".tmp", dir=directory)
    except PermissionError:  # a writable file in a read-only folder: no atomic rename possible
        with open(target, "wb") as fh:
            write(fh, archive_name)
        return
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh, archive_name)
            fh.flush()
            os.fsync(fh.fileno())
        mode = os.stat(target).st_mode & 0o7777 if os.path.exists(target) else _default_mode()
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    with contextlib.suppress(OSError, AttributeError):  # make the rename itself durable (POSIX)
        dir_fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


# ---- load ------------------------------------------------------------------------------------
def load(f, map_location=None, pickle_module=None, *, weights_only=None, mmap=None, **pickle_load_args):
    """See :func:`lanterna.serialization.load`."""
    if weights_only is None:
        # as torch.load: passing a pickle_module asks for a full (trusting) load
        weights_only = pickle_module is None
    if weights_only:
        if pickle_module is not None:
            raise RuntimeError("Can not safely load weights when explicit pickle_module is specified")
    elif pickle_module is None:
        pickle_module = pickle
    encoding = pickle_load_args.pop("encoding", "utf-8")
    if weights_only and pickle_load_args:
        import warnings

        warnings.warn("pickle_load_args only works if `weights_only=False`.", stacklevel=2)
        pickle_load_args = {}
    restore = make_restore_location(map_location)
    if _is_path(f) and os.fspath(f).endswith(".safetensors"):
        return _load_safetensors(os.fspath(f), map_location)
    try:
        with _open_for_read(f) as (stream, what):
            head = stream.read(4)
            stream.seek(-len(head), os.SEEK_CUR)
            if head == b"PK\x03\x04":
                mapped = _map_file(f, stream) if mmap else None
                return _load_zip(
                    stream, what, restore, weights_only, pickle_module, encoding, mapped, **pickle_load_args
                )
            if mmap:
                raise RuntimeError(
                    "mmap can only be used with files saved with "
                    "`torch.save(_use_new_zipfile_serialization=True)`, please torch.save your "
                    "checkpoint with this option in order to use mmap."
                )
            if not head:  # torch.load raises EOFError here; CheckpointEOFError is both
                raise CheckpointEOFError(f"{what} is empty: there is no data to load")
            start = stream.tell()
            result, consumed = _legacy.load_legacy(
                stream.read(), restore, weights_only, pickle_module, encoding, what, **pickle_load_args
            )
            stream.seek(start + consumed)  # leaves a following checkpoint in the file readable
            return result
    except pickle.UnpicklingError as exc:
        if not weights_only or isinstance(exc, CheckpointError):
            raise  # not a refusal of the restricted unpickler: "weights_only=False" would not help
        raise _with_message(exc, _weights_only_message(str(exc))) from None


def _with_message(exc: Exception, message: str) -> Exception:
    """``exc`` with a new message, of the same class where it can be rebuilt from one: a pickle cut
    short stays an EOFError, a bad element count stays a TypeError (what torch.load raises)."""
    try:
        return type(exc)(message)
    except Exception:  # a class that needs other arguments
        return pickle.UnpicklingError(message)


def _weights_only_message(message: str) -> str:
    if "Unsupported global" in message:
        return (
            "Weights only load failed. This file can still be loaded, to do so you have two options, "
            "do those steps only if you trust the source of the checkpoint. "
            f"\n\t(1) {UNSAFE_MESSAGE}\n\t(2) "
            "Alternatively, to load with `weights_only=True` please check the recommended steps in the "
            f"following error message.\n\tWeightsUnpickler error: {message}"
        )
    return f"Weights only load failed. {UNSAFE_MESSAGE}\n\nWeightsUnpickler error: {message}"


@contextlib.contextmanager
def _open_for_read(f):
    if _is_path(f):
        with open(f, "rb") as fh:
            yield fh, f"checkpoint '{os.fspath(f)}'"
        return
    if not hasattr(f, "read"):
        raise AttributeError(
            f"expected 'f' to be string, path, or a file-like object with a 'read' attribute, "
            f"got {type(f).__name__}"
        )
    seekable = getattr(f, "seekable", None)
    if seekable is not None and seekable():
        yield f, "the checkpoint"
    else:  # pipes, sockets: the zip reader needs random access
        yield io.BytesIO(f.read()), "the checkpoint"


def _map_file(f, stream):
    if not _is_path(f):
        raise ValueError("f must be a file path in order to use the mmap argument")
    if os.fstat(stream.fileno()).st_size == 0:
        return None
    if not _options.mmap_is_shared():
        return _mmap.mmap(stream.fileno(), 0, access=_mmap.ACCESS_COPY)
    # MAP_SHARED: changes to the loaded tensors go to the file, which needs a writable descriptor
    fd = os.open(os.fspath(f), os.O_RDWR)
    try:
        return _mmap.mmap(fd, 0, access=_mmap.ACCESS_WRITE)
    finally:
        os.close(fd)


def _load_zip(stream, what, restore, weights_only, pickle_module, encoding, mapped, **pickle_load_args):
    reader = ZipReader(stream, what, mapped, mmap_shared=mapped is not None and _options.mmap_is_shared())
    names = reader.names()
    prefix = names[0].split("/")[0] + "/" if names and "/" in names[0] else ""
    if not reader.has_record(prefix + "data.pkl"):
        if reader.has_record(prefix + "constants.pkl"):
            raise RuntimeError(
                f"{what} is a TorchScript archive (torch.jit.save); lanterna loads torch.save "
                "checkpoints only: save the model's state_dict() with torch.save instead"
            )
        raise CheckpointError(
            f"{what} is a zip archive without a data.pkl record: not a checkpoint written by torch.save"
        )
    byteorder = _options.fallback_byteorder()  # files of old PyTorch versions record none
    if reader.has_record(prefix + "byteorder"):
        byteorder = reader.read(prefix + "byteorder").decode("ascii", "replace")
        if byteorder not in ("little", "big"):
            raise CheckpointValueError(f"Unknown endianness type: {byteorder}")
    loaded: dict[str, tuple] = {}

    def persistent_load(pid):
        storage_type, key, location, numel = check_storage_id(pid, 5)
        if key in loaded:
            if loaded[key][0] is not storage_type:
                raise CheckpointError(f"{what} is corrupted: storage '{key}' is used with two element types")
            return loaded[key][1]
        name = f"{prefix}data/{key}"
        if not reader.has_record(name):
            raise CheckpointError(
                f"{what} is corrupted: storage key '{key}' points to no record in the archive"
            )
        file_dtype = storage_type.file_dtype
        if byteorder == "big" and file_dtype.itemsize > 1:
            file_dtype = file_dtype.newbyteorder(">")
        raw = reader.read_array(name, file_dtype, numel)
        storage = restore(LoadedStorage(decode_file_array(raw, storage_type), storage_type.dtype), location)
        loaded[key] = (storage_type, storage)
        return storage

    data = reader.read(prefix + "data.pkl")
    if weights_only:
        return WeightsUnpickler(data, persistent_load=persistent_load, encoding=encoding).load()
    unpickler = full_unpickler(
        pickle_module, io.BytesIO(data), persistent_load, encoding=encoding, **pickle_load_args
    )
    return unpickler.load()


def _load_safetensors(path, map_location):
    from ..utils.safetensors import load_file

    if map_location is None:
        return load_file(path)
    if isinstance(map_location, (dict,)) or callable(map_location):
        raise RuntimeError(
            "Loading safetensors file with dict or callable map_location is not supported. "
            "Use a device string or torch.device instead."
        )
    return load_file(path, device=str(map_location))


def get_unsafe_globals_in_checkpoint(f) -> list:
    """The globals in a zip checkpoint's pickle that a ``weights_only`` load would refuse.

    Globals named through ``STACK_GLOBAL`` (pickle protocol 4 and later) count too: their
    names are strings on the stack, so the pickle is scanned (evaluating nothing), not only
    disassembled.
    """
    with _open_for_read(f) as (stream, what):
        head = stream.read(4)
        stream.seek(-len(head), os.SEEK_CUR)
        if head != b"PK\x03\x04":
            raise ValueError("Expected input to be a checkpoint returned by torch.save")
        reader = ZipReader(stream, what)
        names = reader.names()
        prefix = names[0].split("/")[0] + "/" if names and "/" in names[0] else ""
        if not reader.has_record(prefix + "data.pkl"):
            raise ValueError(
                "Expected input to be a checkpoint returned by torch.save"
                + (" but got a torchscript checkpoint" if reader.has_record(prefix + "constants.pkl") else "")
            )
        data = reader.read(prefix + "data.pkl")
    unsafe = set()
    for module, name in _globals_in_pickle(data):
        module, name = py3_name(module, name)
        try:
            resolve_weights_only_global(module, name)
        except (pickle.UnpicklingError, RuntimeError):
            unsafe.add(f"{module}.{name}")
    return sorted(unsafe)


def _globals_in_pickle(data: bytes) -> list:
    """Every (module, name) a pickle names as a global, found without evaluating anything."""
    scan = WeightsUnpickler(data, persistent_load=lambda pid: None, scan=True)
    try:
        scan.load()
    except (pickle.UnpicklingError, RuntimeError):
        # an opcode the scan refuses (INST, OBJ ...) or a damaged pickle: the names met so far,
        # plus those that opcodes spell out in the stream (GLOBAL, INST), which pickletools reads
        found = list(scan.globals_seen)
        try:
            for op, arg, _ in pickletools.genops(data):
                if op.name in ("GLOBAL", "INST"):
                    found.append(tuple(arg.split(" ", 1)))
        except ValueError:
            pass
    else:
        found = scan.globals_seen
    return [(m, n) for m, n in found if type(m) is str and type(n) is str]
