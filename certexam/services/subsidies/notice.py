"""Review, the public notice (公示) and the approval for payment of subsidy applications.

The bonus's rules for the notice are reused, not copied: the same span of
working days (services.bonus.notice.notice_span; rules s.3, "a public notice
period (公示, e.g. 5 working days)"). An institution's name is public (it is
an organisation, not a person), so the notice lists it unmasked with the
project and the amount. A well-founded objection during the notice is
upheld by a bonus approver, which rejects the application with the reason.
When the notice has ended the application is approved for payment: it gets
a grant, funded from its measure's year or queued (subsidies.budget).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import gettext as _
from sqlalchemy import select

from certexam import db
from certexam.domain.subsidies import Measure
from certexam.errors import Conflict, UserError
from certexam.models import Role, SubsidyApplication, User
from certexam.models.bonus import ApplicationStatus
from certexam.services.bonus.applications import require_admin
from certexam.services.bonus.notice import notice_span
from certexam.services.platform import clock
from certexam.services.subsidies import budget as subsidy_budget
from certexam.services.subsidies.applications import double_benefit_problems, get, move_to


@db.use_case
def review(admin: User, application_id: int, approve: bool, note: str,
           now: datetime | None = None) -> SubsidyApplication:
    """Approve for the public notice or reject with a reason (a bonus approver's duty)."""
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
    if double_benefit_problems(app.project, True, str(app.id)):
        raise Conflict(_("The project or its audited costs already back another application (item 33)."))
    app.notice_starts_on, app.notice_ends_on = notice_span(clock.today(at))
    move_to(app, ApplicationStatus.IN_NOTICE, admin, at, notice_starts_on=app.notice_starts_on.isoformat(),
            notice_ends_on=app.notice_ends_on.isoformat())
    return app


@db.use_case
def uphold_objection(admin: User, application_id: int, reason: str,
                     now: datetime | None = None) -> SubsidyApplication:
    """An objection received during the notice is well founded: the application is rejected."""
    require_admin(admin, Role.BONUS_APPROVER)
    app = get(application_id, lock=True)
    if app.status != ApplicationStatus.IN_NOTICE:
        raise Conflict(_("Objections are recorded while the application is on public notice."))
    if not reason.strip():
        raise UserError(_("Say how the objection is resolved."), "note")
    app.review_note = reason.strip()
    move_to(app, ApplicationStatus.REJECTED, admin, clock.now(now), objection=reason.strip()[:500])
    return app


@db.use_case
def close_notice(application_id: int, now: datetime | None = None) -> str:
    """approved (with a grant, funded or queued) once the notice has ended; else not_due."""
    at = clock.now(now)
    app = get(application_id, lock=True)
    if app.status != ApplicationStatus.IN_NOTICE or app.notice_ends_on is None or app.notice_ends_on >= clock.today(at):
        return "not_due"
    grant = subsidy_budget.add_grant(db.session(), app.id, app.organisation_id, app.measure, app.amount_fen, at)
    move_to(app, ApplicationStatus.APPROVED, None, at, grant_id=grant.id, grant_status=grant.status.value,
            budget_year=grant.budget_year)
    return "approved"


def close_ended_notices(now: datetime | None = None) -> list[str]:
    """Fund both measures' queues from this year's budgets, then close every ended notice."""
    subsidy_budget.roll_queue(now)
    stmt = (select(SubsidyApplication.id).where(SubsidyApplication.status == ApplicationStatus.IN_NOTICE,
                                                SubsidyApplication.notice_ends_on < clock.today(now))
            .order_by(SubsidyApplication.notice_ends_on, SubsidyApplication.id))
    return [close_notice(app_id, now) for app_id in list(db.session().scalars(stmt))]


@dataclass(frozen=True)
class NoticeLine:
    reference: str
    institution: str
    project: str
    measure: Measure
    amount_fen: int
    starts_on: date
    ends_on: date


def public_notice(now: datetime | None = None) -> list[NoticeLine]:
    """Applications on notice today: institution, project, measure and amount."""
    on = clock.today(now)
    stmt = (select(SubsidyApplication).where(SubsidyApplication.status == ApplicationStatus.IN_NOTICE,
                                             SubsidyApplication.notice_starts_on <= on,
                                             SubsidyApplication.notice_ends_on >= on)
            .order_by(SubsidyApplication.notice_starts_on, SubsidyApplication.id))
    lines = []
    for app in db.session().scalars(stmt):
        assert app.notice_starts_on is not None and app.notice_ends_on is not None
        lines.append(NoticeLine(app.reference, app.organisation.name, app.project.title, app.measure,
                                app.amount_fen, app.notice_starts_on, app.notice_ends_on))
    return lines
