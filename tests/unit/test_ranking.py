"""Table-driven tests of the ranked pass rule (level 2: top share per direction)."""

from __future__ import annotations

import random
import statistics
from collections.abc import Mapping
from fractions import Fraction

import pytest

from certexam.domain.ranking import RankedResult, RankingEntry, rank_sitting
from certexam.domain.scoring import score_attempt
from certexam.domain.scoring_types import (
    AWAITING_RANKING,
    COHORT_MARKING_INCOMPLETE,
    ETHICS_VETO,
    FAIL,
    LEVEL2_TOP_SHARE,
    MARKING_INCOMPLETE,
    MISCONDUCT,
    NOT_IN_TOP_SHARE,
    PASS,
    PENDING,
    VOID,
    Outcome,
    Response,
    ScoringItem,
    ScoringPolicy,
)

F = Fraction
RANKED = ScoringPolicy("ranked", F(1), top_share=LEVEL2_TOP_SHARE)
ITEMS = [ScoringItem("E", "L2-ETH", True, "single_choice", "A")] + [
    ScoringItem(f"G{i}", "L2-GEN", False, "single_choice", "A") for i in range(10)
]
PROPOSAL = ScoringItem("P", "L2-AI", False, "constructed", None, 10)


def outcome(right: int, ethics: bool = True, policy: ScoringPolicy = RANKED) -> Outcome:
    responses: dict[str, Response] = {"E": "A" if ethics else "B"}
    responses.update({f"G{i}": "A" if i < right else "B" for i in range(10)})
    return score_attempt(ITEMS, responses, policy)


def sitting(scores: list[int], direction: str = "AI") -> list[RankingEntry]:
    return [RankingEntry(f"{direction}{n}", direction, outcome(s)) for n, s in enumerate(scores)]


def passed(results: Mapping[str, RankedResult]) -> list[str]:
    return [cid for cid, r in results.items() if r.outcome.status == PASS]


def test_ranked_policy_scores_equal_weight_and_awaits_ranking() -> None:
    items = [*ITEMS, PROPOSAL]
    got = score_attempt(items, {"E": "A", "G0": "B", "P": 5}, RANKED)
    assert (got.status, got.reasons) == (PENDING, (AWAITING_RANKING,))
    assert got.equal_weight_score == F(1) + F(0) + F(5, 10)
    vetoed = score_attempt(items, {"E": "B", "G0": "A", "P": 10}, RANKED)
    assert (vetoed.status, vetoed.reasons, vetoed.equal_weight_score) == (FAIL, (ETHICS_VETO,), None)


@pytest.mark.parametrize(
    ("scores", "expected_passes"),
    [
        ([9, 8, 7, 6, 5, 4, 3, 2, 1, 0], 4),  # 40% of 10, no ties
        ([9, 8, 7, 6, 6, 4, 3, 2, 1, 0], 5),  # tie for 4th/5th at the boundary: both in
        ([9, 8, 6, 6, 6, 6, 3, 2, 1, 0], 6),  # tie 3rd-6th straddles the boundary: all in
        ([9, 8, 7, 6, 5, 5, 3, 2, 1, 0], 4),  # tie just outside (5th/6th): both out
        ([5, 5, 5, 5, 5], 5),  # everyone level: everyone in
        ([9, 8, 7, 6, 5, 4, 3], 3),  # 40% of 7 = 2.8: fewer than 2.8 ahead -> 3 places
        ([9, 8, 7, 6, 5], 2),  # 40% of 5 = 2 exactly
        ([9, 8], 1),
        ([3], 1),  # a cohort of one passes its candidate
    ],
)
def test_top_share_and_ties(scores: list[int], expected_passes: int) -> None:
    results = rank_sitting(sitting(scores), RANKED)
    winners = passed(results)
    assert len(winners) == expected_passes
    best_failed = max(
        (s for s, r in zip(scores, results.values(), strict=True) if r.outcome.status == FAIL), default=-1
    )
    assert all(scores[int(cid[2:])] > best_failed for cid in winners)  # nobody fails on a score that passes
    for r in results.values():
        assert r.outcome.reasons == (() if r.outcome.status == PASS else (NOT_IN_TOP_SHARE,))


def test_competition_ranks_and_standard_scores() -> None:
    results = rank_sitting(sitting([7, 5, 5, 2]), RANKED)
    assert [r.rank for r in results.values()] == [1, 2, 2, 4]
    z = [r.standard_score or 0.0 for r in results.values()]
    assert None not in [r.standard_score for r in results.values()]
    assert statistics.fmean(z) == pytest.approx(0, abs=1e-12)
    assert statistics.pstdev(z) == pytest.approx(1)
    assert all(r.cohort_size == 4 for r in results.values())


