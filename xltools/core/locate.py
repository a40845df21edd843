"""Finding forms on a sheet by their header labels, not by fixed cell addresses.

A sheet may hold several forms (seed 002 stacks nine). Each indicator header row starts a
form; the rows above it, back to the previous form, are its preamble (title, 项目名称/部门名称,
the 项目资金 block, 资金支出计划, 年度重点工作任务). Merged 一级/二级 cells apply to every row
they span, and a blank 一级/二级 continues the one above.
"""
from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, replace
from functools import lru_cache
from itertools import chain, repeat

from .form import _NO_FIELDS, Cell, Form, FormKind, FundRow, IndicatorRow, PlanRow, TaskRow, line_cells, value_text
from .grid import Grid

_PAREN_NOTE = re.compile(r"[(（]注[:：][^)）]*[)）]")
_SPACE = re.compile(r"\s+")


@lru_cache(maxsize=16384)
def _norm_text(text: str) -> str:
    text = _SPACE.sub("", text)
    text = _PAREN_NOTE.sub("", text.replace("(", "（").replace(")", "）").replace("（", "(").replace("）", ")"))
    return text.lstrip("*＊")


def norm_label(value: object) -> str:
    """A header label as compared: no whitespace, half-width brackets, no "(注:…)" notes."""
    if value is None or isinstance(value, (int, float)):
        return ""
    return _norm_text(str(value))


# (field, test) pairs, tried in order; the first match claims the column.
def _has(*words):
    # One regex search rather than a Python loop of `in` tests: every text cell of a row
    # that might be a header meets every test.
    return re.compile("|".join(map(re.escape, words))).search


def _is(*words):
    return frozenset(words).__contains__


INDICATOR_HEADERS: tuple[tuple[str, object], ...] = (
    ("period_target", _has("实施周期指标值", "长期指标值", "实施周期目标值")),
    ("basis", _has("确定依据", "指标值依据")),
    ("nature", _has("指标值类型", "指标性质", "指标类型")),
    ("description", _has("指标描述", "指标解释", "指标说明")),
    ("reason", _has("原因")),
    ("actual", lambda h: "预期" not in h and any(w in h for w in ("实际完成值", "全年实际值", "实际值", "完成值"))),
    ("target", _has("年度指标值", "指标值", "目标值", "预期值", "预期实现值", "预期完成值")),
    ("level1", _has("一级指标")),
    ("level2", _has("二级指标")),
    ("level3", _has("三级指标", "指标名称", "指标内容", "关键指标")),
    ("unit", lambda h: h in ("单位", "计量单位", "度量单位") or h.startswith("计量单位") or h.startswith("度量单位")),
    ("direction", _has("指标方向")),
    ("nature", _is("性质")),
    ("weight", lambda h: ("分值" in h or "权重" in h) and "得分" not in h and "执行率" not in h),
    ("score", lambda h: h.startswith("得分") and "计算" not in h and "率" not in h and "系数" not in h
     or h in ("指标得分", "指标得分(分)", "自评得分")),
)

FUND_HEADERS: tuple[tuple[str, object], ...] = (
    ("initial_budget", _has("年初预算")),
    ("annual_budget", _has("全年预算", "调整后预算", "调整预算", "全年(调整)预算", "预算数(A)")),
    ("rate", lambda h: "执行率" in h and "权重" not in h and "得分" not in h),
    ("execution", _has("全年执行", "执行数", "实际支出")),
    ("weight", lambda h: ("分值" in h or "权重" in h)),
    ("score", lambda h: "得分" in h and "率" not in h.replace("执行率", "")),
    ("reason", _has("原因")),
)

TASK_HEADERS: tuple[tuple[str, object], ...] = (
    ("goal", _has("期望达到的目标", "绩效目标", "预期目标")),
    ("result", _has("完成情况")),
    ("funds", _has("拟投入的资金", "资金")),
    ("content", _has("主要实施内容", "主要内容", "实施内容")),
    ("name", lambda h: h in ("名称", "任务名称", "任务", "重点工作任务名称")),
)

