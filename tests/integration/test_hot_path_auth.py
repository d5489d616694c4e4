"""The exam's hot calls (save, flag, clock resync, paper) check their caller inside their own statement.

They load no user (tests count the statements), and every refusal answers as a
full sign-in would: 401 for a stranger, a revoked token or a deactivated account,
403 for staff, 404 for another candidate's attempt; nothing is written.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, select, update

from certexam import db
from certexam.models import ApiToken, Attempt, Response, Role, User
from certexam.services.accounts import api_tokens
from tests.factories import candidate, staff
from tests.integration.test_attempt_api import _h, _start, exam  # noqa: F401  (fixture used by name)


def _hot_calls(c: FlaskClient, aid: int, device: str, key: str, headers: dict[str, str]) -> list[int]:
    return [c.put(f"/api/v1/attempts/{aid}/answers/1", json={"seq": 1, "answer": key, "device": device},
                  headers=headers).status_code,
            c.put(f"/api/v1/attempts/{aid}/flags/2", json={"seq": 2, "flagged": True, "device": device},
                  headers=headers).status_code,
            c.get(f"/api/v1/attempts/{aid}", headers=headers).status_code,
            c.get(f"/api/v1/attempts/{aid}/paper", headers=headers).status_code]


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "Accept": "application/json"}


@contextmanager
def _statements(engine: Any) -> Iterator[list[str]]:
    """The SQL statements run meanwhile, upper-cased on one line (SQLite's BEGIN IMMEDIATE, the
    write lock, is not a query and is left out)."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        if not statement.startswith("BEGIN"):
            seen.append(" ".join(statement.split()).upper())

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def _stored(app: Flask, aid: int) -> list[Any]:
    with app.app_context():
        return list(db.session().scalars(select(Response.slot).where(Response.attempt_id == aid)))


def test_refusals_answer_as_a_full_sign_in_would(exam) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    app, client, csrf, reg_id, user = exam
    aid, device, paper = _start(client, csrf, reg_id)
    key = paper["items"][0]["item"]["options"][0]["key"]
    with app.app_context():
        mine = api_tokens.create(user, "exam client")
        theirs = api_tokens.create(candidate(app), "another candidate")
        admin = api_tokens.create(staff(app, Role.ADMIN), "staff")
    c = app.test_client()
    assert _hot_calls(c, aid, device, key, _bearer("cx_" + "x" * 43)) == [401] * 4
    assert _hot_calls(c, aid, device, key, _bearer("not-a-token")) == [401] * 4
    assert _hot_calls(c, aid, device, key, _bearer(theirs)) == [404] * 4
    assert _hot_calls(c, aid, device, key, _bearer(admin)) == [403] * 4
    # a stranger hears 401 before any word about a malformed body
    assert c.put(f"/api/v1/attempts/{aid}/answers/1", data="{", headers=_bearer("cx_" + "y" * 43)).status_code == 401
    assert _stored(app, aid) == []
    assert _hot_calls(c, aid, device, key, _bearer(mine)) == [200] * 4
    assert sorted(_stored(app, aid)) == ["1", "2"]

    with app.app_context():
        db.session().execute(update(ApiToken).where(ApiToken.user_id == user.id).values(revoked_at=db.utcnow()))
        db.session().commit()
    assert _hot_calls(c, aid, device, key, _bearer(mine)) == [401] * 4
    # the browser's signed session still works, until the account is deactivated
    assert _hot_calls(client, aid, device, key, _h(csrf)) == [200] * 4
    with app.app_context():
        db.session().execute(update(User).where(User.id == user.id).values(active=False))
        db.session().commit()
    assert _hot_calls(client, aid, device, key, _h(csrf)) == [401] * 4


