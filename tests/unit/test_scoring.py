"""Table-driven tests of pure scoring: item kinds, the ethics veto, pass mark."""

from __future__ import annotations

import ast
import sys
from fractions import Fraction
from pathlib import Path

import pytest

from certexam.domain.scoring import compile_form, item_points, mark_void, score_attempt, score_row
from certexam.domain.scoring_types import (
    BELOW_PASS_MARK,
    ETHICS_VETO,
    FAIL,
    MARKING_INCOMPLETE,
    MISCONDUCT,
    PASS,
    PENDING,
    VOID,
    Response,
    ScoringItem,
    ScoringPolicy,
)

F = Fraction


def sc(item_id: str, key: str = "A", module: str = "L1-FIN", **kw: object) -> ScoringItem:
    return ScoringItem(item_id, module, module.endswith("ETH"), "single_choice", key, **kw)  # type: ignore[arg-type]


def eth(item_id: str, key: str = "A", **kw: object) -> ScoringItem:
    return sc(item_id, key, module="L1-ETH", **kw)


THREE_FIFTHS, HALF = F(3, 5), F(1, 2)


def cut(min_rate: Fraction = THREE_FIFTHS, mark: Fraction = HALF, **kw: object) -> ScoringPolicy:
    return ScoringPolicy("cut_score", min_rate, pass_mark=mark, **kw)  # type: ignore[arg-type]


def points(items: list[ScoringItem], responses: dict[str, Response]) -> dict[str, Fraction | None]:
    form = compile_form(items, cut(F(0)))
    return item_points(form, score_row(form, responses))


# --- item kinds ----------------------------------------------------------------

MR = ScoringItem("M", "L1-FIN", False, "multiple_response", frozenset("ABC"))
MR_PARTIAL = ScoringItem("M", "L1-FIN", False, "multiple_response", frozenset("ABC"), partial_credit=True)
MR_PARTIAL_2PT = ScoringItem(
    "M", "L1-FIN", False, "multiple_response", frozenset("AC"), 2, partial_credit=True
)
TF = ScoringItem("T", "L1-FIN", False, "true_false", False)
CR = ScoringItem("C", "L2-AI", False, "constructed", None, 10)


@pytest.mark.parametrize(
    ("item", "answer", "expected"),
    [
        (sc("S", "B"), "B", F(1)),
        (sc("S", "B"), "A", F(0)),
        (sc("S", "B"), None, F(0)),
        (sc("S", "B"), frozenset("B"), F(0)),  # wrong type earns nothing
        (TF, False, F(1)),
        (TF, True, F(0)),
        (TF, None, F(0)),
        (TF, "false", F(0)),
        (MR, frozenset("ABC"), F(1)),
        (MR, frozenset("AB"), F(0)),  # all-or-nothing by default
        (MR, frozenset("ABCD"), F(0)),
        (MR, frozenset(), F(0)),
        (MR_PARTIAL, frozenset("ABC"), F(1)),
        (MR_PARTIAL, frozenset("AB"), F(2, 3)),
        (MR_PARTIAL, frozenset("ABD"), F(1, 3)),  # (2 right - 1 wrong) / 3 keys
        (MR_PARTIAL, frozenset("ABCD"), F(2, 3)),
        (MR_PARTIAL, frozenset("ADE"), F(0)),  # floored at 0, never negative
        (MR_PARTIAL, frozenset("ABCDEFGH"), F(0)),  # ticking everything earns nothing
        (MR_PARTIAL, frozenset(), F(0)),
        (MR_PARTIAL, "A", F(0)),
        (MR_PARTIAL_2PT, frozenset("A"), F(1)),
        (MR_PARTIAL_2PT, frozenset("AB"), F(0)),
        (CR, 7, F(7)),
        (CR, 0, F(0)),
        (CR, 10, F(10)),
        (CR, None, None),  # answered, awaiting marks
    ],
)
def test_item_scores(item: ScoringItem, answer: Response, expected: Fraction | None) -> None:
    assert points([item], {item.item_id: answer}) == {item.item_id: expected}


def test_unanswered_constructed_scores_zero_without_marking() -> None:
    assert points([CR], {}) == {"C": F(0)}


@pytest.mark.parametrize(
    ("marks", "error"), [(11, ValueError), (-1, ValueError), (True, TypeError), ("7", TypeError)]
)
def test_bad_marks_are_rejected(marks: Response, error: type[Exception]) -> None:
    with pytest.raises(error):
        points([CR], {"C": marks})


# --- the ethics gate and the pass mark (cut-score rule) --------------------------

