"""Checking one large form on two cores: the rule families split between this process and a fork.

The families are independent of each other: each reads the form and the shared Context and
yields findings. On a form of tens of thousands of rows, this process works out what both
processes need first (each 三级 name's facts, the framework), then forks; the child runs one
group of families on its copy-on-write view of the form, this process the other. A family whose
findings on a row depend on that row alone is cut into chunks of rows, and each process takes
chunks as it comes free, so the two finish at about the same time whatever the form holds. The
child sends back its findings, pickled through a pipe.

Only on Linux (fork is cheap and safe there; macOS frameworks and Windows have no safe fork), and
only when asked for more than one job. Whatever goes wrong in the child, this process runs the
child's families itself, so the findings never depend on the fork.
"""
from __future__ import annotations

import os
import pickle
import sys
from dataclasses import replace
from typing import Callable, Iterable, Sequence

from ..core.findings import Finding
from ..core.form import Form
from .context import Context

# Below this many indicator rows the fork (a few ms, plus the pages the child touches) costs more
# than the second core saves; real forms have tens of rows, a whole department's sheet thousands.
MIN_ROWS = 20_000

Family = Callable[[Form, Context], Iterable[Finding]]


def can_fork() -> bool:
    return sys.platform.startswith("linux") and hasattr(os, "fork")


def warm(form: Form, ctx: Context) -> None:
    """Work out, once and before the fork, what both processes ask of every row, so that neither
    does it again: the framework and the facts of each 三级 name.

    Which rows are shifted (layout.misaligned_field) is left to each process, for the rows it
    checks: the child needs every row, this process only the rows of the chunks it takes, and
    the two work at the same time (it was 0.2 s of one core before the fork on 100,000 rows).
    """
    _ = ctx.framework
    facts_of = ctx.name_facts
    for ind in form.indicators:
        c3 = ind.cells.get("level3")
        if c3 is not None:
            facts_of(c3.text)


# A row-wise family's rows are cut into this many chunks, which the two processes take in turn
# once their own families are done, so that whichever is less loaded does more of them.
CHUNKS = 32
_TOKEN = 4  # bytes per chunk number in the pipe both processes take chunks from


def check_split(form: Form, ctx: Context, here: Sequence[Family], there: Sequence[Family],
                rowwise: Sequence[Family] = ()) -> list[Finding]:
    """The findings of ``here`` (run in this process), ``there`` (run in a forked child) and
    ``rowwise``, families whose findings on a row depend on that row alone, run chunk by chunk
    of rows by whichever process is free.

    The chunks are numbers in a pipe that both processes read, four bytes at a time: the kernel
    hands each number to one reader. The child sends back its findings and the chunks it took;
    if it fails, this process does the child's families, and any chunk that neither process
    reports, itself.

    Returns the findings unfiltered and unsorted; the caller filters and sorts as it does for a
    serial run.
    """
    warm(form, ctx)
    n = len(form.indicators)
    bounds = [n * k // CHUNKS for k in range(CHUNKS + 1)] if rowwise else []
    chunks_read, chunks_write = os.pipe()
    os.write(chunks_write, b"".join(k.to_bytes(_TOKEN, "little") for k in range(len(bounds) - 1)))
    os.close(chunks_write)  # a read after the last chunk then returns b""
    read_end, write_end = os.pipe()
    try:
        pid = os.fork()
    except OSError:
        for fd in (chunks_read, read_end, write_end):
            os.close(fd)
        return _run([*there, *here], form, ctx) + _run(rowwise, form, ctx)
    if pid == 0:  # the child: run its families and chunks, send the findings, leave without cleanup
        os.close(read_end)
        status = 1
        try:
            found = _run(there, form, ctx)
            taken = _take_chunks(chunks_read, rowwise, bounds, form, ctx, found)
            payload = pickle.dumps((taken, found), protocol=pickle.HIGHEST_PROTOCOL)
            with os.fdopen(write_end, "wb") as out:
                out.write(payload)
            status = 0
        finally:
            os._exit(status)  # no atexit handlers, no flushing of the parent's buffers
    os.close(write_end)
    try:
        mine = _run(here, form, ctx)
        mine_taken = _take_chunks(chunks_read, rowwise, bounds, form, ctx, mine)
    except BaseException:
        # A failure here: close the pipe the child writes into (its write then fails and it
        # leaves) and reap it, rather than leave it blocked on a pipe nobody reads.
        os.close(read_end)
        os.waitpid(pid, 0)
        raise
    finally:
        os.close(chunks_read)
    with os.fdopen(read_end, "rb") as pipe:
        payload = pipe.read()
    _, status = os.waitpid(pid, 0)
    theirs, taken = None, []
    if status == 0:
        try:
            taken, theirs = pickle.loads(payload)
        except Exception:
            theirs, taken = None, []
    if theirs is None:  # the child failed: its families, done here
        theirs = _run(there, form, ctx)
    # Every chunk neither process reports (all the child took, when it failed), done here.
    for k in sorted(set(range(len(bounds) - 1)) - set(mine_taken) - set(taken)):
        theirs.extend(_run(rowwise, replace(form, indicators=form.indicators[bounds[k]:bounds[k + 1]]), ctx))
    return theirs + mine


def _take_chunks(chunks: int, rowwise: Sequence[Family], bounds: list[int], form: Form, ctx: Context,
                 out: list[Finding]) -> list[int]:
    """Take chunk numbers from the pipe until it is empty, running ``rowwise`` on each chunk's
    rows into ``out``; return the numbers taken."""
    taken = []
    rows = form.indicators
    while True:
        token = os.read(chunks, _TOKEN)
        if not token:
            return taken
        k = int.from_bytes(token, "little")
        taken.append(k)
        out.extend(_run(rowwise, replace(form, indicators=rows[bounds[k]:bounds[k + 1]]), ctx))


def _run(families: Sequence[Family], form: Form, ctx: Context) -> list[Finding]:
    out: list[Finding] = []
    for family in families:
        out.extend(family(form, ctx))
    return out
