"""A zip package read and re-pointed by hand: what reading a workbook needs, at a fraction of zipfile's cost.

Reading a small form spent half a millisecond in ``zipfile``: parsing every central-directory
record into a ZipInfo, opening each part through its file-like layers. Here the central directory
is parsed with one ``struct`` call per record and a part is one slice and one ``zlib`` call.

It also builds the package handed to python-calamine with some parts replaced: the original
bytes are kept as they are and the new parts are appended, stored, with a new central directory
that points at them (zip readers go by the central directory at the end).

Only the plain shape every spreadsheet writer produces is handled: one disk, no zip64, no
encryption, parts stored or deflated, the central directory right before its end record.
Anything else gives None (or ZipViewError when a part is read), and the caller reads the file with
``zipfile``, which also words the errors for damaged files.
"""
from __future__ import annotations

import struct
import zlib
from typing import NamedTuple

_END = struct.Struct("<4s4H2LH")  # end of central directory record
_CENTRAL = struct.Struct("<4s6H3L5H2L")  # central directory file header
_LOCAL = struct.Struct("<4s5H3L2H")  # local file header
_END_SIG, _CENTRAL_SIG, _LOCAL_SIG = b"PK\x05\x06", b"PK\x01\x02", b"PK\x03\x04"
_ZIP64_END_LOCATOR = b"PK\x06\x07"
_UTF8_NAMES = 0x800
_ENCRYPTED = 0x1
_STORED, _DEFLATED = 0, 8


class ZipViewError(Exception):
    """A part could not be read by hand (the caller falls back to zipfile)."""


class Entry(NamedTuple):
    name: str
    flags: int
    method: int
    crc: int
    compress_size: int
    file_size: int
    local_offset: int
    record: bytes  # the central directory record as written, copied unchanged into a re-pointed package


class ZipView:
    """The entries of a zip held in memory, in central-directory order."""

    def __init__(self, raw: bytes, entries: dict[str, Entry], central_offset: int):
        self.raw = raw
        self.entries = entries
        self._central_offset = central_offset

    @classmethod
    def parse(cls, raw: bytes) -> ZipView | None:
        """The view of ``raw``, or None when it is not a zip of the plain shape (see the module doc)."""
        at = raw.rfind(_END_SIG, max(0, len(raw) - 65_557))  # the end record: 22 bytes + a comment
        if at < 0 or len(raw) - at < _END.size:
            return None
        _, disk, central_disk, here, total, size, offset, _ = _END.unpack_from(raw, at)
        if disk or central_disk or here != total or offset + size != at or _ZIP64_END_LOCATOR in raw[max(0, at - 20):at]:
            return None  # several disks, zip64, or bytes before the zip (which zipfile copes with)
        entries: dict[str, Entry] = {}
        pos, unpack = offset, _CENTRAL.unpack_from
        for _ in range(total):
            if pos + _CENTRAL.size > at:
                return None
            (sig, _made, _need, flags, method, _time, _date, crc, csize, usize, name_len, extra_len,
             comment_len, _disk, _internal, _external, local) = unpack(raw, pos)
            end = pos + _CENTRAL.size + name_len + extra_len + comment_len
            if sig != _CENTRAL_SIG or end > at or flags & _ENCRYPTED or method not in (_STORED, _DEFLATED) \
                    or 0xFFFFFFFF in (csize, usize, local):
                return None
            raw_name = raw[pos + _CENTRAL.size:pos + _CENTRAL.size + name_len]
            try:
                name = raw_name.decode("utf-8" if flags & _UTF8_NAMES else "cp437")
            except UnicodeDecodeError:
                return None  # a name flagged UTF-8 that is not: zipfile says what is wrong
            if name in entries:
                return None  # zipfile lets the last one win; leave that to it
            entries[name] = Entry(name, flags, method, crc, csize, usize, local, raw[pos:end])
            pos = end
        if pos != at:
            return None
        return cls(raw, entries, offset)

    def read(self, name: str) -> bytes:
        """A part's bytes, inflated and checked against its CRC.

        Raises:
            KeyError: no such part.
            ZipViewError: the part is damaged or inflates to another size than recorded.
        """
        e = self.entries[name]
        raw = self.raw
        if raw[e.local_offset:e.local_offset + 4] != _LOCAL_SIG or e.local_offset + _LOCAL.size > len(raw):
            raise ZipViewError(f"{name}: no local header")
        *_, name_len, extra_len = _LOCAL.unpack_from(raw, e.local_offset)
        start = e.local_offset + _LOCAL.size + name_len + extra_len
        data = raw[start:start + e.compress_size]
        if len(data) != e.compress_size:
            raise ZipViewError(f"{name}: truncated")
        if e.method == _DEFLATED:
            try:
                inflater = zlib.decompressobj(-15)
                # Never inflate past the recorded size (+1 to see a lie): the caller vetted that size.
                data = inflater.decompress(data, e.file_size + 1)
            except zlib.error as exc:
                raise ZipViewError(f"{name}: {exc}") from None
        if len(data) != e.file_size or zlib.crc32(data) != e.crc:
            raise ZipViewError(f"{name}: size or CRC mismatch")
        return data

    def with_parts(self, replaced: dict[str, bytes]) -> bytes:
        """The package with the named parts' contents replaced, every other part unchanged.

        The original bytes up to the central directory stay as they are; each new part is appended
        stored (python-calamine then reads it without inflating) and the central directory is
        rewritten to point at it. The replaced parts' old bytes stay behind, unreferenced.
        """
        raw = self.raw
        out = [raw[:self._central_offset]]
        at = self._central_offset
        new_records = {}
        for name, data in replaced.items():
            local, record = _stored_headers(name, data, at)
            out.append(local)
            out.append(data)
            at += len(local) + len(data)
            new_records[name] = record
        central = b"".join(new_records.get(name, e.record) for name, e in self.entries.items())
        out.append(central)
        out.append(_END.pack(_END_SIG, 0, 0, len(self.entries), len(self.entries), len(central), at, 0))
        return b"".join(out)


