"""Make an N-project master for the benchmark by repeating samples/master.xlsx's projects.

Usage: python bench/make_master.py N OUT.xlsx [--units U]

Every project keeps its seed indicators, budget and plan; codes and names get a number, and
projects are spread over U units (default one unit per 50 projects).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import xlsxwriter

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from xltools.templating.master import read_master  # noqa: E402

SAMPLE = ROOT / "samples" / "master.xlsx"


def make_master(n: int, out: Path, units: int | None = None, sample: Path = SAMPLE) -> Path:
    """Write a master with ``n`` projects (and their indicators and funds) to ``out``."""
    m = read_master(sample)
    pt, it, ft = m.table("projects"), m.table("indicators"), m.table("funds")
    projects = pt.rows
    inds = m.index_by("indicators", "owner")
    funds = m.index_by("funds", "owner")
    units = units or max(1, n // 50)
    wb = xlsxwriter.Workbook(str(out), {"constant_memory": True, "strings_to_numbers": False,
                                        "strings_to_formulas": False})

    def header(ws, cols):
        ws.write_row(0, 0, cols)
    s = wb.add_worksheet("设置")
    header(s, ["项目", "值"])
    for r, (k, v) in enumerate((("年度", 2022), ("指标体系", "2015"), ("权重模板", "全国"), ("反向指标计分", "比例")), 1):
        s.write_row(r, 0, [k, v])
    u = wb.add_worksheet("单位")
    header(u, ["单位编码", "单位名称", "主管部门"])
    for k in range(units):
        u.write_row(k + 1, 0, [f"U{k:05d}", f"基准测试单位{k:05d}", "基准测试主管部门"])
    p = wb.add_worksheet("项目")
    pcols = ["code", "unit", "name", "department", "executor", "period", "purpose", "goal", "achieved",
             "q1", "q2", "q3", "q4"]
    header(p, [pt.spec.column(c).header for c in pcols])
    for k in range(n):
        row = projects[k % len(projects)]
        vals = [pt.get(row, c) for c in pcols]
        vals[0], vals[1], vals[2] = f"P{k:06d}", f"U{k % units:05d}", f"{vals[2]}{k:06d}"
        for c, v in enumerate(vals):
            if v is not None:
                p.write(k + 1, c, v)
    f = wb.add_worksheet("资金")
    fcols = ["owner", "source", "initial", "budget", "execution"]
    header(f, [ft.spec.column(c).header for c in fcols])
    r = 1
    for k in range(n):
        src = norm(projects[k % len(projects)][1])
        for row in funds.get(src, []):
            vals = [ft.get(row, c) for c in fcols]
            vals[0] = f"P{k:06d}"
            f.write_row(r, 0, vals)
            r += 1
    i = wb.add_worksheet("指标")
    icols = [c.key for c in it.spec.columns]
    header(i, [it.spec.column(c).header for c in icols])
    r = 1
    for k in range(n):
        src = norm(projects[k % len(projects)][1])
        for row in inds.get(src, []):
            vals = [it.get(row, c) for c in icols]
            vals[0] = f"P{k:06d}"
            for c, v in enumerate(vals):
                if v is not None:
                    i.write(r, c, v)
            r += 1
    wb.close()
    return out


def norm(v) -> str:
    return str(int(v)) if isinstance(v, float) and v.is_integer() else str(v).strip()


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("n", type=int)
    ap.add_argument("out", type=Path)
    ap.add_argument("--units", type=int)
    a = ap.parse_args()
    print(make_master(a.n, a.out, a.units))
