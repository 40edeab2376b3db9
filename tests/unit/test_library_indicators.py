"""Plan indicators in the YAML: measure, numeric target, dates and level are checked with file, line and field."""
from __future__ import annotations

from tests.unit.test_library import copy, corrupt, find, problems_of  # noqa: F401 — `copy` is a fixture

NL_PLAN = "plans/ngoc-lac-asxh-2026/plan.yaml"


def test_indicator_target_must_be_a_number_and_a_percentage_at_most_100(copy):
    content, schedules = copy
    line = corrupt(content / NL_PLAN, "      target: 100\n      baseline: 0", "      target: 120\n      baseline: 0")
    corrupt(content / NL_PLAN, "      target: 42", "      target: bốn mươi hai tổ")
    problems = problems_of(content, schedules)
    over = find(problems, NL_PLAN, "details.indicators[1].target")
    assert over.line == line and "100%" in over.reason
    assert "không phải là một số" in find(problems, NL_PLAN, "details.indicators[4].target").reason


def test_indicator_measure_level_and_denominator_are_checked(copy):
    content, schedules = copy
    corrupt(content / NL_PLAN, "      measure: percentage\n      numerator: Số công dân đã tích hợp tài khoản ASXH\n"
                               "      denominator: Số công dân đủ điều kiện tích hợp\n",
            "      measure: ratio\n")
    corrupt(content / NL_PLAN, "      level: commune", "      level: district")
    problems = problems_of(content, schedules)
    assert "cách đo 'ratio'" in find(problems, NL_PLAN, "details.indicators[1].measure").reason
    assert "cấp ghi nhận 'district'" in find(problems, NL_PLAN, "details.indicators[4].level").reason


def test_percentage_indicator_without_a_denominator_is_refused(copy):
    content, schedules = copy
    corrupt(content / NL_PLAN, "      denominator: Số công dân đủ điều kiện tích hợp\n", "")
    problems = problems_of(content, schedules)
    assert "mẫu số" in find(problems, NL_PLAN, "details.indicators[1].denominator").reason
