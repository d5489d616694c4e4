"""Certificates follow results after release (issue 18.4; rule "a certificate tells the truth about its result").

Before: a key correction or an item void after release changed results but not certificates. A
holder turned from PASS to FAIL kept a certificate that verified VALID; one turned to PASS got
none until someone ran a command. Every kind of re-score is checked against the rule
(tests/certificate_invariant.py) on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from certexam import db
from certexam.crypto.keystore import PASSPHRASE_ENV
from certexam.domain import blueprint as bpr
from certexam.domain.items import Item
from certexam.domain.verdict import CertStatus, VerdictCode
from certexam.errors import Conflict
from certexam.models import Attempt, AuditEntry, Certificate, Result, Role, Sitting, User
from certexam.services.bank import items as bank
from certexam.services.certificates import admin as cert_admin
from certexam.services.certificates import keys
from certexam.services.certificates import verify as cert_verify
from certexam.services.platform import mail
from certexam.services.results import keys as results_keys
from certexam.services.results import marking, scoring_input
from certexam.services.results import recheck as results_recheck
from certexam.services.results import release as results
from tests.certificate_invariant import certificate_violations
from tests.conftest import make_app
from tests.exam_setup import load_bank
from tests.factories import candidate, release_by_two, staff
from tests.integration.test_results_service import Strategy, enrol, make_sitting, sit
from tests.shipped_bank import read_modules

PASSPHRASE = "test passphrase follow"
# Level 1, one fixed form for everyone (a correction touches all): 5 ethics, 3 + 2 others. The pass
# mark 2/3 lets one void turn 6/10 (a fail) into 6/9 (a pass).
L1 = bpr.Blueprint(1, (bpr.Paper("P1", "第一卷", "Paper 1", 60, (
    bpr.Section("L1-ETH", "single_choice", 5), bpr.Section("L1-STD", "single_choice", 3),
    bpr.Section("L1-ECO", "single_choice", 2))),), bpr.ScoringSettings("cut_score", Fraction(2, 3), Fraction(3, 5)))
# Level 2 on the cut-score rule, so that one re-marked ethics answer decides: 4 ethics choices, an
# ethics short answer and a skill question; ethics minimum 3/5 (five questions), pass mark 1/5.
L2 = bpr.Blueprint(2, (bpr.Paper("AM", "上午场", "Morning", 180, (
    bpr.Section("L2-ETH", "single_choice", 4), bpr.Section("L2-GEN", "single_choice", 2),
    bpr.Section("L2-ETH", "constructed", 1, subtype="short_answer"),
    bpr.Section(bpr.DIRECTION_MODULE, "constructed", 1, subtype="skill"))),),
    bpr.ScoringSettings("cut_score", Fraction(1, 5), Fraction(3, 5)))


@pytest.fixture
def app(tmp_path: Path, any_db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Flask]:
    """A migrated app with the level-1 P1 and level-2 ETH/GEN/AI banks and signing keys."""
    monkeypatch.setenv(PASSPHRASE_ENV, PASSPHRASE)
    application = make_app(tmp_path, any_db_url)
    load_bank(application)
    with application.app_context():
        read = read_modules(2, ("L2-ETH", "L2-GEN", "L2-AI"))
        assert not read.errors, read.errors[:3]
        bank.import_items(read.items, None, approve=True)
        keys.init_keys(None, datetime.now(UTC))
    yield application
    application.extensions["certexam.engine"].dispose()


def ethics_then(right: int, others: Strategy, correct_at: set[int] | None = None) -> Strategy:
    """Answer the ethics choices in form order: the ones numbered in correct_at (default the first
    `right`) right; everything else as `others` says."""
    seen = {"n": 0}
    wanted = correct_at if correct_at is not None else set(range(right))

    def strategy(item: Item) -> bool:
        if item.module.endswith("ETH") and item.type == "single_choice":
            seen["n"] += 1
            return seen["n"] - 1 in wanted
        return others(item)
    return strategy


@dataclass
class Scene:
    app: Flask
    admin: User
    sitting_id: int

    def check(self) -> None:
        """The rule, and what the public page says for every certificate of the sitting."""
        with self.app.app_context():
            sess = db.session()
            assert certificate_violations(sess, self.sitting_id) == []
            for cert in sess.scalars(select(Certificate).where(Certificate.sitting_id == self.sitting_id)):
                code = cert_verify.check_token(cert.token).code
                assert code == (VerdictCode.VALID if cert.status == CertStatus.VALID else VerdictCode(cert.status))

    def cert_of(self, user: User) -> Certificate | None:
        with self.app.app_context():
            return db.session().scalar(select(Certificate).where(Certificate.user_id == user.id,
                                                                 Certificate.replaced_by_id.is_(None)))

    def status(self, user: User) -> str:
        with self.app.app_context():
            row = db.session().scalar(select(Result).where(Result.user_id == user.id,
                                                           Result.sitting_id == self.sitting_id))
            assert row is not None
            return str(row.status)


def _mails(app: Flask, user: User) -> list[str]:
    with app.app_context():
        return [m.subject for m in mail.outbox() if m.to == user.email]


def _ethics_slot(app: Flask, user: User, attempt_kind: str = "single_choice", nth: int = 0) -> tuple[str, int, Item]:
    """The slot, version and item of a user's nth ethics item of a kind (the forms are fixed)."""
    with app.app_context():
        sess = db.session()
        att = sess.scalar(select(Attempt).where(Attempt.user_id == user.id))
        assert att is not None
        found = [(s, i) for s, i, _ in scoring_input.form_items(sess, att)
                 if i.module.endswith("ETH") and i.type == attempt_kind]
        slot, item = found[nth]
        return slot, json.loads(att.form)[int(slot) - 1]["v"], item


