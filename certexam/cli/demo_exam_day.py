"""A past exam day, run through the platform's own use cases at the story's times.

A sitting is scheduled, candidates register while registration is open, and
on the exam day each candidate begins each paper (`lifecycle.try_begin`: the
platform draws their form), answers it and submits it (`submit.try_submit`),
at the minute the story says.

Answers are stored with the autosave's own statements (`autosave_sql`: the
claim that checks owner, device and time, then the answer upsert), one
transaction per paper rather than one per answer: a level-1 cohort of 300
gives 72,000 answers, which one save at a time (~0.4 ms each) would take half
a minute to store. What is stored is what the hot path stores: the same rows,
sequence numbers and times.
"""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select

from certexam import db
from certexam.cli import demo_cohort as model
from certexam.cli.demo_clock import DemoClock, local
from certexam.domain import timing as T
from certexam.domain.items import Item
from certexam.models import Attempt, Registration, Sitting, User
from certexam.services.attempts import autosave_sql, lifecycle
from certexam.services.attempts import submit as hot_submit
from certexam.services.attempts.autosave_sql import Owner
from certexam.services.bank import item_cache
from certexam.services.sittings import schedule

LANGUAGES = ("zh_Hans", "zh_Hant", "en", "pt")


@dataclass(frozen=True)
class Seat:
    """One candidate of a sitting, as the story runs them."""

    user_id: int
    registration_id: int
    ability: model.Ability
    seed: str
    language: str
    papers_sat: int  # 0: absent; fewer than the sitting's papers: missed the last one
    finishes_early: bool  # False: lets the time run out (the platform closes the paper)


def find(name: str) -> Sitting | None:
    return db.session().scalar(select(Sitting).where(Sitting.name == name))


def schedule_past(demo: DemoClock, name: str, level: int, exam_day: date, papers: Sequence[tuple[str, int, int]],
                  fee_fen: int, capacity: int = 3000) -> Sitting:
    """Create a sitting as the administrator did, ten weeks before its exam day."""
    demo.set(local(exam_day - timedelta(days=75), 10))
    return schedule.create_sitting(None, schedule.SittingPlan(
        name=name, level=level, registration_opens_at=local(exam_day - timedelta(days=70), 9),
        registration_closes_at=local(exam_day - timedelta(days=14), 18), capacity=capacity,
        languages=LANGUAGES, fee_fen=fee_fen,
        papers=tuple(schedule.PaperPlan(code, local(exam_day, hour, minute)) for code, hour, minute in papers)))


def register(demo: DemoClock, sitting: Sitting, user_ids: Sequence[int], directions: Sequence[str | None],
             exam_day: date) -> list[int]:
    """Each candidate registers on some day while registration is open; returns registration ids."""
    sess = db.session()
    users = {u.id: u for u in sess.scalars(select(User).where(User.id.in_(list(user_ids))))}
    have = dict(sess.execute(select(Registration.user_id, Registration.id)
                             .where(Registration.sitting_id == sitting.id)).all())
    out = []
    first = exam_day - timedelta(days=69)
    for n, (uid, direction) in enumerate(zip(user_ids, directions, strict=True)):
        if uid not in have:
            demo.set(local(first + timedelta(days=n * 53 % 54), 8 + n % 13, n * 7 % 60))
            have[uid] = schedule.register(users[uid], sitting.id, direction).id
        out.append(have[uid])
    return out


def seats(tag: str, user_ids: Sequence[int], registration_ids: Sequence[int], abilities: Sequence[model.Ability],
          papers: int, hk_every: int = 12) -> list[Seat]:
    """How each candidate takes the day: a few stay away or miss a paper, some use all the time."""
    rng = random.Random(f"certexam-demo-seats-{tag}")
    out = []
    for n, (uid, rid, who) in enumerate(zip(user_ids, registration_ids, abilities, strict=True), 1):
        roll = rng.random()
        sat = 0 if roll < 0.02 else papers - 1 if roll < 0.035 else papers
        language = "zh_Hant" if n % hk_every == 0 else "en" if rng.random() < 0.08 else "zh_Hans"
        out.append(Seat(uid, rid, who, f"{tag}:{n}", language, sat, rng.random() > 0.06))
    return out


def form_of(attempt_id: int) -> list[dict[str, Any]]:
    form = db.session().scalar(select(Attempt.form).where(Attempt.id == attempt_id))
    assert form is not None  # the attempt was just inserted
    return list(json.loads(form))


