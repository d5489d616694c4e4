"""Stored blueprints: list, view, edit the JSON spec (checked by the domain rules), copy.

A sitting keeps the copy it took when it was scheduled, so editing a stored
blueprint only changes sittings scheduled afterwards.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from certexam import db
from certexam.domain import blueprint as bp_rules
from certexam.domain.catalogue import DIRECTIONS
from certexam.domain.items import CONSTRUCTED, ITEM_TYPES, SUBTYPES
from certexam.errors import Conflict, NotFound, UserError
from certexam.models import BlueprintRecord, User
from certexam.services.platform import audit, clock

# Operational bounds on what an administrator may type (not programme rules):
# they keep a malformed spec from reaching the database or the assembler.
MAX_SPEC_CHARS = 100_000
MAX_PAPERS = 10
MAX_SECTIONS = 50
MAX_SECTION_COUNT = 500  # items drawn by one section
MAX_TITLE_CHARS = 200
PAPER_CODE = re.compile(r"[A-Z0-9][A-Z0-9_-]{0,15}")  # fits SittingPaper.code / Attempt.paper_code (16)
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")  # BlueprintRecord.name is 100 characters


class SpecError(UserError):
    """A spec that cannot be stored, with every problem found."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(_("The blueprint has problems; nothing was saved."), "spec")
        self.problems = problems


def all_blueprints() -> list[BlueprintRecord]:
    return list(db.session().scalars(select(BlueprintRecord).order_by(BlueprintRecord.level, BlueprintRecord.name)))


def get(blueprint_id: int) -> BlueprintRecord:
    record = db.session().get(BlueprintRecord, blueprint_id)
    if record is None:
        raise NotFound(_("This blueprint does not exist."))
    return record


def pretty(record: BlueprintRecord) -> str:
    """The spec as an administrator edits it: indented JSON."""
    return json.dumps(json.loads(record.spec), ensure_ascii=False, indent=2)


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _section_shape(where: str, s: Any) -> list[str]:
    if not isinstance(s, dict):
        return [f"{where}: a section must be an object"]
    out = []
    if not isinstance(s.get("module"), str):
        out.append(f"{where}: module must be a text")
    if s.get("item_type") not in ITEM_TYPES:
        out.append(f"{where}: item_type must be one of {', '.join(ITEM_TYPES)}")
    if not _is_int(s.get("count")) or not 0 < s["count"] <= MAX_SECTION_COUNT:
        out.append(f"{where}: count must be a whole number from 1 to {MAX_SECTION_COUNT}")
    subtype = s.get("subtype")
    if s.get("item_type") == CONSTRUCTED and subtype not in SUBTYPES:
        out.append(f"{where}: a constructed section needs subtype {', '.join(SUBTYPES)}")
    if s.get("item_type") != CONSTRUCTED and subtype is not None:
        out.append(f"{where}: only constructed sections have a subtype")
    if s.get("answer_at_most") is not None and not _is_int(s["answer_at_most"]):
        out.append(f"{where}: answer_at_most must be a whole number")
    return out


def shape_problems(doc: Any) -> list[str]:
    """Type and size checks the domain's from_dict does not make (it trusts its input's types)."""
    if not isinstance(doc, dict):
        return ["the spec must be a JSON object"]
    out = []
    if not _is_int(doc.get("level")):
        out.append("level must be a whole number")
    papers = doc.get("papers")
    if not isinstance(papers, list) or not 0 < len(papers) <= MAX_PAPERS:
        return [*out, f"papers must be a list of 1 to {MAX_PAPERS} papers"]
    for i, p in enumerate(papers, 1):
        if not isinstance(p, dict):
            out.append(f"paper {i}: must be an object")
            continue
        code = p.get("code")
        if not isinstance(code, str) or not PAPER_CODE.fullmatch(code):
            out.append(f"paper {i}: code must be 1 to 16 capital letters, digits, - or _")
        for key in ("title_zh", "title_en"):
            if not isinstance(p.get(key), str) or not 0 < len(p[key]) <= MAX_TITLE_CHARS:
                out.append(f"paper {i}: {key} must be a text of 1 to {MAX_TITLE_CHARS} characters")
        if not _is_int(p.get("minutes")):
            out.append(f"paper {i}: minutes must be a whole number")
        if not isinstance(p.get("calculator", False), bool):
            out.append(f"paper {i}: calculator must be true or false")
        sections = p.get("sections")
        if not isinstance(sections, list) or not 0 < len(sections) <= MAX_SECTIONS:
            out.append(f"paper {i}: sections must be a list of 1 to {MAX_SECTIONS} sections")
            continue
        for j, s in enumerate(sections, 1):
            out += _section_shape(f"paper {i}, section {j}", s)
    scoring = doc.get("scoring", {})
    if not isinstance(scoring, dict):
        out.append("scoring must be an object")
    else:
        for key in ("pass_mark", "ethics_min_rate", "top_share"):
            if key in scoring and (isinstance(scoring[key], bool) or not isinstance(scoring[key], str | int)):
                out.append(f"scoring.{key} must be a fraction written as text, e.g. \"3/5\"")
    return out


