"""The result page states how the ethics correct rate is counted (issue 18: "state the rule on the result page")."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from certexam import db
from certexam.models import Result, Role
from certexam.services.results import release as results
from tests.factories import candidate, release_by_two, sign_in, staff
from tests.integration.test_results_service import ETH_WRONG, L1_SMALL, banked_app, enrol, make_sitting, sit


@pytest.mark.parametrize(("language", "says"), [
    ("en", "The correct rate counts questions, not points: every ethics question weighs the same"),
    ("zh_Hans", "正确率按题目计算，而非按分数：每道伦理题权重相同"),
    ("zh_Hant", "正確率按題目計算，而非按分數：每道倫理題權重相同"),
    ("pt", "A taxa conta questões, não pontos"),
])
def test_the_result_page_states_the_ethics_rule(tmp_path, language: str, says: str) -> None:  # type: ignore[no-untyped-def]
    app = banked_app(tmp_path)
    sid = make_sitting(app, L1_SMALL)
    admin = staff(app, Role.ADMIN)
    user = candidate(app, locale=language)
    reg = enrol(app, user, sid)
    sit(app, user, reg, ETH_WRONG)
    with app.app_context():
        results.compute(admin, sid)
        release_by_two(admin, sid)
        rid = db.session().scalar(select(Result.id).where(Result.registration_id == reg))
    client = app.test_client()
    sign_in(client, user.email)
    html = client.get(f"/results/{rid}", headers={"Accept-Language": language}).get_data(as_text=True)
    assert 'id="ethics-rule"' in html and says in html
    app.extensions["certexam.engine"].dispose()