FIVE_ETHICS = [eth(f"E{i}") for i in range(5)]
FIVE_OTHER = [sc(f"G{i}") for i in range(5)]
FORM = FIVE_ETHICS + FIVE_OTHER


def answers(ethics_right: int, other_right: int) -> dict[str, Response]:
    got: dict[str, Response] = {f"E{i}": "A" if i < ethics_right else "B" for i in range(5)}
    got.update({f"G{i}": "A" if i < other_right else "B" for i in range(5)})
    return got


@pytest.mark.parametrize(
    ("ethics_right", "other_right", "policy", "status", "reasons"),
    [
        (3, 5, cut(F(3, 5)), PASS, ()),  # exactly at the ethics minimum passes the gate
        (2, 5, cut(F(3, 5)), FAIL, (ETHICS_VETO,)),  # one ethics item below: veto despite 7/10
        (2, 5, cut(F(3, 5), F(0)), FAIL, (ETHICS_VETO,)),  # veto even with a zero pass mark
        (3, 2, cut(F(3, 5), F(1, 2)), PASS, ()),  # 5/10 exactly at the pass mark
        (3, 1, cut(F(3, 5), F(1, 2)), FAIL, (BELOW_PASS_MARK,)),  # one point below it
        (2, 0, cut(F(3, 5), F(1, 2)), FAIL, (ETHICS_VETO, BELOW_PASS_MARK)),
        (5, 5, cut(F(1), F(1)), PASS, ()),  # a minimum of 100% is reachable
        (4, 5, cut(F(1), F(0)), FAIL, (ETHICS_VETO,)),
        (0, 5, cut(F(0), F(1, 2)), PASS, ()),  # no ethics minimum: no veto
    ],
)
def test_gate_and_pass_mark(
    ethics_right: int, other_right: int, policy: ScoringPolicy, status: str, reasons: tuple[str, ...]
) -> None:
    outcome = score_attempt(FORM, answers(ethics_right, other_right), policy)
    assert (outcome.status, outcome.reasons) == (status, reasons)
    assert outcome.ethics_rate == F(ethics_right, 5)
    assert outcome.passed_ethics_gate is (ETHICS_VETO not in reasons)
    assert outcome.total == ethics_right + other_right and outcome.max_total == 10


def test_exact_arithmetic_at_a_boundary_floats_would_miss() -> None:
    # 7 of 10 ethics points, half of them from partial credit on 3-key items
    # (1/3 + 2/3 ...): 0.7 in floats is not exactly 7/10.
    items = [eth(f"E{i}") for i in range(7)] + [
        ScoringItem(f"P{i}", "L1-ETH", True, "multiple_response", frozenset("ABC"), partial_credit=True)
        for i in range(3)
    ]
    responses: dict[str, Response] = {f"E{i}": "A" for i in range(6)}
    responses.update({"P0": frozenset("AB"), "P1": frozenset("A"), "P2": frozenset()})  # 2/3 + 1/3 + 0
    outcome = score_attempt(items, responses, cut(F(7, 10), F(0)))
    assert outcome.ethics_rate == F(7, 10)
    assert outcome.status == PASS
    responses["P1"] = frozenset()
    assert score_attempt(items, responses, cut(F(7, 10), F(0))).reasons == (ETHICS_VETO,)


def test_empty_attempt() -> None:
    outcome = score_attempt(FORM, {}, cut())
    assert (outcome.status, outcome.reasons) == (FAIL, (ETHICS_VETO, BELOW_PASS_MARK))
    assert outcome.total == 0 and outcome.ethics_rate == 0
    assert [m.rate for m in outcome.modules] == [0, 0]
    lenient = score_attempt(FORM, {}, cut(F(0), F(0)))
    assert lenient.status == PASS


def test_empty_attempt_with_constructed_items_needs_no_marking() -> None:
    outcome = score_attempt([eth("E0"), CR], {}, cut())
    assert outcome.complete and outcome.status == FAIL and outcome.max_total == 11


# --- ethics everywhere: item sets and constructed responses ----------------------

ETH_SET = [
    eth("E1"),
    eth("E2"),
    ScoringItem("S1", "L2-ETH", True, "single_choice", "A", set_id="CASE1"),
    ScoringItem("S2", "L2-ETH", True, "true_false", True, set_id="CASE1"),
    ScoringItem("S3", "L2-GEN", False, "single_choice", "C", set_id="CASE1"),  # same set, not ethics
    ScoringItem("Q", "L2-ETH", True, "constructed", None, 4),
    ScoringItem("P", "L2-AI", False, "constructed", None, 10),
]


