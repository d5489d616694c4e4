"""Payment files a bank takes (issue 23): pain.001 against the official XSD, the Chinese bank template read
back as a bank would, card checks before a batch, per-line status, returns, corrections and reconciliation.

The XSD is the one the sepaxml package ships (a [test] extra): read from the installed package, never
copied into the repository and never fetched.
"""

from __future__ import annotations

import csv
import io
import itertools
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from importlib import resources
from pathlib import Path

import pytest
from flask import Flask
from lxml import etree
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from certexam import db
from certexam.errors import Forbidden, UserError
from certexam.models import BonusApplication, BudgetYear, Grant, Payout, Role, User
from certexam.models.bonus import ApplicationStatus, GrantStatus, PayoutStatus
from certexam.services.accounts import users as accounts
from certexam.services.bonus import applications as bonus_applications
from certexam.services.bonus import budget as bonus_budget
from certexam.services.bonus import notice as bonus_notice
from certexam.services.bonus import payouts as bonus_payouts
from certexam.services.bonus.payfiles import exports, lines, statement
from certexam.services.bonus.payfiles.pain001 import NS
from tests.factories import PASSWORD
from tests.integration.test_bonus_services import (
    AFTER_NOTICE,
    NOW,
    D,
    eligible_holder,
    fast_passwords,  # noqa: F401  (an autouse fixture: cheap password hashing)
    fresh_app,
    sqlite_template,  # noqa: F401  (a fixture: the migrated database each test copies)
    status_of,
)

PAYER = {"BONUS_PAYER_NAME": "深圳市地方金融管理局专项资金账户", "BONUS_PAYER_ACCOUNT": "755912345610801",
         "BONUS_PAYER_BANK_CODE": "308", "BONUS_PAYER_CNAPS": "308584000013"}
CMB = ("招商银行深圳分行", "6225 8812 3456 7898", "card", "")  # the paying bank: no CNAPS needed
ICBC = ("中国工商银行深圳福田支行", "6212264000000000006", "card", "102584002014")
ABC_ACCOUNT = ("中国农业银行深圳分行", "41000500040012345", "account", "103584000018")
LATER = AFTER_NOTICE + timedelta(days=2)  # Friday 4 December


@pytest.fixture
def app(tmp_path: Path, sqlite_template: Path) -> Iterator[Flask]:  # noqa: F811
    application = fresh_app(tmp_path, sqlite_template, **PAYER)
    yield application
    application.extensions["certexam.engine"].dispose()


_officers = itertools.count(1)


def officer(app: Flask, *roles: Role) -> User:
    """A staff account with exactly these roles (issue 19.6)."""
    with app.app_context():
        return accounts.create_staff_account(None, f"officer{next(_officers)}@payfiles.example.com", PASSWORD,
                                             frozenset(roles), "职员", "Staff")


@pytest.fixture
def admin(app: Flask) -> User:
    """The bonus checker and approver: puts the applications through to the notice."""
    return officer(app, Role.BONUS_CHECKER, Role.BONUS_APPROVER)


@pytest.fixture
def maker(app: Flask) -> User:
    """The payment officer who makes batches (not the one who approved their applications)."""
    return officer(app, Role.PAYMENT_OFFICER)


@pytest.fixture
def checker(app: Flask) -> User:
    """A second payment officer, who records what the bank did (maker/checker)."""
    return officer(app, Role.PAYMENT_OFFICER)


def funded(app: Flask, admin: User, *people: tuple[str, tuple[str, str, str, str]]) -> list[int]:
    """Holders with these names and bank details, approved and funded; their application ids."""
    ids = []
    for name, (bank, account, kind, cnaps) in people:
        user = eligible_holder(app, name_zh=name)
        with app.app_context():
            data = bonus_applications.ApplyInput(True, True, bank, account, kind, cnaps)
            app_id = bonus_applications.apply(user, data, now=NOW).id
            bonus_applications.check(admin, app_id, True, "", now=NOW)
            bonus_notice.review(admin, app_id, True, "", now=NOW)
        ids.append(app_id)
    with app.app_context():
        assert [o.result for o in bonus_notice.close_ended_notices(now=AFTER_NOTICE)] == ["approved"] * len(ids)
    return ids