TOTAL_LABELS = re.compile(r"^(年度资金总额|资金总额|合计|总计|总额|项目资金总额)")
SUB_LABELS = re.compile(r"^(其中|当年财政拨款|本年财政拨款|财政拨款|上年结转|其他资金|财政资金|财政专户|单位资金|自有资金|上级补助)")
SCORE_TOTAL_LABELS = re.compile(r"^(总分|合计|总计|项目总得分|自评总分|总得分|综合得分)$")
GRADE_LABEL = re.compile(r"(评价|自评|绩效)?等级")
TITLE = re.compile(r"(绩效目标|绩效自评|自评表|目标表|申报表|评价表)")
NAME_LABELS = re.compile(r"^(项目名称|部门名称|单位名称|部门名称及编码|部门（单位）名称|部门\(单位\)名称|预算单位)")
QUARTER = re.compile(r"^(\d{1,2})月(底|末)?$")
# Every anchor (title, indicator/fund/task header) holds one of these words in a short text.
_ANCHOR_WORDS = ("绩效目标", "绩效自评", "自评表", "目标表", "申报表", "评价表", "三级指标", "指标名称", "指标内容",
                 "关键指标", "年初预算", "全年预算", "调整后预算", "调整预算", "预算数", "执行率", "执行数",
                 "主要实施内容", "主要内容", "实施内容")
_ANCHOR_HINT = re.compile("|".join(_ANCHOR_WORDS))
# One character of each anchor word, picked among those indicator rows seldom hold (not 指 or 标,
# which every 一级/二级 name has): a row whose texts hold none of them is no anchor, and looking
# for eight characters with str.find is far cheaper than a regex search. Every word needs one.
_ANCHOR_CHARS = "绩表三称容键算执"
if not all(any(ch in word for ch in _ANCHOR_CHARS) for word in _ANCHOR_WORDS):
    raise AssertionError("every anchor word needs one of _ANCHOR_CHARS")
_is_text = str.__instancecheck__  # isinstance(value, str), callable from filter() without bytecode
_LINE_END = ["\0"]  # closes each line's texts in a block's text; no anchor word holds a NUL
_BLOCK = 4096  # lines joined at a time, so the joined text stays a few MB


def _lines_with_anchor_chars(values: list[list[object]]) -> list[int]:
    """Indexes of the lines where some text holds an anchor character, in order: every anchor
    line and some more.

    The texts of a block of lines are joined into one string, each line closed by a NUL, and
    searched with str.find per anchor character. Joining and searching run in C, with no Python
    step per line; a regex search per line cost about twice as much.
    """
    found: list[int] = []
    for start in range(0, len(values), _BLOCK):
        block = values[start:start + _BLOCK]
        values_then_ends = chain.from_iterable(chain.from_iterable(zip(block, repeat(_LINE_END))))
        text = "".join(filter(_is_text, values_then_ends))
        if text.count("\0") != len(block):  # some text holds a NUL itself: take every line
            found.extend(range(start, start + len(block)))
            continue
        hits = []
        for ch in _ANCHOR_CHARS:
            at = text.find(ch)
            while at >= 0:
                hits.append(at)
                at = text.find(ch, text.find("\0", at) + 1)  # one hit a line is enough
        line, counted_to = start, 0
        for at in sorted(hits):
            line += text.count("\0", counted_to, at)
            counted_to = at
            if not found or found[-1] != line:
                found.append(line)
    return found


def _fields_accepting(rules):
    """A cached function: label → the fields (in rule order) whose test accepts the label."""
    @lru_cache(maxsize=4096)
    def fields(label: str) -> tuple[str, ...]:
        return tuple(name for name, test in rules if test(label))
    return fields


