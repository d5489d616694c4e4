"""Item analysis of a sitting per paper and form, the score distribution chart (inline SVG) and CSV."""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from certexam.domain.blueprint import Blueprint
from certexam.domain.dif import ItemDif, screen_items
from certexam.domain.item_analysis import FormAnalysis, analyse_form
from certexam.domain.psychometrics import ScaleStats, ScoreMatrix, scale_statistics
from certexam.domain.reliability import SMALL_SAMPLE
from certexam.domain.scoring import compile_form, score_row
from certexam.domain.scoring_types import CUT_SCORE, NOT_COUNTED, POINT_UNITS, VOID, ScoringPolicy
from certexam.domain.scoring_types import Response as Scored
from certexam.models import Attempt, AttemptKind, AttemptStatus, KeyCorrection, Registration, Result, Sitting
from certexam.services.results import marking
from certexam.services.results.scoring import (
    ABSENT,
    SlotItem,
    attempt_responses,
    corrections_of,
    policy_of,
    slot_items,
)
from certexam.services.sittings.schedule import blueprint_of


@dataclass(frozen=True)
class ItemLabel:
    slot: str  # the question number on the form (the first form it was seen on)
    external_id: str
    version: str  # "123" or "123.2": what a key correction names


@dataclass(frozen=True)
class FormReport:
    """One paper of a sitting: its item pool as delivered (one form in fixed mode, many per candidate)."""

    paper: str
    forms: int
    analysis: FormAnalysis
    labels: dict[str, ItemLabel]  # by union item id ("v123" or "v123.2")
    directions: tuple[tuple[str, ScaleStats], ...] = ()  # level 2: the whole paper per direction
    dif: tuple[ItemDif, ...] = ()  # Mantel-Haenszel across the attempts' languages

    @property
    def small(self) -> bool:
        """Too few candidates for stable figures (the page warns)."""
        return self.analysis.attempts < SMALL_SAMPLE


DIRECTION_LEVEL: Final = 2  # rules s.2: level 2 ranks candidates within each technical direction
PARTIAL: Final = "_not_on_every_form"  # marks union items some candidates never saw (left out of alpha)


def _uid(it: SlotItem) -> str:
    return f"v{it.version_id}.{it.child}" if it.child else f"v{it.version_id}"


def _analyse_paper(sess: Session, paper: str, members: list[Attempt], bp: Blueprint, policy: ScoringPolicy,
                   fixes: dict[tuple[int, int | None], KeyCorrection],
                   final: dict[tuple[int, str], int | None], directions: dict[int, str | None]) -> FormReport:
    """Every attempt scored on its own form, then laid out on the union of the paper's items.

    An item absent from a candidate's form is NOT_COUNTED in their row, so its
    figures come from the candidates who had it (per-candidate assembly).
    """
    per_attempt = [(a, slot_items(sess, a, bp, fixes)) for a in members]
    union: dict[str, SlotItem] = {}
    seen: dict[str, int] = defaultdict(int)
    for _a, its in per_attempt:
        for it in its:
            union.setdefault(_uid(it), it)
            seen[_uid(it)] += 1
    partial = {u for u, n in seen.items() if n < len(members)}
    external = {u: json.loads(next(a.form for a, its in per_attempt if any(_uid(i) == u for i in its)))
                [int(it.slot.partition(".")[0]) - 1].get("x", "") for u, it in union.items()}
    union = dict(sorted(union.items(), key=lambda kv: (external[kv[0]], kv[0])))  # bank order, not draw order
    columns = [replace(it.scoring, item_id=u, choice_group=PARTIAL if u in partial else None)
               for u, it in union.items()]
    groups = {PARTIAL: len(partial)} if partial else {}
    # The union is for statistics only: no pass rule or ethics gate applies to it.
    stats_policy = ScoringPolicy(CUT_SCORE, Fraction(0), Fraction(0), None, groups)
    union_form = compile_form(columns, stats_policy)
    rows: list[list[int]] = []
    answers: list[dict[str, Scored]] = []
    maxima: list[int] = []
    forms: set[str] = set()
    for a, its in per_attempt:
        forms.add(a.form)
        given = attempt_responses(sess, a, its, final)
        own_items = [i.scoring for i in its]
        own_groups = {g: n for g, n in policy.choice_groups.items() if any(i.choice_group == g for i in own_items)}
        own = compile_form(own_items, ScoringPolicy(CUT_SCORE, Fraction(0), Fraction(0), None, own_groups))
        row = dict(zip((_uid(i) for i in its if not i.scoring.voided), score_row(own, given), strict=True))
        rows.append([row.get(c.item_id, NOT_COUNTED) for c in union_form.columns])
        answers.append({_uid(i): given[i.qid] for i in its if i.qid in given})
        maxima.append(own.nominal_max_units)
    labels = {u: ItemLabel(it.slot, external[u], u.removeprefix("v")) for u, it in union.items()}
    matrix = ScoreMatrix(rows, union_form.max_units)
    dif = screen_items([c.item_id for c in union_form.columns], matrix.columns, union_form.max_units, matrix.totals,
                       maxima, [a.language for a in members])
    return FormReport(paper, len(forms), analyse_form(union_form, answers, rows), labels,
                      _by_direction(rows, union_form.max_units, [directions.get(a.id) for a in members]), tuple(dif))