def xsd() -> etree.XMLSchema:
    path = resources.files("sepaxml") / "schemas" / "pain.001.001.09.xsd"
    return etree.XMLSchema(etree.parse(str(path)))


def line_refs(app: Flask, batch_id: int) -> dict[str, str]:
    """Holder's name -> the line's reference, for a batch."""
    with app.app_context():
        batch = bonus_payouts.get_batch(batch_id)
        return {p.holder.name_zh: p.end_to_end_id for p in batch.payouts}


def statement_csv(*rows: tuple[str, str, str, str, str], header: str = "reference,amount,status,date,reason",
                  encoding: str = "utf-8") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header.split(","))
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


# --- pain.001 -----------------------------------------------------------------------------------------


def test_pain001_validates_against_the_official_xsd(app: Flask, admin: User, maker: User) -> None:
    funded(app, admin, ("陈美玲", CMB), ("王小明", ICBC), ("李华", ABC_ACCOUNT))
    with app.app_context():
        batch = bonus_payouts.create_batch(maker, now=AFTER_NOTICE)
        data = exports.pain001_file(batch, now=AFTER_NOTICE)
    doc = etree.fromstring(data)
    schema = xsd()
    assert schema.validate(doc), schema.error_log
    ns = {"p": NS}
    assert doc.findtext("p:CstmrCdtTrfInitn/p:GrpHdr/p:NbOfTxs", namespaces=ns) == "3"
    assert doc.findtext("p:CstmrCdtTrfInitn/p:GrpHdr/p:CtrlSum", namespaces=ns) == "30000.00"
    assert doc.findtext(".//p:PmtInf/p:ReqdExctnDt/p:Dt", namespaces=ns) == "2026-12-02"
    txs = doc.findall(".//p:CdtTrfTxInf", namespaces=ns)
    by_name = {t.findtext("p:Cdtr/p:Nm", namespaces=ns): t for t in txs}
    icbc = by_name["王小明"]
    assert icbc.findtext("p:CdtrAcct/p:Id/p:Othr/p:Id", namespaces=ns) == "6212264000000000006"
    assert icbc.findtext("p:CdtrAgt/p:FinInstnId/p:ClrSysMmbId/p:MmbId", namespaces=ns) == "102584002014"
    assert icbc.find("p:Amt/p:InstdAmt", namespaces=ns).attrib["Ccy"] == "CNY"  # type: ignore[union-attr]
    assert by_name["陈美玲"].findtext("p:CdtrAgt/p:FinInstnId/p:Othr/p:Id", namespaces=ns) == "NOTPROVIDED"
    assert {t.findtext("p:PmtId/p:EndToEndId", namespaces=ns) for t in txs} == set(line_refs(app, batch.id).values())
    # The schema is a real check: the same file without its message id is refused.
    header = doc.find("p:CstmrCdtTrfInitn/p:GrpHdr", namespaces=ns)
    assert header is not None
    header.remove(header.find("p:MsgId", namespaces=ns))
    assert not schema.validate(doc)


def test_pain001_needs_the_paying_account(tmp_path: Path, sqlite_template: Path) -> None:  # noqa: F811
    app = fresh_app(tmp_path, sqlite_template)  # no BONUS_PAYER_ACCOUNT
    admin, maker = officer(app, Role.BONUS_CHECKER, Role.BONUS_APPROVER), officer(app, Role.PAYMENT_OFFICER)
    funded(app, admin, ("陈美玲", CMB))
    with app.app_context():
        batch = bonus_payouts.create_batch(maker, now=AFTER_NOTICE)
        with pytest.raises(UserError, match="BONUS_PAYER_ACCOUNT"):
            exports.pain001_file(batch, now=AFTER_NOTICE)
    app.extensions["certexam.engine"].dispose()


# --- the Chinese bank template --------------------------------------------------------------------------


def read_as_a_bank(data: bytes, encoding: str) -> tuple[int, int, list[dict[str, str]]]:
    """Decode with the agreed codec, read the control total and the lines, add up in fen."""
    rows = list(csv.reader(io.StringIO(data.decode(encoding, errors="strict"))))
    (count_label, count), (total_label, total), header, *body = rows
    assert (count_label, total_label) == ("总笔数", "总金额")
    lines_ = [dict(zip(header, row, strict=True)) for row in body]
    total_fen = int(Decimal(total) * 100)
    return int(count), total_fen, lines_


