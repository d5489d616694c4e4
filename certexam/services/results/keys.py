"""Key corrections after the exam: correct a key or void an item, re-score everyone affected, report."""

from __future__ import annotations

import json
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from certexam import db
from certexam.errors import NotFound, UserError
from certexam.models import Attempt, AttemptKind, CorrectionAction, KeyCorrection, Registration, Sitting, User
from certexam.services.platform import audit, clock
from certexam.services.results import cycle
from certexam.services.results.release import follow_change
from certexam.services.results.scoring import corrections_of, key_from_json, score_sitting, slot_items
from certexam.services.sittings.schedule import blueprint_of

REKEY, VOID_ITEM = CorrectionAction.REKEY, CorrectionAction.VOID


def _kind_in_sitting(sess: Any, sitting: Sitting, version_id: int, child: int | None) -> tuple[str, int]:
    """The item kind of (version, child) as delivered in the sitting, and how many attempts carried it."""
    bp, fixes = blueprint_of(sitting), corrections_of(sess, sitting.id)
    kind, seen = None, 0
    atts = sess.scalars(select(Attempt).join(Registration, Registration.id == Attempt.registration_id)
                        .where(Registration.sitting_id == sitting.id, Attempt.kind == AttemptKind.EXAM))
    for a in atts:
        for it in slot_items(sess, a, bp, fixes):
            if it.version_id == version_id and it.child == child:
                kind, seen = it.scoring.kind, seen + 1
    if kind is None:
        raise UserError(_("No candidate of this sitting had this item."), field="item")
    return kind, seen


@db.use_case
def correct(actor: User, sitting_id: int, version_id: int, child: int | None, action: str,
            new_key: Any, note: str) -> KeyCorrection:
    """Record a correction and re-score the sitting; the report lists every changed result (before/after)."""
    sess = db.session()
    sitting = sess.get(Sitting, sitting_id, with_for_update=True)
    if sitting is None:
        raise NotFound(_("This sitting does not exist."))
    if action not in (REKEY, VOID_ITEM):
        raise UserError(_("Choose to correct the key or to void the item."), field="action")
    if not note.strip():
        raise UserError(_("Explain the correction."), field="note")
    kind, seen = _kind_in_sitting(sess, sitting, version_id, child)
    stored = None
    if action == REKEY:
        if kind == "constructed":
            raise UserError(_("Written answers have no key: void the item or re-mark it."), field="key")
        try:
            key_from_json(kind, new_key)
        except ValueError as exc:
            raise UserError(_("This key does not fit the item."), field="key") from exc
        stored = json.dumps(new_key)
    fix = KeyCorrection(sitting_id=sitting.id, item_version_id=version_id, child=child, action=CorrectionAction(action),
                        new_key=stored, note=note.strip(), report="{}", created_by_id=actor.id,
                        created_at=clock.now())
    sess.add(fix)
    sess.flush()
    # A sitting closes before it is scored (issue 18): an open one takes the correction at compute.
    closed = sitting.results_released_at is not None or cycle.facts(sess, sitting, close_expired=True).closed(
        clock.now())
    changes = score_sitting(sess, sitting) if closed else []
    changed, certificates = follow_change(sess, sitting, changes, "results.key_correction_change", actor,
                                          {"key_correction": fix.id})
    fix.report = json.dumps({"attempts_with_item": seen, "results": len(changes), "changed": changed,
                             "certificates": certificates.as_dict()}, ensure_ascii=False)
    audit.record(sess, "results.key_correction", "sitting", sitting.id, actor_id=actor.id,
                 after={"correction": fix.id, "version": version_id, "child": child, "action": action,
                        "key": new_key, "changed": len(changed), "certificates": certificates.as_dict()})
    return fix


def corrections(sitting_id: int) -> list[KeyCorrection]:
    return list(db.session().scalars(select(KeyCorrection).where(KeyCorrection.sitting_id == sitting_id)
                                     .order_by(KeyCorrection.id)))
