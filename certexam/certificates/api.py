"""Certificate status changes through the JSON API (issue 20 "APIs"): a certificate officer with a
bearer token (api/auth.py) revokes, suspends or reinstates, exactly as the admin page does."""

from __future__ import annotations

from typing import Any

from flask import jsonify, request
from flask_babel import gettext as _
from flask_login import current_user

from certexam.certificates import bp
from certexam.errors import UserError
from certexam.models import Role
from certexam.services.certificates import admin as cert_admin
from certexam.web import api_roles


@bp.post("/api/v1/certificates/<number>/status")
@api_roles(Role.CERTIFICATE_OFFICER)
def api_change_status(number: str) -> Any:
    """{"action": "revoke" | "suspend" | "reinstate", "reason": "..."}: the certificate after the change."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise UserError(_("The request body must be a JSON object."))
    action, reason = data.get("action"), data.get("reason")
    if not isinstance(action, str) or not isinstance(reason, str):
        raise UserError(_("Give the action and the reason as text."), "action")
    cert = cert_admin.change_status(current_user, number[:40], action, reason)
    return jsonify(number=cert.number, status=cert.status.value,
                   status_changed_at=cert.status_changed_at.isoformat() if cert.status_changed_at else None)