# The same header labels recur on every form, so each table's verdict on a label is cached.
_INDICATOR_FIELDS = _fields_accepting(INDICATOR_HEADERS)
_FUND_FIELDS = _fields_accepting(FUND_HEADERS)
_TASK_FIELDS = _fields_accepting(TASK_HEADERS)


def _match_headers(cells: list[Cell], fields_accepting) -> dict[str, Cell]:
    # Each cell goes to the first field, in rule order, that accepts its label and is not taken.
    found: dict[str, Cell] = {}
    for cell in cells:
        h = norm_label(cell.value)
        if not h or len(h) > 40:
            continue
        for name in fields_accepting(h):
            if name not in found:
                found[name] = cell
                break
    return found


def _indicator_header(cells: list[Cell]) -> dict[str, Cell] | None:
    found = _match_headers(cells, _INDICATOR_FIELDS)
    if "level3" in found and ("target" in found or "level1" in found or "actual" in found):
        return found
    return None


def _fund_header(cells: list[Cell]) -> dict[str, Cell] | None:
    found = _match_headers(cells, _FUND_FIELDS)
    if ("annual_budget" in found or "initial_budget" in found) and ("execution" in found or "rate" in found):
        return found
    return None


def _task_header(cells: list[Cell]) -> dict[str, Cell] | None:
    found = _match_headers(cells, _TASK_FIELDS)
    if "content" in found and ("name" in found or "goal" in found):
        return found
    return None


class _Merges:
    """Top-left value lookup for merged ranges (a merged cell applies to every row it spans)."""

    def __init__(self, grid: Grid):
        self.grid = grid
        self.owner: dict[tuple[int, int], tuple[int, int]] = {}
        for r1, c1, r2, c2 in grid.merges:
            if (r2 - r1 + 1) * (c2 - c1 + 1) > 20000:
                continue  # a whole-column merge is a formatting accident; don't expand it
            for r in range(r1, r2 + 1):
                for c in range(c1, c2 + 1):
                    if (r, c) != (r1, c1):
                        self.owner[(r, c)] = (r1, c1)

    def value(self, row: int, col: int) -> tuple[object, bool]:
        """(value, inherited): the cell's own value, or its merge owner's."""
        v = self.grid.value(row, col)
        if (v is None or v == "") and (row, col) in self.owner:
            r, c = self.owner[(row, col)]
            return self.grid.value(r, c), True
        return v, False

    def is_covered(self, row: int, col: int) -> bool:
        return (row, col) in self.owner


def locate_forms(grid: Grid) -> list[Form]:
    """Every form on one sheet, in sheet order.

    Returns an empty list when the sheet holds no indicator table and no budget block.
    """
    return [outline.read() for outline in outline_forms(grid)]


class Carry:
    """The 一级 and 二级 cells a blank 一级/二级 below continues, as reading rows leaves them."""

    __slots__ = ("level1", "level2")

    def __init__(self, level1: Cell | None = None, level2: Cell | None = None):
        self.level1, self.level2 = level1, level2


@dataclass
class Part:
    """Some of a table's rows, read by ``Outline.read_part``.

    Attributes:
        form: a copy of the form, holding only these rows (and what they hold: a 总分 row's cell,
            the 评价等级).
        carry: the carry these rows leave to the rows below.
        total_read: whether these rows hold a 总分/合计 row (which sets the form's total score,
            the last one read winning).
    """

    form: Form
    carry: Carry
    total_read: bool


# A part's total score before its rows are read: whether a 总分 row set it tells total_read.
_NOT_READ = Cell("", 0, 0)


