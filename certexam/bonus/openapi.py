"""OpenAPI 3.1 "paths" of the holder-bonus endpoints, merged into /api/v1/openapi.json.

Schemas are written out here (not referenced from components) so that the
paths stand on their own wherever they are merged.  Money is integer fen.
"""

from __future__ import annotations

from typing import Any

_DATE = {"type": "string", "format": "date"}
_DATE_OR_NULL = {"type": ["string", "null"], "format": "date"}
_TIME = {"type": "string", "format": "date-time"}
_FEN = {"type": "integer", "minimum": 0, "description": "Amount in fen (1 RMB = 100 fen)"}

ERROR = {"type": "object", "required": ["error"], "properties": {
    "error": {"type": "string"}, "field": {"type": ["string", "null"]}}}

STATUSES = ["submitted", "incomplete", "under_review", "in_notice", "approved", "paid", "rejected", "withdrawn",
            "cancelled"]
CONDITION_CODES = ["LEVEL2_PASSED_AFTER_START", "CERTIFICATE_VALID", "EMPLOYMENT_2_YEARS", "NO_EARLIER_BONUS",
                   "NO_SAME_KIND_AWARD", "NOT_BARRED_FOR_FRAUD", "WITHIN_MEASURES_VALIDITY"]
REASONS = ["NOT_CONFIRMED", "NOT_FULL_TIME", "OUTSIDE_CITY", "CATEGORY_NOT_QUALIFYING", "BEFORE_COUNT_START",
           "AFTER_EVALUATION"]

ELIGIBILITY = {"type": "object", "required": ["eligible", "evaluated_on", "conditions", "days_counted",
                                              "days_required", "amount_fen"], "properties": {
    "eligible": {"type": "boolean"},
    "evaluated_on": _DATE,
    "days_counted": {"type": "integer", "minimum": 0},
    "days_required": {"type": "integer", "minimum": 1},
    "amount_fen": _FEN,
    "projected_eligible_on": {**_DATE_OR_NULL, "description": "When a holder not yet eligible will be, if "
                                                              "nothing but time changes"},
    "counted_periods": {"type": "array", "items": {"type": "object", "properties": {
        "first_day": _DATE, "last_day": _DATE}}},
    "conditions": {"type": "array", "items": {"type": "object", "required": ["code", "met", "facts"],
                                              "properties": {
        "code": {"enum": CONDITION_CODES}, "met": {"type": "boolean"},
        "title": {"type": "string", "description": "The condition in the page language"},
        "facts": {"type": "object", "description": "The facts behind the verdict (dates as ISO strings)"}}}},
    "periods": {"type": "array", "items": {"type": "object", "properties": {
        "record_id": {"type": "integer"}, "first_day": _DATE, "last_day": _DATE_OR_NULL,
        "counted": {"type": "boolean"}, "reasons": {"type": "array", "items": {"enum": REASONS}},
        "confirmed_by_social_insurance": {"type": "boolean"}}}},
}}

GRANT = {"type": ["object", "null"], "properties": {
    "status": {"enum": ["waiting", "funded", "paid", "recovery"]}, "amount_fen": _FEN,
    "budget_year": {"type": ["integer", "null"]}, "approved_at": _TIME}}

APPLICATION = {"type": "object", "required": ["id", "reference", "status", "submitted_at"], "properties": {
    "id": {"type": "integer"}, "reference": {"type": "string"}, "status": {"enum": STATUSES},
    "status_text": {"type": "string"}, "submitted_at": _TIME,
    "check_note": {"type": ["string", "null"]}, "review_note": {"type": ["string", "null"]},
    "notice_starts_on": _DATE_OR_NULL, "notice_ends_on": _DATE_OR_NULL, "grant": GRANT,
    "holder": {"type": "object", "description": "Administrators only", "properties": {
        "id": {"type": "integer"}, "name_zh": {"type": "string"}, "name_en": {"type": "string"}}},
    "open_objections": {"type": "integer", "description": "Administrators only"},
}}

PAYOUTS = {"type": "object", "required": ["batches", "ready"], "properties": {
    "batches": {"type": "array", "items": {"type": "object", "properties": {
        "id": {"type": "integer"}, "created_at": _TIME, "count": {"type": "integer"}, "total_fen": _FEN,
        "bank_reference": {"type": ["string", "null"]}, "paid_on": _DATE_OR_NULL,
        "payouts": {"type": "array", "items": {"type": "object", "properties": {
            "id": {"type": "integer"}, "reference": {"type": "string"}, "user_id": {"type": "integer"},
            "amount_fen": _FEN, "bank_account": {"type": "string", "description": "Masked: last four digits"},
            "status": {"enum": ["funded", "paid", "recovery"]}}}}}}},
    "ready": {"type": "array", "items": {"type": "object", "properties": {
        "grant_id": {"type": "integer"}, "reference": {"type": "string"}, "user_id": {"type": "integer"},
        "amount_fen": _FEN, "budget_year": {"type": "integer"}}}},
}}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*codes: int) -> dict[str, Any]:
    text = {400: "Invalid input", 401: "Not signed in", 403: "Not allowed for this role"}
    return {str(c): _json(ERROR, text[c]) for c in codes}


OPENAPI_PATHS: dict[str, Any] = {
    "/api/v1/bonus/eligibility": {"get": {
        "summary": "The signed-in holder's eligibility for the RMB 10,000 bonus",
        "operationId": "bonusEligibility", "tags": ["bonus"],
        "responses": {"200": _json(ELIGIBILITY, "Every condition with its facts"), **_errors(401, 403)}}},
    "/api/v1/bonus/applications": {"get": {
        "summary": "The signed-in holder's bonus applications, newest first",
        "operationId": "bonusMyApplications", "tags": ["bonus"],
        "responses": {"200": _json({"type": "array", "items": APPLICATION}, "Applications"), **_errors(401, 403)}}},
    "/api/v1/bonus/admin/applications": {"get": {
        "summary": "All bonus applications (administrators)", "operationId": "bonusAdminApplications",
        "tags": ["bonus"],
        "parameters": [
            {"name": "status", "in": "query", "required": False, "schema": {"enum": STATUSES}},
            {"name": "limit", "in": "query", "required": False,
             "schema": {"type": "integer", "minimum": 1, "maximum": 200, "default": 50}},
            {"name": "offset", "in": "query", "required": False, "schema": {"type": "integer", "minimum": 0}}],
        "responses": {"200": _json({"type": "object", "properties": {
            "items": {"type": "array", "items": APPLICATION}, "limit": {"type": "integer"},
            "offset": {"type": "integer"}}}, "A page of applications"), **_errors(400, 401, 403)}}},
    "/api/v1/bonus/admin/payouts": {"get": {
        "summary": "Payment batches and funded bonuses waiting for a batch (administrators)",
        "operationId": "bonusAdminPayouts", "tags": ["bonus"],
        "responses": {"200": _json(PAYOUTS, "Batches and ready grants"), **_errors(401, 403)}}},
}
