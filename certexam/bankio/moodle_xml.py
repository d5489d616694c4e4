"""Moodle XML (https://docs.moodle.org/en/Moodle_XML_format) as Moodle writes it, and certexam's own export.

Mapping: single_choice and multiple_response are ``multichoice`` (``<single>``
true/false; answers with fraction > 0 are the keys, options are lettered A, B,
C... in order); true_false is ``truefalse``; constructed is ``essay`` with
``<defaultgrade>`` = max_points and ``<graderinfo>`` = rubric, its subtype from
a certexam tag or the import's choice (short_answer unless changed); a Moodle
``shortanswer`` is a constructed short_answer marked against its accepted
answers.  The module comes from the preceding category question through the
import's mapping (moodle_map.py); the id is ``<idnumber>``, and a question
without a usable one gets the module's next number.  What Moodle has no field
for travels as tags: ``certexam:difficulty=2``, ``certexam:subtype=skill``,
``certexam:scoring=partial``, ``certexam:enemy=<id>``.

Moodle's HTML is brought into the bank's safe subset (sanitize.from_moodle_html).
Questions certexam cannot hold (other types, embedded files, scripts, media) are
listed as errors, or left out with a note when the import says to skip them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from certexam.bankio.errors import Loaded, Located, ParseResult, finish
from certexam.bankio.moodle_export import KEYS, dump_moodle, unsupported_reason
from certexam.bankio.moodle_map import MoodleOptions, assign_ids, category_path
from certexam.bankio.moodle_parts import (
    FROM_MOODLE_LANG,
    Node,
    has_words,
    parse_tree,
    safe_value,
    split_languages,
)
from certexam.domain.catalogue import REQUIRED_ITEM_LANGUAGE
from certexam.domain.items import (
    CONSTRUCTED,
    ID_PATTERN,
    MULTIPLE_RESPONSE,
    SINGLE_CHOICE,
    TAG_PATTERN,
    TRUE_FALSE,
    Answer,
    Item,
    Option,
    Text,
)

__all__ = ["dump_moodle", "load_moodle", "parse_moodle", "unsupported_reason"]

PARTIAL = "partial"
META_TAG = re.compile(r"certexam:(\w+)=(.*)")
_NOT_TAG = re.compile(r"[^\w.-]+")
QUESTION_TYPES = ("multichoice", "truefalse", "shortanswer", "essay")
# A rubric for a written item imported without grader information (Moodle, QTI), in its languages (content):
# the item imports as a draft, and a reviewer writes the marking guide before approving it.
NO_RUBRIC = {"zh_Hans": "（导入时未附评分说明：批准前请填写评分标准。）",
             "zh_Hant": "（匯入時未附評分說明：批准前請填寫評分標準。）",
             "en": "(The import brought no information for graders: write the marking guide before approval.)",
             "pt": "(A importação não trouxe informação para os classificadores: escreva os critérios antes de aprovar.)"}
ACCEPTED = {"zh_Hans": "可接受的答案：", "zh_Hant": "可接受的答案：", "en": "Accepted answers:",
            "pt": "Respostas aceites:"}


@dataclass
class _Meta:
    """What certexam carries in Moodle tags."""

    tags: list[str] = field(default_factory=list)
    enemies: list[str] = field(default_factory=list)
    difficulty: int | None = None
    subtype: str | None = None
    scoring: str | None = None


class _Question:
    """Reads one <question> into a Located item; errors go to ``loaded``, lost content to ``lost``."""

    def __init__(self, node: Node, loaded: Loaded, module: str | None, module_line: int | None) -> None:
        self.node, self.loaded = node, loaded
        self.lost: list[str] = []  # what the question holds that certexam cannot show
        idnumber = node.find("idnumber")
        item_id = idnumber.own_text().strip() if idnumber else ""
        usable = bool(ID_PATTERN.fullmatch(item_id))
        self.located = Located(Item(item_id if usable else "", module or "", "", Text()), node.line)
        if not usable:
            self.located.renumber = item_id  # the import gives it an id once its module is known
        for name, tag in (("id", "idnumber"), ("stem", "questiontext"), ("explanation", "generalfeedback"),
                          ("rubric", "graderinfo"), ("max_points", "defaultgrade"), ("tags", "tags")):
            if (child := node.find(tag)) is not None:
                self.located.lines[name] = child.line
        for name in ("difficulty", "subtype", "scoring", "enemies"):
            self.located.lines[name] = self.located.lines.get("tags", node.line)
        if module_line is not None:
            self.located.lines["module"] = module_line
        if module is None:
            self.located.broken |= {"module", "id"}  # reported once per category by load_moodle

    def bad(self, path: str, message: str) -> None:
        self.located.broken.add(path)
        self.loaded.error(self.located.line_of(path), message, self.located.item.id)

    def text(self, node: Node | None, path: str, label: str) -> Text:
        if node is None:
            return Text()
        fmt = node.attrs.get("format", "html")
        raw = node.inner_text().strip()
        spans, outside = split_languages(raw)
        if not spans:
            value = safe_value(raw, fmt, self.lost)
            return Text({REQUIRED_ITEM_LANGUAGE: value}) if value else Text()
        if has_words(outside):
            self.bad(path, f"The {label} has text outside its multilang spans.")
        values: dict[str, str] = {}
        for moodle_code, inner in spans:
            code = FROM_MOODLE_LANG.get(moodle_code.lower(), moodle_code)
            if code in values:
                self.bad(path, f"The {label} has two {code} spans.")
            values[code] = safe_value(inner, fmt, self.lost)
        return Text(values)

    def meta(self) -> _Meta:
        found = _Meta()
        tags = self.node.find("tags")
        for tag in tags.children if tags else []:
            value = tag.inner_text().strip()
            match = META_TAG.fullmatch(value)
            if not match:
                word = value if TAG_PATTERN.fullmatch(value) else _NOT_TAG.sub("-", value).strip("-")[:40]
                # Moodle tags are free text ("Moodle acronym"); certexam's are words: spaces become hyphens
                if word and word not in found.tags:
                    found.tags.append(word)
            elif match[1] == "enemy":
                found.enemies.append(match[2])
            elif match[1] == "difficulty":
                if re.fullmatch(r"[0-9]{1,3}", match[2]):  # ASCII: int() refuses '²', which isdigit() takes
                    found.difficulty = int(match[2])
                else:
                    self.bad("difficulty", f"The tag '{value}' must give a whole number.")
            elif match[1] == "subtype":
                found.subtype = match[2]
            elif match[1] == "scoring":
                found.scoring = match[2]
            else:
                self.bad("tags", f"The tag '{value}' is not a certexam tag (difficulty, subtype, scoring, enemy).")
        return found

    def answers(self) -> list[tuple[Node, float]]:
        found = []
        for i, answer in enumerate(a for a in self.node.children if a.tag == "answer"):
            try:
                fraction = float(answer.attrs.get("fraction", "0"))
            except ValueError:
                self.bad("answer", f"Answer {i + 1} has a fraction that is not a number.")
                fraction = 0.0
            found.append((answer, fraction))
        return found

    def choices(self, qtype: str) -> tuple[str, tuple[Option, ...], Answer]:
        options, credited = [], []
        for i, (answer, fraction) in enumerate(self.answers()[: len(KEYS)]):
            self.located.lines.setdefault("answer", answer.line)
            self.located.lines[f"options[{i}]"] = answer.line
            if fraction > 0:
                credited.append((KEYS[i], fraction))
            options.append(Option(KEYS[i], self.text(answer, f"options[{i}].text", f"answer {i + 1}")))
        if qtype == "truefalse":
            return self.true_false(options, credited)
        if self.node.text_of("single").strip().lower() in ("false", "0"):
            return MULTIPLE_RESPONSE, tuple(options), tuple(key for key, _ in credited)
        if len(credited) > 1 or any(f < 100 for _, f in credited):
            self.bad("answer", "A single-answer question must give 100% to exactly one answer "
                               "(certexam single choice has one key and no partial credit).")
        return SINGLE_CHOICE, tuple(options), credited[0][0] if credited else None

    def true_false(self, options: list[Option], credited: list[tuple[str, float]]) -> tuple[str, tuple[Option, ...], Answer]:
        words = [o.text.get(REQUIRED_ITEM_LANGUAGE, "").lower() for o in options]
        if sorted(words) != ["false", "true"] or len(credited) != 1:
            self.bad("answer", "A truefalse question needs the answers 'true' and 'false', one with 100%.")
            return TRUE_FALSE, (), None
        return TRUE_FALSE, (), words[KEYS.index(credited[0][0])] == "true"

    def points(self) -> int | None:
        grade = self.node.text_of("defaultgrade").strip() or "1"  # Moodle's default grade is 1
        try:
            value = float(grade)
            if value.is_integer():
                return int(value)
        except (ValueError, OverflowError):
            pass
        self.bad("max_points", f"The default grade '{grade}' must be a whole number of points.")
        return None

    def rubric(self, stem: Text) -> Text:
        """The essay's grader information; a placeholder (noted) when Moodle gave none."""
        rubric = self.text(self.node.find("graderinfo"), "rubric", "grader information")
        if rubric:
            return rubric
        self.loaded.note(self.node.line, "The essay has no information for graders: its rubric says to write the "
                                         "marking guide before approval.", self.located.item.id)
        return Text({code: NO_RUBRIC.get(code, NO_RUBRIC["en"]) for code in stem.languages()})

    def accepted(self, stem: Text) -> Text:
        """A shortanswer's accepted answers with their credit, as the marking guide."""
        rows = []
        for i, (answer, fraction) in enumerate(self.answers()):
            if fraction > 0:
                rows.append((self.text(answer, "rubric", f"answer {i + 1}"), fraction))
        if not rows:
            self.bad("rubric", "The shortanswer question has no answer with credit.")
            return Text()
        values = {}
        for code in stem.languages():
            items = "".join(f"<li>{t.get(code) or t.get(REQUIRED_ITEM_LANGUAGE, '')} ({f:g}%)</li>" for t, f in rows)
            values[code] = f"<p>{ACCEPTED.get(code, ACCEPTED['en'])}</p><ul>{items}</ul>"
        return Text(values)

    def item(self, qtype: str, options: MoodleOptions) -> Located:
        node, meta = self.node, self.meta()
        stem = self.text(node.find("questiontext"), "stem", "question text")
        explanation = self.text(node.find("generalfeedback"), "explanation", "general feedback")
        choices: tuple[Option, ...] = ()
        answer: Answer = None
        rubric, points, subtype = Text(), None, meta.subtype
        if qtype in ("essay", "shortanswer"):
            item_type, points = CONSTRUCTED, self.points()
            if qtype == "essay":
                rubric, subtype = self.rubric(stem), subtype or options.essay_subtype
            else:
                rubric, subtype = self.accepted(stem), subtype or "short_answer"
        else:
            item_type, choices, answer = self.choices(qtype)
        # Moodle scores a multi-answer question by adding the chosen answers' fractions (keys +1/k, wrong ones
        # -1/k as Moodle's own and certexam's exports write them): README "Partial credit" is that rule.
        scoring = meta.scoring or (PARTIAL if item_type == MULTIPLE_RESPONSE else None)
        old = self.located.item
        self.located.item = Item(
            id=old.id, module=old.module, type=item_type, stem=stem, options=choices, answer=answer,
            explanation=explanation, difficulty=meta.difficulty, tags=tuple(meta.tags), enemies=tuple(meta.enemies),
            scoring=scoring, subtype=subtype, max_points=points, rubric=rubric,
        )
        return self.located