class Outline:
    """A form located but for its indicator rows, which ``read`` reads, all or some of them.

    ``form`` holds the preamble, the header and the kind; its ``indicators`` stay empty until
    ``read`` (the whole table) reads them into it. ``read_part`` reads a span of the table into
    a copy, so that two processes can each read (and check) half of a large table.
    """

    def __init__(self, grid: Grid, merges: _Merges, form: Form, header: dict[str, Cell], end: int):
        self.grid, self.merges, self.form, self.header, self.end = grid, merges, form, header, end
        self._read = False

    @property
    def first_row(self) -> int:
        """The first sheet row the table's rows may be on."""
        return self.form.header_row + 1 if self.header else self.end + 1

    def read(self) -> Form:
        """The form, with every row of its table read into it (once, however often it is asked)."""
        if self.header and not self._read:
            _read_indicators(self.grid, self.merges, self.form, self.header, self.first_row, self.end, Carry())
            self._read = True
        return self.form

    def read_part(self, first: int, last: int, carry: Carry) -> Part:
        """The table's rows from sheet row ``first`` to ``last``, read as if the rows above had
        left ``carry``."""
        part = replace(self.form, indicators=[], stray_rows=[], total_score=_NOT_READ)
        carry = Carry(carry.level1, carry.level2)
        _read_indicators(self.grid, self.merges, part, self.header, first, last, carry)
        total_read = part.total_score is not _NOT_READ
        if not total_read:
            part.total_score = None
        return Part(part, carry, total_read)

    def fresh_start(self, below: int, above: int) -> int | None:
        """The last sheet row from ``below`` up to ``above`` that reads as an indicator row and
        whose 一级 and 二级 cells (own or merged) both hold text, where the form has those
        columns: reading from such a row leaves the same carry whatever the rows above it left.
        None when there is none."""
        columns = [self.form.columns[name] for name in ("level1", "level2") if name in self.form.columns]
        value = self.merges.value
        for row in range(below, above - 1, -1):
            if all(_has_text(value(row, col)[0]) for col in columns):
                rows = self.read_part(row, row, Carry()).form.indicators
                if rows and rows[0].row == row:  # not a 总分 row, a spacer …
                    return row
        return None


def _has_text(value: object) -> bool:
    if value is None:
        return False
    return bool(value.strip()) if type(value) is str else value_text(value) != ""


def outline_forms(grid: Grid) -> list[Outline]:
    """Every form on one sheet, in sheet order, its indicator rows not yet read."""
    merges = _Merges(grid)
    first = grid.origin[0]
    last = grid.n_rows
    # One pass to find the anchors: indicator headers, fund headers, task headers, titles.
    ind_headers: list[tuple[int, dict[str, Cell]]] = []
    fund_headers: list[tuple[int, dict[str, Cell]]] = []
    task_headers: list[tuple[int, dict[str, Cell]]] = []
    titles: list[tuple[int, str]] = []
    values = grid.values
    for i in _lines_with_anchor_chars(values):
        row, line = first + i, values[i]
        # Only rows with a short text holding an anchor word can be anchors. Most rows are
        # passed over above; one search over the rest's texts joined by NUL comes next.
        texts = [v for v in line if type(v) is str]
        if not texts or _ANCHOR_HINT.search("\0".join(texts)) is None:
            continue
        if not any(0 < len(v) <= 60 and _ANCHOR_HINT.search(v) for v in texts):
            continue
        cells = grid.row_cells(row)
        if len(cells) > 40:
            continue
        texts = [c for c in cells if isinstance(c.value, str)]
        if len(cells) <= 2 and len(texts[0].value) <= 60 and TITLE.search(texts[0].value) and "指标" not in texts[0].value:
            titles.append((row, texts[0].text))
            continue
        h = _indicator_header(texts)
        if h:
            ind_headers.append((row, h))
            continue
        h = _fund_header(texts)
        if h:
            fund_headers.append((row, h))
            continue
        h = _task_header(texts)
        if h:
            task_headers.append((row, h))
    outlines: list[Outline] = []
    prev_end = first - 1
    anchor_rows = sorted({r for r, _ in ind_headers} | {r for r, _ in fund_headers}
                         | {r for r, _ in task_headers} | {r for r, _ in titles})
    # Each form looks its anchors up by bisection: a sheet may stack thousands of forms, and a
    # scan of every anchor for each form made 4,000 stacked forms take 13 s instead of 1.
    preamble = _Preamble(titles=titles, funds=fund_headers, tasks=task_headers)
    for hrow, header in ind_headers:
        at = bisect_right(anchor_rows, hrow)
        next_anchor = anchor_rows[at] if at < len(anchor_rows) else last + 1
        form = Form(sheet=grid.sheet, kind=FormKind.UNKNOWN, first_row=prev_end + 1, last_row=next_anchor - 1,
                    may_hold_errors=grid.may_hold_errors)
        _read_preamble(grid, merges, form, prev_end + 1, hrow - 1, preamble)
        form.header_row = hrow
        form.columns = {k: c.col for k, c in header.items()}
        form.header_labels = {k: c.text for k, c in header.items()}
        form.kind = _kind(form)
        outlines.append(Outline(grid, merges, form, header, next_anchor - 1))
        prev_end = form.last_row
    # Budget blocks with no indicator table after them (a form cut short) are still forms.
    for frow, header in fund_headers:
        if frow > prev_end:
            form = Form(sheet=grid.sheet, kind=FormKind.UNKNOWN, first_row=prev_end + 1, last_row=last,
                        may_hold_errors=grid.may_hold_errors)
            _read_preamble(grid, merges, form, prev_end + 1, last, preamble)
            form.kind = _kind(form)
            outlines.append(Outline(grid, merges, form, {}, last))
            break
    return outlines


