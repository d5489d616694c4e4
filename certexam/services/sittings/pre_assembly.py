"""Forms assembled ahead of the sitting (issue 21: "so that a start only hands out a form").

In the assembly mode "pre_assembled" each paper (and direction, at level 2) gets a set of forms,
assembled and checked against the difficulty target before the exam: by the worker's tick once
registration closes (`assemble_due`), or by `certexam sittings assemble SITTING_ID`. Each form is
kept with its seed, its expected score and the attempt's frozen form JSON, so a start reads one row
(`stored_form`) and assembles nothing. A start that finds none (the worker was not running)
assembles the paper's set first, under the sitting paper's row lock (`ensure_paper`), so the first
start waits once and everyone after it is handed a stored form.
"""

from __future__ import annotations

import functools
import json
import logging
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import BigInteger, Integer, Select, String, bindparam, delete, exists, func, select
from sqlalchemy.orm import Session

from certexam import db
from certexam.domain import difficulty, form_pool
from certexam.domain.assembly import AssemblyError, FormEntry
from certexam.domain.blueprint import DIRECTION_MODULE, Paper
from certexam.errors import Conflict, NotFound, UserError
from certexam.models import Attempt, Sitting, SittingForm, SittingPaper
from certexam.services.attempts.forms import Drawn, answer_limits, form_json
from certexam.services.bank import item_cache
from certexam.services.platform import audit, clock
from certexam.services.sittings import form_check, schedule

log = logging.getLogger(__name__)

MODE = "pre_assembled"
RETRY_SECONDS = 300  # the tick tries a sitting whose papers cannot be assembled again after this


@dataclass(frozen=True)
class Assembled:
    """What was assembled for one paper and direction ("" where the paper has none)."""

    paper: str
    direction: str
    forms: int
    outside: int  # forms outside the tolerance (the pool could not do better in the seeds tried)


def forms_wanted() -> int:
    """The set's size: the PRE_ASSEMBLED_FORMS setting, else domain.form_pool.DEFAULT_FORMS."""
    return int(current_app.config.get("PRE_ASSEMBLED_FORMS") or form_pool.DEFAULT_FORMS)


def _seeds() -> Iterator[int]:
    while True:
        yield secrets.randbits(31)


def _has_directions(paper: Paper) -> bool:
    return any(s.module == DIRECTION_MODULE for s in paper.sections)


def _assemble_paper(sess: Session, sitting: Sitting, sp: SittingPaper, count: int) -> list[Assembled]:
    """Assemble and insert the paper's set (per direction where it has them), in the caller's transaction."""
    bp = schedule.blueprint_of(sitting)
    paper = next(p for p in bp.papers if p.code == sp.code)
    now = clock.now()
    done = []
    for direction in form_check.directions_of(paper):
        source = item_cache.drawable(sess, {bp.resolve(s, direction) for s in paper.sections})
        try:
            made = form_pool.assemble_set(bp, paper, source.pool, _seeds(), count, direction)
        except AssemblyError as exc:
            raise UserError(_("This paper cannot be assembled from the approved items: %(why)s", why=str(exc))) \
                from exc
        limits = answer_limits(paper)
        scale = difficulty.SCALE
        for number, a in enumerate(made, 1):
            drawn = Drawn(a.seed, a.form.entries, source, limits)
            sess.add(SittingForm(
                sitting_paper_id=sp.id, direction=direction or "", number=number, seed=a.seed,
                form=form_json(drawn), bank_items=json.dumps([source.item_of[e.version_id] for e in a.form.entries]),
                expected_units=round(a.form.expected * scale), target_units=round(a.form.target * scale),
                tolerance_units=round(a.form.tolerance * scale), within=a.form.within, created_at=now))
        done.append(Assembled(sp.code, direction or "", len(made), sum(not a.form.within for a in made)))
    sess.flush()
    return done


def _stored_count(sess: Session, sp_id: int) -> int:
    return sess.scalar(select(func.count()).select_from(SittingForm).where(SittingForm.sitting_paper_id == sp_id)) or 0


@db.use_case
def assemble(sitting_id: int, count: int | None = None, replace: bool = False,
             actor_id: int | None = None) -> list[Assembled]:
    """Assemble the forms of every paper of a pre-assembled sitting that has none (with `replace`, of
    every paper not yet begun: its set is assembled afresh). Papers with forms are left as they are."""
    sess = db.session()
    sitting = sess.get(Sitting, sitting_id, with_for_update=True)
    if sitting is None:
        raise NotFound(_("This sitting does not exist."))
    if sitting.assembly_mode != MODE:
        raise UserError(_("This sitting does not use forms assembled ahead."), "assembly_mode")
    count = forms_wanted() if count is None else count
    if not 1 <= count <= form_pool.MAX_FORMS:
        raise UserError(_("Assemble between 1 and %(n)d forms per paper.", n=form_pool.MAX_FORMS), "forms")
    # The papers' rows too, as a start's ensure_paper takes them: the two never both assemble a paper.
    sess.execute(select(SittingPaper.id).where(SittingPaper.sitting_id == sitting.id).with_for_update()).all()
    done: list[Assembled] = []
    for sp in sitting.papers:
        if _stored_count(sess, sp.id):
            if not replace:
                continue
            # Every attempt's form must stay one of the paper's stored forms: a begun paper keeps its set.
            if sess.scalar(select(exists().where(Attempt.sitting_paper_id == sp.id))):
                raise Conflict(_("Paper %(paper)s has begun: its forms are kept.", paper=sp.code))
            sess.execute(delete(SittingForm).where(SittingForm.sitting_paper_id == sp.id))
        done += _assemble_paper(sess, sitting, sp, count)
    if done:
        audit.record(sess, "sitting.forms_assemble", "sitting", sitting.id, actor_id=actor_id,
                     after={"forms": {f"{a.paper}{'/' + a.direction if a.direction else ''}": a.forms for a in done},
                            "outside": sum(a.outside for a in done), "replace": replace})
    return done


