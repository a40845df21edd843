"""Regenerate the golden workbooks of tests/test_build_golden.py (review the diff before committing).

Usage: python scripts/regen_goldens.py
Builds one form of each kind from samples/master.xlsx with the standard templates and writes
them to tests/golden/<kind>.xlsx.
"""
from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from xltools.templating.builder import build_all  # noqa: E402

MASTER = ROOT / "samples" / "master.xlsx"
GOLDEN = ROOT / "tests" / "golden"
# (kind, file inside the build tree)
PICKS = {
    "project-target": "414001 山海关区市场监督管理局本级/项目支出绩效目标表/13030322P00LDLE10006G 车辆保险费.xlsx",
    "project-selfeval": "414001 山海关区市场监督管理局本级/项目支出绩效自评表/13030322P00E68F10002B 食品监管注册登记及质量强市经费.xlsx",
    "unit-target": "440115 广州市南沙区市场监督管理局/部门整体支出绩效目标表.xlsx",
    "unit-selfeval": "141001 韶关市市场监督管理局/部门整体支出绩效自评表.xlsx",
}


def build_picks(outdir: Path) -> dict[str, Path]:
    """Build the golden forms into ``outdir``; return kind → built file."""
    result = build_all(MASTER, outdir / "tree", kinds=list(PICKS))
    if result.exit_code != 0:
        raise SystemExit(result.message)
    return {kind: outdir / "tree" / rel for kind, rel in PICKS.items()}


def main() -> None:
    GOLDEN.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        for kind, path in build_picks(Path(tmp)).items():
            shutil.copy(path, GOLDEN / f"{kind}.xlsx")
            print(GOLDEN / f"{kind}.xlsx")


if __name__ == "__main__":
    main()
