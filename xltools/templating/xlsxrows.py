"""Streaming the rows of an .xlsx worksheet: the sheet XML is inflated and scanned chunk by chunk.

python-calamine loads a whole sheet into memory before handing out its first row, which
for a 10,000-project master is ~80 MB that the build never needs at once. This reader
holds one chunk of XML (256 KB) and the shared-string table, and gives the same values
python-calamine gives: numbers as float, booleans, text, dates and times as ``datetime``
objects (by the cell's number format, as calamine decides it), errors as empty.
"""
from __future__ import annotations

import datetime as _dt
import math
import multiprocessing
import posixpath
import re
import zipfile
from html import unescape
from typing import Iterator

__all__ = ["XlsxRows", "is_xlsx"]

_CHUNK = 1 << 18  # inflated bytes per scan (256 KB), whatever the sheet's size
# The cell shapes Excel, WPS, LibreOffice, openpyxl and XlsxWriter write for plain values.
# A chunk holding any other shape (formulas, rich inline text, cells without "r") is read
# by the general path below instead.
_FAST = re.compile(rb'<(?:row r="(\d+)"|c r="([A-Z]{1,3})\d+"(?: s="(\d+)")?(?: t="([a-zA-Z]+)")?'
                   rb'(?:/>|>(?:<v>([^<]*)</v>|<is><t(?: xml:space="preserve")?>([^<]*)</t></is>)?</c>))')
_ROW = re.compile(rb"<row\b([^>]*?)(?:/>|>(.*?)</row>)", re.S)
_CELL = re.compile(rb"<c\b([^>]*?)(?:/>|>(.*?)</c>)", re.S)
_ATTR = re.compile(rb'\b(r|s|t)="([^"]*)"')
_REF = re.compile(rb"([A-Z]{1,3})(\d+)")
_V = re.compile(rb"<v(?:\s[^>]*)?>(.*?)</v>", re.S)
_IS = re.compile(rb"<is>(.*?)</is>", re.S)
_T = re.compile(rb"<t(?:\s[^>]*)?>(.*?)</t>", re.S)
_PHONETIC = re.compile(rb"<rPh\b.*?</rPh>", re.S)
_SI = re.compile(rb"<si>(.*?)</si>|<si/>", re.S)
_ESCAPED = re.compile(r"_x([0-9A-Fa-f]{4})_")
_SHEET = re.compile(rb"<(?:\w+:)?sheet\b([^>]*?)/?>")
_REL = re.compile(rb"<(?:\w+:)?Relationship\b([^>]*?)/?>")
_XML_ATTR = re.compile(rb'([\w:]+)="([^"]*)"')
_NUMFMT = re.compile(rb"<numFmt\b([^>]*?)/?>")
_XF = re.compile(rb"<xf\b([^>]*?)(?:/>|>)")
_CELL_XFS = re.compile(rb"<cellXfs\b[^>]*>(.*?)</cellXfs>", re.S)
_DATE_1904 = re.compile(rb'<workbookPr\b[^>]*\bdate1904="(1|true)"')

_DATETIME, _DURATION = 1, 2
# Built-in number formats python-calamine reads as dates (46, [h]:mm:ss, as a duration).
_BUILTIN = {**{i: _DATETIME for i in (*range(14, 23), *range(27, 37), 45, 47, *range(50, 59))}, 46: _DURATION}
_EPOCH = _dt.datetime(1899, 12, 30)
_EPOCH_1904 = _dt.datetime(1904, 1, 1)
_MAX_SERIAL = 2958465.99999999  # 9999-12-31 23:59:59


def is_xlsx(path) -> bool:
    """True when ``path`` is a ZIP package with a workbook part (.xlsx, .xlsm)."""
    try:
        with zipfile.ZipFile(path) as z:
            return "xl/workbook.xml" in z.NameToInfo
    except (OSError, zipfile.BadZipFile):
        return False


def _attrs(raw: bytes) -> dict[str, str]:
    return {k.decode().split(":")[-1] if k != b"r:id" else "r:id": unescape(v.decode("utf-8"))
            for k, v in _XML_ATTR.findall(raw)}


