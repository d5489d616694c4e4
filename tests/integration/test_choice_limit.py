"""The server refuses more answers than a choose-k-of-n group allows (issue 18.9).

Level 2's proposals are "chosen 2 of 5 scenarios" (rules s.2). Before the fix only the
page's script stopped a third answer: the API stored it on every save path.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from certexam import db
from certexam.bankio import reader
from certexam.domain import blueprint as bpr
from certexam.models import Attempt, BlueprintRecord, Registration, Response
from certexam.services.attempts import autosave
from certexam.services.bank import items as bank
from certexam.services.sittings import schedule as sittings
from tests.conftest import csrf_from, make_app
from tests.exam_setup import BANK
from tests.factories import candidate, sign_in

PROPOSALS = bpr.Blueprint(2, (bpr.Paper("PM", "下午场", "Afternoon", 180, (
    bpr.Section("L2-ETH", "single_choice", 2),
    bpr.Section(bpr.DIRECTION_MODULE, "constructed", 5, subtype="proposal", answer_at_most=2))),),
    bpr.ScoringSettings("ranked", Fraction(3, 5), Fraction(3, 5), Fraction(2, 5)))


def _sitting(app: Flask) -> int:
    with app.app_context():
        files = [str(BANK / "level2" / f"{m}.yaml") for m in ("L2-ETH", "L2-AI")]
        read = reader.read_files(files)
        assert not read.errors, read.errors[:3]
        bank.import_items(read.items, None, approve=True)
        sess = db.session()
        sess.add(BlueprintRecord(level=2, name="two-of-five", spec=json.dumps(bpr.to_dict(PROPOSALS)),
                                 created_at=db.utcnow()))
        sess.commit()
        now = db.utcnow()
        plan = sittings.SittingPlan(
            name="2026 二级", level=2, registration_opens_at=now - timedelta(days=3),
            registration_closes_at=now - timedelta(days=1), capacity=10, languages=("zh_Hans", "en"), fee_fen=0,
            papers=(sittings.PaperPlan("PM", now - timedelta(minutes=5)),), blueprint_name="two-of-five")
        return sittings.create_sitting(None, plan).id


@pytest.fixture
def proposals(tmp_path: Path, any_db_url: str) -> Iterator[tuple[Flask, FlaskClient, dict[str, str], int, str,
                                                                    list[str]]]:
    """A started level-2 paper: its device, and the slots of its five proposal scenarios."""
    app = make_app(tmp_path, any_db_url)
    sitting_id = _sitting(app)
    user = candidate(app)
    with app.app_context():
        sess = db.session()
        reg = Registration(sitting_id=sitting_id, user_id=user.id, admission_no="P0001", direction="AI",
                           created_at=db.utcnow())
        sess.add(reg)
        sess.commit()
        reg_id = reg.id
    client = app.test_client()
    sign_in(client, user.email)
    headers = {"X-CSRFToken": csrf_from(client.get("/").get_data(as_text=True))}
    started = client.post(f"/api/v1/registrations/{reg_id}/papers/PM/start", headers=headers).get_json()
    paper = client.get(f"/api/v1/attempts/{started['attempt_id']}/paper").get_json()
    slots = [i["slot"] for i in paper["items"] if i["item"]["type"] == "constructed"]
    assert len(slots) == 5
    yield app, client, headers, started["attempt_id"], started["device"], slots
    app.extensions["certexam.engine"].dispose()


def _stored(app: Flask, aid: int) -> dict[str, Any]:
    with app.app_context():
        rows = db.session().scalars(select(Response).where(Response.attempt_id == aid))
        return {r.slot: json.loads(r.answer) if r.answer else None for r in rows}


def test_a_third_proposal_answer_is_refused_on_every_save_path(proposals) -> None:  # type: ignore[no-untyped-def]
    app, client, headers, aid, device, (a, b, c, d, _e) = proposals
    seq = iter(range(1, 100))

    def put(slot: str, answer: Any) -> Any:
        return client.put(f"/api/v1/attempts/{aid}/answers/{slot}",
                          json={"seq": next(seq), "answer": answer, "device": device}, headers=headers)

    # The first save reads the form (two statements); later ones on SQLite take the one-statement save.
    assert put("1", None).status_code == 200
    assert put(a, "Scenario A: my proposal.").status_code == 200
    assert put(b, "Scenario B: my proposal.").status_code == 200
    r = put(c, "Scenario C: one too many.")
    assert r.status_code == 409, r.get_json()
    assert r.get_json()["code"] == "choice_limit" and "2" in r.get_json()["error"]
    assert _stored(app, aid) == {"1": None, a: "Scenario A: my proposal.", b: "Scenario B: my proposal."}
    # Changing an answered scenario, blanks and whitespace are not a third answer.
    assert put(b, "Scenario B, revised.").status_code == 200
    assert put(d, "").status_code == 200 and put(d, "   ").status_code == 200 and put(d, None).status_code == 200
    # Clearing one frees its place.
    assert put(a, "").status_code == 200
    assert put(c, "Scenario C now.").status_code == 200
    last_accepted = next(seq) - 1
    assert put(d, "Scenario D: still too many.").status_code == 409
    stored = _stored(app, aid)
    assert sorted(s for s, v in stored.items() if isinstance(v, str) and v.strip()) == sorted([b, c])
    # Refused whole: the refused answer is not kept and its seq did not count (PostgreSQL claims and
    # stores in one statement before the check; the refusal rolls both back).
    assert stored[d] is None
    assert client.get(f"/api/v1/attempts/{aid}").get_json()["last_seq"] == last_accepted


def test_the_full_path_refuses_too(proposals) -> None:  # type: ignore[no-untyped-def]
    app, _client, _headers, aid, device, (a, b, c, _d, _e) = proposals
    with app.app_context():
        from certexam.models import User

        attempt = db.session().get(Attempt, aid)
        assert attempt is not None
        user = db.session().get(User, attempt.user_id)
        assert user is not None
        autosave.save(user, aid, device, a, "first", False, 1)
        autosave.save(user, aid, device, b, "second", False, 2)
        with pytest.raises(autosave.ChoiceLimit) as refused:
            autosave.save(user, aid, device, c, "third", False, 3)
        assert refused.value.status == 409 and refused.value.field == "answer"
        assert autosave.set_flag(user, aid, device, c, True, 4).result == "stored"  # a flag is not an answer
    assert _stored(app, aid) == {a: "first", b: "second", c: None}
