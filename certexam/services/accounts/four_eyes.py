"""Four eyes (issue 19.6): a step one officer asks for and a different officer confirms.

Called inside the use case of the step itself (results release; anything else that needs a second
officer): `ask` records the request, `confirm` takes it and checks the confirmer is someone else
(domain/duties.py), `withdraw` drops it. One open request per action and object (a UNIQUE key).
"""

from __future__ import annotations

import json
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from certexam.domain.duties import DutyProblem, second_officer
from certexam.errors import Conflict, Forbidden
from certexam.models import FourEyesRequest, User
from certexam.services.platform import audit, clock


def pending(sess: Session, action: str, object_id: int, *, lock: bool = False) -> FourEyesRequest | None:
    stmt = select(FourEyesRequest).where(FourEyesRequest.action == action, FourEyesRequest.object_id == object_id)
    return sess.scalar(stmt.with_for_update() if lock else stmt)


def ask(sess: Session, action: str, object_id: int, actor: User, payload: dict[str, Any] | None = None,
        object_type: str = "") -> FourEyesRequest:
    """Record that `actor` asks for `action` on the object; a second officer confirms it later."""
    if pending(sess, action, object_id, lock=True) is not None:
        raise Conflict(_("This is already waiting for a second officer's confirmation."))
    row = FourEyesRequest(action=action, object_id=object_id, payload=json.dumps(payload or {}, sort_keys=True),
                          requested_by_id=actor.id, requested_at=clock.now())
    sess.add(row)
    sess.flush()
    audit.record(sess, f"{action}.request", object_type or action.split(".", maxsplit=1)[0], object_id, actor_id=actor.id,
                 after=payload or {})
    return row


def confirm(sess: Session, action: str, object_id: int, actor: User) -> tuple[int, dict[str, Any]]:
    """Take the open request as its second officer: returns who asked and what they entered."""
    row = pending(sess, action, object_id, lock=True)
    problem = second_officer(row.requested_by_id if row else None, actor.id)
    if problem == DutyProblem.NOT_ASKED:
        raise Conflict(_("Nobody has asked for this yet: the first officer asks, a second one confirms."))
    if problem == DutyProblem.SAME_PERSON:
        raise Forbidden(_("You asked for this yourself: a different officer must confirm it."))
    assert row is not None
    asked_by, payload = row.requested_by_id, json.loads(row.payload)
    sess.delete(row)
    sess.flush()
    return asked_by, payload


def withdraw(sess: Session, action: str, object_id: int, actor: User, object_type: str = "") -> None:
    """Drop the open request (its asker changing their mind, or a second officer declining it)."""
    row = pending(sess, action, object_id, lock=True)
    if row is None:
        raise Conflict(_("Nothing is waiting for confirmation."))
    audit.record(sess, f"{action}.withdraw", object_type or action.split(".", maxsplit=1)[0], object_id, actor_id=actor.id,
                 before={"requested_by": row.requested_by_id, **json.loads(row.payload)})
    sess.delete(row)
    sess.flush()