def _by_direction(rows: list[list[int]], tops: list[int], directions: list[str | None]) -> tuple[
        tuple[str, ScaleStats], ...]:
    """Level 2 (rules s.2: candidates are ranked within their direction): each direction's figures."""
    groups: dict[str, list[list[int]]] = defaultdict(list)
    for row, d in zip(rows, directions, strict=True):
        if d:
            groups[d].append(row)
    return tuple((d, scale_statistics(ScoreMatrix(groups[d], tops), None, POINT_UNITS)) for d in sorted(groups))


def analyse_sitting(sess: Session, sitting: Sitting) -> list[FormReport]:
    """Item analysis of each paper of a sitting over its submitted attempts."""
    bp = blueprint_of(sitting)
    policy = policy_of(bp)
    fixes = corrections_of(sess, sitting.id)
    found = sess.execute(select(Attempt, Registration.direction)
                         .join(Registration, Registration.id == Attempt.registration_id)
                         .where(Registration.sitting_id == sitting.id, Attempt.kind == AttemptKind.EXAM,
                                Attempt.status == AttemptStatus.SUBMITTED).order_by(Attempt.id)).all()
    # Issue 21: a voided result (misconduct) and an absent candidate's other paper are not evidence
    # about the items; leave them out of every figure.
    left_out = {reg for reg, status, reasons in sess.execute(
        select(Result.registration_id, Result.status, Result.reasons).where(Result.sitting_id == sitting.id))
        if status == VOID or ABSENT in json.loads(reasons or "[]")}
    atts = [a for a, _d in found if a.registration_id not in left_out]
    directions = {a.id: d for a, d in found} if sitting.level == DIRECTION_LEVEL else {}
    final = marking.final_marks(sess, [a.id for a in atts])
    by_paper: dict[str, list[Attempt]] = defaultdict(list)
    for a in atts:
        by_paper[a.paper_code].append(a)
    return [_analyse_paper(sess, p.code, by_paper[p.code], bp, policy, fixes, final, directions)
            for p in bp.papers if by_paper.get(p.code)]


def _f(value: float | Fraction | None, digits: int = 3) -> str:
    return "" if value is None else f"{float(value):.{digits}f}"


CSV_HEADER: Final = ("paper", "forms", "item", "version", "module", "kind", "n", "facility",
                     "discrimination", "sd", "flags", "option_counts", "upper_lower", "dif")


def to_csv(reports: list[FormReport]) -> str:
    """One row per item of every form (UTF-8 with a BOM so spreadsheet programs read Chinese right)."""
    out = io.StringIO()
    out.write("\ufeff")
    w = csv.writer(out)
    w.writerow(CSV_HEADER)
    for rep in reports:
        dif = {d.item_id: d for d in rep.dif}
        for item in rep.analysis.items:
            lab = rep.labels[item.item_id]
            s = item.stats
            w.writerow([rep.paper, rep.forms, lab.external_id, lab.version, item.module, item.kind, s.n,
                        _f(s.facility), _f(s.discrimination), _f(s.sd), " ".join(s.flags),
                        " ".join(f"{k}:{v}" for k, v in item.option_counts),
                        " ".join(f"{o}:{h}/{lo}" for o, h, lo in item.high_low),
                        " ".join(f"{m.focal}:{m.ets_class}" for m in dif[item.item_id].focal if m.ets_class)
                        if item.item_id in dif else ""])
    return out.getvalue()
