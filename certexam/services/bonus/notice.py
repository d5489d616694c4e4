"""Review, the public notice (公示) with its objections, and the approval for payment.

An application the reviewer approves goes on public notice for
NOTICE_WORKING_DAYS working days (rules s.3: "a public notice period (公示,
e.g. 5 working days)"), starting on the day of approval when that is a working
day, else on the next one.  Objections received meanwhile are recorded; one
upheld rejects the application.  When the notice has ended and no objection
is open, the application is approved for payment: it gets a grant, funded
from the year's budget or queued for the next (bonus_budget).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import gettext as _
from sqlalchemy import select

from certexam import db
from certexam.domain.masking import mask_name
from certexam.errors import Conflict, NotFound, UserError
from certexam.models import BonusApplication, Objection, Role, User
from certexam.models.bonus import ApplicationStatus, ObjectionStatus
from certexam.services.bonus import budget as bonus_budget
from certexam.services.bonus import eligibility as bonus_eligibility
from certexam.services.bonus.applications import get, move_to, require_admin, unmet_message
from certexam.services.bonus.settings import notice_working_days, policy
from certexam.services.platform import audit, clock


def notice_span(on: date) -> tuple[date, date]:
    """First and last day of a notice published on day `on`."""
    cal = clock.calendar()
    first = on if cal.is_working_day(on) else cal.next_working_day(on)
    return first, cal.span_end(first, notice_working_days())


@db.use_case
def review(admin: User, application_id: int, approve: bool, note: str,
           now: datetime | None = None) -> BonusApplication:
    """Approve for the public notice (the holder must still be eligible) or reject with a reason."""
    require_admin(admin, Role.BONUS_APPROVER)
    at = clock.now(now)
    app = get(application_id, lock=True)
    if app.status != ApplicationStatus.UNDER_REVIEW:
        raise Conflict(_("This application is not under review."))
    note = note.strip()
    app.review_note = note or None
    app.reviewed_by_id, app.reviewed_at = admin.id, at
    if not approve:
        if not note:
            raise UserError(_("Say why the application is rejected."), "note")
        move_to(app, ApplicationStatus.REJECTED, admin, at, note=note)
        return app
    verdict = bonus_eligibility.evaluate(app.user_id, clock.today(at), clock.local_date(app.submitted_at))
    if not verdict.result.eligible:
        raise UserError(unmet_message(verdict))
    app.notice_starts_on, app.notice_ends_on = notice_span(clock.today(at))
    move_to(app, ApplicationStatus.IN_NOTICE, admin, at, notice_starts_on=app.notice_starts_on.isoformat(),
          notice_ends_on=app.notice_ends_on.isoformat())
    return app


@db.use_case
def record_objection(admin: User, application_id: int, received_on: date, objector: str, text: str,
                     now: datetime | None = None) -> Objection:
    """Record an objection received while the application is on notice."""
    require_admin(admin, Role.BONUS_CHECKER, Role.BONUS_APPROVER)
    at = clock.now(now)
    app = get(application_id, lock=True)
    if app.status != ApplicationStatus.IN_NOTICE:
        raise Conflict(_("Objections are recorded while the application is on public notice."))
    if not text.strip():
        raise UserError(_("Write down the objection."), "text")
    if received_on > clock.today(at):
        raise UserError(_("The day received cannot be in the future."), "received_on")
    obj = Objection(application_id=app.id, received_on=received_on, objector=objector.strip()[:200],
                    text=text.strip(), status=ObjectionStatus.OPEN, recorded_by_id=admin.id, recorded_at=at)
    db.session().add(obj)
    db.session().flush()
    audit.record(db.session(), "bonus.objection.record", "bonus_objection", obj.id, actor_id=admin.id,
                 after={"application_id": app.id, "received_on": received_on.isoformat()})
    return obj


@db.use_case
def resolve_objection(admin: User, objection_id: int, uphold: bool, resolution: str,
                      now: datetime | None = None) -> Objection:
    """Uphold (the application is rejected) or dismiss an objection; a reason is required."""
    require_admin(admin, Role.BONUS_APPROVER)
    at = clock.now(now)
    sess = db.session()
    obj = sess.scalar(select(Objection).where(Objection.id == objection_id).with_for_update())
    if obj is None:
        raise NotFound(_("This objection does not exist."))
    app = get(obj.application_id, lock=True)
    if obj.status != ObjectionStatus.OPEN:
        raise Conflict(_("This objection is already resolved."))
    if not resolution.strip():
        raise UserError(_("Say how the objection is resolved."), "resolution")
    obj.status = ObjectionStatus.UPHELD if uphold else ObjectionStatus.DISMISSED
    obj.resolution, obj.resolved_by_id, obj.resolved_at = resolution.strip(), admin.id, at
    audit.record(sess, "bonus.objection.resolve", "bonus_objection", obj.id, actor_id=admin.id,
                 after={"status": obj.status.value})
    if uphold and app.status == ApplicationStatus.IN_NOTICE:
        app.review_note = resolution.strip()
        move_to(app, ApplicationStatus.REJECTED, admin, at, objection_id=obj.id)
    return obj


@dataclass(frozen=True)
class CloseOutcome:
    application_id: int
    result: str  # approved | review_again | waiting (objection open) | not_due


@db.use_case
def close_notice(application_id: int, now: datetime | None = None) -> CloseOutcome:
    """Approve for payment once the notice has ended without an open objection."""
    at = clock.now(now)
    on = clock.today(at)
    app = get(application_id, lock=True)
    if app.status != ApplicationStatus.IN_NOTICE or app.notice_ends_on is None or app.notice_ends_on >= on:
        return CloseOutcome(app.id, "not_due")
    if any(o.status == ObjectionStatus.OPEN for o in app.objections):
        return CloseOutcome(app.id, "waiting")
    verdict = bonus_eligibility.evaluate(app.user_id, on, clock.local_date(app.submitted_at))
    if not verdict.result.eligible:
        # Something changed during the notice (a revoked certificate, a finding): a person decides.
        app.review_note = unmet_message(verdict)
        move_to(app, ApplicationStatus.UNDER_REVIEW, None, at, unmet=list(verdict.result.unmet))
        return CloseOutcome(app.id, "review_again")
    grant = bonus_budget.add_grant(db.session(), app.id, app.user_id, policy().amount_fen, now)
    move_to(app, ApplicationStatus.APPROVED, None, at, grant_id=grant.id, grant_status=grant.status.value,
          budget_year=grant.budget_year)
    return CloseOutcome(app.id, "approved")


def due_notices(now: datetime | None = None) -> list[int]:
    """Applications whose notice has ended (the close step decides what happens to each)."""
    stmt = (select(BonusApplication.id).where(BonusApplication.status == ApplicationStatus.IN_NOTICE,
                                              BonusApplication.notice_ends_on < clock.today(now))
            .order_by(BonusApplication.notice_ends_on, BonusApplication.id))
    return list(db.session().scalars(stmt))


def close_ended_notices(now: datetime | None = None) -> list[CloseOutcome]:
    """Fund the waiting queue from this year's budget, then close every ended notice, one transaction each."""
    bonus_budget.roll_queue(now)
    return [close_notice(app_id, now) for app_id in due_notices(now)]


@dataclass(frozen=True)
class NoticeLine:
    reference: str
    masked_name: str
    starts_on: date
    ends_on: date


def public_notice(now: datetime | None = None) -> list[NoticeLine]:
    """Applications on notice today, names masked (rules s.3: the notice lists approved names)."""
    on = clock.today(now)
    stmt = (select(BonusApplication).where(BonusApplication.status == ApplicationStatus.IN_NOTICE,
                                           BonusApplication.notice_starts_on <= on,
                                           BonusApplication.notice_ends_on >= on)
            .order_by(BonusApplication.notice_starts_on, BonusApplication.id))
    lines = []
    for app in db.session().scalars(stmt):
        assert app.notice_starts_on is not None and app.notice_ends_on is not None
        name = app.holder.name_zh or app.holder.name_en
        lines.append(NoticeLine(app.reference, mask_name(name), app.notice_starts_on, app.notice_ends_on))
    return lines
