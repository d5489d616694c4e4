"""Online objections during the bonus public notice (issue 23), and the reviewer's queue.

Anyone signed in may object to an application listed on the public notice, with a reason and an
evidence file (checked by content as employment evidence is). The objection is an ordinary
bonus_objection: the notice's close step waits while it is open and an upheld one rejects the
application, so it is never paid (services/bonus/notice.py). The objector's account is kept in
bonus_objection_online and shown to the reviewer only; the public notice shows a count.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import func, select

from certexam import db
from certexam.domain.masking import mask_name
from certexam.domain.objections import Refusal, may_rule, objection_refusal
from certexam.errors import Conflict, Forbidden, NotFound, UserError
from certexam.models import BonusApplication, Objection, OnlineObjection, User
from certexam.models.bonus import ApplicationStatus, ObjectionStatus
from certexam.services.bonus import applications as bonus_applications
from certexam.services.bonus import evidence as bonus_evidence
from certexam.services.bonus import labels as bonus_labels
from certexam.services.bonus import notice as bonus_notice
from certexam.services.platform import audit, clock

REASON_MAX = 2000
REFERENCE_PREFIX = "BONUS-"  # BonusApplication.reference; checked against it after the lookup


def _refusal_message(refusal: Refusal, app: BonusApplication) -> str:
    ends = bonus_labels.day(app.notice_ends_on)
    messages: dict[Refusal, str] = {
        Refusal.ENDED: _("The public notice of %(ref)s ended on %(day)s: objections are no longer taken.",
                         ref=app.reference, day=ends),
        Refusal.NOT_YET: _("The public notice of %(ref)s has not started yet.", ref=app.reference),
        Refusal.NOT_ON_NOTICE: _("%(ref)s is not on public notice.", ref=app.reference),
        Refusal.OWN_APPLICATION: _("You cannot object to your own application."),
        Refusal.ALREADY_OPEN: _("You already have an objection to %(ref)s waiting for a decision.",
                                ref=app.reference),
    }
    return messages[refusal]


def application_for(reference: str) -> BonusApplication:
    """The application a public reference (BONUS-000123) names, or NotFound."""
    raw = reference.strip().upper()
    digits = raw.removeprefix(REFERENCE_PREFIX)
    if not (raw.startswith(REFERENCE_PREFIX) and digits.isascii() and digits.isdigit() and len(digits) <= 12):
        raise NotFound(_("This application does not exist."))
    app = bonus_applications.get(int(digits))
    if app.reference != raw:
        raise NotFound(_("This application does not exist."))
    return app


def masked_name(app: BonusApplication) -> str:
    """The holder's name as the public notice shows it."""
    return mask_name(app.holder.name_zh or app.holder.name_en)


def _open_by(user_id: int, application_id: int) -> int:
    stmt = (select(func.count()).select_from(Objection)
            .join(OnlineObjection, OnlineObjection.objection_id == Objection.id)
            .where(Objection.application_id == application_id, Objection.status == ObjectionStatus.OPEN,
                   OnlineObjection.objector_id == user_id))
    return int(db.session().scalar(stmt) or 0)


def refusal_for(user: User, app: BonusApplication, now: datetime | None = None) -> str | None:
    """Why `user` cannot object to `app` today (a message), or None: for the form before it is filled."""
    refusal = objection_refusal(on=clock.today(now), in_notice=app.status == ApplicationStatus.IN_NOTICE,
                                starts_on=app.notice_starts_on, ends_on=app.notice_ends_on,
                                objector_id=user.id, holder_id=app.user_id,
                                open_by_objector=_open_by(user.id, app.id))
    return None if refusal is None else _refusal_message(refusal, app)


@db.use_case
def object_online(user: User, application_id: int, reason: str, filename: str, data: bytes,
                  now: datetime | None = None) -> Objection:
    """Object to an application on notice, with a reason and one evidence file."""
    at = clock.now(now)
    sess = db.session()
    app = bonus_applications.get(application_id, lock=True)  # serialises with the close step and rulings
    refused = refusal_for(user, app, at)
    if refused is not None:
        raise Conflict(refused)
    reason = reason.strip()
    if not reason:
        raise UserError(_("Say why the application is untrue."), "reason")
    if len(reason) > REASON_MAX:
        raise UserError(_("Write at most %(n)d characters.", n=REASON_MAX), "reason")
    checked = bonus_evidence.check_evidence(data)
    obj = Objection(application_id=app.id, received_on=clock.today(at), objector=user.email[:200],
                    text=reason, status=ObjectionStatus.OPEN, recorded_by_id=user.id, recorded_at=at)
    sess.add(obj)
    sess.flush()
    sess.add(OnlineObjection(objection_id=obj.id, objector_id=user.id, submitted_at=at,
                             evidence_name=bonus_evidence.clean_name(filename, checked.ext),
                             evidence_path=bonus_evidence.store(data, checked), evidence_type=checked.content_type,
                             evidence_size=checked.size, evidence_sha256=checked.sha256))
    audit.record(sess, "bonus.objection.online", "bonus_objection", obj.id, actor_id=user.id,
                 after={"application_id": app.id, "sha256": checked.sha256, "size": checked.size})
    return obj


def counts_on_notice() -> dict[str, int]:
    """Objections per application on notice, by reference: the public page shows the count, never who."""
    stmt = (select(BonusApplication, func.count(Objection.id))
            .join(Objection, Objection.application_id == BonusApplication.id)
            .where(BonusApplication.status == ApplicationStatus.IN_NOTICE)
            .group_by(BonusApplication.id))
    return {app.reference: int(n) for app, n in db.session().execute(stmt)}


@dataclass(frozen=True)
class QueueLine:
    objection: Objection
    application: BonusApplication
    online: OnlineObjection | None  # None: recorded by staff from a letter or a call


def queue(resolved: bool = False, limit: int = 200) -> list[QueueLine]:
    """Open objections, the notice ending soonest first; or (`resolved`) the latest decisions."""
    stmt = (select(Objection, BonusApplication, OnlineObjection)
            .join(BonusApplication, BonusApplication.id == Objection.application_id)
            .outerjoin(OnlineObjection, OnlineObjection.objection_id == Objection.id))
    if resolved:
        stmt = stmt.where(Objection.status != ObjectionStatus.OPEN).order_by(Objection.resolved_at.desc())
    else:
        stmt = (stmt.where(Objection.status == ObjectionStatus.OPEN)
                .order_by(BonusApplication.notice_ends_on, Objection.id))
    return [QueueLine(o, a, on) for o, a, on in db.session().execute(stmt.limit(limit))]


def decide(reviewer: User, objection_id: int, uphold: bool, reason: str, now: datetime | None = None) -> Objection:
    """The reviewer's decision: upheld (the application is rejected, so never paid) or dismissed."""
    online = db.session().get(OnlineObjection, objection_id)  # who objected never changes: read first
    if online is not None and not may_rule(online.objector_id, reviewer.id):
        raise Forbidden(_("Another reviewer decides on your own objection."))
    return bonus_notice.resolve_objection(reviewer, objection_id, uphold, reason, now)


def evidence_of(objection_id: int) -> OnlineObjection:
    found = db.session().get(OnlineObjection, objection_id)
    if found is None:
        raise NotFound(_("This file does not exist."))
    return found
