"""Rolling a generated form over: target form → self-evaluation form, or → next year's target form.

A form built by xltools carries hidden defined names: ``_xlt_kind`` (its kind) and one
``_xlt_<collection>`` range per repeating block, which Excel keeps up to date when rows are
inserted. With them and the compiled template of its kind, every placeholder's cell can be
found again, so values typed into the form after it was built are carried over too.
"""
from __future__ import annotations

import os
import re
from pathlib import Path

from ..core.notation import ValueKind, parse_value
from ..io.package import atomic_write
from .builder import load_templates
from .compiler import CompiledTemplate
from .engine import FormData, StampOptions, stamp
from .formulas import direction_word
from .forms import KIND_TITLES, distribute_weights
from .names import safe_filename
from .placeholders import TemplateError

__all__ = ["RolloverError", "rollover", "read_form"]

_RANGE = re.compile(r"\$?([A-Z]+)\$?(\d+):\$?([A-Z]+)\$?(\d+)$")


class RolloverError(Exception):
    """The file is not a form xltools can roll over; the message says why (Chinese)."""


def _names(wb) -> dict[str, str]:
    out = {}
    for ws in wb.worksheets:
        for name, dn in getattr(ws, "defined_names", {}).items():
            out.setdefault(name, dn.attr_text)
    for name, dn in wb.defined_names.items():
        out.setdefault(name, dn.attr_text)
    return out


def read_form(path: Path) -> tuple[str, dict[str, object], dict[str, list[dict]]]:
    """(kind, fields, items) of a form built by xltools, read back through its template's layout."""
    import openpyxl
    try:
        wb = openpyxl.load_workbook(path, data_only=True)
    except Exception as exc:
        raise RolloverError(f"无法读取“{path.name}”：{exc}") from exc
    names = _names(wb)
    kind = names.get("_xlt_kind", "").strip('"')
    if kind not in KIND_TITLES:
        raise RolloverError(f"“{path.name}”不是由 xltools 生成的表单（缺少隐藏名称 _xlt_kind）")
    ct = load_templates([kind])[kind]
    ws = wb[ct.sheet_name] if ct.sheet_name in wb.sheetnames else wb.worksheets[0]
    blocks: dict[str, tuple[int, int]] = {}
    for coll, r in ct.blocks.items():
        text = names.get(f"_xlt_{coll}", "")
        m = _RANGE.search(text.split("!")[-1])
        if not m:
            raise RolloverError(f"“{path.name}”缺少重复行范围 _xlt_{coll}")
        blocks[coll] = (int(m.group(2)), int(m.group(4)))

    def out_row(r: int) -> int:
        shift = 0
        for coll, br in ct.blocks.items():
            if br < r:
                shift += blocks[coll][1] - blocks[coll][0]
        return r + shift
    fields: dict[str, object] = {}
    items: dict[str, list[dict]] = {coll: [] for coll in ct.blocks}
    cells = {(row.r, c.col): c for row in ct.rows for c in row.cells}
    for row in ct.rows:
        for c in row.cells:
            if c.kind == "text" and row.block is None:
                fields.update(_untext(c.pieces, ws.cell(out_row(row.r), c.col).value))
    for path_, (r, c) in ct.positions.items():
        head = path_.split(".", 1)[0]
        if head in ct.blocks or path_ in fields or cells[(r, c)].kind == "text":
            continue
        fields[path_] = ws.cell(out_row(r), c).value
    for coll, (first, last) in blocks.items():
        cols = {p.split(".", 1)[1]: c for p, (r, c) in ct.positions.items() if p.startswith(coll + ".")}
        carry: dict[str, object] = {}
        for row in range(first, last + 1):
            item = {f: ws.cell(row, c).value for f, c in cols.items()}
            for f in ("level1", "level2"):
                if f in item:
                    if item[f] in (None, ""):
                        item[f] = carry.get(f)
                    else:
                        carry[f] = item[f]
                        if f == "level1":
                            carry.pop("level2", None)
            if any(v not in (None, "") for f, v in item.items() if f not in ("seq", "level1_key", "score")):
                items[coll].append(item)
    return kind, fields, items


def _untext(pieces: list, value: object) -> dict[str, object]:
    """Placeholders of a mixed-text cell read back: "2022年度项目支出绩效目标表" → {"year": 2022}."""
    if not isinstance(value, str):
        return {}
    pattern = "".join(re.escape(p) if isinstance(p, str) else "(.*?)" for p in pieces)
    m = re.fullmatch(pattern, value, re.S)
    if not m:
        return {}
    out: dict[str, object] = {}
    for p, v in zip([p for p in pieces if not isinstance(p, str)], m.groups()):
        out[p.path] = int(v) if p.path == "year" and v.isdigit() else v
    return out


