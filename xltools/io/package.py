"""The OOXML package: a zip of parts read with zip-bomb guards, patched part by part, written atomically.

Parts nobody touches are copied byte for byte, in their original order and with their
original compression method; touched XML parts are re-serialised with the original XML
declaration; new parts are appended at the end.
"""
from __future__ import annotations

import io
from contextlib import contextmanager
import os
import posixpath
import stat
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from .errors import DAMAGED_ZIP_ERRORS, WorkbookError

MAX_PART_BYTES = 200 * 1024 * 1024
MAX_TOTAL_BYTES = 1024 * 1024 * 1024
MAX_RATIO = 1000
# Small parts (styles, a sheet of blanks) legitimately compress past 1000:1; the ratio guard
# only matters for parts that would inflate to something large.
RATIO_FLOOR_BYTES = 1024 * 1024
_CHUNK = 1024 * 1024

NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
NS_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
NS_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
NS_CT = "http://schemas.openxmlformats.org/package/2006/content-types"
NS_STRICT_MAIN = "http://purl.oclc.org/ooxml/spreadsheetml/main"

REL_OFFICE_DOCUMENT = NS_R + "/officeDocument"
REL_WORKSHEET = NS_R + "/worksheet"
REL_STYLES = NS_R + "/styles"
REL_SHARED_STRINGS = NS_R + "/sharedStrings"
REL_COMMENTS = NS_R + "/comments"
REL_VML = NS_R + "/vmlDrawing"
REL_CALC_CHAIN = NS_R + "/calcChain"

CT_WORKSHEET = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
CT_COMMENTS = "application/vnd.openxmlformats-officedocument.spreadsheetml.comments+xml"
CT_VML = "application/vnd.openxmlformats-officedocument.vmlDrawing"
CT_STYLES = "application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True,
                          remove_blank_text=False)


@dataclass(frozen=True)
class Rel:
    """One relationship of a part: id, type, target part name (resolved) and mode."""

    id: str
    type: str
    target: str  # package part name without a leading "/", or the raw target when external
    external: bool = False


def rels_name(part: str) -> str:
    """The relationships part of ``part`` ("" is the package itself)."""
    folder, base = posixpath.split(part)
    return posixpath.join(folder, "_rels", base + ".rels")


def resolve_target(source: str, target: str) -> str:
    """A relationship target resolved against its source part, without a leading "/"."""
    if target.startswith("/"):
        return posixpath.normpath(target).lstrip("/")
    base = posixpath.dirname(source)
    return posixpath.normpath(posixpath.join(base, target)).lstrip("/")


def relative_target(source: str, part: str) -> str:
    """The relative Target that points from ``source`` to ``part``."""
    return posixpath.relpath(part, posixpath.dirname(source) or ".")


