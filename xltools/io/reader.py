"""Reading workbooks as they are: cell values with python-calamine, merges and error cells from the XML.

Every failure becomes a WorkbookError with a one-line Chinese/English message naming the file
(and sheet where relevant). The input file is only ever opened for reading.
"""
from __future__ import annotations

import io
import os
import pickle
import re
import sys
import zipfile
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from ..core.form import CellError, col_index
from ..core.grid import Grid
from . import bands
from .calamine_parts import MAX_BLOCK_CELLS, merges_first, oversized_block, plausible_shared_strings
from .errors import DAMAGED_ZIP_ERRORS, WorkbookError
from .zipview import ZipView, ZipViewError, stored_zip

# A sheet part that inflates past this is refused (zip bomb); real forms are a few MB at most.
MAX_PART_BYTES = 512 * 1024 * 1024
MAX_RATIO = 1000
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
READABLE_SUFFIXES = (".xlsx", ".xlsm", ".xltx", ".xltm", ".xls")

# What reading a part can raise: no such part (KeyError), a damaged zip (DAMAGED_ZIP_ERRORS),
# a mangled header field or a name that is not UTF-8 (ValueError).
PART_ERRORS = (KeyError, OSError, ValueError, *DAMAGED_ZIP_ERRORS)

_ERROR_CELL = re.compile(rb'<c r="([A-Z]+)(\d+)"[^>]*?t="e"[^>]*>(?:(?!</c>).)*?<v>([^<]*)</v>', re.S)


@dataclass
class WorkbookData:
    """What a reader hands to the locator: one Grid per worksheet, in workbook order."""

    path: Path
    sheets: list[Grid] = field(default_factory=list)


def sniff(path: Path, head: bytes | None = None) -> bytes:
    """Refuse files that are not xlsx packages (or legacy .xls), with a message that says what
    they are; return the file's first bytes."""
    if head is None:
        head = _read_head(path)
    if not head:
        raise WorkbookError(path, "文件为空 / empty file (0 bytes)")
    if head.startswith(OLE_MAGIC):
        if _is_encrypted_ole(path):
            raise WorkbookError(path, "工作簿已加密（设有打开密码），请先在 Excel 中取消密码 / password-protected (encrypted) workbook")
        if path.suffix.lower() == ".xls":
            return head  # legacy BIFF: python-calamine reads it
        raise WorkbookError(path, "这是旧版 .xls 格式文件（扩展名有误），请另存为 .xlsx / legacy .xls (BIFF) file with an .xlsx name")
    if not head.startswith(b"PK"):
        kind = "文本/CSV 文件" if _looks_like_text(path) else "未知格式"
        raise WorkbookError(path, f"不是 xlsx 工作簿（{kind}）/ not an xlsx workbook ({'text/CSV' if '文本' in kind else 'unknown format'})")
    return head


def _read_head(path: Path) -> bytes:
    with _open(path) as fh:
        try:
            return fh.read(8)
        except OSError as exc:
            raise WorkbookError(path, f"无法打开文件 / cannot open: {exc.strerror}") from None


def _open(path: Path):
    """The file opened for reading, or a WorkbookError saying why it cannot be."""
    try:
        return open(path, "rb")
    except FileNotFoundError:
        raise WorkbookError(path, "文件不存在 / file not found") from None
    except IsADirectoryError:
        raise WorkbookError(path, "这是一个文件夹，不是工作簿 / is a directory") from None
    except OSError as exc:
        raise WorkbookError(path, f"无法打开文件 / cannot open: {exc.strerror}") from None


def _read_sniffed(path: Path) -> bytes:
    """The whole file, once ``sniff`` has passed its first bytes: one open for both (a folder of
    small forms paid for two)."""
    with _open(path) as fh:
        try:
            head = fh.read(8)
            sniff(path, head)  # refuses what is no workbook before reading all of it
            return head + fh.read()
        except OSError as exc:
            raise WorkbookError(path, f"无法读取文件 / cannot read: {exc.strerror}") from None


