"""What the candidate's page shows: the frozen form, with every secret stripped.

Answer keys, explanations and rubrics are removed here, before anything is
rendered or serialised, so no page or API response of an attempt can leak them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from certexam.domain import item_codec
from certexam.domain.items import NO_TEXT, Item
from certexam.models import Attempt, Response
from certexam.services.bank import item_cache


@dataclass(frozen=True)
class ShownItem:
    slot: str
    number: int
    item: Item  # options in the order this candidate sees them; no key, explanation or rubric
    children: tuple[tuple[str, Item], ...]  # (slot, child) for item sets, in their fixed order
    answer_at_most: int | None = None

    @property
    def full_item(self) -> Item:
        """The item with its (stripped) children back in place, for the item renderer."""
        return replace(self.item, children=tuple(child for _slot, child in self.children)) if self.children else self.item

    @property
    def slots(self) -> tuple[str, ...]:
        """The slots answered on this question: its own, or its children's."""
        return tuple(slot for slot, _child in self.children) or (self.slot,)


def _safe(item: Item, order: list[str]) -> Item:
    options = {o.key: o for o in item.options}
    shown = tuple(options[k] for k in order if k in options) if order else item.options
    return replace(item, options=shown, answer=None, explanation=NO_TEXT, rubric=NO_TEXT, enemies=(), tags=())


def shown_items(sess: Session, attempt: Attempt, answer_at_most: dict[int, int] | None = None) -> list[ShownItem]:
    form: list[dict[str, Any]] = json.loads(attempt.form)
    versions = item_cache.items_by_version(sess, [e["v"] for e in form])
    out = []
    for n, entry in enumerate(form, 1):
        item = versions[entry["v"]]
        children = tuple((f"{n}.{i}", _safe(child, entry["c"][i - 1] if entry["c"] else []))
                         for i, child in enumerate(item.children, 1))
        safe = replace(_safe(item, entry["o"]), children=())
        # Without the blueprint's limits (a practice paper has no sitting), the form's own "g" says them.
        out.append(ShownItem(str(n), n, safe, children, (answer_at_most or {}).get(entry["s"], entry.get("g"))))
    return out


def answers(sess: Session, attempt: Attempt) -> dict[str, tuple[Any, bool]]:
    """slot -> (answer, flagged) as acknowledged."""
    return answers_of(sess, attempt.id)


def answers_of(sess: Session | Connection, attempt_id: int) -> dict[str, tuple[Any, bool]]:
    """`answers` by the attempt's id (the API's paper loads no attempt object)."""
    rows = sess.execute(select(Response.slot, Response.answer, Response.flagged)  # columns, not objects
                        .where(Response.attempt_id == attempt_id))
    return {slot: (json.loads(answer) if answer is not None else None, flagged) for slot, answer, flagged in rows}


def item_json(item: Item) -> dict[str, Any]:
    """A candidate-safe JSON form of a shown item (for the API)."""
    doc = item_codec.to_dict(item)
    for secret in ("answer", "explanation", "rubric", "enemies", "tags", "scoring"):
        doc.pop(secret, None)
    return doc
