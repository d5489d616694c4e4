"""Sittings, registration rules, accommodations, form assembly modes, and stored blueprints."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from fractions import Fraction
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import delete, select

from certexam import create_app, db
from certexam.domain import blueprint as bp_rules
from certexam.errors import Conflict, Forbidden, UserError
from certexam.models import BlueprintRecord, ExamBan, Role, Sitting, User
from certexam.services.attempts import lifecycle as attempts
from certexam.services.sittings import blueprints
from certexam.services.sittings import schedule as sittings
from tests.conftest import PG, _pg_create, _pg_drop, make_app
from tests.exam_setup import enrol, load_bank, open_sitting
from tests.factories import candidate, staff

T0 = datetime(2030, 3, 1, 2, 0, tzinfo=UTC)


@dataclass
class Base:
    app: Flask
    admin: User
    users: list[User]  # reused across tests: every test makes its own sittings


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def base(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Base]:
    """One app, bank, administrator and five candidates per database, shared by this module's tests."""
    pg_name = url = None
    if request.param == "postgres":
        if not PG:
            pytest.skip("no PostgreSQL server answers on 127.0.0.1:5432")
        pg_name, url = _pg_create()
    app = make_app(tmp_path_factory.mktemp("sittings"), url)
    load_bank(app)
    with app.app_context():
        sittings.ensure_default_blueprints()
    yield Base(app, staff(app, Role.ADMIN), [candidate(app) for _ in range(5)])
    app.extensions["certexam.engine"].dispose()
    if pg_name:
        _pg_drop(pg_name)


@pytest.fixture
def b(base: Base) -> Iterator[Base]:
    with base.app.test_request_context(headers={"Accept-Language": "en"}):
        yield base


