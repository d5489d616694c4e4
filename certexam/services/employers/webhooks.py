"""Watch events (issue 23): the outbox written with a certificate's change, its mail and signed webhook.

`record_change` runs inside the change's own transaction (certificates/events.py), so an event exists
exactly when the change committed. The worker's tick sees due events and queues `deliver_due`
(services/platform/tasks.py), which claims them, mails the organisation's employer accounts, posts the
signed JSON (domain/webhooks.py) and logs each attempt; a failed post is tried again on the schedule
in domain/webhooks.RETRY_DELAYS. Nothing is sent inside a transaction, and nothing before the commit.
"""

from __future__ import annotations

import http.client
import ipaddress
import secrets
import socket
import ssl
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import Session

from certexam import db
from certexam.domain import webhooks as W
from certexam.domain.locales import DEFAULT as DEFAULT_LOCALE
from certexam.domain.locales import SUPPORTED
from certexam.errors import UserError
from certexam.models import (
    AccountKind,
    Certificate,
    DeliveryState,
    User,
    WatchedCertificate,
    WatchEvent,
    WebhookAttempt,
    WebhookEndpoint,
)
from certexam.services.platform import audit, clock, mail

TIMEOUT_SECONDS = 10  # one receiver that hangs must not hold the worker's thread for long
CLAIM = timedelta(minutes=2)  # longer than one batch's posts take; a worker killed mid-batch frees them then
BATCH = 20
ERROR_MAX = 200


# -- in the certificate change's transaction -----------------------------------------------------

def record_change(sess: Session, action: str, cert: Certificate, replaced_by: str | None) -> int:
    """Queue one event per organisation watching `cert`; returns how many. Issuing is not an event."""
    name = W.EVENTS.get(action)
    if name is None:
        return 0
    orgs = list(sess.scalars(select(WatchedCertificate.organisation_id)
                             .where(WatchedCertificate.certificate_id == cert.id)))
    now = clock.now()
    at = cert.status_changed_at or now
    payload = W.body(name, cert.number, str(cert.status.value), replaced_by, at).decode("utf-8")
    for org_id in orgs:
        sess.add(WatchEvent(organisation_id=org_id, certificate_id=cert.id, event=name, number=cert.number,
                            body=payload, created_at=now, state=DeliveryState.PENDING, attempts=0,
                            next_attempt_at=now))
    if action == "reissue" and replaced_by and orgs:  # they keep watching the holder's new certificate
        new_id = sess.scalar(select(Certificate.id).where(Certificate.number == replaced_by))
        if new_id is not None:
            for org_id in orgs:
                sess.add(WatchedCertificate(organisation_id=org_id, certificate_id=new_id, created_at=now))
    return len(orgs)


# -- the organisation's endpoint --------------------------------------------------------------

def loopback_http_allowed() -> bool:
    cfg = current_app.config
    return bool(cfg.get("WEBHOOK_ALLOW_LOOPBACK_HTTP") or cfg.get("TESTING"))


_URL_MESSAGES = {
    "scheme": lambda: _("The webhook address must start with https://."),
    "host": lambda: _("The webhook address has no valid host."),
    "length": lambda: _("The webhook address is too long."),
    "credentials": lambda: _("Put no user name or password in the webhook address."),
    "private": lambda: _("The webhook address points into a private network."),
}


def checked_url(url: str) -> str:
    text = url.strip()
    problem = W.url_problem(text, loopback_http_allowed())
    if problem is not None:
        raise UserError(_URL_MESSAGES[problem.code](), "url")
    return text


