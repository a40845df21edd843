"""Live formulas of generated forms and their cached values, computed by xltools.core.scoring.

Each computed placeholder (``{{ =path }}``) has a rule here that writes an Excel formula
over the cells the template put the other placeholders in, and computes the value Excel or
LibreOffice will get from that formula using the Python engine (``xltools.core.scoring``,
``excel_round``). When a template lacks a cell a formula needs (the designer deleted the
column), the value is written into the formula as a literal instead of a reference.
"""
from __future__ import annotations

from typing import Callable

from ..core.numbers import excel_round
from ..core.scoring import (ACHIEVED, compare_values, direction_from_word, execution_rate, grade, rate_score,
                            score_comparison)
from ..core.notation import Direction
from ..io.xmltext import number_text

__all__ = ["RULES", "SENSE_WORDS", "direction_word", "Calc"]

# 指标方向 words as the dropdown offers them; each maps to its scoring direction.
DIRECTION_WORDS = ("大于或等于", "大于", "等于", "小于或等于", "小于")
_WORD_OF = {Direction.GE: "大于或等于", Direction.GT: "大于", Direction.EQ: "等于",
            Direction.LE: "小于或等于", Direction.LT: "小于"}
# Formulas read 指标方向 through the dropdown's five words; the builder writes master words
# normalised onto them, so the engine and the formula read the same direction.
_SENSE_CODE = {"positive": 1, "reverse": 2, "equal": 3}
SENSE_WORDS = [(w, _SENSE_CODE[direction_from_word(w).sense]) for w in DIRECTION_WORDS]
_SENSE_OF = dict(SENSE_WORDS)


def normalise_direction(word: object) -> str | None:
    """A 指标方向 word as one of the dropdown's words ("大于等于" → "大于或等于"); None when unknown."""
    d = direction_from_word(word) if isinstance(word, str) else None
    return _WORD_OF.get(d) if d is not None else None


def direction_word(direction: Direction | None) -> str:
    """The 指标方向 word for a parsed operator ("等于" when none was written)."""
    return _WORD_OF.get(direction, "等于")


def _q(text: str) -> str:
    return '"' + str(text).replace('"', '""') + '"'


def _array(values) -> str:
    return "{" + ",".join(_q(v) if isinstance(v, str) else number_text(v) for v in values) + "}"


def _qualitative_words():
    from ..core import scoring as s
    single = getattr(s, "_SINGLE", {})
    return ([w for w, t in single.items() if t == s.ACHIEVED], [w for w, t in single.items() if t != s.ACHIEVED],
            getattr(s, "_MISSED_WORDS", ()), getattr(s, "_PARTIAL_WORDS", ()), getattr(s, "_ACHIEVED_WORDS", ()))


_SINGLE_OK, _SINGLE_NOT, _MISSED, _PARTIAL, _ACHIEVED = _qualitative_words()
# The word lists live in hidden workbook names (array constants), so each row's formula
# refers to them instead of repeating ~1 KB of words: smaller files, faster to write.
WORD_NAMES = {"_xlt_words_ok": _SINGLE_OK, "_xlt_words_no": _SINGLE_NOT, "_xlt_words_missed": _MISSED,
              "_xlt_words_partial": _PARTIAL, "_xlt_words_achieved": _ACHIEVED}


def word_names() -> list[tuple[str, str]]:
    """(name, array constant) pairs every generated workbook defines for the score formulas."""
    return [(name, _array(words) if words else '{""}') for name, words in WORD_NAMES.items()]


def _num(v) -> float | None:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return None
    return float(v)


