"""``xltools addin``: build the Excel add-in anywhere; install, remove and check it on Windows/macOS.

Exit codes follow the CLI's table: 0 ok, 1 problems found (``status``), 2 usage, 3 could not
run (Excel not available here, a file could not be written, sources inconsistent).
"""
from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import click


def _fail(message: str, code: int = 3) -> None:
    click.echo(message, err=True)
    sys.exit(code)


def _target(startup_dir: Path | None):
    from dataclasses import replace

    from .install import ExcelUnavailable, target_for
    try:
        target = target_for()
    except ExcelUnavailable as exc:
        _fail(str(exc))
    return replace(target, startup_dir=startup_dir) if startup_dir else target


@click.group("addin")
def addin() -> None:
    """The Excel add-in (xltools.xlam): worksheet functions and the 绩效工具 ribbon tab."""


@addin.command("build")
@click.option("-o", "--out", "out", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Folder to write xltools.xlam and its xltools.xlsm twin into.")
@click.option("--macros", type=click.Path(exists=True, file_okay=False, path_type=Path), default=None,
              help="VBA and ribbon sources (default: the macros/ folder of xltools).")
def build(out: Path, macros: Path | None) -> None:
    """Build xltools.xlam from the VBA and ribbon sources (works on Linux too)."""
    from .addin import AddinBuildError, build_addin
    try:
        result = build_addin(out, macros)
    except (AddinBuildError, OSError) as exc:
        _fail(f"构建失败 / build failed: {exc}")
    for w in result.warnings:
        click.echo(f"warning: {w}", err=True)
    click.echo(str(result.xlam))
    click.echo(str(result.xlsm))
    click.echo(f"xlwings {result.xlwings_version}; modules: {', '.join(result.modules)}", err=True)


@addin.command("install")
@click.option("--addin", "addin_file", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="An xltools.xlam to install (default: build one now).")
@click.option("--startup-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Excel's add-in start-up folder, when it is not the usual one.")
def install_cmd(addin_file: Path | None, startup_dir: Path | None) -> None:
    """Install the add-in into Excel and point it at this Python (Windows, macOS)."""
    from .addin import AddinBuildError, build_addin
    from .install import InstallError, install
    target = _target(startup_dir)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            path = addin_file or build_addin(tmp).xlam
            for line in install(path, target):
                click.echo(line)
    except (AddinBuildError, InstallError, OSError) as exc:
        _fail(str(exc))


@addin.command("remove")
@click.option("--startup-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Excel's add-in start-up folder, when it is not the usual one.")
def remove_cmd(startup_dir: Path | None) -> None:
    """Remove the add-in and its settings file (Windows, macOS)."""
    from .install import InstallError, remove
    target = _target(startup_dir)
    try:
        for line in remove(target):
            click.echo(line)
    except InstallError as exc:
        _fail(str(exc))


@addin.command("status")
@click.option("--startup-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Excel's add-in start-up folder, when it is not the usual one.")
def status_cmd(startup_dir: Path | None) -> None:
    """Check the installed add-in and say in plain words what is wrong (Windows, macOS)."""
    from .install import status
    checks = status(_target(startup_dir))
    for c in checks:
        click.echo(f"{'✓' if c.ok else '✗'} {c.zh}\n  {c.en}")
        if not c.ok and c.fix:
            click.echo(f"  → {c.fix}")
    bad = sum(1 for c in checks if not c.ok)
    click.echo(f"{bad} 个问题 / {bad} problem(s)" if bad else "一切正常 / all good", err=True)
    sys.exit(1 if bad else 0)
