"""Scoring, misconduct, release, re-check and key corrections through the services (SQLite)."""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Callable
from datetime import date, timedelta
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from certexam import db
from certexam.bankio import reader
from certexam.domain import blueprint as bpr
from certexam.domain.items import Item
from certexam.errors import Conflict, Forbidden, NotFound, UserError
from certexam.models import (
    AuditEntry,
    BlueprintRecord,
    ExamBan,
    LevelPass,
    Registration,
    Result,
    Role,
    Sitting,
    User,
)
from certexam.services.attempts import autosave
from certexam.services.attempts import lifecycle as attempts
from certexam.services.bank import items as bank
from certexam.services.platform import mail
from certexam.services.results import keys as results_keys
from certexam.services.results import recheck as results_recheck
from certexam.services.results import release as results
from certexam.services.results import scoring_input
from certexam.services.sittings import schedule as sittings
from tests.conftest import make_app
from tests.exam_setup import BANK, load_bank
from tests.factories import candidate, release_by_two, staff

L1_SMALL = bpr.Blueprint(1, (bpr.Paper("P1", "第一卷", "Paper 1", 60, (
    bpr.Section("L1-ETH", "single_choice", 5), bpr.Section("L1-STD", "single_choice", 3),
    bpr.Section("L1-ECO", "single_choice", 2))),), bpr.ScoringSettings("cut_score", Fraction(3, 5), Fraction(3, 5)))

L2_SMALL = bpr.Blueprint(2, (bpr.Paper("AM", "上午场", "Morning", 180, (
    bpr.Section("L2-ETH", "single_choice", 4), bpr.Section("L2-GEN", "single_choice", 2),
    bpr.Section("L2-ETH", "constructed", 1, subtype="short_answer"),
    bpr.Section(bpr.DIRECTION_MODULE, "constructed", 1, subtype="skill"))),),
    bpr.ScoringSettings("ranked", Fraction(3, 5), Fraction(3, 5), Fraction(2, 5)))

Strategy = Callable[[Item], bool]  # item -> answer it correctly?
RIGHT: Strategy = lambda item: True  # noqa: E731
ETH_WRONG: Strategy = lambda item: not item.module.endswith("ETH")  # noqa: E731
NON_ETH_WRONG: Strategy = lambda item: item.module.endswith("ETH")  # noqa: E731


def make_sitting(app: Flask, spec: bpr.Blueprint, name: str = "2026 秋季一级") -> int:
    """A sitting with a small blueprint whose papers are all open now."""
    with app.app_context():
        sess = db.session()
        bp_name = f"test-{spec.level}-{name}"
        sess.add(BlueprintRecord(level=spec.level, name=bp_name, spec=json.dumps(bpr.to_dict(spec)),
                                 created_at=db.utcnow()))
        sess.commit()
        now = db.utcnow()
        papers = tuple(sittings.PaperPlan(p.code, now - timedelta(minutes=30 - i)) for i, p in enumerate(spec.papers))
        plan = sittings.SittingPlan(name=name, level=spec.level, registration_opens_at=now - timedelta(days=3),
                                    registration_closes_at=now - timedelta(days=1), capacity=100,
                                    languages=("zh_Hans", "en"), fee_fen=199_900, papers=papers,
                                    blueprint_name=bp_name, late_entry_minutes=600)
        return sittings.create_sitting(None, plan).id


def enrol(app: Flask, user: User, sitting_id: int, direction: str | None = None) -> int:
    with app.app_context():
        sess = db.session()
        reg = Registration(sitting_id=sitting_id, user_id=user.id, admission_no=f"R{sitting_id:03d}{user.id:06d}",
                           direction=direction, created_at=db.utcnow())
        sess.add(reg)
        sess.commit()
        return reg.id


def _answer(item: Item, correct: bool) -> Any:
    key = item.answer
    if item.type == "constructed":  # "wrong" is left blank: nothing to mark, no points
        return "A written answer that the markers will read." if correct else None
    if item.type == "true_false":
        return key if correct else not key
    options = list(item.option_keys())
    if item.type == "multiple_response":
        return list(key) if correct else [k for k in options if k not in key][:1]
    return key if correct else next(k for k in options if k != key)


def sit(app: Flask, user: User, reg_id: int, strategy: Strategy) -> list[int]:
    """Take every paper of the registration, answering as the strategy says; returns attempt ids."""
    ids = []
    with app.app_context():
        sitting = db.session().get(Registration, reg_id).sitting
        codes = [p.code for p in sitting.papers]
    for code in codes:
        with app.app_context():
            att = attempts.start(user, reg_id, code, "en")
            device = attempts.claim(user, att.id).holder_token
            att = db.session().get(type(att), att.id)
            seq = 0
            for slot, item, _s in scoring_input.form_items(db.session(), att):
                seq += 1
                autosave.save(user, att.id, device, slot, _answer(item, strategy(item)), False, seq)
            attempts.submit(user, att.id, device)
            ids.append(att.id)
    return ids


