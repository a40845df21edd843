"""Building every form of a master: check, plan the file tree, stamp in parallel, move into place.

Nothing is written to the output folder unless the whole build succeeds: forms are stamped
into a temporary folder beside it and moved into place at the end. Worker processes are
forked after the master is read, so they share it without pickling.
"""
from __future__ import annotations

import gc
import multiprocessing
import os
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from ..core.findings import Finding, Severity
from ..settings import Settings
from .checks import check_master, check_owner, settings_of
from .compiler import CompiledTemplate, compile_template
from .engine import StampOptions, render_sheet, stamp
from .forms import KIND_TITLES, Owner, form_data, owners
from .master import Master, MasterError, read_master
from .names import safe_filename, safe_sheet_name, unique
from .packager import package_many
from .placeholders import TemplateError

__all__ = ["BuildResult", "build_all", "KINDS", "default_template_dir", "load_templates"]

KINDS = tuple(KIND_TITLES)
EXIT_OK, EXIT_FINDINGS, EXIT_USAGE, EXIT_CANNOT_RUN = 0, 1, 2, 3


@dataclass
class BuildResult:
    """What a build did.

    Attributes:
        outdir: the output folder.
        files: files written, relative to ``outdir``, in build order (empty when refused).
        findings: findings on the master (its own checks and the core rules).
        exit_code: 0 clean, 1 error findings (refused, or built with --force), 2 usage, 3 could not run.
        message: a Chinese one-line summary, or why the build could not run.
        seconds: wall time.
    """

    outdir: Path
    files: list[Path] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    exit_code: int = EXIT_OK
    message: str = ""
    seconds: float = 0.0
    written: bool = False

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity is Severity.ERROR]


def default_template_dir() -> Path:
    """Where the standard templates are: $XLTOOLS_TEMPLATES, xltools/data/templates, or ./templates."""
    env = os.environ.get("XLTOOLS_TEMPLATES")
    if env:
        return Path(env)
    here = Path(__file__).resolve().parent.parent
    for candidate in (here / "data" / "templates", here.parent / "templates"):
        if (candidate / "project-target.xlsx").exists():
            return candidate
    return here.parent / "templates"


def load_templates(kinds: Iterable[str], template: Path | None = None) -> dict[str, CompiledTemplate]:
    """Compile the template of each kind: ``template`` may be one .xlsx (for a single kind) or a
    folder holding ``<kind>.xlsx`` files; the standard templates fill the gaps."""
    out = {}
    kinds = list(kinds)
    for kind in kinds:
        path = None
        if template is not None:
            template = Path(template)
            if template.is_dir():
                if (template / f"{kind}.xlsx").exists():
                    path = template / f"{kind}.xlsx"
            elif len(kinds) == 1:
                path = template
            else:
                raise TemplateError("指定单个模板文件时必须用 --kind 指定表单种类")
        if path is None:
            path = default_template_dir() / f"{kind}.xlsx"
        if not path.exists():
            raise TemplateError(f"找不到模板文件：{path}")
        out[kind] = compile_template(path, kind=kind)
    return out


# Shared with forked workers (set before the pool starts; never pickled).
_JOB: dict = {}


@dataclass(frozen=True, slots=True)
class _Task:
    kind: str
    owner: int  # index into the owners list of its kind's family
    path: str  # relative output path


def _unit_dirs(master: Master) -> dict[str, str]:
    taken: set[str] = set()
    out = {}
    for o in owners(master, unit=True):
        out[o.code] = unique(safe_filename(f"{o.code} {o.name}"), taken)
    return out


def _plan(master: Master, kinds: list[str]) -> list[_Task]:
    units = owners(master, unit=True)
    projects = owners(master, unit=False)
    dirs = _unit_dirs(master)
    tasks: list[_Task] = []
    taken: dict[str, set[str]] = {}
    for kind in kinds:
        title = KIND_TITLES[kind]
        family = units if kind.startswith("unit") else projects
        for i, o in enumerate(family):
            folder = dirs.get(o.unit_code) or safe_filename(f"{o.unit_code} 未登记单位")
            if o.unit:
                rel = f"{folder}/{safe_filename(title)}.xlsx"
            else:
                sub = f"{folder}/{safe_filename(title)}"
                name = unique(safe_filename(f"{o.code} {o.name}"), taken.setdefault(sub, set()))
                rel = f"{sub}/{name}.xlsx"
            tasks.append(_Task(kind, i, rel))
    return tasks


def _check_chunk(span: tuple[int, int]) -> list[Finding]:
    master: Master = _JOB["master"]
    settings: Settings = _JOB["core_settings"]
    fam = {True: _JOB["units"], False: _JOB["projects"]}
    out = []
    for unit, i in _JOB["check_items"][span[0]:span[1]]:
        o: Owner = fam[unit][i]
        out.extend(check_owner(master, o.code, unit, o.name, settings, None if unit else o.row))
    return out