def test_vetoed_candidates_are_not_ranked_whatever_their_total() -> None:
    entries = sitting([5, 4, 3, 2, 1])
    entries.append(RankingEntry("VETOED", "AI", outcome(10, ethics=False)))
    results = rank_sitting(entries, RANKED)
    assert results["VETOED"].outcome.reasons == (ETHICS_VETO,)
    assert results["VETOED"].outcome.status == FAIL and results["VETOED"].rank is None
    assert passed(results) == ["AI0", "AI1"] and results["AI0"].cohort_size == 5


def test_void_results_are_excluded_from_the_cohort() -> None:
    entries = [RankingEntry("CHEAT", "AI", outcome(10), void=True), *sitting([5, 4, 3, 2, 1])]
    results = rank_sitting(entries, RANKED)
    assert (results["CHEAT"].outcome.status, results["CHEAT"].outcome.reasons) == (VOID, (MISCONDUCT,))
    assert passed(results) == ["AI0", "AI1"]  # the void top score takes no place
    assert results["AI0"].rank == 1 and results["AI0"].cohort_size == 5


def test_directions_are_ranked_apart() -> None:
    entries = sitting([9, 8, 7, 6, 5], "AI") + sitting([2, 1, 0], "BD")
    assert passed(rank_sitting(entries, RANKED)) == ["AI0", "AI1", "BD0", "BD1"]


def test_unmarked_candidate_holds_back_their_direction_only() -> None:
    unmarked = score_attempt([*ITEMS, PROPOSAL], {"E": "A", "P": None}, RANKED)
    entries = [*sitting([5, 4, 3], "AI"), RankingEntry("LATE", "AI", unmarked), *sitting([3, 2], "BD")]
    results = rank_sitting(entries, RANKED)
    assert results["LATE"].outcome.reasons == (MARKING_INCOMPLETE,)
    for cid in ("AI0", "AI1", "AI2"):
        assert (results[cid].outcome.status, results[cid].outcome.reasons) == (
            PENDING,
            (COHORT_MARKING_INCOMPLETE,),
        )
    assert passed(results) == ["BD0"]


def test_equal_weight_per_question_not_points() -> None:
    items = [*ITEMS, PROPOSAL]
    proposal_star = score_attempt(items, {"E": "A", "P": 10}, RANKED)  # 11 points, 2 questions right
    all_rounder = score_attempt(
        items, {"E": "A", "G0": "A", "G1": "A", "P": 0}, RANKED
    )  # 3 points, 3 questions
    results = rank_sitting(
        [RankingEntry("STAR", "AI", proposal_star), RankingEntry("ROUNDER", "AI", all_rounder)], RANKED
    )
    assert proposal_star.total > all_rounder.total
    assert results["ROUNDER"].rank == 1 and passed(results) == ["ROUNDER"]


def test_improving_one_candidate_can_push_another_out() -> None:
    # What holds for the ranked rule: a better answer never fails its own
    # candidate, but it may overtake someone else at the boundary.
    before = rank_sitting(sitting([9, 8, 7, 6, 5]), RANKED)
    entries = sitting([9, 8, 7, 6, 5])
    entries[2] = RankingEntry("AI2", "AI", outcome(9))
    after = rank_sitting(entries, RANKED)
    assert passed(before) == ["AI0", "AI1"] and passed(after) == ["AI0", "AI2"]


def test_order_of_entries_does_not_matter() -> None:
    entries = sitting([9, 8, 8, 6, 5, 5, 3], "AI") + sitting([4, 4, 1], "BD")
    shuffled = entries[:]
    random.Random(7).shuffle(shuffled)
    assert rank_sitting(entries, RANKED) == rank_sitting(shuffled, RANKED)


@pytest.mark.parametrize(
    ("entries", "policy"),
    [
        (sitting([1, 2]), ScoringPolicy("cut_score", F(1), pass_mark=F(1, 2))),
        ([RankingEntry("A", "AI", outcome(3)), RankingEntry("A", "AI", outcome(4))], RANKED),
        (
            [RankingEntry("A", "AI", outcome(9, policy=ScoringPolicy("cut_score", F(1), pass_mark=F(1, 2))))],
            RANKED,
        ),
        (
            [RankingEntry("A", "AI", outcome(1, policy=ScoringPolicy("cut_score", F(1), pass_mark=F(1, 2))))],
            RANKED,
        ),
    ],
)
def test_invalid_sittings_are_rejected(entries: list[RankingEntry], policy: ScoringPolicy) -> None:
    with pytest.raises(ValueError):
        rank_sitting(entries, policy)