_TEMPLATES: dict[str, Path] = {}


def banked_app(tmp_path: Path, **config: Any) -> Flask:
    """A migrated app with the level-1 P1 bank (and the level-2 ethics, general and AI modules) loaded.

    The database is built once per test session and copied: importing the bank
    is the slow part of every set-up.
    """
    if "db" not in _TEMPLATES:
        base = Path(tempfile.mkdtemp(prefix="results-template-"))
        app = make_app(base)
        load_bank(app)
        with app.app_context():
            files = [str(BANK / "level2" / f"{m}.yaml") for m in ("L2-ETH", "L2-GEN", "L2-AI")]
            read = reader.read_files(files)
            assert not read.errors, read.errors[:3]
            bank.import_items(read.items, None, approve=True)
        app.extensions["certexam.engine"].dispose()
        _TEMPLATES["db"] = Path(app.config["DATABASE_URL"].removeprefix("sqlite:///"))
    target = tmp_path / "results.sqlite3"
    shutil.copy(_TEMPLATES["db"], target)
    return make_app(tmp_path, f"sqlite:///{target}", **config)


@pytest.fixture
def l1(tmp_path):  # type: ignore[no-untyped-def]
    app = banked_app(tmp_path)
    sid = make_sitting(app, L1_SMALL)
    admin = staff(app, Role.ADMIN)
    yield app, sid, admin
    app.extensions["certexam.engine"].dispose()


def _result(app: Flask, reg_id: int) -> Result:
    with app.app_context():
        row = db.session().scalar(select(Result).where(Result.registration_id == reg_id))
        assert row is not None
        return row


def test_cut_score_pass_fail_and_ethics_veto(l1) -> None:  # type: ignore[no-untyped-def]
    app, sid, admin = l1
    regs = {}
    for name, strategy in (("good", RIGHT), ("veto", ETH_WRONG), ("weak", NON_ETH_WRONG)):
        u = candidate(app)
        regs[name] = enrol(app, u, sid)
        sit(app, u, regs[name], strategy)
    with app.app_context():
        counts = results.compute(admin, sid)
    assert counts == {"PASS": 1, "FAIL": 2}
    good, veto, weak = (_result(app, regs[n]) for n in ("good", "veto", "weak"))
    assert (good.status, json.loads(good.reasons)) == ("PASS", [])
    # all of the rest right (5 of 10 overall is 1/2 < 3/5 too), but the veto is stated first
    assert veto.status == "FAIL" and json.loads(veto.reasons)[0] == "ETHICS_VETO"
    assert veto.ethics_rate == "0/1" and json.loads(veto.module_rates)["L1-STD"] == "1/1"
    # ethics all right (5 of 10): passes the gate, fails the cut score, no veto
    assert json.loads(weak.reasons) == ["BELOW_PASS_MARK"]
    assert not good.released


def test_results_stay_hidden_until_release_then_mail_and_level_pass(l1) -> None:  # type: ignore[no-untyped-def]
    app, sid, admin = l1
    good, bad = candidate(app, locale="en"), candidate(app)
    rg, rb = enrol(app, good, sid), enrol(app, bad, sid)
    sit(app, good, rg, RIGHT)
    sit(app, bad, rb, ETH_WRONG)
    with app.app_context():
        results.compute(admin, sid)
        assert results.my_results(good) == []
        report = release_by_two(admin, sid)
        assert report.results == 2 and report.problem  # no signing keys in this app: results still out
        mine = results.my_results(good)
        assert [r.result.status for r in mine] == ["PASS"] and not mine[0].show_rates
        theirs = results.my_results(bad)[0]
        assert theirs.vetoed and theirs.show_rates and theirs.module_rates["L1-STD"] == 1
        sess = db.session()
        sitting = sess.get(Sitting, sid)
        lp = sess.scalar(select(LevelPass).where(LevelPass.user_id == good.id))
        assert lp is not None and lp.level == 1 and lp.sitting_id == sid and lp.passed_on == results.passed_on(sitting)
        assert sess.scalar(select(LevelPass).where(LevelPass.user_id == bad.id)) is None
        sent = {m.to: m for m in mail.outbox()}
        assert set(sent) == {good.email, bad.email}
        assert "result" in sent[good.email].subject.lower()
        with pytest.raises(Conflict):
            results.release(admin, sid)
        with pytest.raises(Conflict):
            results.compute(admin, sid)