def _text(raw: bytes) -> str:
    """Element text as stored: entities and OOXML's _xHHHH_ escapes decoded."""
    s = raw.decode("utf-8")
    if "&" in s:
        s = unescape(s)
    if "_x" in s:
        s = _ESCAPED.sub(lambda m: chr(int(m.group(1), 16)), s)
    return s


def _runs(raw: bytes) -> str:
    """The text of a rich or plain string item (<si> or <is>), without phonetic runs."""
    if b"<rPh" in raw:
        raw = _PHONETIC.sub(b"", raw)
    return "".join(_text(t) for t in _T.findall(raw))


def _number_format_kind(code: str) -> int:
    """python-calamine's reading of a custom number format: a date/time, a duration, or neither."""
    escaped = quoted = ap = hms = False
    brackets = 0
    prev = " "
    for ch in code:
        if escaped:
            escaped = False
        elif ch in "_\\*":
            escaped = True
        elif quoted:
            quoted = ch != '"'
        elif ch == '"':
            quoted = True
        elif ch == ";":
            return 0
        elif ch == "[":
            brackets += 1
        elif ch == "]" and brackets == 1 and hms:
            return _DURATION
        elif ch == "]":
            brackets = max(0, brackets - 1)
        elif ch in "aA" and not ap and brackets == 0:
            ap = True
        elif ap and brackets == 0 and ch in "pmPM/":
            return _DATETIME
        elif not ap and brackets == 0 and ch in "dmhysDMHYS":
            return _DATETIME
        elif not (hms and ch.lower() == prev.lower()):
            hms = prev == "[" and ch in "mhsMHS"
        prev = ch
    return 0


def _round_half_away(x: float) -> int:
    return int(math.copysign(math.floor(abs(x) + 0.5), x))


def excel_datetime(value: float, kind: int, date1904: bool = False) -> object:
    """A date-formatted number as python-calamine returns it: ``date`` (whole days), ``datetime``,
    ``time`` (below 1), ``timedelta`` (duration formats), or the float when out of range."""
    ms = _round_half_away(value * 86_400_000.0)
    if kind == _DURATION:
        try:
            return _dt.timedelta(milliseconds=ms)
        except OverflowError:  # beyond a billion days; python-calamine fails outright
            return value
    if not -_MAX_SERIAL < value < _MAX_SERIAL:
        return value
    if date1904:
        moment = _EPOCH_1904 + _dt.timedelta(milliseconds=ms)
    else:
        # Excel's 1900 system counts a 29 February 1900 that never was
        moment = _EPOCH + _dt.timedelta(milliseconds=ms if value >= 60 else ms + 86_400_000)
    if value < 1.0:
        return moment.time()
    if moment.time() == _dt.time(0):
        return moment.date()
    return moment


def _iso(text: str) -> object:
    try:
        moment = _dt.datetime.fromisoformat(text.rstrip("Z"))
    except ValueError:
        return text
    return moment.date() if "T" not in text and " " not in text else moment


