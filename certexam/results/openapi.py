"""OpenAPI 3.1 "paths" of the results endpoints, merged into /api/v1/openapi.json.

Schemas are written out here so that the paths stand on their own wherever they are merged.
"""

from __future__ import annotations

from typing import Any

ERROR = {"type": "object", "required": ["error"], "properties": {"error": {"type": "string"}}}
STATUS = {"enum": ["PASS", "FAIL", "VOID", "PENDING"]}
REASON_CODES = ["ETHICS_VETO", "BELOW_PASS_MARK", "NOT_IN_TOP_SHARE", "MISCONDUCT", "ABSENT", "MARKING_INCOMPLETE",
                "COHORT_MARKING_INCOMPLETE", "AWAITING_RANKING", "PAPER_IN_PROGRESS"]
RATE = {"type": ["object", "null"], "properties": {
    "exact": {"type": "string", "description": "Exact fraction, e.g. \"3/5\""},
    "percent": {"type": "number"}}}
NUM_OR_NULL = {"type": ["number", "null"]}

CANDIDATE_RESULT = {"type": "object", "required": ["id", "sitting", "status", "reasons", "ethics_veto"], "properties": {
    "id": {"type": "integer"},
    "sitting": {"type": "object", "properties": {"id": {"type": "integer"}, "name": {"type": "string"},
                                                 "level": {"type": "integer"}}},
    "status": STATUS,
    "reasons": {"type": "array", "items": {"type": "object", "properties": {
        "code": {"enum": REASON_CODES}, "text": {"type": "string", "description": "In the page language"}}}},
    "ethics_veto": {"type": "boolean", "description": "Failed by the one-vote ethics veto"},
    "ethics_rate": {**RATE, "description": "Only for a result that is not a pass"},
    "module_rates": {"type": ["object", "null"], "additionalProperties": RATE,
                     "description": "Correct rate per module, only for a result that is not a pass (no raw score)"},
    "released_at": {"type": ["string", "null"], "format": "date-time"}}}

ADMIN_RESULT = {"type": "object", "properties": {
    "id": {"type": "integer"}, "registration_id": {"type": "integer"}, "admission_no": {"type": "string"},
    "direction": {"type": ["string", "null"]}, "status": STATUS,
    "reasons": {"type": "array", "items": {"enum": REASON_CODES}}, "ethics_rate": RATE,
    "module_rates": {"type": "object", "additionalProperties": RATE}, "total_points": {"type": "number"},
    "max_points": {"type": "number"}, "rank": {"type": ["integer", "null"]},
    "cohort_size": {"type": ["integer", "null"]}, "released": {"type": "boolean"}}}

SCALE = {"type": "object", "properties": {
    "n": {"type": "integer"}, "items": {"type": "integer"}, "mean": NUM_OR_NULL, "median": NUM_OR_NULL,
    "sd": NUM_OR_NULL, "alpha": NUM_OR_NULL, "method": {"enum": ["KR-20", "alpha"]}, "sem": NUM_OR_NULL}}

ITEM = {"type": "object", "properties": {
    "item": {"type": "string"}, "version": {"type": "string"},
    "module": {"type": "string"}, "kind": {"type": "string"}, "n": {"type": "integer"}, "facility": NUM_OR_NULL,
    "discrimination": NUM_OR_NULL,
    "flags": {"type": "array", "items": {"enum": ["VERY_EASY", "VERY_HARD", "NEGATIVE_DISCRIMINATION"]}},
    "option_counts": {"type": "object", "additionalProperties": {"type": "integer"}}}}


def _json(schema: dict[str, Any], description: str = "OK") -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*codes: int) -> dict[str, Any]:
    text = {400: "Not possible now", 401: "Not signed in", 403: "Another role", 404: "Not found",
            409: "Already done"}
    return {str(c): _json(ERROR, text[c]) for c in codes}


_SITTING_ID = {"name": "sitting_id", "in": "path", "required": True, "schema": {"type": "integer"}}

OPENAPI_PATHS: dict[str, Any] = {
    "/api/v1/results/mine": {"get": {
        "tags": ["results"], "summary": "The signed-in candidate's released results",
        "responses": {"200": _json({"type": "object", "properties": {
            "results": {"type": "array", "items": CANDIDATE_RESULT}}}), **_errors(401, 403)}}},
    "/api/v1/results/{result_id}": {"get": {
        "tags": ["results"], "summary": "One released result of the signed-in candidate",
        "parameters": [{"name": "result_id", "in": "path", "required": True, "schema": {"type": "integer"}}],
        "responses": {"200": _json(CANDIDATE_RESULT), **_errors(401, 403, 404)}}},
    "/api/v1/results/sittings/{sitting_id}": {"get": {
        "tags": ["results"], "summary": "Every result of a sitting (administrators; released or not)",
        "parameters": [_SITTING_ID],
        "responses": {"200": _json({"type": "object", "properties": {
            "sitting": {"type": "object"}, "results": {"type": "array", "items": ADMIN_RESULT}}}),
            **_errors(401, 403, 400)}}},
    "/api/v1/results/sittings/{sitting_id}/release": {"post": {
        "tags": ["results"], "summary": "Release a sitting's results, record passes, e-mail candidates",
        "description": "Four eyes: a results officer's call asks for the release (202); a different results "
                       "officer's call confirms it and the results go out (200); the asker's second call is 403. "
                       "Refused while any result waits for marking. A session needs the X-CSRFToken header.",
        "parameters": [_SITTING_ID],
        "responses": {"200": _json({"type": "object", "properties": {
            "status": {"enum": ["released"]},
            "results": {"type": "integer"}, "certificates": {"type": ["integer", "null"]},
            "problem": {"type": ["string", "null"]}}}, "Released (the second officer's confirmation)"),
            "202": _json({"type": "object", "properties": {
                "status": {"enum": ["requested"]}, "requested_by": {"type": "integer"},
                "requested_at": {"type": "string", "format": "date-time"}}},
                "Asked for: waiting for a second results officer"),
            **_errors(400, 401, 403, 404, 409)}}},
    "/api/v1/results/sittings/{sitting_id}/marking": {"get": {
        "tags": ["results"], "summary": "Marking progress and marker statistics of a sitting",
        "parameters": [_SITTING_ID],
        "responses": {"200": _json({"type": "object", "properties": {
            "progress": {"type": "object", "additionalProperties": {"type": "integer"}},
            "markers": {"type": "array", "items": {"type": "object"}}}}), **_errors(400, 401, 403)}}},
    "/api/v1/results/sittings/{sitting_id}/item-analysis": {"get": {
        "tags": ["results"], "summary": "Item analysis per paper of a sitting (all forms delivered)",
        "parameters": [_SITTING_ID],
        "responses": {"200": _json({"type": "object", "properties": {
            "sitting_id": {"type": "integer"},
            "forms": {"type": "array", "items": {"type": "object", "properties": {
                "paper": {"type": "string"}, "forms": {"type": "integer", "description": "Distinct forms delivered"}, "attempts": {"type": "integer"},
                "voided": {"type": "array", "items": {"type": "string"}}, "form_stats": SCALE,
                "modules": {"type": "object", "additionalProperties": SCALE},
                "histogram": {"type": "array", "items": {"type": "object"}},
                "items": {"type": "array", "items": ITEM}}}}}}), **_errors(400, 401, 403)}}},
}
