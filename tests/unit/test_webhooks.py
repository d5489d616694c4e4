"""The webhook signature scheme, its retry schedule and the URL rule (domain/webhooks.py), with plain values."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta

import pytest

from certexam.domain import webhooks as W

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
SECRET = "whsec_test"
BODY = W.body("certificate.revoked", "SHMFTPP-L1-2026-000001-7", "revoked", None, NOW)


def test_signature_is_hmac_sha256_over_timestamp_dot_body() -> None:
    stamp = int(NOW.timestamp())
    header = W.sign(SECRET, stamp, BODY)
    # computed independently, as a receiver's documentation tells it
    expected = hmac.new(SECRET.encode(), f"{stamp}.".encode() + BODY, hashlib.sha256).hexdigest()
    assert header == f"t={stamp},v1={expected}"
    assert W.verify(SECRET, header, BODY, NOW)


@pytest.mark.parametrize("tamper", ["body", "secret", "stamp", "garbage", "no_v1"])
def test_a_changed_delivery_does_not_verify(tamper: str) -> None:
    stamp = int(NOW.timestamp())
    header, body, secret = W.sign(SECRET, stamp, BODY), BODY, SECRET
    if tamper == "body":
        body = BODY.replace(b"revoked", b"valid", 1)
    elif tamper == "secret":
        secret = "whsec_other"
    elif tamper == "stamp":
        header = header.replace(f"t={stamp}", f"t={stamp + 1}")
    elif tamper == "garbage":
        header = "nonsense"
    else:
        header = f"t={stamp}"
    assert not W.verify(secret, header, body, NOW)


def test_an_old_or_future_timestamp_is_refused_beyond_the_tolerance() -> None:
    stamp = int(NOW.timestamp())
    header = W.sign(SECRET, stamp, BODY)
    assert W.verify(SECRET, header, BODY, NOW + W.SIGNATURE_TOLERANCE)
    assert not W.verify(SECRET, header, BODY, NOW + W.SIGNATURE_TOLERANCE + timedelta(seconds=1))
    assert not W.verify(SECRET, header, BODY, NOW - W.SIGNATURE_TOLERANCE - timedelta(seconds=1))


def test_a_second_v1_signature_is_accepted_during_a_secret_change() -> None:
    stamp = int(NOW.timestamp())
    old = W.sign("whsec_old", stamp, BODY).split(",")[1]
    assert W.verify(SECRET, f"{W.sign(SECRET, stamp, BODY)},{old}", BODY, NOW)


def test_body_has_exactly_the_issue_fields_in_a_fixed_order() -> None:
    body = W.body("certificate.reissued", "N1", "revoked", "N2", NOW)
    assert list(json.loads(body)) == ["event", "number", "status", "replaced_by", "at"]
    assert json.loads(body) == {"event": "certificate.reissued", "number": "N1", "status": "revoked",
                                "replaced_by": "N2", "at": "2026-12-07T12:00:00Z"}
    assert body == W.body("certificate.reissued", "N1", "revoked", "N2", NOW)  # the same bytes on every retry


def test_backoff_schedule_grows_and_ends() -> None:
    waits = [W.next_attempt(n, NOW) for n in range(1, W.MAX_ATTEMPTS + 1)]
    assert [w - NOW for w in waits[:-1] if w] == list(W.RETRY_DELAYS)
    assert all(a < b for a, b in zip(W.RETRY_DELAYS, W.RETRY_DELAYS[1:], strict=False))
    assert W.RETRY_DELAYS[0] <= timedelta(minutes=1)  # a receiver back within a minute loses nothing
    assert waits[-1] is None  # after the last attempt: given up
    assert W.next_attempt(0, NOW) is None


@pytest.mark.parametrize(("code", "ok"), [(200, True), (204, True), (299, True), (301, False), (404, False),
                                          (500, False), (None, False)])
def test_only_2xx_delivers(code: int | None, ok: bool) -> None:
    assert W.delivered(code) is ok


@pytest.mark.parametrize(("url", "loopback", "problem"), [
    ("https://hr.example.com/hooks/certexam", False, None),
    ("https://hr.example.com:8443/h?x=1", False, None),
    ("http://hr.example.com/hook", False, "scheme"),
    ("http://hr.example.com/hook", True, "scheme"),  # plain http only to this machine
    ("http://127.0.0.1:8080/hook", True, None),
    ("http://127.0.0.1:8080/hook", False, "scheme"),
    ("https://127.0.0.1/hook", False, "private"),
    ("https://10.0.0.5/hook", False, "private"),
    ("https://192.168.1.1/hook", True, "private"),
    ("https://169.254.169.254/latest", False, "private"),  # a cloud's metadata service
    ("https://user:pw@hr.example.com/", False, "credentials"),
    ("ftp://hr.example.com/", False, "scheme"),
    ("https:///nohost", False, "host"),
    ("https://hr.example.com:99999/", False, "host"),
    ("https://hr.example.com/" + "a" * 600, False, "length"),
])
def test_url_rule(url: str, loopback: bool, problem: str | None) -> None:
    found = W.url_problem(url, loopback)
    assert (found.code if found else None) == problem
