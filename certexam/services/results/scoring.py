"""Score a sitting: every registration's attempts (all papers) as one form, then the pass rule.

The pure rules live in certexam.domain.scoring / ranking; this module only
gathers their inputs (frozen forms, answers, final marks, key corrections,
misconduct rulings) and stores the outcome in Result rows.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Any, Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from certexam.domain import blueprint as bp_rules
from certexam.domain.items import Item
from certexam.domain.ranking import RankingEntry, rank_sitting
from certexam.domain.scoring import mark_void, score_attempt
from certexam.domain.scoring_types import (
    CUT_SCORE,
    FAIL,
    MISCONDUCT,
    PENDING,
    RANKED,
    VOID,
    Outcome,
    ResultStatus,
    ScoringItem,
    ScoringPolicy,
)
from certexam.domain.scoring_types import Response as Scored
from certexam.models import (
    Attempt,
    AttemptKind,
    AttemptStatus,
    CorrectionAction,
    KeyCorrection,
    MisconductRuling,
    Registration,
    Result,
    Sitting,
)
from certexam.services.attempts import lifecycle as attempt_service
from certexam.services.platform import clock
from certexam.services.results import marking, scoring_input
from certexam.services.sittings.schedule import blueprint_of

ABSENT: Final = "ABSENT"  # a paper of the sitting was never started: it cannot be scored
PAPER_IN_PROGRESS: Final = "PAPER_IN_PROGRESS"  # a paper is still being sat
NO_DIRECTION: Final = "-"  # cut-score sittings rank nobody; level-1 registrations have no direction


@dataclass(frozen=True)
class SlotItem:
    """One scorable slot of an attempt: qualified id "P1:3.1", the item with its key, its scoring item."""

    qid: str
    attempt_id: int
    paper: str
    slot: str
    version_id: int
    child: int | None
    item: Item
    scoring: ScoringItem


def policy_of(bp: bp_rules.Blueprint) -> ScoringPolicy:
    """The scoring policy of a blueprint's frozen settings, with its choose-k-of-n groups."""
    sc = bp.scoring
    groups = {f"{p.code}:s{i}": s.answer_at_most for p in bp.papers for i, s in enumerate(p.sections)
              if s.answer_at_most is not None and s.answer_at_most < s.count}
    return ScoringPolicy(pass_rule=RANKED if sc.pass_rule == RANKED else CUT_SCORE,
                         ethics_min_rate=sc.ethics_min_rate,
                         pass_mark=sc.pass_mark if sc.pass_rule == CUT_SCORE else None,
                         top_share=sc.top_share if sc.pass_rule == RANKED else None, choice_groups=groups)


def corrections_of(sess: Session, sitting_id: int) -> dict[tuple[int, int | None], KeyCorrection]:
    """The newest correction of each (item version, child) in a sitting."""
    rows = sess.scalars(select(KeyCorrection).where(KeyCorrection.sitting_id == sitting_id)
                        .order_by(KeyCorrection.id))
    return {(k.item_version_id, k.child): k for k in rows}


def key_from_json(kind: str, raw: Any) -> str | frozenset[str] | bool:
    """A corrected key in the scoring form of its item kind (ValueError when it does not fit)."""
    if kind == "single_choice" and isinstance(raw, str):
        return raw
    if kind == "multiple_response" and isinstance(raw, list) and raw and all(isinstance(k, str) for k in raw):
        return frozenset(raw)
    if kind == "true_false" and isinstance(raw, bool):
        return raw
    raise ValueError(f"key {raw!r} does not fit a {kind} item")


def slot_items(sess: Session, attempt: Attempt, bp: bp_rules.Blueprint,
               corrections: dict[tuple[int, int | None], KeyCorrection]) -> list[SlotItem]:
    """The attempt's scorable slots, with key corrections and choice groups applied."""
    form: list[dict[str, Any]] = json.loads(attempt.form)
    paper = next((p for p in bp.papers if p.code == attempt.paper_code), None)
    out = []
    for slot, item, scoring in scoring_input.form_items(sess, attempt):
        head, _, tail = slot.partition(".")
        entry = form[int(head) - 1]
        child = int(tail) if tail else None
        changes: dict[str, Any] = {"item_id": f"{attempt.paper_code}:{slot}"}
        section = entry.get("s")
        if paper is not None and isinstance(section, int) and section < len(paper.sections):
            sec = paper.sections[section]
            if sec.answer_at_most is not None and sec.answer_at_most < sec.count:
                changes["choice_group"] = f"{attempt.paper_code}:s{section}"
        fix = corrections.get((entry["v"], child))
        if fix is not None and fix.action == CorrectionAction.VOID:
            changes["voided"] = True
        elif fix is not None and fix.new_key is not None:
            changes["key"] = key_from_json(scoring.kind, json.loads(fix.new_key))
        out.append(SlotItem(changes["item_id"], attempt.id, attempt.paper_code, slot, entry["v"], child, item,
                            replace(scoring, **changes)))
    return out


def attempt_responses(sess: Session, attempt: Attempt, items: Iterable[SlotItem],
                      marks: dict[tuple[int, str], int | None]) -> dict[str, Scored]:
    """Answers keyed by qualified id; a written answer takes its final mark (None until marked)."""
    raw = scoring_input.responses(sess, attempt)
    out: dict[str, Scored] = {}
    for it in items:
        value = raw.get(it.slot)
        if it.scoring.kind == "constructed":
            if isinstance(value, str) and value.strip():
                out[it.qid] = marks.get((attempt.id, it.slot))
        elif value is not None:
            out[it.qid] = value
    return out


