"""Checking one large form on two cores: this process reads and checks the first half of its
table's rows, a forked child the second half.

Reading a table's rows (a Cell per field of every row) costs as much as checking them, so the
fork comes before it: each process reads its half from the sheet's grid, which both share, and
neither copies a form model the other built. The rows' findings are each row's own; the
form-level checks need every row, so each family gathers a small tally over its half
(rules.parts), the child sends its findings and tallies back pickled through a pipe, and this
process merges the tallies in row order and concludes.

Two things each half needs of the other come first, through a second pair of pipes: the
framework, which any 一级/二级 name of the form decides (each sends its distinct texts), and the
总分 and 评价等级 cells, which the last rows of the table hold. And the second half starts reading a
little above its first row, at a row whose 一级 and 二级 cells hold text: a blank 一级/二级 below
continues the one above, and from such a row on, the rows read the same whatever lies above it.

Only on Linux (fork is cheap and safe there; macOS frameworks and Windows have no safe fork), and
only when asked for more than one job. Whatever goes wrong in the child, this process reads and
checks the child's half itself, so the findings never depend on the fork.
"""
from __future__ import annotations

import os
import pickle
import sys
from dataclasses import replace
from typing import Any, Callable, Sequence

from ..core.findings import Finding
from ..core.form import Form
from ..core.locate import Carry, Outline, Part
from ..settings import Settings
from . import parts
from .context import Context, category_texts

# Below this many indicator rows the fork (a few ms, plus the pages the child touches) costs more
# than the second core saves; real forms have tens of rows, a whole department's sheet thousands.
MIN_ROWS = 20_000
# How far above its first row the second half may start reading (see the module's docstring).
MAX_LEAD = 5_000


def can_fork() -> bool:
    return sys.platform.startswith("linux") and hasattr(os, "fork")


def read_and_check_in_halves(outline: Outline, families: Sequence, settings: Settings,
                             wanted: frozenset[str]) -> tuple[Form, list[Finding], Context] | None:
    """The form of ``outline`` (without its rows: each half stays in its process) and the findings
    of ``families`` on it, unsorted; None when no row near the middle of the table lets the
    second half start reading on its own (the caller then reads the table whole)."""
    first, last = outline.first_row, outline.end
    middle = (first + last + 1) // 2
    lead = outline.fresh_start(middle - 1, max(first, middle - MAX_LEAD))
    if lead is None:
        return None
    ctx = Context(outline.form, settings, wanted, rows=last - first + 1)

    def second_half(exchange: Callable[[Part], tuple]) -> parts.Gathered:
        above = outline.read_part(lead, middle - 1, Carry())
        part = outline.read_part(middle, last, above.carry)
        _settle(part.form, ctx, exchange(part))
        return parts.gather(families, part.form, ctx.part(part.form, above.form.indicators[-1]))

    def child_work(channel: Channel) -> parts.Gathered:
        def exchange(part: Part) -> tuple:
            channel.send(_summary(part))
            return channel.receive()
        return second_half(exchange)

    child = Child(child_work)
    try:
        mine = outline.read_part(first, middle - 1, Carry())
        theirs = child.receive()
        if theirs is None:  # the child failed before it read its half: do it all here
            child.abandon()
            return None
        both = _merge(_summary(mine), theirs)
        child.send(both)
        _settle(mine.form, ctx, both)
        gathered = parts.gather(families, mine.form, ctx.part(mine.form))
    except BaseException:
        child.abandon()
        raise
    try:
        theirs = child.result()
        if theirs is None:  # the child failed after the exchange: its half, read and checked here
            theirs = second_half(lambda part: both)
        form = replace(outline.form, total_score=mine.form.total_score, grade=mine.form.grade)
        return form, parts.conclude(families, form, ctx, [gathered, theirs]), ctx
    finally:
        child.reap()


def _summary(part: Part) -> tuple:
    """What the other half needs of ``part``: its 一级 and 二级 texts, and its closing cells."""
    level1, level2 = category_texts(part.form.indicators)
    return level1, level2, part.total_read, part.form.total_score, part.form.grade


def _merge(upper: tuple, lower: tuple) -> tuple:
    """The summaries of the two halves as one: a 总分 row read below wins (as the last one read
    does), the first 评价等级 read stands."""
    level1, level2, total_read, total, grade = upper
    level1_below, level2_below, total_read_below, total_below, grade_below = lower
    if total_read_below:
        total_read, total = True, total_below
    return level1 | level1_below, level2 | level2_below, total_read, total, grade or grade_below


