"""Loading PyTorch's legacy checkpoint format (``torch.save`` before 1.6, or with
``_use_new_zipfile_serialization=False``).

The file is a sequence: pickle(magic number), pickle(protocol version 1001), pickle(sys info),
pickle(the object, storages as persistent ids ``('storage', type, key, location, numel,
view_metadata)``), pickle(sorted storage keys), then for each key an 8-byte little-endian
element count followed by the raw bytes. The bytes come after the pickle that needs them, so a
first pass scans the object's pickle without evaluating anything to learn each storage's type;
the storages are then read and placed, and only then is the object unpickled for real.

The legacy format has no checksums; lengths and counts are checked. As in PyTorch, several
checkpoints saved one after another to one file load one after another.
"""

from __future__ import annotations

import io
import pickle

import numpy as np

from ._allowlist import full_unpickler
from ._storage import LoadedStorage, as_str, check_storage_id, decode_file_array
from ._unpickler import PickleTruncated, WeightsUnpickler
from ._zip import CheckpointEOFError, CheckpointError, NotACheckpointError, write_all

MAGIC_NUMBER = 0x1950A86A20F9469CFC6C
PROTOCOL_VERSION = 1001


def load_legacy(
    buf: bytes, restore_location, weights_only, pickle_module, encoding, description, **pickle_load_args
):
    """(object, bytes consumed) of a legacy-format checkpoint at the start of ``buf``."""
    reader = _LegacyReader(buf, encoding, description)
    try:
        object_start = reader.check_header(weights_only)
        types, keys_start = reader.scan_storages(object_start)
        roots, end = reader.read_storages(types, keys_start, restore_location)
        persistent_load = reader.persistent_loader(types, roots)
        if weights_only:
            u = WeightsUnpickler(buf, persistent_load=persistent_load, encoding=encoding, start=object_start)
            return u.load(), end
        stream = io.BytesIO(buf)
        stream.seek(object_start)
        unpickler = full_unpickler(
            pickle_module, stream, persistent_load, encoding=encoding, **pickle_load_args
        )
        return unpickler.load(), end
    except PickleTruncated:
        raise CheckpointEOFError(f"{description} is truncated: a pickle ends early") from None