class Calc:
    """Formula and value of computed cells for one form.

    ``state`` is the engine's per-form state; it provides ``ref(path, i)`` (the A1 address of
    a placeholder's cell, or None when the template lacks it), ``value(path, i)`` (what that
    cell holds, computing formulas recursively), ``column_range(path)`` and ``count(coll)``.
    """

    def __init__(self, state, reverse_rule: str = "ratio"):
        self.s = state
        self.reverse_rule = reverse_rule
        self.need_formula = False  # True while the engine builds a formula; else only values are wanted
        self.literal_used = False  # set when a missing cell was written into a formula as a value

    def variant(self, path: str, i: int) -> object:
        """What, besides the row number, makes row ``i``'s formula for ``path`` differ."""
        if path == "ind.score":
            return (_num(self.s.value("ind.target_number", i)) is not None,
                    self.s.value("ind.target", i) in (None, "") or self.s.target_blank(i))
        return None

    # operands -----------------------------------------------------------------------------
    def operand(self, path: str, i: int | None = None) -> str:
        """The cell address of ``path``, or its value as a formula literal."""
        ref = self.s.ref(path, i)
        if ref is not None:
            return ref
        self.literal_used = True
        v = self.s.value(path, i)
        n = _num(v)
        if n is not None:
            return number_text(n)
        return _q("" if v is None else v)

    def _sum(self, paths: list[str]) -> tuple[str, float]:
        total = 0.0
        for p in paths:
            v = _num(self.s.value(p))
            if v is not None:
                total += v
        if not self.need_formula:
            return "", total
        refs = [self.operand(p) for p in paths]
        return f"SUM({','.join(refs)})", total

    # rules ----------------------------------------------------------------------------------
    def sum_of(self, *paths: str) -> tuple[str, float]:
        if not self.need_formula:
            return self._sum(paths)  # a path left out below holds None: it adds nothing
        ref = self.s.ref
        if any(ref(p) is None for p in paths):
            # which operands appear depends on the values: the formula is not reusable
            self.literal_used = True
        present = [p for p in paths if ref(p) is not None or self.s.value(p) is not None]
        return self._sum(present or list(paths[:1]))

    def column_sum(self, path: str) -> tuple[str, float]:
        rng = self.s.column_range(path)
        vals = [_num(self.s.value(path, i)) for i in range(self.s.count(path))]
        total = 0.0
        for v in vals:
            if v is not None:
                total += v
        if rng is None:
            self.literal_used = True
            return number_text(total), total
        return f"SUM({rng})", total

    def rate(self, row: str) -> tuple[str, object]:
        b, e = f"fund.{row}.budget", f"fund.{row}.execution"
        value = execution_rate(_num(self.s.value(e)), _num(self.s.value(b)))
        if not self.need_formula:
            return "", ("" if value is None else value)
        rb, re_ = self.operand(b), self.operand(e)
        formula = f'IF(AND(ISNUMBER({rb}),N({rb})<>0,ISNUMBER({re_})),{re_}/{rb},"")'
        return formula, ("" if value is None else value)

    def execution_score(self) -> tuple[str, object]:
        rv, wv = _num(self.s.value("fund.total.rate")), _num(self.s.value("fund.total.weight"))
        value = "" if rv is None or wv is None else rate_score(rv, wv)
        if not self.need_formula:
            return "", value
        rate, w = self.operand("fund.total.rate"), self.operand("fund.total.weight")
        return f'IF(AND(ISNUMBER({rate}),ISNUMBER({w})),ROUND(MAX(0,MIN({rate},1))*{w},2),"")', value

    def level1_key(self, i: int) -> tuple[str, object]:
        v = self.s.value("ind.level1", i)
        if i == 0:
            value = "" if v in (None, "") else v
        else:
            value = v if v not in (None, "") else self.s.value("ind.level1_key", i - 1)
        if not self.need_formula:
            return "", value
        a = self.operand("ind.level1", i)
        if i == 0:
            return f'IF({a}="","",{a})', value
        prev = self.s.ref("ind.level1_key", i - 1)
        return f"IF({a}<>\"\",{a},{prev})", value

    def weights_total(self) -> tuple[str, float]:
        f, total = self.column_sum("ind.weight")
        if self.s.has("fund.total.weight"):
            w = _num(self.s.value("fund.total.weight"))
            total += w or 0.0
            if self.need_formula:
                f = f"{f}+{self.operand('fund.total.weight')}"
        return f"ROUND({f},2)", excel_round(total, 2)

    def indicator_scores(self) -> tuple[str, float]:
        f, total = self.column_sum("ind.score")
        return f"ROUND({f},2)", excel_round(total, 2)

    def total_score(self) -> tuple[str, object]:
        n = self.s.count("ind.score")
        scores = [self.s.value("ind.score", i) for i in range(n)]
        weights = [self.s.value("ind.weight", i) for i in range(n)]
        s_rng, w_rng = self.s.column_range("ind.score"), self.s.column_range("ind.weight")
        if s_rng is None:
            self.literal_used = True
        parts_ok = sum(1 for x in scores if _num(x) is not None) >= sum(1 for x in weights if _num(x) is not None)
        total = sum(_num(x) for x in scores if _num(x) is not None)
        conds = []
        expr = f"SUM({s_rng})" if s_rng else number_text(total)
        if s_rng and w_rng:
            conds.append(f"COUNT({s_rng})<COUNT({w_rng})")
        if self.s.has("fund.total.score"):
            fs = self.operand("fund.total.score") if self.need_formula else ""
            fv = _num(self.s.value("fund.total.score"))
            conds.append(f"NOT(ISNUMBER({fs}))")
            expr = f"{expr}+{fs}"
            parts_ok = parts_ok and fv is not None
            total += fv or 0.0
        formula = f"ROUND({expr},2)" if not conds else f'IF(OR({",".join(conds)}),"",ROUND({expr},2))'
        return formula, (excel_round(total, 2) if parts_ok else "")

    def grade(self) -> tuple[str, object]:
        v = _num(self.s.value("score.total"))
        if not self.need_formula:
            return "", ("" if v is None else grade(v))
        t = self.operand("score.total")
        formula = f'IF(ISNUMBER({t}),IF({t}>=90,"优",IF({t}>=80,"良",IF({t}>=60,"中","差"))),"")'
        return formula, ("" if v is None else grade(v))

    def sense(self, i: int) -> tuple[str, object]:
        """Direction family of row ``i``: 1 positive, 2 reverse, 3 equal; the 指标方向 word first,
        else the operator written in the target (hidden 目标方向), else equal."""
        value = 3
        for word in (self.s.value("ind.direction", i), self.s.value("ind.target_sense", i)):
            code = _SENSE_OF.get(word.strip()) if isinstance(word, str) else None
            if code is not None:
                value = code
                break
        if not self.need_formula:
            return "", value
        d = self.operand("ind.direction", i)
        h = self.operand("ind.target_sense", i)
        words = _array([w for w, _ in SENSE_WORDS])
        codes = _array([c for _, c in SENSE_WORDS])
        k = f"IFERROR(MATCH(TRIM({d}),{words},0),IFERROR(MATCH(TRIM({h}),{words},0),0))"
        return f"IF({k}=0,3,INDEX({codes},{k}))", value

    def actual_number(self, i: int) -> tuple[str, object]:
        """B on the target's scale: a number in a cell, times 100 when the target is a percent and
        the cell holds a fraction (0.96 for 96%), as the scoring engine reads it."""
        v = _num(self.s.value("ind.actual", i))
        unit = self.s.value("ind.target_unit", i)
        value: object = ""
        if v is not None:
            value = v * 100 if unit == "%" and abs(v) <= 1.5 else v
        if not self.need_formula:
            return "", value
        H, U = self.operand("ind.actual", i), self.operand("ind.target_unit", i)
        return f'IF(ISNUMBER({H}),IF(AND({U}="%",ABS({H})<=1.5),{H}*100,{H}),"")', value

    def _expr(self, path: str, i: int) -> str:
        """A computed helper by reference when the template has its cell, else inline."""
        ref = self.s.ref(path, i)
        return ref if ref is not None else f"({RULES[path](self, i)[0]})"

    def indicator_score(self, i: int) -> tuple[str, object]:
        """得分 of indicator ``i``: quantitative by direction, qualitative by tier (domain.md §2.3)."""
        s = self.s
        item = s.raw_item("ind", i)
        g = item.get
        target, actual, weight, nature = g("target"), g("actual"), g("weight"), g("nature")
        word, helper_word, manual, A = g("direction"), g("target_sense"), g("manual_score"), g("target_number")
        # the engine's value: what a reader of this cell's inputs computes
        wv = _num(weight)
        sense, score_value = _score(target, actual, word, helper_word, nature, wv, self.reverse_rule)
        value: object = "" if score_value is None else score_value
        if score_value is None and sense == "qualitative" and _num(manual) is not None and s.has("ind.manual_score"):
            value = min(max(_num(manual), 0.0), max(wv or 0.0, 0.0))
        if not self.need_formula:
            return "", value
        H, W = self.operand("ind.actual", i), self.operand("ind.weight", i)
        nat = self.operand("ind.nature", i)
        if target in (None, "") or s.target_blank(i):
            return '""', ""
        if s.has("ind.manual_score"):
            M = self.operand("ind.manual_score", i)
            man = f'IF(ISNUMBER({M}),MIN(MAX({M},0),MAX({W},0)),"")'
        else:
            man = '""'
        tier = self._tier_formula(H, W, man, self.operand("ind.target", i))
        if _num(A) is not None:
            quant_f = self._quant_formula(i, W)
            body = f'IF(ISNUMBER({H}),{quant_f},IF(ISNUMBER(FIND("定性",{nat})),{tier},""))'
        else:
            body = f'IF(ISNUMBER({H}),"",{tier})'
        return f'IF(OR(NOT(ISNUMBER({W})),TRIM({H})=""),"",{body})', value

    def _quant_formula(self, i: int, W: str) -> str:
        A = self.operand("ind.target_number", i)
        b = self._expr("ind.actual_number", i)
        sense = self._expr("ind.sense", i)
        # equal with A<>0 scores as positive (vendor selfequalindex)
        s_ = f"IF(AND({sense}=3,{A}<>0),1,{sense})"
        pos = f"IF({b}>={A},{W},IF({A}>0,MAX(0,{W}*{b}/{A}),0))"
        if self.reverse_rule == "linear":
            rev = f"IF({b}<={A},{W},IF({A}<=0,0,IF({b}<2*{A},{W}*(1-({b}-{A})/{A}),0)))"
        else:
            rev = f"IF({b}<={A},{W},IF({A}<=0,0,{W}*{A}/{b}))"
        eq = f"IF({b}<=0,{W},0)"
        return f"MIN(MAX(ROUND(CHOOSE({s_},{pos},{rev},{eq}),2),0),MAX({W},0))"

    @staticmethod
    def _tier_formula(H: str, W: str, manual: str, target: str) -> str:
        """qualitative_tier() as a formula: an actual restating its target, one-character words
        whole, then 未达成, 部分达成 and 达成 words anywhere in the text."""
        t = f"TRIM({H})"

        def any_of(name: str) -> str:
            return f"SUMPRODUCT(--ISNUMBER(FIND({name},{t})))>0"
        ok = f"ROUND({W},2)"
        return (f'IF({t}=TRIM({target}),{ok},IF(OR({t}=_xlt_words_ok),{ok},IF(OR({t}=_xlt_words_no),{manual},'
                f'IF({any_of("_xlt_words_missed")},{manual},IF({any_of("_xlt_words_partial")},{manual},'
                f'IF({any_of("_xlt_words_achieved")},{ok},""))))))')


