"""Property tests: the veto is never overridden, improving an ethics answer
never costs its candidate a pass, and re-scoring is idempotent."""

from __future__ import annotations

from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from certexam.domain.ranking import RankingEntry, rank_sitting
from certexam.domain.scoring import compile_form, score_attempt, score_attempts
from certexam.domain.scoring_types import (
    ETHICS_VETO,
    FAIL,
    ITEM_KINDS,
    PASS,
    Response,
    ScoringItem,
    ScoringPolicy,
)

KEYS = "ABCDE"
rates = st.fractions(min_value=0, max_value=1, max_denominator=12)
SETTINGS = settings(max_examples=100, deadline=None, database=None)  # no .hypothesis/ in the repo


@st.composite
def forms(draw: st.DrawFn) -> tuple[list[ScoringItem], dict[str, int]]:
    """A small form (always one live ethics item) and its choice groups."""
    items = [ScoringItem("E0", "L2-ETH", True, "single_choice", draw(st.sampled_from(KEYS)))]
    for n in range(draw(st.integers(0, 9))):
        kind = draw(st.sampled_from(ITEM_KINDS))
        ethics = draw(st.booleans())
        module = "L2-ETH" if ethics else draw(st.sampled_from(["L2-GEN", "L2-AI"]))
        key: str | frozenset[str] | bool | None = None
        points, group, set_id = 1, None, None
        if kind == "single_choice":
            key = draw(st.sampled_from(KEYS))
        elif kind == "true_false":
            key = draw(st.booleans())
        elif kind == "multiple_response":
            key = draw(st.frozensets(st.sampled_from(KEYS), min_size=1))
        else:
            points = draw(st.integers(1, 12))
            group = None if ethics else draw(st.sampled_from([None, "PROP"]))
        if kind != "constructed":
            set_id = draw(st.sampled_from([None, "CASE"]))
        items.append(
            ScoringItem(
                f"I{n}",
                module,
                ethics,
                kind,  # type: ignore[arg-type]
                key,
                points,
                partial_credit=kind == "multiple_response" and draw(st.booleans()),
                voided=draw(st.integers(0, 6)) == 0,
                set_id=set_id,
                choice_group=group,
            )
        )
    groups = {"PROP": draw(st.integers(1, 3))} if any(it.choice_group for it in items) else {}
    return items, groups


def answer(draw: st.DrawFn, item: ScoringItem, unmarked: bool) -> Response:
    if item.kind == "single_choice":
        return draw(st.one_of(st.none(), st.sampled_from(KEYS)))
    if item.kind == "true_false":
        return draw(st.one_of(st.none(), st.booleans()))
    if item.kind == "multiple_response":
        return draw(st.one_of(st.none(), st.frozensets(st.sampled_from(KEYS))))
    marks = st.integers(0, item.max_points)
    return draw(st.one_of(st.none(), marks) if unmarked else marks)


@st.composite
def attempts(draw: st.DrawFn, items: list[ScoringItem], unmarked: bool = False) -> dict[str, Response]:
    return {it.item_id: answer(draw, it, unmarked) for it in items if draw(st.integers(0, 4)) > 0}


def right_answer(item: ScoringItem) -> Response:
    return item.max_points if item.kind == "constructed" else item.key


def improvable(items: list[ScoringItem], responses: dict[str, Response]) -> list[ScoringItem]:
    """Live ethics items whose answer can be made right without changing which
    items of a choice group count (that is a different answer, not a better one)."""
    return [
        it
        for it in items
        if it.is_ethics and not it.voided and (it.choice_group is None or it.item_id in responses)
    ]


@SETTINGS
@given(data=st.data(), form=forms(), min_rate=rates, mark=rates)
def test_veto_is_never_overridden(
    data: st.DataObject, form: tuple[list[ScoringItem], dict[str, int]], min_rate: Fraction, mark: Fraction
) -> None:
    items, groups = form
    policy = ScoringPolicy("cut_score", min_rate, pass_mark=mark, choice_groups=groups)
    outcome = score_attempt(items, data.draw(attempts(items, unmarked=True)), policy)
    rate = outcome.ethics_rate
    if rate is not None and rate < min_rate:
        assert outcome.status == FAIL and ETHICS_VETO in outcome.reasons
    if ETHICS_VETO in outcome.reasons:
        assert rate is not None and rate < min_rate and outcome.status == FAIL
    if outcome.status == PASS:
        assert outcome.complete and rate is not None and rate >= min_rate
        assert outcome.total_rate is not None and outcome.total_rate >= mark