FORM_TITLE = re.compile(r"(绩效目标|绩效自评|自评|目标申报|绩效评价)\S*表")


def looks_like_form(grid: Grid, limit: int = 60) -> bool:
    """Whether a sheet without a located table still reads like a 绩效 form: a form title
    (…绩效目标表, …自评表) or indicator-level labels near the top."""
    for row in range(grid.origin[0], min(grid.n_rows, grid.origin[0] + limit) + 1):
        for c in grid.row_cells(row):
            if isinstance(c.value, str) and (FORM_TITLE.search(c.value) or "一级指标" in c.value
                                             or "三级指标" in c.value):
                return True
    return False


class _Preamble:
    """The anchors a form's preamble may hold, by kind (titles, funds, tasks), each list in row
    order as the anchor pass finds them; those between two rows are found by bisection."""

    def __init__(self, **anchors: list[tuple[int, object]]):
        self._anchors = anchors
        self._rows = {kind: [row for row, _ in items] for kind, items in anchors.items()}

    def between(self, kind: str, start: int, end: int) -> list[tuple[int, object]]:
        """The (row, anchor) pairs of ``kind`` with start <= row <= end, in row order."""
        rows = self._rows[kind]
        return self._anchors[kind][bisect_left(rows, start):bisect_right(rows, end)]


def _read_preamble(grid, merges, form: Form, start: int, end: int, preamble: _Preamble) -> None:
    for row, text in preamble.between("titles", start, end):
        if not form.title:
            form.title = text
    for row in range(start, end + 1):
        cells = grid.row_cells(row)
        for i, c in enumerate(cells):
            if isinstance(c.value, str) and NAME_LABELS.match(norm_label(c.value)) and not form.name:
                rest = [x for x in cells[i + 1:] if isinstance(x.value, str) and x.text]
                if rest:
                    form.name = rest[0].text
                    form.name_label = norm_label(c.value)
            if isinstance(c.value, str) and "资金支出计划" in c.value and form.plan is None:
                form.plan = _read_plan(grid, row, c.col)
    for frow, header in preamble.between("funds", start, end):
        if not form.funds:
            form.fund_header_row = frow
            form.fund_labels = {k: norm_label(v.value) for k, v in header.items()}
            form.funds = _read_funds(grid, merges, frow, header, end)
    for trow, header in preamble.between("tasks", start, end):
        if not form.tasks:
            form.tasks = _read_tasks(grid, merges, trow, header, end)


