"""Submit is held to the device that holds the attempt, as saves are (issue 18.8).

Before the fix a submit without a device field went the full way and was accepted from
any device: no takeover was logged and the holding device learnt of it only at its next save.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from certexam import db
from certexam.errors import UserError
from certexam.models import Attempt, AttemptEvent, AttemptStatus
from certexam.services.attempts import lifecycle as attempts
from tests.integration.test_attempt_api import _h, _start, exam  # noqa: F401 - the fixture


def _status_and_events(app, aid: int) -> tuple[str, list[str]]:  # type: ignore[no-untyped-def]
    with app.app_context():
        sess = db.session()
        attempt = sess.get(Attempt, aid)
        assert attempt is not None
        kinds = list(sess.scalars(select(AttemptEvent.kind).where(AttemptEvent.attempt_id == aid)
                                  .order_by(AttemptEvent.id)))
        return attempt.status, kinds


@pytest.mark.parametrize("body", [{}, {"device": None}, {"device": ""}, {"device": 7}, None])
def test_a_submit_without_a_device_is_refused_and_changes_nothing(exam, body) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    app, client, token, reg_id, _user = exam
    aid, _device, _paper = _start(client, token, reg_id)
    r = client.post(f"/api/v1/attempts/{aid}/submit", json=body, headers=_h(token))
    assert r.status_code == 400, r.get_json()
    assert r.get_json()["field"] == "device"
    assert _status_and_events(app, aid) == (AttemptStatus.IN_PROGRESS, ["start", "claim"])


def test_a_submit_from_another_device_is_refused_on_both_paths(exam) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    app, client, token, reg_id, user = exam
    aid, device, _paper = _start(client, token, reg_id)
    r = client.post(f"/api/v1/attempts/{aid}/submit", json={"device": "not-this-one"}, headers=_h(token))
    assert r.status_code == 409 and r.get_json()["code"] == "taken_over"
    with app.app_context():  # the service itself, as the page's own views would call it
        with pytest.raises(UserError) as refused:
            attempts.submit(user, aid, None)
        assert refused.value.field == "device"
        with pytest.raises(attempts.TakenOver):
            attempts.submit(user, aid, "not-this-one")
    assert _status_and_events(app, aid) == (AttemptStatus.IN_PROGRESS, ["start", "claim"])
    # the device that holds it submits; a second submit from it answers the same
    ok = client.post(f"/api/v1/attempts/{aid}/submit", json={"device": device}, headers=_h(token))
    again = client.post(f"/api/v1/attempts/{aid}/submit", headers=_h(token, device))  # the header names it too
    assert ok.status_code == again.status_code == 200 and ok.get_json() == again.get_json()
    assert _status_and_events(app, aid) == (AttemptStatus.SUBMITTED, ["start", "claim", "submit"])