@SETTINGS
@given(data=st.data(), form=forms(), min_rate=rates, mark=rates)
def test_a_better_ethics_answer_never_turns_a_pass_into_a_fail(
    data: st.DataObject, form: tuple[list[ScoringItem], dict[str, int]], min_rate: Fraction, mark: Fraction
) -> None:
    items, groups = form
    policy = ScoringPolicy("cut_score", min_rate, pass_mark=mark, choice_groups=groups)
    responses = data.draw(attempts(items))
    item = data.draw(st.sampled_from(improvable(items, responses)))
    before = score_attempt(items, responses, policy)
    after = score_attempt(items, responses | {item.item_id: right_answer(item)}, policy)
    assert after.total >= before.total and after.max_total == before.max_total
    assert after.ethics_rate is not None and before.ethics_rate is not None
    assert after.ethics_rate >= before.ethics_rate
    if before.status == PASS:
        assert after.status == PASS


@SETTINGS
@given(data=st.data(), form=forms(), min_rate=rates, share=rates.filter(lambda f: f > 0))
def test_ranked_rule_for_the_candidate_themself(
    data: st.DataObject, form: tuple[list[ScoringItem], dict[str, int]], min_rate: Fraction, share: Fraction
) -> None:
    """Under the ranked rule a better ethics answer never fails its own
    candidate (others may be overtaken: see test_ranking), and the veto holds."""
    items, groups = form
    policy = ScoringPolicy("ranked", min_rate, top_share=share, choice_groups=groups)
    sitting = data.draw(st.lists(attempts(items), min_size=1, max_size=8))
    directions = data.draw(
        st.lists(st.sampled_from(["AI", "BD"]), min_size=len(sitting), max_size=len(sitting))
    )
    entries = [
        RankingEntry(f"C{n}", d, score_attempt(items, r, policy))
        for n, (r, d) in enumerate(zip(sitting, directions, strict=True))
    ]
    results = rank_sitting(entries, policy)
    for entry in entries:
        if ETHICS_VETO in entry.outcome.reasons:
            assert results[entry.candidate_id].outcome.status == FAIL
    who = data.draw(st.integers(0, len(sitting) - 1))
    item = data.draw(st.sampled_from(improvable(items, sitting[who])))
    better = sitting[who] | {item.item_id: right_answer(item)}
    entries[who] = RankingEntry(f"C{who}", directions[who], score_attempt(items, better, policy))
    if results[f"C{who}"].outcome.status == PASS:
        assert rank_sitting(entries, policy)[f"C{who}"].outcome.status == PASS


@SETTINGS
@given(data=st.data(), form=forms(), min_rate=rates, mark=rates)
def test_rescoring_is_idempotent(
    data: st.DataObject, form: tuple[list[ScoringItem], dict[str, int]], min_rate: Fraction, mark: Fraction
) -> None:
    items, groups = form
    policy = ScoringPolicy("cut_score", min_rate, pass_mark=mark, choice_groups=groups)
    batch = data.draw(st.lists(attempts(items, unmarked=True), min_size=1, max_size=5))
    once = [score_attempt(items, r, policy) for r in batch]
    twice = [score_attempt(items, dict(reversed(list(r.items()))), policy) for r in batch]
    _, compiled = score_attempts(compile_form(items, policy), batch)
    assert once == twice == compiled
    ranked = ScoringPolicy("ranked", min_rate, top_share=Fraction(2, 5), choice_groups=groups)
    entries = [RankingEntry(f"C{n}", "AI", score_attempt(items, r, ranked)) for n, r in enumerate(batch)]
    assert rank_sitting(entries, ranked) == rank_sitting(list(reversed(entries)), ranked)