@db.use_case
def set_endpoint(user: User, url: str) -> str:
    """Set the organisation's webhook URL with a new secret; the secret is returned once."""
    org_id = _org_of(user)
    clean = checked_url(url)
    secret = W.SECRET_PREFIX + secrets.token_urlsafe(32)
    sess = db.session()
    row = sess.scalar(select(WebhookEndpoint).where(WebhookEndpoint.organisation_id == org_id))
    before = {"url": row.url} if row else None
    if row is None:
        row = WebhookEndpoint(organisation_id=org_id, url=clean, secret=secret, created_at=clock.now(),
                              created_by_id=user.id)
        sess.add(row)
    else:
        row.url, row.secret, row.created_at, row.created_by_id = clean, secret, clock.now(), user.id
    sess.flush()
    audit.record(sess, "webhook.set", "organisation", org_id, actor_id=user.id, before=before,
                 after={"url": clean})  # never the secret
    return secret


@db.use_case
def remove_endpoint(user: User) -> None:
    org_id = _org_of(user)
    sess = db.session()
    row = sess.scalar(select(WebhookEndpoint).where(WebhookEndpoint.organisation_id == org_id))
    if row is not None:
        audit.record(sess, "webhook.remove", "organisation", org_id, actor_id=user.id, before={"url": row.url})
        sess.delete(row)


def endpoint_of(org_id: int) -> WebhookEndpoint | None:
    return db.session().scalar(select(WebhookEndpoint).where(WebhookEndpoint.organisation_id == org_id))


def _org_of(user: User) -> int:
    if user.role != AccountKind.EMPLOYER or user.organisation_id is None:
        raise UserError(_("Only an employer account with an organisation can do this."))
    return user.organisation_id


@dataclass(frozen=True)
class LogLine:
    event: WatchEvent
    attempts: list[WebhookAttempt]


def delivery_log(org_id: int, limit: int = 50) -> list[LogLine]:
    """The organisation's latest events with their attempts, newest first."""
    sess = db.session()
    events = list(sess.scalars(select(WatchEvent).where(WatchEvent.organisation_id == org_id)
                               .order_by(WatchEvent.id.desc()).limit(limit)))
    tries: dict[int, list[WebhookAttempt]] = {e.id: [] for e in events}
    if events:
        for a in sess.scalars(select(WebhookAttempt).where(WebhookAttempt.event_id.in_(tries))
                              .order_by(WebhookAttempt.id)):
            tries[a.event_id].append(a)
    return [LogLine(e, tries[e.id]) for e in events]


# -- the worker's side -----------------------------------------------------------------------------

def due_exists(now: datetime) -> bool:
    """One indexed read for the tick: is any event waiting to be sent and not being sent?"""
    sess = db.session()
    found = sess.scalar(select(WatchEvent.id).where(_due(now)).limit(1))
    sess.rollback()
    return found is not None


def _due(now: datetime) -> ColumnElement[bool]:
    return and_(WatchEvent.state == DeliveryState.PENDING, WatchEvent.next_attempt_at <= now,
                or_(WatchEvent.claimed_until.is_(None), WatchEvent.claimed_until < now))


@dataclass(frozen=True)
class Job:
    event_id: int
    number: str
    event: str
    body: bytes
    url: str | None
    secret: str | None
    mail_to: tuple[tuple[str, str | None], ...]  # (address, the account's language); empty once mailed
    attempts: int


@db.use_case
def _claim(now: datetime) -> list[Job]:
    sess = db.session()
    rows = list(sess.scalars(select(WatchEvent).where(_due(now)).order_by(WatchEvent.id).limit(BATCH)
                             .with_for_update(skip_locked=True)))
    jobs = []
    for ev in rows:
        ev.claimed_until = now + CLAIM
        endpoint = endpoint_of(ev.organisation_id)
        to: tuple[tuple[str, str | None], ...] = ()
        if ev.mailed_at is None:
            to = tuple((email, locale) for email, locale in sess.execute(select(User.email, User.locale).where(
                User.organisation_id == ev.organisation_id, User.role == AccountKind.EMPLOYER,
                User.active.is_(True)).order_by(User.id)))
        jobs.append(Job(ev.id, ev.number, ev.event, ev.body.encode("utf-8"), endpoint.url if endpoint else None,
                        endpoint.secret if endpoint else None, to, ev.attempts))
    return jobs


