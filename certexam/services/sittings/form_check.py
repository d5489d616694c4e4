"""A sitting's forms checked ahead of the exam (issue 21): the spread of their expected scores.

The sitting page assembles a sample of forms per paper (and per direction at level 2) from the
approved bank as it is now, with the sitting's own copy of the blueprint, so that a paper whose
forms cannot be balanced, or whose statistics are too thin to balance on, is seen before the exam.
A read; the result is kept per process while the blueprint and the bank's statistics stay the same.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from certexam.domain import difficulty, form_spread
from certexam.domain.blueprint import DIRECTION_MODULE, Blueprint, Paper
from certexam.domain.catalogue import DIRECTIONS
from certexam.models import Attempt, Sitting, SittingForm
from certexam.services.bank import item_cache
from certexam.services.sittings import schedule

SAMPLE_FORMS = 100  # per paper and direction: about 0.1-0.2 s of assembly for a level-1 paper

_cache: item_cache.BoundedCache[tuple[object, ...], list[form_spread.Spread]] = item_cache.BoundedCache(32)


def spreads(sess: Session, sitting: Sitting) -> list[form_spread.Spread]:
    """One Spread per paper of the sitting's blueprint (per paper and direction where it has them)."""
    bp: Blueprint = schedule.blueprint_of(sitting)
    runs = [(paper, d) for paper in bp.papers for d in directions_of(paper)]
    modules = {bp.resolve(s, d) for paper, d in runs for s in paper.sections}
    pool = item_cache.pool(sess, modules)
    # What the result depends on: the blueprint and each pooled version with its statistics.
    key = (sitting.blueprint_spec, tuple((p.version_id, p.facility, p.n) for p in pool))
    found = _cache.get(key)
    if found is None:
        found = [form_spread.spread(bp, paper, pool, range(SAMPLE_FORMS), d) for paper, d in runs]
        _cache.put(key, found)
    return found


def directions_of(paper: Paper) -> list[str | None]:
    """A paper with a direction section has a form per direction (rules s.2: a direction per candidate)."""
    return list(DIRECTIONS) if any(s.module == DIRECTION_MODULE for s in paper.sections) else [None]


@dataclass(frozen=True)
class StoredForm:
    number: int
    seed: int
    expected: float  # points
    within: bool
    handed_out: int  # attempts begun on it


@dataclass(frozen=True)
class StoredSet:
    """The forms assembled ahead for one paper and direction (services/sittings/pre_assembly.py)."""

    paper: str
    direction: str
    target: float
    tolerance: float
    forms: list[StoredForm]

    @property
    def lowest(self) -> float:
        return min(f.expected for f in self.forms)

    @property
    def highest(self) -> float:
        return max(f.expected for f in self.forms)

    @property
    def outside(self) -> int:
        return sum(not f.within for f in self.forms)


def stored(sess: Session, sitting: Sitting) -> list[StoredSet]:
    """The sitting's stored forms per paper and direction, with how many attempts each was handed to."""
    papers = {p.id: p for p in sitting.papers}
    if not papers:
        return []
    rows = sess.execute(select(SittingForm.sitting_paper_id, SittingForm.direction, SittingForm.number,
                               SittingForm.seed, SittingForm.expected_units, SittingForm.target_units,
                               SittingForm.tolerance_units, SittingForm.within)
                        .where(SittingForm.sitting_paper_id.in_(papers))
                        .order_by(SittingForm.sitting_paper_id, SittingForm.direction, SittingForm.number)).all()
    handed = {(sp, seed): n for sp, seed, n in sess.execute(
        select(Attempt.sitting_paper_id, Attempt.seed, func.count()).where(Attempt.sitting_paper_id.in_(papers))
        .group_by(Attempt.sitting_paper_id, Attempt.seed))}
    sets: dict[tuple[int, str], StoredSet] = {}
    scale = difficulty.SCALE
    for r in rows:
        found = sets.get((r.sitting_paper_id, r.direction))
        if found is None:
            found = sets[(r.sitting_paper_id, r.direction)] = StoredSet(
                papers[r.sitting_paper_id].code, r.direction, r.target_units / scale, r.tolerance_units / scale, [])
        found.forms.append(StoredForm(r.number, r.seed, r.expected_units / scale, r.within,
                                      handed.get((r.sitting_paper_id, r.seed), 0)))
    return list(sets.values())
