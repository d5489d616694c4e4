"""Re-checks: asked for within 10 working days of release, answered by an administrator, audited."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date
from typing import Any, Final

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from certexam import db
from certexam.errors import Conflict, Forbidden, NotFound, UserError
from certexam.models import Attempt, AttemptKind, Recheck, RecheckStatus, Result, Sitting, User
from certexam.services.platform import audit, clock, mail
from certexam.services.results import marking
from certexam.services.results.release import follow_change
from certexam.services.results.scoring import corrections_of, score_sitting, slot_items, snapshot
from certexam.services.sittings.schedule import blueprint_of

ASK_WITHIN_WORKING_DAYS: Final = 10  # rules s.2: "A re-check must be asked for within 10 working days"
ANSWER_WITHIN_WORKING_DAYS: Final = 5  # rules s.2: "the answer comes within 5 working days"
OPEN, UNCHANGED, CHANGED = RecheckStatus.OPEN, RecheckStatus.UNCHANGED, RecheckStatus.CHANGED


def last_day_to_ask(sitting: Sitting) -> date | None:
    """The last day a re-check may be asked for (release day not counted), or None before release."""
    if sitting.results_released_at is None:
        return None
    released = clock.local_date(sitting.results_released_at)
    return clock.working_day_after(released, ASK_WITHIN_WORKING_DAYS)


@db.use_case
def request(user: User, result_id: int, reason: str) -> Recheck:
    """A candidate asks for a re-check of a released result."""
    sess = db.session()
    row = sess.get(Result, result_id)
    if row is None or row.user_id != user.id or not row.released:
        raise NotFound(_("This result does not exist or has not been released."))
    sitting = sess.get(Sitting, row.sitting_id)
    assert sitting is not None
    today = clock.today()
    deadline = last_day_to_ask(sitting)
    if deadline is None or today > deadline:
        raise Forbidden(_("A re-check must be asked for within 10 working days of the results."))
    if not reason.strip():
        raise UserError(_("Say briefly what should be checked."), field="reason")
    if sess.scalar(select(Recheck).where(Recheck.result_id == row.id, Recheck.status == OPEN)) is not None:
        raise Conflict(_("You have already asked for a re-check of this result."))
    rc = Recheck(result_id=row.id, requested_at=clock.now(), deadline=deadline,
                 answer_due=clock.working_day_after(today, ANSWER_WITHIN_WORKING_DAYS), reason=reason.strip(),
                 status=OPEN)
    sess.add(rc)
    sess.flush()
    audit.record(sess, "recheck.request", "result", row.id, actor_id=user.id, after={"recheck": rc.id})
    return rc


def _apply_marks(sess: Any, actor: User, row: Result, new_marks: Mapping[str, int]) -> None:
    """Administrator's corrected marks for written answers, keyed by qualified slot ("PM:3")."""
    atts = {a.paper_code: a for a in sess.scalars(select(Attempt).where(Attempt.registration_id == row.registration_id,
                                                                        Attempt.kind == AttemptKind.EXAM))}
    sitting = sess.get(Sitting, row.sitting_id)
    bp, fixes = blueprint_of(sitting), corrections_of(sess, row.sitting_id)
    for qid, points in new_marks.items():
        paper, _sep, slot = qid.partition(":")
        attempt = atts.get(paper)
        its = {i.slot: i for i in slot_items(sess, attempt, bp, fixes)} if attempt else {}
        it = its.get(slot)
        if attempt is None or it is None or it.scoring.kind != "constructed":
            raise UserError(_("%(slot)s is not a written answer of this candidate.", slot=qid), field="marks")
        if not 0 <= points <= it.scoring.max_points:
            raise UserError(_("Points must be between 0 and %(max)s.", max=it.scoring.max_points), field="marks")
        marking.recheck_mark(sess, actor, attempt.id, slot, points)


@db.use_case
def answer(actor: User, recheck_id: int, text: str, new_marks: Mapping[str, int] | None = None) -> Recheck:
    """Answer a re-check; corrected marks re-score the sitting (results change only through here or a key fix)."""
    sess = db.session()
    rc = sess.get(Recheck, recheck_id, with_for_update=True)
    if rc is None:
        raise NotFound(_("This re-check does not exist."))
    if rc.status != OPEN:
        raise Conflict(_("This re-check has already been answered."))
    if not text.strip():
        raise UserError(_("Write the answer to the candidate."), field="answer")
    row = sess.get(Result, rc.result_id)
    assert row is not None
    before = snapshot(row)
    if new_marks:
        _apply_marks(sess, actor, row, new_marks)
    sitting = sess.get(Sitting, row.sitting_id)
    assert sitting is not None
    changes = score_sitting(sess, sitting)
    _changed, certificates = follow_change(sess, sitting, changes, "results.recheck_change", actor,
                                           {"recheck": rc.id})
    after = snapshot(row)
    rc.status = CHANGED if after != before else UNCHANGED
    rc.answer, rc.before, rc.after = text.strip(), json.dumps(before), json.dumps(after)
    rc.answered_by_id, rc.answered_at = actor.id, clock.now()
    audit.record(sess, "recheck.answer", "result", row.id, actor_id=actor.id, before=before,
                 after={**after, "recheck": rc.id, "outcome": rc.status, "certificates": certificates.as_dict()})
    user = sess.get(User, row.user_id)
    if user is not None:
        with force_locale(user.locale or "zh_Hans"):
            mail.send(user.email, _("Your re-check has been answered"),
                      _("The answer to your re-check is on your result page."))
    return rc


def open_rechecks() -> list[tuple[Recheck, Result]]:
    sess = db.session()
    return [(r, res) for r, res in sess.execute(select(Recheck, Result).join(Result, Result.id == Recheck.result_id)
                                                .where(Recheck.status == OPEN).order_by(Recheck.answer_due))]


def rechecks_of(result_id: int) -> list[Recheck]:
    return list(db.session().scalars(select(Recheck).where(Recheck.result_id == result_id).order_by(Recheck.id)))
