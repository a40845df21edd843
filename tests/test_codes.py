"""The code registry's builders: findings made without the dataclass's __init__, messages cut around a field."""
from __future__ import annotations

import dataclasses
import pickle

import pytest

from xltools.core import codes
from xltools.core.codes import REGISTRY, finding, make, message_parts
from xltools.core.findings import Finding, Severity


def test_a_finding_made_without_init_is_the_constructors_finding():
    args = ("target-placeholder", Severity.ERROR, "表1", "F5", 5, "指标“x”的指标值“是/否”是未填写的占位符", None)
    fast, slow = finding(*args), Finding(*args)
    assert list(vars(fast)) == [f.name for f in dataclasses.fields(Finding)]  # every field, in order
    assert fast == slow and hash(fast) == hash(slow) and repr(fast) == repr(slow)
    assert fast.to_dict() == slow.to_dict()
    assert pickle.loads(pickle.dumps(fast)) == slow
    with pytest.raises(dataclasses.FrozenInstanceError):
        fast.row = 6


def test_make_renders_as_before():
    f = make("unit-mismatch", sheet="S", cell="D3", row=3, expected="百分比（%）", name="覆盖率", unit="人")
    assert f == Finding("unit-mismatch", Severity.ERROR, "S", "D3", 3,
                        "指标“覆盖率”的单位“人”与指标名称不符（应为百分比（%））", "百分比（%）")


# Field values with braces and the markers str.format reads: the parts must hold them as text.
VALUES = {"value": "{x}!r", "unit": "%", "expected": 5, "detail": "（{0}）", "column": "大于", "source": "计量单位",
          "where": "指标值", "nature": "定性", "actual": "文字", "why": "得分低于分值", "reason": "为空"}


@pytest.mark.parametrize("code", sorted(c.code for c in REGISTRY.values() if "{name}" in c.template))
@pytest.mark.parametrize("name", ["覆盖率", "", "{name}", "a}{b"])
def test_message_parts_joined_with_a_name_give_makes_message(code, name):
    template = REGISTRY[code].template
    fields = {k: v for k, v in VALUES.items() if "{" + k + "}" in template and k != "expected"}
    for k in {f for _, f, _, _ in codes._parse_template(template) if f and f not in {*fields, "name", "expected"}}:
        fields[k] = f"<{k}>"
    parts = message_parts(code, "name", expected="应为", **fields)
    assert name.join(parts) == make(code, sheet="", cell="", row=0, expected="应为", name=name, **fields).message


def test_message_parts_decline_a_template_they_cannot_cut(monkeypatch):
    monkeypatch.setitem(REGISTRY, "trivial-target", dataclasses.replace(REGISTRY["trivial-target"],
                                                                        template="{name!r}：{value:>5}"))
    assert message_parts("trivial-target", "name", value="x") is None