def test_key_corrections_and_voids_revoke_and_issue_certificates(app: Flask) -> None:
    sid = make_sitting(app, L1)
    with app.app_context():
        db.session().get(Sitting, sid).assembly_mode = "fixed"
        db.session().commit()
    admin = staff(app, Role.ADMIN)
    scene = Scene(app, admin, sid)
    std_right: Strategy = lambda item: item.module == "L1-STD"  # noqa: E731
    eco_first: dict[str, int] = {"n": 0}

    def one_eco(item: Item) -> bool:
        if item.module == "L1-ECO":
            eco_first["n"] += 1
            return eco_first["n"] % 2 == 1
        return item.module == "L1-STD"

    people = {name: candidate(app, locale="en") for name in ("edge", "short", "other_reason", "suspended")}
    regs = {name: enrol(app, u, sid) for name, u in people.items()}
    # edge: ethics 3/5 (items 3-5 right), 3 + 1 others: 7/10 pass. short: ethics 3/5, 3 + 0: 6/10 < 2/3, a fail.
    sit(app, people["edge"], regs["edge"], ethics_then(3, one_eco, {2, 3, 4}))
    sit(app, people["short"], regs["short"], ethics_then(3, std_right, {2, 3, 4}))
    sit(app, people["other_reason"], regs["other_reason"], ethics_then(5, one_eco))
    sit(app, people["suspended"], regs["suspended"], ethics_then(3, one_eco, {2, 3, 4}))
    with app.app_context():
        assert results.compute(admin, sid) == {"PASS": 3, "FAIL": 1}
        report = release_by_two(admin, sid)
        assert report.certificates == 3 and report.problem is None
    scene.check()
    first = scene.cert_of(people["edge"])
    assert first is not None and first.status == CertStatus.VALID
    with app.app_context():  # revoked for another recorded reason: never re-issued by a result change
        cert_admin.change_status(admin, scene.cert_of(people["other_reason"]).number, "revoke",  # type: ignore[union-attr]
                                 "identity fraud found by the committee")
        cert_admin.change_status(admin, scene.cert_of(people["suspended"]).number, "suspend",  # type: ignore[union-attr]
                                 "employer disputes the holder's identity")

    # 1. PASS -> FAIL: re-key the ethics item 3 (right for everyone) to a wrong option.
    slot, version, item = _ethics_slot(app, people["edge"], nth=2)
    wrong = next(k for k in item.option_keys() if k != item.answer)
    with app.app_context():
        fix = results_keys.correct(admin, sid, version, None, "rekey", wrong, "The published key was wrong")
        certs = json.loads(fix.report)["certificates"]
    suspended = scene.cert_of(people["suspended"])
    assert suspended is not None and sorted(certs["revoked"]) == sorted([first.number, suspended.number])
    assert scene.status(people["edge"]) == "FAIL" and certs["issued"] == []
    assert suspended.status == CertStatus.REVOKED  # no certificate stands on a fail, suspended or not
    scene.check()
    with app.app_context():
        outcome = cert_verify.check_token(first.token)
        assert outcome.code == VerdictCode.REVOKED and not outcome.valid  # the public verification says revoked
        html = app.test_client().get("/v/" + first.token, headers={"Accept-Language": "en"}).get_data(as_text=True)
        assert "Revoked" in html or "revoked" in html
        entry = db.session().scalars(select(AuditEntry).where(AuditEntry.action == "certificate.revoke",
                                                              AuditEntry.object_id == str(first.id))).one()
        assert json.loads(entry.after)["key_correction"] == fix.id
    assert _mails(app, people["edge"])[-1] == "Your certificate has been revoked"

    # 2. FAIL -> PASS: the key goes back; the holder gets a new certificate, the old one points to it.
    with app.app_context():
        fix = results_keys.correct(admin, sid, version, None, "rekey", item.answer, "The first key was right")
        certs = json.loads(fix.report)["certificates"]
    second = scene.cert_of(people["edge"])
    assert second is not None and second.status == CertStatus.VALID and second.number != first.number
    assert certs == {"revoked": [], "issued": [second.number], "problems": []}
    assert scene.cert_of(people["other_reason"]).status == CertStatus.REVOKED  # type: ignore[union-attr]
    # revoked while suspended: the suspension's reason stands, so the pass does not re-issue it by itself
    assert scene.cert_of(people["suspended"]).number == suspended.number  # type: ignore[union-attr]
    scene.check()
    with app.app_context():
        old = cert_verify.check_token(first.token)
        assert old.code == VerdictCode.REVOKED and old.replaced_by == second.number
    assert _mails(app, people["edge"])[-1] == "Your certificate is ready"

    # 3. FAIL -> PASS by a void: the ECO item nobody got right leaves; 6/9 reaches 2/3.
    with app.app_context():
        att = db.session().scalar(select(Attempt).where(Attempt.user_id == people["short"].id))
        eco = [(s, i) for s, i, _ in scoring_input.form_items(db.session(), att) if i.module == "L1-ECO"][1]
        eco_version = json.loads(att.form)[int(eco[0]) - 1]["v"]
        assert scene.status(people["short"]) == "FAIL"
        results_keys.correct(admin, sid, eco_version, None, "void", None, "Two options were right")
    assert scene.status(people["short"]) == "PASS" and scene.cert_of(people["short"]) is not None
    scene.check()


