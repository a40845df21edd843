"""The VBA project storage (MS-OVBA §2.2–2.3): vbaProject.bin built from module sources.

The project is source-only: ``_VBA_PROJECT`` carries version 0xFFFF and every module stream
is just its compressed source (MODULEOFFSET 0, no performance cache), so Office discards
nothing and compiles the source when it loads the file. Strings in the dir stream and the
sources use the project code page (1252); the module sources xltools ships are ASCII.
"""
from __future__ import annotations

import hashlib
import struct
import uuid
from dataclasses import dataclass
from enum import Enum

from . import ovba
from .cfb import read_compound_file, write_compound_file

CODEPAGE = 1252
_CODEC = "cp1252"
LCID = 0x0409
# _VBA_PROJECT (§2.3.4.1): Reserved1 0x61CC, Version 0xFFFF ("no cache for this VBA version"),
# Reserved2 0x00, Reserved3 (ignored on read; Office's own source-only projects write 0x0001).
VBA_PROJECT_STREAM = bytes.fromhex("CC61FFFF000100")
HOST_EXTENDER = "&H00000001={3832D640-CF90-11CF-8E43-00A0C911005A};VBE;&H00000000"

# Type libraries every Excel project references (§2.3.4.2.2.5 REFERENCEREGISTERED). Office
# resolves them by GUID and version; the paths are only hints.
REFERENCES = (
    ("stdole", "*\\G{00020430-0000-0000-C000-000000000046}#2.0#0#"
               "C:\\Windows\\System32\\stdole2.tlb#OLE Automation"),
    ("Office", "*\\G{2DF8D04C-5BFA-101B-BDE5-00AA0044DE52}#2.0#0#"
               "C:\\Program Files\\Common Files\\Microsoft Shared\\OFFICE16\\MSO.DLL"
               "#Microsoft Office 16.0 Object Library"),
)


class ModuleKind(str, Enum):
    STANDARD = "standard"    # a .bas module
    CLASS = "class"          # a .cls class module
    DOCUMENT = "document"    # ThisWorkbook / a sheet's code module

    @property
    def project_key(self) -> str:
        return {"standard": "Module", "class": "Class", "document": "Document"}[self.value]


@dataclass(frozen=True)
class VbaModule:
    """One module as it is stored: its full source, Attribute lines included, CRLF line ends."""

    name: str
    kind: ModuleKind
    source: str


class VbaProjectError(ValueError):
    """A module that cannot be stored (non-ASCII name, source not in the code page)."""


def build_vba_project(modules: list[VbaModule], *, name: str = "VBAProject",
                      project_id: str | None = None) -> bytes:
    """Compile ``modules`` into the bytes of a source-only vbaProject.bin.

    Args:
        modules: the modules, in the order the VBA editor should list them. Document modules
            ("ThisWorkbook", "Sheet1") must match the workbook's and sheets' code names.
        name: the VBA project name (an identifier: letters, digits, underscore).
        project_id: the project GUID as "{XXXXXXXX-...}"; derived from the sources when omitted,
            so that identical sources give an identical file.

    Returns:
        The compound file's bytes.

    Raises:
        VbaProjectError: on a duplicate or non-identifier module name, or source text that the
            code page cannot encode.
    """
    _check_identifier(name, "project name")
    seen: set[str] = set()
    for m in modules:
        _check_identifier(m.name, "module name")
        if m.name.lower() in seen:
            raise VbaProjectError(f"duplicate module name {m.name!r}")
        seen.add(m.name.lower())
    digest = hashlib.sha256("\0".join(f"{m.name}\0{m.source}" for m in modules).encode("utf-8")).digest()
    if project_id is None:
        project_id = "{" + str(uuid.UUID(bytes=digest[:16])).upper() + "}"

    streams: dict[str, bytes] = {
        "PROJECT": _project_stream(modules, name, project_id, digest),
        "PROJECTwm": _projectwm_stream(modules),
        "VBA/_VBA_PROJECT": VBA_PROJECT_STREAM,
        "VBA/dir": ovba.compress(_dir_stream(modules, name)),
    }
    for m in modules:
        try:
            source = m.source.encode(_CODEC)
        except UnicodeEncodeError as exc:
            raise VbaProjectError(f"module {m.name}: source is not code page {CODEPAGE}: {exc}") from None
        streams[f"VBA/{m.name}"] = ovba.compress(source)
    return write_compound_file(streams)


def _check_identifier(name: str, what: str) -> None:
    if not (name and name.isascii() and (name[0].isalpha()) and name.replace("_", "a").isalnum()
            and len(name) <= 31):
        raise VbaProjectError(f"invalid {what} {name!r}")


def _record(rid: int, data: bytes) -> bytes:
    return struct.pack("<HI", rid, len(data)) + data


