"""The indicator taxonomy: both frameworks, the synonyms of domain.md §1.3, unit expectations of §4.3."""
from __future__ import annotations

import pytest

from xltools.core.taxonomy import (
    FRAMEWORKS, allowed_level1, allowed_level2, detect_framework, expected_unit_class, is_category_name,
    is_evaluation_framework, normalise_level1, normalise_level2, normalise_level3, parent_of, unit_in_name,
)


def test_frameworks_are_data():
    assert set(FRAMEWORKS) == {"2015", "2021"}
    assert "成本指标" in FRAMEWORKS["2015"]["产出指标"]
    assert "成本指标" not in FRAMEWORKS["2021"]["产出指标"]
    assert FRAMEWORKS["2021"]["成本指标"] == ("经济成本指标", "社会成本指标", "生态环境成本指标")
    assert allowed_level1("2015") == ("产出指标", "效益指标", "满意度指标")
    assert allowed_level1("2021")[0] == "成本指标"


@pytest.mark.parametrize("written,canonical,changed", [
    ("产出指标", "产出指标", False),
    ("效益指标", "效益指标", False),
    ("满意度指标", "满意度指标", False),
    ("成本指标", "成本指标", False),
    ("效果指标", "效益指标", True),          # seed 003
    ("产出指标(50分)", "产出指标", True),     # 池州, 海淀
    ("效益指标（30分）", "效益指标", True),
    ("满意度指标(10分)", "满意度指标", True),
    ("一、产出指标", "产出指标", True),
    (" 产出指标\n", "产出指标", False),      # surrounding whitespace and line breaks are layout
    ("产出 指标", "产出指标", True),
    ("数量指标", None, False),
    ("项目决策", None, False),
    ("", None, False),
    (None, None, False),
])
def test_normalise_level1(written, canonical, changed):
    assert tuple(normalise_level1(written)) == (canonical, changed)


@pytest.mark.parametrize("written,canonical,changed", [
    ("数量指标", "数量指标", False),
    ("社会效益", "社会效益指标", True),         # seed 003, bare
    ("社会效益 指标", "社会效益指标", True),    # inner space
    ("可持续影响", "可持续影响指标", True),
    ("经济效益", "经济效益指标", True),
    ("服务对象满意度", "服务对象满意度指标", True),
    ("社会公众或服务对象满意度指标", "服务对象满意度指标", True),
    ("环境效益指标", "生态效益指标", True),      # 佳县 2016
    ("进度指标", "时效指标", True),              # 黄冈 2020
    ("满意度指标", "服务对象满意度指标", True),  # 池州: 满意度指标 repeated as the 二级
    ("经济成本", "经济成本指标", True),
    ("社会成本指标", "社会成本指标", False),
    ("服务对象满\n意度指标", "服务对象满意度指标", False),  # a wrapped cell
    ("产出指标", None, False),
    ("食品抽检完成率", None, False),
])
def test_normalise_level2(written, canonical, changed):
    assert tuple(normalise_level2(written)) == (canonical, changed)


def test_normalise_level3_drops_placeholder_numbering_only():
    assert tuple(normalise_level3("指标1:食品抽检完成率")) == ("食品抽检完成率", True)
    assert tuple(normalise_level3("指标2：群众满意度")) == ("群众满意度", True)
    assert tuple(normalise_level3("预算执行率 (%)")) == ("预算执行率(%)", False)
    assert normalise_level3("  ").canonical is None


def test_detect_framework():
    assert detect_framework([("产出指标", "数量指标"), ("效果指标", "社会效益"), ("满意度指标", "服务对象满意度")]) == "2015"
    assert detect_framework([("产出指标", "成本指标")]) == "2015"
    assert detect_framework([("成本指标", "经济成本指标"), ("产出指标", "数量指标")]) == "2021"
    assert detect_framework([("成本指标(20分)", "")]) == "2021"
    assert detect_framework([("产出指标", "社会成本")]) == "2021"  # a new-framework 二级, even misplaced
    assert detect_framework([]) == "2015"


def test_allowed_and_parent():
    assert allowed_level2("效果指标", "2015") == FRAMEWORKS["2015"]["效益指标"]
    assert allowed_level2("产出指标", "2021") == ("数量指标", "质量指标", "时效指标")
    assert allowed_level2("不存在", "2015") == ()
    assert parent_of("成本指标", "2015") == "产出指标"
    assert parent_of("成本指标", "2021") is None
    assert parent_of("经济成本", "2021") == "成本指标"
    assert parent_of("经济成本指标", "2015") is None
    assert parent_of("满意度指标", "2015") == "满意度指标"  # as a 二级 it means 服务对象满意度指标
    assert parent_of("进度指标", "2021") == "产出指标"


@pytest.mark.parametrize("text,expected", [
    ("质量指标", True), ("时效指标", True), ("成本指标", True), ("经济效益指标", True), ("效益指标", True),
    ("服务对象满意度指标", True), ("社会成本指标", True), ("满意度指标", True), ("效果指标", True),
    ("社会效益", True),
    ("服务对象满意度", False),  # also a plausible 三级 name
    ("食品抽检完成率", False), ("预算执行率 (%)", False), ("", False), (None, False),
])
def test_is_category_name(text, expected):
    assert is_category_name(text) is expected


def test_evaluation_framework_is_recognised():
    assert is_evaluation_framework(["项目决策", "项目过程", "项目产出", "项目效益"])
    assert not is_evaluation_framework(["产出指标", "效益指标"])


@pytest.mark.parametrize("name,cls", [
    ("工资及保险发放准确率", "percent"), ("食品抽检完成率", "percent"), ("预算执行率 (%)", "percent"),
    ("不合格产品整改率（%）", "percent"), ("服务对象对食品安全工作总体满意度", "percent"),
    ("特种设备安全培训覆盖率达到", "percent"), ("双随机抽查辖区企业比例", "percent"), ("成本节约率 (%)", "percent"),
    ("支付工资及保险人员数量", "count"), ("市场专项整治行动次数", "count"), ("药品不良反应报告数", "count"),
    ("管理车辆数（辆）", "count"), ("开展药品安全应急演练次数（场）", "count"),
    ("重点产业知识产权运营基金年度投资金额", "money"), ("市级食品安全监督抽检平均成本", "money"),
    ("项目控制预算数", "money"), ("知识产权质押融资额（元）", "money"),
    ("工业产品许可证企业证后监管审查完成时间", "date"),
    ("注册许可业务的表格的印刷质量", None), ("价格指数", None), ("提高工作效率", None), ("", None),
])
def test_expected_unit_class(name, cls):
    assert expected_unit_class(name) == cls


@pytest.mark.parametrize("name,unit", [
    ("管理车辆数（辆）", "辆"), ("预算执行率 (%)", "%"), ("知识产权质押融资额（元）", "元"),
    ("分析报告数量（份）", "份"), ("提供知识产权公益服务（次数）", "次"), ("开展药品安全应急演练次数（场）", "场"),
    ("食品级食品相关产品生产企业飞行检查家（次）", "家（次）"), ("采购金额(单位：万元)", "万元"),
    ("示范区（试点）建设完成率", None), ("对药品生产、批发（连锁总部）企业检查覆盖率", None), ("食品检验量", None),
])
def test_unit_in_name(name, unit):
    assert unit_in_name(name) == unit
