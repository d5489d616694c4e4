"""Statistics pages and their CSV downloads (issue 23), on the seeded programme of tests/statistics_programme.py."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from certexam.models import Role
from tests.factories import candidate, sign_in, staff
from tests.integration.test_bonus_services import fast_passwords, fresh_app, sqlite_template  # noqa: F401
from tests.statistics_programme import CONFIG, INSTITUTION, SEEDED_AT, Seeded, seed

EN = {"Accept-Language": "en"}


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Iterator[tuple[Flask, Seeded]]:  # noqa: F811
    """One seeded programme for the module: every test here only reads."""
    from argon2 import PasswordHasher

    from certexam.services.accounts import passwords

    hasher, passwords._hasher = passwords._hasher, PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    try:
        app = fresh_app(tmp_path_factory.mktemp("statistics"), sqlite_template, CLOCK=lambda: SEEDED_AT, **CONFIG)
        yield app, seed(app)
    finally:
        passwords._hasher = hasher
    app.extensions["certexam.engine"].dispose()


def _csv(resp: object) -> list[list[str]]:
    body: bytes = resp.data  # type: ignore[attr-defined]
    assert body.startswith(b"\xef\xbb\xbf")  # the BOM: Excel reads the file as UTF-8
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def _admin_client(app: Flask, seeded_: Seeded) -> FlaskClient:
    client = app.test_client()
    sign_in(client, seeded_.admin.email)
    return client


def test_public_csv_downloads_withhold_small_cells(seeded: tuple[Flask, Seeded]) -> None:
    app, _ = seeded
    client = app.test_client()
    resp = client.get("/statistics/years.csv", headers=EN)
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    assert 'filename="public-statistics-years.csv"' in resp.headers["Content-Disposition"]
    assert _csv(resp) == [["Year", "Level 1", "Level 2", "Total"],
                          ["2022", "0", "<5", "<5"],  # 3 earlier level-2 holders
                          ["2025", "10", "0", "10"],
                          ["2026", "0", "–", "–"],  # 5, withheld: 8 - 0 - 5 would give the 3 away
                          ["Total", "10", "8", "18"]]
    assert _csv(client.get("/statistics/directions.csv", headers=EN)) == [
        ["Direction", "Certificates"], ["Artificial intelligence", "–"], ["Big data", "<5"], ["Total", "8"]]
    assert _csv(client.get("/statistics/sittings.csv", headers=EN)) == [
        ["Sitting", "Certificates"], ["2025 春季一级 (level 1)", "7"], ["2025 秋季一级 (level 1)", "<5"],
        ["2025 二级 (level 2)", "5"], ["Passes recorded without a sitting", "<5"], ["Total", "18"]]
    assert _csv(client.get("/statistics/sectors.csv", headers=EN)) == [
        ["Employer sector", "Level 1", "Level 2"], ["Financial institution", "5", "–"],
        ["FinTech enterprise", "<5", "0"], ["No confirmed employer", "<5", "<5"], ["Total", "10", "8"]]
    rates = _csv(client.get("/statistics/pass-rates.csv", headers=EN))
    assert rates == [["Sitting", "Candidates with a result", "Passed", "Failed", "Pass rate"],
                     ["2025 春季一级 (level 1)", "12", "7", "5", "58.3"],
                     ["2025 秋季一级 (level 1)", "8", "<5", "–", "–"],  # 3 passed; the void one is not shown
                     ["2025 二级 (level 2)", "10", "5", "5", "50.0"]]
    levels = _csv(client.get("/statistics/levels.csv", headers=EN))
    assert levels[1:] == [["Level 1", "10", "1709"], ["Level 2", "8", "75"],
                          ["Persons holding a certificate", "13", "1784"]]


def test_staff_csv_downloads_are_exact_and_include_money(seeded: tuple[Flask, Seeded]) -> None:
    app, s = seeded
    client = _admin_client(app, s)
    years = _csv(client.get("/admin/statistics/years.csv", headers=EN))
    assert years[1:] == [["2022", "0", "3", "3"], ["2025", "10", "0", "10"], ["2026", "0", "5", "5"],
                         ["Total", "10", "8", "18"]]
    rates = _csv(client.get("/admin/statistics/pass-rates.csv", headers=EN))
    assert rates[2] == ["2025 秋季一级 (level 1)", "8", "3", "5", "1", "37.5"]
    bonus = _csv(client.get("/admin/statistics/bonus.csv", headers=EN))
    assert bonus == [["Year", "Cap (RMB)", "Committed (RMB)", "Paid (RMB)", "Remaining (RMB)"],
                     ["2026", "20000.00", "20000.00", "0.00", "0.00"]]
    assert _csv(client.get("/admin/statistics/queue.csv", headers=EN))[1] == ["1", "10000.00"]
    progress = _csv(client.get("/admin/statistics/progress.csv", headers=EN))
    assert progress[1:] == [["2022", "3", "3", "0.1"], ["2023", "0", "3", "0.1"], ["2024", "0", "3", "0.1"],
                            ["2025", "10", "13", "0.4"]]
    modules = _csv(client.get("/admin/statistics/modules.csv", headers=EN))
    assert ["2025 春季一级 (level 1)", "L1-ETH", "12", "64.6"] in modules  # (7 x 3/4 + 5 x 1/2) / 12
    assert client.get("/admin/statistics/nothing.csv").status_code == 404
    assert app.test_client().get("/statistics/bonus.csv").status_code == 404  # money is not on the public page


def test_a_formula_in_a_sitting_name_is_not_run_by_a_spreadsheet() -> None:
    from certexam.statistics.tables import Cell, plain

    assert plain(Cell("=HYPERLINK(\"http://x\")", "text")) == "'=HYPERLINK(\"http://x\")"
    assert plain(Cell("2025 春季一级", "text")) == "2025 春季一级"


def test_staff_page_is_for_the_officers_it_counts_for_and_the_auditor(seeded: tuple[Flask, Seeded]) -> None:
    app, s = seeded
    anonymous = app.test_client()
    resp = anonymous.get("/admin/statistics/")
    assert resp.status_code == 302 and "/auth/sign-in" in resp.headers["Location"]
    assert anonymous.get("/admin/statistics/years.csv").status_code == 302
    # the system administrator as such has no duty here (issue 19.6): accounts and keys only
    for user in (candidate(app), staff(app, Role.EMPLOYER), staff(app, Role.MARKER), staff(app, {Role.SYSTEM_ADMIN})):
        client = app.test_client()
        sign_in(client, user.email)
        assert client.get("/admin/statistics/").status_code == 403
        assert client.get("/admin/statistics/bonus.csv").status_code == 403
    for role in (Role.AUDITOR, Role.RESULTS_OFFICER, Role.CERTIFICATE_OFFICER, Role.BONUS_APPROVER):
        reader = app.test_client()
        sign_in(reader, staff(app, role).email)
        assert reader.get("/admin/statistics/").status_code == 200, role
        assert reader.get("/admin/statistics/bonus.csv").status_code == 200, role


def test_numbers_follow_the_page_language(seeded: tuple[Flask, Seeded]) -> None:
    app, s = seeded
    client = _admin_client(app, s)
    html = client.get("/admin/statistics/").get_data(as_text=True)  # the admin's language: simplified Chinese
    assert "3,000" in html and "1,784" in html
    public = app.test_client()
    pt = public.get("/statistics/", headers={"Accept-Language": "pt"}).get_data(as_text=True)
    assert "3\u00a0000" in pt and "1\u00a0784" in pt  # European/Macao Portuguese groups with a space
    assert "58,3%" in pt  # and writes a decimal comma
    en = public.get("/statistics/", headers=EN).get_data(as_text=True)
    assert "3,000" in en and "58.3%" in en and "&lt;5" in en


def test_public_page_shows_no_names(seeded: tuple[Flask, Seeded]) -> None:
    app, _ = seeded
    html = app.test_client().get("/statistics/", headers=EN).get_data(as_text=True)
    for name in ("Stat Person", "Li Bonus", "李奖励", "Wang Revoked", "深圳示范银行", INSTITUTION):
        assert name not in html
    assert "style=" not in html and "<script" not in html  # the CSP allows neither


SUBSIDIES = [["Measure", "Year", "Cap (RMB)", "Committed (RMB)", "Paid (RMB)", "Remaining (RMB)",
              "Share of the cap committed"],
             ["Training (item 24)", "2026", "150000.00", "100000.00", "0.00", "50000.00", "66.7"],
             ["Knowledge work (item 25)", "2026", "2000000.00", "25000.00", "25000.00", "1975000.00", "1.3"]]
SUBSIDY_QUEUE = [["Measure", "Subsidies waiting", "Amount waiting (RMB)"], ["Training (item 24)", "1", "60000.00"],
                 ["Knowledge work (item 25)", "0", "0.00"], ["Total", "1", "60000.00"]]


def test_subsidy_money_against_each_measures_cap_and_the_queue(seeded: tuple[Flask, Seeded]) -> None:
    """Rules s.4: each measure's committed and paid money against its own yearly cap, and the waiting queue,
    the same on the staff page and the public one (institutions are organisations; the figures are sums)."""
    app, s = seeded
    staff_client, public = _admin_client(app, s), app.test_client()
    for client, prefix in ((staff_client, "/admin/statistics"), (public, "/statistics")):
        assert _csv(client.get(f"{prefix}/subsidies.csv", headers=EN)) == SUBSIDIES
        assert _csv(client.get(f"{prefix}/subsidy-queue.csv", headers=EN)) == SUBSIDY_QUEUE
        html = client.get(f"{prefix}/", headers=EN).get_data(as_text=True)
        assert html.count('<svg class="chart"') == (3 if client is staff_client else 2) + 1  # + the holders chart
        for measure in ("training", "knowledge"):
            assert f'id="subsidy-chart-{measure}-title"' in html
        assert "RMB 150,000.00" in html and "RMB 60,000.00" in html  # the training cap, the queue
        assert "style=" not in html and "<script" not in html  # the CSP allows neither
        assert f'href="{prefix}/subsidies.csv"' in html
