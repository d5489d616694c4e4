"""One whole level-2 cycle through the services, on SQLite and PostgreSQL (issue 18, "Done when": the same
cycle as the browser suite, tests/e2e/test_cycle_level2.py, at the service level).

Each seam is crossed in order on one sitting, on a clock the test moves: open (compute refused), running,
the "2 of 5" proposal limit on the server, closed, scored with written answers pending, double marking
with an adjudicated disagreement, ranked within the direction, released with a certificate, a re-check
that changes a mark but not the pass (the certificate stays), a re-check answered unchanged, a key
correction that turns PASS to FAIL and FAIL to PASS (certificates follow, the public check says so), and
nothing starts or saves afterwards. The certificate rule (tests/certificate_invariant.py) is checked
after every step that can change a result.

Ethics is three questions (two single choice and the short answer), minimum 3/5: A gives the key of the
first choice and B another option; both miss the second and write the short answer (full marks).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select, update

from certexam import db
from certexam.crypto.keystore import PASSPHRASE_ENV
from certexam.domain import blueprint as bpr
from certexam.domain.cycle import CycleState
from certexam.domain.items import Item
from certexam.domain.verdict import CertStatus, VerdictCode
from certexam.errors import UserError
from certexam.models import (
    Attempt,
    BlueprintRecord,
    Certificate,
    MarkingAssignment,
    Result,
    Role,
    Sitting,
    User,
)
from certexam.services.attempts import autosave
from certexam.services.attempts import lifecycle as attempts
from certexam.services.bank import items as bank
from certexam.services.certificates import keys
from certexam.services.certificates import verify as cert_verify
from certexam.services.results import cycle, marking, scoring_input
from certexam.services.results import keys as results_keys
from certexam.services.results import recheck as results_recheck
from certexam.services.results import release as results
from certexam.services.sittings import schedule as sittings
from tests.certificate_invariant import certificate_violations
from tests.conftest import make_app
from tests.factories import candidate, release_by_two, staff
from tests.integration.test_results_service import enrol
from tests.shipped_bank import read_modules

L2 = bpr.Blueprint(2, (bpr.Paper("AM", "上午场", "Morning", 30, (
    bpr.Section("L2-ETH", "single_choice", 2),
    bpr.Section("L2-ETH", "constructed", 1, subtype="short_answer"),
    bpr.Section(bpr.DIRECTION_MODULE, "constructed", 1, subtype="skill"),
    bpr.Section(bpr.DIRECTION_MODULE, "constructed", 5, subtype="proposal", answer_at_most=2))),),
    bpr.ScoringSettings("ranked", Fraction(3, 5), Fraction(3, 5), Fraction(2, 5)))
LATE_ENTRY = 10  # minutes; the paper began 5 minutes ago
PASSPHRASE = "whole cycle passphrase"


class Clock:
    """The CLOCK setting: real time at the start, moved only by the test."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kw: float) -> None:
        self.now += timedelta(**kw)


@pytest.fixture
def app(tmp_path: Path, any_db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Flask]:
    """A migrated app with the L2-ETH and L2-AI banks, signing keys and a clock the test moves."""
    monkeypatch.setenv(PASSPHRASE_ENV, PASSPHRASE)
    application = make_app(tmp_path, any_db_url, CLOCK=Clock())
    with application.app_context():
        read = read_modules(2, ("L2-ETH", "L2-AI"))
        assert not read.errors, read.errors[:3]
        bank.import_items(read.items, None, approve=True)
        keys.init_keys(None, datetime.now(UTC))
    with application.test_request_context(headers={"Accept-Language": "en"}):
        yield application
    application.extensions["certexam.engine"].dispose()


def _sitting(app: Flask) -> int:
    now = app.config["CLOCK"].now
    sess = db.session()
    sess.add(BlueprintRecord(level=2, name="whole cycle", spec=json.dumps(bpr.to_dict(L2)), created_at=now))
    sess.commit()
    plan = sittings.SittingPlan(
        name="2026 秋季二级", level=2, registration_opens_at=now - timedelta(days=3),
        registration_closes_at=now - timedelta(days=1), capacity=100, languages=("zh_Hans", "en"), fee_fen=0,
        papers=(sittings.PaperPlan("AM", now - timedelta(minutes=5)),), blueprint_name="whole cycle",
        late_entry_minutes=LATE_ENTRY)
    sid = sittings.create_sitting(None, plan).id
    # one form for everyone: a key correction then touches both candidates
    sess.execute(update(Sitting).where(Sitting.id == sid).values(assembly_mode="fixed"))
    sess.commit()
    return sid


