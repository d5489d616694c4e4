"""The ranked pass rule (level 2): top share per direction, after the veto.

rules s.2: "A candidate's ethics questions ... must first reach a pass line;
only candidates past that gate are ranked, and the top 40% within each
direction pass", with "standard scores, equal weight per question".

* Cohort: per direction, the sitting's candidates who passed the ethics gate
  and are not void. Vetoed candidates stay FAIL (ETHICS_VETO); void
  (misconduct) results are VOID and are left out of the cohort and its size.
* Standard score: each counted question contributes earned / max_points (a
  10-point proposal weighs as much as a 1-point choice item); the sum is
  turned into a z-score within the cohort, z = (s - mean) / SD (population
  SD; 0 when everyone is level). z is a strictly increasing function of s
  within a cohort, so the ranking uses the exact sum (a Fraction) and float
  rounding can never split or merge a tie.
* Tie rule: a candidate passes if *fewer than* top_share x N cohort members
  (N = cohort size) have a strictly higher score. Tied candidates have the
  same number ahead of them, so a tie at the boundary is all in: all tied at
  the boundary pass if the best place they share lies within the top share.
  Why all in: the programme publishes no secondary criterion, so any
  tie-break (id, time) would be arbitrary and indefensible on re-check;
  "all out" can fail a whole small cohort (a 3-way tie for first of 5 at 40%
  would pass nobody), punishing candidates for others' scores. Without ties
  exactly ceil(top_share x N) pass; ties can only add the rest of the tied
  group, and a cohort of one passes its candidate.
* If any candidate of a direction still awaits marks (and is not already
  vetoed), that direction is not ranked: its gate-passed candidates stay
  PENDING (COHORT_MARKING_INCOMPLETE).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from fractions import Fraction

from certexam.domain.scoring import mark_void
from certexam.domain.scoring_types import (
    AWAITING_RANKING,
    BELOW_PASS_MARK,
    COHORT_MARKING_INCOMPLETE,
    FAIL,
    NOT_IN_TOP_SHARE,
    PASS,
    PENDING,
    RANKED,
    VOID,
    Outcome,
    ScoringPolicy,
)


@dataclass(frozen=True, slots=True)
class RankingEntry:
    """One candidate's scored attempt in a sitting (scored under the ranked policy)."""

    candidate_id: str
    direction: str
    outcome: Outcome
    void: bool = False


@dataclass(frozen=True, slots=True)
class RankedResult:
    """The final result: outcome with status set; rank is competition rank (1, 2, 2, 4)."""

    candidate_id: str
    direction: str
    outcome: Outcome
    rank: int | None = None
    cohort_size: int = 0
    standard_score: float | None = None


def _awaiting(outcome: Outcome) -> bool:
    return outcome.status == PENDING and outcome.reasons == (AWAITING_RANKING,)


def _check(entries: Sequence[RankingEntry], policy: ScoringPolicy) -> None:
    if policy.pass_rule != RANKED or policy.top_share is None:
        raise ValueError("ranking needs a ranked policy with a top share")
    ids = [e.candidate_id for e in entries]
    if len(set(ids)) != len(ids):
        raise ValueError("a candidate appears twice in the sitting")
    for e in entries:
        o = e.outcome
        foreign = o.status in (PASS, VOID) or BELOW_PASS_MARK in o.reasons
        if foreign or (_awaiting(o) and o.equal_weight_score is None):
            raise ValueError(f"{e.candidate_id}: outcome was not scored under the ranked rule")


def rank_sitting(entries: Sequence[RankingEntry], policy: ScoringPolicy) -> dict[str, RankedResult]:
    """Final results of a sitting under the ranked rule, keyed by candidate id."""
    _check(entries, policy)
    share = policy.top_share
    assert share is not None
    results: dict[str, RankedResult] = {}
    cohorts: dict[str, list[RankingEntry]] = {}
    blocked: set[str] = set()
    for e in entries:
        if e.void:
            results[e.candidate_id] = RankedResult(e.candidate_id, e.direction, mark_void(e.outcome))
        elif _awaiting(e.outcome):
            cohorts.setdefault(e.direction, []).append(e)
        else:  # vetoed (FAIL) or awaiting marks (PENDING): keeps its outcome
            results[e.candidate_id] = RankedResult(e.candidate_id, e.direction, e.outcome)
            if e.outcome.status == PENDING:
                blocked.add(e.direction)
    for direction, cohort in cohorts.items():
        if direction in blocked:
            for e in cohort:
                pending = replace(e.outcome, reasons=(COHORT_MARKING_INCOMPLETE,))
                results[e.candidate_id] = RankedResult(e.candidate_id, direction, pending)
            continue
        for result in _rank_cohort(cohort, share):
            results[result.candidate_id] = result
    return {e.candidate_id: results[e.candidate_id] for e in entries}


def _rank_cohort(cohort: list[RankingEntry], share: Fraction) -> list[RankedResult]:
    """Rank one direction's gate-passed candidates and apply the top share."""
    scores = [e.outcome.equal_weight_score for e in cohort]
    exact = [s for s in scores if s is not None]
    n = len(exact)
    mean = sum(exact, Fraction(0)) / n
    sd = math.sqrt(sum((s - mean) ** 2 for s in exact) / n)
    ordered = sorted(exact, reverse=True)
    ahead: dict[Fraction, int] = {}
    for place, score in enumerate(ordered):
        ahead.setdefault(score, place)  # first place of a score = how many are strictly higher
    out = []
    for e, score in zip(cohort, exact, strict=True):
        before = ahead[score]
        passed = before < share * n  # exact Fraction comparison
        outcome = replace(
            e.outcome, status=PASS if passed else FAIL, reasons=() if passed else (NOT_IN_TOP_SHARE,)
        )
        z = float(score - mean) / sd if sd > 0 else 0.0
        out.append(RankedResult(e.candidate_id, e.direction, outcome, before + 1, n, z))
    return out
