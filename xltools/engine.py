"""Validation of whole files: read, locate forms, run the rules, and build the JSON report (checks.md)."""
from __future__ import annotations

import gc
import json
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Sequence

from .core import codes
from .core.findings import Finding
from .core.form import Form
from .core.grid import Grid
from .core.locate import looks_like_form, outline_forms
from .io.errors import WorkbookError
from .io.reader import READABLE_SUFFIXES, WorkbookData, read_workbook
from .rules import read_and_check
from .settings import DEFAULT, Settings

REPORT_VERSION = 1
REPORT_SHEET = "校验结果"


@dataclass
class FormReport:
    """The findings of one located form (or of a sheet where no form could be located)."""

    sheet: str
    kind: str
    framework: str
    findings: list[Finding]
    title: str = ""
    name: str = ""
    rows: tuple[int, int] = (0, 0)
    # The located form; None for a "no form here" entry, after a process hop (a worker validated
    # the file), or when two processes read its rows in halves (each kept its own).
    form: Form | None = None

    @property
    def located(self) -> bool:
        return self.rows != (0, 0)

    def to_dict(self) -> dict:
        return {"sheet": self.sheet, "kind": self.kind, "framework": self.framework,
                "title": self.title, "name": self.name, "rows": list(self.rows),
                "findings": [f.to_dict() for f in self.findings]}


@dataclass
class FileReport:
    path: str
    error: str | None = None
    forms: list[FormReport] = field(default_factory=list)

    @property
    def findings(self) -> list[Finding]:
        return [f for form in self.forms for f in form.findings]

    def to_dict(self) -> dict:
        return {"path": self.path, "error": self.error, "forms": [f.to_dict() for f in self.forms]}


@dataclass
class Report:
    files: list[FileReport] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        counts = {"files": len(self.files), "forms": 0, "errors": 0, "warnings": 0, "infos": 0,
                  "unreadable": sum(1 for f in self.files if f.error)}
        for f in self.files:
            counts["forms"] += sum(1 for form in f.forms if form.located)
            for finding in f.findings:
                counts[{"error": "errors", "warning": "warnings", "info": "infos"}[finding.severity.value]] += 1
        return counts

    def to_dict(self) -> dict:
        return {"version": REPORT_VERSION, "files": [f.to_dict() for f in self.files], "summary": self.counts()}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=1)

    @property
    def exit_code(self) -> int:
        """0 clean, 1 error findings, 3 some file could not be read (checks.md, README)."""
        c = self.counts()
        if c["unreadable"]:
            return 3
        return 1 if c["errors"] else 0


def validate_grid(grid: Grid, settings: Settings = DEFAULT, enabled: set[str] | None = None,
                  *, only_sheet_with_forms: bool = False, jobs: int = 1) -> list[FormReport]:
    """Locate and check every form on one sheet (a large form on up to ``jobs`` cores)."""
    outlines = outline_forms(grid)
    reports: list[FormReport] = []
    for outline in outlines:
        checked = read_and_check(outline, settings, enabled, jobs=jobs)
        form = checked.form
        reports.append(FormReport(form.sheet, form.kind.value, checked.framework, checked.findings, form.title,
                                  form.name, (form.first_row, form.last_row), None if checked.halves else form))
    if not outlines and not only_sheet_with_forms and looks_like_form(grid):
        reports.append(_not_found(grid, enabled))
    return reports


def _not_found(grid: Grid, enabled: set[str] | None) -> FormReport:
    findings = []
    if enabled is None or "table-not-found" in enabled:
        r, c = grid.origin
        findings.append(codes.make("table-not-found", sheet=grid.sheet, cell=f"A{r}", row=r,
                                   what="绩效指标表或项目资金表", header="三级指标/指标值"))
    return FormReport(grid.sheet, "unknown", "unknown", findings)


def is_report_sheet(name: str) -> bool:
    """The 校验结果 sheet(s) xltools adds when it annotates: findings, not a form."""
    return name.startswith(REPORT_SHEET)


def validate_workbook(data: WorkbookData, settings: Settings = DEFAULT, enabled: set[str] | None = None,
                      jobs: int = 1) -> FileReport:
    report = FileReport(str(data.path))
    for grid in data.sheets:
        if is_report_sheet(grid.sheet):
            continue  # our own 校验结果 sheet from an earlier --annotate run
        report.forms.extend(validate_grid(grid, settings, enabled, jobs=jobs))
    if not report.forms:
        # Nothing on any sheet reads like a form: say so, naming the sheets we looked at.
        first = data.sheets[0].sheet if data.sheets else ""
        findings = []
        if enabled is None or "no-form-found" in enabled:
            names = "、".join(g.sheet for g in data.sheets) or "（无）"
            findings.append(codes.make("no-form-found", sheet=first, cell="A1", row=1, sheets=names))
        report.forms.append(FormReport(first, "unknown", "unknown", findings))
    return report


