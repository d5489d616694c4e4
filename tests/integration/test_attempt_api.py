"""The exam flow through the JSON API: start, claim, autosave, takeover, submit, deadline."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select, update

from certexam import db
from certexam.models import Attempt, AttemptEvent, Response, Role
from certexam.services.attempts import lifecycle as attempts
from certexam.services.attempts import start_sql as attempt_start_sql
from tests.conftest import csrf_from, make_app
from tests.exam_setup import enrol, load_bank, open_sitting
from tests.factories import candidate, sign_in, staff


@pytest.fixture
def exam(tmp_path, any_db_url):  # type: ignore[no-untyped-def]
    app = make_app(tmp_path, any_db_url)
    load_bank(app)
    sitting_id = open_sitting(app)
    user = candidate(app)
    reg_id = enrol(app, user, sitting_id)
    client = app.test_client()
    sign_in(client, user.email)
    token = csrf_from(client.get("/").get_data(as_text=True))
    yield app, client, token, reg_id, user
    app.extensions["certexam.engine"].dispose()


def _h(token: str, device: str | None = None) -> dict[str, str]:
    h = {"X-CSRFToken": token, "Accept": "application/json"}
    if device:
        h["X-Attempt-Device"] = device
    return h


def _start(client: FlaskClient, token: str, reg_id: int) -> tuple[int, str, dict]:  # type: ignore[type-arg]
    r = client.post(f"/api/v1/registrations/{reg_id}/papers/P1/start", headers=_h(token))
    assert r.status_code == 201, r.get_json()
    aid = r.get_json()["attempt_id"]
    device = client.post(f"/api/v1/attempts/{aid}/claim", headers=_h(token)).get_json()["device"]
    paper = client.get(f"/api/v1/attempts/{aid}/paper").get_json()
    return aid, device, paper


def test_paper_follows_the_blueprint_and_hides_keys(exam) -> None:  # type: ignore[no-untyped-def]
    app, client, token, reg_id, _user = exam
    aid, _device, paper = _start(client, token, reg_id)
    assert len(paper["items"]) == 45
    modules = [i["item"]["module"] for i in paper["items"]]
    assert modules.count("L1-ETH") == 20 and modules.count("L1-STD") == 13 and modules.count("L1-ECO") == 12
    raw = json.dumps(paper)
    assert '"answer"' not in raw.replace('"answers"', "") and "explanation" not in raw
    # the page itself carries no key or explanation either
    html = client.get(f"/exams/attempts/{aid}").get_data(as_text=True)
    with app.app_context():
        from certexam.services.results import scoring_input

        att = db.session().get(Attempt, aid)
        for _slot, item, _s in scoring_input.form_items(db.session(), att):
            for text in item.explanation.values():
                assert text not in html


def test_autosave_is_durable_and_ignores_stale_and_duplicates(exam) -> None:  # type: ignore[no-untyped-def]
    app, client, token, reg_id, _user = exam
    aid, device, paper = _start(client, token, reg_id)
    first = paper["items"][0]
    keys = [o["key"] for o in first["item"]["options"]]
    url = f"/api/v1/attempts/{aid}/answers/1"
    r = client.put(url, json={"seq": 2, "answer": keys[0], "device": device}, headers=_h(token))
    assert r.status_code == 200 and r.get_json()["result"] == "stored"
    # an older save arriving late does not overwrite the newer one
    r = client.put(url, json={"seq": 1, "answer": keys[1], "device": device}, headers=_h(token))
    assert r.get_json()["result"] == "stale"
    r = client.put(url, json={"seq": 2, "answer": keys[0], "device": device}, headers=_h(token))
    assert r.get_json()["result"] == "duplicate"
    # a save for another slot with a lower sequence still counts (out of order across slots)
    r = client.put(f"/api/v1/attempts/{aid}/answers/2", json={"seq": 1, "answer": None, "flagged": True,
                                                             "device": device}, headers=_h(token))
    assert r.get_json()["result"] == "stored"
    with app.app_context():
        rows = {r.slot: r for r in db.session().scalars(select(Response).where(Response.attempt_id == aid))}
    assert json.loads(rows["1"].answer) == keys[0] and rows["1"].seq == 2 and rows["2"].flagged
    state = client.get(f"/api/v1/attempts/{aid}").get_json()
    assert state["answered"] == ["1"] and state["flagged"] == ["2"] and state["last_seq"] == 2


@pytest.mark.parametrize("payload,field", [
    ({"seq": 1, "answer": "Z"}, "answer"), ({"seq": 1, "answer": ["A"]}, "answer"), ({"seq": 0, "answer": None}, "seq"),
    ({"seq": "x", "answer": None}, "seq"), ({"seq": True, "answer": None}, "seq"), ({"answer": None}, "seq"),
])
def test_bad_saves_get_a_clear_400(exam, payload: dict, field: str) -> None:  # type: ignore[no-untyped-def,type-arg]
    app, client, token, reg_id, _user = exam
    aid, device, _paper = _start(client, token, reg_id)
    r = client.put(f"/api/v1/attempts/{aid}/answers/1", json={**payload, "device": device}, headers=_h(token))
    assert r.status_code == 400 and r.get_json()["field"] == field
    for slot in ("0", "46", "1.1", "abc", "9" * 20):
        r = client.put(f"/api/v1/attempts/{aid}/answers/{slot}", json={"seq": 5, "answer": None, "device": device},
                       headers=_h(token))
        assert r.status_code == 400, slot
    # Refused whole: on PostgreSQL the claim and the upsert ran as one statement before the check.
    with app.app_context():
        assert db.session().scalars(select(Response).where(Response.attempt_id == aid)).all() == []
    assert client.get(f"/api/v1/attempts/{aid}").get_json()["last_seq"] == 0


def test_takeover_tells_the_older_device(exam) -> None:  # type: ignore[no-untyped-def]
    _app, client, token, reg_id, _user = exam
    aid, old_device, paper = _start(client, token, reg_id)
    new_device = client.post(f"/api/v1/attempts/{aid}/claim", headers=_h(token)).get_json()["device"]
    key = paper["items"][0]["item"]["options"][0]["key"]
    r = client.put(f"/api/v1/attempts/{aid}/answers/1", json={"seq": 3, "answer": key, "device": old_device},
                   headers=_h(token))
    assert r.status_code == 409 and r.get_json()["code"] == "taken_over"
    r = client.put(f"/api/v1/attempts/{aid}/answers/1", json={"seq": 3, "answer": key, "device": new_device},
                   headers=_h(token))
    assert r.status_code == 200
    assert client.get(f"/api/v1/attempts/{aid}", headers=_h(token, old_device)).get_json()["holder"] is False


def test_the_starting_device_holds_a_new_attempt_without_claiming_it(exam) -> None:  # type: ignore[no-untyped-def]
    app, client, token, reg_id, _user = exam
    url = f"/api/v1/registrations/{reg_id}/papers/P1/start"
    first = client.post(url, headers=_h(token)).get_json()
    aid, device = first["attempt_id"], first["device"]
    assert isinstance(device, str) and len(device) >= 24 and first["last_seq"] == 0
    key = client.get(f"/api/v1/attempts/{aid}/paper").get_json()["items"][0]["item"]["options"][0]["key"]
    r = client.put(f"/api/v1/attempts/{aid}/answers/1", json={"seq": 1, "answer": key, "device": device},
                   headers=_h(token))
    assert r.status_code == 200 and r.get_json()["result"] == "stored"
    # Starting again returns the same attempt but never its token: another device must claim, which is logged.
    again = client.post(url, headers=_h(token)).get_json()
    assert again == {"attempt_id": aid, "device": None, "last_seq": 1}
    claimed = client.post(f"/api/v1/attempts/{aid}/claim", headers=_h(token)).get_json()["device"]
    r = client.put(f"/api/v1/attempts/{aid}/answers/1", json={"seq": 2, "answer": None, "device": device},
                   headers=_h(token))
    assert r.status_code == 409 and r.get_json()["code"] == "taken_over" and claimed != device
    with app.app_context():
        kinds = list(db.session().scalars(select(AttemptEvent.kind).where(AttemptEvent.attempt_id == aid)
                                          .order_by(AttemptEvent.id)))
    assert kinds == ["start", "claim"]


def test_a_start_planned_before_another_device_started_inserts_nothing(exam) -> None:  # type: ignore[no-untyped-def]
    """A start checks and draws before the writer's turn; if another start won meanwhile, the turn
    inserts nothing and the one-transaction path returns the attempt that exists (without its token)."""
    from certexam.services.attempts.autosave_sql import Owner

    app, client, token, reg_id, user = exam
    with app.test_request_context():
        plan = attempts._plan(Owner(user_id=user.id), reg_id, "P1")  # noqa: SLF001
        assert isinstance(plan, attempt_start_sql.Planned) and len(plan.drawn.entries) == 45  # noqa: SLF001
    won = client.post(f"/api/v1/registrations/{reg_id}/papers/P1/start", headers=_h(token)).get_json()
    with app.test_request_context():
        assert attempt_start_sql.insert_planned(plan, "en") is None  # noqa: SLF001
        again = attempts.begin(user, reg_id, "P1", "en")
        assert (again.attempt_id, again.device) == (won["attempt_id"], None)
        assert db.session().scalars(select(Attempt.id).where(Attempt.registration_id == reg_id)).all() == [
            won["attempt_id"]]


def test_a_planned_start_applies_the_accommodations_of_the_turn(exam) -> None:  # type: ignore[no-untyped-def]
    """The planned insert re-checks the registration's accommodations inside its statement: changed
    between the plan and the turn, it inserts nothing and the one-transaction path starts the
    attempt with the new ones (a deadline never built from stale extra time)."""
    from certexam.models import Registration
    from certexam.services.attempts.autosave_sql import Owner

    app, _client, _token, reg_id, user = exam
    with app.test_request_context():
        plan = attempts._plan(Owner(user_id=user.id), reg_id, "P1")  # noqa: SLF001
        assert isinstance(plan, attempt_start_sql.Planned) and (plan.extra_minutes, plan.time_multiplier_pct) == (0, 100)
        db.session().execute(update(Registration).where(Registration.id == reg_id)
                             .values(extra_minutes=15, time_multiplier_pct=150))
        db.session().commit()
        assert attempt_start_sql.insert_planned(plan, "en") is None
        assert db.session().scalars(select(Attempt.id).where(Attempt.registration_id == reg_id)).all() == []
        attempt = attempts.start(user, reg_id, "P1", "en")
        # paper 1 is 60 minutes: x 1.5 + 15 = 105 (rules s.2: accommodations per registration)
        assert (attempt.extra_minutes, attempt.time_multiplier_pct) == (15, 150)
        assert attempt.deadline_at - attempt.started_at == timedelta(minutes=105)


def test_a_planned_start_writes_its_attempt_items_event_and_audit_entry(exam) -> None:  # type: ignore[no-untyped-def]
    """What the writer's turn of a planned start stores: the attempt as planned, its form's rows in
    order, its start event and an audit entry chained like every other."""
    from certexam.models import AttemptItem, AuditEntry
    from certexam.services.platform import audit

    app, client, token, reg_id, user = exam
    r = client.post(f"/api/v1/registrations/{reg_id}/papers/P1/start", headers=_h(token))
    assert r.status_code == 201
    aid, device = r.get_json()["attempt_id"], r.get_json()["device"]
    with app.app_context():
        sess = db.session()
        attempt = sess.get(Attempt, aid)
        assert attempt is not None and attempt.holder_token == device and attempt.status == "in_progress"
        assert (attempt.user_id, attempt.kind, attempt.last_seq, attempt.language) == (user.id, "exam", 0, "zh_Hans")
        assert attempt.deadline_at - attempt.started_at == timedelta(minutes=attempt.minutes) == timedelta(minutes=60)
        form = json.loads(attempt.form)
        rows = sess.execute(select(AttemptItem.position, AttemptItem.version_id).where(AttemptItem.attempt_id == aid)
                            .order_by(AttemptItem.position)).all()
        assert [v for _p, v in rows] == [e["v"] for e in form] and [p for p, _v in rows] == list(range(1, 46))
        ev = sess.execute(select(AttemptEvent.kind, AttemptEvent.detail, AttemptEvent.at)
                          .where(AttemptEvent.attempt_id == aid)).one()
        assert ev.kind == "start" and json.loads(ev.detail) == {"seed": attempt.seed, "items": 45}
        assert ev.at == attempt.started_at
        entry = sess.scalars(select(AuditEntry).where(AuditEntry.action == "attempt.start")).one()
        assert (entry.object_id, entry.actor_id) == (str(aid), user.id)
        assert json.loads(entry.after) == {"registration": reg_id, "paper": "P1", "seed": attempt.seed}
        checked, problems = audit.verify(sess)
        assert problems == [] and checked >= 1


def test_submit_twice_is_harmless_and_late_saves_are_refused(exam) -> None:  # type: ignore[no-untyped-def]
    _app, client, token, reg_id, _user = exam
    aid, device, _paper = _start(client, token, reg_id)
    a = client.post(f"/api/v1/attempts/{aid}/submit", json={"device": device}, headers=_h(token)).get_json()
    b = client.post(f"/api/v1/attempts/{aid}/submit", json={"device": device}, headers=_h(token)).get_json()
    assert a["status"] == b["status"] == "submitted" and a["submitted_at"] == b["submitted_at"]
    r = client.put(f"/api/v1/attempts/{aid}/answers/1", json={"seq": 9, "answer": None, "device": device},
                   headers=_h(token))
    assert r.status_code == 409 and r.get_json()["code"] == "closed"


def test_deadline_submits_with_the_saved_answers(exam) -> None:  # type: ignore[no-untyped-def]
    app, client, token, reg_id, _user = exam
    aid, device, paper = _start(client, token, reg_id)
    key = paper["items"][0]["item"]["options"][1]["key"]
    client.put(f"/api/v1/attempts/{aid}/answers/1", json={"seq": 1, "answer": key, "device": device}, headers=_h(token))
    with app.app_context():  # time passes: move the deadline into the past (plus the grace)
        sess = db.session()
        sess.execute(update(Attempt).where(Attempt.id == aid).values(
            deadline_at=db.utcnow() - timedelta(seconds=20)))
        sess.commit()
        assert attempts.close_expired() == 1
        att = db.session().get(Attempt, aid)
        assert att.status == "submitted" and att.submit_reason == "timeout"
        assert att.submitted_at == att.deadline_at
    r = client.put(f"/api/v1/attempts/{aid}/answers/1", json={"seq": 2, "answer": None, "device": device},
                   headers=_h(token))
    assert r.status_code == 409 and "Time is over" in r.get_json()["error"] or "时间" in r.get_json()["error"]
    with app.app_context():
        row = db.session().scalar(select(Response).where(Response.attempt_id == aid, Response.slot == "1"))
        assert json.loads(row.answer) == key


def test_papers_run_in_order_and_csrf_is_needed(exam) -> None:  # type: ignore[no-untyped-def]
    _app, client, token, reg_id, _user = exam
    r = client.post(f"/api/v1/registrations/{reg_id}/papers/P2/start", headers=_h(token))
    assert r.status_code == 403
    r = client.post(f"/api/v1/registrations/{reg_id}/papers/P1/start", headers={"Accept": "application/json"})
    assert r.status_code == 400  # no CSRF header on a session-authenticated call


def test_another_candidate_cannot_touch_the_attempt(exam) -> None:  # type: ignore[no-untyped-def]
    app, client, token, reg_id, _user = exam
    aid, device, _paper = _start(client, token, reg_id)
    other = candidate(app)
    c2 = app.test_client()
    sign_in(c2, other.email)
    t2 = csrf_from(c2.get("/").get_data(as_text=True))
    assert c2.get(f"/api/v1/attempts/{aid}").status_code == 404
    assert c2.get(f"/api/v1/attempts/{aid}/paper").status_code == 404
    assert c2.post(f"/api/v1/attempts/{aid}/claim", headers=_h(t2)).status_code == 404
    assert c2.put(f"/api/v1/attempts/{aid}/answers/1", json={"seq": 1, "answer": None, "device": device},
                  headers=_h(t2)).status_code == 404
    assert c2.get(f"/exams/attempts/{aid}").status_code == 404
    assert c2.post(f"/api/v1/registrations/{reg_id}/papers/P1/start", headers=_h(t2)).status_code == 404


def test_bearer_token_works_without_csrf(exam) -> None:  # type: ignore[no-untyped-def]
    app, _client, _token, reg_id, user = exam
    from certexam.services.accounts import api_tokens

    with app.app_context():
        token = api_tokens.create(user, "test client")
    c = app.test_client()
    auth = {"Authorization": f"Bearer {token}"}
    assert c.get("/api/v1/registrations", headers=auth).get_json()[0]["id"] == reg_id
    r = c.post(f"/api/v1/registrations/{reg_id}/papers/P1/start", headers=auth)
    assert r.status_code == 201
    assert c.get("/api/v1/registrations", headers={"Authorization": "Bearer cx_wrong"}).status_code == 401
    assert "Set-Cookie" not in c.get("/api/v1/registrations", headers=auth).headers


def test_exposure_counts_every_form_an_item_was_drawn_onto(exam) -> None:  # type: ignore[no-untyped-def]
    app, client, token, reg_id, _user = exam
    aid, _device, paper = _start(client, token, reg_id)
    with app.app_context():
        from certexam.models import AttemptItem, BankItem
        from certexam.services.bank import items as bank

        sess = db.session()
        shown = [r.bank_item_id for r in sess.scalars(select(AttemptItem).where(AttemptItem.attempt_id == aid)
                                                      .order_by(AttemptItem.position))]
        names = dict(sess.execute(select(BankItem.id, BankItem.external_id)).all())
        # the rows follow the paper, position by position
        assert [names[i] for i in shown] == [i["item"]["id"] for i in paper["items"]]
        counts = bank.exposure(names)
        assert sum(counts.values()) == 45 and set(counts) == set(shown) and set(counts.values()) == {1}
        # a second candidate's form adds to the same counters
        other = candidate(app)
        attempts.start(other, enrol(app, other, open_sitting(app)), "P1", "en")
        after = bank.exposure(names)
        assert sum(after.values()) == 90 and all(after[i] >= 1 for i in shown)
    admin = staff(app, Role.ADMIN)
    c2 = app.test_client()
    sign_in(c2, admin.email)
    first = names[shown[0]]
    page = c2.get(f"/admin/bank/{first}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert f"Drawn onto {after[shown[0]]} candidate form(s)" in page