def test_refused_saves_still_say_why(exam) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    app, client, csrf, reg_id, _user = exam
    aid, device, paper = _start(client, csrf, reg_id)
    key = paper["items"][0]["item"]["options"][0]["key"]
    url = f"/api/v1/attempts/{aid}/answers/1"
    r = client.put(url, json={"seq": 1, "answer": key, "device": "another-device"}, headers=_h(csrf))
    assert r.status_code == 409 and r.get_json()["code"] == "taken_over"
    r = client.put(url, json={"seq": "one", "answer": key, "device": device}, headers=_h(csrf))
    assert r.status_code == 400 and r.get_json()["field"] == "seq"
    with app.app_context():
        db.session().execute(update(Attempt).where(Attempt.id == aid).values(paused_at=db.utcnow()))
        db.session().commit()
    r = client.put(url, json={"seq": 2, "answer": key, "device": device}, headers=_h(csrf))
    assert r.status_code == 409 and r.get_json()["code"] == "paused"
    assert _stored(app, aid) == []


def test_a_save_is_one_statement(exam) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    """PostgreSQL: always (a data-modifying CTE). SQLite: once this device's first save has read the
    attempt's form (a guarded INSERT ... SELECT; triggers keep the attempt's counters)."""
    app, client, csrf, reg_id, user = exam
    aid, device, paper = _start(client, csrf, reg_id)
    key = paper["items"][0]["item"]["options"][0]["key"]
    with app.app_context():
        token = api_tokens.create(user, "exam client")
    engine = app.extensions["certexam.engine"]
    with _statements(engine) as seen:
        for n, (c, headers) in enumerate([(app.test_client(), _bearer(token)), (client, _h(csrf))], 1):
            seen.clear()
            r = c.put(f"/api/v1/attempts/{aid}/answers/{n}", json={"seq": n, "answer": key if n == 1 else None,
                                                                  "device": device}, headers=headers)
            assert r.status_code == 200 and r.get_json()["result"] == "stored"
            first = ["UPDATE ATTEMPT", "INSERT INTO RESPONSE"] if n == 1 else ["INSERT INTO RESPONSE"]
            expected = ["WITH"] if engine.dialect.name == "postgresql" else first
            assert [s[:len(e)] for s, e in zip(seen, expected, strict=False)] == expected and len(seen) == len(expected)
            assert "USER_ACCOUNT" in seen[0]  # the owner is checked inside the claim, not loaded before it
            seen.clear()
            assert c.get(f"/api/v1/attempts/{aid}", headers=headers).status_code == 200
            assert len(seen) == 2 and "USER_ACCOUNT" in seen[0]  # the attempt with its owner check, then its slots
            seen.clear()
            r = c.get(f"/api/v1/attempts/{aid}/paper", headers=headers)
            assert r.status_code == 200 and r.get_json()["answers"]["1"]["answer"] == key
            # the form with its owner check first; no user and no attempt object loaded before it
            assert seen[0].startswith("SELECT ATTEMPT.FORM") and "USER_ACCOUNT" in seen[0]
            assert not any(s.startswith("SELECT USER_ACCOUNT.") or s.startswith("SELECT API_TOKEN.") for s in seen)


def test_strong_session_protection_turns_the_shortcut_off(exam) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    app, client, csrf, reg_id, _user = exam
    aid, device, paper = _start(client, csrf, reg_id)
    app.config["SESSION_PROTECTION"] = "strong"  # Flask-Login must check the session before anything runs
    with _statements(app.extensions["certexam.engine"]) as seen:
        r = client.put(f"/api/v1/attempts/{aid}/answers/1", json={"seq": 1, "answer": None, "device": device},
                       headers=_h(csrf))
    assert r.status_code == 200 and r.get_json()["result"] == "stored"
    assert seen[0].startswith("SELECT USER_ACCOUNT.")  # the user is loaded (and checked) first


