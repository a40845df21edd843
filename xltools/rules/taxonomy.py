"""Rules: taxonomy family."""
from __future__ import annotations

from typing import Iterator

from ..core.findings import Finding
from ..core.form import Form
from .context import Context

CODES: tuple[str, ...] = ()


def check(form: Form, ctx: Context) -> Iterator[Finding]:
    return iter(())
