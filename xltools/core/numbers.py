"""Numbers as Excel sees them: ROUND half-up on 15 significant digits, and numbers typed as text."""
from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable
from decimal import Context, Decimal, ROUND_HALF_UP, InvalidOperation

_SIGNIFICANT_15 = Context(prec=15, rounding=ROUND_HALF_UP)
# Wide enough for any float to any place: quantizing 1e308 to 0.01 needs 311 digits, which the
# default context (28) refuses with InvalidOperation.
_WIDE = Context(prec=400, rounding=ROUND_HALF_UP)

_NUMBER_TEXT = re.compile(r"^[+-]?(\d{1,3}(,\d{3})+|\d+)?(\.\d+)?$")


def excel_round(x: float, digits: int = 0) -> float:
    """Excel's ROUND: the value to 15 significant digits, then half away from zero.

    Python's round() is half-to-even on binary floats and disagrees with Excel
    (and LibreOffice) on about a quarter of two-decimal scores.
    """
    if x is None or not math.isfinite(x):
        return x
    if x == 0:
        return 0.0
    if digits >= 0 and type(x) is float and x.is_integer() and -1e15 < x < 1e15:
        return x  # a whole number below 15 digits: Excel shows and rounds it as it is (weights, totals)
    d = Decimal(repr(float(x)))
    # Excel first shows the number to 15 significant digits: 0.285 * 100 stays 28.5.
    d = _SIGNIFICANT_15.plus(d)  # half-up at the 15th digit too, as LibreOffice does
    q = Decimal(1).scaleb(-digits)
    sign = -1 if d < 0 else 1
    rounded = sign * float(abs(d).quantize(q, rounding=ROUND_HALF_UP, context=_WIDE))
    return rounded if math.isfinite(rounded) else x  # 15 digits of the largest floats overflow


def exact_sum(values: Iterable[float]) -> float:
    """``math.fsum`` of ``values``, which never raises.

    fsum raises OverflowError once a partial sum passes the largest float (two weights of 1e308)
    and ValueError on inf − inf; such a total is then the plain sum (±inf or nan), which no
    printed value equals and which nothing writes into a cell.
    """
    values = list(values)
    try:
        return math.fsum(values)
    except (OverflowError, ValueError):
        return sum(values, 0.0)


def fold_width(text: str) -> str:
    """Full-width ASCII to half-width (１２３，％ → 123,%), leaving CJK alone."""
    return unicodedata.normalize("NFKC", text) if any("\uff01" <= ch <= "\uff5e" or ch == "\u3000" for ch in text) else text


def to_number(value: object) -> float | None:
    """A cell value as a number, or None. Accepts numbers stored as text ("11,789.83", "８５").

    Percent text ("81.26%") becomes the fraction 0.8126, as Excel does when you type it.
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value) if math.isfinite(value) else None
    if not isinstance(value, str):
        return None
    text = fold_width(value).strip().replace(" ", "")
    if not text:
        return None
    percent = text.endswith("%")
    if percent:
        text = text[:-1]
    if not _NUMBER_TEXT.match(text) or not any(ch.isdigit() for ch in text):
        return None
    try:
        number = float(Decimal(text.replace(",", "")))
    except (InvalidOperation, ValueError):
        return None
    return number / 100 if percent else number


def fmt_number(x: float, digits: int = 2, thousands: bool = True) -> str:
    """Render like Excel's #,##0.00 (half-up)."""
    r = excel_round(x, digits)
    return f"{r:,.{digits}f}" if thousands else f"{r:.{digits}f}"


def fmt_percent(fraction: float, digits: int = 2) -> str:
    """Render a fraction like Excel's 0.00% (half-up)."""
    return f"{excel_round(fraction * 100, digits):.{digits}f}%"