def _looks_like_text(path: Path) -> bool:
    with open(path, "rb") as fh:
        chunk = fh.read(4096)
    try:
        chunk.decode("utf-8")
        return b"\x00" not in chunk
    except UnicodeDecodeError:
        try:
            chunk.decode("gb18030")
            return b"\x00" not in chunk
        except UnicodeDecodeError:
            return False


def _is_encrypted_ole(path: Path) -> bool:
    # An encrypted OOXML file is a compound file holding EncryptionInfo/EncryptedPackage streams;
    # the names are UTF-16LE in the directory sectors.
    with open(path, "rb") as fh:
        data = fh.read(4 * 1024 * 1024)
    return "EncryptedPackage".encode("utf-16-le") in data or "EncryptionInfo".encode("utf-16-le") in data


class Archive:
    """The parts of a workbook package: read by hand (zipview) when the zip has the plain shape,
    else with zipfile, which is also asked whenever a part cannot be read by hand, so that a
    damaged file is refused with zipfile's own words."""

    def __init__(self, path: Path, raw: bytes):
        self.path = path
        self.raw = raw
        self.view = ZipView.parse(raw)
        self._zf: zipfile.ZipFile | None = None
        if self.view is None:
            self._zipfile()  # refuses a file that is no zip at all

    def _zipfile(self) -> zipfile.ZipFile:
        if self._zf is None:
            try:
                self._zf = zipfile.ZipFile(io.BytesIO(self.raw))
            except PART_ERRORS:  # a damaged directory can raise any of these
                raise WorkbookError(self.path, "文件已损坏（不是完整的 zip/xlsx 包）/ corrupt or truncated xlsx (bad zip)") from None
        return self._zf

    def sizes(self) -> list[tuple[str, int, int]]:
        """(name, inflated size, compressed size) of every part."""
        if self.view is not None:
            return [(e.name, e.file_size, e.compress_size) for e in self.view.entries.values()]
        return [(i.filename, i.file_size, i.compress_size) for i in self._zipfile().infolist()]

    def names(self) -> set[str]:
        if self.view is not None:
            return set(self.view.entries)
        return set(self._zipfile().namelist())

    def read(self, name: str) -> bytes:
        """A part's bytes. Raises KeyError, or zipfile's errors for a damaged part."""
        if self.view is not None:
            try:
                return self.view.read(name)
            except ZipViewError:
                pass
        return self._zipfile().read(name)

    def with_parts(self, replaced: dict[str, bytes]) -> bytes:
        """The package's bytes with some parts replaced (zipview), or as it is when that cannot be done."""
        if self.view is None or not replaced:
            return self.raw
        return self.view.with_parts(replaced)


def _check_package(path: Path, archive: Archive) -> tuple[dict[str, str], bytes]:
    """Refuse bombs and broken packages; return sheet name → sheet part path, and the workbook's
    relationships part."""
    names = archive.names()
    for name, file_size, compress_size in archive.sizes():
        if file_size > MAX_PART_BYTES or (
                compress_size and file_size > 50 * 1024 * 1024 and file_size / compress_size > MAX_RATIO):
            raise WorkbookError(path, f"部件 {name} 解压后过大（{file_size // 1024 // 1024} MB），疑似 zip 炸弹，已拒绝 / part inflates past the safe limit (zip bomb)")
    if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
        raise WorkbookError(path, "不是 Excel 工作簿（缺少 xl/workbook.xml）/ not an Excel workbook package")
    try:
        wb_xml = archive.read("xl/workbook.xml")
        rels = archive.read("xl/_rels/workbook.xml.rels") if "xl/_rels/workbook.xml.rels" in names else b""
    except PART_ERRORS as exc:
        raise WorkbookError(path, f"文件已损坏 / corrupt xlsx: {exc}") from None
    targets = dict(re.findall(rb'<Relationship[^>]*?Id="([^"]+)"[^>]*?Target="([^"]+)"', rels))
    targets.update({k: v for v, k in re.findall(rb'<Relationship[^>]*?Target="([^"]+)"[^>]*?Id="([^"]+)"', rels)})
    parts: dict[str, str] = {}
    for m in re.finditer(rb"<(?:\w+:)?sheet\b([^>]*)/?>", wb_xml):
        attrs = m.group(1)
        name = re.search(rb'name="([^"]*)"', attrs)
        rid = re.search(rb'r:id="([^"]*)"', attrs) or re.search(rb'\bid="([^"]*)"', attrs)
        if not name or not rid or rid.group(1) not in targets:
            continue
        try:
            target = targets[rid.group(1)].decode("utf-8")
            sheet = _unescape(name.group(1).decode("utf-8"))
        except UnicodeDecodeError:
            raise WorkbookError(path, "文件已损坏（工作簿部件中的工作表名称或路径不是有效的 UTF-8）"
                                      " / corrupt xlsx: a sheet name or path in the workbook part is not UTF-8") from None
        parts[sheet] = target.lstrip("/") if target.startswith("/") else "xl/" + target
    return parts, rels


