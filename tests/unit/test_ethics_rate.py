"""The ethics correct rate counts questions, not points (issue 18).

rules s.1: the ethics module has a minimum *correct rate* (设置最低正确率要求) with a one-vote veto;
rules s.2: "equal weight per question". Every ethics question weighs one; a constructed (or
partial-credit) ethics answer counts its points / its maximum, as a fraction of one question.
Before this rule one 10-point short answer outweighed ten single-choice questions.
"""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from certexam.domain.scoring import compile_form, item_points, score_attempt, score_row
from certexam.domain.scoring_types import ETHICS_VETO, FAIL, PASS, Response, ScoringItem, ScoringPolicy
from tests.unit.test_scoring_properties import SETTINGS, attempts, forms

F = Fraction
TEN = [ScoringItem(f"E{i}", "L2-ETH", True, "single_choice", "A") for i in range(10)]
SHORT = ScoringItem("Q", "L2-ETH", True, "constructed", None, 10)  # a 10-point ethics short answer
OTHER = ScoringItem("G", "L2-GEN", False, "constructed", None, 10)  # not ethics: never in the rate
PARTIAL = ScoringItem("M", "L2-ETH", True, "multiple_response", frozenset("AC"), 2, partial_credit=True)


def cut(minimum: Fraction) -> ScoringPolicy:
    return ScoringPolicy("cut_score", minimum, pass_mark=F(0))


def right(n: int) -> dict[str, Response]:
    return {f"E{i}": "A" if i < n else "B" for i in range(10)}


@pytest.mark.parametrize(
    ("items", "responses", "minimum", "rate", "status"),
    [
        # The case: ten single choices right, the short answer blank-marked. Points: 10 of 20.
        ([*TEN, SHORT], right(10) | {"Q": 0}, F(3, 5), F(10, 11), PASS),
        # ... and the other way round: one good short answer no longer carries ten wrong choices.
        ([*TEN, SHORT], right(0) | {"Q": 10}, F(1, 2), F(1, 11), FAIL),
        ([*TEN, SHORT], right(6) | {"Q": 5}, F(3, 5), F(13, 22), FAIL),  # 6.5 of 11 < 3/5 (points 11/20 too)
        ([*TEN, SHORT], right(6) | {"Q": 7}, F(3, 5), F(67, 110), PASS),  # 6.7 of 11 >= 3/5 (points: 13/20)
        ([*TEN, SHORT], right(6), F(3, 5), F(6, 11), FAIL),  # not answered: a question with nothing
        # exactly at the minimum passes (inclusive): 3 of 5, with the short answer at 0
        ([*TEN[:4], SHORT], right(3) | {"Q": 0}, F(3, 5), F(3, 5), PASS),
        # a partial-credit ethics item counts its share of one question: 1 of 2 points is half
        ([*TEN[:1], PARTIAL], {"E0": "A", "M": frozenset("A")}, F(3, 4), F(3, 4), PASS),
        ([*TEN[:1], PARTIAL], {"E0": "B", "M": frozenset("A")}, F(1, 4), F(1, 4), PASS),
        # a non-ethics item of any weight never moves the ethics rate
        ([*TEN[:2], OTHER], {"E0": "A", "E1": "B", "G": 10}, F(1, 2), F(1, 2), PASS),
        ([*TEN[:2], OTHER], {"E0": "B", "E1": "B", "G": 10}, F(1, 2), F(0), FAIL),
    ],
)
def test_each_ethics_question_weighs_one(items: list[ScoringItem], responses: dict[str, Response],
                                         minimum: Fraction, rate: Fraction, status: str) -> None:
    outcome = score_attempt(items, responses, cut(minimum))
    assert outcome.ethics_rate == rate
    assert outcome.status == status and (ETHICS_VETO in outcome.reasons) == (status == FAIL)
    # the total still counts points: the rule is about the ethics rate, not the score
    assert outcome.max_total == sum(it.max_points for it in items)


def test_a_voided_ethics_question_leaves_the_count() -> None:
    items = [*TEN[:3], ScoringItem("Q", "L2-ETH", True, "constructed", None, 10, voided=True)]
    outcome = score_attempt(items, right(2) | {"Q": 10}, cut(F(2, 3)))
    assert outcome.ethics_rate == F(2, 3) and outcome.status == PASS


def test_an_unmarked_ethics_answer_leaves_the_rate_unknown() -> None:
    outcome = score_attempt([*TEN, SHORT], right(10) | {"Q": None}, cut(F(3, 5)))
    assert outcome.ethics_rate is None and outcome.passed_ethics_gate is None


@SETTINGS
@given(data=st.data(), form=forms())
def test_the_rate_is_the_mean_of_each_ethics_questions_share(
    data: st.DataObject, form: tuple[list[ScoringItem], dict[str, int]]
) -> None:
    """An independent oracle: the counted ethics items' points / max points, averaged."""
    items, groups = form
    policy = ScoringPolicy("cut_score", F(0), pass_mark=F(0), choice_groups=groups)
    responses = data.draw(attempts(items))
    compiled = compile_form(items, policy)
    points = item_points(compiled, score_row(compiled, responses))
    shares = [points[it.item_id] / it.max_points for it in compiled.columns
              if it.is_ethics and it.item_id in points]
    expected = sum(shares, F(0)) / len(shares)  # type: ignore[operator]
    assert score_attempt(items, responses, policy).ethics_rate == expected