def _read_plan(grid: Grid, row: int, col: int) -> PlanRow | None:
    # Quarter labels sit on the label's row or the next; their values on the row below the labels.
    for label_row in (row, row + 1):
        quarters = [(c.text, c.col) for c in grid.row_cells(label_row)
                    if isinstance(c.value, str) and QUARTER.match(c.text.replace(" ", ""))]
        if len(quarters) >= 2:
            value_row = label_row + 1
            return PlanRow(value_row, [(q, grid.cell(value_row, qc)) for q, qc in quarters])
    return None


def _read_funds(grid: Grid, merges: _Merges, hrow: int, header: dict[str, Cell], end: int) -> list[FundRow]:
    cols = {k: c.col for k, c in header.items()}
    first_value_col = min(cols.values())
    rows: list[FundRow] = []
    misses = 0
    for row in range(hrow + 1, end + 1):
        labels = [c for c in grid.row_cells(row) if c.col < first_value_col and isinstance(c.value, str)]
        label = labels[-1] if labels else None
        text = norm_label(label.value) if label else ""
        is_total = bool(TOTAL_LABELS.match(text))
        if not (is_total or SUB_LABELS.match(text)):
            misses += 1
            if misses > 1 or rows:
                break
            continue
        cells = {k: Cell(merges.value(row, c)[0], row, c) for k, c in cols.items()}
        rows.append(FundRow(row, label, is_total, cells))
    return rows


def _read_tasks(grid: Grid, merges: _Merges, hrow: int, header: dict[str, Cell], end: int) -> list[TaskRow]:
    cols = {k: c.col for k, c in header.items()}
    tasks: list[TaskRow] = []
    blank = 0
    for row in range(hrow + 1, end + 1):
        cells = {k: Cell(grid.value(row, c), row, c) for k, c in cols.items()}
        if all(c.is_blank for c in cells.values()):
            blank += 1
            if blank > 2:
                break
            continue
        blank = 0
        tasks.append(TaskRow(row, cells))
    return tasks


def _read_indicators(grid: Grid, merges: _Merges, form: Form, header: dict[str, Cell], first: int, last: int,
                     carry: Carry) -> None:
    """Read the table's rows from sheet row ``first`` to ``last`` into ``form``, continuing blank
    一级/二级 cells from ``carry`` and leaving in it what the rows read leave."""
    cols = form.columns
    fields = list(cols.items())
    r0, c0 = grid.origin
    values = grid.values
    owner = merges.owner
    level3_col = cols.get("level3")
    # (field, column, index in a grid line), worked out once rather than per row.
    where = [(name, col, col - c0) for name, col in fields]
    field_cols = {col for _, col in fields}
    # Rows where no field cell lies under a merge, and whose line reaches every field column,
    # take the fast path below: a plain read of each field's value.
    covered = {r for r, c in owner if c in field_cols}
    reach = max((j for _, _, j in where), default=-1) + 1
    direct = bool(where) and min(j for _, _, j in where) >= 0
    indicators = form.indicators
    made_row = IndicatorRow.made
    lv1, lv2 = carry.level1, carry.level2  # the category values carried down
    start = max(first, r0)  # rows above the grid's first line are spacers
    for row, line in zip(range(start, last + 1), values[start - r0:last + 1 - r0]):
        # The first non-blank value (whitespace-only text is blank), usually the line's first.
        first_val = line[0] if line else None
        if type(first_val) is str and first_val.strip():
            first_col = c0
        else:
            for j, first_val in enumerate(line):
                if type(first_val) is str:
                    if first_val.strip():
                        break
                elif first_val is not None and first_val != "":
                    break
            else:
                continue  # spacer row
            first_col = c0 + j
        if type(first_val) is str and len(first_val) <= 12 and first_col != level3_col:
            closing = _closing_label(first_val)
            if closing == "total":
                _read_total(grid, form, row, {k: Cell(grid.value(row, c), row, c) for k, c in fields})
                continue
            if closing == "grade":
                _read_grade(grid, form, row, Cell(first_val, row, first_col))
                continue
        inherited: set[str] | None = None
        n = len(line)
        if direct and n >= reach and row not in covered:
            cells = line_cells(line, row, where)
            blank = first_col not in field_cols and all(c.value is None or c.value == "" for c in cells.values())
        else:
            cells = {}
            blank = True
            for name, col, j in where:
                v = line[j] if 0 <= j < n else None
                if v is None or v == "":
                    if owner and (row, col) in owner:
                        r, c = owner[(row, col)]
                        v = grid.value(r, c)
                        if inherited is None:
                            inherited = set()
                        inherited.add(name)
                elif blank:
                    blank = False
                cells[name] = Cell(v, row, col)
        if blank:
            form.stray_rows.append(grid.row_cells(row))
            continue
        # A blank 一级/二级 continues the category above (merged or not); a new 一级 resets 二级.
        c1 = cells.get("level1")
        if c1 is not None:
            if not c1.text:
                if lv1 is not None:
                    cells["level1"] = Cell(lv1.value, row, c1.col)
                    if inherited is None:
                        inherited = set()
                    inherited.add("level1")
            else:
                if lv1 is None or c1.text != lv1.text:
                    lv2 = None
                lv1 = c1
        c2 = cells.get("level2")
        if c2 is not None:
            if not c2.text:
                if lv2 is not None:
                    cells["level2"] = Cell(lv2.value, row, c2.col)
                    if inherited is None:
                        inherited = set()
                    inherited.add("level2")
            else:
                lv2 = c2
        indicators.append(made_row(row, cells, frozenset(inherited) if inherited else _NO_FIELDS))
    carry.level1, carry.level2 = lv1, lv2


