"""The zip container of a checkpoint: an uncompressed ("stored") archive, as PyTorch writes it.

Why our own writer rather than :mod:`zipfile`: tensor data must start at a multiple of 64 bytes
inside the file (so that a memory-mapped load gets aligned arrays, as PyTorch expects), which
means padding each local header with an extra field whose length depends on where the record
lands. Writing the few fixed-size headers ourselves keeps that exact, needs no seeking (so
``save`` works on pipes too) and writes sizes and CRC-32 up front.

Reading parses the central directory with :mod:`zipfile` (it knows zip64 and stray prefixes),
then checks every record we use: the local header agrees with the central directory, the bytes
lie inside the file, the record is stored, and its CRC-32 matches. PyTorch checks none of that
on load, so a flipped byte in a weight goes unnoticed there; here it is an error.
"""

from __future__ import annotations

import os
import pickle
import struct
import zipfile
import zlib

import numpy as np

ALIGNMENT = 64
_LOCAL = struct.Struct("<IHHHHHIIIHH")  # local file header (30 bytes)
_CENTRAL = struct.Struct("<IHHHHHHIIIHHHHHII")  # central directory header (46 bytes)
_EOCD = struct.Struct("<IHHHHIIH")  # end of central directory (22 bytes)
_EOCD64 = struct.Struct("<IQHHIIQQQQ")  # zip64 end of central directory (56 bytes)
_LOCATOR64 = struct.Struct("<IIQI")  # zip64 end of central directory locator (20 bytes)
_U32 = 0xFFFFFFFF
_DOS_DATE = (0 << 9) | (1 << 5) | 1  # 1980-01-01: fixed, so the same tensors give the same bytes


class CheckpointError(RuntimeError):
    """The file is not a readable checkpoint: truncated, corrupted, or not a checkpoint at all."""


class CheckpointEOFError(CheckpointError, EOFError):
    """The data ends before the checkpoint does (an empty file, a pickle cut short). Also an
    EOFError, which is what ``torch.load`` raises there, so code catching either works."""


class NotACheckpointError(CheckpointError, pickle.UnpicklingError):
    """The bytes are neither a zip archive nor a pickle. ``torch.load`` hands such bytes to its
    unpickler, which raises ``pickle.UnpicklingError``: this is both, so code catching either works."""


class CheckpointTypeError(CheckpointError, TypeError):
    """A value in the checkpoint has the wrong type or sign (a negative element count, a float
    size), where ``torch.load`` raises ``TypeError``."""


class CheckpointValueError(CheckpointError, ValueError):
    """A record holds a value outside its allowed set (a ``byteorder`` that is neither ``little``
    nor ``big``), where ``torch.load`` raises ``ValueError``."""


def write_all(stream, data) -> int:
    """Write every byte of ``data`` (unbuffered raw files may take fewer per call); return the count."""
    view = memoryview(data).cast("B")
    total = len(view)
    while len(view):
        written = stream.write(view)
        if written is None or written >= len(view):
            break
        view = view[written:]
    return total


