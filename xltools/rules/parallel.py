"""Checking one large form on two cores: the rule families split between this process and a fork.

The families are independent of each other: each reads the form and the shared Context and
yields findings. On a form of tens of thousands of rows, this process works out what every
family needs first (each 三级 name's facts, which rows are shifted, the framework), then forks;
the child runs one group of families on its copy-on-write view of the form and sends back its
findings, pickled through a pipe, while this process runs the other group.

Only on Linux (fork is cheap and safe there; macOS frameworks and Windows have no safe fork), and
only when asked for more than one job. Whatever goes wrong in the child, this process runs the
child's families itself, so the findings never depend on the fork.
"""
from __future__ import annotations

import os
import pickle
import sys
from typing import Callable, Iterable, Sequence

from ..core.findings import Finding
from ..core.form import Form
from .context import Context
from .layout import misaligned_field

# Below this many indicator rows the fork (a few ms, plus the pages the child touches) costs more
# than the second core saves; real forms have tens of rows, a whole department's sheet thousands.
MIN_ROWS = 20_000

Family = Callable[[Form, Context], Iterable[Finding]]


def can_fork() -> bool:
    return sys.platform.startswith("linux") and hasattr(os, "fork")


def warm(form: Form, ctx: Context) -> None:
    """Work out, once and before the fork, what several families ask of every row, so that
    neither process does it again: the framework, the facts of each 三级 name, the shifted rows."""
    _ = ctx.framework
    facts_of = ctx.name_facts
    for ind in form.indicators:
        misaligned_field(ind, facts_of)


def check_split(form: Form, ctx: Context, here: Sequence[Family], there: Sequence[Family]) -> list[Finding]:
    """The findings of ``here`` (run in this process) and ``there`` (run in a forked child).

    Returns the findings of ``there`` followed by those of ``here``, unfiltered and unsorted;
    the caller filters and sorts as it does for a serial run.
    """
    warm(form, ctx)
    read_end, write_end = os.pipe()
    try:
        pid = os.fork()
    except OSError:
        os.close(read_end)
        os.close(write_end)
        return _run(there, form, ctx) + _run(here, form, ctx)
    if pid == 0:  # the child: run its families, send the findings, leave without any cleanup
        os.close(read_end)
        status = 1
        try:
            payload = pickle.dumps(_run(there, form, ctx), protocol=pickle.HIGHEST_PROTOCOL)
            with os.fdopen(write_end, "wb") as out:
                out.write(payload)
            status = 0
        finally:
            os._exit(status)  # no atexit handlers, no flushing of the parent's buffers
    os.close(write_end)
    mine = _run(here, form, ctx)
    with os.fdopen(read_end, "rb") as pipe:
        payload = pipe.read()
    _, status = os.waitpid(pid, 0)
    theirs = None
    if status == 0:
        try:
            theirs = pickle.loads(payload)
        except Exception:
            theirs = None
    if theirs is None:
        theirs = _run(there, form, ctx)  # the child failed: its share, done here
    return theirs + mine


def _run(families: Sequence[Family], form: Form, ctx: Context) -> list[Finding]:
    out: list[Finding] = []
    for family in families:
        out.extend(family(form, ctx))
    return out
