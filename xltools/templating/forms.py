"""From master rows to the values of one form (FormData): fields, indicators, tasks, funds.

This is where master text becomes cell values: targets stay text, actuals of quantitative
indicators become numbers on the target's scale, blank 指标方向/指标性质 are derived from the
target's notation, and blank 分值 are shared out by the weight template.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..core.notation import ValueKind, parse_value
from ..core.numbers import excel_round, to_number
from ..core.scoring import compare_values
from ..settings import WEIGHT_TEMPLATES
from .engine import FormData
from .formulas import direction_word, normalise_direction
from .master import Master, norm_code
from .schema import SOURCES

__all__ = ["Owner", "owners", "form_data", "distribute_weights", "cell_actual", "KIND_TITLES"]

KIND_TITLES = {
    "project-target": "项目支出绩效目标表",
    "unit-target": "部门整体支出绩效目标表",
    "project-selfeval": "项目支出绩效自评表",
    "unit-selfeval": "部门整体支出绩效自评表",
}


@dataclass(frozen=True, slots=True)
class Owner:
    """A project or a unit a form is built for."""

    unit: bool
    code: str
    name: str
    unit_code: str
    row: tuple  # its master row


def owners(master: Master, unit: bool) -> list[Owner]:
    """Projects (or units) in master order, first occurrence of each code."""
    t = master.table("units" if unit else "projects")
    if t is None or "code" not in t.columns:
        return []
    seen: set[str] = set()
    out = []
    for row in t.rows:
        code = norm_code(t.get(row, "code"))
        if not code or code in seen:
            continue
        seen.add(code)
        unit_code = code if unit else norm_code(t.get(row, "unit"))
        out.append(Owner(unit, code, t.text(row, "name"), unit_code, row))
    return out


def _text(v: object) -> str | None:
    if v.__class__ is str:
        return v.strip() or None
    if v is None:
        return None
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v).strip() or None


def _number(v: object) -> float | None:
    n = to_number(v)
    return n


def _percent(v: object) -> float | None:
    """A 资金支出计划 cell as a fraction: 25, "25%" and 0.25 all give 0.25."""
    if v is None:
        return None
    typed = isinstance(v, str) and "%" in v
    n = to_number(v)
    if n is None:
        return None
    return n if typed or n <= 1.0 else n / 100.0


def cell_actual(target: str | None, actual: object) -> object:
    """What to write in the 实际完成值 cell: a number on the target's scale when the actual is a
    comparable quantity ("96%" against "≥95%" → 96; "1.2亿元" against "≥1亿元" → 1.2), else the text.

    Percent actuals at or below 1.5 % are written as fractions (0.0078 for 0.78%), because a
    number that small in a cell is read as a fraction of 100% (a cell formatted as percent).
    """
    if actual is None or (isinstance(actual, str) and not actual.strip()):
        return None
    if isinstance(actual, (int, float)) and not isinstance(actual, bool):
        return actual
    text = str(actual).strip()
    if not target:
        return text
    cmp = compare_values(target, text)
    if cmp.sense in ("positive", "reverse", "equal") and cmp.b is not None:
        b = cmp.b
        pt = parse_value(target)
        if pt.unit == "%" and abs(b) <= 1.5:
            return b / 100.0
        return int(b) if float(b).is_integer() and abs(b) < 1e15 else b
    return text


def distribute_weights(level1s: list[str], template: str = "national", execution: float | None = None) -> list[float]:
    """分值 for indicators with none: the template's 一级 split, shared equally within each 一级.

    Args:
        level1s: the 一级 of each indicator, in order.
        template: a Settings weight template ("national", "sichuan", "hubei").
        execution: the execution-rate weight (the template's when None).

    Returns:
        One weight per indicator, 2 decimals, summing to total − execution exactly.
    """
    tpl = WEIGHT_TEMPLATES.get(template, WEIGHT_TEMPLATES["national"])
    budget = tpl["total"] - (tpl["execution"] if execution is None else execution)
    groups: dict[str, list[int]] = {}
    for i, l1 in enumerate(level1s):
        groups.setdefault(l1 or "", []).append(i)
    shares = tpl.get("level1") or {}
    known = [shares[k] for k in groups if k in shares]
    default = sum(known) / len(known) if known else 1.0
    raw = {k: shares.get(k, default) for k in groups}
    scale = budget / sum(raw.values()) if raw else 0.0
    out = [0.0] * len(level1s)
    allotted = 0.0
    keys = list(groups)
    for gi, k in enumerate(keys):
        idx = groups[k]
        group_total = excel_round(raw[k] * scale, 2) if gi < len(keys) - 1 else excel_round(budget - allotted, 2)
        allotted += group_total
        each = excel_round(group_total / len(idx), 2)
        for j, i in enumerate(idx):
            out[i] = each if j < len(idx) - 1 else excel_round(group_total - each * (len(idx) - 1), 2)
    return out


def form_data(master: Master, owner: Owner, kind: str, settings: dict, *, has_carryover_row: bool = True,
              sheet_name: str | None = None) -> FormData:
    """The FormData of ``kind`` for ``owner``.

    Args:
        master: the parsed master.
        owner: the project or unit.
        kind: one of KIND_TITLES.
        settings: resolved build settings (see checks.settings_of).
        has_carryover_row: the template has a 上年结转资金 row; when not, carry-over money
            is shown within 财政拨款.
        sheet_name: the sheet name in one-workbook mode.
    """
    fields: dict[str, object] = {"year": settings.get("year"), "title": KIND_TITLES[kind],
                                 "framework": settings.get("framework")}
    ut = master.table("units")
    unit_row = next(iter(master.index_by("units", "code").get(owner.unit_code, [])), None)
    if ut is not None and unit_row is not None:
        for key in ("code", "name", "department", "duty", "goal", "achieved"):
            fields[f"unit.{key}"] = _text(ut.get(unit_row, key))
        for key in ("basic_spending", "project_spending"):
            fields[f"unit.{key}"] = _number(ut.get(unit_row, key))
    if not owner.unit:
        pt = master.table("projects")
        for key in ("code", "name", "department", "executor", "period", "purpose", "goal", "achieved"):
            fields[f"project.{key}"] = _text(pt.get(owner.row, key))
        if not fields.get("project.department"):
            fields["project.department"] = fields.get("unit.department") or fields.get("unit.name")
        if not fields.get("project.executor"):
            fields["project.executor"] = fields.get("unit.name")
        for q in ("q1", "q2", "q3", "q4"):
            fields[f"plan.{q}"] = _percent(pt.get(owner.row, q))
    _funds(master, owner, fields, has_carryover_row)
    tpl = WEIGHT_TEMPLATES.get(settings.get("weight_template") or "national", WEIGHT_TEMPLATES["national"])
    fields["fund.total.weight"] = tpl["execution"]
    items = {"ind": _indicators(master, owner, settings, tpl["execution"])}
    if owner.unit:
        items["task"] = _tasks(master, owner)
    kinds = [parse_value(i.get("target")).kind for i in items["ind"]]
    return FormData(fields, items, sheet_name=sheet_name, target_kinds=kinds)


def _funds(master: Master, owner: Owner, fields: dict, has_carryover_row: bool) -> None:
    ft = master.table("funds")
    sums: dict[tuple[str, str], float] = {}
    if ft is not None:
        for r in master.index_by("funds", "owner").get(owner.code, []):
            key = SOURCES.get(ft.text(r, "source").replace(" ", ""))
            if key is None:
                continue
            if key == "carryover" and not has_carryover_row:
                key = "fiscal"
            for col in ("initial", "budget", "execution"):
                if col in ft.columns:
                    v = _number(ft.get(r, col))
                    if v is not None:
                        sums[(key, col)] = sums.get((key, col), 0.0) + v
    for (key, col), v in sums.items():
        fields[f"fund.{key}.{col}"] = excel_round(v, 6)

    def initial(key: str) -> float | None:
        v = sums.get((key, "initial"))
        return v if v is not None else sums.get((key, "budget"))
    fiscal = [x for x in (initial("fiscal"), initial("carryover") if has_carryover_row else None) if x is not None]
    fields["budget.fiscal"] = excel_round(sum(fiscal), 6) if fiscal else None
    fields["budget.other"] = initial("other")
    if owner.unit:
        fields["unit.income_fiscal"] = fields["budget.fiscal"]
        fields["unit.income_other"] = fields["budget.other"]


def _indicators(master: Master, owner: Owner, settings: dict, execution_weight: float) -> list[dict]:
    it = master.table("indicators")
    if it is None:
        return []
    rows = master.index_by("indicators", "owner").get(owner.code, [])
    ix = it.index
    text_keys = [(k, ix[k]) for k in ("level1", "level2", "level3", "description", "period_target")]
    i_target, i_unit, i_nature, i_direction = ix["target"], ix["unit"], ix["nature"], ix["direction"]
    i_basis, i_weight, i_actual, i_reason, i_manual = ix["basis"], ix["weight"], ix["actual"], ix["reason"], \
        ix["manual_score"]
    items = []
    for n, r in enumerate(rows, start=1):
        target = _text(r[i_target])
        pt = parse_value(target)
        quantitative = pt.kind is ValueKind.QUANTITY and pt.number is not None
        written = _text(r[i_direction])
        # a recognised word is written as the dropdown spells it; an unknown one is kept for the checks
        direction = (normalise_direction(written) or written) if written else \
            direction_word(pt.direction if quantitative else None)
        item = {"seq": n}
        for k, i in text_keys:
            item[k] = _text(r[i])
        item.update({
            "target": target,
            "unit": _text(r[i_unit]) or (pt.unit if quantitative else None),
            "nature": _text(r[i_nature]) or ("定量" if quantitative else "定性"),
            "direction": direction, "basis": _text(r[i_basis]),
            "weight": _number(r[i_weight]), "actual": _actual_cell(target, r[i_actual]),
            "reason": _text(r[i_reason]), "manual_score": _number(r[i_manual]),
            "target_number": pt.number if quantitative else None,
            "target_unit": pt.unit if quantitative else None,
            "target_sense": direction_word(pt.direction) if quantitative else None,
        })
        items.append(item)
    if items and all(i["weight"] is None for i in items):
        for i, w in zip(items, distribute_weights([i["level1"] or "" for i in items],
                                                  settings.get("weight_template") or "national", execution_weight)):
            i["weight"] = w
    return items


# cell_actual by (target, actual): the same target/actual pairs recur across a master's forms.
_ACTUALS: dict[tuple, object] = {}
_ACTUALS_LIMIT = 20_000


def _actual_cell(target: str | None, actual: object) -> object:
    key = (target, actual.__class__, actual)
    hit = _ACTUALS.get(key, _ACTUALS)
    if hit is _ACTUALS:
        hit = cell_actual(target, actual)
        if len(_ACTUALS) >= _ACTUALS_LIMIT:
            _ACTUALS.clear()
        _ACTUALS[key] = hit
    return hit


def _tasks(master: Master, owner: Owner) -> list[dict]:
    tt = master.table("tasks")
    if tt is None:
        return []
    out = []
    for n, r in enumerate(master.index_by("tasks", "unit").get(owner.code, []), start=1):
        out.append({"seq": n, "name": _text(tt.get(r, "name")), "content": _text(tt.get(r, "content")),
                    "funds": _number(tt.get(r, "funds")), "goal": _text(tt.get(r, "goal")),
                    "result": _text(tt.get(r, "result"))})
    return out
