"""Moodle XML (https://docs.moodle.org/en/Moodle_XML_format) for choice, true/false and essay items.

Mapping: single_choice and multiple_response are ``multichoice`` (``<single>``
true/false; answers with fraction > 0 are the keys, options are lettered A, B,
C... in order); true_false is ``truefalse``; constructed is ``essay`` with
``<defaultgrade>`` = max_points and ``<graderinfo>`` = rubric.  The module is
the last segment of the preceding category question ($course$/certexam/L1-ETH),
the id is ``<idnumber>``.  Languages travel as Moodle multilang spans
(zh_Hans = zh_cn, zh_Hant = zh_tw); text without spans is taken as zh_Hans.
What Moodle has no field for travels as tags: ``certexam:difficulty=2``,
``certexam:subtype=skill``, ``certexam:scoring=partial``,
``certexam:enemy=<id>``.  Item sets cannot be carried: export refuses them.

Parsing uses defusedxml (no DTDs, entities or external references) through
SAX, so that every element keeps its line number.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET  # noqa: S405 - used only to write XML; parsing goes through defusedxml
from collections.abc import Sequence
from dataclasses import dataclass, field
from xml.sax import SAXException
from xml.sax.handler import ContentHandler
from xml.sax.xmlreader import AttributesImpl, Locator

import defusedxml.sax
from defusedxml import DefusedXmlException

from certexam.bankio.errors import ExportError, Loaded, Located, ParseResult, clean_text, decode, finish
from certexam.domain.catalogue import MODULES_BY_CODE, REQUIRED_ITEM_LANGUAGE
from certexam.domain.items import (
    CONSTRUCTED,
    DEFAULT_SCORING,
    ITEM_SET,
    MULTIPLE_RESPONSE,
    SINGLE_CHOICE,
    TRUE_FALSE,
    Answer,
    Item,
    Option,
    Text,
)

TO_MOODLE_LANG = {"zh_Hans": "zh_cn", "zh_Hant": "zh_tw", "en": "en", "pt": "pt"}  # Moodle language packs
FROM_MOODLE_LANG = {v: k for k, v in TO_MOODLE_LANG.items()} | {k.lower(): k for k in TO_MOODLE_LANG}
CATEGORY_ROOT = "$course$/certexam"
META_TAG = re.compile(r"certexam:(\w+)=(.*)")
KEYS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"  # Moodle "ABCD" answer numbering
_SPAN = re.compile(
    r'<span\s+(?:lang="([^"]*)"\s+class="multilang"|class="multilang"\s+lang="([^"]*)")\s*>(.*?)</span>', re.S
)
_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*encoding\s*=\s*["']([^"']+)""")
_QUESTION_TYPES = {"multichoice", "truefalse", "essay"}


@dataclass
class _Node:
    tag: str
    attrs: dict[str, str]
    line: int
    children: list[_Node] = field(default_factory=list)
    parts: list[str] = field(default_factory=list)

    def find(self, tag: str) -> _Node | None:
        return next((c for c in self.children if c.tag == tag), None)

    def text_of(self, tag: str) -> str:
        """The <text> inside child ``tag`` (Moodle's usual nesting), or the child's own text."""
        node = self.find(tag)
        if node is None:
            return ""
        inner = node.find("text")
        return "".join((inner or node).parts)


@dataclass
class _Meta:
    """What certexam carries in Moodle tags."""

    tags: list[str] = field(default_factory=list)
    enemies: list[str] = field(default_factory=list)
    difficulty: int | None = None
    subtype: str | None = None
    scoring: str | None = None


class _Builder(ContentHandler):
    def __init__(self) -> None:
        super().__init__()
        self.stack: list[_Node] = []
        self.root: _Node | None = None
        self.locator: Locator | None = None

    def setDocumentLocator(self, locator: Locator) -> None:  # SAX API names
        self.locator = locator

    def startElement(self, name: str, attrs: AttributesImpl) -> None:
        line = self.locator.getLineNumber() if self.locator else 0
        node = _Node(name, {k: attrs[k] for k in attrs.getNames()}, line or 0)
        if self.stack:
            self.stack[-1].children.append(node)
        else:
            self.root = node
        self.stack.append(node)

    def endElement(self, name: str) -> None:
        self.stack.pop()

    def characters(self, content: str) -> None:
        if self.stack:
            self.stack[-1].parts.append(content)


def _parse(data: bytes, loaded: Loaded) -> _Node | None:
    if decode(data, loaded) is None:
        return None
    declared = _ENCODING.match(data.removeprefix(b"\xef\xbb\xbf"))
    if declared and declared[1].decode("ascii", "replace").lower().replace("_", "-") not in ("utf-8", "utf8"):
        loaded.error(1, f"The XML declares the encoding {declared[1].decode('ascii', 'replace')}; save it as UTF-8.")
        return None
    builder = _Builder()
    try:
        defusedxml.sax.parseString(data, builder, forbid_dtd=True)
    except DefusedXmlException:
        loaded.error(None, "The XML declares a DTD or entities, which are refused for safety.")
        return None
    except SAXException as exc:
        line = exc.getLineNumber() if hasattr(exc, "getLineNumber") else None
        loaded.error(line, f"The XML is not valid: {exc.getMessage()} (the file may be truncated or mis-edited).")
        return None
    return builder.root


