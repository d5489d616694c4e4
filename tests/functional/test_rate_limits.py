"""Rate limits that count right (issue 19.3) and lookups limited per certificate number (19.11)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from certexam.limiter_storage import SCHEME, storage_uri
from tests.conftest import make_app


@pytest.fixture
def limited(tmp_path: Path) -> Any:
    def build(**extra: Any) -> Any:
        app = make_app(tmp_path / f"app{len(built)}", CERT_VERIFY_RATE_LIMIT="3/minute",
                       CERT_NUMBER_LOOKUP_RATE_LIMIT="3/hour", CERT_NAME_CHECK_RATE_LIMIT="100/minute",
                       WTF_CSRF_ENABLED=False, **extra)
        built.append(app)
        return app

    built: list[Any] = []
    yield build
    for app in built:
        app.extensions["certexam.engine"].dispose()


def _get(client: Any, url: str, peer: str = "198.51.100.1", forwarded: str | None = None) -> int:
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    return int(client.get(url, headers=headers, environ_base={"REMOTE_ADDR": peer}).status_code)


def test_one_bucket_for_every_verification_route(limited: Any) -> None:
    client = limited().test_client()
    assert [_get(client, "/verify"), _get(client, "/v/NOTATOKEN"), _get(client, "/verify")] == [200, 404, 200]
    assert _get(client, "/V/NOTATOKEN") == 429  # the fourth verification of this client, whatever the route
    assert _get(client, "/verify", peer="198.51.100.2") == 200  # another client has its own bucket


def test_behind_a_trusted_proxy_each_client_has_its_own_bucket(limited: Any) -> None:
    client = limited(TRUSTED_PROXIES=1).test_client()
    proxy = "10.0.0.2"
    for _ in range(3):
        assert _get(client, "/verify", peer=proxy, forwarded="203.0.113.7") == 200
    assert _get(client, "/verify", peer=proxy, forwarded="203.0.113.7") == 429
    assert _get(client, "/verify", peer=proxy, forwarded="203.0.113.8") == 200  # not everyone behind the proxy


def test_without_trusted_proxies_a_forwarded_header_is_ignored(limited: Any) -> None:
    client = limited().test_client()
    for n in range(3):
        assert _get(client, "/verify", forwarded=f"203.0.113.{n}") == 200
    assert _get(client, "/verify", forwarded="203.0.113.99") == 429  # a forged header buys nothing


def test_lookups_of_one_number_are_limited_whoever_asks(limited: Any) -> None:
    client = limited().test_client()
    form = {"number": "SHMFTPP-L1-2026-000124-2", "surname": "Li"}
    answers = [client.post("/verify", data=form, environ_base={"REMOTE_ADDR": f"203.0.113.{n}"}).status_code
               for n in range(4)]
    assert answers == [200, 200, 200, 429]
    other = {**form, "number": "SHMFTPP-L1-2026-000125-8"}
    assert client.post("/verify", data=other, environ_base={"REMOTE_ADDR": "203.0.113.50"}).status_code == 200


def test_counts_are_shared_by_apps_on_one_database(tmp_path: Path, limited: Any) -> None:
    """Two apps on one database stand for two workers (the gunicorn test is test_rate_limit_workers.py)."""
    url = f"sqlite:///{tmp_path / 'shared.sqlite3'}"
    one, two = limited(DATABASE_URL=url).test_client(), limited(DATABASE_URL=url).test_client()
    assert [_get(one, "/verify"), _get(two, "/verify"), _get(one, "/verify"), _get(two, "/verify")] == \
        [200, 200, 200, 429]


@pytest.mark.parametrize("config,expected", [
    ({}, f"{SCHEME}://"),
    ({"WORKER_BACKEND": "redis://127.0.0.1:6379/1"}, "redis://127.0.0.1:6379/1"),
    ({"WORKER_BACKEND": "redis://127.0.0.1:6379/1", "RATELIMIT_STORAGE_URI": "redis://cache:6379/0"},
     "redis://cache:6379/0"),
    ({"RATELIMIT_STORAGE_URI": "memory://"}, "memory://"),
    ({"WORKER_BACKEND": "/var/lib/certexam/queue.sqlite3"}, f"{SCHEME}://"),
])
def test_the_storage_is_shared_whenever_redis_is_configured(config: dict[str, str], expected: str) -> None:
    assert storage_uri(config) == expected


def test_an_app_with_limits_off_does_not_turn_them_off_for_the_next(tmp_path: Path) -> None:
    """Flask-Limiter's one Limiter object took the last app's RATELIMIT_ENABLED as the next app's default."""
    from certexam.extensions import limiter

    off = make_app(tmp_path / "off", RATELIMIT_ENABLED=False)
    on = make_app(tmp_path / "on", CERT_VERIFY_RATE_LIMIT="1/minute")
    try:
        assert limiter.enabled
        client = on.test_client()
        assert [client.get("/verify").status_code for _ in range(2)] == [200, 429]
    finally:
        off.extensions["certexam.engine"].dispose()
        on.extensions["certexam.engine"].dispose()
