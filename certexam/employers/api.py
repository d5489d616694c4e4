"""The public JSON verification API and the watch list's API (issue 23, issue 20 "APIs").

`/api/v1/verify` answers what the public page shows, as JSON: the verdict, the signature check, the
masked holder, level, direction and dates, and the full names only when the caller typed a matching
name. Anyone may call it; an organisation's API key (header `X-Api-Key`) with the `verify` scope gets
its own, larger bucket instead of its address's. `/api/v1/watch` needs a key with the `watch` scope.

api/auth.py lets these endpoints through without a session (they are in its PUBLIC set): the key is
this module's to check. A key that is malformed, unknown or revoked is 401, whatever the endpoint.
"""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, g, jsonify, request
from flask_babel import gettext as _

from certexam.certificates.forms import VERDICT_LABELS
from certexam.domain.verdict import VerdictCode
from certexam.employers import bp
from certexam.errors import UserError
from certexam.extensions import limiter
from certexam.services.certificates import verify as cert_verify
from certexam.services.employers import api_keys, watch

KEY_HEADER = "X-Api-Key"
# Security policy, not programme rules; each can be set in the app config.
API_VERIFY_IP_RATE_LIMIT = "20/minute"  # a caller without a key, per address (the page allows 60, names 10)
API_KEY_RATE_LIMIT = "600/minute"  # per organisation key, over every keyed endpoint: an HR system's batch
TEXT_MAX = 200  # a number, a surname, a name
NOT_FOUND = frozenset({VerdictCode.INVALID_TOKEN, VerdictCode.UNKNOWN})  # as the public page answers 404
TOKEN_MAX = 2000  # a QR token is a few hundred characters


def _presented() -> str | None:
    return request.headers.get(KEY_HEADER) or None


def _key_bucket() -> str:
    return f"apikey:{api_keys.prefix_of(_presented() or '') or 'malformed'}"


def _ip_limit() -> str:
    return str(current_app.config.get("API_VERIFY_IP_RATE_LIMIT", API_VERIFY_IP_RATE_LIMIT))


def _key_limit() -> str:
    return str(current_app.config.get("API_KEY_RATE_LIMIT", API_KEY_RATE_LIMIT))


_per_key = limiter.shared_limit(_key_limit, scope="api-key", key_func=_key_bucket,
                                exempt_when=lambda: _presented() is None)
_per_ip = limiter.shared_limit(_ip_limit, scope="api-verify-ip", exempt_when=lambda: _presented() is not None)


def _holder(scope: str, required: bool) -> api_keys.KeyHolder | None:
    """The calling key (401 when one is presented and is not a live key; 403 without the scope)."""
    key = _presented()
    if key is None:
        if required:
            abort(401)
        return None
    holder = api_keys.holder_for(key)
    if holder is None:
        abort(401)
    if scope not in holder.scopes:
        abort(403)
    g.api_key = holder
    return holder


def _text(data: dict[str, Any], name: str) -> str:
    value, limit = data.get(name), TOKEN_MAX if name == "token" else TEXT_MAX
    if value is None:
        return ""
    if not isinstance(value, str) or len(value) > limit:
        raise UserError(_("%(field)s must be a text of at most %(n)d characters.", field=name, n=limit), name)
    return value.strip()


def _params() -> dict[str, Any]:
    if request.method == "GET":
        return dict(request.args.items())
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise UserError(_("The request body must be a JSON object."))
    return data


def outcome_json(o: cert_verify.VerifyOutcome) -> dict[str, Any]:
    """The public page's facts; names in clear only after a matching name was typed."""
    since = o.verdict.since
    return {
        "verdict": o.code.value, "valid": o.valid, "number": o.number, "level": o.level,
        "direction": o.direction, "issued_on": o.issued_on.isoformat() if o.issued_on else None,
        "status_since": since.isoformat() if since else None, "replaced_by": o.replaced_by,
        "holder": {"masked_zh": o.masked_zh, "masked_en": o.masked_en, "name_check": o.name_check,
                   "name_zh": o.name_zh, "name_en": o.name_en},
        "signature": {"valid": o.signature_ok, "reason": o.signature_reason, "key_id": o.key_id},
        "checked_at": o.checked_at.isoformat(),
    }


@bp.route("/api/v1/verify", methods=["GET", "POST"])
@_per_key
@_per_ip
def api_verify() -> Any:
    """Verify by the QR's token, or by number and the holder's family name; `name` confirms a full name."""
    _holder("verify", required=False)
    data = _params()
    token, number, surname, name = (_text(data, k) for k in ("token", "number", "surname", "name"))
    if token:
        outcome = cert_verify.check_token(token, name or None)
    elif number and surname:
        found = cert_verify.lookup(number, surname, name or None)
        if found is None:
            return jsonify(error=_("No certificate matches this number and surname. Check both and try again."),
                           verdict="unknown"), 404
        outcome = found
    else:
        raise UserError(_("Give the token, or the number and the holder's family name (surname)."), "token")
    doc = outcome_json(outcome)
    status = 404 if outcome.code in NOT_FOUND else 200
    if status == 404:  # every 4xx answer of the API carries an error message
        doc["error"] = str(VERDICT_LABELS[outcome.code][1])
    resp = jsonify(doc)
    resp.headers["Cache-Control"] = "no-store"  # a status can change at any moment
    return resp, status


def _watched_json(row: watch.Watched) -> dict[str, Any]:
    return {**outcome_json(row.outcome), "watched_since": row.since.isoformat()}


@bp.get("/api/v1/watch")
@_per_key
def api_watch_list() -> Any:
    """The organisation's watch list, each certificate as the public page shows it."""
    holder = _holder("watch", required=True)
    assert holder is not None
    return jsonify(watched=[_watched_json(r) for r in watch.listing(holder.organisation_id)])


@bp.post("/api/v1/watch")
@_per_key
def api_watch_add() -> Any:
    """Watch a certificate that verifies with the holder's full name."""
    holder = _holder("watch", required=True)
    assert holder is not None
    data = _params()
    cert = watch.add(holder.organisation_id, None, _text(data, "number"), _text(data, "name"))
    return jsonify(number=cert.number, watched=True), 201


@bp.delete("/api/v1/watch/<number>")
@_per_key
def api_watch_remove(number: str) -> Any:
    holder = _holder("watch", required=True)
    assert holder is not None
    watch.remove(holder.organisation_id, None, number[:40])
    return jsonify(number=number[:40], watched=False)