def _stamp_chunk(span: tuple[str, int, int]) -> int:
    tmp, start, stop = span  # the workers were forked before the temporary folder existed
    master: Master = _JOB["master"]
    templates, settings, opts = _JOB["templates"], _JOB["settings"], _JOB["opts"]
    carry = {k: "fund.carryover.budget" in ct.positions for k, ct in templates.items()}
    tasks = _JOB["tasks"][start:stop]
    for t in tasks:
        ct = templates[t.kind]
        fam = _JOB["units"] if t.kind.startswith("unit") else _JOB["projects"]
        data = form_data(master, fam[t.owner], t.kind, settings, has_carryover_row=carry[t.kind])
        _write(f"{tmp}/{t.path}", stamp(ct, data, opts))  # folders were made by the parent
    return len(tasks)


_OPEN_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0)


def _write(path: str, data: bytes) -> None:
    """Write a new file in one system call, without Python's buffered file object: the form
    is already whole in memory. No fsync: the build's atomicity comes from the temporary
    folder being moved into place at the end."""
    fd = os.open(path, _OPEN_FLAGS, 0o666)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
    finally:
        os.close(fd)


def _spans(n: int, size: int) -> list[tuple[int, int]]:
    return [(i, min(n, i + size)) for i in range(0, n, size)]


class _Workers:
    """Runs chunks of work in this process or in forked workers that share ``_JOB``.

    The pool is forked once, on first use, after the master is read and the forms are
    planned, so the workers see all of it without pickling; checks and stamping then
    reuse it.
    """

    def __init__(self, jobs: int):
        forkable = "fork" in multiprocessing.get_all_start_methods()
        self.jobs = jobs if forkable else 1
        self._pool = None

    def map(self, fn: Callable, spans: list[tuple], progress: Callable[[int], None] | None) -> list:
        """``fn`` of each span (whose last two items are a start and a stop index), in order."""
        results = []
        if self.jobs <= 1 or len(spans) <= 1:
            for span in spans:
                results.append(fn(span))
                if progress:
                    progress(span[-1] - span[-2])
            return results
        if self._pool is None:
            # Freeze what the parent built out of the collector: a collection in a worker would
            # otherwise write to every object header and copy the shared pages.
            gc.freeze()
            self._pool = multiprocessing.get_context("fork").Pool(self.jobs)
        for span, r in zip(spans, self._pool.imap(fn, spans)):
            results.append(r)
            if progress:
                progress(span[-1] - span[-2])
        return results

    def close(self, abort: bool = False) -> None:
        """Let the workers finish and exit; ``abort`` stops them at once (after a failure, so
        that none goes on writing into the temporary folder being removed)."""
        if self._pool is not None:
            if abort:
                self._pool.terminate()
            else:
                self._pool.close()
            self._pool.join()
            self._pool = None
            gc.unfreeze()


