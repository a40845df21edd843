"""Compound File Binary (MS-CFB version 3): the container a vbaProject.bin is stored in.

``write_compound_file`` lays out a deterministic file: the FAT sectors, then the directory,
the mini FAT, the mini stream (every stream under 4,096 bytes lives there, in 64-byte mini
sectors) and finally the large streams, each contiguous. ``read_compound_file`` reads any
version-3 or version-4 file back into ``{"VBA/dir": bytes, ...}``; the add-in's ``status``
uses it to read the xlwings version built into an installed add-in without olefile.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass, field

SIGNATURE = bytes.fromhex("D0CF11E0A1B11AE1")
SECTOR = 512
MINI_SECTOR = 64
MINI_CUTOFF = 4096
FREESECT, ENDOFCHAIN, FATSECT, DIFSECT = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFC
NOSTREAM = 0xFFFFFFFF
_HEADER_DIFAT = 109
_PER_SECTOR = SECTOR // 4
_STORAGE, _STREAM, _ROOT = 1, 2, 5
_BLACK = 1


class CfbError(ValueError):
    """A compound file that cannot be written (too large, bad name) or read (corrupt)."""


@dataclass
class _Node:
    name: str
    is_storage: bool
    data: bytes = b""
    children: dict[str, "_Node"] = field(default_factory=dict)
    sid: int = 0
    start: int = ENDOFCHAIN
    left: int = NOSTREAM
    right: int = NOSTREAM
    child: int = NOSTREAM


def _sort_key(name: str) -> tuple[int, str]:
    # MS-CFB §2.6.4: shorter names first, then code points compared after upper-casing.
    return len(name), name.upper()


def _check_name(name: str) -> None:
    if not name or len(name) > 31 or any(ch in name for ch in "/\\:!"):
        raise CfbError(f"invalid compound-file entry name {name!r}")


def write_compound_file(streams: dict[str, bytes]) -> bytes:
    """Build a version-3 compound file holding ``streams``.

    Args:
        streams: path → content, with "/" between storage names ("VBA/dir", "PROJECT").
            Storages are created as needed, in sorted order.

    Returns:
        The file's bytes. Identical input gives identical output (no timestamps).

    Raises:
        CfbError: on a name longer than 31 characters or with / \\ : !, on two names in one
            storage that differ only in case, or a file that would
            need more FAT sectors than the header's 109 DIFAT slots address (about 6.8 MB).
    """
    root = _Node("Root Entry", True)
    for path, data in streams.items():
        parts = path.split("/")
        node = root
        for part in parts[:-1]:
            _check_name(part)
            node = node.children.setdefault(part, _Node(part, True))
            if not node.is_storage:
                raise CfbError(f"{path!r}: {part!r} is a stream, not a storage")
        _check_name(parts[-1])
        # [MS-CFB] compares sibling names case-insensitively: "Module1" and "MODULE1" collide.
        if parts[-1].upper() in {name.upper() for name in node.children}:
            raise CfbError(f"duplicate entry {path!r} (names are case-insensitive)")
        node.children[parts[-1]] = _Node(parts[-1], False, bytes(data))

    nodes: list[_Node] = []
    _number(root, nodes)

    small = [n for n in nodes if not n.is_storage and len(n.data) < MINI_CUTOFF]
    large = [n for n in nodes if not n.is_storage and len(n.data) >= MINI_CUTOFF]

    mini = bytearray()
    minifat: list[int] = []
    for n in small:
        if not n.data:
            continue
        count = -(-len(n.data) // MINI_SECTOR)
        n.start = len(minifat)
        minifat.extend(range(n.start + 1, n.start + count))
        minifat.append(ENDOFCHAIN)
        mini += n.data + b"\0" * (count * MINI_SECTOR - len(n.data))

    def sectors(size: int) -> int:
        return -(-size // SECTOR)

    n_dir = sectors(len(nodes) * 128)
    n_minifat = sectors(len(minifat) * 4)
    n_mini = sectors(len(mini))
    n_large = sum(sectors(len(n.data)) for n in large)
    n_fat = 1
    while n_fat * _PER_SECTOR < n_fat + n_dir + n_minifat + n_mini + n_large:
        n_fat += 1
    if n_fat > _HEADER_DIFAT:
        raise CfbError("compound file too large for a header-only DIFAT (over ~6.8 MB)")

    fat: list[int] = [FATSECT] * n_fat
    def chain(count: int) -> int:
        first = len(fat)
        fat.extend(range(first + 1, first + count))
        fat.append(ENDOFCHAIN)
        return first

    dir_start = chain(n_dir)
    minifat_start = chain(n_minifat) if n_minifat else ENDOFCHAIN
    mini_start = chain(n_mini) if n_mini else ENDOFCHAIN
    for n in large:
        n.start = chain(sectors(len(n.data)))
    fat += [FREESECT] * (n_fat * _PER_SECTOR - len(fat))

    root.start = mini_start
    directory = bytearray()
    for n in nodes:
        directory += _entry(n, len(mini) if n is root else len(n.data))
    for _ in range(n_dir * 4 - len(nodes)):
        directory += _free_entry()

    header = bytearray(SECTOR)
    struct.pack_into("<8s16sHHHHH6sIIIIIIIII", header, 0,
                     SIGNATURE, b"\0" * 16, 0x003E, 0x0003, 0xFFFE, 9, 6, b"\0" * 6,
                     0, n_fat, dir_start, 0, MINI_CUTOFF,
                     minifat_start, n_minifat, ENDOFCHAIN, 0)
    difat = list(range(n_fat)) + [FREESECT] * (_HEADER_DIFAT - n_fat)
    struct.pack_into("<109I", header, 76, *difat)

    body = bytearray(header)
    body += struct.pack(f"<{len(fat)}I", *fat)
    body += _pad(directory)
    table = struct.pack(f"<{len(minifat)}I", *minifat)
    body += table + b"\xff" * (-len(table) % SECTOR)  # unused mini FAT slots are FREESECT
    body += _pad(bytes(mini))
    for n in large:
        body += _pad(n.data)
    return bytes(body)


def _pad(data: bytes) -> bytes:
    return data + b"\0" * (-len(data) % SECTOR)


def _number(node: _Node, out: list[_Node]) -> None:
    """Give every entry an id (pre-order) and link each storage's children as a balanced tree."""
    node.sid = len(out)
    out.append(node)
    kids = sorted(node.children.values(), key=lambda n: _sort_key(n.name))
    for kid in kids:
        _number(kid, out)
    node.child = _tree(kids)


