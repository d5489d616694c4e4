"""The paper as the JSON API sends it, assembled from per-item parts cached by content hash.

Every candidate fetches the paper in the start minute of an exam day (issue 4),
and building 45 items' dicts and encoding them was a third of that minute's CPU.
An item version never changes, so its candidate-safe JSON is encoded once per
process, option by option; a candidate's paper only joins the parts in that
candidate's option order. The parts come from paper_view's own stripping
(`_safe`, `item_json`), so no key, explanation or rubric can enter them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from certexam import db
from certexam.domain.items import Item
from certexam.models import Attempt
from certexam.services.attempts import paper_view
from certexam.services.attempts.autosave_sql import Owner, statements
from certexam.services.bank import item_cache


@dataclass(frozen=True)
class _Parts:
    head: str  # the item's JSON without its options, closing brace left off
    options: dict[str, str]  # option key -> its JSON, in the bank's order
    children: tuple[_Parts, ...]


_cache: item_cache.BoundedCache[str, _Parts] = item_cache.BoundedCache(item_cache.MAX_ENTRIES)


def _dumps(doc: Any) -> str:
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":"))


def _encode(item: Item) -> _Parts:
    bare = replace(paper_view._safe(item, []), options=(), children=())  # noqa: SLF001 - the one stripping rule
    return _Parts(_dumps(paper_view.item_json(bare))[:-1],
                  {o.key: _dumps({"key": o.key, "text": o.text.as_dict()}) for o in item.options},
                  tuple(_encode(c) for c in item.children))


def _parts(digest: str, item: Item) -> _Parts:
    parts = _cache.get(digest)
    if parts is None:
        parts = _encode(item)
        _cache.put(digest, parts)
    return parts


def _item(parts: _Parts, order: list[str]) -> str:
    """As paper_view._safe shows it: the candidate's option order (the bank's if none was drawn)."""
    if not parts.options:
        return parts.head + "}"
    keys = [k for k in order if k in parts.options] if order else list(parts.options)
    return parts.head + ',"options":[' + ",".join(parts.options[k] for k in keys) + "]}"


def document(sess: Session, attempt: Attempt) -> str:
    """The body of GET /api/v1/attempts/<id>/paper: items in the form's order and saved answers."""
    return _document(sess, attempt.id, attempt.form)


def try_document(owner: Owner, attempt_id: int) -> str | None:
    """`document` without loading the user or the attempt: None unless the attempt is the owner's
    (the caller then authenticates fully to answer 401, 403 or 404), as autosave.try_state."""
    with db.reading() as conn:  # PostgreSQL: no BEGIN and ROLLBACK around it
        form = conn.execute(statements(conn.dialect.name, owner.by_token).form,
                            {"p_aid": attempt_id, **owner.params()}).scalar()
        return None if form is None else _document(conn, attempt_id, form)


def _form_parts(sess: Session | Connection, form: list[dict[str, Any]]) -> list[_Parts]:
    """Each entry's parts: by the content hash the form keeps ("h"), with no query when all are
    cached; versions not cached (a new worker) or forms drawn before "h" was kept are read."""
    cached = [_cache.get(e["h"]) if "h" in e else None for e in form]
    missing = [e["v"] for e, parts in zip(form, cached, strict=True) if parts is None]
    versions = item_cache.items_with_hash(sess, missing) if missing else {}
    return [parts if parts is not None else _parts(*versions[e["v"]]) for e, parts in zip(form, cached, strict=True)]


def _document(sess: Session | Connection, attempt_id: int, form_json: str) -> str:
    form: list[dict[str, Any]] = json.loads(form_json)
    out = []
    for n, (entry, parts) in enumerate(zip(form, _form_parts(sess, form), strict=True), 1):
        children = ",".join(
            f'{{"slot":"{n}.{i}","item":{_item(child, entry["c"][i - 1] if entry["c"] else [])}}}'
            for i, child in enumerate(parts.children, 1))
        out.append(f'{{"slot":"{n}","item":{_item(parts, entry["o"])},"children":[{children}]}}')
    saved = paper_view.answers_of(sess, attempt_id)
    answers = _dumps({k: {"answer": a, "flagged": f} for k, (a, f) in saved.items()})
    return f'{{"attempt_id":{int(attempt_id)},"items":[{",".join(out)}],"answers":{answers}}}'


def clear() -> None:
    """Forget everything (tests; never needed for correctness)."""
    _cache.clear()
