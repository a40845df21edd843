"""Sheet parts rewritten for python-calamine's sake: the merged ranges moved before the rows.

python-calamine reads a sheet's merged ranges (``merged_cell_ranges``) by scanning the sheet's
XML a second time, from the top until it meets a ``<mergeCells>`` start tag. Written where the
schema puts it, after the rows, that tag makes the second scan cost a third of the whole parse.
python-calamine's cell reader skips whatever comes before ``<sheetData>``, so the same merges
written before the rows give the same values and merges at the cost of one parse.
"""
from __future__ import annotations

import re

_MERGE_CELLS = re.compile(rb"<mergeCells\b[^>]*?(?:/>|>.*?</mergeCells>)", re.S)
# A start tag is what stops the scan: an empty list as <mergeCells/> would not stop it.
NO_MERGES = b"<mergeCells></mergeCells>"
SHEET_DATA, SHEET_DATA_END = b"<sheetData>", b"</sheetData>"


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