@pytest.mark.parametrize("encoding", ["gbk", "utf-8"])
def test_cn_template_round_trips_as_a_bank_reads_it(tmp_path: Path, sqlite_template: Path,  # noqa: F811
                                                    encoding: str) -> None:
    app = fresh_app(tmp_path, sqlite_template, BONUS_CN_TEMPLATE_ENCODING=encoding, **PAYER)
    admin, maker = officer(app, Role.BONUS_CHECKER, Role.BONUS_APPROVER), officer(app, Role.PAYMENT_OFFICER)
    funded(app, admin, ("陈美玲", CMB), ("王小明", ICBC), ("欧阳明华", ABC_ACCOUNT))
    with app.app_context():
        batch = bonus_payouts.create_batch(maker, now=AFTER_NOTICE)
        data = exports.cn_template_file(batch)
    if encoding == "gbk":
        with pytest.raises(UnicodeDecodeError):
            data.decode("utf-8")  # really GBK, not UTF-8 that happens to decode
    count, total_fen, rows = read_as_a_bank(data, encoding)
    assert count == len(rows) == 3
    assert total_fen == sum(int(Decimal(r["金额(元)"]) * 100) for r in rows) == 3_000_000
    by_name = {r["收款人户名"]: r for r in rows}
    assert by_name["陈美玲"]["收款人账号"] == "6225881234567898"
    assert (by_name["陈美玲"]["本行/他行"], by_name["陈美玲"]["收款行联行号"]) == ("本行", "")
    assert (by_name["王小明"]["本行/他行"], by_name["王小明"]["收款行联行号"]) == ("他行", "102584002014")
    assert by_name["欧阳明华"]["收款行名称"] == "中国农业银行深圳分行"
    assert set(r["备注"] for r in rows) == set(line_refs(app, batch.id).values())
    assert [r["序号"] for r in rows] == ["1", "2", "3"]
    app.extensions["certexam.engine"].dispose()


def test_cn_template_columns_are_a_setting_and_gbk_names_what_it_cannot_write(tmp_path: Path,
                                                                               sqlite_template: Path) -> None:  # noqa: F811
    columns = [("账号", "account"), ("户名", "payee_name"), ("金额", "amount"), ("业务编号", "application")]
    app = fresh_app(tmp_path, sqlite_template, BONUS_CN_TEMPLATE_COLUMNS=columns, **PAYER)
    admin, maker = officer(app, Role.BONUS_CHECKER, Role.BONUS_APPROVER), officer(app, Role.PAYMENT_OFFICER)
    [app_id] = funded(app, admin, ("吉𠮷", ICBC))  # 𠮷 (U+20BB7) is outside GBK
    with app.app_context():
        batch = bonus_payouts.create_batch(maker, now=AFTER_NOTICE)
        reference = db.session().get(BonusApplication, app_id).reference  # type: ignore[union-attr]
        with pytest.raises(UserError, match=reference):
            exports.cn_template_file(batch)
        app.config["BONUS_CN_TEMPLATE_ENCODING"] = "utf-8"
        count, total_fen, rows = read_as_a_bank(exports.cn_template_file(batch), "utf-8")
        app.config["BONUS_CN_TEMPLATE_COLUMNS"] = [("账号", "no_such_field")]
        with pytest.raises(ValueError, match="no_such_field"):
            exports.cn_template_file(batch)
    assert (count, total_fen) == (1, 1_000_000)
    assert rows == [{"账号": "6212264000000000006", "户名": "吉𠮷", "金额": "10000.00", "业务编号": reference}]
    app.extensions["certexam.engine"].dispose()


# --- card and account checks -----------------------------------------------------------------------------


