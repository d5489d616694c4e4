"""An answer against the attempt's frozen form: which slot it names, whether it fits the
question's kind and options, whether it answers at all, and a choose-k group's limit
(split from autosave.py; issue 18). Pure reads of the form, except the group's one read."""

from __future__ import annotations

import functools
import json
import re
from typing import Any

from flask_babel import gettext as _
from sqlalchemy.engine import Connection

from certexam.errors import Conflict, UserError
from certexam.services.attempts.autosave_sql import Statements

MAX_TEXT_ANSWER = 20_000  # characters in a constructed response


class ChoiceLimit(Conflict):
    """An answer beyond what a choose-k-of-n group allows (rules s.2: "the proposals chosen 2 of 5")."""

    code = "choice_limit"


@functools.lru_cache(maxsize=4096)
def _parsed_form(form: str) -> tuple[dict[str, Any], ...]:
    """An attempt's frozen form, parsed once per process (read-only: callers never mutate it)."""
    return tuple(json.loads(form))


def _slot_entry(form: str, slot: str) -> tuple[dict[str, Any], int | None]:
    entries = _parsed_form(form)
    head, _sep, tail = slot.partition(".")
    if not head.isdigit() or not 1 <= int(head) <= len(entries) or len(slot) > 12:
        raise UserError(_("Unknown question."), "slot")
    entry = entries[int(head) - 1]
    if entry["t"] == "item_set":
        if not tail.isdigit() or not 1 <= int(tail) <= len(entry["c"]):
            raise UserError(_("Unknown question."), "slot")
        return entry, int(tail) - 1
    if tail:
        raise UserError(_("Unknown question."), "slot")
    return entry, None


def _check_answer(entry: dict[str, Any], child: int | None, answer: Any) -> None:
    kind = entry["ct"][child] if child is not None else entry["t"]
    keys = entry["c"][child] if child is not None else entry["o"]
    ok = (answer is None
          or (kind == "single_choice" and isinstance(answer, str) and answer in keys)
          or (kind == "multiple_response" and isinstance(answer, list) and len(set(answer)) == len(answer)
              and all(isinstance(a, str) and a in keys for a in answer))
          or (kind == "true_false" and isinstance(answer, bool))
          or (kind == "constructed" and isinstance(answer, str) and len(answer) <= MAX_TEXT_ANSWER))
    if not ok:
        raise UserError(_("This answer does not fit the question."), "answer")


def _answered(value: Any) -> bool:
    """Whether an answer (as sent, or stored and decoded) answers its question: blank text, an empty
    selection or none do not (scoring's test: a written answer counts when it has non-blank text)."""
    if isinstance(value, str):
        return bool(value.strip())
    return value is not None and value != []


# The JSON (as _answer_value writes it) of text that str.strip() empties: whitespace, escaped or not.
_BLANK_TEXT = re.compile(r'"(?:\s|\\[tnrf]|\\u00(?:0[bB]|1[c-fC-F]))*"')


def _holds_answer(stored: str | None) -> bool:
    """`_answered` of a stored answer, read from its JSON without decoding it: the clock resync lists
    the answered slots (issue 18.2: blank written answers were listed) and decoding each costs 3 us here."""
    return stored is not None and stored != "[]" and _BLANK_TEXT.fullmatch(stored) is None


def _limited(entry: dict[str, Any], child: int | None, answer: Any) -> bool:
    """Whether this save must be held to its choose-k group: an answer to an item of one."""
    return child is None and "g" in entry and _answered(answer)


def _check_group(conn: Connection, st: Statements, attempt_id: int, form: str, slot: str, answer: Any) -> None:
    """Refuse an answer that would answer more of a choose-k-of-n group than k (issue 18.9: only the
    page's script stopped a third proposal). One read, only for an answer to a grouped item; the
    claim before it holds the attempt's row (PostgreSQL) or the write lock (SQLite), so two saves of
    one attempt cannot both pass."""
    entry, child = _slot_entry(form, slot)
    if not _limited(entry, child, answer):
        return
    others = [str(n) for n, e in enumerate(_parsed_form(form), 1)
              if e.get("s") == entry.get("s") and "g" in e and str(n) != slot]
    stored = conn.execute(st.group_answers, {"p_aid": attempt_id, "p_slots": others}).scalars()
    limit = int(entry["g"])
    if sum(1 for raw in stored if raw is not None and _answered(json.loads(raw))) >= limit:
        raise ChoiceLimit(_("Answer at most %(k)d of these %(n)d questions: clear one of your answers first.",
                            k=limit, n=len(others) + 1), "answer")


def _fits(form: str, slot: str, answer: Any) -> bool:
    """Whether the answer fits its slot and needs no group check: a misfit takes the full path,
    which explains it after the claim has checked the caller (a stranger never hears about the body
    first), and an answer to a choose-k group is counted there, after the claim."""
    try:
        entry, child = _slot_entry(form, slot)
        _check_answer(entry, child, answer)
    except UserError:
        return False
    return not _limited(entry, child, answer)


def _answer_value(answer: Any) -> str | None:
    return json.dumps(answer, ensure_ascii=False) if answer is not None else None
