"""The administrator's sitting, blueprint and proctor pages through the test client; hostile input never 500s."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from certexam import db
from certexam.domain import blueprint as bp_rules
from certexam.models import Attempt, BlueprintRecord, Registration, Role, Sitting, User
from certexam.services.attempts import lifecycle as attempts
from certexam.services.sittings import schedule as sittings
from certexam.sittings.forms import duration, fee_fen, parse_local, yuan
from tests.confirming import confirm
from tests.conftest import csrf_from, make_app
from tests.exam_setup import enrol, load_bank, open_sitting
from tests.factories import candidate, sign_in, staff


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    application = make_app(Path(tmp_path_factory.mktemp("pages")))
    load_bank(application)
    yield application
    application.extensions["certexam.engine"].dispose()


@pytest.fixture(scope="module")
def admin(app: Flask) -> User:
    return staff(app, Role.ADMIN)


@pytest.fixture(scope="module")
def admin_client(app: Flask, admin: User) -> FlaskClient:
    """One signed-in administrator for the module (English pages)."""
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    sign_in(client, admin.email)
    return client


@pytest.fixture
def client(admin_client: FlaskClient) -> FlaskClient:
    return admin_client


def _token(client: FlaskClient) -> str:
    return csrf_from(client.get("/admin/sittings/new").get_data(as_text=True))


def _count_sittings(app: Flask) -> int:
    with app.app_context():
        return db.session().scalar(select(func.count()).select_from(Sitting)) or 0


VALID: dict[str, Any] = {
    "name": "2030 春季一级 Level 1 spring", "level": "1", "blueprint": "level1-default",
    "assembly_mode": "fixed", "registration_opens": "2030-01-10T09:00", "registration_closes": "2030-02-10T17:30",
    "capacity": "300", "languages": ["zh_Hans", "en"], "fee_yuan": "1999.50", "late_entry_minutes": "20",
    "paper-P1-starts": "2030-03-15T09:00", "paper-P2-starts": "2030-03-15T13:00", "paper-P2-minutes": "100",
    "paper-P3-starts": "2030-03-16T09:00", "submit": "1",
}


def test_schedule_a_sitting_through_the_form(app: Flask, client: FlaskClient) -> None:
    page = client.get("/admin/sittings/new").get_data(as_text=True)
    assert all(f'name="paper-{c}-starts"' in page for c in ("P1", "P2", "P3"))
    r = client.post("/admin/sittings/new", data={**VALID, "csrf_token": _token(client)})
    assert r.status_code == 302, r.get_data(as_text=True)
    with app.app_context():
        s = db.session().scalar(select(Sitting).order_by(Sitting.id.desc()))
        assert s is not None and r.headers["Location"].endswith(f"/admin/sittings/{s.id}")
        assert (s.level, s.assembly_mode, s.capacity, s.languages, s.fee_fen, s.late_entry_minutes) == \
            (1, "fixed", 300, "zh_Hans,en", 199_950, 20)
        assert s.registration_opens_at == datetime(2030, 1, 10, 1, 0, tzinfo=UTC)  # 09:00 Beijing
        assert s.registration_closes_at == datetime(2030, 2, 10, 9, 30, tzinfo=UTC)
        assert [(p.code, p.minutes, p.starts_at.hour) for p in s.papers] == [("P1", 60, 1), ("P2", 100, 5),
                                                                             ("P3", 135, 1)]
        assert sittings.blueprint_of(s) == bp_rules.LEVEL1_DEFAULT
        sitting_id = s.id
    detail = client.get(f"/admin/sittings/{sitting_id}").get_data(as_text=True)
    assert "¥1,999.50" in detail and "9:00" in detail and "Jan 10, 2030" in detail
    assert "2030 春季一级 Level 1 spring" in client.get("/admin/sittings/").get_data(as_text=True)


@pytest.mark.parametrize("text,fen", [
    ("1999", 199_900), ("1999.5", 199_950), ("1999.50", 199_950), ("0.01", 1), ("0", 0), (" 12.30 ", 1_230),
    ("1000000", 100_000_000),
])
def test_fee_in_yuan_becomes_exact_fen(text: str, fen: int) -> None:
    assert fee_fen(text) == fen


@pytest.mark.parametrize("text", ["1999.505", "-1", "1e3", "NaN", "Infinity", "1,999", "", "¥1999", "１９９９",
                                  "1000000.01", "12.", ".5", "0x10"])
def test_fee_refuses_anything_but_yuan_with_two_decimals(text: str) -> None:
    with pytest.raises(ValueError):
        fee_fen(text)


@pytest.mark.parametrize("text,expected", [
    ("2030-01-10T09:00", datetime(2030, 1, 10, 1, 0, tzinfo=UTC)),
    ("2030-01-10T07:59:30", datetime(2030, 1, 9, 23, 59, 30, tzinfo=UTC)),  # the day before in UTC
    ("", None), ("garbage", None), ("2030-13-01T00:00", None), ("1999-12-31T23:59", None),
    ("2030-01-10", None), ("2030-01-10T09:00+08:00", None),
])
def test_datetime_local_is_beijing_time(text: str, expected: datetime | None) -> None:
    assert parse_local(text) == expected


def test_money_and_durations_are_shown_plainly() -> None:
    assert (yuan(199_950), yuan(5), yuan(0)) == ("1,999.50", "0.05", "0.00")
    assert (duration(3725), duration(59), duration(-3)) == ("1:02:05", "0:59", "0:00")
    assert fee_fen("1999.99") == int(Decimal("1999.99") * 100)


HOSTILE: list[dict[str, Any]] = [
    {"name": ""}, {"name": "x" * 121}, {"level": "abc"}, {"level": "3"}, {"blueprint": "nope"},
    {"blueprint": "level2-default"}, {"assembly_mode": "x"}, {"registration_opens": "garbage"},
    {"registration_opens": "99999-01-01T00:00"}, {"registration_closes": "2030-01-10T08:00"},
    {"capacity": "-5"}, {"capacity": "0"}, {"capacity": "100001"}, {"capacity": "abc"}, {"capacity": "1e9"},
    {"languages": ["en"]}, {"languages": ["fr", "zh_Hans"]}, {"languages": []},
    {"fee_yuan": "1999.505"}, {"fee_yuan": "-1"}, {"fee_yuan": "NaN"}, {"fee_yuan": "9" * 30},
    {"late_entry_minutes": "-1"}, {"late_entry_minutes": str(60 * 24 * 60 + 1)},
    {"paper-P1-starts": ""}, {"paper-P1-starts": "2030-02-01T09:00"},  # before registration closes
    {"paper-P2-starts": "2030-03-15T08:00"},  # before P1: papers run in order
    {"paper-P2-minutes": "0"}, {"paper-P2-minutes": "601"}, {"paper-P2-minutes": "abc"},
    {"paper-P3-starts": "\x00"},
]


@pytest.mark.parametrize("change", HOSTILE, ids=[next(iter(c)) + "=" + repr(next(iter(c.values())))[:20]
                                                 for c in HOSTILE])
def test_bad_sitting_forms_are_refused_without_a_500(app: Flask, client: FlaskClient, change: dict[str, Any]) -> None:
    before = _count_sittings(app)
    r = client.post("/admin/sittings/new", data={**VALID, **change, "csrf_token": _token(client)})
    assert r.status_code == 400, r.status_code
    body = r.get_data(as_text=True)
    if "\x00" in next(iter(change.values())):  # issue 19.8: the one request filter answers first
        assert "invisible control character (U+0000)" in body
    else:
        assert "flash-error" in body
    assert _count_sittings(app) == before


def test_a_form_without_its_token_is_refused(app: Flask, client: FlaskClient) -> None:
    before = _count_sittings(app)
    assert client.post("/admin/sittings/new", data=VALID).status_code == 400
    assert _count_sittings(app) == before


def test_show_papers_switches_the_rows_to_the_chosen_blueprint(client: FlaskClient) -> None:
    r = client.post("/admin/sittings/new", data={**VALID, "blueprint": "level2-default", "refresh": "1",
                                                  "csrf_token": _token(client)})
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and 'name="paper-AM-starts"' in html and 'name="paper-P1-starts"' not in html
    assert "has-error" not in html


def test_names_are_escaped(app: Flask, client: FlaskClient) -> None:
    name = "<script>alert(1)</script>"
    r = client.post("/admin/sittings/new", data={**VALID, "name": name, "csrf_token": _token(client)})
    assert r.status_code == 302
    html = client.get("/admin/sittings/").get_data(as_text=True)
    assert name not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


@pytest.fixture(scope="module")
def live(app: Flask) -> dict[str, int]:
    """A sitting whose paper P1 is open with one candidate in it, and another sitting likewise."""
    sitting_id, other_id = open_sitting(app), open_sitting(app, name="other sitting")
    user, other_user = candidate(app), candidate(app)
    reg_id, other_reg = enrol(app, user, sitting_id), enrol(app, other_user, other_id)
    with app.test_request_context():
        attempt_id = attempts.start(user, reg_id, "P1", "en").id
        other_attempt = attempts.start(other_user, other_reg, "P1", "en").id
    return {"sitting": sitting_id, "other": other_id, "reg": reg_id, "other_reg": other_reg,
            "attempt": attempt_id, "other_attempt": other_attempt}


@pytest.mark.parametrize("extra,pct,saved", [
    ("30", "125", True), ("0", "100", True), ("600", "300", True),
    ("601", "100", False), ("-1", "100", False), ("abc", "100", False), ("0", "99", False), ("0", "1e3", False),
    ("", "", False),
])
def test_accommodation_through_the_page(app: Flask, client: FlaskClient, admin: User, live: dict[str, int],
                                        extra: str, pct: str, saved: bool) -> None:
    with app.test_request_context():
        sittings.set_accommodation(admin, live["reg"], 5, 110)  # a known starting point
    url = f"/admin/sittings/{live['sitting']}/registrations/{live['reg']}/accommodation"
    r = client.post(url, data={"extra_minutes": extra, "multiplier_pct": pct, "csrf_token": _token(client)})
    assert r.status_code == 302
    with app.app_context():
        reg = db.session().get(Registration, live["reg"])
        assert reg is not None
        got = (reg.extra_minutes, reg.time_multiplier_pct)
    assert got == ((int(extra), int(pct)) if saved else (5, 110))


def test_accommodation_of_another_sittings_registration_is_not_found(client: FlaskClient,
                                                                     live: dict[str, int]) -> None:
    url = f"/admin/sittings/{live['sitting']}/registrations/{live['other_reg']}/accommodation"
    r = client.post(url, data={"extra_minutes": "5", "multiplier_pct": "100", "csrf_token": _token(client)})
    assert r.status_code == 404


def _act(client: FlaskClient, live: dict[str, int], **data: str) -> Any:
    url = f"/admin/sittings/{live['sitting']}/proctor/{live['attempt']}"
    return client.post(url, data={**data, "csrf_token": _token(client)}, follow_redirects=True)


def _attempt(app: Flask, attempt_id: int) -> Attempt:
    with app.app_context():
        att = db.session().get(Attempt, attempt_id)
        assert att is not None
        return att


def test_proctor_view_and_actions(app: Flask, client: FlaskClient, live: dict[str, int]) -> None:
    page = client.get(f"/admin/sittings/{live['sitting']}/proctor").get_data(as_text=True)
    assert "0 / 45" in page and "Started" in page and 'src="/static/js/proctor.js"' in page
    frag = client.get(f"/admin/sittings/{live['sitting']}/proctor/live")
    assert frag.headers["X-Fragment"] == "proctor-live" and "<html" not in frag.get_data(as_text=True)
    assert f"attempt-{live['attempt']}" in frag.get_data(as_text=True)
    assert f"attempt-{live['other_attempt']}" not in frag.get_data(as_text=True)

    for bad in ({"action": "pause", "reason": ""}, {"action": "pause", "reason": "ab"},
                {"action": "explode", "reason": "a good reason"}, {"action": "add_time", "reason": "a good reason"},
                {"action": "add_time", "minutes": "abc", "reason": "a good reason"},
                {"action": "add_time", "minutes": "181", "reason": "a good reason"},
                {"action": "resume", "reason": "not paused yet"}):
        html = _act(client, live, **bad).get_data(as_text=True)
        assert "Not done" in html, bad
    att = _attempt(app, live["attempt"])
    assert att.status == "in_progress" and att.added_seconds == 0

    assert "is paused" in _act(client, live, action="pause", reason="camera check", minutes="999").get_data(
        as_text=True)  # the minutes box is ignored unless time is added
    assert _attempt(app, live["attempt"]).status == "paused"
    assert "10 minutes added" in _act(client, live, action="add_time", minutes="10", reason="late start").get_data(
        as_text=True)
    assert "is resumed" in _act(client, live, action="resume", reason="camera fine").get_data(as_text=True)
    att = _attempt(app, live["attempt"])
    assert att.status == "in_progress" and att.added_seconds == 600
    html = client.get(f"/admin/sittings/{live['sitting']}/proctor").get_data(as_text=True)
    assert "+10 min added" in html and "camera check" in html
    asked = _act(client, live, action="end", reason="ended by the proctor for the test")  # issue 18.10
    assert "answers saved so far" in asked.get_data(as_text=True)
    assert _attempt(app, live["attempt"]).status == "in_progress"  # nothing happens before the confirmation
    confirm(client, asked, follow_redirects=True)
    assert _attempt(app, live["attempt"]).submit_reason == "proctor"
    assert f"attempt-{live['attempt']}" not in client.get(
        f"/admin/sittings/{live['sitting']}/proctor/live").get_data(as_text=True)
    assert f"attempt-{live['attempt']}" in client.get(
        f"/admin/sittings/{live['sitting']}/proctor/live?finished=1").get_data(as_text=True)


def test_an_attempt_of_another_sitting_cannot_be_touched_from_this_one(client: FlaskClient,
                                                                         live: dict[str, int]) -> None:
    url = f"/admin/sittings/{live['sitting']}/proctor/{live['other_attempt']}"
    r = client.post(url, data={"action": "pause", "reason": "wrong sitting", "csrf_token": _token(client)})
    assert r.status_code == 404


@pytest.mark.parametrize("path", [
    "/admin/sittings/0", "/admin/sittings/-1", "/admin/sittings/1.5", "/admin/sittings/99999999999999999999",
    "/admin/sittings/2147483648", "/admin/sittings/%EF%BC%91", "/admin/sittings/999/proctor",
    "/admin/sittings/999/proctor/live", "/admin/sittings/blueprints/abc", "/admin/sittings/blueprints/999",
])
def test_hostile_paths_are_clean_404s(client: FlaskClient, path: str) -> None:
    r = client.get(path)
    assert r.status_code == 404 and "<html" in r.get_data(as_text=True)


def test_a_control_character_in_the_path_is_a_clean_400(client: FlaskClient) -> None:
    r = client.get("/admin/sittings/%00")  # issue 19.8: refused by the request filter, before routing
    assert r.status_code == 400 and "<html" in r.get_data(as_text=True)


@pytest.mark.parametrize("page", ["-1", "abc", "0", "9" * 30, "２"])
def test_a_bad_page_number_falls_back_to_the_first_page(client: FlaskClient, live: dict[str, int],
                                                        page: str) -> None:
    r = client.get(f"/admin/sittings/{live['sitting']}", query_string={"page": page})
    assert r.status_code == 200 and "Registrations" in r.get_data(as_text=True)


def _blueprint_id(app: Flask, name: str) -> int:
    with app.app_context():
        sittings.ensure_default_blueprints()  # else stored by whichever test first opened an admin page
        rec = db.session().scalar(select(BlueprintRecord).where(BlueprintRecord.name == name))
        assert rec is not None
        return rec.id


@pytest.mark.parametrize("spec,problem", [
    ("{", "not valid JSON"), ("[]", "JSON object"), ('{"level": 1, "papers": "P1"}', "papers must be a list"),
    ('{"level": 1, "papers": [{"code": "P1", "title_zh": "a", "title_en": "a", "minutes": 60, "sections": '
     '[{"module": "L1-ETH", "item_type": "single_choice", "count": 5, "answer_at_most": "2"}]}]}',
     "answer_at_most must be a whole number"),
    ('{"level": 1, "papers": [{"code": "P1", "title_zh": "a", "title_en": "a", "minutes": 60, "calculator": "on", '
     '"sections": [{"module": "L1-ETH", "item_type": "single_choice", "count": 5}]}]}',
     "calculator must be true or false"),
    ("", "This field is required"),
])
def test_blueprint_editor_shows_problems(app: Flask, client: FlaskClient, spec: str, problem: str) -> None:
    bp_id = _blueprint_id(app, "level1-default")
    page = client.get(f"/admin/sittings/blueprints/{bp_id}").get_data(as_text=True)
    r = client.post(f"/admin/sittings/blueprints/{bp_id}", data={"spec": spec, "csrf_token": csrf_from(page)})
    assert r.status_code == 400 and problem in r.get_data(as_text=True)


def test_blueprint_copy_and_edit(app: Flask, client: FlaskClient) -> None:
    assert "level2-default" in client.get("/admin/sittings/blueprints").get_data(as_text=True)
    source = _blueprint_id(app, "level1-default")
    r = client.post(f"/admin/sittings/blueprints/{source}/copy", data={"name": "bad name!",
                                                                      "csrf_token": _token(client)},
                    follow_redirects=True)
    assert "letters, digits" in r.get_data(as_text=True)
    r = client.post(f"/admin/sittings/blueprints/{source}/copy", data={"name": "l1-short",
                                                                      "csrf_token": _token(client)})
    copy_id = _blueprint_id(app, "l1-short")
    assert r.headers["Location"].endswith(f"/admin/sittings/blueprints/{copy_id}")
    doc = bp_rules.to_dict(bp_rules.LEVEL1_DEFAULT)
    doc["papers"][0]["minutes"] = 45  # type: ignore[index]
    r = client.post(f"/admin/sittings/blueprints/{copy_id}", data={"spec": json.dumps(doc),
                                                                   "csrf_token": _token(client)})
    assert r.status_code == 302
    with app.app_context():
        rec = db.session().get(BlueprintRecord, copy_id)
        original = db.session().get(BlueprintRecord, source)
        assert rec is not None and original is not None
        assert json.loads(rec.spec)["papers"][0]["minutes"] == 45
        assert json.loads(original.spec)["papers"][0]["minutes"] == 60


@pytest.mark.parametrize("lang,tag", [("zh-CN", "zh-Hans"), ("zh-TW", "zh-Hant"), ("pt-PT", "pt")])
def test_pages_render_in_every_language(app: Flask, admin: User, live: dict[str, int], lang: str,
                                        tag: str) -> None:
    c = app.test_client()
    c.environ_base["HTTP_ACCEPT_LANGUAGE"] = lang
    sign_in(c, admin.email)
    bp_id = _blueprint_id(app, "level1-default")
    for path in ("/admin/sittings/", "/admin/sittings/new", f"/admin/sittings/{live['sitting']}",
                 f"/admin/sittings/{live['sitting']}/proctor", "/admin/sittings/blueprints",
                 f"/admin/sittings/blueprints/{bp_id}"):
        r = c.get(path)
        assert r.status_code == 200 and f'<html lang="{tag}">' in r.get_data(as_text=True), path