def test_passed_on_is_the_last_paper_day_in_shanghai(l1) -> None:  # type: ignore[no-untyped-def]
    app, sid, _admin = l1
    with app.app_context():
        sitting = db.session().get(Sitting, sid)
        sitting.papers[-1].starts_at = sitting.papers[-1].starts_at.replace(hour=17, minute=0)  # 01:00 next day in Shanghai
        assert results.passed_on(sitting) == sitting.papers[-1].starts_at.date() + timedelta(days=1)


def test_release_waits_for_papers_in_progress(l1) -> None:  # type: ignore[no-untyped-def]
    app, sid, admin = l1
    u = candidate(app)
    reg = enrol(app, u, sid)
    with app.app_context():
        attempts.start(u, reg, "P1", "en")
        with pytest.raises(UserError):
            results.release(admin, sid)
        assert db.session().get(Sitting, sid).results_released_at is None


@pytest.mark.parametrize("years,ok", [((0, 3), False), ((1,), True), ((2,), True)])
def test_misconduct_voids_and_bans(l1, years: tuple[int, ...], ok: bool) -> None:  # type: ignore[no-untyped-def]
    app, sid, admin = l1
    u = candidate(app)
    reg = enrol(app, u, sid)
    if not ok:  # rules s.2: a ban of 1 or 2 years, nothing else
        for bad in years:
            with app.app_context(), pytest.raises(UserError):
                results.rule_misconduct(admin, reg, bad, "phone in the exam room")
        return
    n = years[0]
    sit(app, u, reg, RIGHT)
    with app.app_context():
        results.rule_misconduct(admin, reg, n, "phone in the exam room (proctor video 10:42)")
        ban = db.session().scalar(select(ExamBan).where(ExamBan.user_id == u.id))
        assert ban is not None and ban.ends_on.year - ban.starts_on.year == n
        assert (ban.ends_on - ban.starts_on).days in (365 * n - 1, 365 * n)
        with pytest.raises(Conflict):
            results.rule_misconduct(admin, reg, n, "again")
    row = _result(app, reg)
    assert (row.status, json.loads(row.reasons)) == ("VOID", ["MISCONDUCT"])
    with app.app_context():
        release_by_two(admin, sid)
        assert db.session().scalar(select(LevelPass).where(LevelPass.user_id == u.id)) is None
        with pytest.raises(Conflict):  # rulings come before release
            results.rule_misconduct(admin, reg, 1, "late evidence")


