"""Hostile input against the JSON API: schemathesis generates requests from /api/v1/openapi.json.

Every generated request, authenticated as a candidate with a live attempt, must
get a clean answer (never a 5xx) in the documented error shape.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from certexam.services.accounts import api_tokens
from tests.conftest import make_app
from tests.exam_setup import enrol, load_bank, open_sitting
from tests.factories import candidate


@pytest.fixture(scope="module")
def fuzz_env(tmp_path_factory: pytest.TempPathFactory) -> Any:
    tmp = Path(tmp_path_factory.mktemp("fuzz"))
    app = make_app(tmp)
    load_bank(app)
    user = candidate(app)
    reg = enrol(app, user, open_sitting(app))
    with app.app_context():
        token = api_tokens.create(user, "fuzz")
    client = app.test_client()
    auth = {"Authorization": f"Bearer {token}"}
    attempt = client.post(f"/api/v1/registrations/{reg}/papers/P1/start", headers=auth).get_json()["attempt_id"]
    yield {"app": app, "auth": auth, "attempt": attempt, "registration": reg}
    app.extensions["certexam.engine"].dispose()


def _operations(app: Any) -> list[Any]:
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    return [result.ok() for result in schema.get_all_operations()]


def test_no_server_error_on_any_generated_request(fuzz_env: Any) -> None:
    """Each operation gets generated requests (schemathesis' strategies, run by hypothesis)."""
    operations = _operations(fuzz_env["app"])
    assert len(operations) >= 9
    failures: list[str] = []

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def run(case: Any) -> None:
            # Point some generated ids at the real attempt/registration so the handlers run, not just 404.
            params = case.path_parameters or {}
            if isinstance(params.get("attempt_id"), int) and params["attempt_id"] % 3 == 0:
                params["attempt_id"] = fuzz_env["attempt"]
            if isinstance(params.get("registration_id"), int) and params["registration_id"] % 3 == 0:
                params["registration_id"] = fuzz_env["registration"]
            response = case.call(headers=fuzz_env["auth"])
            if response.status_code >= 500:
                failures.append(f"{case.method} {case.formatted_path}: {response.status_code} {response.text[:200]}")
            elif response.status_code >= 400:
                body = response.json()
                assert isinstance(body.get("error"), str) and body["error"], (case.formatted_path, body)

        run()
    assert failures == []


def test_the_document_is_valid_openapi(fuzz_env: Any) -> None:
    doc = fuzz_env["app"].test_client().get("/api/v1/openapi.json").get_json()
    assert doc["openapi"].startswith("3.1") and "/api/v1/attempts/{attempt_id}/answers/{slot}" in doc["paths"]
