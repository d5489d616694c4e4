"""The item analysis says what it rests on (issue 21): sorting and filtering, voided results left
out, level 2 analysed per direction with a reliability figure."""

from __future__ import annotations

import re

from certexam import db
from certexam.models import Role, Sitting
from certexam.services.results import analysis as results_analysis
from tests.conftest import post_form
from tests.factories import candidate, staff
from tests.functional.test_results_pages import EN, _client
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


def _rows(html: str, paper: str) -> list[list[str]]:
    """The item table's cells, row by row."""
    table = html.split(f'id="items-{paper}"')[1].split("</table>", maxsplit=1)[0].split("<tbody>")[1]
    return [[re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", tr, re.S)]
            for tr in re.findall(r"<tr>(.*?)</tr>", table, re.S)]


def test_item_table_sorts_filters_and_leaves_voided_results_out(tmp_path) -> None:  # type: ignore[no-untyped-def]
    app = banked_app(tmp_path)
    sid = make_sitting(app, L1_SMALL)
    admin = staff(app, Role.ADMIN)
    regs = []
    for strategy in (RIGHT, ETH_WRONG, NON_ETH_WRONG, RIGHT):
        u = candidate(app, locale="en")
        regs.append(enrol(app, u, sid))
        sit(app, u, regs[-1], strategy)
    a = _client(app, admin)
    post_form(a, f"/admin/results/{sid}/compute", {}, get_url=f"/admin/results/{sid}")
    html = a.get(f"/admin/results/{sid}/analysis?sort=facility&order=desc", headers=EN).get_data(as_text=True)
    assert "4 attempts" in html and 'aria-sort="descending"' in html
    facility = [float(r[4]) for r in _rows(html, "P1")]
    assert len(facility) >= 10 and facility == sorted(facility, reverse=True)
    html = a.get(f"/admin/results/{sid}/analysis?sort=facility", headers=EN).get_data(as_text=True)
    facility = [float(r[4]) for r in _rows(html, "P1")]
    assert facility == sorted(facility)
    html = a.get(f"/admin/results/{sid}/analysis?sort=discrimination&order=desc", headers=EN).get_data(as_text=True)
    cells = [r[5] for r in _rows(html, "P1")]
    known = [float(c) for c in cells if c != "–"]
    assert known == sorted(known, reverse=True) and cells == [*cells[:len(known)], *["–"] * (len(cells) - len(known))]
    html = a.get(f"/admin/results/{sid}/analysis?module=L1-ETH", headers=EN).get_data(as_text=True)
    assert {r[2] for r in _rows(html, "P1")} == {"L1-ETH"}
    html = a.get(f"/admin/results/{sid}/analysis?module=nope&sort=<x>&dif=Z", headers=EN)
    assert html.status_code == 200 and "No item matches the filter." in html.get_data(as_text=True)
    # A voided result (misconduct) is not evidence about the items: 3 attempts remain.
    r = post_form(a, f"/admin/results/{sid}/misconduct", {"registration_id": regs[1], "ban_years": 2,
                                                          "evidence": "notes found"},
                  get_url=f"/admin/results/{sid}")
    assert r.status_code == 302
    html = a.get(f"/admin/results/{sid}/analysis", headers=EN).get_data(as_text=True)
    assert "3 attempts" in html and "4 attempts" not in html


def test_level_two_gets_a_reliability_and_a_direction_table(tmp_path) -> None:  # type: ignore[no-untyped-def]
    app = banked_app(tmp_path)
    sid = make_sitting(app, L2_SMALL, "2026 二级")
    # 30 candidates: enough takers of each written item for a variance (domain/reliability.py).
    for strategy in (RIGHT, ETH_WRONG, NON_ETH_WRONG) * 10:
        u = candidate(app, locale="en")
        sit(app, u, enrol(app, u, sid, "AI"), strategy)
    with app.app_context():
        sitting = db.session().get(Sitting, sid)
        (rep,) = results_analysis.analyse_sitting(db.session(), sitting)
    # Issue 21: "at level 2 reliability is '–' on every paper" (the unmarked written answers and the
    # direction items not on every form left fewer than two items every candidate had).
    assert rep.analysis.form.alpha is not None
    assert [d for d, _s in rep.directions] == ["AI"] and rep.directions[0][1].n == 30
    assert not rep.small and rep.analysis.form.method == "alpha (random forms)"
    html = _client(app, staff(app, Role.ADMIN)).get(f"/admin/results/{sid}/analysis", headers=EN)
    assert "By direction" in html.get_data(as_text=True) and "Artificial intelligence" in html.get_data(as_text=True)