class _LegacyReader:
    def __init__(self, buf, encoding, description):
        self.buf = buf
        self.encoding = encoding
        self.what = description

    def small_pickle(self, pos):
        """A plain-data pickle at ``pos``: (value, position after it)."""
        u = WeightsUnpickler(self.buf, persistent_load=_no_persistent, encoding=self.encoding, start=pos)
        return u.load(), u.position

    def check_header(self, weights_only) -> int:
        """Check magic number, protocol version and byte order; return where the object starts."""
        if self.buf[:1] != pickle.PROTO:
            raise NotACheckpointError(
                f"{self.what} is not a checkpoint (neither a zip archive nor the legacy format)"
            )
        try:
            magic, pos = self.small_pickle(0)
        except PickleTruncated:
            raise  # cut short, not corrupt: load_legacy reports it as an EOFError, as torch does
        except pickle.UnpicklingError:
            if weights_only:  # e.g. a bare malicious pickle: the caller reports the refused global
                raise
            raise NotACheckpointError(
                f"Invalid magic number; {self.what} is corrupt or not a checkpoint"
            ) from None
        if magic != MAGIC_NUMBER:
            raise CheckpointError(f"Invalid magic number; {self.what} is corrupt or not a checkpoint")
        version, pos = self.small_pickle(pos)
        if version != PROTOCOL_VERSION:
            raise CheckpointError(f"Invalid protocol version: {version}")
        sys_info, pos = self.small_pickle(pos)
        if isinstance(sys_info, dict) and sys_info.get("little_endian") is False:
            raise CheckpointError(
                f"{self.what} was saved on a big-endian machine; lanterna reads little-endian legacy "
                "checkpoints only"
            )
        return pos

    def scan_storages(self, object_start):
        """Pass 1 over the object's pickle, evaluating nothing: key -> (type, location, numel)."""
        types: dict[str, tuple] = {}

        def note(pid):
            storage_type, key, location, numel = check_storage_id(pid, 6)
            if types.setdefault(key, (storage_type, location, numel)) != (storage_type, location, numel):
                raise CheckpointError(f"{self.what} is corrupted: storage '{key}' is described twice")

        scan = WeightsUnpickler(
            self.buf, persistent_load=note, encoding=self.encoding, start=object_start, scan=True
        )
        scan.load()
        return types, scan.position

    def read_storages(self, types, keys_start, restore_location):
        """The storages' bytes, in the order of the key list; returns (key -> storage, end)."""
        buf = self.buf
        keys, pos = self.small_pickle(keys_start)
        if not isinstance(keys, list) or sorted(map(str, keys)) != sorted(types):
            raise CheckpointError(f"{self.what} is corrupted: its storage list does not match its object")
        roots: dict[str, LoadedStorage] = {}
        for key in keys:
            storage_type, location, numel = types[key]
            if pos + 8 > len(buf):
                raise CheckpointError(f"{self.what} is truncated: storage '{key}' is missing")
            count = int.from_bytes(buf[pos : pos + 8], "little")
            pos += 8
            nbytes = count * storage_type.file_dtype.itemsize
            if count != numel or pos + nbytes > len(buf):
                raise CheckpointError(
                    f"{self.what} is truncated or corrupted: storage '{key}' should hold {numel} elements, "
                    f"the file has {count} (and {len(buf) - pos} bytes left)"
                )
            raw = np.frombuffer(buf, dtype=storage_type.file_dtype, count=count, offset=pos).copy()
            pos += nbytes
            storage = LoadedStorage(decode_file_array(raw, storage_type), storage_type.dtype)
            roots[key] = restore_location(storage, location)
        return roots, pos  # what follows may be the next checkpoint saved to the same file

    def persistent_loader(self, types, roots):
        """Pass 2's persistent_load: storages (and views of them) already in place."""
        views: dict[str, LoadedStorage] = {}

        def persistent_load(pid):
            if type(pid) is tuple and len(pid) == 4 and as_str(pid[0], "tag") == "module":
                return pid[1]  # an nn.Module class and its source: only weights_only=False gets here
            storage_type, key, _, _ = check_storage_id(pid, 6)
            if types.get(key, (None,))[0] is not storage_type:
                raise CheckpointError(f"{self.what} is corrupted: unknown storage '{key}'")
            storage = roots[key]
            if pid[5] is None:
                return storage
            view_key, offset, size = pid[5]
            view_key = as_str(view_key, "view key")
            if view_key not in views:
                if not (
                    type(offset) is int
                    and type(size) is int
                    and 0 <= offset <= offset + size <= storage.size()
                ):
                    raise CheckpointError(f"{self.what} is corrupted: storage view out of bounds")
                views[view_key] = LoadedStorage(
                    storage.array[offset : offset + size], storage.dtype, storage.device
                )
            return views[view_key]

        return persistent_load


def _no_persistent(pid):
    raise pickle.UnpicklingError("unexpected persistent id in a legacy checkpoint header")


def write_legacy(stream, data_pkl: bytes, storages: dict) -> None:
    """Write the legacy format; ``data_pkl`` was pickled with 6-item storage ids."""
    header = io.BytesIO()
    sys_info = {
        "protocol_version": PROTOCOL_VERSION,
        "little_endian": True,
        "type_sizes": {"short": 2, "int": 4, "long": 4},
    }
    for value in (MAGIC_NUMBER, PROTOCOL_VERSION, sys_info):
        pickle.dump(value, header, protocol=2)
    write_all(stream, header.getvalue())
    write_all(stream, data_pkl)
    keys = sorted(storages)
    write_all(stream, pickle.dumps(keys, protocol=2))
    for key in keys:
        array = storages[key].little_endian()
        write_all(stream, int(array.size).to_bytes(8, "little"))
        write_all(stream, array)