# The ethics rate counts questions (issue 18, rules s.1 "最低正确率", s.2 "equal weight per question"):
# five ethics questions here (E1, E2, two set children, the 4-point Q), each weighing one; Q
# counts its marks / 4. Under the old points rule Q weighed four of eight.
@pytest.mark.parametrize(
    ("set_right", "q_marks", "status", "rate"),
    [
        (2, 2, PASS, F(9, 10)),  # 4 + 2/4 of 5 (points: 6 of 8)
        (2, 1, PASS, F(17, 20)),  # 4 + 1/4 of 5 (points: 5 of 8, a veto)
        (2, 0, PASS, F(4, 5)),  # a blank-marked short answer is one question lost, not four
        (1, 2, FAIL, F(7, 10)),  # one set child wrong: 3 + 2/4 of 5 < 3/4
        (1, 1, FAIL, F(13, 20)),
        (1, 4, PASS, F(4, 5)),
        (2, 4, PASS, F(1)),
    ],
)
def test_ethics_counts_set_children_and_constructed(
    set_right: int, q_marks: int, status: str, rate: Fraction
) -> None:
    responses: dict[str, Response] = {"E1": "A", "E2": "A", "S1": "A", "S2": set_right == 2, "S3": "C"}
    responses.update({"Q": q_marks, "P": 10})
    outcome = score_attempt(ETH_SET, responses, cut(F(3, 4), F(0)))
    assert outcome.ethics_rate == rate
    assert outcome.status == status
    assert outcome.ethics_questions_units == 5 * 4 * 840  # five questions; lcm of 1 and 4 points is 4 points
    assert outcome.module("L2-ETH").available == 6 and outcome.module("L2-GEN").earned == 1


def test_unmarked_ethics_leaves_gate_unknown() -> None:
    responses: dict[str, Response] = {"E1": "A", "E2": "A", "S1": "A", "S2": True, "Q": None, "P": 3}
    outcome = score_attempt(ETH_SET, responses, cut(F(3, 4), F(0)))
    assert (outcome.status, outcome.reasons) == (PENDING, (MARKING_INCOMPLETE,))
    assert outcome.passed_ethics_gate is None and outcome.ethics_rate is None
    assert outcome.module("L2-ETH").rate is None and outcome.module("L2-AI").rate == F(3, 10)


def test_veto_is_final_before_other_marking_ends() -> None:
    responses: dict[str, Response] = {"E1": "B", "E2": "B", "S1": "B", "S2": False, "Q": 0, "P": None}
    outcome = score_attempt(ETH_SET, responses, cut(F(3, 4), F(0)))
    assert (outcome.status, outcome.reasons) == (FAIL, (ETHICS_VETO,))
    assert not outcome.complete and outcome.total_rate is None


# --- voided items -----------------------------------------------------------------


def test_voided_item_leaves_numerator_and_denominator() -> None:
    items = [*FIVE_ETHICS[:4], eth("E4", voided=True), *FIVE_OTHER]
    # Right on the voided item, 2 of the other 4: 2/4 < 3/5 although 3/5 counting it.
    responses = answers(2, 5) | {"E4": "A"}
    outcome = score_attempt(items, responses, cut())
    assert outcome.ethics_rate == F(1, 2) and outcome.status == FAIL
    assert outcome.max_total == 9 and outcome.total == 7
    # Voiding an item the candidate got wrong raises their rate: 3/4.
    outcome = score_attempt(items, answers(3, 5) | {"E4": "B"}, cut())
    assert outcome.ethics_rate == F(3, 4) and outcome.status == PASS


def test_form_needs_scorable_and_ethics_items() -> None:
    with pytest.raises(ValueError, match="ethics"):
        compile_form([eth("E0", voided=True), sc("G0")], cut())
    with pytest.raises(ValueError, match="no scorable"):
        compile_form([sc("G0", voided=True)], cut(F(0)))
    assert compile_form([sc("G0")], cut(F(0))).columns  # no minimum, no ethics items: fine


# --- choose k of n (proposal scenarios) ------------------------------------------

PROPOSALS = [
    ScoringItem(f"P{i}", "L2-AI", False, "constructed", None, 10, choice_group="PROP") for i in range(1, 6)
]
TWO_OF_FIVE = cut(F(0), F(1, 2), choice_groups={"PROP": 2})


