"""OpenAPI 3.1 "paths" of the certificates' JSON API (issue 20 "APIs"), merged into /api/v1/openapi.json."""

from __future__ import annotations

from typing import Any

ERROR = {"type": "object", "required": ["error"], "properties": {
    "error": {"type": "string"}, "field": {"type": ["string", "null"]}, "code": {"type": ["string", "null"]}}}


def _error(text: str) -> dict[str, Any]:
    return {"description": text, "content": {"application/json": {"schema": ERROR}}}


OPENAPI_PATHS: dict[str, Any] = {
    "/api/v1/certificates/{number}/status": {"post": {
        "summary": "Suspend, reinstate or revoke a certificate (certificate officer)",
        "operationId": "changeCertificateStatus",
        "description": "As the admin page does: the reason goes to the audit log, never to a public page; the "
                       "verification page and API show the new status at once, and organisations watching the "
                       "certificate are told. Revocation is final.",
        "parameters": [{"name": "number", "in": "path", "required": True,
                        "schema": {"type": "string", "maxLength": 40}}],
        "requestBody": {"required": True, "content": {"application/json": {"schema": {
            "type": "object", "required": ["action", "reason"], "properties": {
                "action": {"enum": ["suspend", "reinstate", "revoke"]},
                "reason": {"type": "string", "minLength": 1, "maxLength": 2000}}}}}},
        "responses": {"200": {"description": "OK", "content": {"application/json": {"schema": {
            "type": "object", "properties": {"number": {"type": "string"}, "status": {"type": "string"},
                                             "status_changed_at": {"type": ["string", "null"], "format": "date-time"}}}}}},
            "400": _error("Invalid input"), "401": _error("Not signed in"), "403": _error("Not a certificate officer"),
            "404": _error("No certificate has this number"),
            "409": _error("The action does not apply to the certificate's status")}}},
}
