"""Parsing one large worksheet on several cores: cut its XML into bands of whole rows.

python-calamine parses a sheet's XML in Rust with the GIL released, but one sheet is one call on
one core, and on a sheet of 100,000 rows that call is most of the reading time. Cut at row tags
into bands, each band wrapped in a small package of its own (the workbook, styles and shared
strings parts plus the band as the sheet part, stored uncompressed), the bands parse in threads
at the same time, and their values are stitched back into exactly the Grid one call would give.

Only sheets of the plain shape every spreadsheet writer produces are cut: unprefixed
``<sheetData>``, and cut only before a ``<row`` that carries its ``r`` attribute first, so that
each band knows where it starts. A row without its number inside a band is placed one below
the row before it, by python-calamine, in the band as in the whole sheet. Anything else, or any
band calamine refuses, falls back to the one-call read.
"""
from __future__ import annotations

import io
import re
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, Iterable

from ..cores import available_cores
from .calamine_parts import NO_MERGES, merge_block
from .zipview import StoredZipPrefix

# Below this much sheet XML (about 20,000 rows of a form) one call is quick enough that the
# cutting, packaging and stitching would cost more than the second core saves.
BAND_MIN_BYTES = 8 * 1024 * 1024
MAX_BANDS = 4

_DIMENSION = re.compile(rb"<dimension\b[^>]*/>")
_SUPPORT_TYPES = (b"/sharedStrings", b"/styles")


def band_count(xml_size: int) -> int:
    """How many bands a sheet part of ``xml_size`` bytes is cut into (1: read it in one call).

    Twice as many bands as cores: while the threads parse the later bands, this thread turns
    the first ones into Python values, which needs the GIL and so cannot itself run in a thread.
    """
    if xml_size < BAND_MIN_BYTES:
        return 1
    return max(1, min(2 * available_cores(), MAX_BANDS, xml_size // max(1, BAND_MIN_BYTES // 4)))


def support_parts(archive, rels: bytes, known: dict[str, bytes] | None = None) -> dict[str, bytes]:
    """The parts every band's package needs besides its sheet: the package skeleton, the
    workbook (sheet names, the 1904 date flag), the styles (which numbers are dates) and the
    shared strings. ``archive`` is the reader's Archive (``names()`` and ``read(name)``);
    ``known`` holds parts already read, which are not read again."""
    known = known or {}
    names = ["[Content_Types].xml", "_rels/.rels", "xl/workbook.xml", "xl/_rels/workbook.xml.rels"]
    names += rel_targets(rels, _SUPPORT_TYPES)
    present = archive.names()
    return {n: known[n] if n in known else archive.read(n) for n in names if n in present}


def rel_targets(rels: bytes, type_suffixes: tuple[bytes, ...]) -> list[str]:
    """The part names the workbook's relationships ``rels`` point at with a type ending in one of
    ``type_suffixes`` (b"/sharedStrings", b"/styles"), in order."""
    names = []
    for m in re.finditer(rb"<Relationship\b[^>]*>", rels):
        tag = m.group(0)
        typ = re.search(rb'Type="([^"]*)"', tag)
        target = re.search(rb'Target="([^"]*)"', tag)
        if typ and target and typ.group(1).endswith(type_suffixes):
            t = target.group(1).decode("utf-8", "replace")
            names.append(t.lstrip("/") if t.startswith("/") else "xl/" + t)
    return names


def cut_bands(xml: bytes, n: int) -> list[bytes] | None:
    """The sheet part as ``n`` sheet parts of whole rows, or None when it is not plainly cuttable."""
    start = xml.find(b"<sheetData>")
    end = xml.rfind(b"</sheetData>")
    if start < 0 or end < start:
        return None
    start += len(b"<sheetData>")
    merges = merge_block(xml[end:])
    if merges is None:
        return None
    # Each band's merged ranges go before its rows (calamine_parts says why): the first band
    # carries the sheet's merges, the others an empty list.
    head = _DIMENSION.sub(b"", xml[:start - len(b"<sheetData>")], count=1)
    heads = [head + merges + b"<sheetData>", head + NO_MERGES + b"<sheetData>"]
    # Each cut falls before the first numbered row past its share of the bytes (the first band
    # starts at the top, numbered or not); fewer bands when the numbered rows run out.
    cuts = [start]
    for k in range(1, n):
        at = xml.find(b'<row r="', max(cuts[-1] + 1, start + (end - start) * k // n), end)
        if at < 0:
            break
        cuts.append(at)
    cuts.append(end)
    closing = b"</sheetData></worksheet>"
    return [b"".join((heads[k > 0], xml[cuts[k]:cuts[k + 1]], closing)) for k in range(len(cuts) - 1)]


def band_packager(support: dict[str, bytes], sheet_part: str) -> Callable[[bytes], bytes]:
    """A function making a band's package: the ``support`` parts, laid out once, then the band
    as part ``sheet_part``."""
    prefix = StoredZipPrefix(list(support.items()))
    return lambda body: prefix.zip_with(sheet_part, body)


def parse_bands(bodies: Iterable[bytes], package: Callable[[bytes], bytes], sheet: str,
                count: int) -> list[tuple[list[list[object]], tuple[int, int], list]]:
    """Each band's (values, 0-based start, merged ranges): packaged and parsed in threads, one per
    core, and converted here band by band as soon as each is parsed.

    ``bodies`` may be a generator of the ``count`` bands' sheet parts: each is handed to a thread
    as soon as it comes, so the first ones parse while the rest are still being cut or looked at.
    The thread also packages its band (``package``): the CRC of megabytes runs without the GIL.
    """
    from python_calamine import CalamineWorkbook

    def parse(body: bytes):
        book = CalamineWorkbook.from_filelike(io.BytesIO(package(body)))
        try:
            return book.get_sheet_by_name(sheet)  # the Rust parse: runs without the GIL
        finally:
            book.close()

    with ThreadPoolExecutor(max_workers=min(count, available_cores())) as pool:
        pending = [pool.submit(parse, body) for body in bodies]
        out = []
        for future in pending:
            s = future.result()
            out.append((s.to_python(skip_empty_area=True), s.start or (0, 0), s.merged_cell_ranges or []))
        return out


def stitch(bands: list[tuple[list[list[object]], tuple[int, int], list]]) -> tuple[list[list[object]], tuple[int, int], list]:
    """The bands' values as one dense block, as a single call would return it: the same origin,
    every line as wide as the widest band, '' in the gaps."""
    bands = [b for b in bands if b[0]]
    if not bands:
        return [], (0, 0), []
    c0 = min(start[1] for _, start, _ in bands)
    c1 = max(start[1] + max(map(len, values)) for values, start, _ in bands)
    width = c1 - c0
    out: list[list[object]] = []
    r0 = bands[0][1][0]
    for values, (br, bc), _ in bands:
        while r0 + len(out) < br:
            out.append([""] * width)  # rows between two bands hold nothing
        left = bc - c0
        if not left and min(map(len, values)) == width:
            out += values  # the usual case: every band as wide as the sheet, its lines kept as they are
            continue
        for line in values:
            right = width - left - len(line)
            if left or right:
                line = [""] * left + line + [""] * right
            out.append(line)
    merges = [m for _, _, ms in bands for m in ms]
    return out, (r0, c0), merges