@dataclass
class _Category:
    path: str
    line: int | None
    module: str | None
    questions: int = 0
    first: int | None = None  # the line of its first question


def _name(node: Node) -> str:
    return node.text_of("name").strip()[:60] or "(no name)"


def _refuse(loaded: Loaded, node: Node, why: str, options: MoodleOptions) -> None:
    """A question certexam cannot hold: an error, or a note when the import skips such questions."""
    if options.skip_unsupported:
        loaded.note(node.line, f"Skipped the question '{_name(node)}': {why}.")
    else:
        loaded.error(node.line, f"The question '{_name(node)}' cannot be imported: {why}. "
                                "Import again with 'skip unsupported questions' to leave such questions out.")


def load_moodle(data: bytes, file: str, options: MoodleOptions | None = None) -> Loaded:
    """Parse one Moodle XML file into located items and file-level errors (ids are given by assign_ids)."""
    options = options or MoodleOptions()
    loaded = Loaded(file)
    root = parse_tree(data, loaded)
    if root is None:
        return loaded
    if root.tag != "quiz":
        loaded.error(root.line, f"The root element is <{root.tag}>; Moodle XML starts with <quiz>.")
        return loaded
    category = _Category("", None, options.module_for(""))
    categories = [category]
    for node in root.children:
        qtype = node.attrs.get("type", "")
        if node.tag != "question":
            loaded.error(node.line, f"Unexpected element <{node.tag}> in <quiz>; expected <question>.")
        elif qtype == "category":
            raw = node.text_of("category")
            category = _Category(category_path(raw), node.line, options.module_for(raw))
            categories.append(category)
        elif qtype not in QUESTION_TYPES:
            _refuse(loaded, node, f"certexam has no kind for Moodle's {qtype or 'untyped'} questions "
                                  f"(it imports {', '.join(QUESTION_TYPES)})", options)
        else:
            sink = Loaded(file)
            question = _Question(node, sink, category.module, category.line)
            located = question.item(qtype, options)
            lost = question.lost or (["embedded files (images or sound)"] if node.has_files() else [])
            if lost:
                _refuse(loaded, node, "it holds " + ", ".join(dict.fromkeys(lost)) + ", which certexam cannot show",
                        options)
                continue
            loaded.errors += sink.errors
            loaded.notes += sink.notes
            loaded.items.append(located)
            category.questions += 1
            category.first = category.first or node.line
    for unmapped in (c for c in categories if c.questions and c.module is None):
        where = f"'{unmapped.path}'" if unmapped.path else "(no category: questions before the first category)"
        loaded.unmapped.append(unmapped.path)
        loaded.error(unmapped.line or unmapped.first, f"The category {where} holds {unmapped.questions} question(s) and is mapped to "
                                    f"no module: map it, for example {unmapped.path}=L1-ETH.")
    if not loaded.items and not loaded.errors and not loaded.notes:
        loaded.error(root.line, "The file holds no questions.")
    return loaded


def parse_moodle(data: bytes, file: str = "bank.xml", options: MoodleOptions | None = None) -> ParseResult:
    """Parse and check one Moodle XML file on its own."""
    loaded = [load_moodle(data, file, options)]
    assign_ids(loaded, frozenset())
    return finish(loaded)
