"""Every operation of the OpenAPI document, called with a bearer token of the right role, answers its
documented success code (issue 19.5: 10 of the 19 documented operations answered 401 to a token, and
the release POST 400 for a missing CSRF token).

The operations, their parameters, bodies and success codes come from /api/v1/openapi.json; the role
from the view the path routes to (`allowed_roles`, else a candidate for the exam's own routes).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from certexam import db
from certexam.models import STAFF_ROLES, Role
from certexam.services.accounts import api_tokens
from certexam.services.results import release as results
from tests.exam_setup import enrol as enrol_now
from tests.exam_setup import open_sitting
from tests.factories import candidate, staff
from tests.integration.test_results_service import L1_SMALL, RIGHT, banked_app, make_sitting, sit
from tests.integration.test_results_service import enrol as enrol_scored

ORDER = {"release": 0, "start": 1, "claim": 2, "submit": 9}  # a result is seen once released; claim, then save


def _token(app: Flask, user: Any) -> str:
    with app.app_context():
        return api_tokens.create(user, "operations")


def _certificate(app: Flask, holder: Any, monkeypatch: pytest.MonkeyPatch) -> str:
    """A certificate for the status operation (issue 20 "APIs"), signed by keys made for this app."""
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from certexam.services.certificates import keys
    from tests.integration.test_certificates_service import PASSPHRASE, PASSPHRASE_ENV, issue

    monkeypatch.setenv(PASSPHRASE_ENV, PASSPHRASE)
    with app.app_context():
        keys.init_keys(None, datetime.now(UTC))
    return issue(app, holder, issued_on=datetime.now(ZoneInfo("Asia/Shanghai")).date()).number


def _site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    app = banked_app(tmp_path)
    admin, scored, sitting_one = staff(app, Role.ADMIN), candidate(app), candidate(app)
    sid = make_sitting(app, L1_SMALL)
    sit(app, scored, enrol_scored(app, scored, sid), RIGHT)
    with app.app_context():
        results.compute(admin, sid)
        result_id = results.sitting_results(db.session(), sid)[0][0].id
        # four eyes (issue 19.6): another results officer asks, so the admin's POST confirms (200)
        results.request_release(staff(app, {Role.RESULTS_OFFICER}), sid)
    reg = enrol_now(app, sitting_one, open_sitting(app, name="2026 open"))
    number = _certificate(app, scored, monkeypatch)
    return {"app": app, "sid": sid, "result_id": result_id, "reg": reg, "number": number,
            "tokens": {"admin": _token(app, admin), "scored": _token(app, scored), "exam": _token(app, sitting_one)}}


def _role_of(app: Flask, path: str, method: str) -> Role | None:
    endpoint, _args = app.url_map.bind("localhost").match(path, method=method.upper())
    roles = getattr(app.view_functions[endpoint], "allowed_roles", None)
    if roles:
        return roles[0]  # type: ignore[no-any-return]
    return None if endpoint == "api.openapi" else Role.CANDIDATE  # the exam's routes: candidates only


def _body(schema: dict[str, Any], state: dict[str, Any]) -> dict[str, Any]:
    """The smallest body the schema accepts: its required properties, filled from what the run knows."""
    out: dict[str, Any] = {}
    for name in schema.get("required", []):
        prop = schema.get("properties", {}).get(name, {})
        if name == "seq":
            state["seq"] += 1
            out[name] = state["seq"]
        elif name == "device":
            out[name] = state["device"]
        elif "enum" in prop:
            out[name] = prop["enum"][0]
        else:
            out[name] = {"boolean": False, "integer": 1, "object": {}}.get(prop.get("type"), "x")
    return out


def test_every_operation_succeeds_with_a_token_of_its_role(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    site = _site(tmp_path, monkeypatch)
    app, tokens = site["app"], site["tokens"]
    client = app.test_client()
    doc = client.get("/api/v1/openapi.json").get_json()
    operations = [(path, method, op) for path, ops in doc["paths"].items() for method, op in ops.items()]
    operations.sort(key=lambda o: next((v for k, v in ORDER.items() if o[0].endswith("/" + k)), 5))
    state: dict[str, Any] = {"seq": 0, "device": "", "attempt_id": 0}
    answers: list[tuple[str, str, int, list[str]]] = []
    for path, method, op in operations:
        if "security" in op and not any("bearer" in s for s in op["security"]):
            continue  # public or an organisation's key (issue 23): tests/functional/test_employer_watch.py
        values = {"number": site["number"],"sitting_id": site["sid"], "result_id": site["result_id"], "registration_id": site["reg"],
                  "code": "P1", "slot": "1", "attempt_id": state["attempt_id"]}
        concrete = re.sub(r"\{(\w+)\}", lambda m, v=values: str(v[m.group(1)]), path)  # type: ignore[misc]
        role = _role_of(app, concrete, method)
        # the admin holds every staff role (tests.factories.staff); the release's first call asks (202)
        who = "admin" if role in STAFF_ROLES else ("scored" if "/results/" in path else "exam")
        body_schema = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
        resp = client.open(concrete, method=method.upper(), headers={"Authorization": f"Bearer {tokens[who]}"},
                           json=_body(body_schema, state) if body_schema else None)
        success = [code for code in op["responses"] if code.startswith("2")]
        answers.append((method.upper(), concrete, resp.status_code, success))
        data = resp.get_json(silent=True)
        if isinstance(data, dict) and data.get("attempt_id"):
            state["attempt_id"] = data["attempt_id"]
        if isinstance(data, dict) and isinstance(data.get("device"), str):
            state["device"] = data["device"]
    wrong = [a for a in answers if str(a[2]) not in a[3]]
    print(f"{len(answers)} operations, {len(answers) - len(wrong)} answered their documented success code")
    assert len(answers) >= 19
    assert wrong == [], wrong
    app.extensions["certexam.engine"].dispose()


def test_schemathesis_with_a_token_of_each_role(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The whole document, generated requests, a token of each role: no server error, and every 401 or 403
    is one the operation documents."""
    import schemathesis

    site = _site(tmp_path, monkeypatch)
    app = site["app"]
    tokens = {role.value: _token(app, candidate(app) if role == Role.CANDIDATE else staff(app, role)) for role in Role}
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    problems: list[str] = []
    calls = [0]
    for result in schema.get_all_operations():
        operation = result.ok()
        documented = set(operation.definition.raw.get("responses", {}))
        for role, token in tokens.items():
            _fuzz_as(operation, role, token, documented, problems, calls)
    print(f"{calls[0]} generated requests over {len(tokens)} roles: {len(problems)} problems")
    assert problems == [], problems[:10]
    app.extensions["certexam.engine"].dispose()


def _fuzz_as(operation: Any, role: str, token: str, documented: set[str], problems: list[str],
             calls: list[int]) -> None:
    from hypothesis import HealthCheck, given, settings

    @given(case=operation.as_strategy())
    @settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck), database=None,
              derandomize=True)
    def run(case: Any) -> None:
        response = case.call(headers={"Authorization": f"Bearer {token}"})
        calls[0] += 1
        code = response.status_code
        if code >= 500 or (code in (401, 403) and str(code) not in documented):
            problems.append(f"{role} {case.method} {case.formatted_path}: {code} {response.text[:120]}")

    run()
