"""Headless LibreOffice as the real spreadsheet engine: recalculate and convert files.

By default LibreOffice keeps the cached <v> of an xlsx formula; a fresh profile whose
registrymodifications.xcu sets OOXMLRecalcMode/ODFRecalcMode to 0 ("always") makes it
recalculate on load. soffice exits 0 even when a load failed, so outputs are checked.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

_XCU = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="ODFRecalcMode" oor:op="fuse"><value>0</value></prop></item>
</oor:items>
"""


class LibreOfficeError(RuntimeError):
    pass


def soffice_path() -> str | None:
    """The soffice executable, or None when LibreOffice is not installed."""
    for name in ("soffice", "libreoffice"):
        found = shutil.which(name)
        if found:
            return found
    for candidate in ("/usr/lib/libreoffice/program/soffice", "/opt/libreoffice/program/soffice"):
        if os.path.exists(candidate):
            return candidate
    return None


def _profile(root: Path) -> Path:
    user = root / "user"
    user.mkdir(parents=True, exist_ok=True)
    (user / "registrymodifications.xcu").write_text(_XCU, encoding="utf-8")
    return root


def convert(paths: list[Path], fmt: str, outdir: Path, *, recalc: bool = True, timeout: float = 600) -> list[Path]:
    """Convert files with one soffice process; return the output paths in input order.

    Args:
        paths: input files (any format LibreOffice opens).
        fmt: target filter, e.g. "xlsx", "pdf", "csv".
        outdir: where outputs go (created).
        recalc: recalculate every formula on load (fresh profile with the recalc settings).
    Raises:
        LibreOfficeError: soffice missing, failed, or an expected output was not written.
    """
    exe = soffice_path()
    if exe is None:
        raise LibreOfficeError("LibreOffice (soffice) is not installed: apt-get install libreoffice-calc")
    outdir = Path(outdir).resolve()
    outdir.mkdir(parents=True, exist_ok=True)
    paths = [Path(p).resolve() for p in paths]
    if not paths:
        return []
    stems = [p.stem for p in paths]
    if len(set(stems)) != len(stems):
        raise LibreOfficeError("convert(): input names must be unique (outputs share one folder)")
    with tempfile.TemporaryDirectory(prefix="xlt-lo-") as tmp:
        profile = _profile(Path(tmp) / "profile") if recalc else Path(tmp) / "profile"
        cmd = [exe, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore",
               "--nolockcheck", "--convert-to", fmt, "--outdir", str(outdir), *map(str, paths)]
        env = dict(os.environ, HOME=tmp)
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
        except subprocess.TimeoutExpired as exc:
            raise LibreOfficeError(f"soffice timed out after {timeout}s") from exc
    ext = fmt.split(":")[0]
    outs = [outdir / f"{stem}.{ext}" for stem in stems]
    missing = [str(p) for p in outs if not p.exists()]
    if missing:
        raise LibreOfficeError(f"soffice wrote no output for {missing} (exit {proc.returncode}): {proc.stderr.strip()[:500]}")
    return outs


def recalc(paths: list[Path], outdir: Path) -> list[Path]:
    """Open each workbook in LibreOffice, recalculate every formula, save as xlsx into ``outdir``."""
    return convert(paths, "xlsx", outdir, recalc=True)
