"""A minimal deterministic ZIP writer whose constant members are compressed once and reused.

Every generated workbook shares most of its parts (styles, theme, shared strings, images)
byte for byte with the template, so those are deflated once at compile time and their
compressed bytes are copied into each output. Timestamps are fixed (1980-01-01 00:00), so
the same input always gives the same bytes.
"""
from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

__all__ = ["Member", "member", "zip_bytes"]

_DOS_DATE = (0 << 9) | (1 << 5) | 1  # 1980-01-01
_DOS_TIME = 0
_LOCAL = struct.Struct("<IHHHHHIIIHH")
_CENTRAL = struct.Struct("<IHHHHHHIIIHHHHHII")
_END = struct.Struct("<IHHHHIIH")
_UTF8_FLAG = 0x0800
# Parts this small gain nothing from deflate; storing them saves the compressor call.
STORE_BELOW = 64
# Per-form parts: level 1 deflates sheet XML about twice as fast as zlib's default 6, for
# files ~15 % larger; constant parts are compressed once at level 9 (see compiler).
DYNAMIC_LEVEL = 1


@dataclass(frozen=True)
class Member:
    """One archive member, already compressed."""

    name: bytes
    method: int  # 0 stored, 8 deflated
    crc: int
    size: int
    data: bytes
    flags: int


def member(name: str, data: bytes, level: int = DYNAMIC_LEVEL) -> Member:
    """Compress ``data`` as archive member ``name`` (stored when tiny)."""
    raw_name = name.encode("utf-8")
    flags = 0 if raw_name.isascii() else _UTF8_FLAG
    crc = zlib.crc32(data)
    if len(data) < STORE_BELOW:
        return Member(raw_name, 0, crc, len(data), data, flags)
    comp = zlib.compressobj(level, zlib.DEFLATED, -15)
    packed = comp.compress(data) + comp.flush()
    if len(packed) >= len(data):
        return Member(raw_name, 0, crc, len(data), data, flags)
    return Member(raw_name, 8, crc, len(data), packed, flags)


def zip_bytes(members: list[Member]) -> bytes:
    """The ZIP archive holding ``members`` in order (no ZIP64: parts stay far below 4 GB)."""
    out: list[bytes] = []
    central: list[bytes] = []
    offset = 0
    for m in members:
        header = _LOCAL.pack(0x04034B50, 20, m.flags, m.method, _DOS_TIME, _DOS_DATE, m.crc,
                             len(m.data), m.size, len(m.name), 0)
        out.append(header)
        out.append(m.name)
        out.append(m.data)
        central.append(_CENTRAL.pack(0x02014B50, 20, 20, m.flags, m.method, _DOS_TIME, _DOS_DATE, m.crc,
                                     len(m.data), m.size, len(m.name), 0, 0, 0, 0, 0, offset))
        central.append(m.name)
        offset += len(header) + len(m.name) + len(m.data)
    cd = b"".join(central)
    out.append(cd)
    out.append(_END.pack(0x06054B50, 0, 0, len(members), len(members), len(cd), offset, 0))
    return b"".join(out)
