"""Click commands ``build`` and ``rollover``, and ``build_all`` for ``xltools demo``.

Exit codes: 0 clean, 1 error findings, 2 usage, 3 could not run. Findings go to stderr as
text (or to stdout as JSON with ``--format json``); the summary line goes to stdout.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from ..core.findings import Finding
from .builder import KINDS, BuildResult, build_all as _build_all

__all__ = ["build", "rollover", "build_all"]


def build_all(master: Path, outdir: Path, **opts) -> BuildResult:
    """Build every form of ``master`` into ``outdir`` (see :func:`xltools.templating.builder.build_all`)."""
    return _build_all(Path(master), Path(outdir), **opts)


def _report(master: Path, result: BuildResult) -> dict:
    counts = {"errors": 0, "warnings": 0, "infos": 0}
    for f in result.findings:
        counts[{"error": "errors", "warning": "warnings", "info": "infos"}[f.severity.value]] += 1
    return {"version": 1,
            "files": [{"path": str(master), "error": result.message if result.exit_code == 3 else None,
                       "forms": [{"sheet": "*", "kind": "master", "framework": "unknown",
                                  "findings": [f.to_dict() for f in result.findings]}]}],
            "summary": {"files": 1, "forms": 1, **counts},
            "build": {"outdir": str(result.outdir), "written": result.written,
                      "files": [str(p) for p in result.files], "exit_code": result.exit_code,
                      "message": result.message, "seconds": round(result.seconds, 3)}}


def _print_findings(findings: list[Finding], limit: int = 200) -> None:
    order = {"error": 0, "warning": 1, "info": 2}
    shown = sorted(findings, key=lambda f: (order[f.severity.value], f.sheet, f.row, f.cell))
    for f in shown[:limit]:
        click.echo(f"{f.sheet}!{f.cell} {f.severity.label_zh} {f.code}: {f.message}", err=True)
    if len(shown) > limit:
        click.echo(f"……另有 {len(shown) - limit} 条未显示（用 --format json 查看全部）", err=True)


@click.command("build")
@click.argument("master", type=click.Path(dir_okay=False, path_type=Path))
@click.option("-o", "--output", "outdir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Output folder (a tidy tree: one folder per unit).")
@click.option("--template", type=click.Path(exists=True, path_type=Path),
              help="A template .xlsx (with --kind) or a folder of <kind>.xlsx; the standard templates otherwise.")
@click.option("--kind", "kinds", multiple=True, type=click.Choice(KINDS),
              help="Which forms to build (repeatable; default all four).")
@click.option("--year", type=int, help="Budget year (overrides the 设置 sheet).")
@click.option("--jobs", "-j", type=click.IntRange(1, 64), default=1, show_default=True, help="Worker processes.")
@click.option("--one-workbook", is_flag=True, help="One workbook per kind with a sheet per form.")
@click.option("--force", is_flag=True, help="Build even when the master has error findings.")
@click.option("--password", help="Sheet-protection password (default: none, or 设置 保护密码).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="How to report findings.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
def build(master: Path, outdir: Path, template: Path | None, kinds: tuple[str, ...], year: int | None, jobs: int,
          one_workbook: bool, force: bool, password: str | None, fmt: str, quiet: bool) -> None:
    """Build the standard forms from a master workbook (主表).

    The master is checked first; on error findings nothing is written (use --force).
    Forms are built in a temporary folder and moved into place, so a failed build leaves
    nothing half-written. The same master always gives byte-identical files.
    """
    bar = {"bar": None}

    def on_plan(n: int) -> None:
        if not quiet and fmt == "text":
            bar["bar"] = click.progressbar(length=n, label="生成表单", file=sys.stderr, show_pos=True)
            bar["bar"].__enter__()

    def progress(n: int) -> None:
        if bar["bar"] is not None:
            bar["bar"].update(n)
    try:
        result = build_all(master, outdir, template=template, kinds=kinds or None, year=year, jobs=jobs,
                           one_workbook=one_workbook, force=force, password=password, progress=progress,
                           on_plan=on_plan)
    finally:
        if bar["bar"] is not None:
            bar["bar"].__exit__(None, None, None)
    if fmt == "json":
        click.echo(json.dumps(_report(master, result), ensure_ascii=False, indent=1))
    else:
        _print_findings(result.findings)
        if result.exit_code == 3:
            click.echo(f"错误：{result.message}", err=True)
        else:
            click.echo(f"{result.message}：{result.outdir}" if result.written else result.message)
    sys.exit(result.exit_code)


@click.command("rollover")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--to", "target", required=True, type=click.Choice(["selfeval", "next-year"]),
              help="selfeval: the self-evaluation form of this target form; next-year: next year's target form.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Output file (default: beside FILE, named by the new form).")
@click.option("--template", type=click.Path(exists=True, path_type=Path),
              help="Template of the new form (default: the standard one).")
@click.option("--password", help="Sheet-protection password.")
def rollover(file: Path, target: str, output: Path | None, template: Path | None, password: str | None) -> None:
    """Turn a target form into its self-evaluation form, or into next year's target form.

    Targets, units, directions and weights carry over; actuals and execution are left
    empty for the self-evaluation; next year's form has the year advanced.
    """
    from .rollover import RolloverError, rollover as do_rollover
    try:
        out = do_rollover(file, target, output=output, template=template, password=password)
    except RolloverError as exc:
        click.echo(f"错误：{exc}", err=True)
        sys.exit(3)
    click.echo(str(out))
