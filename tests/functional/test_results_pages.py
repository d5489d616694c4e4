"""Results pages, marking pages, item analysis, CSV and the JSON API through HTTP."""

from __future__ import annotations

import csv
import io
import re

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from certexam import db
from certexam.models import MarkingAssignment, Result, Role
from certexam.services.results import marking
from tests.confirming import confirm
from tests.conftest import csrf_from, post_form
from tests.factories import candidate, sign_in, staff
from tests.integration.test_results_service import (
    ETH_WRONG,
    L1_SMALL,
    L2_SMALL,
    NON_ETH_WRONG,
    RIGHT,
    banked_app,
    enrol,
    make_sitting,
    sit,
)

EN = {"Accept-Language": "en"}


@pytest.fixture
def released(tmp_path):  # type: ignore[no-untyped-def]
    """A level-1 sitting with a pass, a veto and a plain fail, computed but not yet released."""
    app = banked_app(tmp_path)
    sid = make_sitting(app, L1_SMALL)
    admin = staff(app, Role.ADMIN)
    people = {}
    for name, strategy in (("pass", RIGHT), ("veto", ETH_WRONG), ("fail", NON_ETH_WRONG)):
        u = candidate(app, locale="en")
        reg = enrol(app, u, sid)
        sit(app, u, reg, strategy)
        people[name] = (u, reg)
    yield app, sid, admin, people
    app.extensions["certexam.engine"].dispose()


def _client(app, user) -> FlaskClient:  # type: ignore[no-untyped-def]
    c = app.test_client()
    sign_in(c, user.email)
    return c


def _result_id(app, reg: int) -> int:  # type: ignore[no-untyped-def]
    with app.app_context():
        return db.session().scalar(select(Result.id).where(Result.registration_id == reg))


def test_admin_computes_and_releases_then_candidates_see_results(released) -> None:  # type: ignore[no-untyped-def]
    app, sid, admin, people = released
    a = _client(app, admin)
    page = a.get(f"/admin/results/{sid}", headers=EN).get_data(as_text=True)
    assert "Not released" in page
    r = post_form(a, f"/admin/results/{sid}/compute", {}, get_url=f"/admin/results/{sid}")
    assert r.status_code == 302
    page = a.get(f"/admin/results/{sid}", headers=EN).get_data(as_text=True)
    assert page.count("result-badge result-pass") == 1 and "ETHICS_VETO" in page
    u, reg = people["pass"]
    rid = _result_id(app, reg)
    c = _client(app, u)
    assert c.get(f"/results/{rid}").status_code == 404  # hidden until released
    assert "No results" in c.get("/results/", headers=EN).get_data(as_text=True)
    r = post_form(a, f"/admin/results/{sid}/release", {}, get_url=f"/admin/results/{sid}", headers=EN)
    assert r.status_code == 200 and "3 candidates will be told" in r.get_data(as_text=True)  # issue 18.10
    assert confirm(a, r).status_code == 302  # asked for (issue 19.6): a second results officer confirms
    assert "Released on" not in a.get(f"/admin/results/{sid}", headers=EN).get_data(as_text=True)
    b = _client(app, staff(app, {Role.RESULTS_OFFICER}))
    r = post_form(b, f"/admin/results/{sid}/release", {}, get_url=f"/admin/results/{sid}", headers=EN)
    assert confirm(b, r).status_code == 302
    assert "Released on" in a.get(f"/admin/results/{sid}", headers=EN).get_data(as_text=True)
    # pass: no module rates, no veto box
    html = c.get(f"/results/{rid}", headers=EN).get_data(as_text=True)
    assert 'data-status="PASS"' in html and "Correct rate per module" not in html and 'id="veto"' not in html
    # veto: stated plainly, with module rates and no raw points
    vu, vreg = people["veto"]
    vc = _client(app, vu)
    html = vc.get(f"/results/{_result_id(app, vreg)}", headers=EN).get_data(as_text=True)
    assert 'id="veto"' in html and "one-vote veto" in html and "Correct rate per module" in html
    assert "100%" in html and " / " not in re.sub(r"<[^>]+>", "", html.split('id="result"')[1]).split("Re-check")[0]
    # someone else's result is not found
    assert vc.get(f"/results/{rid}").status_code == 404
    # re-check through the form
    r = post_form(vc, f"/results/{_result_id(app, vreg)}/recheck", {"reason": "Please check question 2"},
                  get_url=f"/results/{_result_id(app, vreg)}")
    assert r.status_code == 302
    assert "Please check question 2" in a.get("/admin/results/rechecks").get_data(as_text=True)


