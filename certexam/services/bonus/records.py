"""Employment records: a holder declares periods and evidence, the employer confirms or disputes.

Object-level access lives here, not in the views: a holder reaches only their
own periods and files, an employer only periods at its own organisation.
Someone else's object is answered as "not found", so ids reveal nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import gettext as _
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from certexam import db
from certexam.errors import Conflict, Forbidden, NotFound, UserError
from certexam.models import (
    BonusApplication,
    EmploymentRecord,
    EvidenceFile,
    Organisation,
    Role,
    User,
)
from certexam.models.bonus import ApplicationStatus, PeriodStatus
from certexam.services.bonus import evidence as bonus_evidence
from certexam.services.bonus.settings import MAX_EVIDENCE_FILES
from certexam.services.platform import audit, clock

EARLIEST_START = date(1980, 1, 1)  # a typo guard: no holder's career starts earlier
MAX_PERIODS = 50  # per holder; far above any real career, it bounds the eligibility work
# While an application is being decided the records it rests on stay as they are.
LOCKING_STATUSES = frozenset({ApplicationStatus.UNDER_REVIEW, ApplicationStatus.IN_NOTICE,
                              ApplicationStatus.APPROVED, ApplicationStatus.PAID})


@dataclass(frozen=True)
class PeriodInput:
    organisation_id: int
    starts_on: date
    ends_on: date | None
    full_time: bool


def records_of(user: User) -> list[EmploymentRecord]:
    """The holder's periods, newest start first."""
    stmt = (select(EmploymentRecord).where(EmploymentRecord.user_id == user.id)
            .order_by(EmploymentRecord.starts_on.desc(), EmploymentRecord.id.desc()))
    return list(db.session().scalars(stmt))


def _locked(user_id: int) -> bool:
    stmt = select(func.count()).select_from(BonusApplication).where(
        BonusApplication.user_id == user_id, BonusApplication.status.in_(LOCKING_STATUSES))
    return bool(db.session().scalar(stmt))


def own_record(user: User, record_id: int, *, lock: bool = False) -> EmploymentRecord:
    """The holder's own period, or NotFound (also for another holder's)."""
    stmt = select(EmploymentRecord).where(EmploymentRecord.id == record_id)
    if lock:
        stmt = stmt.with_for_update()
    record = db.session().scalar(stmt)
    if record is None or record.user_id != user.id:
        raise NotFound(_("This employment period does not exist."))
    return record


def _check_input(data: PeriodInput, on: date) -> Organisation:
    # An id past PostgreSQL's integer (or SQLite's 2^63) is no organisation, not a query (issue 19.8).
    org = db.session().get(Organisation, data.organisation_id) if 0 < data.organisation_id < 2**31 else None
    if org is None:
        raise UserError(_("Choose an organisation from the list."), "organisation_id")
    if data.starts_on < EARLIEST_START or data.starts_on > on:
        raise UserError(_("The start date must be a day in the past."), "starts_on")
    if data.ends_on is not None:
        if data.ends_on < data.starts_on:
            raise UserError(_("The end date is before the start date."), "ends_on")
        if data.ends_on > on:
            raise UserError(_("The end date is in the future; leave it empty for a job that continues."),
                            "ends_on")
    return org


@db.use_case
def add_period(user: User, data: PeriodInput, now: datetime | None = None) -> EmploymentRecord:
    """Declare a period of work; it waits for the employer's confirmation."""
    sess = db.session()
    at = clock.now(now)
    org = _check_input(data, clock.today(at))
    count = sess.scalar(select(func.count()).select_from(EmploymentRecord)
                        .where(EmploymentRecord.user_id == user.id)) or 0
    if count >= MAX_PERIODS:
        raise UserError(_("You cannot declare more than %(n)d periods.", n=MAX_PERIODS))
    record = EmploymentRecord(user_id=user.id, organisation_id=org.id, starts_on=data.starts_on,
                              ends_on=data.ends_on, full_time=data.full_time, status=PeriodStatus.PENDING,
                              created_at=at)
    sess.add(record)
    sess.flush()
    audit.record(sess, "bonus.period.add", "bonus_employment", record.id, actor_id=user.id,
                 after=_period_json(record))
    return record