def test_rechecks_and_misconduct_keep_certificates_true(app: Flask) -> None:
    sid = make_sitting(app, L2, name="2026 二级")
    admin = staff(app, Role.ADMIN)
    graders = [staff(app, Role.GRADER) for _ in range(3)]
    scene = Scene(app, admin, sid)
    everything: Strategy = lambda item: True  # noqa: E731
    holder, cheat = candidate(app, locale="en"), candidate(app)
    regs = {holder.id: enrol(app, holder, sid, direction="AI"), cheat.id: enrol(app, cheat, sid, direction="AI")}
    sit(app, holder, regs[holder.id], ethics_then(2, everything))  # 2 of 4 ethics choices, both written answers
    sit(app, cheat, regs[cheat.id], everything)
    with app.app_context():
        marking.assign(admin, sid, [g.id for g in graders])
        for g in graders:
            for task in marking.queue(g):
                marking.submit(g, task.assignment_id, task.item.max_points or 1, "full marks")
        # misconduct before release: the cheat's pass becomes VOID, and gets no certificate
        results.rule_misconduct(admin, regs[cheat.id], 1, "a second screen on the proctor video")
        assert results.compute(admin, sid) == {"PASS": 1, "VOID": 1}
        assert release_by_two(admin, sid).certificates == 1
        with pytest.raises(Conflict):  # rulings come before release
            results.rule_misconduct(admin, regs[holder.id], 1, "late evidence")
    scene.check()
    first = scene.cert_of(holder)
    assert first is not None and scene.cert_of(cheat) is None
    slot, _version, item = _ethics_slot(app, holder, "constructed")
    qid, top = f"AM:{slot}", item.max_points or 1

    def recheck(points: int) -> Any:
        with app.app_context():
            row = db.session().scalar(select(Result).where(Result.user_id == holder.id))
            rc = results_recheck.request(holder, row.id, "Please check my ethics short answer")
            return results_recheck.answer(admin, rc.id, "Re-marked.", {qid: points})

    # PASS -> FAIL: the ethics short answer re-marked to 0 leaves 2 of 5 ethics questions (veto).
    done = recheck(0)
    assert done.status == "changed" and scene.status(holder) == "FAIL"
    assert scene.cert_of(holder).status == CertStatus.REVOKED  # type: ignore[union-attr]
    scene.check()
    # FAIL -> PASS: a second re-check restores the mark; a new certificate replaces the revoked one.
    recheck(top)
    again = scene.cert_of(holder)
    assert scene.status(holder) == "PASS" and again is not None and again.number != first.number
    assert again.direction == "AI" and again.status == CertStatus.VALID
    scene.check()
    assert _mails(app, holder)[-4:] == ["Your certificate has been revoked", "Your re-check has been answered",
                                        "Your certificate is ready", "Your re-check has been answered"]


