"""Forms assembled ahead of the sitting (issue 21): assembled and checked before the exam (command,
worker's tick, or the first start), then only handed out; on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import select

from certexam import db
from certexam.bankio import reader
from certexam.domain import difficulty, form_pool
from certexam.domain.assembly import aim, assemble_form, unit_map
from certexam.errors import Conflict, UserError
from certexam.models import AttemptItem, AuditEntry, BankItem, Sitting, SittingForm, User
from certexam.services.attempts import lifecycle as attempts
from certexam.services.bank import item_cache
from certexam.services.bank import items as bank
from certexam.services.sittings import pre_assembly
from certexam.services.sittings import schedule as sittings
from tests.conftest import PG, _pg_create, _pg_drop, make_app
from tests.exam_setup import BANK, enrol, load_bank
from tests.factories import candidate

LEVEL1 = ("L1-ETH", "L1-STD", "L1-ECO", "L1-FIN", "L1-ACC", "L1-QNT", "L1-PAY", "L1-BC", "L1-AI", "L1-CMP",
          "L1-DB", "L1-NET", "L1-PRG")
LEVEL2 = ("L2-ETH", "L2-GEN", "L2-AI", "L2-BD", "L2-CLD")


@dataclass
class Env:
    app: Flask
    users: list[User]


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def env(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    """The shipped level-1 bank (every paper can be assembled) and eight candidates, per database."""
    pg_name = url = None
    if request.param == "postgres":
        if not PG:
            pytest.skip("no PostgreSQL server answers on 127.0.0.1:5432")
        pg_name, url = _pg_create()
    app = make_app(tmp_path_factory.mktemp("preassembled"), url, PRE_ASSEMBLED_FORMS=4)
    load_bank(app, LEVEL1)
    with app.app_context():
        read = reader.read_files([str(BANK / "level2" / f"{m}.yaml") for m in LEVEL2])
        assert not read.errors, read.errors[:3]
        bank.import_items(read.items, None, approve=True)
    yield Env(app, [candidate(app) for _ in range(8)])
    app.extensions["certexam.engine"].dispose()
    if pg_name:
        _pg_drop(pg_name)


@pytest.fixture
def e(env: Env) -> Iterator[Env]:
    with env.app.test_request_context(headers={"Accept-Language": "en"}):
        yield env


def _sitting(mode: str = "pre_assembled", closed: bool = True, level: int = 1) -> int:
    """A sitting whose first paper started five minutes ago (registration closed, or still open)."""
    now = db.utcnow()
    codes = ("P1", "P2", "P3") if level == 1 else ("AM", "PM")
    plan = sittings.SittingPlan(
        name=f"{mode} sitting", level=level, registration_opens_at=now - timedelta(days=3),
        registration_closes_at=now - timedelta(days=1) if closed else now + timedelta(days=1), capacity=50,
        languages=("zh_Hans", "en"), fee_fen=0, assembly_mode=mode,
        papers=tuple(sittings.PaperPlan(c, (now if closed else now + timedelta(days=2))
                                        - timedelta(minutes=5) + timedelta(hours=4 * i))
                     for i, c in enumerate(codes)))
    return sittings.create_sitting(None, plan).id


def _forms(sitting_id: int) -> list[tuple[str, SittingForm]]:
    sess = db.session()
    sitting = sess.get(Sitting, sitting_id)
    assert sitting is not None
    codes = {p.id: p.code for p in sitting.papers}
    rows = sess.scalars(select(SittingForm).where(SittingForm.sitting_paper_id.in_(codes))
                        .order_by(SittingForm.sitting_paper_id, SittingForm.number)).all()
    return [(codes[r.sitting_paper_id], r) for r in rows]


def test_assembled_forms_meet_the_blueprint_and_the_target_and_their_seeds_rebuild_them(e: Env) -> None:
    sid = _sitting()
    done = pre_assembly.assemble(sid, 5)
    assert [(a.paper, a.forms) for a in done] == [("P1", 5), ("P2", 5), ("P3", 5)]
    sess = db.session()
    sitting = sess.get(Sitting, sid)
    assert sitting is not None
    bp = sittings.blueprint_of(sitting)
    stored = _forms(sid)
    assert Counter(code for code, _ in stored) == {"P1": 5, "P2": 5, "P3": 5}
    for paper in bp.papers:
        rows = [r for code, r in stored if code == paper.code]
        assert [r.number for r in rows] == [1, 2, 3, 4, 5]
        pool = item_cache.pool(sess, {s.module for s in paper.sections})
        by_version = {p.version_id: p for p in pool}
        units = unit_map(bp, pool)
        target, tolerance = aim(bp, paper, [[p for p in pool if (p.module, p.item_type) == (s.module, s.item_type)]
                                            for s in paper.sections], units)
        item_sets = set()
        for r in rows:
            doc = json.loads(r.form)
            versions = [d["v"] for d in doc]
            items = [by_version[v] for v in versions]
            item_sets.add(frozenset(versions))
            # content: each section's count from its own module and type; no item twice; no enemy pair
            assert Counter(d["s"] for d in doc) == {i: s.count for i, s in enumerate(paper.sections)}
            for d, item in zip(doc, items, strict=True):
                section = paper.sections[d["s"]]
                assert (item.module, item.item_type) == (section.module, section.item_type)
            ids = {i.external_id for i in items}
            assert len(ids) == paper.item_count and all(not i.enemies & ids for i in items)
            # difficulty: recomputed from the bank's statistics, not taken from the row
            expected = sum(units[i.external_id] for i in items)
            assert expected == r.expected_units and (r.target_units, r.tolerance_units) == (target, tolerance)
            assert r.within and abs(expected - target) <= tolerance
            # reproducible: the seed rebuilds the same form from the same pool
            rebuilt = assemble_form(bp, paper, pool, r.seed)
            assert [(x.version_id, list(x.option_order)) for x in rebuilt.entries] == \
                [(d["v"], d["o"]) for d in doc]
        assert len(item_sets) == 5  # five different tests, not one shuffled five times
    assert tolerance / difficulty.SCALE > 0
    audit = sess.scalars(select(AuditEntry).where(AuditEntry.action == "sitting.forms_assemble",
                                                  AuditEntry.object_id == str(sid))).all()
    assert len(audit) == 1


def test_each_start_hands_out_a_stored_form_in_turn(e: Env) -> None:
    sid = _sitting()
    pre_assembly.assemble(sid, 3)
    stored = {r.seed: r for code, r in _forms(sid) if code == "P1"}
    regs = [enrol(e.app, u, sid) for u in e.users[:6]]
    started = [attempts.start(u, reg, "P1", "en") for u, reg in zip(e.users[:6], regs, strict=True)]
    sess = db.session()
    sitting = sess.get(Sitting, sid)
    assert sitting is not None
    salt = sitting.papers[0].fixed_seed
    for reg, att in zip(regs, started, strict=True):
        row = stored[att.seed]  # KeyError: a form that was not stored
        assert att.form == row.form
        assert row.number == form_pool.choose(reg, salt, 3)
        versions = [v for (v,) in sess.execute(select(AttemptItem.version_id).where(AttemptItem.attempt_id == att.id)
                                               .order_by(AttemptItem.position))]
        assert versions == [d["v"] for d in json.loads(row.form)]
    assert Counter(att.seed for att in started) == {seed: 2 for seed in stored}  # six candidates, three forms
    assert len(_forms(sid)) == 9  # nothing assembled at the starts
    # The page's view of it: every form handed to two candidates.
    from certexam.services.sittings import form_check

    p1 = next(s for s in form_check.stored(sess, sitting) if s.paper == "P1")
    assert [f.handed_out for f in p1.forms] == [2, 2, 2] and p1.outside == 0
    assert p1.lowest <= p1.highest and abs(p1.highest - p1.target) <= p1.tolerance
    # A begun paper keeps its set.
    with pytest.raises(Conflict):
        pre_assembly.assemble(sid, 3, replace=True)


def test_a_start_that_finds_no_forms_assembles_its_paper_first(e: Env) -> None:
    sid = _sitting()
    user = e.users[6]
    att = attempts.start(user, enrol(e.app, user, sid), "P1", "en")
    stored = _forms(sid)
    assert [code for code, _ in stored] == ["P1"] * 4  # PRE_ASSEMBLED_FORMS, that paper only
    assert att.seed in {r.seed for _, r in stored} and att.form in {r.form for _, r in stored}


def test_the_tick_assembles_once_registration_closes_and_only_in_that_mode(e: Env) -> None:
    due_now, still_open, other = _sitting(), _sitting(closed=False), _sitting(mode="per_candidate")
    sess = db.session()
    found = pre_assembly.due(sess)
    assert due_now in found and still_open not in found and other not in found
    sess.rollback()
    assert pre_assembly.assemble_due() >= 1
    assert Counter(code for code, _ in _forms(due_now)) == {"P1": 4, "P2": 4, "P3": 4}
    assert _forms(still_open) == [] and _forms(other) == []
    assert due_now not in pre_assembly.due(db.session())


def test_refusals_are_clear(e: Env) -> None:
    with pytest.raises(UserError, match="does not use forms assembled ahead"):
        pre_assembly.assemble(_sitting(mode="per_candidate"))
    with pytest.raises(UserError, match="between 1 and"):
        pre_assembly.assemble(_sitting(), 0)
    with pytest.raises(UserError, match="does not exist"):
        pre_assembly.assemble(10**9)


def test_the_command_assembles_and_says_what(env: Env) -> None:
    with env.app.app_context():
        sid = _sitting()
        other = _sitting(mode="fixed")
    runner = env.app.test_cli_runner()
    out = runner.invoke(args=["sittings", "assemble", str(sid), "--forms", "2"])
    assert out.exit_code == 0, out.output
    assert "P1: 2 form(s) assembled." in out.output and "P3: 2 form(s) assembled." in out.output
    again = runner.invoke(args=["sittings", "assemble", str(sid)])
    assert again.exit_code == 0 and "already has its forms" in again.output
    fresh = runner.invoke(args=["sittings", "assemble", str(sid), "--forms", "3", "--replace"])
    assert fresh.exit_code == 0 and "P2: 3 form(s) assembled." in fresh.output
    # The refusal is a translated message: read it in English (the shell's language picks the CLI's).
    refused = runner.invoke(args=["sittings", "assemble", str(other)], env={"LC_ALL": "en"})
    assert refused.exit_code != 0 and "does not use forms assembled ahead" in refused.output
    with env.app.app_context():
        assert Counter(code for code, _ in _forms(sid)) == {"P1": 3, "P2": 3, "P3": 3}


def test_level_2_has_a_set_per_direction_and_a_candidate_gets_their_own(e: Env) -> None:
    sid = _sitting(level=2)
    done = pre_assembly.assemble(sid, 2)
    by_paper = Counter(a.paper for a in done)
    with_directions = {a.paper for a in done if a.direction}
    assert with_directions and {a.direction for a in done if a.direction} == {"AI", "BD", "CLD"}
    assert all(by_paper[p] == 3 for p in with_directions)  # one set per direction
    sess = db.session()
    sitting = sess.get(Sitting, sid)
    assert sitting is not None
    sp = next(p for p in sitting.papers if p.code in with_directions)
    stored = _forms(sid)
    for direction in ("AI", "BD", "CLD"):
        drawn = pre_assembly.stored_form(sess, sitting, sp, 12345, direction)
        assert drawn is not None
        mine = {r.seed: r for code, r in stored if code == sp.code and r.direction == direction}
        assert drawn.seed in mine and drawn.form == mine[drawn.seed].form
        modules = set(sess.scalars(select(BankItem.module).where(BankItem.id.in_(drawn.source.item_of.values()))))
        others = {f"L2-{d}" for d in ("AI", "BD", "CLD")} - {f"L2-{direction}"}
        assert f"L2-{direction}" in modules and not modules & others
    assert pre_assembly.stored_form(sess, sitting, sp, 12345, None) is None  # no direction: no form of its own