def _text_pair(rid: int, text: str, rid_unicode: int) -> bytes:
    """A record with MBCS text followed by its UTF-16 twin (PROJECTDOCSTRING, MODULENAME …)."""
    return _record(rid, text.encode(_CODEC)) + _record(rid_unicode, text.encode("utf-16-le"))


def _dir_stream(modules: list[VbaModule], name: str) -> bytes:
    """The decompressed dir stream (§2.3.4.2): project information, references, modules."""
    out = bytearray()
    out += _record(0x0001, struct.pack("<I", 1))            # PROJECTSYSKIND: 32-bit Windows
    out += _record(0x0002, struct.pack("<I", LCID))         # PROJECTLCID
    out += _record(0x0014, struct.pack("<I", LCID))         # PROJECTLCIDINVOKE
    out += _record(0x0003, struct.pack("<H", CODEPAGE))     # PROJECTCODEPAGE
    out += _record(0x0004, name.encode(_CODEC))             # PROJECTNAME
    out += _text_pair(0x0005, "", 0x0040)                   # PROJECTDOCSTRING
    # PROJECTHELPFILEPATH: both copies of the (empty) path are MBCS, unlike the other pairs.
    out += _record(0x0006, b"") + _record(0x003D, b"")
    out += _record(0x0007, struct.pack("<I", 0))            # PROJECTHELPCONTEXT
    out += _record(0x0008, struct.pack("<I", 0))            # PROJECTLIBFLAGS
    # PROJECTVERSION: its size field is the constant 4, yet six bytes follow (major, minor).
    out += struct.pack("<HIIH", 0x0009, 4, 1, 0)
    out += _text_pair(0x000C, "", 0x003C)                   # PROJECTCONSTANTS
    for ref_name, libid in REFERENCES:
        out += _text_pair(0x0016, ref_name, 0x003E)         # REFERENCENAME
        lib = libid.encode(_CODEC)
        body = struct.pack("<I", len(lib)) + lib + struct.pack("<IH", 0, 0)
        out += _record(0x000D, body)                        # REFERENCEREGISTERED
    out += _record(0x000F, struct.pack("<H", len(modules)))  # PROJECTMODULES
    out += _record(0x0013, struct.pack("<H", 0xFFFF))       # PROJECTCOOKIE
    for m in modules:
        out += _record(0x0019, m.name.encode(_CODEC))       # MODULENAME
        out += _record(0x0047, m.name.encode("utf-16-le"))  # MODULENAMEUNICODE
        out += _text_pair(0x001A, m.name, 0x0032)           # MODULESTREAMNAME
        out += _text_pair(0x001C, "", 0x0048)               # MODULEDOCSTRING
        out += _record(0x0031, struct.pack("<I", 0))        # MODULEOFFSET: no performance cache
        out += _record(0x001E, struct.pack("<I", 0))        # MODULEHELPCONTEXT
        out += _record(0x002C, struct.pack("<H", 0xFFFF))   # MODULECOOKIE
        out += _record(0x0021 if m.kind is ModuleKind.STANDARD else 0x0022, b"")  # MODULETYPE
        out += _record(0x002B, b"")                         # module terminator
    out += _record(0x0010, b"")                             # dir terminator
    return bytes(out)


def _project_stream(modules: list[VbaModule], name: str, project_id: str, digest: bytes) -> bytes:
    """The PROJECT stream (§2.3.1): the project's text properties, CRLF-separated."""
    lines = [f'ID="{project_id}"']
    for m in modules:
        if m.kind is ModuleKind.DOCUMENT:
            lines.append(f"Document={m.name}/&H00000000")
        else:
            lines.append(f"{m.kind.project_key}={m.name}")
    lines += [f'Name="{name}"', 'HelpContextID="0"', 'VersionCompatible32="393222000"']
    # Protection state 0 (unlocked), no password (0x00), visible (0xFF); seeds from the digest
    # keep the file reproducible.
    lines.append('CMG="' + encrypt(project_id, b"\0\0\0\0", seed=digest[16], ignored=digest[20:24]) + '"')
    lines.append('DPB="' + encrypt(project_id, b"\0", seed=digest[17], ignored=digest[24:28]) + '"')
    lines.append('GC="' + encrypt(project_id, b"\xff", seed=digest[18], ignored=digest[28:32]) + '"')
    lines += ["", "[Host Extender Info]", HOST_EXTENDER, "", "[Workspace]"]
    lines += [f"{m.name}=0, 0, 0, 0, C" for m in modules]
    return ("\r\n".join(lines) + "\r\n").encode(_CODEC)


def _projectwm_stream(modules: list[VbaModule]) -> bytes:
    """PROJECTwm (§2.3.3): each module name in MBCS and UTF-16, then a 0x0000 terminator."""
    out = bytearray()
    for m in modules:
        out += m.name.encode(_CODEC) + b"\0" + m.name.encode("utf-16-le") + b"\0\0"
    return bytes(out + b"\0\0")


