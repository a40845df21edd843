"""Per-form state shared by the rule families: parsed values and taxonomy, computed once."""
from __future__ import annotations

import copy
from typing import Iterable

from ..core import codes
from ..core.codes import REGISTRY
from ..core.findings import Finding
from ..core.form import Cell, Form, IndicatorRow, address
from ..core.notation import ParsedValue, parse_value
from ..core.taxonomy import framework_of
from ..settings import Settings
from .names import NameFacts, name_facts

ALL_CODES: frozenset[str] = frozenset(REGISTRY)
# A form with this many rows or more works its names' facts out past names.name_facts' shared
# cache: its names are mostly its own, and on a sheet of 100,000 names the cache (65,536) only
# churns, 15% of working them out.
LARGE_FORM = 20_000


class Context:
    """What every rule of one form needs: the settings, the codes asked for, and values parsed once per cell.

    Attributes:
        form: the form being checked.
        settings: the Settings in force.
        wanted: the codes the caller asked for (every registered code by default). Families skip
            the work whose codes are not wanted; they may still emit other codes, which
            ``check_form`` filters out.
    """

    def __init__(self, form: Form, settings: Settings, wanted: Iterable[str] | None = None, *,
                 rows: int | None = None):
        """``rows``: how many rows the whole form has, when ``form`` holds only some of them."""
        self.form = form
        self.settings = settings
        self.wanted: frozenset[str] = ALL_CODES if wanted is None else frozenset(wanted)
        self._parsed: dict[tuple[int, str], ParsedValue] = {}
        self._framework: str | None = None
        # name → NameFacts worked out so far (name_facts fills it; a hot loop may read it directly)
        self.known_facts: dict[str, NameFacts] = {}
        self._work_out = name_facts if (rows or len(form.indicators)) < LARGE_FORM else name_facts.__wrapped__
        # The indicator row just above form.indicators[0] when the form is checked in parts
        # (rules.parallel); the layout family compares a shifted row with the row above it.
        self.row_before: IndicatorRow | None = None

    def part(self, form: Form, row_before: IndicatorRow | None = None) -> Context:
        """A Context for ``form``, a part of this one's form (some of its rows), sharing what this
        one worked out: the framework (of the whole form), the parsed values and names' facts.
        """
        _ = self.framework
        part = copy.copy(self)
        part.form = form
        part.row_before = row_before
        return part

    def wants(self, codes_: Iterable[str]) -> bool:
        """Whether any of ``codes_`` is wanted (a family or sub-check can be skipped when not)."""
        return not self.wanted.isdisjoint(codes_)

    def parsed(self, ind: IndicatorRow, name: str) -> ParsedValue:
        """The parsed notation of field ``name`` (target, actual, period_target) of a row."""
        key = (ind.row, name)
        hit = self._parsed.get(key)
        if hit is None:
            cell = ind.cells.get(name)
            hit = self._parsed[key] = parse_value(None if cell is None else cell.value)
        return hit

    def name_facts(self, text: str) -> NameFacts:
        """``names.name_facts`` of a 三级 name, kept for this form's whole check.

        The shared cache holds 65,536 names; a sheet with more would evict each name before
        the next family asks for it again. A form of LARGE_FORM rows or more does not use it.
        """
        facts = self.known_facts.get(text)
        if facts is None:
            facts = self.known_facts[text] = self._work_out(text)
        return facts

    def target(self, ind: IndicatorRow) -> ParsedValue:
        return self.parsed(ind, "target")

    def actual(self, ind: IndicatorRow) -> ParsedValue:
        return self.parsed(ind, "actual")

    @property
    def framework(self) -> str:
        """"2015" or "2021", from settings or detected from the form's 一级/二级 names."""
        fw = self._framework
        if fw is None:
            fw = self._framework = self._detect_framework()
        return fw

    def _detect_framework(self) -> str:
        if self.settings.framework != "auto":
            return self.settings.framework
        return self.framework_of_texts(*category_texts(self.form.indicators))

    def framework_of_texts(self, level1: set[str], level2: set[str]) -> str:
        """The framework of a form whose rows hold these 一级 and 二级 texts (``category_texts``),
        or the one the settings fix; from then on, ``framework``."""
        fw = self.settings.framework if self.settings.framework != "auto" else framework_of(level1, level2)
        self._framework = fw
        return fw

    def finding(self, code: str, cell: Cell | None, *, row: int | None = None, col: int | None = None,
                expected: object = None, **fields) -> Finding:
        """A finding at ``cell`` (or at row/col when the cell is absent) of this form's sheet."""
        if cell is not None:
            r, addr = cell.row, cell.address
        else:
            r = row or self.form.first_row
            addr = address(r, col or 1)
        return codes.make(code, sheet=self.form.sheet, cell=addr, row=r, expected=expected, **fields)


def category_texts(rows: Iterable[IndicatorRow]) -> tuple[set[str], set[str]]:
    """The distinct 一级 and 二级 texts of ``rows`` ('' for a row without one), which decide the
    framework: any one name decides, so each distinct text is looked at once, not once per row."""
    level1, level2 = set(), set()
    for ind in rows:
        cells = ind.cells
        c1, c2 = cells.get("level1"), cells.get("level2")
        level1.add("" if c1 is None else c1.text)
        level2.add("" if c2 is None else c2.text)
    return level1, level2
