"""The sitting page shows the spread of its forms' difficulty and warns before the exam (issue 21)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from certexam import db
from certexam.bankio import reader
from certexam.models import BankItem, BankItemVersion, Role
from certexam.services.bank import items as bank
from tests.conftest import make_app
from tests.exam_setup import BANK, open_sitting
from tests.factories import sign_in, staff

P1_MODULES = ("L1-ETH", "L1-STD", "L1-ECO")


def _import(app: Flask, strip_stats: bool) -> bank.ImportReport:
    """The shipped paper-1 modules, with or without their statistics lines."""
    sources = []
    for module in P1_MODULES:
        data = (BANK / "level1" / f"{module}.yaml").read_bytes()
        if strip_stats:
            data = re.sub(rb"\n    stats: \{[^}]*\}", b"", data)
        sources.append((f"{module}.yaml", data))
    with app.app_context():
        result = reader.read_files(sources)
        assert not result.errors
        return bank.import_items(result.items, None, approve=True)


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    application = make_app(Path(tmp_path_factory.mktemp("spread")))
    yield application
    application.extensions["certexam.engine"].dispose()


@pytest.fixture(scope="module")
def client(app: Flask) -> FlaskClient:
    c = app.test_client()
    c.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    sign_in(c, staff(app, Role.ADMIN).email)
    return c


def _section(client: FlaskClient, sitting_id: int) -> str:
    page = client.get(f"/admin/sittings/{sitting_id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    return html[html.index('id="form-difficulty"'):html.index("Registrations</h2>")]


def test_thin_statistics_warn_then_real_ones_balance(app: Flask, client: FlaskClient) -> None:
    # A bank without statistics: every item counts at the prior, and the page says so before the exam.
    assert _import(app, strip_stats=True).created == 61
    sitting_id = open_sitting(app)
    section = _section(client, sitting_id)
    assert "Before the exam" in section
    assert "Paper P1: 61 of 61 items rest on fewer than 100 responses or on none" in section
    assert "Paper P2 cannot be assembled" in section and "Paper P3 cannot be assembled" in section

    # The same items with their statistics: no new version, the statistics are stored on the version.
    report = _import(app, strip_stats=False)
    assert (report.created, report.updated, report.unchanged) == (0, 0, 61)
    with app.app_context():
        stored = db.session().execute(select(BankItemVersion.facility, BankItemVersion.facility_n)
                                      .join(BankItem, BankItem.approved_version_id == BankItemVersion.id)
                                      .where(BankItem.external_id == "L1-ETH-0001")).one()
    assert stored[0] is not None and stored[1] >= 180

    section = _section(client, sitting_id)
    assert "Paper P1:" not in section  # no warning about P1 any more
    row = re.search(r'<th scope="row">P1</th>\s*<td>100</td><td>([\d.]+)</td><td>([\d.]+)</td>\s*'
                    r"<td>([\d.]+)</td><td>± ([\d.]+)</td>\s*<td>0 / 61</td>", section)
    assert row, section
    lowest, highest, target, tolerance = map(float, row.groups())
    assert tolerance == 0.45 and target - tolerance - 0.01 <= lowest <= highest <= target + tolerance + 0.01  # shown rounded
    assert lowest < highest  # the sample varies
