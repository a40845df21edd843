"""The ribbon's Python side: the one VBA callback sends a button id here, which runs that command.

``run`` is what ``XltOnAction`` calls through xlwings' RunPython, on the workbook the user
is looking at. ``dispatch`` is the host-independent part — look the id up in COMMANDS, run
it, turn failures into a Chinese message — and is what the tests drive with the file adapter.
"""
from __future__ import annotations

import traceback
from dataclasses import dataclass

from ..commands import COMMANDS, Book, CommandResult, run_command
from ..settings import DEFAULT, Settings

NOTIFIED_BY_COMMAND = {"help"}  # these show their own message box


@dataclass(frozen=True)
class Outcome:
    """What a click produced: the message to show, and the result when the command ran."""

    message: str
    ok: bool
    result: CommandResult | None = None


def dispatch(control_id: str, book: Book, settings: Settings = DEFAULT) -> Outcome:
    """Run the command behind a ribbon button on ``book``; never raises.

    Args:
        control_id: the button's id in customUI14.xml, which is its COMMANDS key.
        book: the workbook (``XlwingsBook`` in Excel, ``FileBook`` in tests and the CLI).
        settings: the options the command runs with.

    Returns:
        An Outcome whose message is Chinese and ready for a message box.
    """
    if control_id not in COMMANDS:
        return Outcome(f"未知的按钮：{control_id}（已注册：{'、'.join(COMMANDS)}）", False)
    try:
        result = run_command(control_id, book, settings)
    except Exception as exc:  # noqa: BLE001 - the user gets a message box, never a Python traceback
        return Outcome(f"“{COMMANDS[control_id].label_zh}”未能完成：{exc}", False)
    return Outcome(result.message, True, result)


def run(control_id: str) -> None:  # pragma: no cover - needs Excel; see docs/excel-checklist.md
    """Entry point of the ribbon callback (RunPython): run ``control_id`` on the active workbook."""
    import xlwings as xw

    from .xlwings_book import XlwingsBook

    book = xw.Book.caller()
    live = XlwingsBook(book)
    app = book.app
    try:
        live.progress(0, 0, f"正在运行“{COMMANDS[control_id].label_zh if control_id in COMMANDS else control_id}”…")
        outcome = dispatch(control_id, live)
        if control_id not in NOTIFIED_BY_COMMAND or not outcome.ok:
            app.alert(outcome.message, title="xltools 绩效工具", mode=None if outcome.ok else "critical")
    except Exception:  # noqa: BLE001 - last resort: show what broke instead of a silent failure
        app.alert("xltools 出错：\n" + traceback.format_exc(limit=3), title="xltools 绩效工具", mode="critical")
    finally:
        app.status_bar = False
        app.screen_updating = True