@pytest.mark.parametrize(
    ("responses", "counted", "total"),
    [
        ({"P1": 8, "P3": 6}, {"P1": 8, "P3": 6}, 14),
        ({"P2": 5, "P4": 9, "P5": None}, {"P2": 5, "P4": 9}, 14),  # extra answer not marked, not counted
        ({}, {"P1": 0, "P2": 0}, 0),
        ({"P4": 9}, {"P1": 0, "P4": 9}, 9),  # the first unanswered makes up two
    ],
)
def test_choice_group_counts_first_k_answered(
    responses: dict[str, Response], counted: dict[str, int], total: int
) -> None:
    form = compile_form(PROPOSALS, TWO_OF_FIVE)
    assert item_points(form, score_row(form, responses)) == counted
    outcome = score_attempt(PROPOSALS, responses, TWO_OF_FIVE)
    assert outcome.complete and outcome.total == total and outcome.max_total == 20
    assert form.nominal_max_units == 20 * 840


def test_choice_groups_must_match() -> None:
    with pytest.raises(ValueError, match="choice groups"):
        compile_form(PROPOSALS, cut(F(0)))
    with pytest.raises(ValueError, match="choice groups"):
        compile_form([sc("G")], cut(F(0), choice_groups={"PROP": 2}))


# --- idempotence and validation -----------------------------------------------------


def test_rescoring_is_idempotent_and_order_free() -> None:
    responses = answers(3, 4)
    first = score_attempt(FORM, responses, cut())
    again = score_attempt(FORM, dict(reversed(list(responses.items()))), cut())
    assert first == again == score_attempt(list(FORM), dict(responses), cut())


@pytest.mark.parametrize(
    "make",
    [
        lambda: ScoringItem("X", "M", False, "single_choice", frozenset("A")),
        lambda: ScoringItem("X", "M", False, "true_false", "true"),
        lambda: ScoringItem("X", "M", False, "multiple_response", frozenset("ABCDEFGHI")),
        lambda: ScoringItem("X", "M", False, "constructed", "A"),
        lambda: ScoringItem("X", "M", False, "single_choice", "A", 0),
        lambda: ScoringItem("X", "M", False, "single_choice", "A", partial_credit=True),
        lambda: ScoringItem("X", "M", False, "constructed", None, 5, set_id="S"),
        lambda: ScoringItem("X", "M", False, "essay", None),  # type: ignore[arg-type]
        lambda: ScoringPolicy("cut_score", F(1, 2)),
        lambda: ScoringPolicy("ranked", F(1, 2)),
        lambda: ScoringPolicy("cut_score", F(3, 2), pass_mark=F(1, 2)),
        lambda: ScoringPolicy("cut_score", 0.5, pass_mark=F(1, 2)),  # type: ignore[arg-type]
        lambda: ScoringPolicy("lottery", F(1, 2), pass_mark=F(1, 2)),  # type: ignore[arg-type]
        lambda: cut(choice_groups={"P": 0}),
        lambda: compile_form([sc("A1"), sc("A1")], cut(F(0))),
    ],
)
def test_invalid_inputs_are_rejected(make: object) -> None:
    with pytest.raises(ValueError):
        make()  # type: ignore[operator]


def test_module_results_in_form_order_with_rates() -> None:
    outcome = score_attempt(FORM, answers(4, 1), cut())
    assert [(m.module, m.rate) for m in outcome.modules] == [("L1-ETH", F(4, 5)), ("L1-FIN", F(1, 5))]
    with pytest.raises(KeyError):
        outcome.module("L1-NOPE")


def test_misconduct_voids_whatever_the_scores() -> None:
    voided = mark_void(score_attempt(FORM, answers(5, 5), cut()))
    assert (voided.status, voided.reasons) == (VOID, (MISCONDUCT,))
    assert voided.total == 10  # the scores stay on record for the committee


@pytest.mark.parametrize(
    "name", ["scoring", "scoring_form", "scoring_types", "ranking", "psychometrics", "item_analysis"]
)
def test_domain_modules_import_only_stdlib_and_domain(name: str) -> None:
    path = Path(__file__).resolve().parents[2] / "certexam" / "domain" / f"{name}.py"
    tree = ast.parse(path.read_text(encoding="utf-8"))
    imported = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    imported |= {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    foreign = {m for m in imported if m.split(".")[0] not in sys.stdlib_module_names}
    assert foreign <= {
        "certexam.domain.scoring",
        "certexam.domain.scoring_form",
        "certexam.domain.scoring_types",
        "certexam.domain.psychometrics",
        "certexam.domain.reliability",  # random-forms reliability (issue 21)
    }