@db.use_case
def delete_period(user: User, record_id: int) -> None:
    """Remove a period the employer has not confirmed, with its files."""
    sess = db.session()
    record = own_record(user, record_id, lock=True)
    if record.status == PeriodStatus.CONFIRMED:
        raise Conflict(_("A confirmed period cannot be removed."))
    if _locked(user.id):
        raise Conflict(_("Your application is being decided; periods cannot be changed now."))
    before = _period_json(record)
    paths = [e.stored_path for e in record.evidence]
    for ev in list(record.evidence):
        sess.delete(ev)
    sess.delete(record)
    audit.record(sess, "bonus.period.delete", "bonus_employment", record_id, actor_id=user.id, before=before)

    @event.listens_for(sess, "after_commit", once=True)
    def _remove_files(_session: Session) -> None:
        # Only once the rows are gone for good: a rolled-back delete keeps its files.
        for rel in paths:
            path = bonus_evidence.path_of(rel)
            if path is not None:
                path.unlink(missing_ok=True)


@db.use_case
def add_evidence(user: User, record_id: int, filename: str, data: bytes,
                 now: datetime | None = None) -> EvidenceFile:
    """Attach a checked PDF/JPEG/PNG to the holder's own period."""
    sess = db.session()
    record = own_record(user, record_id, lock=True)
    if len(record.evidence) >= MAX_EVIDENCE_FILES:
        raise UserError(_("A period can have at most %(n)d files.", n=MAX_EVIDENCE_FILES), "file")
    checked = bonus_evidence.check_evidence(data)
    rel = bonus_evidence.store(data, checked)
    ev = EvidenceFile(record_id=record.id, original_name=bonus_evidence.clean_name(filename, checked.ext),
                      stored_path=rel, content_type=checked.content_type, size_bytes=checked.size,
                      sha256=checked.sha256, uploaded_at=clock.now(now))
    sess.add(ev)
    sess.flush()
    audit.record(sess, "bonus.evidence.add", "bonus_evidence", ev.id, actor_id=user.id,
                 after={"record_id": record.id, "name": ev.original_name, "sha256": ev.sha256,
                        "size": ev.size_bytes})
    return ev


def evidence_for(user: User, evidence_id: int) -> EvidenceFile:
    """A file the user may download: their own, their organisation's periods, or any for an admin."""
    ev = db.session().get(EvidenceFile, evidence_id)
    if ev is None or not _may_see(user, ev.record):
        raise NotFound(_("This file does not exist."))
    return ev


def _may_see(user: User, record: EmploymentRecord) -> bool:
    if user.has_role(Role.BONUS_CHECKER, Role.BONUS_APPROVER, Role.AUDITOR):
        return True
    if user.role == Role.EMPLOYER:
        return user.organisation_id is not None and record.organisation_id == user.organisation_id
    return record.user_id == user.id


def employer_records(employer: User, status: PeriodStatus | None = None) -> list[EmploymentRecord]:
    """Periods declared at the employer's organisation, pending ones first."""
    if employer.organisation_id is None:
        return []
    stmt = select(EmploymentRecord).where(EmploymentRecord.organisation_id == employer.organisation_id)
    if status is not None:
        stmt = stmt.where(EmploymentRecord.status == status)
    stmt = stmt.order_by((EmploymentRecord.status != PeriodStatus.PENDING), EmploymentRecord.created_at.desc(),
                         EmploymentRecord.id.desc())
    return list(db.session().scalars(stmt))


@db.use_case
def decide(employer: User, record_id: int, confirm: bool, note: str, now: datetime | None = None) -> EmploymentRecord:
    """The employer confirms or disputes a pending period at its own organisation."""
    sess = db.session()
    record = sess.scalar(select(EmploymentRecord).where(EmploymentRecord.id == record_id).with_for_update())
    if record is None or employer.organisation_id is None or record.organisation_id != employer.organisation_id:
        raise NotFound(_("This employment period does not exist."))
    if employer.role != Role.EMPLOYER:
        raise Forbidden(_("Only the employer can confirm a period."))
    if record.status != PeriodStatus.PENDING:
        raise Conflict(_("This period has already been answered."))
    note = note.strip()
    if not confirm and not note:
        raise UserError(_("Say why you dispute the period."), "note")
    before = _period_json(record)
    record.status = PeriodStatus.CONFIRMED if confirm else PeriodStatus.DISPUTED
    record.employer_note = note or None
    record.decided_by_id = employer.id
    record.decided_at = clock.now(now)
    audit.record(sess, "bonus.period.confirm" if confirm else "bonus.period.dispute", "bonus_employment",
                 record.id, actor_id=employer.id, before=before, after=_period_json(record))
    return record


def _period_json(record: EmploymentRecord) -> dict[str, object]:
    return {"user_id": record.user_id, "organisation_id": record.organisation_id,
            "starts_on": record.starts_on.isoformat(),
            "ends_on": record.ends_on.isoformat() if record.ends_on else None,
            "full_time": record.full_time, "status": record.status.value, "note": record.employer_note}