def _unescape(s: str) -> str:
    return s.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace("&apos;", "'").replace("&amp;", "&")


def _error_cells(xml: bytes) -> list[tuple[int, int, str]]:
    """Formula error values (#DIV/0!, #REF!), which python-calamine reads as empty strings."""
    if b't="e"' not in xml:
        return []
    return [(int(m.group(2)), col_index(m.group(1).decode()), m.group(3).decode())
            for m in _ERROR_CELL.finditer(xml)]


def read_workbook(path: Path | str) -> WorkbookData:
    """Read every worksheet of an xlsx/xlsm (or legacy xls) into Grids.

    The file is read once into memory; the zip index, python-calamine and the error-cell scan
    share those bytes.

    Raises:
        WorkbookError: the file is missing, not a workbook, encrypted, corrupt, or a zip bomb.
    """
    path = Path(path)
    raw = _read_sniffed(path)
    if not raw.startswith(b"PK"):
        return _read_legacy(path, raw)
    archive = Archive(path, raw)
    parts, rels = _check_package(path, archive)
    # Shared strings whose counts claim more than the part holds go to python-calamine without
    # them (calamine_parts says why); every book below is opened with that copy.
    strings: dict[str, bytes] = {}
    trusted: dict[str, bytes] = {}
    for name in bands.rel_targets(rels, (b"/sharedStrings",)):
        try:
            strings[name] = archive.read(name)
        except PART_ERRORS:
            continue  # python-calamine says what is wrong with it
        plain = plausible_shared_strings(strings[name])
        if plain is not None:
            strings[name] = trusted[name] = plain
    # Each sheet part once, for the formula-error scan, the bands and calamine's copy below; a
    # part that cannot be read is refused when its sheet is reached (not if it is a chart sheet).
    xmls: dict[str, bytes | Exception] = {}
    for part in set(parts.values()):
        try:
            xmls[part] = archive.read(part)
        except PART_ERRORS as exc:
            xmls[part] = exc
    n_bands = {part: bands.band_count(len(xml)) for part, xml in xmls.items() if isinstance(xml, bytes)}
    banded = {part for part, n in n_bands.items() if n > 1}
    # python-calamine reads each small sheet from a copy with its merges moved first
    # (calamine_parts); a sheet read in bands never needs that copy.
    moved = dict(trusted)
    for part in n_bands.keys() - banded:
        first = merges_first(xmls[part])
        if first is not None:
            moved[part] = first
    original = archive.with_parts(trusted) if trusted else raw
    books = _Books(path, original, archive.with_parts(moved))
    data = WorkbookData(path)
    support = None
    with closing(books), _failures_named(path):
        # When a sheet is read in bands, the list of sheets comes from the package's skeleton:
        # opening the whole book would parse its shared strings once more, for nothing.
        metadata = (books.skeleton(archive) if banded else books.main()).sheets_metadata
        for meta in metadata:
            if not str(meta.typ).endswith("WorkSheet"):
                continue
            part = parts.get(meta.name)
            xml = xmls.get(part) if part else None
            if isinstance(xml, Exception):
                raise WorkbookError(path, f"工作表部件已损坏 / corrupt sheet part: {xml}", sheet=meta.name)
            grid = None
            if part in banded:
                if support is None:
                    support = bands.support_parts(archive, rels, known=strings)
                grid = _read_sheet_banded(path, meta.name, part, xml, support, n_bands[part])
            if grid is None:
                if xml is not None:
                    _refuse_oversized(path, meta.name, xml)
                try:
                    grid = _read_sheet(path, books.main(), meta.name)
                except WorkbookError:
                    if part not in moved:
                        raise
                    grid = _read_sheet(path, books.original(), meta.name)  # the moved copy refused
            if xml is not None:
                errors = _error_cells(xml)
                for row, col, err in errors:
                    grid.put(row, col, CellError(err or "#VALUE!"))
                grid.may_hold_errors = bool(errors)
            data.sheets.append(grid)
    return data


