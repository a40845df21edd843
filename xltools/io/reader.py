"""Reading workbooks as they are: cell values with python-calamine, merges and error cells from the XML.

Every failure becomes a WorkbookError with a one-line Chinese/English message naming the file
(and sheet where relevant). The input file is only ever opened for reading.
"""
from __future__ import annotations

import io
import re
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from ..core.form import CellError, col_index
from ..core.grid import Grid
from . import bands
from .errors import WorkbookError

# A sheet part that inflates past this is refused (zip bomb); real forms are a few MB at most.
MAX_PART_BYTES = 512 * 1024 * 1024
MAX_RATIO = 1000
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
READABLE_SUFFIXES = (".xlsx", ".xlsm", ".xltx", ".xltm", ".xls")

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
    try:
        with open(path, "rb") as fh:
            return fh.read(8)
    except FileNotFoundError:
        raise WorkbookError(path, "文件不存在 / file not found") from None
    except IsADirectoryError:
        raise WorkbookError(path, "这是一个文件夹，不是工作簿 / is a directory") from None
    except OSError as exc:
        raise WorkbookError(path, f"无法打开文件 / cannot open: {exc.strerror}") from None


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


def _check_package(path: Path, zf: zipfile.ZipFile) -> dict[str, str]:
    """Refuse bombs and broken packages; return sheet name → sheet part path."""
    if True:
        names = set(zf.namelist())
        for info in zf.infolist():
            if info.file_size > MAX_PART_BYTES or (
                    info.compress_size and info.file_size > 50 * 1024 * 1024
                    and info.file_size / info.compress_size > MAX_RATIO):
                raise WorkbookError(path, f"部件 {info.filename} 解压后过大（{info.file_size // 1024 // 1024} MB），疑似 zip 炸弹，已拒绝 / part inflates past the safe limit (zip bomb)")
        if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
            raise WorkbookError(path, "不是 Excel 工作簿（缺少 xl/workbook.xml）/ not an Excel workbook package")
        try:
            wb_xml = zf.read("xl/workbook.xml")
            rels = zf.read("xl/_rels/workbook.xml.rels") if "xl/_rels/workbook.xml.rels" in names else b""
        except (zipfile.BadZipFile, OSError, EOFError, zlib.error) as exc:
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
        target = targets[rid.group(1)].decode()
        target = target.lstrip("/") if target.startswith("/") else "xl/" + target
        parts[_unescape(name.group(1).decode("utf-8"))] = target
    return parts


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
    sniff(path, _read_head(path))
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise WorkbookError(path, f"无法读取文件 / cannot read: {exc.strerror}") from None
    zf = None
    parts: dict[str, str] = {}
    if raw.startswith(b"PK"):
        try:
            zf = zipfile.ZipFile(io.BytesIO(raw))
        except zipfile.BadZipFile:
            raise WorkbookError(path, "文件已损坏（不是完整的 zip/xlsx 包）/ corrupt or truncated xlsx (bad zip)") from None
        parts = _check_package(path, zf)
    try:
        from python_calamine import CalamineWorkbook
        book = CalamineWorkbook.from_filelike(io.BytesIO(raw))
    except Exception as exc:  # calamine raises its own error types for every broken input
        raise WorkbookError(path, f"无法读取工作簿 / cannot read workbook: {str(exc).splitlines()[0][:200]}") from None
    data = WorkbookData(path)
    support = None
    try:
        for meta in book.sheets_metadata:
            if not str(meta.typ).endswith("WorkSheet"):
                continue
            part = parts.get(meta.name)
            xml = None
            if zf is not None and part:
                try:
                    xml = zf.read(part)
                except (KeyError, zipfile.BadZipFile, OSError, EOFError, zlib.error) as exc:
                    raise WorkbookError(path, f"工作表部件已损坏 / corrupt sheet part: {exc}", sheet=meta.name) from None
            grid = None
            n_bands = bands.band_count(len(xml)) if xml is not None else 1
            if n_bands > 1:
                if support is None:
                    support = bands.support_parts(zf, zf.read("xl/_rels/workbook.xml.rels"))
                grid = _read_sheet_banded(meta.name, part, xml, support, n_bands)
            if grid is None:
                grid = _read_sheet(path, book, meta.name)
            if xml is not None:
                errors = _error_cells(xml)
                for row, col, err in errors:
                    grid.put(row, col, CellError(err or "#VALUE!"))
                grid.may_hold_errors = bool(errors)
            data.sheets.append(grid)
    except WorkbookError:
        raise
    except Exception as exc:
        raise WorkbookError(path, f"读取工作表失败 / failed reading a sheet: {str(exc).splitlines()[0][:200]}") from None
    finally:
        book.close()
    return data


def _read_sheet(path: Path, book, name: str) -> Grid:
    try:
        sheet = book.get_sheet_by_name(name)
        values = sheet.to_python(skip_empty_area=True)
        start = sheet.start or (0, 0)
        merges = [(r1 + 1, c1 + 1, r2 + 1, c2 + 1) for (r1, c1), (r2, c2) in (sheet.merged_cell_ranges or [])]
    except Exception as exc:
        raise WorkbookError(path, f"无法读取工作表 / cannot read sheet: {str(exc).splitlines()[0][:200]}", sheet=name) from None
    return Grid(name, values, merges, origin=(start[0] + 1, start[1] + 1))


def _read_sheet_banded(name: str, part: str, xml: bytes, support: dict[str, bytes], n_bands: int) -> Grid | None:
    """A large sheet parsed in row bands on several cores (xltools.io.bands); None to read it
    the ordinary way (a shape the bands cannot cut, or a band calamine refuses)."""
    cut = bands.cut_bands(xml, n_bands)
    if cut is None or len(cut) < 2:
        return None
    try:
        parsed = bands.parse_bands([bands.band_package(support, part, body) for body in cut], name)
    except Exception:  # the ordinary read then says what is wrong, if anything is
        return None
    values, start, merges = bands.stitch(parsed)
    return Grid(name, values, [(r1 + 1, c1 + 1, r2 + 1, c2 + 1) for (r1, c1), (r2, c2) in merges],
                origin=(start[0] + 1, start[1] + 1))