class ZipWriter:
    """Writes stored records to a binary stream, each record's data aligned to ``ALIGNMENT``."""

    def __init__(self, stream, force_zip64: bool = False, compute_crc32: bool = True):
        self._stream = stream
        self._compute_crc32 = compute_crc32  # False writes 0: "not recorded" (set_crc32_options)
        self._offset = 0  # bytes written so far: offsets are relative to the archive's start
        self._entries: list[tuple[bytes, int, int, int]] = []  # name, crc, size, header offset
        self._force_zip64 = force_zip64

    def _write(self, data) -> None:
        self._offset += write_all(self._stream, data)

    def write_record(self, name: str, data) -> None:
        """Append one record; ``data`` is anything with the buffer protocol (bytes, a NumPy array)."""
        view = memoryview(data).cast("B") if not isinstance(data, bytes) else data
        size = len(view)
        crc = zlib.crc32(view) if self._compute_crc32 else 0
        encoded = name.encode("utf-8")
        header_offset = self._offset
        zip64 = self._force_zip64 or size >= _U32
        extra = struct.pack("<HHQQ", 1, 16, size, size) if zip64 else b""
        # Pad the local header with an extra field (id "FB", as PyTorch's writer does) so that
        # the data starts on an aligned offset.
        data_start = header_offset + _LOCAL.size + len(encoded) + len(extra) + 4
        extra += b"FB" + struct.pack("<H", -data_start % ALIGNMENT) + b"Z" * (-data_start % ALIGNMENT)
        field = _U32 if zip64 else size
        flags = 0x800 if not name.isascii() else 0
        self._write(
            _LOCAL.pack(
                0x04034B50,
                45 if zip64 else 20,
                flags,
                0,
                0,
                _DOS_DATE,
                crc,
                field,
                field,
                len(encoded),
                len(extra),
            )
        )
        self._write(encoded + extra)
        if size:
            self._write(view)
        self._entries.append((encoded, crc, size, header_offset))

    def close(self) -> None:
        """Write the central directory and the end records (zip64 ones where needed)."""
        cd_start = self._offset
        for encoded, crc, size, offset in self._entries:
            big = [v for v in (size, size, offset) if self._force_zip64 or v >= _U32]
            extra = struct.pack("<HH", 1, 8 * len(big)) + struct.pack(f"<{len(big)}Q", *big) if big else b""
            sizes = _U32 if self._force_zip64 or size >= _U32 else size
            off = _U32 if self._force_zip64 or offset >= _U32 else offset
            flags = 0x800 if not encoded.isascii() else 0
            self._write(
                _CENTRAL.pack(
                    0x02014B50,
                    45 if big else 20,
                    45 if big else 20,
                    flags,
                    0,
                    0,
                    _DOS_DATE,
                    crc,
                    sizes,
                    sizes,
                    len(encoded),
                    len(extra),
                    0,
                    0,
                    0,
                    0,
                    off,
                )
            )
            self._write(encoded + extra)
        cd_size = self._offset - cd_start
        count = len(self._entries)
        if self._force_zip64 or count >= 0xFFFF or cd_start >= _U32 or cd_size >= _U32:
            eocd64_at = self._offset
            self._write(_EOCD64.pack(0x06064B50, 44, 45, 45, 0, 0, count, count, cd_size, cd_start))
            self._write(_LOCATOR64.pack(0x07064B50, 0, eocd64_at, 1))
            self._write(_EOCD.pack(0x06054B50, 0, 0, 0xFFFF, 0xFFFF, _U32, _U32, 0))
        else:
            self._write(_EOCD.pack(0x06054B50, 0, 0, count, count, cd_size, cd_start, 0))


