"""Turn an attempt's frozen form and stored answers into the pure scoring inputs."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from certexam.domain.catalogue import MODULES_BY_CODE
from certexam.domain.items import Item
from certexam.domain.scoring_types import Response as ScoredResponse
from certexam.domain.scoring_types import ScoringItem
from certexam.models import Attempt
from certexam.models import Response as ResponseRow
from certexam.services.bank import item_cache


def _scoring_item(slot: str, item: Item, module: str, set_id: str | None = None) -> ScoringItem:
    key: Any = item.answer
    if item.type == "multiple_response":
        key = frozenset(item.answer or ())
    if item.type == "constructed":
        key = None
    return ScoringItem(item_id=slot, module=module, is_ethics=MODULES_BY_CODE[module].is_ethics,
                       kind=item.type,  # type: ignore[arg-type]
                       key=key, max_points=item.max_points or 1, partial_credit=item.scoring == "partial",
                       set_id=set_id)


def form_items(sess: Session, attempt: Attempt) -> list[tuple[str, Item, ScoringItem]]:
    """(slot, full item with its key, scoring item) for every scored slot of the attempt."""
    form: list[dict[str, Any]] = json.loads(attempt.form)
    versions = item_cache.items_by_version(sess, [e["v"] for e in form])
    out = []
    for n, entry in enumerate(form, 1):
        item = versions[entry["v"]]
        if item.type == "item_set":
            # Children have no module of their own: they carry the set's (and its ethics flag).
            for i, child in enumerate(item.children, 1):
                slot = f"{n}.{i}"
                out.append((slot, child, _scoring_item(slot, child, item.module, set_id=str(n))))
        else:
            out.append((str(n), item, _scoring_item(str(n), item, item.module)))
    return out


def responses(sess: Session, attempt: Attempt, marks: Mapping[str, int | None] | None = None) -> dict[str, ScoredResponse]:
    """Stored answers in scoring form; constructed slots take their marks (None while unmarked)."""
    out: dict[str, ScoredResponse] = {}
    for row in sess.scalars(select(ResponseRow).where(ResponseRow.attempt_id == attempt.id)):
        value = json.loads(row.answer) if row.answer is not None else None
        out[row.slot] = frozenset(value) if isinstance(value, list) else value
    for slot, mark in (marks or {}).items():
        out[slot] = mark
    return out