def test_a_change_that_needs_a_certificate_without_keys_is_refused_whole(app: Flask) -> None:
    """No signing key (or a wrong passphrase): a re-score that would leave a pass without its
    certificate is refused, and nothing of it is kept."""
    sid = make_sitting(app, L1)
    with app.app_context():
        db.session().get(Sitting, sid).assembly_mode = "fixed"
        db.session().commit()
    admin = staff(app, Role.ADMIN)
    user = candidate(app)
    sit(app, user, enrol(app, user, sid), ethics_then(2, lambda item: True))  # ethics 2/5: a veto
    with app.app_context():
        results.compute(admin, sid)
        release_by_two(admin, sid)
    slot, version, _item = _ethics_slot(app, user, nth=2)  # an ethics item answered wrong
    with app.app_context():
        att = db.session().scalar(select(Attempt).where(Attempt.user_id == user.id))
        given = scoring_input.responses(db.session(), att)[slot]  # re-keyed to it: ethics 3/5, a pass
        for path in keys.signing_store().directory.glob("*"):
            path.rename(path.with_name(path.name + ".away"))
        with pytest.raises(Conflict) as refused:
            results_keys.correct(admin, sid, version, None, "rekey", given, "The key was wrong")
        assert refused.value.status == 409 and "no keys in" in refused.value.message
        assert results_keys.corrections(sid) == []
    assert certificate_violations_now(app, sid) == [] and Scene(app, admin, sid).status(user) == "FAIL"


def certificate_violations_now(app: Flask, sitting_id: int) -> list[str]:
    with app.app_context():
        return certificate_violations(db.session(), sitting_id)


def test_a_pass_that_could_not_be_certified_is_re_issued_by_the_issue_command(app: Flask) -> None:
    """A holder whose name the certificate font cannot print is reported, not certified, when the
    result turns to a pass again; once the name is fixed, `certs issue` (issue_for_sitting) re-issues
    instead of returning the certificate that was revoked for the result."""
    from certexam.services.certificates import issue as certificates

    sid = make_sitting(app, L1)
    with app.app_context():
        db.session().get(Sitting, sid).assembly_mode = "fixed"
        db.session().commit()
    admin = staff(app, Role.ADMIN)
    user = candidate(app)
    sit(app, user, enrol(app, user, sid), ethics_then(3, lambda item: True, {2, 3, 4}))
    with app.app_context():
        results.compute(admin, sid)
        release_by_two(admin, sid)
    first = Scene(app, admin, sid).cert_of(user)
    slot, version, item = _ethics_slot(app, user, nth=2)
    wrong = next(k for k in item.option_keys() if k != item.answer)
    with app.app_context():
        results_keys.correct(admin, sid, version, None, "rekey", wrong, "The published key was wrong")
        db.session().get(User, user.id).name_zh = "张\U0001f600"  # the certificate font has no emoji
        db.session().commit()
        fix = results_keys.correct(admin, sid, version, None, "rekey", item.answer, "The first key was right")
        assert json.loads(fix.report)["certificates"]["problems"] and Scene(app, admin, sid).status(user) == "PASS"
        db.session().get(User, user.id).name_zh = "张三"
        db.session().commit()
        issued = certificates.issue_for_sitting(sid, admin)
    again = Scene(app, admin, sid).cert_of(user)
    assert first is not None and again is not None and [c.number for c in issued] == [again.number]
    assert again.number != first.number and again.status == CertStatus.VALID
    assert certificate_violations_now(app, sid) == []
