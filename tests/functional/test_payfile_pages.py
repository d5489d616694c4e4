"""The bank-file admin pages (issue 23) through the test client: downloads, a return recorded and corrected,
a statement uploaded with its mismatches listed, bad input answered on the page (never a 500)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from lxml import etree

from certexam.models import Role
from tests.conftest import post_form
from tests.functional.test_bonus_pages import Clock, browser, text
from tests.integration.test_bonus_services import (  # noqa: F401  (fixtures used by name)
    AFTER_NOTICE,
    NOW,
    fast_passwords,
    fresh_app,
    sqlite_template,
)
from tests.integration.test_payfiles import CMB, ICBC, PAYER, funded, officer, statement_csv, xsd


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
def app(tmp_path: Path, sqlite_template: Path, clock: Clock) -> Iterator[Flask]:  # noqa: F811
    application = fresh_app(tmp_path, sqlite_template, CLOCK=clock, **PAYER)
    yield application
    application.extensions["certexam.engine"].dispose()


def test_files_lines_returns_and_statement_in_pages(app: Flask, clock: Clock) -> None:
    funded(app, officer(app, Role.BONUS_CHECKER, Role.BONUS_APPROVER), ("陈美玲", CMB), ("王小明", ICBC))
    clock.at = AFTER_NOTICE
    admin = browser(app, officer(app, Role.PAYMENT_OFFICER))  # makes the batches
    checker = browser(app, officer(app, Role.PAYMENT_OFFICER))  # records what the bank did (maker/checker)
    r = post_form(admin, "/admin/bonus/payouts", {}, follow_redirects=True)
    assert "Batch 1 is ready" in text(r)
    assert "/admin/bonus/payouts/1/file/pain001" in text(r) and "/admin/bonus/payouts/1/lines" in text(r)
    xml = admin.get("/admin/bonus/payouts/1/file/pain001")
    assert xml.status_code == 200 and xml.mimetype == "application/xml"
    assert "pain.001.001.09.xml" in xml.headers["Content-Disposition"]
    assert xsd().validate(etree.fromstring(xml.data))
    cn = admin.get("/admin/bonus/payouts/1/file/cn")
    assert cn.status_code == 200 and "总笔数,2" in cn.data.decode("gbk")
    assert admin.get("/admin/bonus/payouts/1/file/pdf").status_code == 404
    lines_page = text(admin.get("/admin/bonus/payouts/1/lines"))
    assert "CXBP0000000001" in lines_page and "6225881234567898" not in lines_page  # masked on screen
    clock.at = AFTER_NOTICE + timedelta(days=1)
    # A return without the bank's reason is refused on the page; with it, recorded.
    r = post_form(checker, "/admin/bonus/payouts/lines/2/outcome", {"outcome": "returned", "settled_on": "2026-12-03"},
                  get_url="/admin/bonus/payouts/1/lines", follow_redirects=True)
    assert r.status_code == 200 and "reason for the return" in text(r)
    r = post_form(checker, "/admin/bonus/payouts/lines/2/outcome",
                  {"outcome": "returned", "settled_on": "2026-12-03", "reason": "户名不符"},
                  get_url="/admin/bonus/payouts/1/lines", follow_redirects=True)
    assert "CXBP0000000002 is recorded" in text(r) and "户名不符" in text(r)
    r = post_form(checker, "/admin/bonus/payouts/lines/2/correct",
                  {"bank_name": "建设银行", "bank_account_kind": "card", "bank_account": "6217003320000000004"},
                  get_url="/admin/bonus/payouts/1/lines", follow_redirects=True)
    assert r.status_code == 200 and "Luhn" in text(r)
    r = post_form(checker, "/admin/bonus/payouts/lines/2/correct",
                  {"bank_name": "建设银行", "bank_account_kind": "card", "bank_account": "6217003320000000003",
                   "bank_cnaps": "105584000005"},
                  get_url="/admin/bonus/payouts/1/lines", follow_redirects=True)
    assert "goes into the next batch" in text(r)
    # The statement page: one line paid, one unknown; then a file it cannot read.
    data = statement_csv(("CXBP0000000001", "10000.00", "paid", "2026-12-03", ""),
                         ("CXBP0000000077", "10000.00", "paid", "2026-12-03", ""))
    r = post_form(checker, "/admin/bonus/payouts/statement", {"file": (io.BytesIO(data), "stmt.csv")},
                  content_type="multipart/form-data")
    page = text(r)
    assert r.status_code == 200 and "CXBP0000000077" in page and "No payment line has this reference." in page
    r = post_form(checker, "/admin/bonus/payouts/statement", {"file": (io.BytesIO(b"a,b\r\n1,2\r\n"), "x.csv")},
                  content_type="multipart/form-data")
    assert r.status_code == 200 and "lacks the column" in text(r)
    r = post_form(admin, "/admin/bonus/payouts", {}, follow_redirects=True)
    assert "Batch 2 is ready" in text(r)
    assert "Sent" in text(admin.get("/admin/bonus/payouts/2/lines"))
    assert "Paid" in text(checker.get("/admin/bonus/payouts/1/lines"))


def test_a_card_number_that_fails_luhn_is_refused_on_the_form(app: Flask) -> None:
    from tests.integration.test_bonus_services import eligible_holder

    client = browser(app, eligible_holder(app))
    r = post_form(client, "/bonus/apply", {"bank_name": "招商银行", "bank_account_kind": "card",
                                           "bank_account": "6225 8812 3456 7890", "no_same_kind_award": "y",
                                           "truthful": "y"})
    assert r.status_code == 200 and "check digit" in text(r)
    r = post_form(client, "/bonus/apply", {"bank_name": "招商银行", "bank_account_kind": "card",
                                           "bank_account": "6225 8812 3456 7898", "bank_cnaps": "12345",
                                           "no_same_kind_award": "y", "truthful": "y"})
    assert r.status_code == 200 and "12 digits" in text(r)
