"""JSON API v1: the exam flow for the browser page and for API clients.

Authenticated by certexam/api/auth.py, the one layer for every /api/v1 route: the browser session
(state-changing calls then need the X-CSRFToken header) or `Authorization: Bearer <token>`.
"""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, g, jsonify, request
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from certexam import db
from certexam.api import bp
from certexam.api.auth import sign_in_bearer
from certexam.errors import UserError
from certexam.extensions import limiter
from certexam.models import Registration, Role
from certexam.services.attempts import autosave, paper_json
from certexam.services.attempts import lifecycle as attempts
from certexam.services.attempts import submit as attempt_submit
from certexam.services.attempts.autosave_sql import Owner
from certexam.services.platform import clock


@limiter.request_filter
def _not_limited() -> bool:
    # Authenticated calls only (no sign-in or verification here): no rate limit, decided before
    # Flask-Limiter resolves any limit (0.1 ms per request, which an autosave on exam day feels).
    return request.blueprint == bp.name


def _candidate() -> Any:
    """The signed-in candidate (401 or 403 otherwise); on a hot call, loaded only now."""
    token = g.pop("deferred_token", None)
    if token is not None:
        sign_in_bearer(token)
    if not current_user.is_authenticated:
        abort(401)
    if current_user.role != Role.CANDIDATE:
        abort(403)
    return current_user


def _json() -> dict[str, Any]:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise UserError(_("The request body must be a JSON object."))
    return data


def _device(data: dict[str, Any] | None = None) -> str:
    value = _device_or_none(data)
    if value is None:
        raise UserError(_("Missing or invalid device token."), "device")
    return value


def _device_or_none(data: dict[str, Any] | None) -> str | None:
    value = (data or {}).get("device") or request.headers.get("X-Attempt-Device") or ""
    return value if isinstance(value, str) and len(value) <= 100 else None


def _fast_body() -> tuple[Owner, dict[str, Any], str] | None:
    """A hot call's owner, body and device when all are well formed; otherwise the caller is
    authenticated first, so that a stranger gets 401 before any word about the body."""
    owner, data = g.get("owner"), request.get_json(silent=True)
    if owner is None or not isinstance(data, dict):
        return None
    device = _device_or_none(data)
    return None if device is None else (owner, data, device)


def _state_json(s: autosave.AttemptState) -> dict[str, Any]:
    return {"id": s.id, "status": s.status, "kind": s.kind, "paper": s.paper_code,
            "deadline": s.deadline_at.isoformat(), "server_time": clock.now().isoformat(),
            "remaining_seconds": s.remaining_seconds, "paused": s.paused, "last_seq": s.last_seq,
            "answered": s.answered, "flagged": s.flagged, "holder": s.holder}


def _ack_json(a: autosave.SaveAck) -> dict[str, Any]:
    return {"slot": a.slot, "seq": a.seq, "result": a.result, "saved_at": a.saved_at.isoformat(),
            "deadline": a.deadline_at.isoformat()}


@bp.get("/registrations")
def registrations() -> Any:
    user = _candidate()
    rows = db.session().scalars(select(Registration).where(Registration.user_id == user.id)
                                .order_by(Registration.id))
    return jsonify([{
        "id": r.id, "admission_no": r.admission_no, "sitting": {"id": r.sitting.id, "name": r.sitting.name,
                                                                "level": r.sitting.level},
        "direction": r.direction,
        "papers": [{"code": p.code, "starts_at": p.starts_at.isoformat(), "minutes": p.minutes}
                   for p in r.sitting.papers],
    } for r in rows])


@bp.post("/registrations/<int:registration_id>/papers/<code>/start")
def start(registration_id: int, code: str) -> Any:
    code, lang, owner = code[:16], str(request.args.get("lang", "zh_Hans"))[:8], g.get("owner")
    started = attempts.try_begin(owner, registration_id, code, lang) if owner is not None else None
    # refused on the hot path: authenticate fully, then 401, 403 or 404
    started = started or attempts.begin(_candidate(), registration_id, code, lang)
    # A new attempt comes with its device token, so the client need not claim it; an earlier one does not.
    return jsonify({"attempt_id": started.attempt_id, "device": started.device, "last_seq": started.last_seq}), 201