def _stored_headers(name: str, data: bytes, offset: int) -> tuple[bytes, bytes]:
    """The local header and the central directory record of a stored part at ``offset``."""
    try:
        encoded, flags = name.encode("ascii"), 0
    except UnicodeEncodeError:
        encoded, flags = name.encode("utf-8"), _UTF8_NAMES
    crc, size = zlib.crc32(data), len(data)
    # Version 2.0, no time stamp (1980-01-01), no extra field.
    local = _LOCAL.pack(_LOCAL_SIG, 20, flags, _STORED, 0, 0x21, crc, size, size, len(encoded), 0) + encoded
    record = _CENTRAL.pack(_CENTRAL_SIG, 20, 20, flags, _STORED, 0, 0x21, crc, size, size, len(encoded), 0, 0,
                           0, 0, 0, offset) + encoded
    return local, record


def stored_zip(parts: list[tuple[str, bytes]]) -> bytes:
    """A new zip holding ``parts`` (name, bytes) stored, in order."""
    return StoredZipPrefix(parts[:-1]).zip_with(*parts[-1]) if parts else StoredZipPrefix([]).zip_with()


class StoredZipPrefix:
    """Stored zips that share their first parts: those parts are laid out (headers, CRCs) once,
    and each zip adds one last part of its own.

    A sheet read in bands (xltools.io.bands) wraps each band in a package with the same
    workbook, styles and shared strings (megabytes, on a large sheet): their CRCs and headers
    are worked out once rather than once per band.
    """

    def __init__(self, parts: list[tuple[str, bytes]]):
        out, records, at = [], [], 0
        for name, data in parts:
            local, record = _stored_headers(name, data, at)
            out.append(local)
            out.append(data)
            records.append(record)
            at += len(local) + len(data)
        self._head = b"".join(out)
        self._records = records

    def zip_with(self, name: str | None = None, data: bytes = b"") -> bytes:
        """The zip of the shared parts, then part ``name`` holding ``data`` (none when ``name`` is None)."""
        at = len(self._head)
        records = list(self._records)
        out = [self._head]
        if name is not None:
            local, record = _stored_headers(name, data, at)
            out += (local, data)
            records.append(record)
            at += len(local) + len(data)
        central = b"".join(records)
        out.append(central)
        out.append(_END.pack(_END_SIG, 0, 0, len(records), len(records), len(central), at, 0))
        return b"".join(out)
