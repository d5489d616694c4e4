"""Applications: apply with declarations, completeness check, review, withdraw.

The path (issue 7; rules s.3 "application, completeness check, review, a
public notice period, payment"):

submitted -> (incomplete -> submitted)* -> under_review -> in_notice -> approved -> paid
with rejected, withdrawn and cancelled (fraud) as ends.  The notice and the
approval for payment are in bonus_notice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select

from certexam import db
from certexam.errors import Conflict, Forbidden, NotFound, UserError
from certexam.models import BonusApplication, Role, User
from certexam.models.bonus import ApplicationStatus, PeriodStatus
from certexam.services.bonus import eligibility as bonus_eligibility
from certexam.services.bonus import labels as bonus_labels
from certexam.services.bonus.payfiles import accounts as bank_details
from certexam.services.platform import audit, clock

OPEN_STATUSES = frozenset({ApplicationStatus.SUBMITTED, ApplicationStatus.INCOMPLETE, ApplicationStatus.UNDER_REVIEW,
                           ApplicationStatus.IN_NOTICE, ApplicationStatus.APPROVED, ApplicationStatus.PAID})
WITHDRAWABLE = frozenset({ApplicationStatus.SUBMITTED, ApplicationStatus.INCOMPLETE, ApplicationStatus.UNDER_REVIEW,
                          ApplicationStatus.IN_NOTICE})
# PRC bank card and account numbers: domain.accounts_check (cards 16-19 digits with Luhn, accounts 12-30).


@dataclass(frozen=True)
class ApplyInput:
    no_same_kind_award: bool
    truthful: bool
    bank_name: str
    bank_account: str
    bank_account_kind: str = "card"  # domain.accounts_check.AccountKind
    bank_cnaps: str = ""  # 联行号: empty when the account is with the paying bank


def applications_of(user: User) -> list[BonusApplication]:
    stmt = select(BonusApplication).where(BonusApplication.user_id == user.id).order_by(BonusApplication.id.desc())
    return list(db.session().scalars(stmt))


def current_application(user: User) -> BonusApplication | None:
    """The holder's open (or paid) application, if any."""
    stmt = (select(BonusApplication).where(BonusApplication.user_id == user.id,
                                           BonusApplication.status.in_(OPEN_STATUSES))
            .order_by(BonusApplication.id.desc()).limit(1))
    return db.session().scalar(stmt)


def own_application(user: User, application_id: int, *, lock: bool = False) -> BonusApplication:
    """The holder's own application, or NotFound (also for someone else's)."""
    app = get(application_id, lock=lock)
    if app.user_id != user.id:
        raise NotFound(_("This application does not exist."))
    return app


def get(application_id: int, *, lock: bool = False) -> BonusApplication:
    stmt = select(BonusApplication).where(BonusApplication.id == application_id)
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    app = db.session().scalar(stmt)
    if app is None:
        raise NotFound(_("This application does not exist."))
    return app


def unmet_message(verdict: bonus_eligibility.Verdict) -> str:
    titles = "; ".join(str(bonus_labels.CONDITION_TITLES[c]) for c in verdict.result.unmet)
    return _("You are not eligible yet. Conditions not met: %(list)s.", list=titles)


@db.use_case
def apply(user: User, data: ApplyInput, now: datetime | None = None) -> BonusApplication:
    """Submit an application; the holder must be eligible today and make both declarations."""
    sess = db.session()
    at = clock.now(now)
    if user.role != Role.CANDIDATE:
        raise UserError(_("Only certificate holders can apply."))
    # One application at a time per person: the user row serialises two clicks of "apply".
    sess.scalar(select(User.id).where(User.id == user.id).with_for_update())
    if current_application(user) is not None:
        raise Conflict(_("You already have an application."))
    if not data.no_same_kind_award:
        raise UserError(_("You must declare that you take no city-level award of the same kind."),
                        "no_same_kind_award")
    if not data.truthful:
        raise UserError(_("You must declare that the information is true."), "truthful")
    details = bank_details.check(data.bank_name, data.bank_account, data.bank_account_kind, data.bank_cnaps)
    verdict = bonus_eligibility.evaluate(user.id, clock.today(at))
    if not verdict.result.eligible:
        raise UserError(unmet_message(verdict))
    app = BonusApplication(user_id=user.id, status=ApplicationStatus.SUBMITTED, submitted_at=at,
                           declared_no_same_kind_award=True, declared_truthful=True, bank_name=details.bank_name,
                           bank_account=details.account, bank_account_kind=details.kind.value,
                           bank_cnaps=details.cnaps, eligibility_json=bonus_eligibility.snapshot(verdict), updated_at=at)
    sess.add(app)
    sess.flush()
    audit.record(sess, "bonus.application.submit", "bonus_application", app.id, actor_id=user.id,
                 after={"status": app.status.value, "eligible": True, "days": verdict.result.days_counted})
    return app