class Package:
    """An xlsx/xlsm package opened for patching.

    Read parts with :meth:`read` / :meth:`xml`, change them with :meth:`set` / :meth:`set_xml`,
    add relationships and content types, and :meth:`save` the result. Nothing is written
    to the source file.
    """

    def __init__(self, path: Path, zf: zipfile.ZipFile, raw: bytes = b""):
        self.path = path
        self._zf = zf
        self._raw = raw
        self._infos: list[zipfile.ZipInfo] = zf.infolist()
        self._lower = {i.filename.lower(): i.filename for i in self._infos}
        self._data: dict[str, bytes] = {}  # replaced or new parts
        self._xml: dict[str, etree._Element] = {}  # parsed parts; dirty ones are in _dirty
        self._dirty: set[str] = set()
        self._removed: set[str] = set()
        self._new: list[str] = []
        # A relationships part's name → its resolved relationships, dropped whenever the part
        # changes: a workbook of hundreds of sheets looks its sheets' relationships up for each
        # sheet it annotates, and resolving them every time made annotating cubic in its sheets.
        self._resolved: dict[str, tuple[list[Rel], dict[str, Rel]]] = {}
        self.changes = 0  # counts the changes to parts: what is worked out from them may be kept until it moves
        self._taken_below: dict[tuple[str, int], int] = {}  # unique_name: (pattern, start) → first number not known taken
        self._overrides: tuple[etree._Element, dict[str, etree._Element]] | None = None  # content types root, its Overrides

    # -- opening -----------------------------------------------------------------------------
    @classmethod
    def open(cls, path: str | Path) -> "Package":
        """Open ``path`` for reading, checking every part's declared size before anything is inflated.

        Raises:
            WorkbookError: missing file, not a zip (encrypted workbooks and .xls are OLE files),
                an encrypted or oversized entry, or no workbook part.
        """
        path = Path(path)
        from .reader import OLE_MAGIC, sniff
        if sniff(path).startswith(OLE_MAGIC):  # sniff already refused encrypted files
            raise WorkbookError(path, "旧版 .xls 格式无法写入，请在 Excel 中另存为 .xlsx / legacy .xls cannot be written: save it as .xlsx")
        try:
            # Read the file into memory: the source is then never held open while dst (which
            # may be the same file, with backup=True) is replaced, which Windows would refuse.
            if path.stat().st_size > MAX_TOTAL_BYTES:
                raise WorkbookError(path, "文件超过 1 GB，已拒绝 / file larger than 1 GB")
            data = path.read_bytes()
            zf = zipfile.ZipFile(io.BytesIO(data))
        except (zipfile.BadZipFile, OSError):
            raise WorkbookError(path, "不是有效的 xlsx 文件（zip 包损坏） / not a valid xlsx (bad zip)") from None
        pkg = cls(path, zf, data)
        try:
            pkg._check_entries()
            pkg.workbook_part()  # must exist
        except BaseException:
            zf.close()
            raise
        return pkg

    def _check_entries(self) -> None:
        seen: set[str] = set()
        total = 0
        for info in self._infos:
            key = info.filename.lower()
            if key in seen:
                raise WorkbookError(self.path, f"zip 包内部件重复：{info.filename} / duplicate part")
            seen.add(key)
            if info.flag_bits & 0x1:
                raise WorkbookError(self.path, f"部件 {info.filename} 已加密 / encrypted zip entry")
            _check_sizes(self.path, info, info.file_size)
            total += info.file_size
            if total > MAX_TOTAL_BYTES:
                raise WorkbookError(self.path, "解压后总大小超过 1 GB，疑似 zip 炸弹，已拒绝 / package inflates past 1 GB")
        if "[content_types].xml" not in seen:
            raise WorkbookError(self.path, "缺少 [Content_Types].xml，不是 Office 文件 / not an OOXML package")

    def close(self) -> None:
        """Release the in-memory zip."""
        self._zf.close()

    def __enter__(self) -> "Package":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- parts -------------------------------------------------------------------------------
    def _name(self, part: str) -> str | None:
        part = part.lstrip("/")
        if part in self._data and part not in self._removed:
            return part
        real = self._lower.get(part.lower())
        if real is None or real in self._removed:
            return None
        return real

    def has(self, part: str) -> bool:
        """Whether ``part`` exists now (case-insensitive, as OPC part names are)."""
        return self._name(part) is not None

    def names(self) -> list[str]:
        """Every part name present now, in output order."""
        out = [i.filename for i in self._infos if i.filename not in self._removed]
        return out + [n for n in self._new if n not in self._removed]

    def read(self, part: str) -> bytes:
        """The bytes of a part (current version), inflated under the zip-bomb guards."""
        name = self._name(part)
        if name is None:
            raise KeyError(part)
        if name in self._dirty:
            self._flush(name)
        if name in self._data:
            return self._data[name]
        info = self._zf.getinfo(name)
        chunks, size = [], 0
        try:
            with self._zf.open(info) as src:
                while True:
                    chunk = src.read(_CHUNK)
                    if not chunk:
                        break
                    size += len(chunk)
                    _check_sizes(self.path, info, size)
                    chunks.append(chunk)
        except DAMAGED_ZIP_ERRORS as exc:
            raise WorkbookError(self.path, f"部件 {name} 已损坏 / corrupt part: {exc}") from None
        return b"".join(chunks)

    def xml(self, part: str) -> etree._Element:
        """The parsed root of an XML part; keep using the same object and call :meth:`set_xml`."""
        name = self._name(part)
        if name is None:
            raise KeyError(part)
        root = self._xml.get(name)
        if root is None:
            data = self.read(name)
            try:
                root = etree.fromstring(data, _PARSER)
            except etree.XMLSyntaxError as exc:
                raise WorkbookError(self.path, f"部件 {name} 不是合法的 XML / malformed XML: {exc}") from None
            self._xml[name] = root
        return root

    def set_xml(self, part: str, root: etree._Element) -> None:
        """Mark an XML part changed (new parts are added at the end)."""
        name = self._name(part) or self._add_name(part)
        self._xml[name] = root
        self._dirty.add(name)
        self._data.pop(name, None)
        self._resolved.pop(name, None)
        self.changes += 1

    def set(self, part: str, data: bytes) -> None:
        """Replace or add a part's bytes."""
        name = self._name(part) or self._add_name(part)
        self._data[name] = data
        self._xml.pop(name, None)
        self._dirty.discard(name)
        self._resolved.pop(name, None)
        self.changes += 1

    def remove(self, part: str) -> None:
        """Drop a part (its relationships part too) from the output."""
        name = self._name(part)
        if name is None:
            return
        self._removed.add(name)
        self._xml.pop(name, None)
        self._dirty.discard(name)
        self._resolved.pop(name, None)
        self.changes += 1
        self._taken_below.clear()  # a number may be free again
        rels = self._name(rels_name(name))
        if rels is not None:
            self._removed.add(rels)
            self._xml.pop(rels, None)
            self._dirty.discard(rels)
            self._resolved.pop(rels, None)

    def _add_name(self, part: str) -> str:
        part = part.lstrip("/")
        self._removed.discard(part)
        if part.lower() not in self._lower:  # every name added is in _lower: no scan of _new
            self._new.append(part)
        self._lower.setdefault(part.lower(), part)
        return part

    def unique_name(self, pattern: str, start: int = 1) -> str:
        """The first free part name of ``pattern`` ("xl/comments{}.xml") counting from ``start``.

        Numbers found taken are not tried again until a part is removed: a workbook of hundreds
        of sheets asks for a comments and a drawing part per sheet."""
        n = max(start, self._taken_below.get((pattern, start), start))
        while self.has(pattern.format(n)):
            n += 1
        self._taken_below[(pattern, start)] = n
        return pattern.format(n)

    @property
    def modified(self) -> bool:
        """Whether any part was changed, added or removed."""
        return bool(self._dirty or self._data or self._removed)

    def _flush(self, name: str) -> None:
        root = self._xml[name]
        decl = _declaration(self._original_head(name))
        # Serialise the whole tree so processing instructions before the root survive.
        body = etree.tostring(root.getroottree(), encoding="UTF-8", xml_declaration=False)
        self._data[name] = decl + body
        self._dirty.discard(name)

    def _original_head(self, name: str) -> bytes:
        if name not in self._new:
            try:
                with self._zf.open(name) as fh:
                    return fh.read(200)
            except KeyError:
                return b""
        return b""

    # -- content types and relationships ----------------------------------------------------------
    def content_types(self) -> etree._Element:
        """The parsed [Content_Types].xml."""
        return self.xml("[Content_Types].xml")

    def content_type(self, part: str) -> str | None:
        """The content type of a part: its Override, else its extension's Default."""
        ct = self.content_types()
        key = "/" + part.lstrip("/").lower()
        for el in ct.iter(f"{{{NS_CT}}}Override"):
            if el.get("PartName", "").lower() == key:
                return el.get("ContentType")
        ext = posixpath.splitext(part)[1].lstrip(".").lower()
        for el in ct.iter(f"{{{NS_CT}}}Default"):
            if el.get("Extension", "").lower() == ext:
                return el.get("ContentType")
        return None

    def set_override(self, part: str, content_type: str) -> None:
        """Give ``part`` an Override content type (replacing an existing one)."""
        ct = self.content_types()
        key = "/" + part.lstrip("/")
        overrides = self._override_index(ct)
        el = overrides.get(key.lower())
        if el is not None:
            if el.get("ContentType") != content_type:
                el.set("ContentType", content_type)
                self.set_xml("[Content_Types].xml", ct)
            return
        overrides[key.lower()] = etree.SubElement(ct, f"{{{NS_CT}}}Override", PartName=key, ContentType=content_type)
        self.set_xml("[Content_Types].xml", ct)

    def _override_index(self, ct: etree._Element) -> dict[str, etree._Element]:
        """The first Override of each lowercased PartName in the content types root ``ct``, kept for
        as long as that root is the one in use (set_override and remove_override keep it current)."""
        if self._overrides is None or self._overrides[0] is not ct:
            index: dict[str, etree._Element] = {}
            for el in ct.iter(f"{{{NS_CT}}}Override"):
                index.setdefault(el.get("PartName", "").lower(), el)
            self._overrides = (ct, index)
        return self._overrides[1]

    def remove_override(self, part: str) -> None:
        """Drop the Override content type of ``part``, if any."""
        ct = self.content_types()
        key = "/" + part.lstrip("/").lower()
        for el in list(ct.iter(f"{{{NS_CT}}}Override")):
            if el.get("PartName", "").lower() == key:
                ct.remove(el)
                self.set_xml("[Content_Types].xml", ct)
                self._overrides = None  # worked out again when next asked

    def ensure_default(self, ext: str, content_type: str) -> None:
        """Add a Default content type for extension ``ext`` unless one exists."""
        ct = self.content_types()
        for el in ct.iter(f"{{{NS_CT}}}Default"):
            if el.get("Extension", "").lower() == ext.lower():
                return
        el = etree.Element(f"{{{NS_CT}}}Default", Extension=ext, ContentType=content_type)
        defaults = list(ct.iter(f"{{{NS_CT}}}Default"))
        # Defaults conventionally precede Overrides.
        if defaults:
            defaults[-1].addnext(el)
        else:
            ct.insert(0, el)
        self.set_xml("[Content_Types].xml", ct)

    def default_extensions(self) -> list[str]:
        """The extensions that have a Default content type, lower-cased."""
        return [el.get("Extension", "").lower() for el in self.content_types().iter(f"{{{NS_CT}}}Default")]

    def drop_unused_defaults(self, keep: list[str]) -> None:
        """Remove Default content types not in ``keep`` that no part's extension uses."""
        ct = self.content_types()
        used = {n.rsplit("/", 1)[-1].rsplit(".", 1)[-1].lower() for n in self.names() if "." in n.rsplit("/", 1)[-1]}
        keep_set = {k.lower() for k in keep}
        for el in list(ct.iter(f"{{{NS_CT}}}Default")):
            ext = el.get("Extension", "").lower()
            if ext not in keep_set and ext not in used:
                ct.remove(el)
                self.set_xml("[Content_Types].xml", ct)

    def rels(self, part: str) -> list[Rel]:
        """The relationships of ``part`` ("" for the package), targets resolved."""
        return list(self._rels_of(part)[0])  # a copy: the cache is not the caller's to change

    def _rels_of(self, part: str) -> tuple[list[Rel], dict[str, Rel]]:
        """``part``'s resolved relationships, in order and by Id (the first of each Id), cached."""
        rname = rels_name(part)
        if not self.has(rname):
            return [], {}
        name = self._name(rname)
        resolved = self._resolved.get(name)
        if resolved is None:
            in_order: list[Rel] = []
            for el in self.xml(rname).iter(f"{{{NS_PKG_REL}}}Relationship"):
                external = el.get("TargetMode") == "External"
                target = el.get("Target", "")
                in_order.append(Rel(el.get("Id", ""), el.get("Type", ""),
                                    target if external else resolve_target(part, target), external))
            by_id: dict[str, Rel] = {}
            for rel in in_order:
                by_id.setdefault(rel.id, rel)
            resolved = self._resolved[name] = (in_order, by_id)
        return resolved

    def rel_by_type(self, part: str, rel_type: str) -> Rel | None:
        """The first relationship of ``part`` with type ``rel_type``."""
        for rel in self._rels_of(part)[0]:
            if rel.type == rel_type:
                return rel
        return None

    def rel_by_id(self, part: str, rid: str) -> Rel | None:
        """The relationship ``rid`` of ``part``."""
        return self._rels_of(part)[1].get(rid)

    def add_rel(self, part: str, rel_type: str, target_part: str) -> str:
        """Add a relationship from ``part`` to ``target_part``; returns its new rId."""
        rname = rels_name(part)
        if self.has(rname):
            root = self.xml(rname)
        else:
            root = etree.Element(f"{{{NS_PKG_REL}}}Relationships", nsmap={None: NS_PKG_REL})
        used = {el.get("Id") for el in root}
        n = len(used) + 1
        while f"rId{n}" in used:
            n += 1
        rid = f"rId{n}"
        etree.SubElement(root, f"{{{NS_PKG_REL}}}Relationship", Id=rid, Type=rel_type,
                         Target=relative_target(part, target_part))
        self.set_xml(rname, root)
        return rid

    def remove_rel(self, part: str, rid: str) -> None:
        """Drop relationship ``rid`` of ``part`` (and the rels part once it is empty)."""
        rname = rels_name(part)
        if not self.has(rname):
            return
        root = self.xml(rname)
        for el in list(root):
            if el.get("Id") == rid:
                root.remove(el)
                self.set_xml(rname, root)
        if len(root) == 0:
            # An empty relationships part is legal but is litter left by a removal.
            self.remove(rname)

    def workbook_part(self) -> str:
        """The main workbook part named by the package's officeDocument relationship."""
        rel = self.rel_by_type("", REL_OFFICE_DOCUMENT)
        if rel is None:
            # Strict OOXML uses another namespace for the same relationship.
            for r in self.rels(""):
                if r.type.endswith("/officeDocument"):
                    raise WorkbookError(self.path, "不支持 Strict Open XML 格式，请另存为普通 xlsx "
                                                   "/ Strict Open XML workbooks are not supported")
            raise WorkbookError(self.path, "不是 Excel 工作簿（缺少工作簿部件） / no workbook part in the package")
        if not self.has(rel.target):
            raise WorkbookError(self.path, f"缺少工作簿部件 {rel.target} / workbook part missing")
        return rel.target

    # -- writing -----------------------------------------------------------------------------------
    def save(self, dst: str | Path) -> None:
        """Write the package to ``dst`` atomically (temp file in its folder, fsync, os.replace)."""
        dst = Path(dst)
        for name in list(self._dirty):
            self._flush(name)
        if not self.modified:
            atomic_write(dst, self._raw)
            return
        with atomic_file(dst) as fh:
            with zipfile.ZipFile(fh, "w") as out:
                for info in self._infos:
                    name = info.filename
                    if name in self._removed:
                        continue
                    zi = _clone_info(info)
                    if name in self._data:
                        out.writestr(zi, self._data[name])
                    else:
                        self._copy_entry(info, zi, out)
                for name in self._new:
                    if name in self._removed:
                        continue
                    zi = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
                    zi.compress_type = zipfile.ZIP_DEFLATED
                    zi.external_attr = 0o600 << 16
                    out.writestr(zi, self._data[name])

    def _copy_entry(self, info: zipfile.ZipInfo, zi: zipfile.ZipInfo, out: zipfile.ZipFile) -> None:
        size = 0
        try:
            with self._zf.open(info) as src, out.open(zi, "w", force_zip64=info.file_size > 0x7FFFFFFF) as dst:
                while True:
                    chunk = src.read(_CHUNK)
                    if not chunk:
                        break
                    size += len(chunk)
                    _check_sizes(self.path, info, size)
                    dst.write(chunk)
        except DAMAGED_ZIP_ERRORS as exc:
            raise WorkbookError(self.path, f"部件 {info.filename} 已损坏 / corrupt part: {exc}") from None