@lru_cache(maxsize=4096)
def _closing_label(text: str) -> str | None:
    """'total' for 总分/合计 rows, 'grade' for 评价等级 rows that close an indicator table."""
    label = _norm_text(text)
    if SCORE_TOTAL_LABELS.match(label):
        return "total"
    if GRADE_LABEL.fullmatch(label):
        return "grade"
    return None


def _new_level1(cells: dict[str, Cell], lv1: Cell | None) -> bool:
    c = cells.get("level1")
    return c is not None and not c.is_blank and (lv1 is None or c.text != lv1.text)


def _read_total(grid: Grid, form: Form, row: int, cells: dict[str, Cell]) -> None:
    if "score" in cells:
        form.total_score = cells["score"]
    elif "weight" in cells:
        form.total_score = None
    for c in grid.row_cells(row):
        if c.text in ("优", "良", "中", "差") and form.grade is None:
            form.grade = c


def _read_grade(grid: Grid, form: Form, row: int, label: Cell) -> None:
    after = [c for c in grid.row_cells(row) if c.col > label.col]
    if after and form.grade is None:
        form.grade = after[0]
    elif form.grade is None:
        form.grade = Cell(None, row, label.col + 1)


def _kind(form: Form) -> FormKind:
    """Kind from the title first (自评/目标, 部门整体/项目), then from the columns and labels."""
    title = form.title
    if not title and not form.columns and not form.funds:
        return FormKind.UNKNOWN
    if "自评" in title or "评价" in title:
        selfeval = True
    elif "目标" in title or "申报" in title:
        selfeval = False
    else:
        selfeval = any(k in form.columns for k in ("actual", "score"))
    if "项目" in title:
        unit = False
    elif any(w in title for w in ("部门整体", "整体支出", "单位整体", "部门预算")):
        unit = True
    else:
        # 部门整体 forms carry 年度重点工作任务 and a 部门名称; project forms a 项目名称/编码.
        unit = bool(form.tasks) or form.name_label.startswith(("部门", "单位"))
    if selfeval:
        return FormKind.UNIT_SELFEVAL if unit else FormKind.PROJECT_SELFEVAL
    return FormKind.UNIT_TARGET if unit else FormKind.PROJECT_TARGET
