"""A sitting's forms checked ahead of the exam (issue 21): the spread of their expected scores.

The sitting page assembles a sample of forms per paper (and per direction at level 2) from the
approved bank as it is now, with the sitting's own copy of the blueprint, so that a paper whose
forms cannot be balanced, or whose statistics are too thin to balance on, is seen before the exam.
A read; the result is kept per process while the blueprint and the bank's statistics stay the same.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from certexam.domain import form_spread
from certexam.domain.blueprint import DIRECTION_MODULE, Blueprint, Paper
from certexam.domain.catalogue import DIRECTIONS
from certexam.models import Sitting
from certexam.services.bank import item_cache
from certexam.services.sittings import schedule

SAMPLE_FORMS = 100  # per paper and direction: about 0.1-0.2 s of assembly for a level-1 paper

_cache: item_cache.BoundedCache[tuple[object, ...], list[form_spread.Spread]] = item_cache.BoundedCache(32)


def spreads(sess: Session, sitting: Sitting) -> list[form_spread.Spread]:
    """One Spread per paper of the sitting's blueprint (per paper and direction where it has them)."""
    bp: Blueprint = schedule.blueprint_of(sitting)
    runs = [(paper, d) for paper in bp.papers for d in _directions(paper)]
    modules = {bp.resolve(s, d) for paper, d in runs for s in paper.sections}
    pool = item_cache.pool(sess, modules)
    # What the result depends on: the blueprint and each pooled version with its statistics.
    key = (sitting.blueprint_spec, tuple((p.version_id, p.facility, p.n) for p in pool))
    found = _cache.get(key)
    if found is None:
        found = [form_spread.spread(bp, paper, pool, range(SAMPLE_FORMS), d) for paper, d in runs]
        _cache.put(key, found)
    return found


def _directions(paper: Paper) -> list[str | None]:
    """A paper with a direction section has a form per direction (rules s.2: a direction per candidate)."""
    return list(DIRECTIONS) if any(s.module == DIRECTION_MODULE for s in paper.sections) else [None]