@pytest.mark.parametrize("account, kind, cnaps, field", [
    ("6225 8812 3456 7890", "card", "", "bank_account"),  # Luhn
    ("62258812345678", "card", "", "bank_account"),  # 14 digits: not a card
    ("41000500040012345", "card", "", "bank_account"),  # an account number typed as a card fails Luhn
    ("12345", "account", "", "bank_account"),
    ("6225881234567898", "cheque", "", "bank_account_kind"),
    ("6225881234567898", "card", "10258400201", "bank_cnaps"),  # 11 digits
])
def test_the_application_form_checks_numbers(app: Flask, account: str, kind: str, cnaps: str, field: str) -> None:
    user = eligible_holder(app)
    with app.app_context(), pytest.raises(UserError) as err:
        bonus_applications.apply(user, bonus_applications.ApplyInput(True, True, "银行", account, kind, cnaps),
                                 now=NOW)
    assert err.value.field == field


def test_no_batch_while_a_stored_card_number_is_wrong_and_the_error_names_the_application(
        app: Flask, admin: User, maker: User) -> None:
    good, bad = funded(app, admin, ("陈美玲", CMB), ("王小明", ICBC))
    with app.app_context():
        # Typed before the checks existed (issue 23: "3 invalid ones were accepted").
        db.session().execute(update(BonusApplication).where(BonusApplication.id == bad)
                             .values(bank_account="6212264000000000009"))
        db.session().commit()
        reference = db.session().get(BonusApplication, bad).reference  # type: ignore[union-attr]
        with pytest.raises(UserError) as err:
            bonus_payouts.create_batch(maker, now=AFTER_NOTICE)
        assert reference in err.value.message and "王小明" in err.value.message and "Luhn" in err.value.message
        assert db.session().scalars(select(Payout)).all() == []
        found = db.session().get(BonusApplication, bad)
        assert found is not None
        assert bonus_applications.checklist(found)[1].ok is False  # "Bank account given"


# --- per-line status, returns, reconciliation --------------------------------------------------------------


def test_a_returned_line_is_corrected_and_paid_in_a_second_batch(app: Flask, admin: User, maker: User,
                                                                  checker: User) -> None:
    """Issue 23, done when: a statement with one returned line marks it returned, and the re-sent line is paid
    in a second batch; the budget counts the bonus once throughout."""
    a, b, c = funded(app, admin, ("陈美玲", CMB), ("王小明", ICBC), ("李华", ABC_ACCOUNT))
    with app.app_context():
        first = bonus_payouts.create_batch(maker, now=AFTER_NOTICE).id
    refs = line_refs(app, first)
    data = statement_csv((refs["陈美玲"], "10000.00", "paid", "2026-12-03", ""),
                         (refs["王小明"], "10,000.00", "returned", "2026-12-03", "户名与账号不符"),
                         (refs["李华"], "9999.00", "paid", "2026-12-03", ""),  # wrong amount
                         ("CXBP9999999999", "10000.00", "paid", "2026-12-03", ""))  # not ours
    with app.app_context():
        report = statement.reconcile(checker, statement.parse(data), "stmt1.csv", now=LATER)
        assert (report.paid, report.returned) == ([refs["陈美玲"]], [refs["王小明"]])
        assert [(n, ref) for n, ref, _why in report.mismatches] == [(4, refs["李华"]), (5, "CXBP9999999999")]
        assert report.mismatches[0][2] != report.mismatches[1][2]  # a different amount, an unknown reference
        assert bonus_payouts.ready_grants() == []  # the returned one waits for corrected details
        with pytest.raises(UserError):  # "No funded bonus is waiting for payment."
            bonus_payouts.create_batch(maker, now=LATER)
        # Importing the same statement again changes nothing.
        again = statement.reconcile(checker, statement.parse(data), "stmt1.csv", now=LATER)
        assert (again.paid, again.returned, len(again.already)) == ([], [], 2)
        # A returned line is not paid by a later line of a statement either.
        late = statement.reconcile(checker, statement.parse(statement_csv(
            (refs["王小明"], "10000.00", "paid", "2026-12-04", ""))), "late.csv", now=LATER)
        assert late.paid == [] and len(late.mismatches) == 1
    assert status_of(app, a) == ApplicationStatus.PAID
    assert status_of(app, b) == ApplicationStatus.APPROVED
    assert status_of(app, c) == ApplicationStatus.APPROVED  # still sent
    with app.app_context():
        [returned] = lines.returned_lines()
        assert returned.return_reason == "户名与账号不符" and returned.settled_on == D(2026, 12, 3)
        with pytest.raises(UserError) as err:
            lines.correct_returned(checker, returned.id, "中国工商银行深圳福田支行", "6212264000000000009", "card",
                                   "102584002014", now=LATER)
        assert err.value.field == "bank_account"
        lines.correct_returned(checker, returned.id, "中国建设银行深圳分行", "6217003320000000003", "card",
                               "105584000005", now=LATER)
        assert [g.application_id for g in bonus_payouts.ready_grants()] == [b]
        second = bonus_payouts.create_batch(maker, now=LATER)
        assert (second.count, second.total_fen) == (1, 1_000_000)
        assert second.payouts[0].bank_account == "6217003320000000003"
        assert xsd().validate(etree.fromstring(exports.pain001_file(second, now=LATER)))
        second_ref = second.payouts[0].end_to_end_id
        assert second_ref != refs["王小明"]
        report = statement.reconcile(checker, statement.parse(statement_csv(
            (second_ref, "10000.00", "成功", "20261204", ""), (refs["李华"], "10000.00", "paid", "2026-12-04", ""),
            header="备注,金额,状态,日期,原因", encoding="gbk")), "stmt2.csv", now=LATER)
        assert sorted(report.paid) == sorted([second_ref, refs["李华"]]) and report.mismatches == []
        grant = db.session().scalar(select(Grant).where(Grant.application_id == b))
        assert grant is not None and grant.status == GrantStatus.PAID
        assert [p.status for p in grant.payouts] == [PayoutStatus.RETURNED, PayoutStatus.PAID]
        # The budget: three bonuses committed once each and, in the end, three paid.
        year = db.session().get(BudgetYear, 2026)
        assert year is not None and year.committed_fen == 3_000_000
        [line] = [y for y in bonus_budget.overview(now=LATER).years if y.year == 2026]
        assert (line.committed_fen, line.paid_fen) == (3_000_000, 3_000_000)
    assert {status_of(app, i) for i in (a, b, c)} == {ApplicationStatus.PAID}