def _tree(kids: list[_Node]) -> int:
    # Every node black: MS-CFB §2.6.4 allows it, and a balanced tree keeps lookups short.
    if not kids:
        return NOSTREAM
    mid = len(kids) // 2
    top = kids[mid]
    top.left = _tree(kids[:mid])
    top.right = _tree(kids[mid + 1:])
    return top.sid


def _entry(n: _Node, size: int) -> bytes:
    name = n.name.encode("utf-16-le")
    kind = _ROOT if n.sid == 0 else (_STORAGE if n.is_storage else _STREAM)
    start = n.start if (kind == _ROOT or not n.is_storage) else 0
    if kind == _STREAM and size == 0:
        start = ENDOFCHAIN
    return struct.pack("<64sHBBIII16sIQQIQ", name, len(name) + 2, kind, _BLACK,
                       n.left, n.right, n.child, b"\0" * 16, 0, 0, 0,
                       start, 0 if kind == _STORAGE else size)


def _free_entry() -> bytes:
    return struct.pack("<64sHBBIII16sIQQIQ", b"", 0, 0, 0, NOSTREAM, NOSTREAM, NOSTREAM,
                       b"\0" * 16, 0, 0, 0, 0, 0)


def read_compound_file(data: bytes) -> dict[str, bytes]:
    """Every stream of a compound file, keyed by its "/"-separated path.

    Args:
        data: the file's bytes (version 3 or 4).

    Returns:
        {"PROJECT": b"...", "VBA/dir": b"...", ...}

    Raises:
        CfbError: when the signature, a sector chain or the directory is corrupt.
    """
    if len(data) < SECTOR or data[:8] != SIGNATURE:
        raise CfbError("not a compound file")
    major = struct.unpack_from("<H", data, 26)[0]
    shift, mini_shift = struct.unpack_from("<HH", data, 30)
    sector = 1 << shift
    mini_sector = 1 << mini_shift
    (n_fat, dir_start, _tx, cutoff, minifat_start, n_minifat, difat_start, n_difat) = \
        struct.unpack_from("<IIIIIIII", data, 44)

    def sector_at(i: int) -> bytes:
        off = (i + 1) * sector
        if i >= 0xFFFFFFFA or off + sector > len(data) + sector:
            raise CfbError(f"sector {i} out of range")
        return data[off:off + sector]

    fat_sectors = [s for s in struct.unpack_from("<109I", data, 76) if s != FREESECT]
    nxt = difat_start
    for _ in range(n_difat):
        if nxt in (ENDOFCHAIN, FREESECT):
            break
        words = struct.unpack(f"<{sector // 4}I", sector_at(nxt))
        fat_sectors += [s for s in words[:-1] if s != FREESECT]
        nxt = words[-1]
    fat: list[int] = []
    for s in fat_sectors[:n_fat]:
        fat.extend(struct.unpack(f"<{sector // 4}I", sector_at(s)))

    def follow(start: int, table: list[int]) -> list[int]:
        out, seen = [], set()
        while start not in (ENDOFCHAIN, FREESECT):
            if start in seen or start >= len(table):
                raise CfbError("broken sector chain")
            seen.add(start)
            out.append(start)
            start = table[start]
        return out

    def read_chain(start: int) -> bytes:
        return b"".join(sector_at(s) for s in follow(start, fat))

    directory = read_chain(dir_start)
    entries = [directory[i:i + 128] for i in range(0, len(directory) - 127, 128)]
    if not entries:
        raise CfbError("empty directory")

    def parse(i: int) -> tuple:
        e = entries[i]
        name_len = struct.unpack_from("<H", e, 64)[0]
        name = e[:max(name_len - 2, 0)].decode("utf-16-le", "replace")
        kind, _color, left, right, child = struct.unpack_from("<BBIII", e, 66)
        start, size = struct.unpack_from("<IQ", e, 116)
        if major == 3:
            size &= 0xFFFFFFFF
        return name, kind, left, right, child, start, size

    root = parse(0)
    ministream = read_chain(root[5]) if root[5] not in (ENDOFCHAIN, FREESECT) else b""
    minifat: list[int] = []
    if n_minifat:
        raw = read_chain(minifat_start)
        minifat = list(struct.unpack(f"<{len(raw) // 4}I", raw))

    out: dict[str, bytes] = {}

    def walk(sid: int, prefix: str, depth: int = 0) -> None:
        if sid == NOSTREAM or depth > 1000:
            return
        if sid >= len(entries):
            raise CfbError(f"directory entry {sid} out of range")
        name, kind, left, right, child, start, size = parse(sid)
        walk(left, prefix, depth + 1)
        path = f"{prefix}{name}"
        if kind == _STREAM:
            if size < cutoff:
                blob = b"".join(ministream[s * mini_sector:(s + 1) * mini_sector] for s in follow(start, minifat))
            else:
                blob = read_chain(start)
            out[path] = blob[:size]
        elif kind == _STORAGE:
            walk(child, path + "/", depth + 1)
        walk(right, prefix, depth + 1)

    walk(root[4], "")
    return out