@pytest.fixture(scope="module")
def plain(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """An app without a database, for checks that never touch one."""
    app = create_app({"TESTING": True, "SECRET_KEY": "plain", "DATABASE_URL": "sqlite://",
                      "INSTANCE_PATH": str(tmp_path_factory.mktemp("plain"))})
    with app.test_request_context(headers={"Accept-Language": "en"}):
        yield


def _plan(level: int = 1, opens: datetime | None = None, closes: datetime | None = None, **kw: Any) -> Any:
    now = db.utcnow()
    opens = opens or now - timedelta(days=1)
    closes = closes or now + timedelta(days=1)
    codes = ("P1", "P2", "P3") if level == 1 else ("AM", "PM")
    first = max(closes, now) + timedelta(days=10)
    return sittings.SittingPlan(name=kw.pop("name", "test sitting"), level=level, registration_opens_at=opens,
                                registration_closes_at=closes, capacity=kw.pop("capacity", 100),
                                languages=("zh_Hans", "en"), fee_fen=199_900,
                                papers=tuple(sittings.PaperPlan(c, first + timedelta(hours=4 * i))
                                             for i, c in enumerate(codes)), **kw)


def _sitting(sess: Any, sitting_id: int) -> Sitting:
    s = sess.get(Sitting, sitting_id)
    assert s is not None
    return s


# ---------- the registration window, to the microsecond ----------

@pytest.mark.parametrize("anchor,micro,open_", [
    ("opens", -1, False), ("opens", 0, True), ("closes", 0, True), ("closes", 1, False),
])
def test_registration_window_edges(b: Base, anchor: str, micro: int, open_: bool) -> None:
    user = b.users[0]
    edges = {"opens": T0, "closes": T0 + timedelta(days=30)}
    sitting = sittings.create_sitting(None, _plan(opens=edges["opens"], closes=edges["closes"]))
    now = edges[anchor] + timedelta(microseconds=micro)
    problem = sittings.registration_problem(db.session(), _sitting(db.session(), sitting.id), user, now, None)
    assert (problem is None) == open_, problem


def test_capacity_is_enforced(b: Base) -> None:
    sitting = sittings.create_sitting(None, _plan(capacity=2))
    users = b.users[:3]
    regs = [sittings.register(u, sitting.id) for u in users[:2]]
    assert len({r.admission_no for r in regs}) == 2
    with pytest.raises(Forbidden, match="full"):
        sittings.register(users[2], sitting.id)
    with pytest.raises(Conflict):
        sittings.register(users[0], sitting.id)  # registering twice is refused before the capacity check


def test_only_candidates_register(b: Base) -> None:
    sitting = sittings.create_sitting(None, _plan())
    with pytest.raises(Forbidden, match="Only candidates"):
        sittings.register(b.admin, sitting.id)


# A ban covers starts_on..ends_on inclusive, in Beijing dates: 2030-03-01 ends at 16:00 UTC.
@pytest.mark.parametrize("now,starts,ends,banned", [
    (datetime(2030, 3, 1, 15, 59, 59, tzinfo=UTC), date(2030, 2, 1), date(2030, 3, 1), True),
    (datetime(2030, 3, 1, 16, 0, 0, tzinfo=UTC), date(2030, 2, 1), date(2030, 3, 1), False),
    (datetime(2030, 2, 28, 16, 0, 0, tzinfo=UTC), date(2030, 3, 1), date(2031, 3, 1), True),
    (datetime(2030, 2, 28, 15, 59, 59, tzinfo=UTC), date(2030, 3, 1), date(2031, 3, 1), False),
])
def test_exam_ban_days_are_beijing_days(b: Base, now: datetime, starts: date, ends: date, banned: bool) -> None:
    user = b.users[4]  # the only one ever banned
    sitting = sittings.create_sitting(None, _plan(opens=datetime(2030, 1, 1, tzinfo=UTC),
                                                  closes=datetime(2030, 6, 1, tzinfo=UTC)))
    sess = db.session()
    sess.add(ExamBan(user_id=user.id, starts_on=starts, ends_on=ends, reason="misconduct ruling",
                     created_at=db.utcnow()))
    sess.commit()
    problem = sittings.registration_problem(sess, _sitting(sess, sitting.id), user, now, None)
    sess.execute(delete(ExamBan).where(ExamBan.user_id == user.id))
    sess.commit()
    assert (problem is not None and "barred" in problem) == banned, problem


def test_level_2_needs_level_1_and_a_direction(b: Base) -> None:
    user = b.users[3]  # the only one given a level-1 pass
    sitting = sittings.create_sitting(None, _plan(level=2))
    with pytest.raises(Forbidden, match="level-1"):
        sittings.register(user, sitting.id, "AI")
    sittings.record_level_pass(None, user.id, 1, date(2029, 9, 1), "earlier sitting")
    for bad in (None, "", "XX", "ai"):
        with pytest.raises(Forbidden, match="direction"):
            sittings.register(user, sitting.id, bad)
    assert sittings.register(user, sitting.id, "BD").direction == "BD"


def test_level_1_ignores_a_direction(b: Base) -> None:
    sitting = sittings.create_sitting(None, _plan())
    assert sittings.register(b.users[0], sitting.id, "AI").direction is None


@pytest.mark.parametrize("extra,pct,ok", [
    (0, 100, True), (600, 300, True), (15, 125, True),
    (601, 100, False), (-1, 100, False), (0, 99, False), (0, 301, False),
])
def test_accommodation_limits(b: Base, extra: int, pct: int, ok: bool) -> None:
    admin = b.admin
    reg_id = enrol(b.app, b.users[0], open_sitting(b.app))
    if ok:
        reg = sittings.set_accommodation(admin, reg_id, extra, pct)
        assert (reg.extra_minutes, reg.time_multiplier_pct) == (extra, pct)
    else:
        with pytest.raises(UserError):
            sittings.set_accommodation(admin, reg_id, extra, pct)


def test_an_accommodation_sets_the_attempts_time(b: Base) -> None:
    admin, user = b.admin, b.users[1]
    reg_id = enrol(b.app, user, open_sitting(b.app))
    sittings.set_accommodation(admin, reg_id, 30, 125)
    att = attempts.start(user, reg_id, "P1", "en")
    assert att.deadline_at - att.started_at == timedelta(minutes=60 * 1.25 + 30)


@pytest.mark.parametrize("mode", ["fixed", "per_candidate"])
def test_fixed_mode_gives_everyone_the_same_form(b: Base, mode: str) -> None:
    now = db.utcnow()
    plan = sittings.SittingPlan(
        name=f"{mode} sitting", level=1, registration_opens_at=now - timedelta(days=3),
        registration_closes_at=now - timedelta(days=1), capacity=10, languages=("zh_Hans",), fee_fen=0,
        papers=tuple(sittings.PaperPlan(c, now - timedelta(minutes=5) + timedelta(hours=4 * i))
                     for i, c in enumerate(("P1", "P2", "P3"))), assembly_mode=mode)
    sitting = sittings.create_sitting(None, plan)
    tries = [attempts.start(u, enrol(b.app, u, sitting.id), "P1", "en") for u in b.users[:3]]
    seeds = {a.seed for a in tries}
    forms = {a.form for a in tries}
    if mode == "fixed":
        assert seeds == {_sitting(db.session(), sitting.id).papers[0].fixed_seed} and len(forms) == 1
    else:
        assert len(seeds) == 3 and len(forms) == 3


# ---------- stored blueprints ----------

def _record(name: str) -> BlueprintRecord:
    rec = db.session().scalar(select(BlueprintRecord).where(BlueprintRecord.name == name))
    assert rec is not None
    return rec


def test_a_sitting_keeps_its_frozen_copy_when_the_blueprint_changes(b: Base) -> None:
    admin = b.admin
    copy = blueprints.copy(admin, _record("level1-default").id, "l1-frozen-test")
    before = sittings.create_sitting(None, _plan(blueprint_name=copy.name))
    doc = json.loads(copy.spec)
    doc["papers"][0]["minutes"] = 75
    doc["scoring"]["ethics_min_rate"] = "7/10"
    blueprints.update(admin, copy.id, json.dumps(doc))
    after = sittings.create_sitting(None, _plan(blueprint_name=copy.name))
    sess = db.session()
    sess.expire_all()
    old, new = _sitting(sess, before.id), _sitting(sess, after.id)
    assert old.papers[0].minutes == 60 and sittings.blueprint_of(old).scoring.ethics_min_rate == Fraction(3, 5)
    assert new.papers[0].minutes == 75 and sittings.blueprint_of(new).scoring.ethics_min_rate == Fraction(7, 10)


def _spec(**change: Any) -> str:
    doc: Any = bp_rules.to_dict(bp_rules.LEVEL1_DEFAULT)
    for path, value in change.items():
        target = doc
        keys = path.split("__")
        for k in keys[:-1]:
            target = target[int(k)] if k.isdigit() else target[k]
        last = keys[-1]
        if isinstance(target, list):
            target[int(last)] = value
        else:
            target[last] = value
    return json.dumps(doc)


BAD_SPECS = [
    ("", "not valid JSON"), ("{", "not valid JSON"), ("[]", "JSON object"), ("null", "JSON object"),
    ('{"level": 1}', "papers must be a list"), (_spec(level="1"), "level must be a whole number"),
    (_spec(level=2), "for level 1"), (_spec(papers=[]), "papers must be a list"),
    (_spec(papers__0="P1"), "must be an object"), (_spec(papers__0__code="p 1"), "code must be"),
    (_spec(papers__0__code="P" * 17), "code must be"), (_spec(papers__1__code="P1"), "unique"),
    (_spec(papers__0__minutes=0), "minutes must be between"), (_spec(papers__0__minutes="60"), "whole number"),
    (_spec(papers__0__minutes=1.5), "whole number"), (_spec(papers__0__title_en=""), "title_en"),
    (_spec(papers__0__sections="L1-ETH"), "sections must be a list"),
    (_spec(papers__0__sections__0__module="L2-ETH"), "not a level-1 module"),
    (_spec(papers__0__sections__0__module=7), "module must be a text"),
    (_spec(papers__0__sections__0__item_type="essay"), "item_type"),
    (_spec(papers__0__sections__0__count=0), "count"), (_spec(papers__0__sections__0__count=True), "count"),
    (_spec(papers__0__sections__0__count=10**9), "count"),
    (_spec(papers__0__sections__0__subtype="skill"), "only constructed"),
    (_spec(papers__0__sections__0__answer_at_most="2"), "answer_at_most must be a whole number"),
    (_spec(papers__0__sections__0__answer_at_most=50), "answer_at_most must be between"),
    (_spec(papers__0__sections__0__item_type="constructed"), "needs subtype"),
    (_spec(scoring__pass_rule="vote"), "pass_rule"), (_spec(scoring__ethics_min_rate="3/2"), "ethics_min_rate"),
    (_spec(scoring__pass_mark="1/0"), "malformed"), (_spec(scoring__pass_mark="abc"), "malformed"),
    (_spec(scoring__pass_mark=0.6), "fraction written as text"), (_spec(scoring=[1]), "scoring must be"),
    ("x" * (blueprints.MAX_SPEC_CHARS + 1), "longer than"),
]


@pytest.mark.parametrize("text,problem", BAD_SPECS, ids=[f"{i}-{p}" for i, (_t, p) in enumerate(BAD_SPECS)])
def test_bad_specs_are_refused_with_a_reason(plain: None, text: str, problem: str) -> None:
    with pytest.raises(blueprints.SpecError) as exc:
        blueprints.parse(text, 1)
    assert any(problem in p for p in exc.value.problems), exc.value.problems


def test_a_refused_update_changes_nothing(b: Base) -> None:
    rec = _record("level1-default")
    with pytest.raises(blueprints.SpecError):
        blueprints.update(b.admin, rec.id, _spec(papers__0__minutes=0))
    db.session().expire_all()
    assert bp_rules.from_dict(json.loads(_record("level1-default").spec)) == bp_rules.LEVEL1_DEFAULT


def test_a_good_spec_is_stored_in_normal_form(b: Base) -> None:
    admin = b.admin
    rec = blueprints.copy(admin, _record("level2-default").id, "l2-normal-form")
    text = _spec().replace('"level": 1', '"level": 2')  # level-1 papers in a level-2 blueprint: refused
    with pytest.raises(blueprints.SpecError):
        blueprints.update(admin, rec.id, text)
    doc = bp_rules.to_dict(bp_rules.LEVEL2_DEFAULT)
    doc["scoring"] = {"pass_rule": "ranked", "top_share": "0.35"}  # missing settings take the defaults
    stored = blueprints.update(admin, rec.id, json.dumps(doc, indent=4))
    spec = bp_rules.from_dict(json.loads(stored.spec))
    assert spec.scoring.top_share == Fraction(7, 20) and spec.papers == bp_rules.LEVEL2_DEFAULT.papers
    assert json.loads(stored.spec)["scoring"]["top_share"] == "7/20"


@pytest.mark.parametrize("name,error", [
    ("", UserError), (" ", UserError), ("bad name", UserError), ("-x", UserError), ("x" * 101, UserError),
    ("level1-default", Conflict),
])
def test_copy_names(b: Base, name: str, error: type[Exception]) -> None:
    with pytest.raises(error):
        blueprints.copy(b.admin, _record("level1-default").id, name)


def test_shortfalls_name_the_sections_the_bank_cannot_fill(b: Base) -> None:
    # The module's bank holds only the three modules of paper P1.
    short = blueprints.shortfalls(_record("level1-default"))
    assert {s.paper for s in short} == {"P2", "P3"}
    assert all(s.approved == 0 and s.item_type == "single_choice" for s in short)
    assert {s.module for s in short} >= {"L1-FIN", "L1-AI"}
    l2 = blueprints.shortfalls(_record("level2-default"))
    assert {(s.module, s.subtype, s.needed) for s in l2 if s.paper == "PM"} >= {("L2-AI", "proposal", 5)}
