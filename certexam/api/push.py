"""The push channel of the exam page: a bounded long poll for proctor actions (issue 18.6).

GET /api/v1/attempts/<id>/push?since=<marker> answers as soon as a proctor
paused, resumed, added time to or ended the attempt after the event `marker`
names, with the attempt's new state; otherwise after a bounded wait (50 s by
default, less up to a random fifth) with `changed: false`. Without `since` it
answers at once with the current marker. See services/attempts/push.py for the mechanism and its limits.
The caller is checked inside the poll's statement, as for the autosave (api/auth.py HOT).
"""

from __future__ import annotations

from typing import Any

from flask import current_app, g, jsonify, request
from flask_babel import gettext as _

from certexam import db
from certexam.api import bp
from certexam.api.views import _candidate, _state_json
from certexam.errors import NotFound, UserError
from certexam.services.attempts import autosave
from certexam.services.attempts import push as push_service
from certexam.services.attempts.autosave_sql import Owner


def _marker() -> int | None:
    raw = request.args.get("since")
    if raw is None or raw == "":
        return None
    if not raw.isdigit() or len(raw) > 18:
        raise UserError(_("'since' must be a whole number."), "since")
    return int(raw)


@bp.get("/attempts/<int:attempt_id>/push")
def push(attempt_id: int) -> Any:
    marker = _marker()
    device = (request.headers.get("X-Attempt-Device") or "")[:100] or None
    # The cheap way in, as the autosave's (api/auth.py HOT): the caller is checked inside the poll's own
    # statement and no user is loaded. Refused there: authenticate fully, so the answer is 401, 403 or 404.
    owner = g.get("owner")
    waited = _wait(owner, attempt_id, marker) if owner is not None else None
    if waited is None:
        owner = Owner(user_id=_candidate().id)
        waited = _wait(owner, attempt_id, marker)
    if waited is None:
        raise NotFound(_("This attempt does not exist."))
    body: dict[str, Any] = {"marker": waited.marker, "changed": waited.changed, "events": list(waited.kinds),
                            "added_minutes": waited.added_minutes,
                            "retry_after": push_service.RETRY_SECONDS if waited.busy else None, "state": None}
    if waited.changed:
        found = autosave.try_state(owner, attempt_id, device)
        body["state"] = _state_json(found) if found is not None else None
    resp = jsonify(body)
    resp.headers["Cache-Control"] = "no-store"
    return resp


def _wait(owner: Owner, attempt_id: int, marker: int | None) -> push_service.Waited | None:
    # End the request's read transaction (loading the user, if it was) before waiting: a waiting request
    # holds a thread, never a database connection.
    db.rollback_request()
    return push_service.wait(current_app._get_current_object(), owner, attempt_id, marker,  # type: ignore[attr-defined]
                             no_wait=bool(request.environ.get(push_service.NO_WAIT)))
