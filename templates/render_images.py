"""Render page one of each form kind to docs/img/<kind>.png (LibreOffice → PDF → pdftoppm -r 80).

Usage: python templates/render_images.py [OUTDIR]
Builds the golden picks of scripts/regen_goldens.py from samples/master.xlsx, converts them
in one soffice run, and rasterises the first page. A fontconfig file maps 宋体/黑体/楷体 to the
Noto CJK fonts so the preview looks like the forms do on Windows.
"""
from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from xltools.io.libreoffice import convert  # noqa: E402

_FONTS = """<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd"><fontconfig>
<include ignore_missing="yes">/etc/fonts/fonts.conf</include>
{aliases}
</fontconfig>"""
_SERIF = ("宋体", "SimSun", "仿宋", "FangSong", "楷体", "KaiTi", "新宋体")
_SANS = ("黑体", "SimHei", "微软雅黑", "Microsoft YaHei", "等线", "DengXian")


def fontconfig(path: Path) -> Path:
    """A fonts.conf aliasing the Windows CJK font names to Noto CJK."""
    alias = "<alias binding=\"same\"><family>{}</family><prefer><family>{}</family></prefer></alias>"
    lines = [alias.format(f, "Noto Serif CJK SC") for f in _SERIF] + [alias.format(f, "Noto Sans CJK SC") for f in _SANS]
    path.write_text(_FONTS.format(aliases="\n".join(lines)), encoding="utf-8")
    return path


def render(outdir: Path = ROOT / "docs" / "img") -> list[Path]:
    spec = importlib.util.spec_from_file_location("regen_goldens", ROOT / "scripts" / "regen_goldens.py")
    regen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(regen)
    outdir.mkdir(parents=True, exist_ok=True)
    made = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        os.environ["FONTCONFIG_FILE"] = str(fontconfig(tmp / "fonts.conf"))
        picks = regen.build_picks(tmp)
        flat = []
        for kind, path in picks.items():
            dst = tmp / f"{kind}.xlsx"
            shutil.copy(path, dst)
            flat.append(dst)
        pdfs = convert(flat, "pdf", tmp / "pdf")
        for pdf in pdfs:
            stem = outdir / pdf.stem
            subprocess.run(["pdftoppm", "-r", "80", "-png", "-f", "1", "-l", "1", "-singlefile", str(pdf), str(stem)],
                           check=True)
            made.append(stem.with_suffix(".png"))
    return made


if __name__ == "__main__":
    for p in render(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "img"):
        print(p)
