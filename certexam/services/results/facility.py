"""A sitting's item analysis adopted into the bank as difficulty statistics (issue 21).

Forms are assembled to a difficulty target from each item version's facility and the responses
it rests on (domain/difficulty.py). Pretest figures come in with the bank files; this use case adds
what a sitting measured: each item version's facility among the candidates whose form had it,
pooled with what the version already had, weighted by responses. Once per sitting (the audit log
records it), so the same responses are never counted twice. The figures go to the version the
candidates saw; a newer version of the item starts from its own (or the prior).
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select

from certexam import db
from certexam.domain import difficulty
from certexam.errors import Conflict, NotFound, UserError
from certexam.models import AuditEntry, BankItemVersion, Sitting, User
from certexam.services.platform import audit
from certexam.services.results import analysis

ACTION = "bank.statistics_from_sitting"


@dataclass(frozen=True)
class Adopted:
    versions: int  # item versions whose statistics changed
    responses: int  # responses added over them


@db.use_case
def adopt(actor: User | None, sitting_id: int) -> Adopted:
    """Pool the sitting's per-item facility into its item versions' statistics."""
    sess = db.session()
    sitting = sess.get(Sitting, sitting_id)
    if sitting is None:
        raise NotFound(_("This sitting does not exist."))
    if sess.scalar(select(AuditEntry.id).where(AuditEntry.action == ACTION,
                                               AuditEntry.object_id == str(sitting_id)).limit(1)) is not None:
        raise Conflict(_("This sitting's item statistics are already in the bank."))
    measured: dict[int, tuple[float, int]] = {}
    for report in analysis.analyse_sitting(sess, sitting):
        for item in report.analysis.items:
            uid, stats = item.item_id, item.stats
            # "v123" is a whole item; "v123.2" a child of an item set, which has no figure of its own.
            if "." in uid or stats.facility is None or stats.n <= 0:
                continue
            measured[int(uid.removeprefix("v"))] = (float(stats.facility), stats.n)
    if not measured:
        raise UserError(_("No submitted answers to measure the items by yet."))
    changes = {}
    for version in sess.scalars(select(BankItemVersion).where(BankItemVersion.id.in_(sorted(measured)))):
        old = (difficulty.ItemStats(version.facility, version.facility_n)
               if version.facility is not None and version.facility_n else None)
        new = difficulty.pooled(old, *measured[version.id])
        changes[str(version.id)] = [version.facility, version.facility_n, new.facility, new.n]
        version.facility, version.facility_n = new.facility, new.n
    audit.record(sess, ACTION, "sitting", sitting_id, actor_id=actor.id if actor else None,
                 after={"versions": len(changes), "changes": dict(list(changes.items())[:500])})
    return Adopted(len(changes), sum(n for _f, n in measured.values()))