def other_option(item: Item) -> str:
    return next(k for k in item.option_keys() if k != item.answer)


class Sitter:
    """A candidate's attempt at paper AM, answered through the autosave service as the page would."""

    def __init__(self, user: User, reg_id: int) -> None:
        self.user = user
        att = attempts.start(user, reg_id, "AM", "en")
        self.attempt_id = att.id
        self.device = attempts.claim(user, att.id).holder_token
        self.seq = 0
        sess = db.session()
        attempt = sess.get(Attempt, att.id)
        assert attempt is not None
        versions = [e["v"] for e in json.loads(attempt.form)]
        self.form = [(s, i, versions[int(s) - 1]) for s, i, _x in scoring_input.form_items(sess, attempt)]

    def slots(self, pick: Callable[[Item], bool]) -> list[tuple[str, Item, int]]:
        return [entry for entry in self.form if pick(entry[1])]

    def save(self, slot: str, answer: object) -> None:
        self.seq += 1
        autosave.save(self.user, self.attempt_id, self.device, slot, answer, False, self.seq)

    def sit(self, first_ethics: Callable[[Item], str]) -> None:
        (s1, i1, _v1), (s2, i2, _v2) = self.slots(lambda i: i.module == "L2-ETH" and i.type == "single_choice")
        self.save(s1, first_ethics(i1))
        self.save(s2, other_option(i2))
        name = self.user.name_en
        for slot, item, _v in self.slots(lambda i: i.subtype in ("short_answer", "skill")):
            self.save(slot, f"{name}'s {item.subtype}: a careful written answer.")
        proposals = self.slots(lambda i: i.subtype == "proposal")
        assert len(proposals) == 5
        for slot, _item, _v in proposals[:2]:
            self.save(slot, f"{name}'s proposal: a phased plan.")
        with pytest.raises(autosave.ChoiceLimit) as refused:  # rules s.2: two of the five proposals
            self.save(proposals[2][0], "a third proposal")
        assert refused.value.status == 409 and "at most 2 of these 5" in refused.value.message
        db.session().rollback()


def _result(user: User, sid: int) -> Result:
    row = db.session().scalar(select(Result).where(Result.user_id == user.id, Result.sitting_id == sid))
    assert row is not None
    return row


def _certs(user: User) -> list[Certificate]:
    return list(db.session().scalars(select(Certificate).where(Certificate.user_id == user.id)
                                     .order_by(Certificate.id)))


def _check(sid: int) -> None:
    """The certificate rule, and the public check agreeing with every certificate's status."""
    sess = db.session()
    sess.expire_all()
    assert certificate_violations(sess, sid) == []
    for cert in sess.scalars(select(Certificate).where(Certificate.sitting_id == sid)):
        code = cert_verify.check_token(cert.token).code
        assert code == (VerdictCode.VALID if cert.status == CertStatus.VALID else VerdictCode(cert.status))


def _mark_queues(graders: list[User], points: Callable[[marking.Task], int]) -> int:
    done = 0
    for g in graders:
        for task in marking.queue(g):
            marking.submit(g, task.assignment_id, points(task), "marked against the rubric")
            done += 1
    return done


