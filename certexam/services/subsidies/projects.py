"""Projects a training institution registers for the programme, with their audited costs (rules s.4).

Who may: an employer-kind account whose organisation is a training institution
(OrgCategory.TRAINING_INSTITUTION, issue 23). Object access lives here: an
institution reaches only its own projects; someone else's is "not found".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import gettext as _
from sqlalchemy import select

from certexam import db
from certexam.domain.subsidies import Measure
from certexam.errors import Conflict, Forbidden, NotFound, UserError
from certexam.models import AccountKind, Organisation, OrgCategory, SubsidyProject, User
from certexam.services.bonus.payfiles.statement import amount_fen
from certexam.services.platform import audit, clock

EARLIEST_START = date(2020, 1, 1)  # a typo guard: the programme's first sitting was later


@dataclass(frozen=True)
class ProjectInput:
    measure: str
    code: str
    title: str
    starts_on: date
    ends_on: date
    audit_firm: str
    audit_report_no: str
    audited_costs_yuan: str  # as typed: 1234567.89


def institution_of(user: User) -> Organisation:
    """The training institution the account speaks for, or Forbidden."""
    # By id, not user.organisation: the caller's user may come from another session (a test, the CLI).
    org = db.session().get(Organisation, user.organisation_id) if user.organisation_id is not None else None
    if user.role != AccountKind.EMPLOYER or org is None or org.category != OrgCategory.TRAINING_INSTITUTION:
        raise Forbidden(_("Only training institutions apply for training subsidies."))
    return org


def is_institution(user: User) -> bool:
    """True for an account that speaks for a training institution."""
    try:
        institution_of(user)
    except Forbidden:
        return False
    return True


def projects_of(user: User) -> list[SubsidyProject]:
    org = institution_of(user)
    stmt = (select(SubsidyProject).where(SubsidyProject.organisation_id == org.id)
            .order_by(SubsidyProject.id.desc()))
    return list(db.session().scalars(stmt))


def own_project(user: User, project_id: int) -> SubsidyProject:
    """The institution's own project, or NotFound (also for someone else's, and for a non-institution)."""
    if not is_institution(user):
        raise NotFound(_("This project does not exist."))
    org = institution_of(user)
    project = db.session().get(SubsidyProject, project_id) if 0 < project_id < 2**31 else None
    if project is None or project.organisation_id != org.id:
        raise NotFound(_("This project does not exist."))
    return project


def _text(value: str, field: str, limit: int, message: str) -> str:
    text = " ".join(value.split())
    if not text:
        raise UserError(message, field)
    if len(text) > limit:
        raise UserError(_("At most %(n)d characters.", n=limit), field)
    return text


def _measure(raw: str) -> Measure:
    try:
        return Measure(raw)
    except ValueError:
        raise UserError(_("Choose what the project is: training, or body of knowledge, courseware and "
                          "promotion."), "measure") from None


@db.use_case
def register(user: User, data: ProjectInput, now: datetime | None = None) -> SubsidyProject:
    """Register a finished, audited project (its costs are audited, so it has ended)."""
    sess = db.session()
    at = clock.now(now)
    org = institution_of(user)
    measure = _measure(data.measure)
    code = _text(data.code, "code", 50, _("Enter the project's number."))
    title = _text(data.title, "title", 200, _("Enter the project's title."))
    firm = _text(data.audit_firm, "audit_firm", 200, _("Enter the audit firm."))
    report = _text(data.audit_report_no, "audit_report_no", 100, _("Enter the audit report's number."))
    if data.starts_on < EARLIEST_START:
        raise UserError(_("The start date is too early."), "starts_on")
    if data.ends_on < data.starts_on:
        raise UserError(_("The end date is before the start date."), "ends_on")
    if data.ends_on > clock.today(at):
        raise UserError(_("Audited costs are for a project that has ended: the end date cannot be in the future."),
                        "ends_on")
    costs = amount_fen(data.audited_costs_yuan)
    if costs is None or costs <= 0:
        raise UserError(_("Enter the audited costs in yuan, e.g. 250000.00."), "audited_costs_yuan")
    taken = sess.scalar(select(SubsidyProject.id).where(SubsidyProject.organisation_id == org.id,
                                                        SubsidyProject.code == code))
    if taken is not None:
        raise Conflict(_("Your institution already has a project with this number."))
    project = SubsidyProject(organisation_id=org.id, measure=measure, code=code, title=title,
                             starts_on=data.starts_on, ends_on=data.ends_on, audit_firm=firm, audit_report_no=report,
                             audited_costs_fen=costs, created_by_id=user.id, created_at=at)
    sess.add(project)
    sess.flush()
    audit.record(sess, "subsidy.project.register", "subsidy_project", project.id, actor_id=user.id,
                 after={"measure": measure.value, "code": code, "audit_report_no": report,
                        "audited_costs_fen": costs})
    return project