@dataclass(frozen=True)
class Answer:
    status_code: int | None
    error: str | None
    duration_ms: int


def post(url: str, secret: str, event_id: int, body: bytes, now: datetime) -> Answer:
    """POST the signed body once; redirects are not followed, any 2xx delivers."""
    started = time.monotonic()
    parts = urlsplit(url)
    headers = {"Content-Type": "application/json", "User-Agent": "certexam-webhooks/1",
               W.SIGNATURE_HEADER: W.sign(secret, int(now.timestamp()), body), W.DELIVERY_HEADER: str(event_id)}
    try:
        host = parts.hostname or ""
        _refuse_private(host, parts.port or (443 if parts.scheme == "https" else 80))
        conn: http.client.HTTPConnection
        if parts.scheme == "https":
            conn = http.client.HTTPSConnection(host, parts.port, timeout=TIMEOUT_SECONDS,
                                               context=ssl.create_default_context())
        else:
            conn = http.client.HTTPConnection(host, parts.port, timeout=TIMEOUT_SECONDS)
        try:
            path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
            conn.request("POST", path, body=body, headers=headers)
            code, error = conn.getresponse().status, None
        finally:
            conn.close()
    except (OSError, http.client.HTTPException, ValueError) as exc:
        code, error = None, f"{type(exc).__name__}: {exc}"[:ERROR_MAX]
    return Answer(code, error, int((time.monotonic() - started) * 1000))


def _refuse_private(host: str, port: int) -> None:
    """Where the name points now: a public address, or loopback when allowed (the URL was checked when
    it was saved; a name can be pointed elsewhere later)."""
    allow = loopback_http_allowed()
    for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM):
        address = ipaddress.ip_address(info[4][0])
        if address.is_loopback and allow:
            continue
        if (address.is_private or address.is_loopback or address.is_link_local or address.is_reserved
                or address.is_multicast or address.is_unspecified):
            raise ValueError(f"{host} resolves to a private address")


@db.use_case
def _record(job: Job, answer: Answer | None, mailed: bool, now: datetime) -> None:
    sess = db.session()
    ev = sess.get(WatchEvent, job.event_id)
    assert ev is not None
    ev.claimed_until = None
    if mailed:
        ev.mailed_at = now
    if answer is None:  # no endpoint: the email was the whole delivery
        ev.state, ev.next_attempt_at = DeliveryState.NO_ENDPOINT, None
        return
    sess.add(WebhookAttempt(event_id=ev.id, attempted_at=now, url=job.url or "", status_code=answer.status_code,
                            error=answer.error, duration_ms=answer.duration_ms))
    ev.attempts += 1
    ev.last_status_code, ev.last_error = answer.status_code, answer.error
    if W.delivered(answer.status_code):
        ev.state, ev.delivered_at, ev.next_attempt_at = DeliveryState.DELIVERED, now, None
    else:
        ev.next_attempt_at = W.next_attempt(ev.attempts, now)
        if ev.next_attempt_at is None:
            ev.state = DeliveryState.FAILED


def _mail(job: Job) -> bool:
    """Each employer account in its own language (the worker has no request to take one from)."""
    if not job.mail_to:
        return False
    for to, locale in job.mail_to:
        with force_locale(locale if locale in SUPPORTED else DEFAULT_LOCALE):
            subject = _("Certificate %(number)s: %(event)s", number=job.number, event=job.event)
            text = _("A certificate on your organisation's watch list has changed.\n\n%(body)s\n\n"
                     "See the watch list in the employer portal for the delivery log.",
                     body=job.body.decode("utf-8"))
        mail.send(to, subject, text)
    return True


def deliver_due(now: datetime | None = None) -> int:
    """Claim the due events, mail and post each, log the attempts; returns how many were handled."""
    jobs = _claim(now or clock.now())
    for job in jobs:
        mailed = _mail(job)
        at = clock.now()
        answer = post(job.url, job.secret, job.event_id, job.body, at) if job.url and job.secret else None
        _record(job, answer, mailed, at)
    return len(jobs)
