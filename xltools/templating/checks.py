"""Checks on the master before anything is built: its own structure, then the core rules per form.

The master's own checks (codes of family "master") catch what would break the build or
the file tree. The core rules (``xltools.rules.check_form``) then run on each project's and
unit's indicators, turned into a Form whose cells are addressed in the master, so every
finding points at the master cell to fix.
"""
from __future__ import annotations

from dataclasses import replace
from math import isfinite
from typing import Iterable

from ..core import codes
from ..core.findings import Finding
from ..core.form import Cell, Form, FormKind, FundRow, IndicatorRow, PlanRow
from ..core.numbers import to_number
from ..rules import check_form
from ..settings import Settings
from .master import Master, Table, norm_code
from .names import is_unsafe_name
from .schema import REVERSE_RULES, SOURCES, WEIGHT_TEMPLATES

__all__ = ["check_master", "check_owner", "settings_of", "MAX_NAME_CHARS", "BUDGET_CODES"]

MAX_NAME_CHARS = 200  # longer project/unit names are typing accidents and make unusable paths
BUDGET_CODES = {"execution-rate-missing", "execution-rate-mismatch", "execution-over-budget", "total-mismatch",
                "execution-score-mismatch", "subrow-scored"}
PLAN_CODES = {"plan-not-cumulative", "plan-not-complete"}
_IND_FIELDS = ("level1", "level2", "level3", "description", "period_target", "target", "unit", "nature",
               "direction", "basis", "actual", "weight", "reason")


def _f(finding_code: str, table: Table, row: tuple, column_key: str, /, **fields) -> Finding:
    """A finding at the cell of ``column_key`` in ``row``; ``fields`` fill the message (and may
    hold a field called ``key``, as master-bad-setting's does)."""
    return codes.make(finding_code, sheet=table.sheet, cell=table.cell(row, column_key), row=row[0], **fields)


def settings_of(master: Master, year: int | None = None) -> tuple[dict, list[Finding]]:
    """Resolved build settings (year, framework, weight_template, reverse_rule, password) and
    findings for values that are not allowed."""
    found: list[Finding] = []
    s = master.settings

    def bad(key: str, value: object, expected: str) -> None:
        sheet, cell, row = master.settings_cells.get(key, ("设置", "B1", 1))
        found.append(codes.make("master-bad-setting", sheet=sheet, cell=cell, row=row,
                                key=key, value="" if value is None else value, expected=expected))
    out: dict = {}
    y = year if year is not None else s.get("year")
    yn = to_number(y)
    if yn is None or not float(yn).is_integer() or not 1990 <= yn <= 2100:
        bad("年度", y, "1990–2100 之间的整数（或使用 --year）")
        out["year"] = None
    else:
        out["year"] = int(yn)
    fw = s.get("framework")
    fw = "2015" if fw is None else norm_code(fw)
    if fw not in ("2015", "2021", "auto"):
        bad("指标体系", fw, "2015 或 2021")
        fw = "2015"
    out["framework"] = fw
    wt = s.get("weight_template")
    wt_key = WEIGHT_TEMPLATES.get("全国" if wt is None else str(wt).strip())
    if wt_key is None:
        bad("权重模板", wt, "全国、四川或湖北")
        wt_key = "national"
    out["weight_template"] = wt_key
    rr = s.get("reverse_rule")
    rr_key = REVERSE_RULES.get("比例" if rr is None else str(rr).strip())
    if rr_key is None:
        bad("反向指标计分", rr, "比例或线性")
        rr_key = "ratio"
    out["reverse_rule"] = rr_key
    pw = s.get("password")
    out["password"] = None if pw is None else norm_code(pw)
    return out, found


