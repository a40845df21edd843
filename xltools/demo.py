"""The demo: validate, annotate and fill the bundled samples, and build forms from the sample master."""
from __future__ import annotations

from pathlib import Path
from typing import Callable

from .commands.file_book import FileBook
from .commands.registry import fill
from .engine import validate_path, Report
from .io.errors import WorkbookError
from .io.writer import save_copy
from .settings import DEFAULT


def run_demo(samples: Path, outdir: Path, echo: Callable[[str], None] = print) -> int:
    """Run the main job on ``samples`` into ``outdir``; return the exit code (0 when every step ran)."""
    for sub in ("annotated", "filled"):
        (outdir / sub).mkdir(parents=True, exist_ok=True)
    forms = sorted(p for p in samples.glob("*.xlsx") if not p.name.startswith(("master", "~$")))
    report = Report()
    failed = 0
    for path in forms:
        file_report = validate_path(path)
        report.files.append(file_report)
        if file_report.error:
            echo(f"无法读取 {path.name}: {file_report.error}")
            failed += 1
            continue
        try:
            save_copy(path, outdir / "annotated" / path.name, findings=file_report.findings)
            book = FileBook(path)
            result = fill(book, DEFAULT, overwrite=True)
            if result.edits:
                book.save(outdir / "filled" / path.name)
        except WorkbookError as exc:
            echo(str(exc))
            failed += 1
    (outdir / "report.json").write_text(report.to_json(), encoding="utf-8")
    c = report.counts()
    echo(f"校验 {c['files']} 个样例、{c['forms']} 张表：{c['errors']} 个错误，{c['warnings']} 个警告，{c['infos']} 个提示")
    echo(f"  报告：{outdir / 'report.json'}；标注副本：{outdir / 'annotated'}；填写副本：{outdir / 'filled'}")
    master = samples / "master.xlsx"
    if master.exists():
        from .templating.builder import build_all
        result = build_all(master, outdir / "forms")
        echo(f"  从母版生成：{result.message} → {outdir / 'forms'}")
        failed += 0 if getattr(result, "exit_code", 0) in (0,) else 1
    return 0 if not failed else 3
