"""The JSON API fuzz (test_api_fuzz.py) on PostgreSQL, which refuses what SQLite stores: a NUL in
a string, an integer past 2^31 (issue 19.8). Every generated request must be answered below 500."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from certexam.services.accounts import api_tokens
from tests.conftest import make_app
from tests.exam_setup import enrol, load_bank, open_sitting
from tests.factories import candidate
from tests.integration.test_api_fuzz import _operations

NASTY_ANSWERS = ["a\x00b", "\x00", "\u202e", "x" * 30_000, 2**63, -(2**63) - 1, 10**30]


@pytest.mark.postgres
def test_no_server_error_on_postgresql(tmp_path: Path, pg_url: str) -> None:
    app = make_app(tmp_path, pg_url)
    try:
        load_bank(app)
        user = candidate(app)
        reg = enrol(app, user, open_sitting(app))
        with app.app_context():
            token = api_tokens.create(user, "fuzz")
        auth = {"Authorization": f"Bearer {token}"}
        client = app.test_client()
        started = client.post(f"/api/v1/registrations/{reg}/papers/P1/start", headers=auth).get_json()
        attempt, device = started["attempt_id"], started["device"]
        failures: list[str] = []

        for answer in NASTY_ANSWERS:  # the values PostgreSQL refuses, on the real attempt
            for seq in (1, 2**31, 2**63):
                resp = client.put(f"/api/v1/attempts/{attempt}/answers/1", headers=auth,
                                  json={"seq": seq, "device": device, "answer": answer})
                if resp.status_code >= 500:
                    failures.append(f"answer {answer!r:.40} seq {seq}: {resp.status_code}")
        for operation in _operations(app):
            _fuzz(operation, auth, attempt, reg, failures)
        assert failures == [], "\n".join(failures[:20])
    finally:
        app.extensions["certexam.engine"].dispose()


def _fuzz(operation: Any, auth: dict[str, str], attempt: int, reg: int, failures: list[str]) -> None:
    @given(case=operation.as_strategy())
    @settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck), database=None,
              derandomize=True)
    def run(case: Any) -> None:
        params = case.path_parameters or {}
        if isinstance(params.get("attempt_id"), int) and params["attempt_id"] % 3 == 0:
            params["attempt_id"] = attempt
        if isinstance(params.get("registration_id"), int) and params["registration_id"] % 3 == 0:
            params["registration_id"] = reg
        response = case.call(headers=auth)
        if response.status_code >= 500:
            failures.append(f"{case.method} {case.formatted_path}: {response.status_code} {response.text[:200]}")

    run()
