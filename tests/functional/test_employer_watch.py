"""The watch list, its signed webhooks, organisation API keys and the JSON APIs (issues 23 and 20).

Through the test client and the real services on SQLite; the webhook goes to a real local HTTP
receiver (tests/webhook_receiver.py) and its signature is checked with hmac here, not with the
code that made it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from certexam import db
from certexam.errors import Conflict
from certexam.models import Certificate, DeliveryState, OrgApiKey, Role, User, WatchEvent, WebhookAttempt
from certexam.services.accounts import api_tokens
from certexam.services.certificates import admin as cert_admin
from certexam.services.employers import api_keys, webhooks
from certexam.services.employers import watch as watch_service
from certexam.services.platform import mail
from tests.conftest import csrf_from, post_form
from tests.factories import sign_in, staff
from tests.integration.test_certificates_service import issue, keyed_app, make_holder
from tests.webhook_receiver import Receiver

LIMITS = {"CERT_VERIFY_RATE_LIMIT": "10000/minute", "CERT_NAME_CHECK_RATE_LIMIT": "10000/minute",
          "WATCH_ADD_RATE_LIMIT": "10000/minute", "API_VERIFY_IP_RATE_LIMIT": "10000/minute"}
EN = {"Accept-Language": "en"}
# Issued today: a certificate dated before its signing key existed verifies as backdated (issue 20.4).
TODAY = datetime.now(ZoneInfo("Asia/Shanghai")).date()
REASON = "internal: forged diploma, file 2026/77"  # never leaves the office


class Site:
    def __init__(self, app: Flask) -> None:
        self.app = app
        self.holder = make_holder(app, name_zh="李明", name_en="Li Ming")
        self.cert = issue(app, self.holder, issued_on=TODAY)
        self.employer = staff(app, Role.EMPLOYER)
        self.officer = staff(app, Role.CERTIFICATE_OFFICER)
        self._clients: dict[int, FlaskClient] = {}

    def client(self, who: User | None = None) -> FlaskClient:
        """A browser, signed in as `who` once per account (sign-in has a rate limit of its own)."""
        if who is None:
            return self.app.test_client()
        if who.id not in self._clients:
            self._clients[who.id] = self.app.test_client()
            sign_in(self._clients[who.id], who.email)
        return self._clients[who.id]

    def new_cert(self) -> Certificate:
        return issue(self.app, make_holder(self.app, name_zh="王芳", name_en="Wang Fang"), issued_on=TODAY)

    def events(self, number: str) -> list[WatchEvent]:
        with self.app.app_context():
            return list(db.session().scalars(select(WatchEvent).where(WatchEvent.number == number)))


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    with pytest.MonkeyPatch.context() as patch:
        app = keyed_app(tmp_path_factory.mktemp("watch"), patch, **LIMITS)
        yield Site(app)
    app.extensions["certexam.engine"].dispose()


def watch(client: FlaskClient, number: str, name: str) -> Any:
    return post_form(client, "/employer/watch", {"number": number, "name": name}, headers=EN)


# -- the watch list -----------------------------------------------------------------------------
def test_only_a_certificate_that_verifies_with_the_right_name_is_watched(site: Site) -> None:
    cert, client = site.new_cert(), site.client(site.employer)
    for number, name in ((cert.number, "Wang"), (cert.number, "Li Ming"), ("SHMFTPP-L1-2026-999999-1", "Wang Fang")):
        resp = watch(client, number, name)
        assert resp.status_code == 404 and "No certificate verifies" in resp.get_data(as_text=True)
    assert cert.number not in client.get("/employer/watch").get_data(as_text=True)
    assert watch(client, cert.number, "王芳").status_code == 302
    assert watch(client, cert.number, "wang fang").status_code == 302  # twice is one watch
    html = client.get("/employer/watch", headers=EN).get_data(as_text=True)
    assert html.count(f'id="watch-{cert.number}"') == 1


def test_candidates_and_staff_cannot_use_the_watch_list(site: Site) -> None:
    assert site.client(site.holder).get("/employer/watch").status_code == 403
    assert site.client(site.officer).get("/employer/keys").status_code == 403
    assert site.client().get("/employer/webhook").status_code in (302, 401)


def test_the_verify_page_offers_watch_to_a_signed_in_employer_after_the_name_matched(site: Site) -> None:
    cert = site.new_cert()
    employer, public = site.client(site.employer), site.client()
    url = f"/v/{cert.token}"

    def page(client: FlaskClient, name: str | None) -> str:
        if name is None:
            return client.get(url, headers=EN).get_data(as_text=True)
        return post_form(client, url, {"name": name}, headers=EN).get_data(as_text=True)

    assert "Watch this certificate" not in page(employer, None)
    assert "Watch this certificate" not in page(employer, "Li Ming")  # a wrong name
    assert "Watch this certificate" not in page(public, "Wang Fang")
    html = page(employer, "Wang Fang")
    assert "Watch this certificate" in html
    form = re.search(r'<form method="post" action="/employer/watch">(.*?)</form>', html, re.S)
    assert form is not None
    fields = dict(re.findall(r'name="(\w+)" value="([^"]*)"', form.group(1)))
    assert fields["number"] == cert.number and fields["name"] == "Wang Fang"
    assert employer.post("/employer/watch", data=fields).status_code == 302


def test_employer_sees_only_what_the_public_page_shows(site: Site) -> None:
    """Issue 23: employers see only what verification shows the public (pinned: no names in clear, no
    email, no ID number, no internal reason), on the page, in the API and in the mail."""
    cert = site.new_cert()
    client = site.client(site.employer)
    watch(client, cert.number, "Wang Fang")
    with site.app.app_context():
        cert_admin.change_status(site.officer, cert.number, "suspend", REASON)
        holder = db.session().get(User, cert.user_id)
        assert holder is not None
        secrets_of_holder = ["王芳", "Wang Fang", holder.email, holder.id_number or "@@", REASON, "forged"]
        mail.outbox().clear()
        webhooks.deliver_due(datetime.now(UTC) + timedelta(seconds=1))
        mails = [m.body + m.subject for m in mail.outbox()]
    html = client.get("/employer/watch", headers=EN).get_data(as_text=True)
    assert "王*" in html and "W*** F***" in html and "Suspended" in html
    key = _make_key(site, ("watch",))
    api = site.app.test_client().get("/api/v1/watch", headers={"X-Api-Key": key}).get_data(as_text=True)
    assert cert.number in api and mails and cert.number in mails[0]
    for shown in (html, api, *mails):
        for secret in secrets_of_holder:
            if secret:
                assert secret not in shown


# -- the outbox ---------------------------------------------------------------------------------------
def test_a_change_writes_its_event_in_its_own_transaction(site: Site) -> None:
    cert = site.new_cert()
    watch(site.client(site.employer), cert.number, "Wang Fang")
    with site.app.app_context():
        with pytest.raises(Conflict):
            cert_admin.change_status(site.officer, cert.number, "reinstate", "x")  # refused: rolled back
    assert site.events(cert.number) == []
    with site.app.app_context():
        cert_admin.change_status(site.officer, cert.number, "revoke", REASON)
    (event,) = site.events(cert.number)
    assert event.event == "certificate.revoked" and event.state == DeliveryState.PENDING
    assert json.loads(event.body) == {"event": "certificate.revoked", "number": cert.number, "status": "revoked",
                                      "replaced_by": None, "at": json.loads(event.body)["at"]}


def test_a_reissue_is_an_event_and_the_new_certificate_is_watched(site: Site) -> None:
    cert = site.new_cert()
    client = site.client(site.employer)
    watch(client, cert.number, "Wang Fang")
    with site.app.app_context():
        new = cert_admin.reissue(site.officer, cert.number, "王芳芳", "Wang Fangfang", "name corrected")
    (event,) = site.events(cert.number)
    assert json.loads(event.body)["replaced_by"] == new.number and event.event == "certificate.reissued"
    assert f'id="watch-{new.number}"' in client.get("/employer/watch").get_data(as_text=True)


def test_unwatched_certificates_make_no_event(site: Site) -> None:
    cert = site.new_cert()
    with site.app.app_context():
        cert_admin.change_status(site.officer, cert.number, "suspend", "x")
    assert site.events(cert.number) == []


# -- the webhook ---------------------------------------------------------------------------------------
def _set_hook(site: Site, url: str, who: User | None = None) -> tuple[int, str]:
    resp = post_form(site.client(who or site.employer), "/employer/webhook", {"url": url}, headers=EN)
    return resp.status_code, resp.get_data(as_text=True)


def test_webhook_secret_is_shown_once_and_http_is_refused_off_this_machine(site: Site) -> None:
    code, html = _set_hook(site, "http://hr.example.com/hook")
    assert code == 400 and "must start with https://" in html
    code, html = _set_hook(site, "https://10.1.2.3/hook")
    assert code == 400 and "private network" in html
    code, html = _set_hook(site, "https://hr.example.com/hook")
    secret = re.search(r'id="secret">(whsec_[\w-]+)<', html)
    assert code == 200 and secret is not None
    later = site.client(site.employer).get("/employer/webhook").get_data(as_text=True)
    assert secret.group(1) not in later and "https://hr.example.com/hook" in later


def test_delivery_is_signed_retried_with_backoff_and_logged(site: Site) -> None:
    cert, employer = site.new_cert(), staff(site.app, Role.EMPLOYER)  # an organisation of its own
    watch(site.client(employer), cert.number, "Wang Fang")
    with Receiver(codes=(500, 204)) as receiver:
        _code, html = _set_hook(site, receiver.url, employer)
        found = re.search(r'id="secret">(whsec_[\w-]+)<', html)
        assert found is not None
        secret = found.group(1)
        with site.app.app_context():
            cert_admin.change_status(site.officer, cert.number, "revoke", REASON)
            first = datetime.now(UTC) + timedelta(seconds=1)
            assert webhooks.deliver_due(first) >= 1
            (event,) = site.events(cert.number)
            assert event.state == DeliveryState.PENDING and event.attempts == 1 and event.last_status_code == 500
            assert event.next_attempt_at is not None
            assert timedelta(seconds=50) < event.next_attempt_at - first < timedelta(seconds=70)  # 1 min
            webhooks.deliver_due(first + timedelta(seconds=30))  # not yet due (other organisations' may be)
            assert [e.attempts for e in site.events(cert.number)] == [1]
            assert webhooks.deliver_due(first + timedelta(minutes=2)) >= 1
        (event,) = site.events(cert.number)
        assert event.state == DeliveryState.DELIVERED and event.attempts == 2
    assert len(receiver.received) == 2
    for got in receiver.received:
        assert got.body == event.body.encode()
        stamp, mac = dict(p.split("=", 1) for p in got.headers["X-Certexam-Signature"].split(",")).values()
        assert mac == hmac.new(secret.encode(), f"{stamp}.".encode() + got.body, hashlib.sha256).hexdigest()
        assert got.headers["X-Certexam-Delivery"] == str(event.id)
    log = site.client(employer).get("/employer/webhook").get_data(as_text=True)
    assert "HTTP 500" in log and "HTTP 204" in log and "delivered" in log
    with site.app.app_context():
        assert len(db.session().scalars(select(WebhookAttempt).where(WebhookAttempt.event_id == event.id)).all()) == 2


# -- API keys ------------------------------------------------------------------------------------------
def _make_key(site: Site, scopes: tuple[str, ...], name: str = "HR system") -> str:
    client = site.client(site.employer)
    page = client.get("/employer/keys").get_data(as_text=True)
    resp = client.post("/employer/keys", data={"csrf_token": csrf_from(page), "name": name, "scopes": list(scopes)})
    found = re.search(r'id="key">(cxk_[0-9a-f]{12}_[\w-]{43})<', resp.get_data(as_text=True))
    assert resp.status_code == 200 and found is not None, resp.get_data(as_text=True)[:2000]
    return found.group(1)


def test_key_is_shown_once_and_kept_only_as_its_hash(site: Site) -> None:
    key = _make_key(site, ("verify",), name="shown once")
    with site.app.app_context():
        row = db.session().scalar(select(OrgApiKey).where(OrgApiKey.name == "shown once"))
        assert row is not None and row.key_hash == hashlib.sha256(key.encode()).hexdigest()
        stored = " ".join(str(v) for v in vars(row).values())
    assert key not in stored and key.split("_")[2] not in stored
    assert key not in site.client(site.employer).get("/employer/keys").get_data(as_text=True)


def test_scopes_revocation_and_last_use(site: Site) -> None:
    verify_key, watch_key = _make_key(site, ("verify",)), _make_key(site, ("watch",))
    api = site.app.test_client()
    q = f"/api/v1/verify?token={site.cert.token}"
    assert api.get(q, headers={"X-Api-Key": verify_key}).status_code == 200
    assert api.get(q, headers={"X-Api-Key": watch_key}).status_code == 403
    assert api.get("/api/v1/watch", headers={"X-Api-Key": verify_key}).status_code == 403
    assert api.get("/api/v1/watch", headers={"X-Api-Key": watch_key}).status_code == 200
    assert api.get("/api/v1/watch").status_code == 401
    wrong = verify_key[:-1] + ("A" if verify_key[-1] != "A" else "B")
    assert api.get(q, headers={"X-Api-Key": wrong}).status_code == 401  # the right prefix, a wrong secret
    with site.app.app_context():
        row = db.session().scalar(select(OrgApiKey).where(OrgApiKey.prefix == verify_key.split("_")[1]))
        assert row is not None and row.last_used_at is not None
        key_id = row.id
    client = site.client(site.employer)
    page = client.get("/employer/keys").get_data(as_text=True)
    assert client.post(f"/employer/keys/{key_id}/revoke", data={"csrf_token": csrf_from(page)}).status_code == 302
    assert api.get(q, headers={"X-Api-Key": verify_key}).status_code == 401
    other = staff(site.app, Role.EMPLOYER)  # another organisation cannot revoke this one's keys
    c2 = site.client(other)
    page = c2.get("/employer/keys").get_data(as_text=True)
    with site.app.app_context():
        watch_id = db.session().scalar(select(OrgApiKey.id).where(OrgApiKey.prefix == watch_key.split("_")[1]))
    assert c2.post(f"/employer/keys/{watch_id}/revoke", data={"csrf_token": csrf_from(page)}).status_code == 404
    assert api.get("/api/v1/watch", headers={"X-Api-Key": watch_key}).status_code == 200


def test_watch_api_adds_and_removes(site: Site) -> None:
    cert, key = site.new_cert(), _make_key(site, ("watch",))
    api, h = site.app.test_client(), {"X-Api-Key": key}
    assert api.post("/api/v1/watch", json={"number": cert.number, "name": "Li Ming"}, headers=h).status_code == 404
    assert api.post("/api/v1/watch", json={"number": cert.number, "name": "Wang Fang"}, headers=h).status_code == 201
    assert cert.number in api.get("/api/v1/watch", headers=h).get_data(as_text=True)
    assert api.delete(f"/api/v1/watch/{cert.number}", headers=h).status_code == 200
    assert cert.number not in api.get("/api/v1/watch", headers=h).get_data(as_text=True)


# -- the public verification API -------------------------------------------------------------------------
def test_verify_api_answers_what_the_page_shows(site: Site) -> None:
    api = site.app.test_client()
    doc = api.get(f"/api/v1/verify?token={site.cert.token}").get_json()
    assert doc["verdict"] == "valid" and doc["valid"] is True and doc["number"] == site.cert.number
    assert doc["holder"] == {"masked_zh": "李*", "masked_en": "L*** M***", "name_check": None,
                             "name_zh": None, "name_en": None}
    assert doc["signature"]["valid"] is True
    named = api.post("/api/v1/verify", json={"number": site.cert.number, "surname": "Li", "name": "li ming"}).get_json()
    assert named["holder"]["name_check"] is True and named["holder"]["name_zh"] == "李明"
    assert api.post("/api/v1/verify", json={"number": site.cert.number, "surname": "Wang"}).status_code == 404
    assert api.get("/api/v1/verify?token=NOTATOKEN").get_json()["verdict"] == "invalid_token"
    bad = api.post("/api/v1/verify", json={"number": 12})
    assert bad.status_code == 400 and bad.get_json()["field"] == "number"
    assert api.post("/api/v1/verify", data="[]", content_type="application/json").status_code == 400


def test_verify_api_is_limited_per_address_and_per_key(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    app = keyed_app(tmp_path, monkeypatch, API_VERIFY_IP_RATE_LIMIT="3/minute", API_KEY_RATE_LIMIT="5/minute")
    try:
        site = Site(app)
        key = _make_key(site, ("verify",))
        api, q = app.test_client(), f"/api/v1/verify?token={site.cert.token}"

        def get(peer: str, key: str | None = None) -> int:
            headers = {"X-Api-Key": key} if key else {}
            return int(api.get(q, headers=headers, environ_base={"REMOTE_ADDR": peer}).status_code)

        assert [get("198.51.100.1") for _ in range(4)] == [200, 200, 200, 429]
        resp = api.get(q, environ_base={"REMOTE_ADDR": "198.51.100.1"})
        assert resp.status_code == 429 and resp.is_json
        assert get("198.51.100.2") == 200  # another address
        # the key has its own bucket, whatever the address, and it is not the address's
        assert [get(f"203.0.113.{n}", key) for n in range(6)] == [200] * 5 + [429]
        assert get("198.51.100.3") == 200
    finally:
        app.extensions["certexam.engine"].dispose()


# -- status changes through the JSON API -----------------------------------------------------------------
def test_certificate_officer_changes_status_with_a_bearer_token(site: Site) -> None:
    cert = site.new_cert()
    watch(site.client(site.employer), cert.number, "Wang Fang")
    with site.app.app_context():
        officer_token = api_tokens.create(site.officer, "status")
        holder_token = api_tokens.create(site.holder, "mine")
    api, url = site.app.test_client(), f"/api/v1/certificates/{cert.number}/status"
    body = {"action": "suspend", "reason": REASON}
    assert api.post(url, json=body).status_code == 401
    assert api.post(url, json=body, headers={"Authorization": f"Bearer {holder_token}"}).status_code == 403
    auth = {"Authorization": f"Bearer {officer_token}"}
    assert api.post(url, json={"action": "explode", "reason": "x"}, headers=auth).status_code == 400
    assert api.post(url, json={"action": "suspend"}, headers=auth).status_code == 400
    resp = api.post(url, json=body, headers=auth)
    assert resp.status_code == 200 and resp.get_json()["status"] == "suspended"
    assert api.post(url, json=body, headers=auth).status_code == 409
    assert api.post("/api/v1/certificates/NOPE/status", json=body, headers=auth).status_code == 404
    assert [e.event for e in site.events(cert.number)] == ["certificate.suspended"]
    assert api.get(f"/api/v1/verify?token={cert.token}").get_json()["verdict"] == "suspended"


def test_the_openapi_document_describes_the_new_endpoints(site: Site) -> None:
    doc = site.app.test_client().get("/api/v1/openapi.json").get_json()
    for path in ("/api/v1/verify", "/api/v1/watch", "/api/v1/watch/{number}", "/api/v1/certificates/{number}/status"):
        assert path in doc["paths"], path
    assert set(doc["paths"]["/api/v1/verify"]) == {"get", "post"}
    assert "apiKey" in doc["components"]["securitySchemes"]


# -- the same path on PostgreSQL ----------------------------------------------------------------------------
def test_outbox_claim_and_keys_on_each_database(tmp_path: Any, monkeypatch: pytest.MonkeyPatch,
                                                any_db_url: str) -> None:
    """The outbox row commits or rolls back with the change, the claim (FOR UPDATE SKIP LOCKED on
    PostgreSQL) hands an event to one delivery, and a key is found by its prefix and hash."""
    app = keyed_app(tmp_path, monkeypatch, any_db_url, **LIMITS)
    try:
        site = Site(app)
        cert = site.new_cert()
        with app.app_context():
            org = site.employer.organisation_id
            assert org is not None
            watch_service.add(org, site.employer, cert.number, "Wang Fang")
            with Receiver() as receiver:
                secret = webhooks.set_endpoint(site.employer, receiver.url)
                with pytest.raises(Conflict):
                    cert_admin.change_status(site.officer, cert.number, "reinstate", "x")
                assert site.events(cert.number) == []
                cert_admin.change_status(site.officer, cert.number, "suspend", REASON)
                at = datetime.now(UTC) + timedelta(seconds=1)
                assert webhooks.deliver_due(at) == 1
                assert webhooks.deliver_due(at) == 0  # delivered: nothing left to claim
            (got,) = receiver.received
            stamp = got.headers["X-Certexam-Signature"].split(",")[0].removeprefix("t=")
            mac = hmac.new(secret.encode(), f"{stamp}.".encode() + got.body, hashlib.sha256).hexdigest()
            assert got.headers["X-Certexam-Signature"] == f"t={stamp},v1={mac}"
            key = api_keys.create(site.employer, org, "HR", ["verify", "watch"])
            holder = api_keys.holder_for(key)
            assert holder is not None and holder.organisation_id == org and holder.scopes == {"verify", "watch"}
            assert api_keys.holder_for(key[:-1] + ("A" if key[-1] != "A" else "B")) is None
        (event,) = site.events(cert.number)
        assert event.state == DeliveryState.DELIVERED and event.mailed_at is not None
    finally:
        app.extensions["certexam.engine"].dispose()


def test_each_employer_account_is_mailed_in_its_own_language(site: Site) -> None:
    cert, employer = site.new_cert(), staff(site.app, Role.EMPLOYER)
    with site.app.app_context():
        db.session().execute(update(User).where(User.id == employer.id).values(locale="pt"))
        db.session().commit()
        assert employer.organisation_id is not None
        watch_service.add(employer.organisation_id, employer, cert.number, "Wang Fang")
        cert_admin.change_status(site.officer, cert.number, "suspend", "x")
        mail.outbox().clear()
        webhooks.deliver_due(datetime.now(UTC) + timedelta(seconds=1))
        (message,) = [m for m in mail.outbox() if m.to == employer.email]
    assert message.subject == f"Certificado {cert.number}: certificate.suspended"
    assert message.body.startswith("Um certificado da lista de acompanhamento")
