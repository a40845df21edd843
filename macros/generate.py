"""Regenerate the VBA modules of macros/ that are not written by hand.

    python macros/generate.py           # rewrite XltUdfs.bas, xlwings.bas and Dictionary.cls
    python macros/generate.py --check   # exit 1 and name the files that are out of date

XltUdfs.bas comes from xltools/excel/udf_specs.py; xlwings.bas and Dictionary.cls come from the
installed xlwings package, so run this after upgrading xlwings: the add-in must carry the
runtime of the xlwings version that Python will use.
"""
from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from xltools.excel.vbagen import generated_modules, stale_modules  # noqa: E402


def main(argv: list[str]) -> int:
    if "--check" in argv:
        stale = stale_modules(HERE)
        for name in stale:
            print(f"out of date: macros/{name} (run: python macros/generate.py)", file=sys.stderr)
        return 1 if stale else 0
    for name, text in generated_modules().items():
        (HERE / name).write_bytes(text.encode("cp1252"))
        print(f"wrote macros/{name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