# (sense, score) by an indicator's inputs: standard indicators ("≥95%" against "96%", 满意度,
# 定性 targets) recur across the forms of a master. Emptied when full: bounded memory.
_SCORES: dict[tuple, tuple[str | None, float | None]] = {}
_SCORES_LIMIT = 20_000


def _score(target, actual, word, helper_word, nature, weight: float | None, reverse_rule: str):
    """What xltools.core.scoring gives an indicator: (comparison sense, score value or None)."""
    key = (target, actual.__class__, actual, word, helper_word, nature, weight, reverse_rule)
    hit = _SCORES.get(key)
    if hit is None:
        used_word = word if normalise_direction(word) is not None else helper_word
        cmp = compare_values(target, actual, direction=used_word or None, nature=nature)
        hit = (cmp.sense, score_comparison(cmp, weight, reverse_rule=reverse_rule).value)
        if len(_SCORES) >= _SCORES_LIMIT:
            _SCORES.clear()
        _SCORES[key] = hit
    return hit


def _fund_sum(col: str) -> Callable:
    return lambda c, i: c.sum_of(f"fund.fiscal.{col}", f"fund.carryover.{col}", f"fund.other.{col}")


RULES: dict[str, Callable[[Calc, int | None], tuple[str, object]]] = {
    "budget.total": lambda c, i: c.sum_of("budget.fiscal", "budget.other"),
    "unit.spending_total": lambda c, i: c.sum_of("unit.basic_spending", "unit.project_spending"),
    "unit.income_total": lambda c, i: c.sum_of("unit.income_fiscal", "unit.income_other"),
    "tasks.funds_total": lambda c, i: c.column_sum("task.funds"),
    "fund.fiscal.rate": lambda c, i: c.rate("fiscal"),
    "fund.carryover.rate": lambda c, i: c.rate("carryover"),
    "fund.other.rate": lambda c, i: c.rate("other"),
    "fund.total.initial": _fund_sum("initial"),
    "fund.total.budget": _fund_sum("budget"),
    "fund.total.execution": _fund_sum("execution"),
    "fund.total.rate": lambda c, i: c.rate("total"),
    "fund.total.score": lambda c, i: c.execution_score(),
    "ind.level1_key": lambda c, i: c.level1_key(i),
    "ind.score": lambda c, i: c.indicator_score(i),
    "ind.sense": lambda c, i: c.sense(i),
    "ind.actual_number": lambda c, i: c.actual_number(i),
    "weights.total": lambda c, i: c.weights_total(),
    "score.indicators": lambda c, i: c.indicator_scores(),
    "score.total": lambda c, i: c.total_score(),
    "score.grade": lambda c, i: c.grade(),
}
_ = ACHIEVED