def test_a_level2_cycle_from_the_first_answer_to_certificates_that_follow(app: Flask) -> None:
    clock = app.config["CLOCK"]
    admin = staff(app, Role.ADMIN)
    graders = [staff(app, Role.GRADER) for _ in range(3)]
    sid = _sitting(app)
    a, b = candidate(app, name_en="Chen Meiling"), candidate(app, name_en="Wang Xiaoming")
    regs = {u.id: enrol(app, u, sid, direction="AI") for u in (a, b)}

    # open while B may still begin; running once both have begun; results refused in both states
    sa = Sitter(a, regs[a.id])
    assert cycle.state_of(sid) == CycleState.OPEN
    with pytest.raises(cycle.SittingNotClosed):
        results.compute(admin, sid)
    sb = Sitter(b, regs[b.id])
    assert cycle.state_of(sid) == CycleState.RUNNING
    sa.sit(lambda item: str(item.answer))
    sb.sit(other_option)
    with pytest.raises(cycle.SittingNotClosed):
        results.release(admin, sid)
    clock.advance(minutes=6)  # past the entry window, inside the paper's 30 minutes
    for s in (sa, sb):
        attempts.submit(s.user, s.attempt_id, s.device)
    assert cycle.state_of(sid) == CycleState.CLOSED

    # scored, written answers pending; release is refused until they are marked
    assert results.compute(admin, sid) == {"PENDING": 2}
    assert cycle.state_of(sid) == CycleState.SCORED
    with pytest.raises(UserError):
        results.release(admin, sid)

    # double marking: A's skill answer gets full marks from one marker, none from the other: adjudicated
    assert marking.assign(admin, sid, [g.id for g in graders]) == 8
    adjudicated: list[marking.Task] = []

    def points(task: marking.Task) -> int:
        top = task.item.max_points or 1
        if task.round == 3:
            adjudicated.append(task)
        return 0 if task.round == 2 and task.answer.startswith("Chen Meiling's skill") else top

    marked = _mark_queues(graders, points)
    marked += _mark_queues(graders, points)  # an adjudication may land in a queue already passed
    assert marked == 17  # 8 answers twice, and the one disagreement a third time
    assert [(t.answer.startswith("Chen Meiling's skill"), sorted(t.other_marks)) for t in adjudicated] == [
        (True, [0, adjudicated[0].item.max_points])]
    assert marking.progress(db.session(), sid) == {"total": 8, "unassigned": 0, "waiting": 0, "final": 8}
    assert len(db.session().scalars(select(MarkingAssignment.id).where(MarkingAssignment.round == 3)).all()) == 1

    # computed: ranked within the AI direction among those past the ethics minimum
    assert results.compute(admin, sid) == {"PASS": 1, "FAIL": 1}
    ra, rb = _result(a, sid), _result(b, sid)
    assert (ra.rank, ra.cohort_size) == (1, 1) and ra.ethics_rate == "2/3"
    assert json.loads(rb.reasons) == ["ETHICS_VETO"] and rb.ethics_rate == "1/3"
    report = release_by_two(admin, sid)
    assert (report.results, report.certificates, report.problem) == (2, 1, None)
    assert cycle.state_of(sid) == CycleState.RELEASED
    [a_cert] = _certs(a)
    assert _certs(b) == []
    _check(sid)

    # a re-check that lowers a mark but keeps the pass keeps the certificate as it is
    skill_slot = sa.slots(lambda i: i.subtype == "skill")[0][0]
    rc = results_recheck.request(a, ra.id, "Please check my skill answer.")
    done = results_recheck.answer(admin, rc.id, "Re-marked by the chief marker.", {f"AM:{skill_slot}": 1})
    assert done.status == "changed" and _result(a, sid).status == "PASS"
    assert [(c.number, c.status) for c in _certs(a)] == [(a_cert.number, CertStatus.VALID)]
    _check(sid)
    # a re-check answered unchanged
    rc = results_recheck.request(b, rb.id, "Please check my ethics answers again.")
    assert results_recheck.answer(admin, rc.id, "The marks and keys were checked; they stand.").status == "unchanged"
    assert _result(b, sid).status == "FAIL"

    # a key correction after release swaps the pass: A's certificate is revoked, B gets one
    _slot, item, version = sa.slots(lambda i: i.module == "L2-ETH" and i.type == "single_choice")[0]
    fix = results_keys.correct(admin, sid, version, None, "rekey", other_option(item), "The published key was wrong")
    certs = json.loads(fix.report)["certificates"]
    assert (_result(a, sid).status, _result(b, sid).status) == ("FAIL", "PASS")
    [b_cert] = _certs(b)
    assert certs == {"revoked": [a_cert.number], "issued": [b_cert.number], "problems": []}
    assert cert_verify.check_token(a_cert.token).code == VerdictCode.REVOKED
    assert cert_verify.check_token(b_cert.token).code == VerdictCode.VALID
    _check(sid)

    # after release nothing in the sitting saves or starts again
    with pytest.raises(attempts.AttemptClosed):
        sa.save(skill_slot, "too late")
    db.session().rollback()
    with pytest.raises(attempts.AttemptClosed):
        attempts.start(a, regs[a.id], "AM", "en")