def test_start_checks_its_caller_in_the_registrations_statement(exam) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    app, client, csrf, reg_id, user = exam
    with app.app_context():
        mine = api_tokens.create(user, "exam client")
        theirs = api_tokens.create(candidate(app), "another candidate")
        admin = api_tokens.create(staff(app, Role.ADMIN), "staff")
    c, url = app.test_client(), f"/api/v1/registrations/{reg_id}/papers/P1/start"
    for token, code in (("cx_" + "x" * 43, 401), ("not-a-token", 401), (theirs, 404), (admin, 403)):
        assert c.post(url, headers=_bearer(token)).status_code == code, token
    with app.app_context():  # a refused start writes nothing
        assert db.session().scalars(select(Attempt.id)).all() == []
    engine = app.extensions["certexam.engine"]
    with _statements(engine) as seen:
        r = c.post(url, headers=_bearer(mine))
    assert r.status_code == 201 and r.get_json()["device"]
    assert seen[0].startswith("SELECT REGISTRATION.") and "USER_ACCOUNT" in seen[0] and "API_TOKEN" in seen[0]
    # the form's 45 attempt_item rows: one statement (each statement in the writer's turn is a
    # moment the thread may wait for the GIL while every other writer waits for the turn)
    item_inserts = [s for s in seen if s.startswith("INSERT INTO ATTEMPT_ITEM")]
    assert len(item_inserts) == 1
    if engine.dialect.name == "postgresql":  # two arrays (psycopg re-parses a query of more than 50 parameters)
        assert "UNNEST(" in item_inserts[0] and item_inserts[0].count("%S") == 3
    else:
        assert item_inserts[0].split(" VALUES ")[1].count("), (") == 44  # 45 rows
    assert not any(s.startswith("SELECT USER_ACCOUNT.") or s.startswith("SELECT API_TOKEN.") for s in seen)
    # The plan's read (issue 21): the registration, its sitting, papers and attempts in one statement
    # (five ORM loads before); the rest reads the bank's approved versions the form is drawn from
    # (and, the first time in this process, their contents for the item cache).
    plan = [s for s in seen[:next(i for i, s in enumerate(seen) if s.startswith("INSERT"))]
            if s not in ("COMMIT", "ROLLBACK")]
    assert "FROM REGISTRATION JOIN SITTING" in plan[0] and "SITTING_PAPER" in plan[0], plan[0][:200]
    assert [s[:40] for s in plan[1:] if not s.startswith("SELECT BANK_ITEM_VERSION.")] == []
    # The writer's turn (SQLite: the whole database's one write lock) holds these statements only:
    # the attempt, re-checked against its registration inside its INSERT, its rows, event and audit entry.
    turn = seen[next(i for i, s in enumerate(seen) if s.startswith("INSERT")):]
    assert [" ".join(s.split()[:3]) for s in turn if s not in ("COMMIT", "ROLLBACK")] == [
        "INSERT INTO ATTEMPT", "INSERT INTO ATTEMPT_ITEM", "INSERT INTO ATTEMPT_EVENT", "SELECT AUDIT_HEAD.SEQ, AUDIT_HEAD.HASH",
        "INSERT INTO AUDIT_ENTRY", "UPDATE AUDIT_HEAD SET"]
    assert "FROM REGISTRATION" in turn[0] and "ON CONFLICT" in turn[0]
    with _statements(engine) as seen:  # the browser's session: same statement, by the signed user id
        again = client.post(url, headers=_h(csrf))
    assert again.get_json() == {"attempt_id": r.get_json()["attempt_id"], "device": None, "last_seq": 0}
    assert seen[0].startswith("SELECT REGISTRATION.") and "USER_ACCOUNT" in seen[0]
    # a deactivated account's live session and a revoked token are refused as before
    with app.app_context():
        db.session().execute(update(ApiToken).where(ApiToken.user_id == user.id).values(revoked_at=db.utcnow()))
        db.session().execute(update(User).where(User.id == user.id).values(active=False))
        db.session().commit()
    assert c.post(url, headers=_bearer(mine)).status_code == 401
    assert client.post(url, headers=_h(csrf)).status_code == 401
    # and without the CSRF header the browser's session cannot start anything
    with app.app_context():
        db.session().execute(update(User).where(User.id == user.id).values(active=True))
        db.session().commit()
    assert client.post(url, headers={"Accept": "application/json"}).status_code == 400