def test_the_database_refuses_a_second_live_line_for_a_grant(app: Flask, admin: User, maker: User) -> None:
    funded(app, admin, ("陈美玲", CMB))
    with app.app_context():
        batch = bonus_payouts.create_batch(maker, now=AFTER_NOTICE)
        sess = db.session()
        line = batch.payouts[0]
        sess.add(Payout(batch_id=batch.id, grant_id=line.grant_id, user_id=line.user_id, amount_fen=1,
                        bank_name="x", bank_account="123456789012", status=PayoutStatus.SENT))
        with pytest.raises(IntegrityError):
            sess.commit()
        sess.rollback()


def test_line_outcomes_one_at_a_time_and_a_whole_batch_marked_paid_skips_returned_lines(
        app: Flask, admin: User, maker: User, checker: User) -> None:
    a, b = funded(app, admin, ("陈美玲", CMB), ("王小明", ICBC))
    with app.app_context():
        batch = bonus_payouts.create_batch(maker, now=AFTER_NOTICE)
        pa, pb = batch.payouts
        with pytest.raises(UserError) as err:
            lines.record_outcome(checker, pb.id, "returned", D(2026, 12, 3), " ", now=LATER)
        assert err.value.field == "reason"
        with pytest.raises(UserError):
            lines.record_outcome(checker, pb.id, "returned", D(2026, 12, 5), "账户已销户", now=LATER)  # future
        with pytest.raises(UserError):
            lines.record_outcome(checker, pb.id, "lost", D(2026, 12, 3), "", now=LATER)
        lines.record_outcome(checker, pb.id, "returned", D(2026, 12, 3), "账户已销户", now=LATER)
        bonus_payouts.mark_paid(checker, batch.id, "CMB-1", D(2026, 12, 3), now=LATER)
        statuses = {p.grant.application_id: p.status for p in bonus_payouts.get_batch(batch.id).payouts}
    assert statuses == {a: PayoutStatus.PAID, b: PayoutStatus.RETURNED}
    assert (status_of(app, a), status_of(app, b)) == (ApplicationStatus.PAID, ApplicationStatus.APPROVED)


