"""The OpenAPI 3.1 document of /api/v1, served at /api/v1/openapi.json."""

from __future__ import annotations

import importlib
from typing import Any

_ERROR = {"type": "object", "required": ["error"],
          "properties": {"error": {"type": "string"}, "field": {"type": ["string", "null"]},
                         "code": {"type": ["string", "null"]}}}
_ERRORS = {str(code): {"description": text, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
           for code, text in ((400, "Invalid input"), (401, "Not signed in"), (403, "Not allowed"),
                              (404, "Not found"), (409, "Closed, paused by the proctor, or taken over by another device (see code)"))}


def _ok(schema: dict[str, Any], code: str = "200") -> dict[str, Any]:
    return {code: {"description": "OK", "content": {"application/json": {"schema": schema}}}, **_ERRORS}


_ID = {"name": "attempt_id", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1}}
_SLOT = {"name": "slot", "in": "path", "required": True,
         "schema": {"type": "string", "pattern": r"^[0-9]{1,4}(\.[0-9]{1,2})?$"}}
_ANSWER = {"oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}, {"type": "boolean"},
                     {"type": "null"}]}
_SEQ = {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}

PATHS: dict[str, Any] = {
    "/api/v1/registrations": {"get": {
        "summary": "My registrations with their papers", "operationId": "listRegistrations",
        "responses": _ok({"type": "array", "items": {"type": "object"}})}},
    "/api/v1/registrations/{registration_id}/papers/{code}/start": {"post": {
        "summary": "Start (or return to) a paper", "operationId": "startPaper",
        "parameters": [{"name": "registration_id", "in": "path", "required": True,
                        "schema": {"type": "integer", "minimum": 1}},
                       {"name": "code", "in": "path", "required": True, "schema": {"type": "string", "maxLength": 16}}],
        "description": "A new attempt comes with its device token (`device`): this device holds it and need not "
                       "claim it. Returning to an attempt begun earlier gives `device: null`; claim it to continue.",
        "responses": _ok({"type": "object", "required": ["attempt_id", "device", "last_seq"], "properties": {
            "attempt_id": {"type": "integer"}, "device": {"type": ["string", "null"]},
            "last_seq": {"type": "integer"}}}, "201")}},
    "/api/v1/attempts/{attempt_id}": {"get": {
        "summary": "State of an attempt (server time is the authority)", "operationId": "attemptState",
        "parameters": [_ID], "responses": _ok({"$ref": "#/components/schemas/AttemptState"})}},
    "/api/v1/attempts/{attempt_id}/paper": {"get": {
        "summary": "The paper as this candidate sees it (no keys)", "operationId": "attemptPaper",
        "parameters": [_ID], "responses": _ok({"type": "object"})}},
    "/api/v1/attempts/{attempt_id}/claim": {"post": {
        "summary": "Take the attempt over on this device", "operationId": "claimAttempt",
        "parameters": [_ID],
        "responses": _ok({"type": "object", "properties": {"device": {"type": "string"}, "last_seq": {"type": "integer"}}})}},
    "/api/v1/attempts/{attempt_id}/answers/{slot}": {"put": {
        "summary": "Save one answer (stored durably before the reply)", "operationId": "saveAnswer",
        "parameters": [_ID, _SLOT],
        "requestBody": {"required": True, "content": {"application/json": {"schema": {
            "type": "object", "required": ["seq", "device"],
            "properties": {"seq": _SEQ, "device": {"type": "string", "maxLength": 100}, "answer": _ANSWER,
                           "flagged": {"type": "boolean"}}}}}},
        "responses": _ok({"$ref": "#/components/schemas/SaveAck"})}},
    "/api/v1/attempts/{attempt_id}/flags/{slot}": {"put": {
        "summary": "Flag a question for review", "operationId": "flagQuestion",
        "parameters": [_ID, _SLOT],
        "requestBody": {"required": True, "content": {"application/json": {"schema": {
            "type": "object", "required": ["seq", "device", "flagged"],
            "properties": {"seq": _SEQ, "device": {"type": "string", "maxLength": 100},
                           "flagged": {"type": "boolean"}}}}}},
        "responses": _ok({"$ref": "#/components/schemas/SaveAck"})}},
    "/api/v1/attempts/{attempt_id}/submit": {"post": {
        "summary": "Submit the paper from the device that holds it (idempotent)", "operationId": "submitAttempt",
        "parameters": [_ID],
        "requestBody": {"required": True, "content": {"application/json": {"schema": {
            "type": "object", "required": ["device"],
            "properties": {"device": {"type": "string", "maxLength": 100}}}}}},
        "responses": _ok({"type": "object"})}},
    "/api/v1/attempts/{attempt_id}/push": {"get": {
        "summary": "Wait for a proctor's pause, resume, extra time or end (bounded long poll)", "operationId": "attemptPush",
        "description": "Answers at once when the attempt has proctor events newer than `since` (with the new "
                       "state), otherwise after a bounded wait (25 s by default) with `changed: false`; call it again "
                       "with the returned `marker`. Without `since` it answers at once with the current marker. When "
                       "too many requests wait in one server process it answers at once with `retry_after` (seconds).",
        "parameters": [_ID, {"name": "since", "in": "query", "required": False,
                             "schema": {"type": "integer", "minimum": 0}}],
        "responses": _ok({"type": "object", "required": ["marker", "changed"], "properties": {
            "marker": {"type": "integer"}, "changed": {"type": "boolean"},
            "events": {"type": "array", "items": {"enum": ["pause", "resume", "time_added", "proctor_end"]}},
            "added_minutes": {"type": "integer"}, "retry_after": {"type": ["integer", "null"]},
            "state": {"oneOf": [{"$ref": "#/components/schemas/AttemptState"}, {"type": "null"}]}}})}},
    "/api/v1/attempts/{attempt_id}/events": {"post": {
        "summary": "Report focus loss, paste, reconnect", "operationId": "attemptEvent", "parameters": [_ID],
        "requestBody": {"required": True, "content": {"application/json": {"schema": {
            "type": "object", "required": ["kind"],
            "properties": {"kind": {"enum": ["focus_lost", "focus_back", "paste", "reconnect", "offline"]},
                           "detail": {"type": "object"}}}}}},
        "responses": _ok({"type": "object"}, "202")}},
}