def parse(text: str, level: int) -> bp_rules.Blueprint:
    """Read an edited spec; raises SpecError listing every problem."""
    if len(text) > MAX_SPEC_CHARS:
        raise SpecError([f"the spec is longer than {MAX_SPEC_CHARS} characters"])
    try:
        doc = json.loads(text)
    except ValueError as exc:
        raise SpecError([f"not valid JSON: {exc}"]) from exc
    problems = shape_problems(doc)
    if problems:
        raise SpecError(problems)
    try:
        spec = bp_rules.from_dict(doc)
    except ValueError as exc:
        raise SpecError([str(exc)]) from exc
    problems = bp_rules.problems(spec)
    if spec.level != level:
        problems.insert(0, f"this blueprint is for level {level}; the spec says level {spec.level}")
    if problems:
        raise SpecError(problems)
    return spec


@db.use_case
def update(actor: User, blueprint_id: int, text: str) -> BlueprintRecord:
    """Replace a blueprint's spec (stored in the normal form to_dict writes)."""
    sess = db.session()
    record = sess.get(BlueprintRecord, blueprint_id, with_for_update=True)
    if record is None:
        raise NotFound(_("This blueprint does not exist."))
    spec = parse(text, record.level)
    before = json.loads(record.spec)
    after = bp_rules.to_dict(spec)
    record.spec = json.dumps(after, ensure_ascii=False)
    audit.record(sess, "blueprint.update", "blueprint", record.id, actor_id=actor.id, before=before, after=after)
    return record


@db.use_case
def copy(actor: User, blueprint_id: int, name: str) -> BlueprintRecord:
    """A new blueprint starting as a copy of another, to edit without touching the original."""
    sess = db.session()
    source = sess.get(BlueprintRecord, blueprint_id)
    if source is None:
        raise NotFound(_("This blueprint does not exist."))
    name = (name or "").strip()
    if not NAME.fullmatch(name):
        raise UserError(_("Use 1 to 100 letters, digits, dots, hyphens or underscores, starting with a "
                          "letter or digit."), "name")
    if sess.scalar(select(BlueprintRecord.id).where(BlueprintRecord.name == name)) is not None:
        raise Conflict(_("A blueprint with this name already exists."), "name")
    record = BlueprintRecord(level=source.level, name=name, spec=source.spec, created_at=clock.now())
    sess.add(record)
    sess.flush()
    audit.record(sess, "blueprint.copy", "blueprint", record.id, actor_id=actor.id,
                 after={"name": name, "from": source.name})
    return record


@dataclass(frozen=True)
class Shortfall:
    paper: str
    module: str
    item_type: str
    subtype: str | None
    needed: int
    approved: int


def shortfalls(record: BlueprintRecord) -> list[Shortfall]:
    """Sections the approved bank cannot fill yet (a warning: items may be approved later)."""
    from certexam.services.bank.item_cache import pool  # the assembler's own view of the bank

    spec = bp_rules.from_dict(json.loads(record.spec))
    directions: list[str | None] = list(DIRECTIONS) if any(
        s.module == bp_rules.DIRECTION_MODULE for p in spec.papers for s in p.sections) else [None]
    need: dict[tuple[str, str, str, str | None], int] = {}
    for paper in spec.papers:
        for direction in directions:  # common modules need the same for every direction: take the largest
            mine = Counter[tuple[str, str, str, str | None]]()
            for s in paper.sections:
                mine[(paper.code, spec.resolve(s, direction), s.item_type, s.subtype)] += s.count
            for key, n in mine.items():
                need[key] = max(need.get(key, 0), n)
    have = Counter((p.module, p.item_type, p.subtype) for p in pool(db.session(), {k[1] for k in need}))
    return [Shortfall(paper, module, t, sub, n, have[(module, t, sub)])
            for (paper, module, t, sub), n in need.items() if have[(module, t, sub)] < n]
