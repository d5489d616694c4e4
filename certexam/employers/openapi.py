"""OpenAPI 3.1 "paths" of the public verification API and the watch list's API (issue 23), merged into
/api/v1/openapi.json. Schemas are written out here so the paths stand on their own."""

from __future__ import annotations

from typing import Any

ERROR = {"type": "object", "required": ["error"], "properties": {
    "error": {"type": "string"}, "field": {"type": ["string", "null"]}, "code": {"type": ["string", "null"]}}}
VERDICTS = ["valid", "revoked", "suspended", "expired", "not_yet_valid", "unknown", "mismatch", "key_compromised",
            "invalid_token", "backdated"]
OUTCOME = {"type": "object", "required": ["verdict", "valid", "holder", "signature", "checked_at"], "properties": {
    "verdict": {"type": "string", "description": "One of " + ", ".join(VERDICTS)},
    "valid": {"type": "boolean"}, "number": {"type": ["string", "null"]}, "level": {"type": ["integer", "null"]},
    "direction": {"type": ["string", "null"]}, "issued_on": {"type": ["string", "null"], "format": "date"},
    "status_since": {"type": ["string", "null"], "format": "date"},
    "replaced_by": {"type": ["string", "null"], "description": "The number of the certificate that replaced it"},
    "holder": {"type": "object", "description": "Masked names; the names in clear only after a matching `name`",
               "properties": {"masked_zh": {"type": "string"}, "masked_en": {"type": "string"},
                              "name_check": {"type": ["boolean", "null"]},
                              "name_zh": {"type": ["string", "null"]}, "name_en": {"type": ["string", "null"]}}},
    "signature": {"type": "object", "properties": {"valid": {"type": "boolean"}, "reason": {"type": "string"},
                                                   "key_id": {"type": ["string", "null"]}}},
    "checked_at": {"type": "string", "format": "date-time"}}}


def _answers(ok: dict[str, Any], *codes: int, success: str = "200") -> dict[str, Any]:
    text = {400: "Invalid input", 401: "An API key that is malformed, unknown or revoked (or none where one is needed)",
            403: "The key lacks the scope", 404: "No such certificate, or the name does not verify",
            409: "The certificate cannot be watched in its status", 429: "Too many requests (per address or key)"}
    out = {success: {"description": "OK", "content": {"application/json": {"schema": ok}}}}
    out.update({str(c): {"description": text[c], "content": {"application/json": {"schema": ERROR}}} for c in codes})
    return out


_KEY_ONLY = [{"apiKey": []}]
_ANYONE = [{}, {"apiKey": []}]
_VERIFY_QUERY = [
    {"name": n, "in": "query", "required": False, "schema": {"type": "string", "maxLength": m}, "description": d}
    for n, m, d in (("token", 2000, "The token of the QR code (the part after /v/)"),
                    ("number", 200, "The certificate number (with `surname`)"),
                    ("surname", 200, "The holder's family name, as on the certificate"),
                    ("name", 200, "The holder's full name, Chinese or English, to confirm it"))]
_VERIFY_BODY = {"type": "object", "properties": {p["name"]: p["schema"] for p in _VERIFY_QUERY}}
_WATCHED = {"type": "object", "properties": {"watched": {"type": "array", "items": {
    "allOf": [OUTCOME, {"type": "object", "properties": {"watched_since": {"type": "string", "format": "date-time"}}}]}}}}
_NUMBER = {"name": "number", "in": "path", "required": True, "schema": {"type": "string", "maxLength": 40}}

OPENAPI_PATHS: dict[str, Any] = {
    "/api/v1/verify": {
        "get": {"summary": "Verify a certificate: what the public page shows", "operationId": "verifyCertificate",
                "description": "Give `token`, or `number` and `surname`; `name` confirms the full name. Public, "
                               "limited per address; an organisation key with the verify scope (header X-Api-Key) "
                               "has its own, larger limit.",
                "security": _ANYONE, "parameters": _VERIFY_QUERY,
                "responses": _answers(OUTCOME, 400, 401, 403, 404, 429)},
        "post": {"summary": "Verify a certificate (the same, with a JSON body)", "operationId": "verifyCertificatePost",
                 "security": _ANYONE,
                 "requestBody": {"required": True, "content": {"application/json": {"schema": _VERIFY_BODY}}},
                 "responses": _answers(OUTCOME, 400, 401, 403, 404, 429)}},
    "/api/v1/watch": {
        "get": {"summary": "The organisation's watch list", "operationId": "listWatched", "security": _KEY_ONLY,
                "responses": _answers(_WATCHED, 401, 403, 429)},
        "post": {"summary": "Watch a certificate that verifies with the holder's full name",
                 "operationId": "watchCertificate", "security": _KEY_ONLY,
                 "description": "Suspension, reinstatement, revocation and re-issue are then mailed and posted to "
                                "the organisation's webhook, signed (see docs/employers.md).",
                 "requestBody": {"required": True, "content": {"application/json": {"schema": {
                     "type": "object", "required": ["number", "name"], "properties": {
                         "number": {"type": "string", "maxLength": 40}, "name": {"type": "string", "maxLength": 200}}}}}},
                 "responses": _answers({"type": "object", "properties": {"number": {"type": "string"},
                                                                         "watched": {"type": "boolean"}}},
                                       400, 401, 403, 404, 409, 429, success="201")}},
    "/api/v1/watch/{number}": {
        "delete": {"summary": "Stop watching a certificate", "operationId": "unwatchCertificate",
                   "security": _KEY_ONLY, "parameters": [_NUMBER],
                   "responses": _answers({"type": "object"}, 401, 403, 404, 429)}},
}
