"""Shared fixtures: an app on a fresh SQLite file (and on a fresh PostgreSQL database when one answers)."""

from __future__ import annotations

import os
import re
import socket
import uuid
from collections.abc import Iterator, MutableMapping
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from certexam import create_app, migrate

PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"

# Switches that steer a test and name no setting (certexam.config reads CERTEXAM_<setting>): the only
# CERTEXAM_* variables the caller's shell may pass to the tests.
TEST_SWITCHES = frozenset({"CERTEXAM_FAULT_SHARED_PG"})


def strip_caller_settings(environ: MutableMapping[str, str] = os.environ) -> list[str]:
    """Remove every CERTEXAM_* setting from `environ`; return the names removed.

    A caller's CERTEXAM_DATABASE_URL once sent `make test` and its CLI subprocesses into that database
    (issue 19.13): the tests and every process they start see only what a test sets itself.
    """
    found = sorted(k for k in environ if k.startswith("CERTEXAM_") and k not in TEST_SWITCHES)
    for key in found:
        del environ[key]
    return found


def pytest_configure(config: pytest.Config) -> None:
    # Before collection and before pytest-xdist starts its workers (they inherit this environment).
    strip_caller_settings()


def postgres_available() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=1):
            pass
    except OSError:
        return False
    try:
        import psycopg

        with psycopg.connect("host=127.0.0.1 port=5432 user=postgres dbname=postgres", connect_timeout=3):
            return True
    except Exception:
        return False


PG = postgres_available()
needs_postgres = pytest.mark.skipif(not PG, reason="no PostgreSQL server answers on 127.0.0.1:5432")


def _pg_create() -> tuple[str, str]:
    import psycopg

    name = f"certexam_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect("host=127.0.0.1 port=5432 user=postgres dbname=postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return name, f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"


def _pg_drop(name: str) -> None:
    import psycopg

    with psycopg.connect("host=127.0.0.1 port=5432 user=postgres dbname=postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def pg_url() -> Iterator[str]:
    """An empty PostgreSQL database, dropped afterwards."""
    if not PG:
        pytest.skip("no PostgreSQL server answers on 127.0.0.1:5432")
    name, url = _pg_create()
    try:
        yield url
    finally:
        _pg_drop(name)


def make_app(tmp_path: Path, database_url: str | None = None, **extra: Any) -> Flask:
    config = {
        "TESTING": True,
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "SECRET_KEY": "test-secret-" + uuid.uuid4().hex,
        "MAIL_BACKEND": "memory",
        "SERVER_NAME": None,
        "VERIFY_HOST": "verify.certexam.local",  # as production sets it (unset: the request's host)
        **extra,
    }
    if database_url:
        config["DATABASE_URL"] = database_url
    app = create_app(config)
    migrate.upgrade(app.config["DATABASE_URL"])
    return app


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def any_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Run a test once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'any.sqlite3'}"
    else:
        yield request.getfixturevalue("pg_url")


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Flask]:
    application = make_app(tmp_path)
    yield application
    application.extensions["certexam.engine"].dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> Any:
    return app.test_cli_runner()


CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')


def csrf_from(html: str) -> str:
    m = CSRF_RE.search(html)
    assert m, "no CSRF token on the page"
    return m.group(1) or m.group(2)


def post_form(client: FlaskClient, url: str, data: dict[str, Any], get_url: str | None = None, **kw: Any) -> Any:
    """GET the form page for its CSRF token, then POST like a browser would."""
    page = client.get(get_url or url)
    data = {"csrf_token": csrf_from(page.get_data(as_text=True)), **data}
    return client.post(url, data=data, **kw)