def test_a_statement_that_cannot_be_read_records_nothing(app: Flask, admin: User, maker: User) -> None:
    funded(app, admin, ("陈美玲", CMB))
    with app.app_context():
        batch = bonus_payouts.create_batch(maker, now=AFTER_NOTICE)
        ref = batch.payouts[0].end_to_end_id
    for data in (statement_csv((ref, "10000.00", "paid", "2026-12-03", ""), ("", "1", "paid", "2026-12-03", "")),
                 statement_csv((ref, "ten", "paid", "2026-12-03", "")),
                 statement_csv((ref, "10000.00", "paid", "2026-13-03", "")),
                 b"reference,amount\r\nx,1\r\n", b"\xff\xfe\x00garbage\x81"):
        with app.app_context(), pytest.raises(UserError):
            statement.parse(data)
    assert statement.amount_fen("10000.5") == 1_000_050 and statement.amount_fen("1.234") is None


def test_cli_exports_each_format_reconciles_and_corrects(app: Flask, admin: User, tmp_path: Path) -> None:
    funded(app, admin, ("陈美玲", CMB), ("王小明", ICBC))
    app.config["CLOCK"] = lambda: LATER
    runner = app.test_cli_runner()
    xml, cn = tmp_path / "b.xml", tmp_path / "b.csv"
    result = runner.invoke(args=["bonus", "export-batch", "-o", str(xml), "--format", "pain001"])
    assert result.exit_code == 0, result.output
    assert xsd().validate(etree.parse(str(xml)))
    result = runner.invoke(args=["bonus", "export-batch", "-o", str(cn), "--batch", "1", "--format", "cn"])
    assert result.exit_code == 0 and read_as_a_bank(cn.read_bytes(), "gbk")[:2] == (2, 2_000_000)
    refs = line_refs(app, 1)
    stmt = tmp_path / "stmt.csv"
    stmt.write_bytes(statement_csv((refs["陈美玲"], "10000.00", "paid", "2026-12-04", ""),
                                   (refs["王小明"], "10000.00", "returned", "2026-12-04", "户名不符"),
                                   ("CXBP0000000099", "1.00", "paid", "2026-12-04", "")))
    result = runner.invoke(args=["bonus", "reconcile", str(stmt)])
    assert result.exit_code == 1 and "1 paid, 1 returned" in result.output and "CXBP0000000099" in result.output
    line_id = int(refs["王小明"][4:])
    result = runner.invoke(args=["bonus", "correct-line", str(line_id), "--bank-name", "建设银行",
                                 "--account", "6217003320000000004"])
    assert result.exit_code == 1 and "Luhn" in result.output
    result = runner.invoke(args=["bonus", "correct-line", str(line_id), "--bank-name", "建设银行",
                                 "--account", "6217003320000000003", "--cnaps", "105584000005"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["bonus", "export-batch", "-o", str(cn), "--format", "cn"])
    assert result.exit_code == 0 and "Batch 2: 1 payment(s)" in result.output


def test_the_batch_maker_cannot_record_its_payment(app: Flask, admin: User, maker: User) -> None:
    """Maker and checker (issue 23; the rule is services/bonus/duties.py): whoever made the batch records
    neither a line's outcome nor a statement's lines for it; the statement lists them instead."""
    funded(app, admin, ("陈美玲", CMB))
    with app.app_context():
        with pytest.raises(Forbidden):
            bonus_payouts.create_batch(admin, now=AFTER_NOTICE)  # not a payment officer, and approved it
        batch = bonus_payouts.create_batch(maker, now=AFTER_NOTICE)
        line = batch.payouts[0]
        with pytest.raises(Forbidden):
            lines.record_outcome(maker, line.id, "paid", D(2026, 12, 3), now=LATER)
        report = statement.reconcile(maker, statement.parse(statement_csv(
            (line.end_to_end_id, "10000.00", "paid", "2026-12-03", ""))), "s.csv", now=LATER)
        assert report.paid == [] and len(report.mismatches) == 1
        assert bonus_payouts.get_batch(batch.id).payouts[0].status == PayoutStatus.SENT
