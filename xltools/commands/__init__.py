"""The command layer: each user-facing command written once, against the small Book interface.

The ribbon runs these on the live workbook (xltools.excel's xlwings adapter); the CLI runs them
on files (``FileBook``). Tests drive them through the file adapter.
"""
from .base import Book, CommandResult
from .registry import COMMANDS, Command, run_command

__all__ = ["Book", "CommandResult", "COMMANDS", "Command", "run_command"]
