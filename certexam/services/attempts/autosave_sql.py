"""The autosave's statements, built once per process with bound parameters (see autosave.py).

Who may save is checked inside the statements themselves (`Owner`): the attempt
must belong to an active candidate named by the signed session's user id or by
a bearer token's digest. The hot path then loads no user at all; the user is
loaded only to explain a refusal (issue 4: autosave next to the bare write).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Boolean,
    ColumnElement,
    Integer,
    Select,
    String,
    Text,
    bindparam,
    case,
    func,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.sql import Executable

from certexam import db
from certexam.models import ApiToken, Attempt, AttemptStatus, Response, Role, User

_A = Attempt.__table__
_R = Response.__table__
_U = User.__table__
_T = ApiToken.__table__


@dataclass(frozen=True)
class Owner:
    """Who sends a save or a resync: a user id (from the signed session, or a loaded user)
    or the SHA-256 of a bearer token; exactly one is set."""

    user_id: int | None = None
    token_digest: str | None = None
    session_epoch: int | None = None  # a signed session's epoch: must still be the account's (issue 19.2)

    @property
    def by_token(self) -> bool:
        return self.token_digest is not None

    def params(self) -> dict[str, Any]:
        if self.by_token:
            return {"p_digest": self.token_digest}
        return {"p_uid": self.user_id, "p_epoch": self.session_epoch}


@dataclass(frozen=True)
class Statements:
    claim: Executable  # guarded UPDATE: raise last_seq, stamp last_saved_at, return form and deadline
    upsert_answer: Executable
    upsert_flag: Executable  # keeps the stored answer
    stored_seq: Executable
    state: Executable
    form: Executable  # the paper's frozen form, if the attempt is the owner's
    slots: Executable
    group_answers: Executable  # the stored answers of some slots (p_slots): a choose-k group's others
    save_at_once: Executable | None  # PostgreSQL: claim and upsert in one statement (one round trip)
    save_if_claimable: Executable | None  # SQLite: the same for a known form (triggers keep the attempt)


def _owned(by_token: bool) -> ColumnElement[bool]:
    """The attempt belongs to the active candidate the request names."""
    return _A.c.user_id.in_(owner_ids(by_token))


def owner_ids(by_token: bool) -> Select[Any]:
    """The id of the active candidate the request names, if any (as Flask-Login's loader and the
    API's role check would decide, here inside the statement); parameters: Owner.params()."""
    allowed = select(_U.c.id).where(_U.c.active.is_(True), _U.c.role == Role.CANDIDATE)
    if by_token:
        allowed = (allowed.join(_T, _T.c.user_id == _U.c.id)
                   .where(_T.c.token_hash == bindparam("p_digest", type_=String), _T.c.revoked_at.is_(None)))
    else:
        # A session of an ended epoch names no one; a user loaded beforehand (epoch None) was checked then.
        epoch = func.coalesce(bindparam("p_epoch", None, type_=Integer), _U.c.session_epoch)
        allowed = allowed.where(_U.c.id == bindparam("p_uid", type_=Integer), _U.c.session_epoch == epoch)
    return allowed


def _claimable(by_token: bool) -> list[ColumnElement[bool]]:
    """The attempt may take a save: the owner's, this device's, not submitted or paused, in time."""
    return [_A.c.id == bindparam("p_aid", type_=Integer), _owned(by_token),
            _A.c.status != AttemptStatus.SUBMITTED, _A.c.paused_at.is_(None),
            _A.c.holder_token == bindparam("p_dev", type_=String),
            # deadline >= now - grace  <=>  not T.is_expired(deadline, now)
            _A.c.deadline_at >= bindparam("p_cutoff", type_=db.UTCDateTime())]


def _claim(by_token: bool) -> Any:
    """Raise last_seq and stamp last_saved_at if the attempt may take a save (`_claimable`).

    Raising last_seq before knowing whether this slot's save is stale is safe: a
    stale or duplicate seq is never above last_seq already. Flags stamp the time
    too: on SQLite the triggers of revision 0010 stamp every stored slot.
    """
    seq = bindparam("p_seq", type_=Integer)
    return (update(_A).where(*_claimable(by_token))
            .values(last_seq=case((_A.c.last_seq < seq, seq), else_=_A.c.last_seq),
                    last_saved_at=bindparam("p_now", type_=db.UTCDateTime()))
            .returning(_A.c.form, _A.c.deadline_at))


def _upsert(dialect: str, with_answer: bool) -> Executable:
    insert_ = pg_insert if dialect == "postgresql" else sqlite_insert
    ins = insert_(_R).values(attempt_id=bindparam("p_aid", type_=Integer), slot=bindparam("p_slot", type_=String),
                             answer=bindparam("p_answer", type_=Text), flagged=bindparam("p_flagged", type_=Boolean),
                             seq=bindparam("p_seq", type_=Integer), saved_at=bindparam("p_now", type_=db.UTCDateTime()))
    new = ins.excluded
    changes = {"flagged": new.flagged, "seq": new.seq, "saved_at": new.saved_at}
    if with_answer:
        changes["answer"] = new.answer
    # Only a newer seq replaces what is stored (T.decide_save), decided inside the one statement.
    return ins.on_conflict_do_update(index_elements=["attempt_id", "slot"], set_=changes,
                                     where=_R.c.seq < new.seq).returning(_R.c.id)


_ROW_COLUMNS = ["attempt_id", "slot", "answer", "flagged", "seq", "saved_at"]


def _answer_row() -> Select[Any]:
    """The response row a save stores, from its parameters (for INSERT ... SELECT)."""
    return select(bindparam("p_aid", type_=Integer), bindparam("p_slot", type_=String),
                  bindparam("p_answer", type_=Text), bindparam("p_flagged", type_=Boolean),
                  bindparam("p_seq", type_=Integer), bindparam("p_now", type_=db.UTCDateTime()))


def _save_at_once(by_token: bool) -> Executable:
    """The claim and the upsert as one PostgreSQL statement: a data-modifying CTE feeds the
    claimed row to the INSERT, so nothing is stored unless the claim took the attempt.

    WITH claimed AS (UPDATE attempt ... RETURNING form, deadline_at),
         stored AS (INSERT INTO response ... SELECT ... FROM claimed ON CONFLICT ... RETURNING id)
    SELECT form, deadline_at, (SELECT count(*) FROM stored) FROM claimed
    """
    claimed = _claim(by_token).cte("claimed")
    ins = pg_insert(_R).from_select(_ROW_COLUMNS, _answer_row().select_from(claimed))
    new = ins.excluded
    stored = (ins.on_conflict_do_update(index_elements=["attempt_id", "slot"], where=_R.c.seq < new.seq,
                                        set_={"answer": new.answer, "flagged": new.flagged, "seq": new.seq,
                                              "saved_at": new.saved_at})
              .returning(_R.c.id).cte("stored"))
    return select(claimed.c.form, claimed.c.deadline_at,
                  select(func.count()).select_from(stored).scalar_subquery())


def _save_if_claimable(by_token: bool) -> Executable:
    """SQLite's one-statement save, for a form already known (the answer checked against it):
    the answer row is built from the attempt row only if `_claimable`, and stored only if newer;
    the triggers of revision 0010 raise last_seq and stamp last_saved_at in the same statement.

    INSERT INTO response ... SELECT ... FROM attempt WHERE <claimable>
    ON CONFLICT DO UPDATE ... WHERE seq < excluded.seq RETURNING id, (SELECT deadline_at ...)

    No row back: refused, a duplicate or a stale save; the two-statement path says which.
    """
    row = _answer_row().select_from(_A).where(*_claimable(by_token))
    ins = sqlite_insert(_R).from_select(_ROW_COLUMNS, row)
    new = ins.excluded
    # not correlated: RETURNING renders its columns unqualified, so `id` would be ambiguous
    deadline = select(_A.c.deadline_at).where(_A.c.id == bindparam("p_aid", type_=Integer)).scalar_subquery()
    return (ins.on_conflict_do_update(index_elements=["attempt_id", "slot"], where=_R.c.seq < new.seq,
                                      set_={"answer": new.answer, "flagged": new.flagged, "seq": new.seq,
                                            "saved_at": new.saved_at})
            .returning(_R.c.id, deadline))


@functools.cache
def statements(dialect: str, by_token: bool) -> Statements:
    aid = bindparam("p_aid", type_=Integer)
    return Statements(
        claim=_claim(by_token),
        upsert_answer=_upsert(dialect, True), upsert_flag=_upsert(dialect, False),
        stored_seq=select(_R.c.seq).where(_R.c.attempt_id == aid, _R.c.slot == bindparam("p_slot", type_=String)),
        state=select(_A.c.id, _A.c.user_id, _A.c.status, _A.c.kind, _A.c.paper_code, _A.c.deadline_at,
                     _A.c.paused_at, _A.c.last_seq, _A.c.holder_token).where(_A.c.id == aid, _owned(by_token)),
        form=select(_A.c.form).where(_A.c.id == aid, _owned(by_token)),
        slots=select(_R.c.slot, _R.c.answer, _R.c.flagged).where(_R.c.attempt_id == aid),
        group_answers=select(_R.c.answer).where(_R.c.attempt_id == aid,
                                                _R.c.slot.in_(bindparam("p_slots", expanding=True))),
        save_at_once=_save_at_once(by_token) if dialect == "postgresql" else None,
        save_if_claimable=_save_if_claimable(by_token) if dialect == "sqlite" else None)