class _Question:
    """Reads one <question> into a Located item."""

    def __init__(self, node: _Node, loaded: Loaded, module: str, module_line: int | None) -> None:
        self.node, self.loaded = node, loaded
        idnumber = node.find("idnumber")
        item_id = "".join(idnumber.parts).strip() if idnumber else ""
        self.located = Located(Item(item_id, module, "", Text()), node.line)
        for name, tag in (("id", "idnumber"), ("stem", "questiontext"), ("explanation", "generalfeedback"),
                          ("rubric", "graderinfo"), ("max_points", "defaultgrade"), ("tags", "tags")):
            if (child := node.find(tag)) is not None:
                self.located.lines[name] = child.line
        for name in ("difficulty", "subtype", "scoring", "enemies"):
            self.located.lines[name] = self.located.lines.get("tags", node.line)
        if module_line is not None:
            self.located.lines["module"] = module_line
        if module not in MODULES_BY_CODE:
            self.located.broken.add("module")  # reported once per file by load_moodle
        if not item_id:
            self.bad("id", "The question has no <idnumber>: certexam needs the item id there.")

    def bad(self, path: str, message: str) -> None:
        self.located.broken.add(path)
        self.loaded.error(self.located.line_of(path), message, self.located.item.id)

    def text(self, html: str, path: str, label: str) -> Text:
        html = html.strip()
        spans = list(_SPAN.finditer(html))
        if not spans:
            return Text({REQUIRED_ITEM_LANGUAGE: clean_text(html)}) if html else Text()
        if _SPAN.sub("", html).strip():
            self.bad(path, f"The {label} has text outside its multilang spans.")
        values: dict[str, str] = {}
        for span in spans:
            code = span[1] if span[1] is not None else span[2]
            code = FROM_MOODLE_LANG.get(code.lower(), code)
            if code in values:
                self.bad(path, f"The {label} has two {code} spans.")
            values[code] = clean_text(span[3])
        return Text(values)

    def meta(self) -> _Meta:
        found = _Meta()
        tags = self.node.find("tags")
        for tag in tags.children if tags else []:
            value = "".join((tag.find("text") or tag).parts).strip()
            match = META_TAG.fullmatch(value)
            if not match:
                found.tags.append(value)
            elif match[1] == "enemy":
                found.enemies.append(match[2])
            elif match[1] == "difficulty":
                if match[2].isdigit():
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

    def choices(self, qtype: str) -> tuple[str, tuple[Option, ...], Answer]:
        answers = [c for c in self.node.children if c.tag == "answer"][: len(KEYS)]
        options, credited = [], []
        for i, answer in enumerate(answers):
            self.located.lines.setdefault("answer", answer.line)
            self.located.lines[f"options[{i}]"] = answer.line
            try:
                fraction = float(answer.attrs.get("fraction", "0"))
            except ValueError:
                self.bad("answer", f"Answer {i + 1} has a fraction that is not a number.")
                fraction = 0.0
            if fraction > 0:
                credited.append((KEYS[i], fraction))
            options.append(Option(KEYS[i], self.text(answer.text_of("text") if answer.find("text") else "",
                                                     f"options[{i}].text", f"answer {i + 1}")))
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

    def item(self, qtype: str) -> Located:
        node, meta = self.node, self.meta()
        stem = self.text(node.text_of("questiontext"), "stem", "question text")
        explanation = self.text(node.text_of("generalfeedback"), "explanation", "general feedback")
        options: tuple[Option, ...] = ()
        answer: Answer = None
        rubric, points = Text(), None
        if qtype == "essay":
            item_type = CONSTRUCTED
            rubric = self.text(node.text_of("graderinfo"), "rubric", "grader information")
            grade = node.text_of("defaultgrade").strip()
            try:
                points = int(float(grade)) if float(grade).is_integer() else None
            except (ValueError, OverflowError):
                points = None
            if points is None:
                self.bad("max_points", f"The default grade '{grade}' must be a whole number of points.")
        else:
            item_type, options, answer = self.choices(qtype)
        scoring = meta.scoring or (DEFAULT_SCORING if item_type == MULTIPLE_RESPONSE else None)
        self.located.item = Item(
            id=self.located.item.id, module=self.located.item.module, type=item_type, stem=stem,
            options=options, answer=answer, explanation=explanation,
            difficulty=meta.difficulty, tags=tuple(meta.tags), enemies=tuple(meta.enemies),
            scoring=scoring, subtype=meta.subtype, max_points=points, rubric=rubric,
        )
        return self.located