class ZipReader:
    """Random access to the records of a checkpoint archive, with every read verified.

    ``stream`` is a seekable binary file object; ``mmap_buffer`` (optional) is a memory map of
    the same file, from which tensor data is then viewed instead of copied.
    """

    def __init__(self, stream, description: str = "the checkpoint", mmap_buffer=None, mmap_shared=False):
        self._stream = stream
        self._what = description
        self._mmap = mmap_buffer
        # A file mapped with MAP_SHARED is meant to be edited in place through its tensors: their
        # records are not CRC-checked, and their CRC-32s are set to 0 ("not recorded", as
        # set_crc32_options(False) writes) so that the edited file still loads, here and in PyTorch.
        self._mmap_shared = mmap_shared
        start = stream.tell()
        self._file_end = stream.seek(0, os.SEEK_END)
        stream.seek(start)
        try:
            self._zip = zipfile.ZipFile(stream)
        except (zipfile.BadZipFile, OSError, ValueError, EOFError, struct.error, NotImplementedError) as exc:
            raise CheckpointError(
                f"{self._what} is truncated or corrupted: its zip central directory cannot be read ({exc})"
            ) from None
        infos = self._zip.infolist()
        self._infos = {info.filename: info for info in infos}
        if len(self._infos) != len(infos):
            raise CheckpointError(f"{self._what} is corrupted: the zip archive names a record twice")
        self._data_end = min(getattr(self._zip, "start_dir", self._file_end), self._file_end)
        if infos and min(info.header_offset for info in infos) != start:
            # zipfile locates an archive from its end: data between here and there would be
            # another checkpoint (or junk), and we must not return a different object than asked.
            raise CheckpointError(
                f"{self._what} holds data before its zip archive (several checkpoints saved to one "
                "file in the zip format cannot be read back one by one)"
            )

    def names(self) -> list[str]:
        return list(self._infos)

    def has_record(self, name: str) -> bool:
        return name in self._infos

    def record_size(self, name: str) -> int:
        return self._infos[name].file_size

    def _locate(self, name: str) -> tuple[int, int]:
        """(absolute data offset, size) of a stored record, after checking its headers."""
        info = self._infos.get(name)
        if info is None:
            raise CheckpointError(f"{self._what} is corrupted: record '{name}' is missing")
        if info.compress_type != zipfile.ZIP_STORED or info.compress_size != info.file_size:
            raise CheckpointError(
                f"{self._what}: record '{name}' is compressed; checkpoints store their records "
                "uncompressed (as torch.save writes them)"
            )
        if info.flag_bits & 0x1:
            raise CheckpointError(f"{self._what}: record '{name}' is encrypted")
        self._stream.seek(info.header_offset)
        header = self._stream.read(_LOCAL.size)
        if len(header) != _LOCAL.size or header[:4] != b"PK\x03\x04":
            raise CheckpointError(
                f"{self._what} is truncated or corrupted: bad local header for record '{name}'"
            )
        name_len, extra_len = _LOCAL.unpack(header)[9:11]
        stored_name = self._stream.read(name_len)
        if stored_name not in (info.filename.encode("utf-8"), info.filename.encode("cp437", "replace")):
            raise CheckpointError(
                f"{self._what} is corrupted: the local header of record '{name}' names "
                f"'{stored_name.decode('utf-8', 'replace')}'"
            )
        start = info.header_offset + _LOCAL.size + name_len + extra_len
        if start + info.file_size > self._data_end:
            raise CheckpointError(
                f"{self._what} is truncated or corrupted: record '{name}' claims {info.file_size} bytes "
                f"at offset {start}, but the file holds only {max(self._data_end - start, 0)} bytes there"
            )
        return start, info.file_size

    def _check_crc(self, name: str, data) -> None:
        expected = self._infos[name].CRC
        # A CRC of 0 means "not recorded" (torch.serialization.set_crc32_options(False)).
        if expected != 0 and zlib.crc32(data) != expected:
            raise CheckpointError(
                f"{self._what} is corrupted: CRC-32 mismatch in record '{name}' (the data on disk is not "
                "what was saved; refusing to return wrong values)"
            )

    def read(self, name: str) -> bytes:
        """The bytes of a (small) record, CRC-checked."""
        start, size = self._locate(name)
        self._stream.seek(start)
        data = self._stream.read(size)
        if len(data) != size:
            raise CheckpointError(f"{self._what} is truncated: record '{name}' ends early")
        self._check_crc(name, data)
        return data

    def read_array(self, name: str, np_dtype, count: int) -> np.ndarray:
        """A record as a 1-D array of ``count`` elements of ``np_dtype`` (CRC- and size-checked).

        The array is writable: a fresh buffer, or a copy-on-write view of the memory map.
        """
        np_dtype = np.dtype(np_dtype)
        start, size = self._locate(name)
        if size != count * np_dtype.itemsize:
            raise CheckpointError(
                f"{self._what} is corrupted: storage '{name}' should hold {count} elements of "
                f"{np_dtype.itemsize} bytes ({count * np_dtype.itemsize} bytes) but the record has "
                f"{size} bytes"
            )
        if self._mmap is not None:
            array = np.ndarray((count,), dtype=np_dtype, buffer=self._mmap, offset=start)
            if self._mmap_shared:
                self._forget_crc(name)
            else:
                self._check_crc(name, array.view(np.uint8) if count else b"")
            return array
        array = np.empty(count, dtype=np_dtype)
        buf = memoryview(array.view(np.uint8)) if count else memoryview(bytearray())
        self._stream.seek(start)
        got = 0
        while got < size:
            n = self._stream.readinto(buf[got:])
            if not n:
                raise CheckpointError(f"{self._what} is truncated: record '{name}' ends early")
            got += n
        self._check_crc(name, buf)
        return array

    def _forget_crc(self, name: str) -> None:
        """Zero the CRC-32 of record ``name`` in the (shared, writable) map: local header and
        central directory entry."""
        info = self._infos[name]
        if info.CRC == 0:
            return
        self._mmap[info.header_offset + 14 : info.header_offset + 18] = bytes(4)
        pos, encoded = self._zip.start_dir, info.orig_filename.encode("utf-8")
        while self._mmap[pos : pos + 4] == b"PK\x01\x02":
            name_len, extra_len, comment_len = struct.unpack_from("<HHH", self._mmap, pos + 28)
            if self._mmap[pos + 46 : pos + 46 + name_len] == encoded:
                self._mmap[pos + 16 : pos + 20] = bytes(4)
                return
            pos += 46 + name_len + extra_len + comment_len

    def close(self) -> None:
        self._zip.close()