def answers_for_form(seat: Seat, form: list[dict[str, Any]], choose_at_most: dict[int, int],
                     known: dict[int, Item] | None = None) -> list[tuple[str, Any]]:
    """(slot, answer) in the order the candidate works; blanks are not saved.

    `known`: item versions already read (versions never change), shared across one exam day.
    """
    items = {} if known is None else known
    missing = [e["v"] for e in form if e["v"] not in items]
    if missing:
        items.update(item_cache.items_by_version(db.session(), missing))
    rng = random.Random(f"{seat.seed}:choices")
    chosen: dict[int, list[int]] = {}
    for section, k in choose_at_most.items():  # "answer 2 of 5": the candidate picks which
        slots = [n for n, e in enumerate(form, 1) if e.get("s") == section]
        chosen[section] = sorted(rng.sample(slots, min(k, len(slots))))
    out: list[tuple[str, Any]] = []
    for n, entry in enumerate(form, 1):
        item = items[entry["v"]]
        if item.type == "constructed":
            if entry.get("s") in chosen and n not in chosen[entry["s"]]:
                continue
            out.append((str(n), model.written(item, seat.ability, seat.seed)))
            continue
        out += [(f"{n}{suffix}", value) for suffix, value in model.answers_for(item, seat.ability, seat.seed)
                if value is not None]
    return out


@db.core_use_case
def store_answers(seat: Seat, attempt_id: int, device: str, answers: list[tuple[str, Any]], begun: datetime,
           spacing: timedelta) -> None:
    """Claim the attempt (owner, device, in time) as a save does, then upsert every answer."""
    conn = db.connection()
    st = autosave_sql.statements(conn.dialect.name, False)
    last = begun + spacing * len(answers)
    claimed = conn.execute(st.claim, {"p_aid": attempt_id, "p_dev": device, "p_seq": len(answers), "p_now": last,
                                      "p_cutoff": last - T.SAVE_GRACE, "p_uid": seat.user_id}).first()
    if claimed is None:
        raise RuntimeError(f"demo attempt {attempt_id} refused its answers")
    if answers:
        conn.execute(st.upsert_answer, [
            {"p_aid": attempt_id, "p_slot": slot, "p_answer": json.dumps(value, ensure_ascii=False),
             "p_flagged": False, "p_seq": seq, "p_now": begun + spacing * seq}
            for seq, (slot, value) in enumerate(answers, 1)])


def sit(demo: DemoClock, sitting: Sitting, group: Sequence[Seat], choose_at_most: dict[str, dict[int, int]]) -> None:
    """The exam day: every paper in order, every candidate who came (papers start at their set times)."""
    # Plain values: every use case begins with a rollback, which would make the ORM reload each paper.
    papers = [(p.code, p.starts_at, p.minutes) for p in sorted(sitting.papers, key=lambda p: p.position)]
    known: dict[int, Item] = {}
    for index, (code, starts_at, minutes) in enumerate(papers):
        for n, seat in enumerate(group):
            if seat.papers_sat <= index:
                continue
            begun = demo.set(starts_at + timedelta(seconds=20 + n * 97 % 600))
            started = lifecycle.try_begin(Owner(user_id=seat.user_id), seat.registration_id, code, seat.language)
            if started is None or started.device is None:
                raise RuntimeError(f"demo candidate {seat.user_id} could not begin {code}")
            answers = answers_for_form(seat, form_of(started.attempt_id), choose_at_most.get(code, {}), known)
            used = minutes * (0.55 + 0.4 * (n * 37 % 100) / 100) if seat.finishes_early else minutes
            store_answers(seat, started.attempt_id, started.device, answers, begun,
                          timedelta(minutes=min(used, minutes - 1)) / max(len(answers), 1))
            if seat.finishes_early:
                demo.set(begun + timedelta(minutes=used))
                if hot_submit.try_submit(Owner(user_id=seat.user_id), started.attempt_id, started.device) is None:
                    raise RuntimeError(f"demo attempt {started.attempt_id} could not be submitted")
    # In the evening the sweeper closes the papers whose time ran out.
    demo.set(papers[-1][1] + timedelta(hours=6))
    lifecycle.close_expired()


def choose_at_most(sitting: Sitting) -> dict[str, dict[int, int]]:
    """Per paper, the sections whose candidates answer only some questions ("2 of 5 proposals")."""
    bp = schedule.blueprint_of(sitting)
    return {p.code: {i: s.answer_at_most for i, s in enumerate(p.sections)
                     if s.answer_at_most is not None and s.answer_at_most < s.count} for p in bp.papers}
