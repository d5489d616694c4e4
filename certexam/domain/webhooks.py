"""Employers' webhooks (issue 23): the signature scheme, the retry schedule and which URLs are allowed.

The signature follows Stripe's and Standard Webhooks' shape, so receivers can reuse their code:

    X-Certexam-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>

The timestamp is inside the signed text, so a captured delivery cannot be replayed later than the
receiver's tolerance (`SIGNATURE_TOLERANCE`); `v1` names the scheme so a second one can be added
beside it during a change. The secret is the organisation's webhook secret, shown once when it is made.

Pure: standard library only, `now` passed in.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

SIGNATURE_HEADER = "X-Certexam-Signature"
DELIVERY_HEADER = "X-Certexam-Delivery"  # the event's id: a receiver drops a repeat it has seen
SCHEME = "v1"
SIGNATURE_TOLERANCE = timedelta(minutes=5)  # Stripe's default: a receiver refuses older timestamps
SECRET_PREFIX = "whsec_"  # as Stripe and Standard Webhooks spell it, so nobody mistakes it for a key

# Waits after the 1st, 2nd, ... failed attempt (issue 23: "with retry"). Fast at first for a receiver
# that restarts, then stretched over about a day; after the last one the event is given up and the
# delivery log says so. Cumulative: 1 min, 6 min, 36 min, 2.6 h, 8.6 h, 20.6 h.
RETRY_DELAYS: tuple[timedelta, ...] = (
    timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30),
    timedelta(hours=2), timedelta(hours=6), timedelta(hours=12),
)
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})
URL_MAX = 500

# certificate change -> webhook event name (issue 23: suspension, revocation, re-issue; reinstatement
# too, so a receiver that heard "suspended" also hears the end of it)
EVENTS: dict[str, str] = {
    "suspend": "certificate.suspended",
    "revoke": "certificate.revoked",
    "reissue": "certificate.reissued",
    "reinstate": "certificate.reinstated",
}


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The header value for `body` sent at `timestamp` (unix seconds)."""
    mac = hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},{SCHEME}={mac}"


def parse_header(header: str) -> tuple[int, list[str]] | None:
    """(timestamp, v1 signatures) from a header value, or None when it is malformed."""
    stamp: int | None = None
    macs: list[str] = []
    for part in header.split(","):
        key, sep, value = part.strip().partition("=")
        if not sep:
            return None
        if key == "t" and value.isascii() and value.isdigit() and len(value) <= 12:
            stamp = int(value)
        elif key == SCHEME:
            macs.append(value)
    return (stamp, macs) if stamp is not None and macs else None


def verify(secret: str, header: str, body: bytes, now: datetime,
           tolerance: timedelta = SIGNATURE_TOLERANCE) -> bool:
    """What a receiver does: the header is well formed, recent, and one v1 MAC matches (constant time)."""
    parsed = parse_header(header)
    if parsed is None:
        return False
    stamp, macs = parsed
    if abs(now.timestamp() - stamp) > tolerance.total_seconds():
        return False
    wanted = sign(secret, stamp, body).rpartition("=")[2]
    return any(hmac.compare_digest(wanted, mac) for mac in macs)


def body(event: str, number: str, status: str, replaced_by: str | None, at: datetime) -> bytes:
    """The JSON body (issue 23: {event, number, status, replaced_by, at}), compact and in a fixed
    key order, so the bytes that were signed are the bytes that are sent on every retry."""
    doc: dict[str, Any] = {"event": event, "number": number, "status": status, "replaced_by": replaced_by,
                           "at": at.isoformat().replace("+00:00", "Z")}
    return json.dumps(doc, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def next_attempt(attempts_done: int, now: datetime) -> datetime | None:
    """When to try again after `attempts_done` failed attempts; None: give up."""
    if attempts_done < 1 or attempts_done >= MAX_ATTEMPTS:
        return None
    return now + RETRY_DELAYS[attempts_done - 1]


def delivered(status_code: int | None) -> bool:
    """A 2xx answer delivers; anything else (a 3xx too: redirects are not followed) is retried."""
    return status_code is not None and 200 <= status_code < 300


@dataclass(frozen=True)
class UrlProblem:
    """Why a webhook URL is refused (a message key the service turns into a sentence)."""

    code: str  # "scheme" | "host" | "length" | "credentials" | "private"


def url_problem(url: str, allow_loopback_http: bool) -> UrlProblem | None:
    """None when `url` may receive webhooks: https to a public host; http only to this machine's
    loopback address, and only when the deployment allows it (tests, a local receiver)."""
    if len(url) > URL_MAX:
        return UrlProblem("length")
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        parts.port  # noqa: B018 - raises ValueError for a port out of range
    except ValueError:
        return UrlProblem("host")
    if parts.scheme not in ("https", "http") or not host:
        return UrlProblem("scheme" if parts.scheme not in ("https", "http") else "host")
    if parts.username or parts.password:
        return UrlProblem("credentials")
    loopback = host in LOOPBACK_HOSTS
    if parts.scheme == "http" and not (loopback and allow_loopback_http):
        return UrlProblem("scheme")
    if loopback and not allow_loopback_http:
        return UrlProblem("private")
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return None  # a name; where it points is checked again when sending
    if not loopback and (address.is_private or address.is_loopback or address.is_link_local
                         or address.is_reserved or address.is_multicast or address.is_unspecified):
        return UrlProblem("private")  # an employer must not make the server call into its own network
    return None