@contextmanager
def _failures_named(path: Path):
    """Any error but a WorkbookError raised inside, as a WorkbookError naming the file:
    python-calamine raises its own types for every broken input."""
    try:
        yield
    except WorkbookError:
        raise
    except Exception as exc:
        raise WorkbookError(path, f"读取工作表失败 / failed reading a sheet: {str(exc).splitlines()[0][:200]}") from None


# A legacy .xls is read in a forked child whose address space is capped at this much more than
# this process holds: a damaged compound file can make python-calamine reserve gigabytes (a
# 5 KB file asked for 4 GB), and a failed Rust allocation aborts the process that makes it.
LEGACY_EXTRA_BYTES = 2 << 30


def _read_legacy(path: Path, raw: bytes) -> WorkbookData:
    """A legacy .xls (BIFF) workbook, read in a child process where forking is safe (Linux):
    whatever python-calamine does with a damaged file, this process gets a WorkbookError."""
    if not (sys.platform.startswith("linux") and hasattr(os, "fork")):
        return _read_legacy_here(path, raw)
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: read, send back the sheets or the error, leave without cleanup
        os.close(read_end)
        os.dup2(os.open(os.devnull, os.O_WRONLY), 2)  # an abort's Rust backtrace is not for users
        try:
            try:
                import resource  # Unix only: this branch runs on Linux alone
                cap = _address_space() + LEGACY_EXTRA_BYTES
                resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
                answer = ("sheets", _read_legacy_here(path, raw).sheets)
            except WorkbookError as exc:
                answer = ("error", exc.message, exc.sheet, exc.cell)
            except BaseException as exc:  # MemoryError once capped, or anything else calamine raises
                answer = ("error", f"无法读取工作簿 / cannot read workbook: {type(exc).__name__}", None, None)
            with os.fdopen(write_end, "wb") as out:
                out.write(pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL))
        finally:
            os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        payload = pipe.read()
    os.waitpid(pid, 0)
    try:
        answer = pickle.loads(payload)
    except Exception:  # the child died before it could answer (a Rust abort)
        raise WorkbookError(path, "无法读取 .xls 文件：文件已损坏，读取时读取器异常终止 / cannot read the .xls: "
                                  "it is damaged, and the reader aborted on it") from None
    if answer[0] == "error":
        raise WorkbookError(path, answer[1], sheet=answer[2], cell=answer[3])
    return WorkbookData(path, answer[1])


def _address_space() -> int:
    """Bytes of address space this process has mapped (/proc/self/statm: pages)."""
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")


def _read_legacy_here(path: Path, raw: bytes) -> WorkbookData:
    """A legacy .xls read in this process: python-calamine reads BIFF itself, values and merges."""
    book = _open_book(path, raw)
    try:
        with _failures_named(path):
            return WorkbookData(path, [_read_sheet(path, book, meta.name) for meta in book.sheets_metadata
                                       if str(meta.typ).endswith("WorkSheet")])
    finally:
        book.close()