@pytest.mark.parametrize("holidays,last_day", [
    ((), date(2026, 10, 14)),  # Wed 30 Sep + 10 working days, release day not counted
    (("2026-10-01", "2026-10-02"), date(2026, 10, 16)),  # two holidays push it two working days on
])
def test_recheck_window_counts_working_days_with_holidays(tmp_path, holidays, last_day) -> None:  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime

    app = make_app(tmp_path, HOLIDAYS=list(holidays))  # no bank needed
    with app.app_context():
        sitting = Sitting(results_released_at=None)
        assert results_recheck.last_day_to_ask(sitting) is None
        sitting.results_released_at = datetime(2026, 9, 30, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
        assert results_recheck.last_day_to_ask(sitting) == last_day
    app.extensions["certexam.engine"].dispose()


def test_recheck_request_answer_and_audited_change(l1) -> None:  # type: ignore[no-untyped-def]
    app, sid, admin = l1
    u = candidate(app)
    reg = enrol(app, u, sid)
    sit(app, u, reg, RIGHT)
    with app.app_context():
        release_by_two(admin, sid)
        row = _result(app, reg)
        other = candidate(app)
        with pytest.raises(NotFound):  # someone else's result
            results_recheck.request(other, row.id, "please")
        with pytest.raises(UserError):
            results_recheck.request(u, row.id, "   ")
        rc = results_recheck.request(u, row.id, "Question 3 seems mis-keyed")
        assert rc.status == "open" and rc.answer_due > rc.requested_at.date()
        with pytest.raises(Conflict):
            results_recheck.request(u, row.id, "again")
        done = results_recheck.answer(admin, rc.id, "We checked every answer: no change.")
        assert done.status == "unchanged" and json.loads(done.before) == json.loads(done.after)
        with pytest.raises(Conflict):
            results_recheck.answer(admin, rc.id, "twice")


def test_recheck_refused_after_ten_working_days(l1) -> None:  # type: ignore[no-untyped-def]
    app, sid, admin = l1
    u = candidate(app)
    reg = enrol(app, u, sid)
    sit(app, u, reg, RIGHT)
    with app.app_context():
        release_by_two(admin, sid)
        sitting = db.session().get(Sitting, sid)
        sitting.results_released_at -= timedelta(days=20)
        db.session().commit()
        with pytest.raises(Forbidden):
            results_recheck.request(u, _result(app, reg).id, "late")


def _version_of_slot(app: Flask, reg_id: int, slot: str) -> tuple[int, Item]:
    with app.app_context():
        from certexam.models import Attempt
        att = db.session().scalar(select(Attempt).where(Attempt.registration_id == reg_id))
        form = json.loads(att.form)
        item = dict((s, i) for s, i, _ in scoring_input.form_items(db.session(), att))[slot]
        return form[int(slot) - 1]["v"], item


def test_key_correction_rescores_released_results_with_audit(tmp_path) -> None:  # type: ignore[no-untyped-def]
    app = banked_app(tmp_path)
    fixed = L1_SMALL
    sid = make_sitting(app, fixed)
    with app.app_context():  # everyone gets the same form, so one correction touches all
        db.session().get(Sitting, sid).assembly_mode = "fixed"
        db.session().commit()
    admin = staff(app, Role.ADMIN)
    # Exactly at the ethics minimum (3 of 5) and the pass mark (6 of 10): a one-item change flips it.
    users = [candidate(app) for _ in range(2)]
    regs = [enrol(app, x, sid) for x in users]
    wrong_eth = {"n": 0}

    def edge(item: Item) -> bool:
        if item.module == "L1-ETH":
            wrong_eth["n"] += 1
            return wrong_eth["n"] % 5 not in (1, 2)  # first two ethics items wrong, three right
        return item.module == "L1-STD" or item.module == "L1-ECO" and False

    for x, r in zip(users, regs, strict=True):
        sit(app, x, r, edge)
    with app.app_context():
        release_by_two(admin, sid)
    first = _result(app, regs[0])
    assert first.ethics_rate == "3/5" and first.status == "PASS"  # 6/10 and 3/5: both inclusive
    # Re-key an ethics item the candidates got right to a wrong option: they drop below both lines.
    with app.app_context():
        from certexam.models import Attempt
        att = db.session().scalar(select(Attempt).where(Attempt.registration_id == regs[0]))
        form_items = scoring_input.form_items(db.session(), att)
        given = scoring_input.responses(db.session(), att)
        slot, item = next((s, i) for s, i, _ in form_items if i.module == "L1-ETH" and given[s] == i.answer)
        version = json.loads(att.form)[int(slot) - 1]["v"]
        new_key = next(k for k in item.option_keys() if k != item.answer)
        with pytest.raises(UserError):
            results_keys.correct(admin, sid, version, None, "rekey", ["not", "a", "key"], "wrong shape")
        fix = results_keys.correct(admin, sid, version, None, "rekey", new_key, "The published key was wrong")
        report = json.loads(fix.report)
        assert report["attempts_with_item"] == 2 and len(report["changed"]) == 2
        change = report["changed"][0]
        assert change["before"]["status"] == "PASS" and change["after"]["status"] == "FAIL"
        assert "ETHICS_VETO" in change["after"]["reasons"]
        sess = db.session()
        assert sess.scalar(select(LevelPass).where(LevelPass.user_id == users[0].id)) is None
        actions = list(sess.scalars(select(AuditEntry.action).where(AuditEntry.object_type == "result")))
        assert actions.count("results.key_correction_change") == 2
        # Voiding the item instead takes it out of numerator and denominator: 2/4 ethics, still a veto.
        fix2 = results_keys.correct(admin, sid, version, None, "void", None, "Ambiguous stem")
        after = json.loads(fix2.report)["changed"]
        assert after and after[0]["after"]["ethics_rate"] == "1/2"


@pytest.mark.postgres
def test_compute_release_and_key_correction_on_postgres(tmp_path, pg_url) -> None:  # type: ignore[no-untyped-def]
    app = make_app(tmp_path, pg_url)
    load_bank(app)
    sid = make_sitting(app, L1_SMALL)
    admin = staff(app, Role.ADMIN)
    users = [candidate(app) for _ in range(2)]
    regs = [enrol(app, u, sid) for u in users]
    for u, r, strategy in zip(users, regs, (RIGHT, ETH_WRONG), strict=True):
        sit(app, u, r, strategy)
    with app.app_context():
        assert results.compute(admin, sid) == {"PASS": 1, "FAIL": 1}
        assert release_by_two(admin, sid).results == 2
        from certexam.models import Attempt
        att = db.session().scalar(select(Attempt).where(Attempt.registration_id == regs[0]))
        version = json.loads(att.form)[0]["v"]
        fix = results_keys.correct(admin, sid, version, None, "void", None, "ambiguous")
        assert json.loads(fix.report)["attempts_with_item"] >= 1
        assert db.session().scalar(select(LevelPass).where(LevelPass.user_id == users[0].id)) is not None
    app.extensions["certexam.engine"].dispose()