def _check_sizes(path: Path, info: zipfile.ZipInfo, size: int) -> None:
    if size > MAX_PART_BYTES:
        raise WorkbookError(path, f"部件 {info.filename} 解压后超过 {MAX_PART_BYTES // 2**20} MB，疑似 zip 炸弹，已拒绝 "
                                  f"/ part inflates past the safe limit (zip bomb)")
    if size > RATIO_FLOOR_BYTES and size > MAX_RATIO * max(info.compress_size, 1):
        raise WorkbookError(path, f"部件 {info.filename} 压缩比超过 {MAX_RATIO}:1，疑似 zip 炸弹，已拒绝 "
                                  f"/ compression ratio above {MAX_RATIO}:1 (zip bomb)")


def _clone_info(info: zipfile.ZipInfo) -> zipfile.ZipInfo:
    zi = zipfile.ZipInfo(info.filename, date_time=info.date_time)
    zi.compress_type = info.compress_type
    zi.external_attr = info.external_attr
    zi.create_system = info.create_system
    zi.comment = info.comment
    return zi


def _declaration(head: bytes) -> bytes:
    """The original XML declaration (kept verbatim so diffs stay about content), or a standard one."""
    head = head.lstrip(b"\xef\xbb\xbf")
    if head.startswith(b"<?xml"):
        end = head.find(b"?>")
        if end != -1:
            decl = head[: end + 2]
            if b"encoding" not in decl or b"utf-8" in decl.lower():
                return decl + b"\n" if head[end + 2:end + 3] in (b"\n", b"\r") else decl
    return b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'