def test_the_attempt_keeps_its_counters_however_a_save_is_stored(exam) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    app, client, csrf, reg_id, _user = exam
    aid, device, paper = _start(client, csrf, reg_id)
    keys = [o["key"] for o in paper["items"][0]["item"]["options"]]
    key2 = paper["items"][1]["item"]["options"][0]["key"]

    def put(slot: str, seq: int, answer: Any, dev: str = device) -> Any:
        return client.put(f"/api/v1/attempts/{aid}/answers/{slot}", json={"seq": seq, "answer": answer,
                                                                          "device": dev}, headers=_h(csrf))

    def counters() -> tuple[int, Any, dict[str, tuple[int, Any]]]:
        with app.app_context():
            att = db.session().get(Attempt, aid)
            rows = db.session().execute(select(Response.slot, Response.seq, Response.saved_at)
                                        .where(Response.attempt_id == aid)).all()
            return att.last_seq, att.last_saved_at, {r.slot: (r.seq, r.saved_at) for r in rows}

    assert put("1", 1, keys[0]).get_json()["result"] == "stored"  # reads the form
    assert put("2", 5, key2).get_json()["result"] == "stored"  # on SQLite: the one statement
    last_seq, last_saved_at, rows = counters()
    assert last_seq == 5 and last_saved_at == rows["2"][1] and rows["2"][0] == 5
    r = put("3", 6, "Z")  # a misfit with the form known: still a clear 400, nothing written
    assert r.status_code == 400 and r.get_json()["field"] == "answer"
    assert counters()[0] == 5 and "3" not in counters()[2]
    assert put("2", 4, keys[1]).get_json()["result"] == "stale"
    assert put("2", 5, key2).get_json()["result"] == "duplicate"
    assert put("1", 7, keys[1]).get_json()["result"] == "stored"
    r = client.put(f"/api/v1/attempts/{aid}/flags/4", json={"seq": 8, "flagged": True, "device": device},
                   headers=_h(csrf))
    assert r.status_code == 200
    last_seq, last_saved_at, rows = counters()
    assert last_seq == 8 and last_saved_at == rows["4"][1] and rows["1"][0] == 7 and rows["2"][0] == 5
    assert client.get(f"/api/v1/attempts/{aid}").get_json()["last_seq"] == 8
    # after a takeover the older device's save, whose form this process knows, is refused as before
    client.post(f"/api/v1/attempts/{aid}/claim", headers=_h(csrf))
    r = put("1", 9, keys[0])
    assert r.status_code == 409 and r.get_json()["code"] == "taken_over"
    assert counters()[0] == 8 and counters()[2]["1"][0] == 7


def _submit(c: FlaskClient, aid: int, device: str, headers: dict[str, str]) -> Any:
    return c.post(f"/api/v1/attempts/{aid}/submit", json={"device": device}, headers=headers)