def encrypt(project_id: str, data: bytes, *, seed: int, ignored: bytes = b"") -> str:
    """MS-OVBA §2.4.3.2 Data Encryption, as the uppercase hex the PROJECT stream stores.

    Args:
        project_id: the "{GUID}" of the ID= line; its byte sum is the project key.
        data: the bytes to obfuscate (protection state, password, visibility).
        seed: the random seed byte.
        ignored: filler bytes; only the first ``(seed & 6) // 2`` are used.

    Returns:
        Seed, VersionEnc, ProjKeyEnc, IgnoredEnc, DataLengthEnc and DataEnc, in hex.
    """
    seed &= 0xFF
    version = 2
    key = sum(project_id.encode("ascii")) & 0xFF
    out = [seed, seed ^ version, seed ^ key]
    unencrypted1, encrypted1, encrypted2 = key, seed ^ key, seed ^ version
    n_ignored = (seed & 6) // 2
    filler = (bytes(ignored) + b"\0" * n_ignored)[:n_ignored]
    for byte in filler + struct.pack("<I", len(data)) + bytes(data):
        enc = byte ^ ((encrypted2 + unencrypted1) & 0xFF)
        out.append(enc)
        encrypted2, encrypted1, unencrypted1 = encrypted1, enc, byte
    return bytes(out).hex().upper()


def decrypt(hex_text: str) -> tuple[int, bytes]:
    """Undo ``encrypt`` (§2.4.3.3): returns (project key, data)."""
    raw = bytes.fromhex(hex_text)
    if len(raw) < 7:
        raise VbaProjectError("encrypted data too short")
    seed, version_enc, key_enc = raw[0], raw[1], raw[2]
    if seed ^ version_enc != 2:
        raise VbaProjectError("encrypted data: version is not 2")
    key = seed ^ key_enc
    unencrypted1, encrypted1, encrypted2 = key, key_enc, version_enc
    plain = []
    for enc in raw[3:]:
        byte = enc ^ ((encrypted2 + unencrypted1) & 0xFF)
        plain.append(byte)
        encrypted2, encrypted1, unencrypted1 = encrypted1, enc, byte
    n_ignored = (seed & 6) // 2
    length = struct.unpack("<I", bytes(plain[n_ignored:n_ignored + 4]))[0]
    data = bytes(plain[n_ignored + 4:])
    if len(data) != length:
        raise VbaProjectError(f"encrypted data: length {length} but {len(data)} bytes")
    return key, data


def read_vba_modules(vba_project_bin: bytes) -> dict[str, str]:
    """Module name → decompressed source of a vbaProject.bin, read with xltools' own readers.

    Args:
        vba_project_bin: the bytes of the compound file.

    Returns:
        The sources in the order of the dir stream, decoded with the project's code page.

    Raises:
        CfbError, OvbaError, VbaProjectError: when the file is not a readable VBA project.
    """
    streams = read_compound_file(vba_project_bin)
    dir_key = next((k for k in streams if k.lower() == "vba/dir"), None)
    if dir_key is None:
        raise VbaProjectError("no VBA/dir stream")
    records = _parse_dir(ovba.decompress(streams[dir_key]))
    codec = _CODEC
    modules: list[dict] = []
    for rid, data in records:
        if rid == 0x0003:
            codec = f"cp{struct.unpack('<H', data)[0]}"
        elif rid == 0x0019:
            modules.append({"name": data})
        elif rid == 0x001A and modules:
            modules[-1]["stream"] = data
        elif rid == 0x0031 and modules:
            modules[-1]["offset"] = struct.unpack("<I", data)[0]
    lower = {k.lower(): k for k in streams}
    out: dict[str, str] = {}
    for m in modules:
        name = m["name"].decode(codec, "replace")
        stream_name = m.get("stream", m["name"]).decode(codec, "replace")
        key = lower.get(f"vba/{stream_name}".lower())
        if key is None:
            raise VbaProjectError(f"module {name}: stream VBA/{stream_name} missing")
        out[name] = ovba.decompress(streams[key][m.get("offset", 0):]).decode(codec, "replace")
    return out


def _parse_dir(data: bytes) -> list[tuple[int, bytes]]:
    """The dir stream as (id, payload) records; PROJECTVERSION's odd size is handled."""
    out = []
    pos = 0
    while pos + 6 <= len(data):
        rid, size = struct.unpack_from("<HI", data, pos)
        pos += 6
        if rid == 0x0009:
            size = 6  # PROJECTVERSION: "Reserved" 4, then 4 + 2 bytes of version
        out.append((rid, data[pos:pos + size]))
        pos += size
        if rid == 0x0010:
            break
    return out
