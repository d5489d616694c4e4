"""Administrator pages for blueprints, sittings, registrations and accommodations, and the proctor view."""

from __future__ import annotations

import json
import re
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from certexam import confirmation, db
from certexam.domain import blueprint as bp_rules
from certexam.domain.catalogue import DIRECTIONS, LANGUAGES
from certexam.domain.locales import NATIVE_NAMES
from certexam.errors import UserError
from certexam.models import Attempt, Registration, Role, Sitting, User
from certexam.services.attempts import proctoring
from certexam.services.bank import translations as bank_translations
from certexam.services.platform import clock
from certexam.services.sittings import blueprints, form_check
from certexam.services.sittings import schedule as sittings
from certexam.sittings import bp
from certexam.sittings import forms as F
from certexam.sittings.forms import (
    AccommodationForm,
    BlueprintCopyForm,
    BlueprintForm,
    ProctorActionForm,
    SittingForm,
    check_rows,
    fee_fen,
    paper_rows,
)
from certexam.web import page_number, roles_required, show_error

PAGE_SIZE = 100
_ID = re.compile(r"[0-9]{1,10}")
MAX_ID = 2**31 - 1  # an integer column: larger values would fail in the database, not here


def _id(raw: str) -> int:
    """A path id, or 404 (ids arrive as text so that the role check runs before any parsing)."""
    if not _ID.fullmatch(raw) or int(raw) > MAX_ID:
        abort(404)
    return int(raw)


def _sitting(raw: str) -> Sitting:
    sitting = db.session().get(Sitting, _id(raw))
    if sitting is None:
        abort(404)
    return sitting






@bp.context_processor
def _helpers() -> dict[str, Any]:
    return {"yuan": F.yuan, "duration": F.duration, "event_label": F.event_label, "status_label": F.status_label,
            "mode_label": F.mode_label, "native_names": NATIVE_NAMES, "directions": DIRECTIONS}


@bp.route("/")
@roles_required(Role.RESULTS_OFFICER, read=(Role.PROCTOR, Role.AUDITOR))
def sitting_list() -> Any:
    sess = db.session()
    counts = dict(sess.execute(select(Registration.sitting_id, func.count()).group_by(Registration.sitting_id)).all())
    rows = sess.scalars(select(Sitting).order_by(Sitting.registration_opens_at.desc(), Sitting.id.desc())).all()
    return render_template("sittings/list.html", sittings=rows, counts=counts, now=clock.now())


@bp.route("/new", methods=["GET", "POST"])
@roles_required(Role.RESULTS_OFFICER)
def new() -> Any:
    sittings.ensure_default_blueprints()
    records = {r.name: r for r in blueprints.all_blueprints()}
    form = SittingForm()
    form.blueprint.choices = [(n, f"{n} ({_('Level %(n)d', n=r.level)})") for n, r in records.items()]
    wanted = form.blueprint.data if request.method == "POST" else request.args.get("blueprint", "")
    record = records.get(wanted or "") or next(iter(records.values()))
    ready = bank_translations.ready_languages(db.session(), record.level)  # issue 22: reviewed everywhere
    form.ready_languages = ready
    if request.method == "GET":
        form.blueprint.data, form.level.data = record.name, record.level
        form.languages.data = list(ready)
    spec = bp_rules.from_dict(json.loads(record.spec))
    posted = request.method == "POST"
    rows = paper_rows(spec, request.form if posted else None)
    if posted and request.form.get("refresh"):
        form.level.data = record.level  # only showing the chosen blueprint's papers: no errors yet
        return render_template("sittings/new.html", form=form, rows=rows, record=record)
    form_ok = form.validate_on_submit()
    if posted and check_rows(rows) and form_ok:
        plan = sittings.SittingPlan(
            name=form.name.data or "", level=form.level.data or 0,
            registration_opens_at=form.registration_opens.parsed,  # type: ignore[arg-type]
            registration_closes_at=form.registration_closes.parsed,  # type: ignore[arg-type]
            capacity=form.capacity.data or 0, languages=tuple(c for c in LANGUAGES if c in form.languages.data),
            fee_fen=fee_fen(form.fee_yuan.data or ""),
            papers=tuple(sittings.PaperPlan(r.code, r.starts_at, r.minutes_value)  # type: ignore[arg-type]
                         for r in rows),
            assembly_mode=form.assembly_mode.data or "", blueprint_name=record.name,
            late_entry_minutes=form.late_entry_minutes.data or 0)
        try:
            sitting = sittings.create_sitting(current_user, plan)
        except UserError as exc:
            if exc.field == "papers":
                flash(exc.message, "error")
            else:
                show_error(form, exc)
        else:
            flash(_("The sitting is scheduled."), "success")
            return redirect(url_for("sittings.detail", sitting_id=sitting.id))
    return render_template("sittings/new.html", form=form, rows=rows, record=record), 400 if posted else 200


