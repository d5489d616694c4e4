"""The candidate's exam list offers "Begin paper" exactly when the start would accept it (issue 18.3).

Before, the page offered every paper whose start time had passed: after the late-entry window, or
after results were released, the button was there and (before the start's own guard) worked.
"""

from __future__ import annotations

from pathlib import Path

from tests.conftest import make_app
from tests.exam_setup import enrol, load_bank, open_sitting
from tests.factories import candidate, sign_in

EN = {"Accept-Language": "en"}


def _exam_list(tmp_path: Path, late_entry_minutes: int) -> str:
    app = make_app(tmp_path)
    load_bank(app)
    user = candidate(app)
    enrol(app, user, open_sitting(app, late_entry_minutes=late_entry_minutes))  # P1 began 5 minutes ago
    client = app.test_client()
    sign_in(client, user.email)
    body = client.get("/exams/", headers=EN).get_data(as_text=True)
    app.extensions["certexam.engine"].dispose()
    return body


def test_a_paper_within_its_entry_window_is_offered(tmp_path: Path) -> None:
    body = _exam_list(tmp_path, late_entry_minutes=30)
    assert "Begin paper P1" in body
    assert "Begin paper P2" not in body  # P2 starts in four hours


def test_a_paper_whose_entry_window_has_closed_is_not_offered(tmp_path: Path) -> None:
    body = _exam_list(tmp_path, late_entry_minutes=1)
    assert "Begin paper P1" not in body
    assert "Closed" in body
