"""Master rows kept in a temporary file instead of memory: marshal records, offsets in arrays.

A 10,000-project master has ~75,000 indicator rows. As tuples they cost ~200 bytes each in
every process that touches them (the build's forked workers do); spilled, memory holds 12
bytes per row and each form reads its owner's rows back in one system call. The file is
unnamed (deleted on creation) and is read with ``pread``, so forked workers share it safely.
"""
from __future__ import annotations

import marshal
import os
import tempfile
import weakref
from array import array
from typing import Iterator

__all__ = ["SpillFile", "SpilledRows", "SpilledIndex"]

_FLUSH = 1 << 20  # bytes buffered before a write
_BLOCK = 1 << 20  # bytes read at a time when iterating


class SpillFile:
    """An append-only temporary file of byte records."""

    def __init__(self):
        self._f = tempfile.TemporaryFile(prefix="xltools-master-")
        self._buf = bytearray()
        self._size = 0  # bytes in the file (the buffer follows)
        self._closer = weakref.finalize(self, self._f.close)  # closed with its master, at the latest

    def append(self, data: bytes) -> int:
        """Store ``data``; its offset."""
        offset = self._size + len(self._buf)
        self._buf += data
        if len(self._buf) >= _FLUSH:
            self.flush()
        return offset

    def flush(self) -> None:
        if self._buf:
            self._f.write(self._buf)
            self._f.flush()
            self._size += len(self._buf)
            self._buf = bytearray()

    def read(self, offset: int, n: int) -> bytes:
        if offset + n > self._size:
            self.flush()
        if hasattr(os, "pread"):
            return os.pread(self._f.fileno(), n, offset)
        self._f.seek(offset)  # no pread (Windows): builds there run in one process
        return self._f.read(n)

    def close(self) -> None:
        self._closer()


class SpilledRows:
    """A table's rows (tuples) in a SpillFile: a read-only sequence once filled by ``append``."""

    def __init__(self, spill: SpillFile):
        self._spill = spill
        self._offsets = array("Q")
        self._lengths = array("I")

    def append(self, row: tuple) -> None:
        data = marshal.dumps(row)
        self._offsets.append(self._spill.append(data))
        self._lengths.append(len(data))

    def __len__(self) -> int:
        return len(self._offsets)

    def __bool__(self) -> bool:
        return len(self._offsets) > 0

    def __getitem__(self, i: int) -> tuple:
        if isinstance(i, slice):
            return self.take(range(*i.indices(len(self))))
        return marshal.loads(self._spill.read(self._offsets[i], self._lengths[i]))

    def __iter__(self) -> Iterator[tuple]:
        n = len(self._offsets)
        i = 0
        while i < n:
            j, size = i, 0
            while j < n and (size < _BLOCK or j == i):
                size += self._lengths[j]
                j += 1
            yield from self._run(i, j)
            i = j

    def _run(self, i: int, j: int) -> list[tuple]:
        """Rows i..j-1, which are contiguous in the file: one read."""
        start = self._offsets[i]
        data = self._spill.read(start, self._offsets[j - 1] + self._lengths[j - 1] - start)
        out = []
        pos = 0
        loads = marshal.loads
        for k in range(i, j):
            n = self._lengths[k]
            out.append(loads(data[pos:pos + n]))
            pos += n
        return out

    def take(self, indices) -> list[tuple]:
        """The rows at ``indices`` (ascending), reading each contiguous run at once."""
        if isinstance(indices, range) and indices.step == 1:
            return self._run(indices.start, indices.stop) if len(indices) else []
        out: list[tuple] = []
        run_start = prev = None
        for k in indices:
            if prev is not None and k == prev + 1:
                prev = k
                continue
            if run_start is not None:
                out += self._run(run_start, prev + 1)
            run_start = prev = k
        if run_start is not None:
            out += self._run(run_start, prev + 1)
        return out


class SpilledIndex:
    """Rows of a SpilledRows grouped by a key, in row order: a read-only mapping key → list of rows.

    Each key keeps the positions of its rows: one int when they are consecutive (the usual
    case: indicators are listed project by project), else an array.
    """

    def __init__(self, rows: SpilledRows, keys: list[str] | Iterator[str]):
        self._rows = rows
        # a run of consecutive rows is one int, start << 32 | stop; scattered rows an array
        groups: dict[str, object] = {}
        for i, key in enumerate(keys):
            hit = groups.get(key)
            if hit is None:
                groups[key] = i << 32 | (i + 1)
            elif hit.__class__ is int and hit & 0xFFFFFFFF == i:
                groups[key] = hit + 1
            else:
                if hit.__class__ is int:
                    hit = groups[key] = array("I", range(hit >> 32, hit & 0xFFFFFFFF))
                hit.append(i)
        self._groups = groups

    def _take(self, hit) -> list[tuple]:
        if hit.__class__ is int:
            return self._rows.take(range(hit >> 32, hit & 0xFFFFFFFF))
        return self._rows.take(hit)

    def get(self, key: str, default=None) -> list[tuple] | None:
        hit = self._groups.get(key)
        return default if hit is None else self._take(hit)

    def __getitem__(self, key: str) -> list[tuple]:
        return self._take(self._groups[key])

    def __contains__(self, key: object) -> bool:
        return key in self._groups

    def __iter__(self) -> Iterator[str]:
        return iter(self._groups)

    def __len__(self) -> int:
        return len(self._groups)

    def keys(self):
        return self._groups.keys()