def move_to(app: BonusApplication, to: ApplicationStatus, actor: User | None, at: datetime,
          **extra: object) -> None:
    before = {"status": app.status.value}
    app.status = to
    app.updated_at = at
    if to in (ApplicationStatus.REJECTED, ApplicationStatus.WITHDRAWN, ApplicationStatus.CANCELLED,
              ApplicationStatus.APPROVED):
        app.closed_at = at
    audit.record(db.session(), f"bonus.application.{to.value}", "bonus_application", app.id,
                 actor_id=actor.id if actor else None, before=before, after={"status": to.value, **extra})


@db.use_case
def withdraw(user: User, application_id: int, now: datetime | None = None) -> BonusApplication:
    app = own_application(user, application_id, lock=True)
    if app.status not in WITHDRAWABLE:
        raise Conflict(_("This application can no longer be withdrawn."))
    move_to(app, ApplicationStatus.WITHDRAWN, user, clock.now(now))
    return app


@db.use_case
def resubmit(user: User, application_id: int, now: datetime | None = None) -> BonusApplication:
    """Send a returned application back for the completeness check, re-judged today."""
    at = clock.now(now)
    app = own_application(user, application_id, lock=True)
    if app.status != ApplicationStatus.INCOMPLETE:
        raise Conflict(_("Only a returned application can be sent again."))
    verdict = bonus_eligibility.evaluate(user.id, clock.today(at))
    if not verdict.result.eligible:
        raise UserError(unmet_message(verdict))
    app.eligibility_json = bonus_eligibility.snapshot(verdict)
    move_to(app, ApplicationStatus.SUBMITTED, user, at)
    return app


@dataclass(frozen=True)
class CheckItem:
    label: str
    ok: bool


def checklist(app: BonusApplication, now: datetime | None = None) -> list[CheckItem]:
    """What the completeness check looks at, worked out for the administrator."""
    verdict = bonus_eligibility.evaluate(app.user_id, clock.today(now))
    by_record = verdict.reasons_by_record()
    from certexam.models import EmploymentRecord

    records = {r.id: r for r in db.session().scalars(
        select(EmploymentRecord).where(EmploymentRecord.id.in_(list(by_record))))}
    counted = [records[rid] for rid, pairs in by_record.items() if any(v.counted for v, _s in pairs)]
    return [
        CheckItem(_("Both declarations made"), app.declared_no_same_kind_award and app.declared_truthful),
        CheckItem(_("Bank account given"),
                  bank_details.stored_problem(app.bank_account, app.bank_account_kind, app.bank_cnaps) is None),
        CheckItem(_("Every counted period has evidence"), all(r.evidence for r in counted)),
        CheckItem(_("Every counted period is confirmed by the employer"),
                  all(r.status == PeriodStatus.CONFIRMED for r in counted)),
        CheckItem(_("Eligible today"), verdict.result.eligible),
    ]


def require_admin(actor: User, *roles: Role) -> None:
    """The actor holds one of the duty's `roles` (issue 19.6; the views check the same before)."""
    if not actor.has_role(*roles):
        raise Forbidden(_("Your roles do not include this step."))


@db.use_case
def check(admin: User, application_id: int, complete: bool, note: str,
          now: datetime | None = None) -> BonusApplication:
    """The completeness check: on to review, or back to the holder with what is missing."""
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
