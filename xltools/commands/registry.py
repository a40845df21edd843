"""Every command the ribbon and the CLI share, keyed by the ribbon control id."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from ..core.codes import REGISTRY
from ..core.findings import Severity
from ..settings import DEFAULT, Settings
from .base import Book, CommandResult


@dataclass(frozen=True)
class Command:
    """A ribbon button and the CLI step behind it."""

    id: str
    label_zh: str
    run: Callable[..., CommandResult]
    tip_zh: str = ""


def _summary(findings) -> str:
    n = {s: sum(1 for f in findings if f.severity is s) for s in Severity}
    if not findings:
        return "校验完成：未发现问题"
    return (f"校验完成：{n[Severity.ERROR]} 个错误，{n[Severity.WARNING]} 个警告，"
            f"{n[Severity.INFO]} 个提示（详见“校验结果”工作表）")


def validate_sheets(book: Book, sheets: list[str], settings: Settings = DEFAULT,
                    enabled: set[str] | None = None, *, mark: bool = True) -> CommandResult:
    """Check the forms on ``sheets``; mark the findings in the book (highlights, comments, 校验结果)."""
    from ..engine import validate_grid
    findings, forms = [], []
    for i, sheet in enumerate(sheets, 1):
        book.progress(i - 1, len(sheets), f"正在校验：{sheet}")
        reports = validate_grid(book.grid(sheet), settings, enabled, only_sheet_with_forms=len(sheets) > 1)
        forms.extend(reports)
        findings.extend(f for r in reports for f in r.findings)
    book.progress(len(sheets), len(sheets), "校验完成")
    if mark:
        book.clear_marks()
        book.mark(findings)
    errors = any(f.severity is Severity.ERROR for f in findings)
    return CommandResult(_summary(findings), findings=findings, exit_code=1 if errors else 0,
                         data={"forms": forms})


def validate_sheet(book: Book, settings: Settings = DEFAULT, enabled: set[str] | None = None, **_) -> CommandResult:
    """校验当前表: the active sheet."""
    return validate_sheets(book, [book.active_sheet()], settings, enabled)


def validate_book(book: Book, settings: Settings = DEFAULT, enabled: set[str] | None = None, **_) -> CommandResult:
    """校验工作簿: every sheet but our own 校验结果."""
    from ..engine import is_report_sheet
    return validate_sheets(book, [s for s in book.sheet_names() if not is_report_sheet(s)], settings, enabled)


def fill(book: Book, settings: Settings = DEFAULT, *, overwrite: bool = False, formulas: bool = False,
         sheets: list[str] | None = None, **_) -> CommandResult:
    """计算执行率与得分: write computed rates, totals and scores into blank (or, with overwrite, wrong) cells."""
    from ..core.fill import plan_fill
    from ..core.locate import locate_forms
    edits = []
    names = sheets or book.sheet_names()
    for i, sheet in enumerate(names, 1):
        book.progress(i - 1, len(names), f"正在计算：{sheet}")
        for form in locate_forms(book.grid(sheet)):
            edits.extend(plan_fill(form, settings, overwrite=overwrite, formulas=formulas))
    book.apply(edits)
    book.progress(len(names), len(names), "计算完成")
    msg = f"已写入 {len(edits)} 个单元格（执行率、合计、得分、总分、等级）" if edits else "没有需要填写的单元格"
    return CommandResult(msg, edits=edits)


def clear_marks(book: Book, settings: Settings = DEFAULT, **_) -> CommandResult:
    """清除标记: remove highlights, xltools comments and the 校验结果 sheet."""
    book.clear_marks()
    return CommandResult("已清除 xltools 的标记、批注和“校验结果”工作表")


def build_templates(book: Book, settings: Settings = DEFAULT, *, outdir=None, **opts) -> CommandResult:
    """从母版生成模板: build every form from this master workbook."""
    from pathlib import Path
    from ..templating.builder import build_all
    source = Path(book.source_path())
    outdir = Path(outdir) if outdir else source.with_name(source.stem + "-生成表")
    result = build_all(source, outdir, **opts)
    return CommandResult(result.message, findings=list(getattr(result, "findings", [])),
                         exit_code=getattr(result, "exit_code", 0), data={"result": result})


def rollover(book: Book, settings: Settings = DEFAULT, *, to: str = "selfeval", out=None, **_) -> CommandResult:
    """年度结转: turn this target form into its self-evaluation form, or into next year's target form."""
    from pathlib import Path
    from ..templating.rollover import rollover as rollover_form
    source = Path(book.source_path())
    suffix = "-自评" if to == "selfeval" else "-下年度"
    out = Path(out) if out else source.with_name(source.stem + suffix + ".xlsx")
    written = rollover_form(source, to, output=out)
    kind = "自评表" if to == "selfeval" else "下一年度目标表"
    return CommandResult(f"已生成{kind}：{written}", data={"output": str(written)})


HELP_ZH = """xltools 绩效工具 — 使用说明
· 校验当前表 / 校验工作簿：检查指标体系、指标值写法、单位、方向、执行率与得分，问题单元格标色并加批注，汇总在“校验结果”工作表。
· 计算执行率与得分：在空白单元格中写入执行率、合计、执行率得分、指标得分、总分和等级。
· 清除标记：去掉 xltools 加的颜色、批注和“校验结果”工作表。
· 从母版生成模板：按母版工作簿为每个单位和项目生成标准表。
· 年度结转：把目标表转成自评表，或转成下一年度的目标表。
共 {n} 个检查代码，命令行 `xltools codes` 可列出全部。"""


def show_help(book: Book | None = None, settings: Settings = DEFAULT, **_) -> CommandResult:
    """帮助."""
    text = HELP_ZH.format(n=len(REGISTRY))
    if book is not None:
        book.notify(text)
    return CommandResult(text)


COMMANDS: dict[str, Command] = {c.id: c for c in (
    Command("validate_sheet", "校验当前表", validate_sheet, "检查当前工作表上的绩效表"),
    Command("validate_book", "校验工作簿", validate_book, "检查工作簿中所有工作表"),
    Command("fill", "计算执行率与得分", fill, "写入执行率、合计、得分、总分和等级"),
    Command("clear_marks", "清除标记", clear_marks, "清除 xltools 的标色、批注和校验结果表"),
    Command("build_templates", "从母版生成模板", build_templates, "按母版生成每个单位和项目的标准表"),
    Command("rollover", "年度结转", rollover, "目标表转自评表或下一年度目标表"),
    Command("help", "帮助", show_help, "使用说明"),
)}


def run_command(command_id: str, book: Book, settings: Settings = DEFAULT, **opts) -> CommandResult:
    """Run one registered command by id (what the ribbon's single VBA callback ends up calling)."""
    try:
        command = COMMANDS[command_id]
    except KeyError:
        raise KeyError(f"unknown command id {command_id!r}; known: {', '.join(COMMANDS)}") from None
    return command.run(book, settings, **opts)