class XlsxRows:
    """An .xlsx (or .xlsm) opened for streaming its sheets' rows.

    Args:
        path: the workbook file.
        text_hook: applied once to each distinct text (not to each cell): returns the value
            to give instead, None to read the cell as empty.

    Raises:
        OSError, zipfile.BadZipFile, KeyError: not a readable workbook package.
    """

    def __init__(self, path, text_hook=None):
        self.path = path
        self.text_hook = text_hook
        self._zip = zipfile.ZipFile(path)
        wb = self._zip.read("xl/workbook.xml")
        rels = self._read("xl/_rels/workbook.xml.rels") or b""
        targets = {}
        for raw in _REL.findall(rels):
            a = _attrs(raw)
            target = a.get("Target", "")
            targets[a.get("Id")] = target.lstrip("/") if target.startswith("/") else \
                posixpath.normpath(posixpath.join("xl", target))
        self._parts: dict[str, str] = {}
        for raw in _SHEET.findall(wb[wb.find(b"<sheets"):] if b"<sheets" in wb else b""):
            a = _attrs(raw)
            part = targets.get(a.get("r:id") or a.get("id"))
            if "name" in a and part:
                self._parts[a["name"]] = part
        self.sheet_names = list(self._parts)
        self.date1904 = bool(_DATE_1904.search(wb))
        self._sst: list[str | None] | None = None
        self._kinds = self._style_kinds()

    def close(self) -> None:
        self._zip.close()

    def __enter__(self) -> "XlsxRows":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _read(self, part: str) -> bytes | None:
        try:
            return self._zip.read(part)
        except KeyError:
            return None

    def _style_kinds(self) -> list[int]:
        """For each cell format (``s``), whether numbers in it are dates, durations or numbers."""
        xml = self._read("xl/styles.xml")
        if not xml:
            return []
        custom = {}
        for raw in _NUMFMT.findall(xml):
            a = _attrs(raw)
            if a.get("numFmtId", "").isdigit():
                custom[int(a["numFmtId"])] = _number_format_kind(a.get("formatCode", ""))
        xfs = _CELL_XFS.search(xml)
        out = []
        for raw in _XF.findall(xfs.group(1) if xfs else b""):
            fid = _attrs(raw).get("numFmtId", "0")
            fid = int(fid) if fid.isdigit() else 0
            out.append(custom[fid] if fid in custom else _BUILTIN.get(fid, 0))
        return out

    def _shared(self) -> list[str | None]:
        if self._sst is None:
            xml = self._read("xl/sharedStrings.xml") or b""
            # an empty string reads as an empty cell, as in python-calamine
            hook = self.text_hook
            sst = [(_runs(m.group(1)) or None) if m.group(1) is not None else None for m in _SI.finditer(xml)]
            self._sst = [hook(x) if x is not None else None for x in sst] if hook else sst
        return self._sst

    def rows(self, sheet: str, jobs: int = 1) -> Iterator[tuple[int, dict[int, object]]]:
        """The rows of ``sheet`` that hold a value, in order: (Excel row number, {column: value}).

        Columns count from 1 (A). Empty cells are left out; a value is str, float, bool, or a
        date/time object.

        Args:
            sheet: the sheet's name.
            jobs: with 2 or more (and where processes fork), a forked helper scans part of
                the sheet's XML at the same time; the rows come out the same.
        """
        part = self._parts[sheet]
        parser = _Parser(self)
        # a helper pays off from a few chunks of XML on (its fork costs a few milliseconds)
        if jobs > 1 and self._zip.getinfo(part).file_size > 8 * _CHUNK \
                and "fork" in multiprocessing.get_all_start_methods():
            yield from self._rows_with_helper(part, parser)
            return
        current = 0
        for body in self._chunks(part):
            rows, current = parser.parse(body, current)
            yield from rows

    def _rows_with_helper(self, part: str, parser: "_Parser") -> Iterator[tuple[int, dict[int, object]]]:
        """Rows of ``part``, two chunks in three scanned by a forked helper (the parent also
        turns the rows into records, so it scans less)."""
        ctx = multiprocessing.get_context("fork")
        receive, send = ctx.Pipe(duplex=False)
        helper = ctx.Process(target=_helper_scan, args=(self, part, send), daemon=True)
        helper.start()
        send.close()
        try:
            current = 0
            for k, body in enumerate(self._chunks(part)):
                got = receive.recv() if k % 3 else None
                if got is None:  # the parent's share, or a chunk whose rows need the row before
                    rows, current = parser.parse(body, current)
                else:
                    rows, last = got
                    current = current if last is None else last
                yield from rows
        finally:
            receive.close()
            helper.join(timeout=5)
            if helper.is_alive():
                helper.kill()

    def _chunks(self, part: str) -> Iterator[bytes]:
        """The sheetData of ``part`` in pieces that end at a row boundary."""
        with self._zip.open(part) as fh:
            rest = b""
            started = False
            while True:
                data = fh.read(_CHUNK)
                buf = rest + data
                if not started:
                    i = buf.find(b"<sheetData")
                    if i < 0:
                        if not data:
                            return
                        rest = buf[-16:]
                        continue
                    buf = buf[i:]
                    started = True
                end = buf.find(b"</sheetData>")
                if end >= 0:
                    yield buf[:end]
                    return
                if not data:
                    yield buf
                    return
                cut = buf.rfind(b"</row>")
                if cut < 0:
                    rest = buf
                    continue
                yield buf[:cut + 6]
                rest = buf[cut + 6:]