def test_result_api_and_openapi(released) -> None:  # type: ignore[no-untyped-def]
    app, sid, admin, people = released
    anon = app.test_client()
    r = anon.get("/api/v1/results/mine")
    assert r.status_code == 401 and "error" in r.get_json()
    a = _client(app, admin)
    token = csrf_from(a.get("/").get_data(as_text=True))
    r = a.post(f"/api/v1/results/sittings/{sid}/release", headers={"X-CSRFToken": token})
    assert r.status_code == 202 and r.get_json()["status"] == "requested"  # four eyes (issue 19.6)
    b = _client(app, staff(app, {Role.RESULTS_OFFICER}))
    r = b.post(f"/api/v1/results/sittings/{sid}/release",
               headers={"X-CSRFToken": csrf_from(b.get("/").get_data(as_text=True))})
    assert r.status_code == 200 and r.get_json()["results"] == 3
    r = a.post(f"/api/v1/results/sittings/{sid}/release", headers={"X-CSRFToken": token})
    assert r.status_code == 409 and "error" in r.get_json()
    body = a.get(f"/api/v1/results/sittings/{sid}").get_json()
    assert sorted(x["status"] for x in body["results"]) == ["FAIL", "FAIL", "PASS"]
    vu, _vreg = people["veto"]
    mine = _client(app, vu).get("/api/v1/results/mine", headers=EN).get_json()["results"]
    assert mine[0]["ethics_veto"] and mine[0]["reasons"][0]["code"] == "ETHICS_VETO"
    assert "veto" in mine[0]["reasons"][0]["text"] and mine[0]["module_rates"]["L1-STD"]["exact"] == "1/1"
    pu, _preg = people["pass"]
    got = _client(app, pu).get("/api/v1/results/mine").get_json()["results"][0]
    assert got["status"] == "PASS" and got["module_rates"] is None
    assert _client(app, pu).get(f"/api/v1/results/sittings/{sid}").status_code == 403
    ia = a.get(f"/api/v1/results/sittings/{sid}/item-analysis").get_json()
    paper = ia["forms"][0]
    assert paper["paper"] == "P1" and paper["attempts"] == 3 and len(paper["items"]) >= 10
    assert sum(i["n"] for i in paper["items"]) == 30  # 3 candidates x 10 questions each
    spec = anon.get("/api/v1/openapi.json").get_json()
    assert "/api/v1/results/sittings/{sitting_id}/item-analysis" in spec["paths"]
    assert "/api/v1/results/mine" in spec["paths"]


def test_item_analysis_page_chart_and_csv(released) -> None:  # type: ignore[no-untyped-def]
    app, sid, admin, _people = released
    a = _client(app, admin)
    html = a.get(f"/admin/results/{sid}/analysis", headers=EN).get_data(as_text=True)
    assert "Compute the results first" in html
    post_form(a, f"/admin/results/{sid}/compute", {}, get_url=f"/admin/results/{sid}")
    html = a.get(f"/admin/results/{sid}/analysis", headers=EN).get_data(as_text=True)
    assert html.count('<svg class="chart"') == 2 and 'class="cut"' in html and 'class="gate"' in html
    assert "Pass mark 60%" in html and "Ethics minimum 60%" in html and 'class="bar vetoed"' in html
    assert "<script" not in html  # the CSP forbids inline script: the chart is plain SVG
    # Issue 21: three candidates bring the small-sample warning; the reliability names its method.
    assert "Fewer than 30 candidates" in html and "alpha for random forms" in html
    assert '<svg class="distractors"' in html  # upper and lower groups per option
    r = a.get(f"/admin/results/{sid}/analysis.csv")
    assert r.status_code == 200 and r.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(r.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:3] == ["paper", "forms", "item"] and rows[1][1] == "3"  # each candidate drew their own form
    items = {row[2] for row in rows[1:]}
    assert len(items) == len(rows) - 1 >= 10  # one row per distinct item of the paper's pool
    assert {row[4] for row in rows[1:]} == {"L1-ETH", "L1-STD", "L1-ECO"}
    # an item seen by one candidate only is analysed over that one candidate
    assert {int(row[6]) for row in rows[1:]} <= {1, 2, 3}


def test_misconduct_and_key_correction_forms(released) -> None:  # type: ignore[no-untyped-def]
    app, sid, admin, people = released
    a = _client(app, admin)
    _u, reg = people["pass"]
    r = post_form(a, f"/admin/results/{sid}/misconduct", {"registration_id": reg, "ban_years": 2,
                                                          "evidence": "notes passed between desks"},
                  get_url=f"/admin/results/{sid}")
    assert r.status_code == 302
    with app.app_context():
        row = db.session().scalar(select(Result).where(Result.registration_id == reg))
        assert row.status == "VOID"
    r = post_form(a, f"/admin/results/{sid}/key-corrections", {"item": "abc", "action": "void", "note": "x"},
                  get_url=f"/admin/results/{sid}", headers=EN, follow_redirects=True)
    assert "Give the item version number" in r.get_data(as_text=True)


def test_marker_pages_are_anonymous(tmp_path) -> None:  # type: ignore[no-untyped-def]
    app = banked_app(tmp_path)
    sid = make_sitting(app, L2_SMALL, name="2026 二级")
    admin = staff(app, Role.ADMIN)
    graders = [staff(app, Role.GRADER) for _ in range(3)]
    u = candidate(app, name_zh="李秘密", name_en="Li Secret")
    reg = enrol(app, u, sid, direction="AI")
    sit(app, u, reg, RIGHT)
    a = _client(app, admin)
    r = post_form(a, f"/admin/results/{sid}/assign", {"markers": [g.id for g in graders]},
                  get_url=f"/admin/results/{sid}")
    assert r.status_code == 302
    with app.app_context():
        mine = db.session().scalars(select(MarkingAssignment).where(MarkingAssignment.marker_id == graders[0].id)).all()
        holder = graders[0] if mine else graders[2]
        task = marking.queue(holder)[0]
    g = _client(app, holder)
    queue = g.get("/marking/", headers=EN).get_data(as_text=True)
    assert task.code in queue and "Li Secret" not in queue and "李秘密" not in queue
    page = g.get(f"/marking/tasks/{task.assignment_id}", headers=EN).get_data(as_text=True)
    assert "Rubric" in page and "A written answer" in page and "Li Secret" not in page
    r = post_form(g, f"/marking/tasks/{task.assignment_id}", {"points": 999}, headers=EN)
    assert r.status_code == 200 and "between 0 and" in r.get_data(as_text=True)
    r = post_form(g, f"/marking/tasks/{task.assignment_id}", {"points": 1, "note": "clear"})
    assert r.status_code == 302
    assert task.code not in g.get("/marking/").get_data(as_text=True)
    other = next(x for x in graders if x.id != holder.id)
    assert _client(app, other).get(f"/marking/tasks/{task.assignment_id}").status_code == 404