def load_moodle(data: bytes, file: str) -> Loaded:
    """Parse one Moodle XML file into located items and file-level errors."""
    loaded = Loaded(file)
    root = _parse(data, loaded)
    if root is None:
        return loaded
    if root.tag != "quiz":
        loaded.error(root.line, f"The root element is <{root.tag}>; Moodle XML starts with <quiz>.")
        return loaded
    module, module_line, told = "", None, False
    for node in root.children:
        qtype = node.attrs.get("type", "")
        if node.tag != "question":
            loaded.error(node.line, f"Unexpected element <{node.tag}> in <quiz>; expected <question>.")
        elif qtype == "category":
            module, module_line = node.text_of("category").strip().rstrip("/").rsplit("/", 1)[-1].strip(), node.line
            if module not in MODULES_BY_CODE:
                loaded.error(node.line, f"The category names the module '{module}', which is not in the catalogue.")
        elif qtype not in _QUESTION_TYPES:
            loaded.error(node.line, f"The question type '{qtype}' is not supported; certexam imports "
                                    "multichoice, truefalse and essay questions.")
        else:
            if module_line is None and not told:
                told = True  # once: every later question lacks it for the same reason
                loaded.error(node.line, "The first question has no module: put a category question such as "
                                        f"{CATEGORY_ROOT}/L1-ETH before it.")
            loaded.items.append(_Question(node, loaded, module, module_line).item(qtype))
    if not loaded.items and not loaded.errors:
        loaded.error(root.line, "The file holds no questions.")
    return loaded


def parse_moodle(data: bytes, file: str = "bank.xml") -> ParseResult:
    """Parse and check one Moodle XML file on its own."""
    return finish([load_moodle(data, file)])


def unsupported_reason(item: Item) -> str | None:
    """Why Moodle XML cannot carry this item, or None."""
    if item.type == ITEM_SET:
        return "Moodle XML has no item sets (export them as YAML)"
    keys = "".join(item.option_keys())
    if keys != KEYS[: len(keys)]:
        return f"Moodle letters options A, B, C... in order; the keys are {', '.join(keys)}"
    return None


def _multilang(text: Text) -> str:
    return "".join(f'<span lang="{TO_MOODLE_LANG.get(c, c)}" class="multilang">{v}</span>' for c, v in text.items())


def _add(parent: ET.Element, tag: str, value: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, tag, attrs)
    if value is not None:
        ET.SubElement(element, "text").text = value
    return element


def _fraction(share: float) -> str:
    return f"{share:.7g}"


def _question(item: Item) -> ET.Element:
    kind = {TRUE_FALSE: "truefalse", CONSTRUCTED: "essay"}.get(item.type, "multichoice")
    question = ET.Element("question", {"type": kind})
    _add(question, "name", item.id)
    _add(question, "questiontext", _multilang(item.stem), format="html")
    _add(question, "generalfeedback", _multilang(item.explanation), format="html")
    ET.SubElement(question, "defaultgrade").text = str(item.max_points or 1)
    ET.SubElement(question, "idnumber").text = item.id
    if item.type == TRUE_FALSE:
        for word in ("true", "false"):
            _add(question, "answer", word, fraction="100" if item.answer == (word == "true") else "0")
    elif item.type == CONSTRUCTED:
        for tag, value in (("responseformat", "editor"), ("responserequired", "1"), ("attachments", "0")):
            ET.SubElement(question, tag).text = value
        _add(question, "graderinfo", _multilang(item.rubric), format="html")
    else:
        keys = item.answer if isinstance(item.answer, tuple) else (item.answer,)
        share = 100 / len(keys)
        ET.SubElement(question, "single").text = "true" if item.type == SINGLE_CHOICE else "false"
        ET.SubElement(question, "shuffleanswers").text = "0"  # the platform orders options itself
        ET.SubElement(question, "answernumbering").text = "ABCD"
        for option in item.options:
            wrong = "0" if item.type == SINGLE_CHOICE else _fraction(-share)
            fraction = _fraction(share) if option.key in keys else wrong
            _add(question, "answer", _multilang(option.text), fraction=fraction, format="html")
    tags = [*item.tags, *(f"certexam:enemy={e}" for e in item.enemies)]
    for name in ("difficulty", "subtype", "scoring"):
        if getattr(item, name) is not None:
            tags.append(f"certexam:{name}={getattr(item, name)}")
    if tags:
        holder = ET.SubElement(question, "tags")
        for tag in tags:
            _add(holder, "tag", tag)
    return question


def dump_moodle(items: Sequence[Item]) -> bytes:
    """Items as one Moodle XML quiz file, a category question before each module's items."""
    refused = [f"{item.id}: {reason}" for item in items if (reason := unsupported_reason(item))]
    if refused:
        raise ExportError("These items cannot be exported as Moodle XML: " + "; ".join(refused))
    quiz = ET.Element("quiz")
    module = None
    for item in items:
        if item.module != module:
            module = item.module
            category = ET.SubElement(quiz, "question", {"type": "category"})
            _add(category, "category", f"{CATEGORY_ROOT}/{module}")
        quiz.append(_question(item))
    ET.indent(quiz)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(quiz, encoding="unicode").encode("utf-8") + b"\n"