def _helper_scan(book: XlsxRows, part: str, send) -> None:
    # a file of its own: the inherited descriptor shares its read position with the parent
    book._zip = zipfile.ZipFile(book.path)
    parser = _Parser(book)
    try:
        for k, body in enumerate(book._chunks(part)):
            if k % 3:
                try:
                    got = parser.parse(body, None)
                except _NeedsRowBefore:
                    got = None
                send.send(got)
    except (BrokenPipeError, EOFError, OSError):
        pass  # the parent stopped reading
    finally:
        send.close()


class _NeedsRowBefore(Exception):
    """A row without its number follows the previous chunk's last row: scan in order."""


class _Parser:
    """Turns chunks of sheetData XML into rows; keeps the decoded texts of one sheet."""

    def __init__(self, book: XlsxRows):
        self.book = book
        self.kinds = book._kinds
        self.date1904 = book.date1904
        self.cols: dict[bytes, int] = {}
        self.texts: dict[bytes, object] = {}  # decoded short texts: each repeated text is one object
        self.hook = book.text_hook

    def col_of(self, letters: bytes) -> int:
        n = 0
        for ch in letters:
            n = n * 26 + ch - 64
        self.cols[letters] = n
        return n

    def text(self, raw: bytes) -> object:
        hit = self.texts.get(raw)
        if hit is None:
            hit = _text(raw)
            if self.hook is not None:
                hit = self.hook(hit)
            if len(raw) < 192:
                self.texts[raw] = hit
        return hit

    def value(self, t: bytes | None, s: bytes | None, v: bytes) -> object:
        if not t or t == b"n":
            x = float(v)
            kinds = self.kinds
            if s and kinds:
                k = int(s)
                if k < len(kinds) and kinds[k]:
                    return excel_datetime(x, kinds[k], self.date1904)
            return x
        if t == b"s":
            return self.book._shared()[int(v)]  # None when empty
        if t == b"str" or t == b"inlineStr":
            return self.text(v)
        if t == b"b":
            return v.strip() in (b"1", b"true")
        if t == b"d":
            return _iso(_text(v))
        return None  # t="e": an error value reads as empty, as in python-calamine

    def parse(self, body: bytes, current: int | None) -> tuple[list[tuple[int, dict]], int | None]:
        """The rows of one chunk (whole rows only) and the number of its last row.

        ``current`` is the number of the row before the chunk, or None when unknown (a row
        without its number then raises _NeedsRowBefore).
        """
        out: list[tuple[int, dict]] = []
        cols, texts, text, value, col_of = self.cols, self.texts, self.text, self.value, self.col_of
        values: dict[int, object] = {}
        fast = _FAST.findall(body)
        # every row and cell tag matched (a miscount can only send a chunk to the general path)
        if len(fast) == body.count(b"<row") + body.count(b"<c"):
            for row_r, letters, s, t, v, inline in fast:
                if row_r:
                    if values:
                        out.append((current, values))
                        values = {}
                    current = int(row_r)
                elif inline:
                    x = texts.get(inline) or text(inline)
                    if x is not None:
                        values[cols.get(letters) or col_of(letters)] = x
                elif v:
                    x = value(t, s, v)
                    if x is not None and x != "":
                        values[cols.get(letters) or col_of(letters)] = x
            if values:
                out.append((current, values))
            return out, current
        # the general path: any attribute order, formulas, rich inline text, no "r"
        for row_m in _ROW.finditer(body):
            row_attrs = dict(_ATTR.findall(row_m.group(1)))
            if b"r" in row_attrs:
                row = int(row_attrs[b"r"])
            elif current is None:
                raise _NeedsRowBefore
            else:
                row = current + 1
            if row != current and values:
                out.append((current, values))
                values = {}
            current = row
            c = 0
            for cell in _CELL.finditer(row_m.group(2) or b""):
                a = dict(_ATTR.findall(cell.group(1)))
                ref = _REF.fullmatch(a.get(b"r", b""))
                c = col_of(ref.group(1)) if ref else c + 1
                content = cell.group(2) or b""
                im = _IS.search(content) if b"<is>" in content else None
                if im is not None:
                    x = _runs(im.group(1))
                    if x and self.hook is not None:
                        x = self.hook(x)
                else:
                    vm = _V.search(content)
                    x = value(a.get(b"t"), a.get(b"s"), vm.group(1)) if vm and vm.group(1) else None
                if x is None or x == "":
                    continue
                values[c] = x
        if values:
            out.append((current, values))
        return out, current

