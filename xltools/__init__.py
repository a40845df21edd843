"""xltools: check, fill and build Chinese budget-performance forms (绩效目标表 / 绩效自评表).

The public API is small; everything else is internal. ``import xltools`` never imports xlwings.
"""
from importlib.metadata import PackageNotFoundError, version as _version

from .core.findings import Finding, Severity
from .core.notation import ParsedValue, parse_value
from .settings import Settings

try:
    __version__ = _version("xltools")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+source"

__all__ = [
    "Finding", "Severity", "ParsedValue", "Settings", "parse_value",
    "validate_path", "validate_paths", "read_workbook", "locate_forms", "__version__",
]


def __getattr__(name):
    # The file-facing entry points load on first use, keeping ``import xltools`` light.
    if name in ("validate_path", "validate_paths"):
        from . import engine
        return getattr(engine, name)
    if name == "read_workbook":
        from .io.reader import read_workbook
        return read_workbook
    if name == "locate_forms":
        from .core.locate import locate_forms
        return locate_forms
    raise AttributeError(name)
