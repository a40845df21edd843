"""The command line: ``xltools validate | fill | codes | demo`` (plus build, rollover, addin).

Exit codes (one table, also in the README): 0 clean, 1 error findings, 2 usage, 3 could not run.
Data goes to stdout, diagnostics to stderr.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from .core.codes import REGISTRY, code_table_markdown, resolve_selection
from .settings import WEIGHT_TEMPLATES, Settings

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE, EXIT_FAILED = 0, 1, 2, 3
EXIT_CODES = {
    EXIT_OK: "clean: no error finding / 无错误",
    EXIT_FINDINGS: "error findings / 发现错误",
    EXIT_USAGE: "usage error / 用法错误",
    EXIT_FAILED: "could not run (a file could not be read or written) / 无法运行",
}
REPO_ROOT = Path(__file__).resolve().parents[1]


class FailedRun(click.ClickException):
    """Could not run: exit 3, one line on stderr, no traceback."""

    exit_code = EXIT_FAILED

    def show(self, file=None):
        click.echo(f"xltools: {self.format_message()}", err=True)


def settings_options(f):
    f = click.option("--template", "weight_template", type=click.Choice(sorted(WEIGHT_TEMPLATES)), default="national",
                     show_default=True, help="Weight template (national 10/50/30/10, sichuan 10+90, hubei 20+40+40).")(f)
    f = click.option("--reverse-rule", type=click.Choice(["ratio", "linear"]), default="ratio", show_default=True,
                     help="Score of a missed reverse (≤) indicator: ratio w×A/B, or linear w×(1−(B−A)/A).")(f)
    f = click.option("--framework", type=click.Choice(["auto", "2015", "2021"]), default="auto", show_default=True,
                     help="Indicator framework; auto detects it per form.")(f)
    return f


def make_settings(weight_template: str, reverse_rule: str, framework: str) -> Settings:
    return Settings(weight_template=weight_template, reverse_rule=reverse_rule, framework=framework)


def enabled_codes(select: tuple[str, ...], ignore: tuple[str, ...]) -> set[str] | None:
    try:
        chosen = resolve_selection(select, ignore)
    except ValueError as exc:
        raise click.BadParameter(f"unknown code or family {exc.args[0]!r} (see `xltools codes`)") from None
    return None if chosen == set(REGISTRY) else chosen


# Commands of the other areas, imported only when used: the template builder pulls in
# openpyxl and the add-in its packagers, which would triple the start-up time of `validate`.
LAZY_COMMANDS = {
    "build": "xltools.templating.cli:build",
    "rollover": "xltools.templating.cli:rollover",
    "addin": "xltools.excel.cli:addin",
}


class _SafeGroup(click.Group):
    """Turns any failure into a one-line message and exit 3: users never see a traceback.

    Also loads the LAZY_COMMANDS on first use.
    """

    def list_commands(self, ctx):
        return sorted(set(super().list_commands(ctx)) | set(LAZY_COMMANDS))

    def get_command(self, ctx, name):
        if name in LAZY_COMMANDS and name not in self.commands:
            import importlib
            module, attr = LAZY_COMMANDS[name].split(":")
            self.add_command(getattr(importlib.import_module(module), attr), name)
        return super().get_command(ctx, name)

    def invoke(self, ctx):
        from .io.errors import WorkbookError
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort, SystemExit):
            raise
        except WorkbookError as exc:
            raise FailedRun(str(exc)) from None
        except Exception as exc:  # the last line of defence, by design
            if os.environ.get("XLTOOLS_DEBUG"):
                raise
            raise FailedRun(f"内部错误 / internal error: {type(exc).__name__}: {exc} "
                            "(set XLTOOLS_DEBUG=1 for the traceback)") from None


@click.group(cls=_SafeGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="xltools")
def main() -> None:
    """Check, fill and build Chinese budget-performance forms (绩效目标表 / 绩效自评表).

    Exit codes: 0 clean, 1 error findings, 2 usage, 3 could not run.
    """


@main.command()
@click.argument("inputs", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True,
              help="Readable table, or the JSON report of checks.md on stdout.")
@click.option("--annotate", "annotate_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Write copies with highlighted cells, Chinese comments and a 校验结果 sheet into DIR.")
@click.option("--select", multiple=True, help="Only these codes or families (comma-separated, repeatable).")
@click.option("--ignore", multiple=True, help="Skip these codes or families (comma-separated, repeatable).")
@click.option("--progress/--no-progress", default=None, help="Progress bar on stderr (default: on for several files).")
@click.option("-j", "--jobs", type=click.IntRange(0, 64), default=0, show_default=True,
              help="Cores to use (0: all): worker processes for many files; for fewer files, a large form "
                   "is checked on two cores.")
@settings_options
def validate(inputs, fmt, annotate_dir, select, ignore, progress, jobs, weight_template, reverse_rule, framework):
    """Validate workbooks (files or folders) and report every finding."""
    from .cores import available_cores
    from .engine import collect_inputs, validate_paths
    settings = make_settings(weight_template, reverse_rule, framework)
    enabled = enabled_codes(select, ignore)
    jobs = jobs or available_cores()
    paths = collect_inputs(inputs)
    if not paths:
        raise click.UsageError("no .xlsx/.xlsm files found in the given folders")
    _refuse_annotating_inputs(annotate_dir, paths)
    show = (len(paths) > 1) if progress is None else progress
    with click.progressbar(length=len(paths), label="校验中", file=sys.stderr, show_pos=True) if show \
            else _nullbar() as bar:
        report = validate_paths(paths, settings, enabled, progress=lambda _p: bar.update(1), jobs=jobs)
    if annotate_dir is not None:
        for path, file_report in zip(paths, report.files):
            if file_report.error is None:
                _annotate_copy(path, annotate_dir, file_report.findings, report)
    if fmt == "json":
        click.echo(report.to_json())
    else:
        _print_table(report)
    sys.exit(report.exit_code)


class _nullbar:
    def update(self, n):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def _refuse_annotating_inputs(annotate_dir: Path | None, paths: list[Path]) -> None:
    if annotate_dir is None:
        return
    target = annotate_dir.resolve()
    for p in paths:
        if p.resolve().parent == target:
            raise click.UsageError(f"--annotate DIR must not be the folder of an input file ({p}); "
                                   "annotated copies would replace the inputs / 标注输出目录不能是输入文件所在目录")


def _annotate_copy(path: Path, outdir: Path, findings, report) -> None:
    from .io.errors import WorkbookError
    from .io.writer import save_copy
    outdir.mkdir(parents=True, exist_ok=True)
    try:
        save_copy(path, outdir / path.name, findings=findings)
    except WorkbookError as exc:
        # The report still stands; the copy could not be written.
        click.echo(f"xltools: {exc}", err=True)
        for f in report.files:
            if f.path == str(path) and f.error is None:
                f.error = str(exc)


def _print_table(report) -> None:
    for f in report.files:
        click.echo(click.style(f.path, bold=True))
        if f.error:
            click.echo(f"  无法读取 / unreadable: {f.error}")
            continue
        if not f.forms:
            click.echo("  未找到绩效表 / no form found")
        for form in f.forms:
            title = form.title or form.name or form.kind
            click.echo(f"  [{form.sheet}] {title} ({form.kind}, {form.framework})")
            for finding in form.findings:
                click.echo(f"    {finding.cell:>6}  {finding.severity.label_zh}  {finding.code:<26} {finding.message}")
    c = report.counts()
    click.echo(f"共 {c['files']} 个文件、{c['forms']} 张表：{c['errors']} 个错误，{c['warnings']} 个警告，"
               f"{c['infos']} 个提示" + (f"，{c['unreadable']} 个文件无法读取" if c["unreadable"] else ""))


@main.command()
@click.argument("input_path", metavar="FILE", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Where to write the filled copy (required unless --in-place).")
@click.option("--in-place", is_flag=True, help="Edit FILE itself, keeping FILE.bak.xlsx as a backup.")
@click.option("--overwrite", is_flag=True, help="Also correct cells whose printed value is wrong.")
@click.option("--formulas", is_flag=True, help="Write live Excel formulas (with correct cached values).")
@settings_options
def fill(input_path, output, in_place, overwrite, formulas, weight_template, reverse_rule, framework):
    """Write computed 执行率, totals, execution score, indicator scores, total and grade."""
    from .commands.file_book import FileBook
    from .commands.registry import fill as fill_command
    from .io.errors import WorkbookError
    if bool(output) == bool(in_place):
        raise click.UsageError("give exactly one of -o OUT or --in-place")
    if output and output.resolve() == input_path.resolve():
        raise click.UsageError("OUT is the input file; use --in-place to edit it (a backup is kept)")
    settings = make_settings(weight_template, reverse_rule, framework)
    try:
        book = FileBook(input_path)
        result = fill_command(book, settings, overwrite=overwrite, formulas=formulas)
        dst = input_path if in_place else output
        book.save(dst, backup=in_place)
    except WorkbookError as exc:
        raise FailedRun(str(exc)) from None
    for e in result.edits:
        shown = e.value if not isinstance(e.value, float) else round(e.value, 6)
        click.echo(f"{e.sheet}!{_addr(e.row, e.col)}\t{shown}\t{('=' + e.formula) if e.formula else ''}\t{e.reason}")
    click.echo(f"{result.message} → {dst}", err=True)


def _addr(row, col):
    from .core.form import address
    return address(row, col)


@main.command()
@click.option("--format", "fmt", type=click.Choice(["markdown", "json"]), default="markdown", show_default=True)
def codes(fmt):
    """Print the table of finding codes (the docs' table is generated from it)."""
    if fmt == "json":
        import json
        click.echo(json.dumps([{"code": c.code, "severity": c.severity.value, "family": c.family,
                                "meaning": c.meaning, "message_zh": c.template} for c in REGISTRY.values()],
                              ensure_ascii=False, indent=1))
    else:
        click.echo(code_table_markdown(), nl=False)


@main.command()
@click.option("-o", "--output", "outdir", type=click.Path(file_okay=False, path_type=Path), default=Path("out/demo"),
              show_default=True, help="Folder for the demo's outputs.")
@click.option("--samples", "samples_dir", type=click.Path(file_okay=False, exists=True, path_type=Path),
              default=None, help="Sample folder (default: the repository's samples/).")
def demo(outdir, samples_dir):
    """Run validate, fill and build on the bundled samples into a folder."""
    from .demo import run_demo
    samples_dir = samples_dir or REPO_ROOT / "samples"
    if not samples_dir.is_dir():
        raise FailedRun(f"samples folder not found: {samples_dir}")
    code = run_demo(samples_dir, outdir, echo=lambda m: click.echo(m, err=True))
    sys.exit(code)


def run() -> None:  # pragma: no cover - thin wrapper used by the console script
    main()


if __name__ == "__main__":  # pragma: no cover
    main()