def _temp_beside(dst: Path) -> Path:
    fd, name = tempfile.mkstemp(prefix=f".{dst.name}.", suffix=".tmp", dir=dst.parent)
    os.close(fd)
    return Path(name)


def _process_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


# Read once, at import: setting the umask to read it is not safe while other threads create files.
_UMASK = _process_umask()


def _mode_for(dst: Path) -> int:
    """The permissions a file written to ``dst`` gets: those of the file it replaces (an in-place
    edit keeps a shared file readable by those who could read it), else those a plain open()
    would give. A temp file from mkstemp is readable by its owner alone."""
    try:
        return stat.S_IMODE(os.stat(dst).st_mode)
    except OSError:
        return 0o666 & ~_UMASK


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextmanager
def atomic_file(dst: Path):
    """Yield a binary file that becomes ``dst`` only when the block ends without error.

    It is a temp file in dst's folder, fsynced and moved into place with os.replace; on any
    failure it is removed and ``dst`` is untouched. It gets the permissions of the file it
    replaces, or those of a new file (``_mode_for``).
    """
    tmp = _temp_beside(dst)
    try:
        with open(tmp, "wb") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, _mode_for(dst))
        os.replace(tmp, dst)
        _fsync_dir(dst.parent)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def atomic_write(dst: Path, data: bytes) -> None:
    """Write ``data`` to ``dst`` atomically (see atomic_file)."""
    with atomic_file(dst) as fh:
        fh.write(data)
