"""After a run: is every acknowledged answer in the database, and is every attempt whole?"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import func, select, text

from certexam import db
from certexam.models import Attempt, Response

VALID_STATUS = {"in_progress", "submitted"}


@dataclass(frozen=True)
class Ack:
    """A save the server answered 200 to: (attempt, slot, seq) with the JSON answer sent."""

    attempt_id: int
    slot: str
    seq: int
    answer: str | None  # json.dumps of what was sent, as the server stores it


@dataclass
class Verdict:
    acknowledged: int = 0
    stored: int = 0
    lost: list[Ack] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    submitted_acked: int = 0
    submitted_stored: int = 0

    def line(self) -> str:
        return (f"acknowledged={self.acknowledged} stored={self.stored} lost={len(self.lost)} "
                f"submits acknowledged={self.submitted_acked} in db={self.submitted_stored} "
                f"problems={len(self.problems)}")


def answer_json(answer: object) -> str | None:
    return None if answer is None else json.dumps(answer, ensure_ascii=False)


def check(database_url: str, acks: Iterable[Ack], submitted: Iterable[int] = (),
          attempt_ids: Iterable[int] | None = None) -> Verdict:
    """Compare every acknowledgement with the stored row, then check each attempt's consistency.

    An acknowledged (slot, seq) counts as stored if the row for that slot has
    the same seq and answer, or a higher seq (a later save replaced it, as it
    should). Anything else is a lost answer.
    """
    engine = db.make_engine(database_url)
    verdict = Verdict()
    try:
        with engine.connect() as conn:
            ack_list = list(acks)
            ids = sorted(set(attempt_ids or ()) | {a.attempt_id for a in ack_list} | set(submitted))
            rows: dict[tuple[int, str], tuple[int, str | None]] = {}
            attempts: dict[int, tuple[str, object, int, str]] = {}
            for lo in range(0, len(ids), 1000):
                chunk = ids[lo:lo + 1000]
                for aid, slot, seq, answer in conn.execute(select(
                        Response.attempt_id, Response.slot, Response.seq, Response.answer)
                        .where(Response.attempt_id.in_(chunk))):
                    rows[(aid, slot)] = (seq, answer)
                for aid, status, submitted_at, last_seq, form in conn.execute(select(
                        Attempt.id, Attempt.status, Attempt.submitted_at, Attempt.last_seq, Attempt.form)
                        .where(Attempt.id.in_(chunk))):
                    attempts[aid] = (status, submitted_at, last_seq, form)
            for ack in ack_list:
                verdict.acknowledged += 1
                row = rows.get((ack.attempt_id, ack.slot))
                if row is not None and (row[0] > ack.seq or (row[0] == ack.seq and row[1] == ack.answer)):
                    verdict.stored += 1
                else:
                    verdict.lost.append(ack)
            subs = set(submitted)
            verdict.submitted_acked = len(subs)
            verdict.submitted_stored = sum(1 for a in subs if attempts.get(a, ("",))[0] == "submitted")
            if verdict.submitted_stored != verdict.submitted_acked:
                verdict.problems.append("an acknowledged submit is not in the database")
            verdict.problems.extend(_attempt_problems(attempts, rows))
            verdict.problems.extend(_database_problems(conn, database_url))
    finally:
        engine.dispose()
    return verdict


def _attempt_problems(attempts: dict[int, tuple[str, object, int, str]],
                      rows: dict[tuple[int, str], tuple[int, str | None]]) -> list[str]:
    out = []
    max_seq: dict[int, int] = {}
    for (aid, slot), (seq, answer) in rows.items():
        max_seq[aid] = max(max_seq.get(aid, 0), seq)
        if aid not in attempts:
            continue
        form = json.loads(attempts[aid][3])
        head = slot.partition(".")[0]
        if not head.isdigit() or not 1 <= int(head) <= len(form):
            out.append(f"attempt {aid}: response for unknown slot {slot!r}")
            continue
        if answer is not None:
            value = json.loads(answer)  # a torn or half-written answer would not parse
            entry = form[int(head) - 1]
            if entry["t"] == "single_choice" and value not in entry["o"]:
                out.append(f"attempt {aid} slot {slot}: answer {value!r} is not an option")
    for aid, (status, submitted_at, last_seq, _form) in attempts.items():
        if status not in VALID_STATUS:
            out.append(f"attempt {aid}: status {status!r}")
        if (status == "submitted") != (submitted_at is not None):
            out.append(f"attempt {aid}: status {status} with submitted_at {submitted_at}")
        if last_seq < max_seq.get(aid, 0):
            out.append(f"attempt {aid}: last_seq {last_seq} below a stored seq {max_seq[aid]}")
    return out


def _database_problems(conn: object, database_url: str) -> list[str]:
    out = []
    one_per_paper = select(Attempt.registration_id, Attempt.paper_code, func.count()).where(
        Attempt.registration_id.is_not(None)).group_by(Attempt.registration_id, Attempt.paper_code).having(
        func.count() > 1)
    for reg, code, n in conn.execute(one_per_paper):  # type: ignore[attr-defined]
        out.append(f"registration {reg} has {n} attempts at {code}")
    if database_url.startswith("sqlite"):
        result = conn.execute(text("PRAGMA integrity_check")).scalar()  # type: ignore[attr-defined]
        if result != "ok":
            out.append(f"sqlite integrity_check: {result}")
    return out


def audit_chain_problems(app_config: dict[str, object]) -> list[str]:
    """Walk the audit log (starts and submits write to it) and report any break in the chain."""
    from certexam import create_app
    from certexam.services.platform import audit

    app = create_app(app_config)
    try:
        with app.app_context():
            _count, problems = audit.verify(db.session())
            return [str(p) for p in problems]
    finally:
        app.extensions["certexam.engine"].dispose()