@dataclass(frozen=True)
class Scored1:
    """One registration's scoring before the pass rule is applied to the sitting."""

    registration: Registration
    outcome: Outcome | None  # None: absent from a paper, or a paper still running
    reason: str | None
    void: bool


def _score_registration(sess: Session, reg: Registration, bp: bp_rules.Blueprint, policy: ScoringPolicy,
                        corrections: dict[tuple[int, int | None], KeyCorrection], void: bool) -> Scored1 | None:
    atts = list(sess.scalars(select(Attempt).where(Attempt.registration_id == reg.id, Attempt.kind == AttemptKind.EXAM)))
    if not atts:
        return None  # never came: no result at all
    for a in atts:
        attempt_service.close_if_expired(sess, a)
    if any(a.status != AttemptStatus.SUBMITTED for a in atts):
        return Scored1(reg, None, PAPER_IN_PROGRESS, void)
    if {a.paper_code for a in atts} != {p.code for p in bp.papers}:
        return Scored1(reg, None, ABSENT, void)
    items: list[SlotItem] = []
    given: dict[str, Scored] = {}
    final = marking.final_marks(sess, [a.id for a in atts])
    for a in sorted(atts, key=lambda a: [p.code for p in bp.papers].index(a.paper_code)):
        its = slot_items(sess, a, bp, corrections)
        items += its
        given.update(attempt_responses(sess, a, its, final))
    return Scored1(reg, score_attempt([i.scoring for i in items], given, policy), None, void)


def _frac(value: Fraction | None) -> str | None:
    return None if value is None else f"{value.numerator}/{value.denominator}"


def snapshot(result: Result) -> dict[str, Any]:
    """What the audit trail and re-check reports keep of a result."""
    return {"status": result.status, "reasons": json.loads(result.reasons), "ethics_rate": result.ethics_rate,
            "module_rates": json.loads(result.module_rates), "total_units": result.total_units,
            "max_total_units": result.max_total_units, "rank": result.rank}


def _store(sess: Session, row: Result | None, reg: Registration, outcome: Outcome | None, status: ResultStatus,
           reasons: tuple[str, ...], rank: int | None, cohort: int | None) -> Result:
    if row is None:
        row = Result(registration_id=reg.id, sitting_id=reg.sitting_id, user_id=reg.user_id, released=False)
        sess.add(row)
    row.status, row.reasons = status, json.dumps(list(reasons))
    row.rank, row.cohort_size, row.computed_at = rank, cohort, clock.now()
    if outcome is not None:
        row.ethics_rate = _frac(outcome.ethics_rate)
        row.module_rates = json.dumps({m.module: _frac(m.rate) for m in outcome.modules if m.rate is not None})
        row.total_units, row.max_total_units = outcome.total_units, outcome.max_total_units
        row.equal_weight_score = _frac(outcome.equal_weight_score)
    else:
        row.ethics_rate, row.module_rates, row.total_units, row.max_total_units = None, "{}", 0, 0
        row.equal_weight_score = None
    return row


def score_sitting(sess: Session, sitting: Sitting) -> list[tuple[Result, dict[str, Any] | None, dict[str, Any]]]:
    """(Re)compute every Result of a sitting in the caller's transaction: (row, before, after) per registration."""
    bp = blueprint_of(sitting)
    policy = policy_of(bp)
    corrections = corrections_of(sess, sitting.id)
    voided = set(sess.scalars(select(MisconductRuling.registration_id).join(
        Registration, Registration.id == MisconductRuling.registration_id).where(Registration.sitting_id == sitting.id)))
    regs = list(sess.scalars(select(Registration).where(Registration.sitting_id == sitting.id)
                             .order_by(Registration.id)))
    existing = {r.registration_id: r for r in sess.scalars(select(Result).where(Result.sitting_id == sitting.id))}
    scored = [s for s in (_score_registration(sess, r, bp, policy, corrections, r.id in voided) for r in regs) if s]
    final: dict[int, tuple[Outcome | None, ResultStatus, tuple[str, ...], int | None, int | None]] = {}
    entries = []
    for s in scored:
        rid = s.registration.id
        if s.outcome is None:
            status = PENDING if s.reason == PAPER_IN_PROGRESS else FAIL
            final[rid] = (None, status, (s.reason or ABSENT,), None, None)
            if s.void:
                final[rid] = (None, VOID, (MISCONDUCT,), None, None)
        elif policy.pass_rule == RANKED:
            entries.append(RankingEntry(str(rid), s.registration.direction or NO_DIRECTION, s.outcome, s.void))
        else:
            o = mark_void(s.outcome) if s.void else s.outcome
            final[rid] = (o, o.status, o.reasons, None, None)
    if entries:
        for cid, rr in rank_sitting(entries, policy).items():
            final[int(cid)] = (rr.outcome, rr.outcome.status, rr.outcome.reasons, rr.rank, rr.cohort_size or None)
    changes = []
    for s in scored:
        rid = s.registration.id
        row = existing.get(rid)
        before = snapshot(row) if row is not None else None
        row = _store(sess, row, s.registration, *final[rid])
        changes.append((row, before, snapshot(row)))
    sess.flush()
    return changes