@bp.get("/attempts/<int:attempt_id>")
def attempt_state(attempt_id: int) -> Any:
    device = request.headers.get("X-Attempt-Device")
    device = device[:100] if device else None
    owner = g.get("owner")
    found = autosave.try_state(owner, attempt_id, device) if owner is not None else None
    return jsonify(_state_json(found or autosave.state(_candidate(), attempt_id, device)))


@bp.get("/attempts/<int:attempt_id>/paper")
def paper(attempt_id: int) -> Any:
    owner = g.get("owner")
    body = paper_json.try_document(owner, attempt_id) if owner is not None else None
    if body is None:  # refused on the hot path: authenticate fully, then 401, 403 or 404
        user = _candidate()
        sess = db.session()
        attempt = attempts._owned(sess, user, attempt_id, lock=False)  # noqa: SLF001 - read-only ownership check
        body = paper_json.document(sess, attempt)
    return current_app.response_class(body, mimetype="application/json")


@bp.post("/attempts/<int:attempt_id>/claim")
def claim(attempt_id: int) -> Any:
    user = _candidate()
    attempt = attempts.claim(user, attempt_id)
    return jsonify({"device": attempt.holder_token, "last_seq": attempt.last_seq})


@bp.put("/attempts/<int:attempt_id>/answers/<slot>")
def save_answer(attempt_id: int, slot: str) -> Any:
    fast = _fast_body()
    if fast is not None:
        owner, data, device = fast
        ack = autosave.try_save(owner, attempt_id, device, slot[:16], data.get("answer"),
                                bool(data.get("flagged", False)), data.get("seq"))
        if ack is not None:
            return jsonify(_ack_json(ack))
    user = _candidate()  # refused or malformed: authenticate fully, then say why
    data = _json()
    ack = autosave.save(user, attempt_id, _device(data), slot[:16], data.get("answer"),
                        bool(data.get("flagged", False)), data.get("seq"))  # type: ignore[arg-type]
    return jsonify(_ack_json(ack))


@bp.put("/attempts/<int:attempt_id>/flags/<slot>")
def flag(attempt_id: int, slot: str) -> Any:
    fast = _fast_body()
    if fast is not None and isinstance(fast[1].get("flagged"), bool):
        owner, data, device = fast
        ack = autosave.try_set_flag(owner, attempt_id, device, slot[:16], data["flagged"], data.get("seq"))
        if ack is not None:
            return jsonify(_ack_json(ack))
    user = _candidate()
    data = _json()
    flagged = data.get("flagged")
    if not isinstance(flagged, bool):
        raise UserError(_("'flagged' must be true or false."), "flagged")
    ack = autosave.set_flag(user, attempt_id, _device(data), slot[:16], flagged, data.get("seq"))  # type: ignore[arg-type]
    return jsonify(_ack_json(ack))


@bp.post("/attempts/<int:attempt_id>/submit")
def submit(attempt_id: int) -> Any:
    fast = _fast_body()
    if fast is not None:
        done = attempt_submit.try_submit(fast[0], attempt_id, fast[2])
        if done is not None:
            return jsonify(attempt_submit.as_json(done))
    user = _candidate()  # not the usual case: authenticate fully, then decide (or say why not)
    data = request.get_json(silent=True)
    # The device is required, as for a save (issue 18.8): the holding device alone may submit.
    device = _device(data if isinstance(data, dict) else None)
    return jsonify(attempt_submit.as_json(attempts.submit(user, attempt_id, device)))


@bp.post("/attempts/<int:attempt_id>/events")
def event(attempt_id: int) -> Any:
    user = _candidate()
    data = _json()
    detail = data.get("detail")
    attempts.log_event(user, attempt_id, str(data.get("kind", ""))[:32], detail if isinstance(detail, dict) else None)
    return jsonify({"ok": True}), 202


@bp.get("/openapi.json")
def openapi() -> Any:
    from certexam.api.openapi import document

    return jsonify(document())