def test_submit_checks_its_caller_in_its_statement_and_refusals_say_why(exam) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    """The last minute's submit is one guarded UPDATE (owner, device, running, in time), its event
    and its audit entry, with no user loaded; everything else goes the full way and says why."""
    from certexam.models import AttemptEvent, AuditEntry
    from certexam.services.platform import audit

    app, client, csrf, reg_id, user = exam
    aid, device, _paper = _start(client, csrf, reg_id)
    with app.app_context():
        mine = api_tokens.create(user, "exam client")
        theirs = api_tokens.create(candidate(app), "another candidate")
        admin = api_tokens.create(staff(app, Role.ADMIN), "staff")
    c = app.test_client()
    for token, code in (("cx_" + "x" * 43, 401), ("not-a-token", 401), (theirs, 404), (admin, 403)):
        assert _submit(c, aid, device, _bearer(token)).status_code == code, token
    r = _submit(c, aid, "another-device", _bearer(mine))
    assert r.status_code == 409 and r.get_json()["code"] == "taken_over"
    with app.app_context():  # nothing refused wrote anything
        assert db.session().get(Attempt, aid).status == "in_progress"  # type: ignore[union-attr]
    engine = app.extensions["certexam.engine"]
    with _statements(engine) as seen:
        r = _submit(c, aid, device, _bearer(mine))
    assert r.status_code == 200
    body = r.get_json()
    assert (body["id"], body["status"], body["reason"]) == (aid, "submitted", "candidate")
    assert [" ".join(s.split()[:2]) for s in seen if s not in ("COMMIT", "ROLLBACK")] == [
        "UPDATE ATTEMPT", "INSERT INTO", "SELECT AUDIT_HEAD.SEQ,", "INSERT INTO", "UPDATE AUDIT_HEAD"]
    assert "USER_ACCOUNT" in seen[0] and "API_TOKEN" in seen[0]  # the owner checked inside the UPDATE
    # a second submit goes the full way and answers the same; saves are refused now
    again = _submit(client, aid, device, _h(csrf)).get_json()
    assert again == body
    with app.app_context():
        sess = db.session()
        attempt = sess.get(Attempt, aid)
        assert attempt is not None and attempt.submitted_at is not None
        assert attempt.submitted_at.isoformat() == body["submitted_at"]
        kinds = sess.scalars(select(AttemptEvent.kind).where(AttemptEvent.attempt_id == aid)
                             .order_by(AttemptEvent.id)).all()
        assert kinds == ["start", "claim", "submit"]
        entry = sess.scalars(select(AuditEntry).where(AuditEntry.action == "attempt.submit")).one()
        assert (entry.object_id, entry.actor_id, entry.after) == (str(aid), user.id, '{"reason":"candidate"}')
        assert audit.verify(sess)[1] == []


def test_a_paused_or_expired_attempt_is_submitted_the_full_way(exam) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    from datetime import timedelta

    app, client, csrf, reg_id, _user = exam
    aid, device, _paper = _start(client, csrf, reg_id)
    with app.app_context():
        past = db.utcnow() - timedelta(minutes=5)
        db.session().execute(update(Attempt).where(Attempt.id == aid).values(deadline_at=past))
        db.session().commit()
    body = _submit(client, aid, device, _h(csrf)).get_json()
    assert (body["status"], body["reason"]) == ("submitted", "timeout")  # closed at its deadline, not now
    assert body["submitted_at"] == past.isoformat()


def test_hot_reads_need_no_transaction_round_trips(exam) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    """The clock resync (the most frequent call) and the paper read their two statements each; on
    PostgreSQL in autocommit, so no BEGIN before them and no ROLLBACK after (issue 21: two of a
    resync's four round trips). SQLite's BEGIN is no round trip: there they use the request's session."""
    app, client, csrf, reg_id, _user = exam
    aid, _device, _paper = _start(client, csrf, reg_id)
    engine = app.extensions["certexam.engine"]
    pg = engine.dialect.name == "postgresql"
    seen: list[tuple[str, bool | None]] = []

    def record(conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        dbapi = conn.connection.dbapi_connection
        seen.append((" ".join(statement.split()[:2]).upper(), dbapi.autocommit if pg else None))

    event.listen(engine, "before_cursor_execute", record)
    try:
        for url in (f"/api/v1/attempts/{aid}", f"/api/v1/attempts/{aid}/paper"):
            seen.clear()
            assert client.get(url, headers=_h(csrf)).status_code == 200
            reads = [s for s in seen if s[0] not in ("BEGIN", "ROLLBACK", "COMMIT")]
            assert len(reads) == 2 and all(s[0].startswith("SELECT") for s in reads), seen
            if pg:
                assert all(autocommit for _s, autocommit in reads), seen
    finally:
        event.remove(engine, "before_cursor_execute", record)