@bp.route("/<sitting_id>")
@roles_required(Role.RESULTS_OFFICER, read=(Role.PROCTOR, Role.AUDITOR))
def detail(sitting_id: str) -> Any:
    sitting = _sitting(sitting_id)
    sess = db.session()
    page = page_number(100_000)
    regs = sess.execute(select(Registration, User).join(User, User.id == Registration.user_id)
                        .where(Registration.sitting_id == sitting.id).order_by(Registration.admission_no)
                        .limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    total = sess.scalar(select(func.count()).select_from(Registration)
                        .where(Registration.sitting_id == sitting.id)) or 0
    return render_template("sittings/detail.html", sitting=sitting, blueprint=sittings.blueprint_of(sitting),
                           registrations=regs, total=total, page=page, page_size=PAGE_SIZE,
                           spreads=form_check.spreads(sess, sitting), sample_forms=form_check.SAMPLE_FORMS,
                           stored_sets=form_check.stored(sess, sitting))


@bp.post("/<sitting_id>/registrations/<registration_id>/accommodation")
@roles_required(Role.RESULTS_OFFICER)
def accommodation(sitting_id: str, registration_id: str) -> Any:
    sitting = _sitting(sitting_id)
    reg = db.session().get(Registration, _id(registration_id))
    if reg is None or reg.sitting_id != sitting.id:
        abort(404)
    form = AccommodationForm()
    if form.validate_on_submit():
        try:
            sittings.set_accommodation(current_user, reg.id, form.extra_minutes.data or 0,
                                       form.multiplier_pct.data or 0)
        except UserError as exc:
            flash(exc.message, "error")
        else:
            flash(_("Extra time for %(no)s is saved. It applies to papers not yet begun; use the proctor "
                    "view to add time to a paper in progress.", no=reg.admission_no), "success")
    else:
        flash(_("Extra time must be 0 to 600 minutes and the multiplier 100% to 300%."), "error")
    return redirect(url_for("sittings.detail", sitting_id=sitting.id, page=page_number(100_000), _anchor=f"reg-{reg.id}"))


def _live(sitting: Sitting) -> dict[str, Any]:
    include = request.args.get("finished") == "1"
    return {"sitting": sitting, "rows": proctoring.live_attempts(sitting.id, include_finished=include),
            "include_finished": include, "max_add": proctoring.MAX_ADD_MINUTES}


@bp.route("/<sitting_id>/proctor")
@roles_required(Role.PROCTOR)
def proctor(sitting_id: str) -> Any:
    return render_template("sittings/proctor.html", **_live(_sitting(sitting_id)))


@bp.route("/<sitting_id>/proctor/live")
@roles_required(Role.PROCTOR)
def proctor_live(sitting_id: str) -> Any:
    """The live table alone, for proctor.js to refresh without reloading the page."""
    resp = render_template("sittings/_live_table.html", **_live(_sitting(sitting_id)))
    return resp, 200, {"X-Fragment": "proctor-live", "Cache-Control": "no-store"}


@bp.post("/<sitting_id>/proctor/<attempt_id>")
@roles_required(Role.PROCTOR)
def proctor_action(sitting_id: str, attempt_id: str) -> Any:
    sitting = _sitting(sitting_id)
    attempt = db.session().get(Attempt, _id(attempt_id))
    reg = db.session().get(Registration, attempt.registration_id) if attempt and attempt.registration_id else None
    if attempt is None or reg is None or reg.sitting_id != sitting.id:
        abort(404)
    back = redirect(url_for("sittings.proctor", sitting_id=sitting.id, _anchor=f"attempt-{attempt.id}"))
    form = ProctorActionForm()
    form.validate_on_submit()
    adding = form.action.data == "add_time"
    checked = [form.action, form.reason, *([form.minutes] if adding else [])]
    problems = [f"{f.label.text}: {e}" for f in checked for e in f.errors]
    if adding and not problems and form.minutes.data is None:
        problems.append(_("Enter the minutes to add."))
    if problems:
        flash(_("Not done: %(why)s", why=" ".join(str(p) for p in problems)), "error")
        return back
    reason = form.reason.data or ""
    if form.action.data == "end" and not confirmation.confirmed():
        return _confirm_end(sitting, attempt, reason) or back
    try:
        if form.action.data == "pause":
            proctoring.pause(current_user, attempt.id, reason)
        elif form.action.data == "resume":
            proctoring.resume(current_user, attempt.id, reason)
        elif form.action.data == "add_time":
            proctoring.add_time(current_user, attempt.id, form.minutes.data or 0, reason)
        else:
            proctoring.end(current_user, attempt.id, reason)
    except UserError as exc:
        flash(_("Not done: %(why)s", why=exc.message), "error")
    else:
        flash(F.action_done(form.action.data or "", reg.admission_no, form.minutes.data or 0), "success")
    return back


def _confirm_end(sitting: Sitting, attempt: Attempt, reason: str) -> str | None:
    """The confirmation of "end the paper now" (issue 18.10); None, with a message, if it no longer applies."""
    row = next((a for a in proctoring.live_attempts(sitting.id) if a.attempt_id == attempt.id), None)
    if row is None:  # submitted meanwhile (by the candidate, the clock or another proctor)
        flash(_("Not done: %(why)s", why=_("This attempt is already finished.")), "error")
        return None
    return confirmation.page(
        title=_("End the paper of %(no)s now", no=row.admission_no),
        statement=_("End paper %(paper)s of %(name)s (%(no)s) now: it is submitted with the %(answered)d of "
                    "%(total)d answers saved so far, and the candidate cannot continue it.",
                    paper=row.paper_code, name=f"{row.name_zh} / {row.name_en}", no=row.admission_no,
                    answered=row.answered, total=row.total),
        details=[_("Reason (recorded): %(reason)s", reason=reason)],
        button=_("End the paper now"), fields={"action": "end", "reason": reason},
        cancel_url=url_for("sittings.proctor", sitting_id=sitting.id, _anchor=f"attempt-{attempt.id}"))


@bp.route("/blueprints")
@roles_required(Role.RESULTS_OFFICER, read=(Role.ITEM_REVIEWER, Role.AUDITOR))
def blueprint_list() -> Any:
    sittings.ensure_default_blueprints()
    records = [(r, bp_rules.from_dict(json.loads(r.spec))) for r in blueprints.all_blueprints()]
    return render_template("sittings/blueprints.html", records=records)


def _blueprint(raw: str) -> Any:
    try:
        return blueprints.get(_id(raw))
    except UserError:
        abort(404)


@bp.route("/blueprints/<blueprint_id>", methods=["GET", "POST"])
@roles_required(Role.RESULTS_OFFICER, read=(Role.ITEM_REVIEWER, Role.AUDITOR))
def blueprint_edit(blueprint_id: str) -> Any:
    record = _blueprint(blueprint_id)
    form = BlueprintForm()
    problems: list[str] = []
    status = 200
    if request.method == "GET":
        form.spec.data = blueprints.pretty(record)
    elif form.validate_on_submit():
        try:
            blueprints.update(current_user, record.id, form.spec.data or "")
        except blueprints.SpecError as exc:
            problems, status = exc.problems, 400
        else:
            flash(_("The blueprint is saved. Sittings scheduled from now on use it; existing sittings keep "
                    "their copy."), "success")
            return redirect(url_for("sittings.blueprint_edit", blueprint_id=record.id))
    else:
        status = 400
    return render_template("sittings/blueprint.html", record=record, form=form, problems=problems,
                           copy_form=BlueprintCopyForm(formdata=None),
                           spec=bp_rules.from_dict(json.loads(record.spec)), shortfalls=blueprints.shortfalls(record)), \
        status


@bp.post("/blueprints/<blueprint_id>/copy")
@roles_required(Role.RESULTS_OFFICER)
def blueprint_copy(blueprint_id: str) -> Any:
    record = _blueprint(blueprint_id)
    form = BlueprintCopyForm()
    if form.validate_on_submit():
        try:
            new_record = blueprints.copy(current_user, record.id, form.name.data or "")
        except UserError as exc:
            flash(exc.message, "error")
        else:
            flash(_("The copy %(name)s is created.", name=new_record.name), "success")
            return redirect(url_for("sittings.blueprint_edit", blueprint_id=new_record.id))
    else:
        flash(_("Give the copy a name."), "error")
    return redirect(url_for("sittings.blueprint_edit", blueprint_id=record.id))