SCHEMAS: dict[str, Any] = {
    "Error": _ERROR,
    "AttemptState": {"type": "object", "properties": {
        "id": {"type": "integer"}, "status": {"enum": ["in_progress", "paused", "submitted"]},
        "deadline": {"type": "string", "format": "date-time"}, "server_time": {"type": "string", "format": "date-time"},
        "remaining_seconds": {"type": "integer"}, "paused": {"type": "boolean"}, "last_seq": {"type": "integer"},
        "answered": {"type": "array", "items": {"type": "string"}},
        "flagged": {"type": "array", "items": {"type": "string"}}, "holder": {"type": ["boolean", "null"]}}},
    "SaveAck": {"type": "object", "properties": {
        "slot": {"type": "string"}, "seq": {"type": "integer"}, "result": {"enum": ["stored", "duplicate", "stale"]},
        "saved_at": {"type": "string", "format": "date-time"}, "deadline": {"type": "string", "format": "date-time"}}},
}

# Feature packages contribute their own paths (module path, attribute).
CONTRIBUTIONS = [("certexam.bonus.openapi", "OPENAPI_PATHS"), ("certexam.results.openapi", "OPENAPI_PATHS"),
                 ("certexam.certificates.openapi", "OPENAPI_PATHS"), ("certexam.employers.openapi", "OPENAPI_PATHS")]


def document() -> dict[str, Any]:
    paths = dict(PATHS)
    for module, attr in CONTRIBUTIONS:
        try:
            paths.update(getattr(importlib.import_module(module), attr))
        except (ImportError, AttributeError):
            continue
    return {
        "openapi": "3.1.0",
        "info": {"title": "certexam API", "version": "1"},
        "components": {"schemas": SCHEMAS, "securitySchemes": {
            "bearer": {"type": "http", "scheme": "bearer"},
            # an organisation's key (issue 23): the verification and watch-list APIs, which say so
            "apiKey": {"type": "apiKey", "in": "header", "name": "X-Api-Key"},
            "session": {"type": "apiKey", "in": "cookie", "name": "session"}}},
        "security": [{"bearer": []}, {"session": []}],
        "paths": paths,
    }
