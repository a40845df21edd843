"""Parts rewritten, or refused, for python-calamine's sake.

Merged ranges are moved before the rows (below). A shared-strings part whose counts claim more
strings than it can hold loses those counts, and a sheet whose cells span a block too large to
hold is refused (``oversized_block``): python-calamine reserves room for what they claim before
reading, and a Rust allocation that fails aborts the whole process, with no exception to catch.

python-calamine reads a sheet's merged ranges (``merged_cell_ranges``) by scanning the sheet's
XML a second time, from the top until it meets a ``<mergeCells>`` start tag. Written where the
schema puts it, after the rows, that tag makes the second scan cost a third of the whole parse.
python-calamine's cell reader skips whatever comes before ``<sheetData>``, so the same merges
written before the rows give the same values and merges at the cost of one parse.
"""
from __future__ import annotations

import re

from ..core.form import col_index

_MERGE_CELLS = re.compile(rb"<mergeCells\b[^>]*?(?:/>|>.*?</mergeCells>)", re.S)
# A start tag is what stops the scan: an empty list as <mergeCells/> would not stop it.
NO_MERGES = b"<mergeCells></mergeCells>"
SHEET_DATA, SHEET_DATA_END = b"<sheetData>", b"</sheetData>"


# python-calamine makes each sheet one dense block from its first cell to its last. Past this
# many cells (a 200,000-row form of 100 columns; real forms hold well under a million) a stray
# value far away, in XFD1048576 say, would make it reserve billions of cells.
MAX_BLOCK_CELLS = 20_000_000
MAX_COLUMNS = 16_384
_ROW_NUMBER = re.compile(rb'<row r="(\d+)"')
_TWO_LETTER_REF = re.compile(rb'<c r="[A-Z]{2}')
_WIDE_REF = re.compile(rb'<c r="([A-Z]{2,3})(\d+)"')
_ANY_REF = re.compile(rb'<c r="([A-Z]{1,3})(\d+)"')
_SST_COUNT = re.compile(rb'\s(?:count|uniqueCount)="\d*"')


def oversized_block(xml: bytes, limit: int = MAX_BLOCK_CELLS) -> tuple[int, int, str] | None:
    """(rows, columns, the widest cell's address) when the block of a sheet's cells would pass
    ``limit`` cells; None when it would not (or when the rows carry no numbers to tell).

    Cheap first: the rows come from the first and last row numbers; only a sheet of more than
    ``limit`` / MAX_COLUMNS rows (1,220 for a whole sheet) needs its columns, and those come
    from one regex search for a cell beyond column Z before any are counted.
    """
    first = _ROW_NUMBER.search(xml)
    if first is None:
        return None
    last = _ROW_NUMBER.match(xml, xml.rfind(b'<row r="'))
    top, bottom = sorted((int(first.group(1)), int(last.group(1))))
    rows = bottom - top + 1
    if rows * MAX_COLUMNS <= limit:
        return None
    wide = _TWO_LETTER_REF.search(xml) is not None
    if not wide and rows * 26 <= limit:
        return None
    # The widest cell: among those past column Z when there are any, else (a sheet of more than
    # 769,000 rows) among all.
    widest = max((_WIDE_REF if wide else _ANY_REF).finditer(xml), key=lambda m: (len(m.group(1)), m.group(1)),
                 default=None)
    if widest is None:
        return None
    letters = widest.group(1).decode()
    columns = col_index(letters)  # the block may start right of A: this errs on the large side
    if rows * columns <= limit:
        return None
    return rows, columns, f"{letters}{widest.group(2).decode()}"


def plausible_shared_strings(xml: bytes) -> bytes | None:
    """The shared-strings part without its count attributes when they claim more strings than
    the part can hold (no ``<si>`` takes fewer than 5 bytes); None when they are plausible."""
    start = xml.find(b"<sst")
    end = xml.find(b">", start)
    if start < 0 or end < 0:
        return None
    head = xml[start:end]
    counts = [int(v) for v in re.findall(rb'(?:count|uniqueCount)="(\d+)"', head)]
    if all(c <= len(xml) // 5 + 1 for c in counts):
        return None
    return xml[:start] + _SST_COUNT.sub(b"", head) + xml[end:]


def merge_block(tail: bytes) -> bytes | None:
    """The ``<mergeCells>`` element of the XML after a sheet's rows (NO_MERGES when it has none),
    or None when merges are written in a form this does not recognise (prefixed, or twice)."""
    if b"mergeCell" not in tail:
        return NO_MERGES
    m = _MERGE_CELLS.search(tail)
    if m is None or b"mergeCell" in tail[m.end():]:
        return None
    return NO_MERGES if m.group(0).endswith(b"/>") else m.group(0)


def merges_first(xml: bytes) -> bytes | None:
    """The sheet part with its merges before its rows and nothing after them, or None when the
    part is not of the plain shape (unprefixed ``<sheetData>``, merges not yet before it)."""
    start = xml.find(SHEET_DATA)
    end = xml.rfind(SHEET_DATA_END)
    if start < 0 or end < start or b"mergeCell" in xml[:start]:
        return None
    block = merge_block(xml[end:])
    if block is None:
        return None
    return b"".join((xml[:start], block, xml[start:end], SHEET_DATA_END, b"</worksheet>"))