def build_all(master: Path, outdir: Path, *, template: Path | None = None, kinds: Iterable[str] | None = None,
              year: int | None = None, jobs: int = 1, one_workbook: bool = False, force: bool = False,
              password: str | None = None, progress: Callable[[int], None] | None = None,
              on_plan: Callable[[int], None] | None = None) -> BuildResult:
    """Check a master and build its forms into ``outdir``.

    Args:
        master: the master workbook.
        outdir: the output folder (created; existing unit folders of the same names are replaced).
        template: a template .xlsx (with one kind) or a folder of ``<kind>.xlsx``; standard ones otherwise.
        kinds: which forms to build (default all four: project/unit × target/selfeval).
        year: overrides the 设置 sheet's 年度.
        jobs: worker processes.
        one_workbook: one workbook per kind with a sheet per form, instead of one file per form.
        force: build even when the master has error findings.
        password: sheet-protection password (overrides 设置 保护密码).
        progress: called with the number of forms done since the last call.
        on_plan: called once with the number of forms to build, before building.

    Returns:
        A BuildResult; see its attributes.
    """
    t0 = time.perf_counter()
    outdir = Path(outdir)
    result = BuildResult(outdir)
    kinds = list(kinds) if kinds else list(KINDS)
    bad = [k for k in kinds if k not in KIND_TITLES]
    if bad:
        result.exit_code, result.message = EXIT_USAGE, f"未知的表单种类：{', '.join(bad)}（可选：{', '.join(KINDS)}）"
        return result
    try:
        m = read_master(master, jobs=jobs)
    except MasterError as exc:
        result.exit_code, result.message = EXIT_CANNOT_RUN, str(exc)
        return result
    try:
        templates = load_templates(kinds, template)
    except TemplateError as exc:
        result.exit_code, result.message = EXIT_CANNOT_RUN, str(exc)
        return result
    settings, found = settings_of(m, year)
    want_projects = any(k.startswith("project") for k in kinds)
    want_units = any(k.startswith("unit") for k in kinds)
    found += check_master(m, projects=want_projects, units=want_units)
    units, projects = owners(m, unit=True), owners(m, unit=False)
    core = Settings(weight_template=settings["weight_template"], reverse_rule=settings["reverse_rule"],
                    framework=settings["framework"] if settings["framework"] != "auto" else "auto")
    _JOB.clear()
    _JOB.update(master=m, templates=templates, settings=settings, core_settings=core, units=units, projects=projects,
                opts=StampOptions(password=password if password is not None else settings.get("password"),
                                  reverse_rule=settings["reverse_rule"],
                                  framework=settings["framework"] if settings["framework"] != "auto" else "2015"))
    structural = [f for f in found if f.code in ("master-sheet-missing", "master-column-missing")]
    workers = _Workers(jobs)
    try:
        if not structural:
            items = ([(True, i) for i in range(len(units))] if want_units else []) + \
                    ([(False, i) for i in range(len(projects))] if want_projects else [])
            # planned before the workers fork, so that they share the plan with the master
            tasks = _plan(m, kinds)
            _JOB.update(check_items=items, tasks=tasks)
            for chunk in workers.map(_check_chunk, _spans(len(items), 200), None):
                found.extend(chunk)
        result.findings = found
        if result.errors and not force:
            result.exit_code = EXIT_FINDINGS
            result.message = f"主表有 {len(result.errors)} 个错误，未生成任何文件（可用 --force 强制生成）"
            result.seconds = time.perf_counter() - t0
            return result
        if structural or settings["year"] is None:
            result.exit_code = EXIT_FINDINGS
            result.message = "主表结构不完整或缺少年度，无法生成表单"
            result.seconds = time.perf_counter() - t0
            return result
        if on_plan:
            on_plan(len(tasks))
        outdir.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{outdir.name}.tmp-", dir=outdir.parent))
        try:
            if one_workbook:
                files = _build_workbooks(m, kinds, templates, tmp, progress)
            else:
                for folder in sorted({t.path.rpartition("/")[0] for t in tasks}):
                    (tmp / folder).mkdir(parents=True, exist_ok=True)
                workers.map(_stamp_chunk, [(str(tmp), a, b) for a, b in _spans(len(tasks), 50)], progress)
                files = [Path(t.path) for t in tasks]
            _move_into_place(tmp, outdir)
        except BaseException:
            workers.close(abort=True)
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    except BaseException:
        workers.close(abort=True)
        raise
    finally:
        workers.close()
        _JOB.clear()
        m.close()
    result.files = files
    result.written = True
    result.exit_code = EXIT_FINDINGS if result.errors else EXIT_OK
    result.message = f"已生成 {len(files)} 个文件" + (f"（主表有 {len(result.errors)} 个错误，已按 --force 生成）"
                                                    if result.errors else "")
    result.seconds = time.perf_counter() - t0
    return result


def _build_workbooks(m: Master, kinds: list[str], templates: dict, tmp: Path, progress) -> list[Path]:
    files = []
    for kind in kinds:
        ct = templates[kind]
        fam = _JOB["units"] if kind.startswith("unit") else _JOB["projects"]
        taken: set[str] = set()
        sheets = []
        for o in fam:
            name = unique(safe_sheet_name(f"{o.code} {o.name}"), taken, limit=31)
            data = form_data(m, o, kind, _JOB["settings"], has_carryover_row="fund.carryover.budget" in ct.positions,
                             sheet_name=name)
            sheets.append(render_sheet(ct, data, _JOB["opts"], name))
            if progress:
                progress(1)
        if not sheets:
            continue
        rel = Path(f"{safe_filename(KIND_TITLES[kind])}.xlsx")
        (tmp / rel).write_bytes(package_many(ct, sheets, _JOB["opts"]))
        files.append(rel)
    return files


def _move_into_place(tmp: Path, outdir: Path) -> None:
    """Move the built tree into ``outdir``: a rename when it does not exist yet, else entry by
    entry, replacing same-named entries (old ones are removed only after the new are in place)."""
    if not outdir.exists():
        os.replace(tmp, outdir)
        return
    outdir.mkdir(parents=True, exist_ok=True)
    old: list[Path] = []
    for child in sorted(tmp.iterdir()):
        dest = outdir / child.name
        if dest.exists():
            aside = outdir / f".{child.name}.old-{os.getpid()}"
            os.replace(dest, aside)
            old.append(aside)
        os.replace(child, dest)
    for p in old:
        shutil.rmtree(p, ignore_errors=True) if p.is_dir() else p.unlink(missing_ok=True)
    tmp.rmdir()