def check_master(master: Master, *, projects: bool = True, units: bool = True) -> list[Finding]:
    """The master's own findings (family "master"), plus structural findings from reading.

    Args:
        master: the parsed master.
        projects: project forms will be built (a project without indicators is an error).
        units: unit forms will be built (a unit without indicators is an error).
    """
    found = list(master.findings)
    for sheet, cell, row, text in master.formula_texts:
        found.append(codes.make("master-formula-text", sheet=sheet, cell=cell, row=row,
                                text=text if len(text) <= 40 else text[:40] + "…"))
    ut, pt, it = master.table("units"), master.table("projects"), master.table("indicators")
    ft, tt = master.table("funds"), master.table("tasks")
    unit_codes: dict[str, tuple] = {}
    project_codes: dict[str, tuple] = {}
    for table, registry, what in ((ut, unit_codes, "单位"), (pt, project_codes, "项目")):
        if table is None or not table.rows or "code" not in table.columns:
            continue
        for row in table.rows:
            code = norm_code(table.get(row, "code"))
            if not code:
                found.append(_f("master-missing-value", table, row, "code", column=table.spec.column("code").header))
                continue
            if code in registry or (registry is project_codes and code in unit_codes):
                other = (registry.get(code) or unit_codes.get(code))[0]
                found.append(_f("master-duplicate-code", table, row, "code", what=what, ident=code, other=other))
                continue
            registry[code] = row
            for key in ("code", "name"):
                value = table.text(row, key)
                if key == "name" and not value:
                    found.append(_f("master-missing-value", table, row, key, column=table.spec.column(key).header))
                    continue
                why = is_unsafe_name(value, MAX_NAME_CHARS)
                if why:
                    found.append(_f("master-unsafe-name", table, row, key,
                                    what=what + ("编码" if key == "code" else "名称"),
                                    name=value if len(value) <= 40 else value[:40] + "…", why=why))
    if pt is not None and "unit" in pt.columns:
        for row in pt.rows:
            code = norm_code(pt.get(row, "unit"))
            if code and unit_codes and code not in unit_codes:
                found.append(_f("master-unknown-code", pt, row, "unit", ident=code, what="单位"))
    owners = {**{c: "单位" for c in unit_codes}, **{c: "项目" for c in project_codes}}
    # one pass over each table's rows (the big ones are read back from the spill file);
    # findings are kept per check so that they come out in the order of the checks
    scans = {key: _scan(table, owners) for key, table in (("units", ut), ("projects", pt), ("funds", ft),
                                                           ("tasks", tt), ("indicators", it)) if table is not None}
    for key in ("indicators", "funds"):
        found += scans.get(key, {}).get("owner", [])
    if tt is not None and "unit" in tt.columns:
        for row in tt.rows:
            code = norm_code(tt.get(row, "unit"))
            if code not in unit_codes:
                found.append(_f("master-unknown-code", tt, row, "unit", ident=code or "（空）", what="单位"))
    found += scans.get("funds", {}).get("source", [])
    for key in ("units", "projects", "funds", "tasks", "indicators"):
        for col_key, hits in scans.get(key, {}).get("numbers", {}).items():
            found += hits
    if it is not None and "owner" in it.columns:
        by_owner = master.index_by("indicators", "owner")
        found += scans["indicators"]["levels"]
        checks = ((pt, project_codes, "项目", projects), (ut, unit_codes, "单位", units))
        for table, registry, what, wanted in checks:
            if not wanted or table is None:
                continue
            for code, row in registry.items():
                if code not in by_owner:
                    found.append(_f("master-no-indicators", table, row, "name", what=what,
                                    name=table.text(row, "name") or code))
    return found


def _scan(table: Table, owners: dict[str, str]) -> dict:
    """The row-by-row findings of one table, by check: unknown or missing owner codes (指标,
    资金), unknown fund sources, non-numeric amounts (per column), missing 一/二/三级."""
    owner = table.spec.key in ("indicators", "funds") and "owner" in table.columns
    source = table.spec.key == "funds" and "source" in table.columns
    levels = [k for k in ("level1", "level2", "level3") if table.spec.key == "indicators" and k in table.columns]
    numeric = [col for col in table.spec.columns if col.kind in ("number", "percent") and col.key in table.columns]
    out: dict = {"owner": [], "source": [], "levels": [], "numbers": {col.key: [] for col in numeric}}
    if not (owner or source or levels or numeric):
        return out
    ix = table.index
    owner_i = ix["owner"] if owner else 0
    numbers = [(col, ix[col.key], out["numbers"][col.key]) for col in numeric]
    level_i = [(k, ix[k]) for k in levels]
    for row in table.rows:
        if owner:
            code = norm_code(row[owner_i])
            if not code:
                out["owner"].append(_f("master-missing-value", table, row, "owner",
                                       column=table.spec.column("owner").header))
            elif code not in owners:
                out["owner"].append(_f("master-unknown-code", table, row, "owner", ident=code, what="项目或单位"))
        if source:
            src = table.text(row, "source")
            if src and src.replace(" ", "") not in SOURCES:
                out["source"].append(_f("master-bad-value", table, row, "source",
                                        column=table.spec.column("source").header, value=src,
                                        expected="、".join(("当年财政拨款", "上年结转资金", "其他资金"))))
        for col, i, hits in numbers:
            v = row[i]
            if v is not None and (v.__class__ is not float or not isfinite(v)) and to_number(v) is None:
                hits.append(_f("master-bad-number", table, row, col.key, column=col.header, value=v))
        for k, i in level_i:
            v = row[i]
            if v is None or (v.__class__ is str and not v.strip()):
                out["levels"].append(_f("master-missing-value", table, row, k, column=table.spec.column(k).header))
    return out


