"""One code registry: every code a family declares is registered, and the checks.md contract holds."""
import re
from pathlib import Path

import pytest

from xltools.core import codes
from xltools.core.findings import Severity
from xltools.rules import FAMILIES

# The public contract of ../shared/checks.md, copied so the test runs without shared/.
CONTRACT = {
    "table-not-found": "error", "misaligned-row": "warning", "empty-indicator-row": "warning",
    "unknown-level1": "error", "unknown-level2": "error", "level2-wrong-parent": "error",
    "mixed-framework": "warning", "missing-category": "warning", "duplicate-indicator": "warning",
    "name-not-normalised": "info", "target-missing": "error", "target-placeholder": "error",
    "target-unparseable": "warning", "unit-mismatch": "error", "unit-column-conflict": "warning",
    "direction-conflict": "error", "nature-conflict": "warning", "percent-out-of-range": "warning",
    "trivial-target": "warning", "not-normalised": "info", "execution-rate-missing": "warning",
    "execution-rate-mismatch": "error", "execution-over-budget": "warning", "total-mismatch": "error",
    "execution-score-mismatch": "error", "subrow-scored": "warning", "plan-not-cumulative": "warning",
    "plan-not-complete": "warning", "actual-missing": "error", "actual-unparseable": "warning",
    "score-over-weight": "error", "score-mismatch": "warning", "reason-missing": "warning",
    "weights-sum": "error", "weights-split": "info", "total-score-mismatch": "error", "grade-mismatch": "error",
}


def test_contract_codes_are_registered_with_their_severity():
    for code, severity in CONTRACT.items():
        assert code in codes.REGISTRY, code
        assert codes.REGISTRY[code].severity is Severity(severity), code


def test_codes_are_kebab_case_and_families_declare_registered_codes():
    for code in codes.REGISTRY:
        assert re.fullmatch(r"[a-z][a-z0-9]*(-[a-z0-9]+)*", code)
    declared = set()
    for family in FAMILIES:
        for code in family.CODES:
            assert code in codes.REGISTRY, f"{family.__name__} declares unregistered {code}"
        declared |= set(family.CODES)
    # every contract code can be emitted by some family (table-not-found by the engine)
    missing = set(CONTRACT) - declared - {"table-not-found"}
    assert not missing, f"no family emits {sorted(missing)}"


def test_an_unregistered_code_cannot_be_emitted():
    with pytest.raises(KeyError):
        codes.make("no-such-code", sheet="S", cell="A1", row=1)


def test_make_renders_the_chinese_template_once():
    f = codes.make("execution-rate-mismatch", sheet="表", cell="E4", row=4, expected="100.00%",
                   printed="0.00%", execution="11,789.83", budget="11,789.83")
    assert f.message == "执行率 0.00% 与 全年执行数/全年预算数（11,789.83/11,789.83）不符，应为 100.00%"
    assert f.expected == "100.00%" and f.severity is Severity.ERROR


def test_selection_by_code_and_family():
    assert codes.resolve_selection(["targets"], []) == {c for c, s in codes.REGISTRY.items() if s.family == "targets"}
    assert "target-missing" not in codes.resolve_selection([], ["target-missing"])
    with pytest.raises(ValueError):
        codes.resolve_selection(["bogus"], [])