def _indicator(i: dict, selfeval: bool) -> dict:
    target = None if i.get("target") is None else str(i.get("target"))
    pt = parse_value(target)
    quant = pt.kind is ValueKind.QUANTITY and pt.number is not None
    out = {k: i.get(k) for k in ("level1", "level2", "level3", "description", "period_target", "unit", "nature",
                                 "direction", "basis", "weight")}
    out["target"] = target
    out["direction"] = out["direction"] or direction_word(pt.direction if quant else None)
    out["nature"] = out["nature"] or ("定量" if quant else "定性")
    out.update(target_number=pt.number if quant else None, target_unit=pt.unit if quant else None,
               target_sense=direction_word(pt.direction) if quant else None)
    if not selfeval:
        out.update(actual=i.get("actual"), reason=i.get("reason"), manual_score=i.get("manual_score"))
    return out


def rollover(path: str | Path, to: str, *, output: str | Path | None = None, template: str | Path | None = None,
             password: str | None = None) -> Path:
    """Write the rolled-over form and return its path.

    Args:
        path: a form built by xltools (values typed in since are carried over).
        to: "selfeval" (target form → its self-evaluation form; actuals and execution empty) or
            "next-year" (→ next year's target form; targets carried, year + 1).
        output: where to write (default: beside ``path``, named after the new form).
        template: the template of the new form (standard when None).
        password: sheet-protection password of the new form.

    Raises:
        RolloverError: the file is not an xltools form, or the conversion does not apply.
    """
    path = Path(path)
    kind, fields, items = read_form(path)
    family = kind.split("-")[0]
    if to == "selfeval":
        if kind.endswith("selfeval"):
            raise RolloverError("该表已经是自评表")
        new_kind = f"{family}-selfeval"
    elif to == "next-year":
        new_kind = f"{family}-target"
    else:
        raise RolloverError(f"未知的转换：{to}")
    try:
        ct: CompiledTemplate = load_templates([new_kind], Path(template) if template else None)[new_kind]
    except TemplateError as exc:
        raise RolloverError(str(exc)) from exc
    year = fields.get("year")
    data_fields = {k: v for k, v in fields.items() if not k.startswith(("fund.", "score.", "weights."))}
    selfeval = new_kind.endswith("selfeval")
    inds = [_indicator(i, selfeval) for i in items.get("ind", [])]
    if to == "next-year":
        data_fields["year"] = int(year) + 1 if isinstance(year, (int, float)) else year
        if kind.endswith("selfeval"):
            # this year's execution becomes the reference; next year's budget is the maintainer's to set
            data_fields["budget.fiscal"] = fields.get("fund.fiscal.budget")
            data_fields["budget.other"] = fields.get("fund.other.budget")
        for i in inds:
            for k in ("actual", "reason", "manual_score"):
                i.pop(k, None)
    else:
        fiscal, other = fields.get("budget.fiscal") or fields.get("unit.income_fiscal"), \
            fields.get("budget.other") or fields.get("unit.income_other")
        data_fields.update({"fund.fiscal.initial": fiscal, "fund.fiscal.budget": fiscal,
                            "fund.other.initial": other, "fund.other.budget": other})
        from ..settings import WEIGHT_TEMPLATES
        data_fields["fund.total.weight"] = WEIGHT_TEMPLATES["national"]["execution"]
        if inds and all(i.get("weight") in (None, "") for i in inds):
            for i, w in zip(inds, distribute_weights([i["level1"] or "" for i in inds])):
                i["weight"] = w
    tasks = [{k: t.get(k) for k in ("name", "content", "funds", "goal")} for t in items.get("task", [])]
    for n, t in enumerate(tasks, start=1):
        t["seq"] = n
    for n, i in enumerate(inds, start=1):
        i["seq"] = n
    data = FormData(data_fields, {"ind": inds, "task": tasks},
                    target_kinds=[parse_value(i.get("target")).kind for i in inds])
    if output is None:
        stem = safe_filename(f"{path.stem}-{'自评表' if to == 'selfeval' else data_fields.get('year')}")
        output = path.with_name(stem + ".xlsx")
    output = Path(output)
    if output.exists() and os.path.samefile(output, path):
        raise RolloverError(f"输出文件就是输入的“{path.name}”：请另给一个文件名（输入文件不会被改写）")
    try:
        atomic_write(output, stamp(ct, data, StampOptions(password=password)))
    except OSError as exc:
        raise RolloverError(f"无法写入“{output}”：{exc.strerror or exc}") from exc
    return output
