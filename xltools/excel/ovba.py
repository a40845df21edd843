"""MS-OVBA §2.4.1 compression: the LZ77 variant that stores VBA source and the dir stream.

A CompressedContainer is the signature byte 0x01 followed by chunks; each chunk holds up
to 4096 decompressed bytes behind a two-byte header (size - 3, signature 0b011, flag).
The compressor follows the specification's pseudocode (§2.4.1.3.6 – §2.4.1.3.19.4): the same
literal and copy tokens, so the same size, and it reproduces the worked examples of §3.2 byte
for byte. Only the match search is faster (a chain of earlier positions that share the next
three bytes, nearest first, measured up to what a copy token can hold).
"""
from __future__ import annotations

import struct

CHUNK = 4096                 # decompressed bytes per chunk
MAX_COMPRESSED_CHUNK = 4098  # header + data; CompressedChunkSize is 12 bits of (size - 3)
_SIGNATURE = 0x01
_CHUNK_SIGNATURE = 0b011


class OvbaError(ValueError):
    """A compressed container that breaks the format (bad signature, truncated token)."""


def _bit_count(difference: int) -> int:
    """CopyToken help (§2.4.1.3.19.1): offset bits for a token ``difference`` bytes into a chunk."""
    bits = max((difference - 1).bit_length(), 4)
    return bits


def compress(data: bytes) -> bytes:
    """Compress ``data`` into an MS-OVBA CompressedContainer.

    Args:
        data: the decompressed bytes (VBA source in the project's code page, or a dir stream).

    Returns:
        The container: 0x01, then one chunk per 4096 input bytes.

    A chunk that does not shrink is stored raw (flag 0), as the specification says. The
    specification also pads a short raw *final* chunk with zeros to 4096 bytes, which would
    add zeros to the decompressed data; this compressor stores such a chunk unpadded instead
    (readers, oletools included, copy what is there). Text never reaches that branch: it
    needs a last chunk of over 3,640 bytes that does not compress at all.
    """
    data = bytes(data)
    out = bytearray([_SIGNATURE])
    if not data:
        return bytes(out)
    for start in range(0, len(data), CHUNK):
        out += _compress_chunk(data, start, min(start + CHUNK, len(data)))
    return bytes(out)


def _compress_chunk(data: bytes, start: int, end: int) -> bytes:
    body = bytearray()
    heads: dict[bytes, list[int]] = {}  # 3-byte prefix -> earlier positions in this chunk
    indexed = start  # positions below this are in ``heads``
    cur = start
    room = MAX_COMPRESSED_CHUNK - 2
    while cur < end and len(body) < room:
        flag_at = len(body)
        body.append(0)
        flags = 0
        for bit in range(8):
            if cur >= end or len(body) >= room:
                break
            while indexed < cur:
                if indexed + 3 <= end:
                    heads.setdefault(data[indexed:indexed + 3], []).append(indexed)
                indexed += 1
            length, offset, bits = _match(data, start, cur, end, heads)
            if length:
                if len(body) + 1 < room:
                    token = ((offset - 1) << (16 - bits)) | (length - 3)
                    body += struct.pack("<H", token)
                    flags |= 1 << bit
                    cur += length
                else:
                    body.extend(b"\0" * (room - len(body)))  # no room: forces a raw chunk
            else:
                body.append(data[cur])
                cur += 1
        body[flag_at] = flags
    if cur < end:
        # Did not fit in 4096 bytes: a raw chunk (flag 0), always announced as 4098 bytes.
        header = (MAX_COMPRESSED_CHUNK - 3) | (_CHUNK_SIGNATURE << 12)
        return struct.pack("<H", header) + data[start:end]
    header = (len(body) + 2 - 3) | (_CHUNK_SIGNATURE << 12) | 0x8000
    return struct.pack("<H", header) + bytes(body)


