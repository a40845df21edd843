"""Safe file, folder and sheet names from master text (project and unit names are user input)."""
from __future__ import annotations

import hashlib
import re
import unicodedata

__all__ = ["safe_filename", "safe_sheet_name", "unique", "is_unsafe_name", "MAX_NAME_BYTES"]

# ext4/NTFS allow 255 bytes per component; leave room for a suffix, an extension and the hash.
MAX_NAME_BYTES = 120
_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}
_BAD = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]')
_SHEET_BAD = re.compile(r"[\\/:*?\[\]\x00-\x1f\x7f]")
_SPACES = re.compile(r"\s+")


def _digest(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:8]


def _trim_bytes(text: str, budget: int) -> str:
    """The longest prefix of ``text`` whose UTF-8 form fits ``budget`` bytes (never half a character)."""
    out = []
    used = 0
    for ch in text:
        n = len(ch.encode("utf-8"))
        if used + n > budget:
            break
        out.append(ch)
        used += n
    return "".join(out)


def is_unsafe_name(text: str, limit: int = 255) -> str | None:
    """Why a name would be unsafe as a path component, in Chinese, or None when it is fine.

    Flags path separators, "..", ":", control characters, Windows reserved names and text
    longer than ``limit`` characters; :func:`safe_filename` repairs all of these.
    """
    t = str(text)
    if "/" in t or "\\" in t:
        return "含有路径分隔符“/”或“\\”"
    if ".." in t:
        return "含有“..”"
    if ":" in t:
        return "含有冒号“:”"
    if any(unicodedata.category(ch) == "Cc" for ch in t):
        return "含有控制字符"
    if len(t) > limit:
        return f"长度为{len(t)}个字符，超过{limit}"
    if t.strip().split(".")[0].upper() in _RESERVED:
        return "是 Windows 保留名称"
    return None


def safe_filename(text: object, *, max_bytes: int = MAX_NAME_BYTES, fallback: str = "未命名") -> str:
    """A file or folder name that is safe on Linux, macOS and Windows.

    Strips path separators, "..", ":", the other characters Windows forbids, control
    characters and trailing dots and spaces; avoids Windows reserved names; trims to
    ``max_bytes`` of UTF-8 without splitting a character, adding a deterministic hash of the
    original text when it had to cut, so two long names that share a prefix stay apart.

    Args:
        text: the name as written in the master (any value; None gives ``fallback``).
        max_bytes: the UTF-8 byte budget of the result.
        fallback: used when nothing printable remains.

    Returns:
        The sanitised name (never empty, never "." or "..").
    """
    raw = "" if text is None else str(text)
    t = unicodedata.normalize("NFC", raw)
    t = _BAD.sub("_", t)
    t = t.replace("..", "_")
    t = _SPACES.sub(" ", t).strip().strip(".").strip()
    if not t:
        t = fallback
    if t.split(".")[0].upper() in _RESERVED:
        t = "_" + t
    if len(t.encode("utf-8")) > max_bytes:
        suffix = "~" + _digest(raw)
        t = _trim_bytes(t, max_bytes - len(suffix)).rstrip(". ") + suffix
    return t


def safe_sheet_name(text: object, *, fallback: str = "Sheet") -> str:
    """A worksheet name Excel accepts: at most 31 characters, none of ``\\ / : * ? [ ]``,
    not starting or ending with an apostrophe."""
    raw = "" if text is None else str(text)
    t = _SHEET_BAD.sub("_", raw).strip().strip("'").strip()
    if not t or t.lower() == "history":
        t = fallback
    if len(t) > 31:
        suffix = "~" + _digest(raw)[:4]
        t = t[:31 - len(suffix)] + suffix
    return t


def unique(name: str, taken: set[str], *, limit: int | None = None, key=str.lower) -> str:
    """``name``, or ``name~2``, ``name~3``… when already taken (compared with ``key``); records it.

    Args:
        name: the candidate.
        taken: names already used (keys per ``key``); updated in place.
        limit: maximum length in characters (31 for sheet names), trimming before the suffix.
        key: how names compare (case-insensitive by default, as on Windows and in Excel).
    """
    candidate = name
    i = 1
    while key(candidate) in taken:
        i += 1
        suffix = f"~{i}"
        base = name if limit is None else name[: limit - len(suffix)]
        candidate = base + suffix
    taken.add(key(candidate))
    return candidate