def owner_form(master: Master, code: str, unit: bool, name: str, plan_row: tuple | None = None) -> tuple[Form, dict]:
    """A Form over one owner's master rows (for the core rules), and {A1 cell: sheet} for
    the cells that live outside the 指标 sheet."""
    it = master.table("indicators")
    rows = master.index_by("indicators", "owner").get(code, []) if it else []
    has_actual = it is not None and "actual" in it.columns and any(it.get(r, "actual") is not None for r in rows)
    if unit:
        kind = FormKind.UNIT_SELFEVAL if has_actual else FormKind.UNIT_TARGET
    else:
        kind = FormKind.PROJECT_SELFEVAL if has_actual else FormKind.PROJECT_TARGET
    form = Form(sheet=it.sheet if it else "指标", kind=kind, first_row=rows[0][0] if rows else 1,
                last_row=rows[-1][0] if rows else 1, title=kind.title_zh, name=name)
    fields = [f for f in _IND_FIELDS if it is not None and f in it.columns and (has_actual or f != "actual")]
    form.columns = {f: it.columns[f] for f in fields} if it else {}
    form.header_labels = {f: it.spec.column(f).header for f in fields} if it else {}
    form.header_row = max(1, (rows[0][0] - 1) if rows else 1)
    slots = [(f, it.index[f], it.columns[f]) for f in fields] if it else []
    append = form.indicators.append
    for r in rows:
        r0 = r[0]
        append(IndicatorRow(r0, {f: Cell(r[i], r0, c) for f, i, c in slots}))
    elsewhere: dict[str, str] = {}
    ft = master.table("funds")
    if ft is not None and {"initial", "budget", "execution"} & set(ft.columns):
        for r in master.index_by("funds", "owner").get(code, []):
            label = Cell(ft.get(r, "source"), r[0], ft.columns.get("source", 1))
            cells = {}
            for key, fld in (("initial", "initial_budget"), ("budget", "annual_budget"), ("execution", "execution")):
                if key in ft.columns:
                    cells[fld] = Cell(ft.get(r, key), r[0], ft.columns[key])
                    elsewhere[cells[fld].address] = ft.sheet
            form.funds.append(FundRow(r[0], label, False, cells))
            elsewhere[label.address] = ft.sheet
    pt = master.table("projects")
    if plan_row is not None and pt is not None:
        quarters = [(lbl, Cell(pt.get(plan_row, q), plan_row[0], pt.columns[q]))
                    for q, lbl in (("q1", "3月底"), ("q2", "6月底"), ("q3", "10月底"), ("q4", "12月底"))
                    if q in pt.columns]
        if quarters and any(c.value is not None for _, c in quarters):
            form.plan = PlanRow(plan_row[0], quarters)
            for _, c in quarters:
                elsewhere[c.address] = pt.sheet
    return form, elsewhere


def check_owner(master: Master, code: str, unit: bool, name: str, settings: Settings,
                plan_row: tuple | None = None) -> list[Finding]:
    """The core rules' findings for one project or unit, pointing at master cells."""
    form, elsewhere = owner_form(master, code, unit, name, plan_row)
    if not form.indicators:
        return []
    out = []
    for f in check_form(form, settings):
        if f.code in BUDGET_CODES or f.code in PLAN_CODES:
            sheet = elsewhere.get(f.cell)
            if sheet:
                f = replace(f, sheet=sheet)
        out.append(f)
    return out


def errors(findings: Iterable[Finding]) -> list[Finding]:
    return [f for f in findings if f.severity.value == "error"]