# Past this many objects made and kept during a pause (the model of a sheet of tens of thousands
# of rows), they are frozen when the collector wakes (gc_paused says why).
FREEZE_AFTER = 500_000
_froze = False  # whether the last pause froze objects, which the next one puts back


@contextmanager
def gc_paused():
    """Pause the cyclic garbage collector while a workbook's cells become objects.

    Reading builds millions of small acyclic objects; without the pause the collector rescans
    them again and again, which cost 40% of the time on a 200,000-row sheet.

    When the pause ends with that many objects still alive (a large sheet's form model, kept in
    the report), they go to the collector's permanent generation (``gc.freeze``): once awake, it
    would scan every one of them for cycles they cannot have (0.3–0.4 s on 100,000 rows), and
    reference counting frees them all the same once the report is dropped. The next pause puts
    them back (``gc.unfreeze``), so that a long-running process that validates file after file
    never keeps a frozen cycle for longer than until its next validation.
    """
    global _froze
    was_enabled = gc.isenabled()
    gc.disable()
    if was_enabled and _froze:
        gc.unfreeze()
        _froze = False
    try:
        yield
    finally:
        if was_enabled:
            if gc.get_count()[0] >= FREEZE_AFTER:
                gc.freeze()
                _froze = True
            gc.enable()


def validate_path(path: Path | str, settings: Settings = DEFAULT, enabled: set[str] | None = None,
                  jobs: int = 1) -> FileReport:
    """Validate one file; an unreadable file gives a FileReport with ``error`` set, never an exception."""
    return _validate_file(path, settings, enabled, keep_forms=True, jobs=jobs)


def _validate_file(path: Path | str, settings: Settings, enabled: set[str] | None, *, keep_forms: bool,
                   jobs: int = 1) -> FileReport:
    with gc_paused():
        try:
            data = read_workbook(path)
        except WorkbookError as exc:
            return FileReport(str(path), error=str(exc))
        report = validate_workbook(data, settings, enabled, jobs)
        # Drop the cells while the collector still sleeps: once it wakes, it scans every young
        # object alive, and a file's grid and form model are thousands of them.
        del data
        if not keep_forms:
            for form in report.forms:
                form.form = None
    return report


def collect_inputs(args: Iterable[Path | str]) -> list[Path]:
    """Expand folders into the workbooks they hold (recursively), in a stable order.

    Excel's lock files (~$name.xlsx) are skipped. Files named explicitly are kept whatever
    their suffix, so that the reader can say what is wrong with them.
    """
    out: list[Path] = []
    for arg in args:
        p = Path(arg)
        if p.is_dir():
            out.extend(sorted(q for q in p.rglob("*") if q.is_file() and q.suffix.lower() in READABLE_SUFFIXES
                              and not q.name.startswith("~$")))
        else:
            out.append(p)
    return out


# Starting worker processes costs about as much as validating a dozen ordinary forms.
POOL_MIN_FILES = 12


def _validate_detached(args) -> FileReport:
    path, settings, enabled = args
    # The form model stays in the worker; only findings travel back.
    return _validate_file(path, settings, enabled, keep_forms=False)


def validate_paths(paths: Sequence[Path], settings: Settings = DEFAULT, enabled: set[str] | None = None,
                   progress: Callable[[Path], None] | None = None, jobs: int = 1) -> Report:
    """Validate many files, in input order.

    ``jobs`` > 1 spreads files over worker processes (from ``POOL_MIN_FILES`` files on); fewer
    files are read here, each large form checked on two cores (rules.parallel).
    """
    report = Report()
    if jobs > 1 and len(paths) >= POOL_MIN_FILES:
        from concurrent.futures import ProcessPoolExecutor
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            work = ((p, settings, enabled) for p in paths)
            for path, file_report in zip(paths, pool.map(_validate_detached, work, chunksize=16)):
                report.files.append(file_report)
                if progress:
                    progress(path)
        return report
    # One pause for the whole run rather than one per file: each wake-up would rescan the form
    # models of every file kept so far (validation makes no cyclic garbage to collect).
    with gc_paused():
        for path in paths:
            report.files.append(validate_path(path, settings, enabled, jobs))
            if progress:
                progress(path)
    return report