def _match(data: bytes, start: int, cur: int, end: int, heads: dict[bytes, list[int]]) -> tuple[int, int, int]:
    """The spec's Matching (§2.4.1.3.19.4): the longest match, the nearest candidate on ties.

    Returns (length, offset, bit_count); length 0 when no match of 3 bytes exists. Lengths are
    measured only up to what a copy token can hold here, so the token lengths (and thus the
    whole token sequence and its size) equal the pseudocode's; only when several candidates
    match beyond that maximum may the offset differ, as this takes the nearest of them.
    """
    if cur + 3 > end:
        return 0, 0, 0
    chain = heads.get(data[cur:cur + 3])
    if not chain:
        return 0, 0, 0
    bits = _bit_count(cur - start)
    limit = min(end - cur, (0xFFFF >> bits) + 3)
    best_len = 0
    best = -1
    for cand in reversed(chain):  # nearest first: a farther candidate must be strictly longer
        if best_len and (best_len >= limit or data[cand + best_len] != data[cur + best_len]):
            if best_len >= limit:
                break
            continue  # cannot beat best_len: its byte at that length already differs
        n = _common_length(data, cand, cur, limit)
        if n > best_len:
            best_len, best = n, cand
    return best_len, cur - best, bits


def _common_length(data: bytes, a: int, b: int, limit: int) -> int:
    """How many bytes data[a:] and data[b:] share, up to ``limit`` (a < b; overlap is fine)."""
    # Galloping then bisecting on slice equality keeps the byte loop in C.
    lo, step = 3, 8  # the chain guarantees the first three bytes
    while lo < limit:
        hi = min(lo + step, limit)
        if data[a + lo:a + hi] == data[b + lo:b + hi]:
            lo = hi
            step *= 2
            continue
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if data[a + lo:a + mid] == data[b + lo:b + mid]:
                lo = mid
            else:
                hi = mid
        return lo
    return limit


def decompress(container: bytes) -> bytes:
    """Decompress an MS-OVBA CompressedContainer (§2.4.1.3.1).

    Args:
        container: the compressed bytes, starting with the signature byte 0x01.

    Returns:
        The decompressed bytes.

    Raises:
        OvbaError: on a wrong signature, a bad chunk header or a copy token that points
            before the start of its chunk.
    """
    buf = memoryview(bytes(container))
    if not buf or buf[0] != _SIGNATURE:
        raise OvbaError("compressed container must start with 0x01")
    out = bytearray()
    pos = 1
    while pos < len(buf):
        if pos + 2 > len(buf):
            raise OvbaError(f"truncated chunk header at byte {pos}")
        (header,) = struct.unpack_from("<H", buf, pos)
        size = (header & 0x0FFF) + 3
        if (header >> 12) & 0b111 != _CHUNK_SIGNATURE:
            raise OvbaError(f"bad chunk signature at byte {pos}")
        compressed = bool(header & 0x8000)
        chunk_end = min(pos + size, len(buf))
        pos += 2
        if not compressed:
            out += buf[pos:min(pos + CHUNK, len(buf))]
            pos += CHUNK
            continue
        chunk_start = len(out)
        while pos < chunk_end:
            flags = buf[pos]
            pos += 1
            for bit in range(8):
                if pos >= chunk_end:
                    break
                if not (flags >> bit) & 1:
                    out.append(buf[pos])
                    pos += 1
                    continue
                if pos + 2 > chunk_end:
                    raise OvbaError(f"truncated copy token at byte {pos}")
                (token,) = struct.unpack_from("<H", buf, pos)
                pos += 2
                bits = _bit_count(len(out) - chunk_start)
                length = (token & (0xFFFF >> bits)) + 3
                offset = (token >> (16 - bits)) + 1
                src = len(out) - offset
                if src < chunk_start:
                    raise OvbaError(f"copy token reaches before its chunk at byte {pos - 2}")
                if offset >= length:
                    out += out[src:src + length]
                else:  # overlapping copy: each byte may be one just written
                    for i in range(length):
                        out.append(out[src + i])
        pos = chunk_end
    return bytes(out)


def chunk_flags(container: bytes) -> list[bool]:
    """The CompressedChunkFlag of every chunk (True: compressed, False: raw), for checks."""
    flags = []
    pos = 1
    while pos + 2 <= len(container):
        (header,) = struct.unpack_from("<H", container, pos)
        flags.append(bool(header & 0x8000))
        pos += (header & 0x0FFF) + 3
    return flags
