"""Candidate pages: sittings, registration, admission ticket, the exam page, practice tests."""

from __future__ import annotations

import functools
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from certexam import db
from certexam.bank.forms import ITEM_WORDS, item_word
from certexam.domain.blueprint import mock_blueprint
from certexam.domain.catalogue import DIRECTIONS, LANGUAGES, MODULES_BY_CODE
from certexam.errors import UserError
from certexam.exams import bp
from certexam.models import Attempt, Registration, Role, Sitting, SittingPaper
from certexam.models.attempt import AttemptStatus
from certexam.services.attempts import autosave, paper_view
from certexam.services.attempts import lifecycle as attempts
from certexam.services.attempts.starting import practice_direction
from certexam.services.platform import clock
from certexam.services.sittings import schedule as sittings
from certexam.services.sittings.schedule import blueprint_of
from certexam.web import roles_required


@bp.route("/")
@roles_required(Role.CANDIDATE)
def index() -> Any:
    sess = db.session()
    now = clock.now()
    regs = sess.scalars(select(Registration).where(Registration.user_id == current_user.id)
                        .order_by(Registration.id.desc())).all()
    registered = {r.sitting_id for r in regs}
    open_sittings = [s for s in sess.scalars(select(Sitting).where(Sitting.registration_closes_at >= now)
                                             .order_by(Sitting.registration_opens_at))
                     if s.id not in registered]
    tries = {(a.registration_id, a.paper_code): a for a in sess.scalars(
        select(Attempt).where(Attempt.user_id == current_user.id, Attempt.kind == "exam"))}
    def may_begin(reg: Registration, paper: SittingPaper) -> bool:
        """The start's own check (order, start time, late entry, release): offer only what will start."""
        done = {code for (rid, code), a in tries.items() if rid == reg.id and a.status == AttemptStatus.SUBMITTED}
        return attempts.may_begin(reg.sitting, paper, done)

    return render_template("exams/index.html", registrations=regs, open_sittings=open_sittings, now=now,
                           attempts=tries, directions=DIRECTIONS, may_begin=may_begin,
                           practice_direction=practice_direction(sess, current_user.id))


@bp.post("/sittings/<int:sitting_id>/register")
@roles_required(Role.CANDIDATE)
def register(sitting_id: int) -> Any:
    direction = request.form.get("direction") or None
    try:
        reg = sittings.register(current_user, sitting_id, direction)
    except UserError as exc:
        flash(exc.message, "error")
        return redirect(url_for("exams.index"))
    flash(_("You are registered. Your admission number is %(no)s.", no=reg.admission_no), "success")
    return redirect(url_for("exams.ticket", registration_id=reg.id))


def _own_registration(registration_id: int) -> Registration:
    reg = db.session().get(Registration, registration_id)
    if reg is None or reg.user_id != current_user.id:
        abort(404)
    return reg


@bp.route("/registrations/<int:registration_id>/ticket")
@roles_required(Role.CANDIDATE)
def ticket(registration_id: int) -> Any:
    reg = _own_registration(registration_id)
    return render_template("exams/ticket.html", reg=reg, sitting=reg.sitting, blueprint=blueprint_of(reg.sitting))


@bp.post("/registrations/<int:registration_id>/papers/<code>/start")
@roles_required(Role.CANDIDATE)
def start(registration_id: int, code: str) -> Any:
    _own_registration(registration_id)
    try:
        attempt = attempts.start(current_user, registration_id, code[:16], str(get_locale()))
    except UserError as exc:
        flash(exc.message, "error")
        return redirect(url_for("exams.index"))
    return redirect(url_for("exams.attempt_page", attempt_id=attempt.id))


@bp.post("/practice/<int:level>")
@roles_required(Role.CANDIDATE)
def start_practice(level: int) -> Any:
    if level not in (1, 2):
        abort(404)
    try:
        # Level 2's practice is drawn for a technical direction (the form's choice; without one, the service's).
        direction = (request.form.get("direction") or None) if level == 2 else None
        attempt = attempts.start_mock(current_user, level, str(get_locale()), direction)
    except UserError as exc:
        flash(exc.message, "error")
        return redirect(url_for("exams.index"))
    return redirect(url_for("exams.attempt_page", attempt_id=attempt.id))


def _own_attempt(attempt_id: int) -> Attempt:
    attempt = db.session().get(Attempt, attempt_id)
    if attempt is None or attempt.user_id != current_user.id:
        abort(404)
    return attempt


@functools.cache
def _item_words() -> dict[str, dict[str, str]]:
    """The words the item renderer shows beside items, in every item language, built once per process
    (the catalogues do not change while it runs): per question and language they cost the exam page a
    third of its rendering time."""
    return {key: {code: item_word(key, code) for code in LANGUAGES} for key in ITEM_WORDS}


@bp.route("/attempts/<int:attempt_id>")
@roles_required(Role.CANDIDATE)
def attempt_page(attempt_id: int) -> Any:
    attempt = _own_attempt(attempt_id)
    st = autosave.state(current_user, attempt_id)
    if st.status == "submitted":
        return redirect(url_for("exams.finished", attempt_id=attempt_id))
    sess = db.session()
    at_most: dict[int, int] = {}
    calculator = False
    if attempt.registration_id is not None:
        reg = sess.get(Registration, attempt.registration_id)
        bp_ = blueprint_of(reg.sitting)  # type: ignore[union-attr]
        paper = next(p for p in bp_.papers if p.code == attempt.paper_code)
        at_most = {i: s.answer_at_most for i, s in enumerate(paper.sections) if s.answer_at_most}
        calculator = paper.calculator
    items = paper_view.shown_items(sess, attempt, at_most)
    if attempt.registration_id is None and items:
        # A practice test keeps no level; its items' modules say it, and its blueprint says the calculator.
        module = MODULES_BY_CODE.get(items[0].item.module)
        calculator = module is not None and mock_blueprint(module.level).papers[0].calculator
    saved = paper_view.answers(sess, attempt)
    lang = str(get_locale())
    return render_template("exams/attempt.html", attempt=attempt, items=items, saved=saved, state=st,
                           page_lang=lang, item_words=_item_words(), calculator=calculator)


@bp.route("/attempts/<int:attempt_id>/finished")
@roles_required(Role.CANDIDATE)
def finished(attempt_id: int) -> Any:
    attempt = _own_attempt(attempt_id)
    st = autosave.state(current_user, attempt_id)
    if st.status != "submitted":
        return redirect(url_for("exams.attempt_page", attempt_id=attempt_id))
    practice = None
    if attempt.kind == "mock":
        from certexam.services.attempts import practice as practice_service

        practice = practice_service.review(db.session(), attempt)
    return render_template("exams/finished.html", attempt=attempt, state=st, practice=practice)