def _refuse_oversized(path: Path, sheet: str, xml: bytes, limit: int = MAX_BLOCK_CELLS) -> None:
    """Refuse a sheet (or band) whose cells span a block of more than ``limit`` cells, which
    python-calamine cannot be handed (calamine_parts): the process would abort."""
    block = oversized_block(xml, limit)
    if block is not None:
        rows, columns, far = block
        raise WorkbookError(path, f"工作表的单元格分布在 {rows} 行 × {columns} 列的范围内（远至 {far}），远超表格所需，"
                                  "疑似有远离表格的多余单元格，请删除后再试 / the sheet's cells span "
                                  f"{rows} rows × {columns} columns (to {far}), too large to read: delete the stray cells",
                            sheet=sheet, cell=far)


class _Books:
    """The python-calamine books one read may need, each opened at most once and all closed at the end:
    the main one (sheets with their merges moved first), the file as it is, and the skeleton."""

    _SKELETON = ("[Content_Types].xml", "_rels/.rels", "xl/workbook.xml", "xl/_rels/workbook.xml.rels")

    def __init__(self, path: Path, raw: bytes, main_raw: bytes):
        self.path = path
        self._raws = {"main": main_raw, "original": raw}
        self._open: dict[str, object] = {}

    def _book(self, which: str):
        book = self._open.get(which)
        if book is None:
            book = self._open[which] = _open_book(self.path, self._raws[which])
        return book

    def main(self):
        return self._book("main")

    def original(self):
        return self._book("original")

    def skeleton(self, archive: Archive):
        """A book of the workbook part alone: its sheets' names and kinds, nothing to parse besides."""
        if "skeleton" not in self._raws:
            present = archive.names()
            self._raws["skeleton"] = stored_zip([(n, archive.read(n)) for n in self._SKELETON if n in present])
        return self._book("skeleton")

    def close(self) -> None:
        for book in self._open.values():
            book.close()


def _open_book(path: Path, raw: bytes):
    try:
        from python_calamine import CalamineWorkbook
        return CalamineWorkbook.from_filelike(io.BytesIO(raw))
    except Exception as exc:  # calamine raises its own error types for every broken input
        raise WorkbookError(path, f"无法读取工作簿 / cannot read workbook: {str(exc).splitlines()[0][:200]}") from None


def _read_sheet(path: Path, book, name: str) -> Grid:
    try:
        sheet = book.get_sheet_by_name(name)
        values = sheet.to_python(skip_empty_area=True)
        start = sheet.start or (0, 0)
        merges = [(r1 + 1, c1 + 1, r2 + 1, c2 + 1) for (r1, c1), (r2, c2) in (sheet.merged_cell_ranges or [])]
    except Exception as exc:
        raise WorkbookError(path, f"无法读取工作表 / cannot read sheet: {str(exc).splitlines()[0][:200]}", sheet=name) from None
    return Grid(name, values, merges, origin=(start[0] + 1, start[1] + 1))


def _read_sheet_banded(path: Path, name: str, part: str, xml: bytes, support: dict[str, bytes],
                       n_bands: int) -> Grid | None:
    """A large sheet parsed in row bands on several cores (xltools.io.bands); None to read it
    the ordinary way (a shape the bands cannot cut, or a band calamine refuses).

    Each band is looked at for cells far away (``_refuse_oversized``) just before it is handed
    over, while the bands before it parse; a band may span its share of MAX_BLOCK_CELLS, so that
    the stitched sheet stays within it too.
    """
    cut = bands.cut_bands(xml, n_bands)
    if cut is None or len(cut) < 2:
        return None
    share = MAX_BLOCK_CELLS // len(cut)

    def looked_at():
        for body in cut:
            _refuse_oversized(path, name, body, share)
            yield body

    try:
        parsed = bands.parse_bands(looked_at(), bands.band_packager(support, part), name, len(cut))
    except WorkbookError:
        raise
    except Exception:  # the ordinary read then says what is wrong, if anything is
        return None
    values, start, merges = bands.stitch(parsed)
    return Grid(name, values, [(r1 + 1, c1 + 1, r2 + 1, c2 + 1) for (r1, c1), (r2, c2) in merges],
                origin=(start[0] + 1, start[1] + 1))