def ensure_paper(sess: Session, sitting: Sitting, sp: SittingPaper) -> None:
    """A start's fallback when a paper has no forms: assemble its set now, in the start's transaction
    (the paper's row lock makes racing starts on PostgreSQL wait for it; SQLite's writer lock does)."""
    sess.get(SittingPaper, sp.id, with_for_update=True, populate_existing=True)
    if _stored_count(sess, sp.id) == 0:
        made = _assemble_paper(sess, sitting, sp, forms_wanted())
        audit.record(sess, "sitting.forms_assemble", "sitting", sitting.id,
                     after={"forms": {f"{a.paper}{'/' + a.direction if a.direction else ''}": a.forms for a in made},
                            "outside": sum(a.outside for a in made), "at_start": True})


@functools.cache
def _handout() -> Select[tuple[int, str, str]]:
    """The form `domain.form_pool.choose` names, in one statement: number = (k % n) + 1 with k the
    registration id plus the paper's salt and n the paper's forms (NULLIF: no row, not a division by
    zero, when it has none). Built once: composing it per start cost more than the read itself."""
    f = SittingForm.__table__
    mine = (f.c.sitting_paper_id == bindparam("sp", type_=Integer), f.c.direction == bindparam("d", type_=String))
    n = select(func.count()).select_from(f).where(*mine).scalar_subquery()
    k = bindparam("k", type_=BigInteger)  # an id plus a 31-bit salt can pass PostgreSQL's integer
    return select(f.c.seed, f.c.form, f.c.bank_items).where(*mine, f.c.number == k % func.nullif(n, 0) + 1)


class _Paper(Protocol):
    """What the handout reads of a sitting paper: a SittingPaper, or the start's row of it."""

    @property
    def id(self) -> int: ...
    @property
    def code(self) -> str: ...
    @property
    def fixed_seed(self) -> int: ...


def stored_form(sess: Session, sitting: schedule.Frozen, sp: _Paper, registration_id: int,
                direction: str | None) -> Drawn | None:
    """The stored form this registration is handed (domain.form_pool.choose), or None if the paper
    has no forms yet: one indexed read and a JSON parse, no assembly and no bank query."""
    paper = next(p for p in schedule.blueprint_of(sitting).papers if p.code == sp.code)
    key = (direction or "") if _has_directions(paper) else ""
    row = sess.connection().execute(_handout(), {"sp": sp.id, "d": key, "k": registration_id + sp.fixed_seed}).first()
    if row is None:
        return None
    seed, form, bank_items = row.seed, row.form, row.bank_items
    doc = json.loads(form)
    entries = [FormEntry(d["v"], d["x"], d["s"], tuple(d["o"]), tuple(tuple(c) for c in d["c"])) for d in doc]
    item_of = dict(zip((e.version_id for e in entries), json.loads(bank_items), strict=True))
    # Only item_of is read from the source when the form is stored: the start inserts, it draws nothing.
    return Drawn(seed, entries, item_cache.Drawable((), item_of, {}, {}), answer_limits(paper), form)


# -- the worker's tick --

_failed_at: dict[int, float] = {}  # sitting id -> monotonic time of its last failure, per process


def due(sess: Session) -> list[int]:
    """Pre-assembled sittings whose registration has closed, not released, with a paper without forms."""
    no_forms = ~exists().where(SittingForm.sitting_paper_id == SittingPaper.id)
    paper_without = exists().where(SittingPaper.sitting_id == Sitting.id, no_forms)
    return list(sess.scalars(select(Sitting.id).where(
        Sitting.assembly_mode == MODE, Sitting.registration_closes_at <= clock.now(),
        Sitting.results_released_at.is_(None), paper_without).order_by(Sitting.id)))


def assemble_due() -> int:
    """Assemble the forms of the sittings `due` finds (one read a tick when none is); how many sittings.
    A sitting that cannot be assembled is logged and tried again after RETRY_SECONDS."""
    sess = db.session()
    ids = due(sess)
    sess.rollback()
    done = 0
    for sitting_id in ids:
        if time.monotonic() - _failed_at.get(sitting_id, -1e9) < RETRY_SECONDS:
            continue
        try:
            made = assemble(sitting_id)
        except UserError as exc:
            _failed_at[sitting_id] = time.monotonic()
            log.warning("sitting %d: forms not assembled: %s", sitting_id, exc.message)
            continue
        _failed_at.pop(sitting_id, None)
        done += 1
        log.info("sitting %d: %d form(s) assembled ahead", sitting_id, sum(a.forms for a in made))
    return done
