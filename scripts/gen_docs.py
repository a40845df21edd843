"""Regenerate the docs that come from the code: docs/codes.md (the registry) and docs/cli.md (click help).

Run `python scripts/gen_docs.py`; tests/test_docs.py fails when the committed docs drift.
"""
from __future__ import annotations

import sys
from pathlib import Path

import click

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from xltools.cli import main  # noqa: E402
from xltools.core.codes import code_table_markdown  # noqa: E402


def codes_md() -> str:
    return ("# Finding codes\n\n"
            "Generated from `xltools/core/codes.py` by `scripts/gen_docs.py`; do not edit by hand.\n"
            "Codes are stable public names (see ../shared/checks.md for the contract).\n\n"
            + code_table_markdown())


def cli_md() -> str:
    out = ["# Command-line reference\n",
           "Generated from the click commands by `scripts/gen_docs.py`; do not edit by hand.\n"]

    def walk(cmd: click.Command, path: list[str]) -> None:
        # The same help options the real CLI has (click caches the option on the command).
        ctx = click.Context(cmd, info_name=" ".join(path), terminal_width=100, help_option_names=["-h", "--help"])
        out.append(f"## `{' '.join(path)}`\n\n```text\n{cmd.get_help(ctx)}\n```\n")
        if isinstance(cmd, click.Group):
            for name in sorted(cmd.list_commands(ctx)):
                walk(cmd.get_command(ctx, name), path + [name])

    walk(main, ["xltools"])
    return "\n".join(out)


GENERATED = {"docs/codes.md": codes_md, "docs/cli.md": cli_md}

if __name__ == "__main__":
    check = "--check" in sys.argv[1:]
    stale = []
    for rel, make in GENERATED.items():
        text = make()
        if check:
            if not (ROOT / rel).exists() or (ROOT / rel).read_text(encoding="utf-8") != text:
                stale.append(rel)
        else:
            (ROOT / rel).write_text(text, encoding="utf-8")
            print("wrote", rel)
    if stale:
        print("stale (run python scripts/gen_docs.py):", ", ".join(stale))
        sys.exit(1)