def _settle(form: Form, ctx: Context, both: tuple) -> None:
    """Give a half what the whole form has: its framework, its 总分 and 评价等级 cells."""
    level1, level2, _, total, grade = both
    ctx.framework_of_texts(level1, level2)
    form.total_score, form.grade = total, grade


def check_in_halves(families: Sequence, form: Form, ctx: Context) -> list[Finding]:
    """The findings of ``families`` on ``form``, already read, its rows checked in two halves, the
    second in a forked child. The same findings as ``parts.check``; unsorted."""
    rows = form.indicators
    middle = len(rows) // 2
    first, second = replace(form, indicators=rows[:middle]), replace(form, indicators=rows[middle:])
    first_ctx, second_ctx = ctx.part(first), ctx.part(second, rows[middle - 1] if middle else None)
    child = Child(lambda channel: parts.gather(families, second, second_ctx))
    try:
        mine = parts.gather(families, first, first_ctx)
    except BaseException:
        child.abandon()
        raise
    try:
        theirs = child.result()
        if theirs is None:  # the child failed: its half, gathered here
            theirs = parts.gather(families, second, second_ctx)
        return parts.conclude(families, form, ctx, [mine, theirs])
    finally:
        child.reap()


class Channel:
    """Messages between a forked child and this process while the child works: pickled objects
    through a pair of pipes. To never wait on each other, the child sends first and then
    receives; this process receives first and then sends."""

    def __init__(self, incoming: int, outgoing: int):
        self._in = os.fdopen(incoming, "rb")
        self._out = os.fdopen(outgoing, "wb")

    def send(self, message: Any) -> None:
        pickle.dump(message, self._out, protocol=pickle.HIGHEST_PROTOCOL)
        self._out.flush()

    def receive(self) -> Any:
        return pickle.load(self._in)  # EOFError when the other side has gone

    def close(self) -> None:
        for end in (self._in, self._out):
            try:
                end.close()
            except OSError:
                pass


class Child:
    """``work(channel)`` run in a forked child; ``result()`` is what it returned, sent back
    pickled through a pipe, or None when the child could not start or failed. While it works,
    ``receive`` and ``send`` talk to its ``channel``."""

    def __init__(self, work: Callable[[Channel], Any]):
        self.pid: int | None = None
        pipes = [os.pipe() for _ in range(3)]  # the result; child → here; here → child
        try:
            pid = os.fork()
        except OSError:
            for read_end, write_end in pipes:
                os.close(read_end)
                os.close(write_end)
            return
        (result_read, result_write), (up_read, up_write), (down_read, down_write) = pipes
        if pid == 0:  # the child: work, send the result, leave without cleanup
            for fd in (result_read, up_read, down_write):
                os.close(fd)
            status = 1
            try:
                payload = pickle.dumps(work(Channel(down_read, up_write)), protocol=pickle.HIGHEST_PROTOCOL)
                with os.fdopen(result_write, "wb") as out:
                    out.write(payload)
                status = 0
            finally:
                os._exit(status)  # no atexit handlers, no flushing of the parent's buffers; any error is a status
        for fd in (result_write, up_write, down_read):
            os.close(fd)
        self.pid, self._result = pid, result_read
        self._channel = Channel(up_read, down_write)
        self._result_open = True

    def receive(self) -> Any | None:
        """The child's next message; None when it has failed or gone."""
        if self.pid is None:
            return None
        try:
            return self._channel.receive()
        except Exception:
            return None

    def send(self, message: Any) -> None:
        try:
            self._channel.send(message)
        except OSError:
            pass  # the child has gone: result() says so

    def result(self) -> Any | None:
        """What ``work`` returned, or None when the child failed (it is then reaped here).

        A result that unpickles whole was sent whole, so it is used without waiting for the child
        to exit: releasing what it touched of a 100,000-row form takes the child about 20 ms,
        which the unpickling overlaps. The caller calls ``reap`` once it is done with the result.
        """
        if self.pid is None:
            return None
        self._channel.close()
        self._result_open = False
        with os.fdopen(self._result, "rb") as pipe:
            payload = pipe.read()
        try:
            return pickle.loads(payload)
        except Exception:
            self.reap()  # an empty or cut-short payload: the child failed
            return None

    def reap(self) -> None:
        """Wait for the child to exit, once."""
        if self.pid is not None:
            os.waitpid(self.pid, 0)
            self.pid = None

    def abandon(self) -> None:
        """After a failure here: close the pipes the child reads and writes (it then fails and
        leaves) and reap it, rather than leave it blocked on a pipe nobody reads."""
        if self.pid is not None:
            self._channel.close()
            if self._result_open:
                os.close(self._result)
                self._result_open = False
            self.reap()
