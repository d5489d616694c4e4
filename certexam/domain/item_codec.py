"""Items to and from plain JSON-ready dicts, for storing immutable versions.

The shape mirrors the native YAML format (question_bank/README.md), so a
stored version reads like the file it came from. Empty fields are left out so
that equal items always encode to equal JSON (and equal content hashes).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from certexam.domain.items import NO_TEXT, Item, Option, Text


def _text(value: Any) -> Text:
    return Text({str(k): str(v) for k, v in (value or {}).items()})


def to_dict(item: Item) -> dict[str, Any]:
    """Encode one item (children included) as a plain dict."""
    doc: dict[str, Any] = {"id": item.id, "module": item.module, "type": item.type, "stem": item.stem.as_dict()}
    if item.options:
        doc["options"] = [{"key": o.key, "text": o.text.as_dict()} for o in item.options]
    if item.answer is not None:
        doc["answer"] = list(item.answer) if isinstance(item.answer, tuple) else item.answer
    optional: dict[str, Any] = {
        "explanation": item.explanation.as_dict(), "difficulty": item.difficulty, "tags": list(item.tags),
        "enemies": list(item.enemies), "scoring": item.scoring, "case": item.case.as_dict(),
        "subtype": item.subtype, "max_points": item.max_points, "rubric": item.rubric.as_dict(),
    }
    doc.update({k: v for k, v in optional.items() if v not in (None, [], {})})
    if item.children:
        doc["children"] = [to_dict(c) for c in item.children]
    return doc


def from_dict(doc: Mapping[str, Any]) -> Item:
    """Decode what to_dict produced."""
    answer = doc.get("answer")
    return Item(
        id=doc["id"], module=doc["module"], type=doc["type"], stem=_text(doc.get("stem")),
        options=tuple(Option(o["key"], _text(o["text"])) for o in doc.get("options", ())),
        answer=tuple(answer) if isinstance(answer, list) else answer,
        explanation=_text(doc.get("explanation")) if doc.get("explanation") else NO_TEXT,
        difficulty=doc.get("difficulty"), tags=tuple(doc.get("tags", ())), enemies=tuple(doc.get("enemies", ())),
        scoring=doc.get("scoring"), case=_text(doc.get("case")) if doc.get("case") else NO_TEXT,
        children=tuple(from_dict(c) for c in doc.get("children", ())), subtype=doc.get("subtype"),
        max_points=doc.get("max_points"), rubric=_text(doc.get("rubric")) if doc.get("rubric") else NO_TEXT,
    )


def to_json(item: Item) -> str:
    return json.dumps(to_dict(item), ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def from_json(text: str) -> Item:
    return from_dict(json.loads(text))


def content_hash(item: Item) -> str:
    """SHA-256 of the canonical JSON: equal content, equal hash."""
    return hashlib.sha256(to_json(item).encode("utf-8")).hexdigest()


def search_text(item: Item) -> str:
    """Every text of the item in every language, lower-cased, for full-text filtering."""
    parts: list[str] = [item.id]
    texts = [item.stem, item.case, item.explanation, item.rubric, *(o.text for o in item.options)]
    for t in texts:
        parts.extend(t.values())
    for child in item.children:
        parts.append(search_text(child))
    return "\n".join(parts).lower()
