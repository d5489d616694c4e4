"""Subsidy applications: apply with declarations, completeness check, withdraw (rules s.4; issue 23).

The holder bonus's path and statuses (models.bonus.ApplicationStatus):
submitted -> (incomplete -> submitted)* -> under_review -> in_notice -> approved -> paid,
with rejected and withdrawn as ends. The review and notice are in subsidies.notice.
The same staff duties as the bonus: a bonus checker checks completeness, a bonus
approver reviews (services.bonus.applications.require_admin).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select

from certexam import db
from certexam.domain.bonus_facts import BonusPolicy
from certexam.domain.subsidies import (
    Claim,
    DoubleBenefit,
    double_benefit,
    normalise_key,
    subsidy_amount,
    within_measures,
)
from certexam.errors import Conflict, NotFound, UserError
from certexam.models import Role, SubsidyApplication, SubsidyProject, User
from certexam.models.bonus import ApplicationStatus
from certexam.services.bonus.applications import require_admin
from certexam.services.bonus.payfiles import accounts as bank_details
from certexam.services.platform import audit, clock
from certexam.services.subsidies import projects
from certexam.services.subsidies.settings import rules_for

DEAD = frozenset({ApplicationStatus.REJECTED, ApplicationStatus.WITHDRAWN, ApplicationStatus.CANCELLED})
WITHDRAWABLE = frozenset({ApplicationStatus.SUBMITTED, ApplicationStatus.INCOMPLETE, ApplicationStatus.UNDER_REVIEW,
                          ApplicationStatus.IN_NOTICE})


@dataclass(frozen=True)
class ApplyInput:
    project_id: int
    no_same_kind_award: bool
    truthful: bool
    bank_name: str
    bank_account: str
    bank_account_kind: str = "account"  # an institution is paid into its basic account (基本户)
    bank_cnaps: str = ""


def get(application_id: int, *, lock: bool = False) -> SubsidyApplication:
    stmt = select(SubsidyApplication).where(SubsidyApplication.id == application_id)
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    app = db.session().scalar(stmt) if 0 < application_id < 2**31 else None
    if app is None:
        raise NotFound(_("This application does not exist."))
    return app


def applications_of(user: User) -> list[SubsidyApplication]:
    org = projects.institution_of(user)
    stmt = (select(SubsidyApplication).where(SubsidyApplication.organisation_id == org.id)
            .order_by(SubsidyApplication.id.desc()))
    return list(db.session().scalars(stmt))


def listing(status: ApplicationStatus | None = None) -> list[SubsidyApplication]:
    """Applications for staff, oldest first."""
    stmt = select(SubsidyApplication).order_by(SubsidyApplication.id)
    if status is not None:
        stmt = stmt.where(SubsidyApplication.status == status)
    return list(db.session().scalars(stmt))


def move_to(app: SubsidyApplication, to: ApplicationStatus, actor: User | None, at: datetime,
            **extra: object) -> None:
    before = {"status": app.status.value}
    app.status, app.updated_at = to, at
    if to in DEAD or to == ApplicationStatus.APPROVED:
        app.closed_at = at
    audit.record(db.session(), f"subsidy.application.{to.value}", "subsidy_application", app.id,
                 actor_id=actor.id if actor else None, before=before, after={"status": to.value, **extra})


def _claim(ref: str, project: SubsidyProject) -> Claim:
    return Claim(ref, f"{project.organisation_id}/{project.code}", project.audit_report_no, project.measure)


def double_benefit_problems(project: SubsidyProject, declared: bool, ref: str = "new") -> list[DoubleBenefit]:
    """rules s.3, item 33 (domain.subsidies.double_benefit) against every live application of both measures."""
    live = db.session().scalars(select(SubsidyApplication).where(SubsidyApplication.status.not_in(DEAD)))
    return double_benefit(_claim(ref, project), [_claim(str(a.id), a.project) for a in live], declared)


def double_benefit_message(problem: DoubleBenefit) -> tuple[str, str]:
    """The form field and the translated sentence for a double-benefit problem."""
    if problem == DoubleBenefit.SAME_PROJECT:
        return "project_id", _("This project already has an application: a project is funded once, under one "
                               "measure (item 33).")
    if problem == DoubleBenefit.SAME_AUDIT:
        return "project_id", _("These audited costs (the same audit report) already back another application: "
                               "the same costs are funded once (item 33).")
    return "no_same_kind_award", _("You must declare that the institution takes no city-level subsidy of the "
                                   "same kind for this project.")


def _refuse(problems: list[DoubleBenefit]) -> None:
    if problems:
        field, message = double_benefit_message(problems[0])
        raise UserError(message, field)


@db.use_case
def apply(user: User, data: ApplyInput, now: datetime | None = None) -> SubsidyApplication:
    """Apply for a registered project: both declarations, bank details, no double benefit."""
    sess = db.session()
    at = clock.now(now)
    org = projects.institution_of(user)
    # The organisation's row serialises two clicks of "apply" (the partial unique indexes back it).
    sess.execute(select(SubsidyProject.id).where(SubsidyProject.organisation_id == org.id).with_for_update())
    project = projects.own_project(user, data.project_id)
    policy = BonusPolicy()
    if not within_measures(clock.today(at), policy.measures_start, policy.measures_last_day):
        raise UserError(_("The measures are not in force today (item 38)."))
    _refuse(double_benefit_problems(project, data.no_same_kind_award))
    if not data.truthful:
        raise UserError(_("You must declare that the information is true."), "truthful")
    details = bank_details.check(data.bank_name, data.bank_account, data.bank_account_kind, data.bank_cnaps)
    amount = subsidy_amount(project.audited_costs_fen, rules_for(project.measure))
    if amount.amount_fen <= 0:
        raise UserError(_("The audited costs are too small for a subsidy."), "project_id")
    app = SubsidyApplication(project_id=project.id, organisation_id=org.id, measure=project.measure,
                             audit_key=normalise_key(project.audit_report_no)[:100],
                             status=ApplicationStatus.SUBMITTED, submitted_at=at, submitted_by_id=user.id,
                             share_fen=amount.share_fen, amount_fen=amount.amount_fen,
                             declared_no_same_kind_award=True, declared_truthful=True, bank_name=details.bank_name,
                             bank_account=details.account, bank_account_kind=details.kind.value,
                             bank_cnaps=details.cnaps, updated_at=at)
    sess.add(app)
    sess.flush()
    audit.record(sess, "subsidy.application.submit", "subsidy_application", app.id, actor_id=user.id,
                 after={"project_id": project.id, "measure": project.measure.value, "share_fen": amount.share_fen,
                        "amount_fen": amount.amount_fen})
    return app


def own_application(user: User, application_id: int, *, lock: bool = False) -> SubsidyApplication:
    org = projects.institution_of(user)
    app = get(application_id, lock=lock)
    if app.organisation_id != org.id:
        raise NotFound(_("This application does not exist."))
    return app


@db.use_case
def withdraw(user: User, application_id: int, now: datetime | None = None) -> SubsidyApplication:
    app = own_application(user, application_id, lock=True)
    if app.status not in WITHDRAWABLE:
        raise Conflict(_("This application can no longer be withdrawn."))
    move_to(app, ApplicationStatus.WITHDRAWN, user, clock.now(now))
    return app


@db.use_case
def resubmit(user: User, application_id: int, now: datetime | None = None) -> SubsidyApplication:
    """Send a returned application back for the completeness check."""
    app = own_application(user, application_id, lock=True)
    if app.status != ApplicationStatus.INCOMPLETE:
        raise Conflict(_("Only a returned application can be sent again."))
    move_to(app, ApplicationStatus.SUBMITTED, user, clock.now(now))
    return app


@dataclass(frozen=True)
class CheckItem:
    label: str
    ok: bool


def checklist(app: SubsidyApplication) -> list[CheckItem]:
    """What the completeness check looks at, worked out for the checker."""
    project = app.project
    return [
        CheckItem(_("Both declarations made"), app.declared_no_same_kind_award and app.declared_truthful),
        CheckItem(_("Bank account given"),
                  bank_details.stored_problem(app.bank_account, app.bank_account_kind, app.bank_cnaps) is None),
        CheckItem(_("Audit firm and report number given"), bool(project.audit_firm and project.audit_report_no)),
        CheckItem(_("No other live application for the project or its audited costs (item 33)"),
                  not double_benefit_problems(project, True, str(app.id))),
    ]


@db.use_case
def check(admin: User, application_id: int, complete: bool, note: str,
          now: datetime | None = None) -> SubsidyApplication:
    """The completeness check: on to review, or back to the institution with what is missing."""
    require_admin(admin, Role.BONUS_CHECKER)
    at = clock.now(now)
    app = get(application_id, lock=True)
    if app.status != ApplicationStatus.SUBMITTED:
        raise Conflict(_("This application is not waiting for the completeness check."))
    note = note.strip()
    if not complete and not note:
        raise UserError(_("Say what is missing."), "note")
    app.check_note = note or None
    app.checked_by_id, app.checked_at = admin.id, at
    move_to(app, ApplicationStatus.UNDER_REVIEW if complete else ApplicationStatus.INCOMPLETE, admin, at, note=note)
    return app
