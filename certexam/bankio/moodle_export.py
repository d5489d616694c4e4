"""Items as Moodle XML, in the shape Moodle's own export writes (question/format/xml/format.php).

Moodle's importer fills in most fields it is not given, but a file shaped like its
own export imports the same in every version: name, question text, general
feedback, default grade, penalty, hidden, idnumber, then the type's fields.
Fractions come from Moodle's list of grades (question_bank::fraction_options_full):
a multiple-response key gets 100/k with k keys (33.33333, 25, 20, ...), a wrong
option the same share negative, so that choosing every option scores nothing.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET  # noqa: S405 - used only to write XML
from collections.abc import Sequence

from certexam.bankio.errors import ExportError
from certexam.domain.items import CONSTRUCTED, ITEM_SET, SINGLE_CHOICE, TRUE_FALSE, Item, Text

TO_MOODLE_LANG = {"zh_Hans": "zh_cn", "zh_Hant": "zh_tw", "en": "en", "pt": "pt"}  # Moodle language packs
CATEGORY_ROOT = "$course$/top/certexam"
KEYS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"  # Moodle "ABCD" answer numbering


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


def _plain(parent: ET.Element, tag: str, value: str) -> None:
    ET.SubElement(parent, tag).text = value


def _fraction(share: float) -> str:
    return f"{share:.7g}"  # 33.33333, 16.66667, 14.28571, 12.5: Moodle's listed grades


def _answer(parent: ET.Element, text: str, fraction: str, fmt: str) -> None:
    answer = _add(parent, "answer", text, fraction=fraction, format=fmt)
    _add(answer, "feedback", "", format="html")


def _choice(question: ET.Element, item: Item) -> None:
    keys = item.answer if isinstance(item.answer, tuple) else (item.answer,)
    share = 100 / len(keys)
    _plain(question, "single", "true" if item.type == SINGLE_CHOICE else "false")
    _plain(question, "shuffleanswers", "false")  # the platform orders options itself
    _plain(question, "answernumbering", "ABCD")
    _plain(question, "showstandardinstruction", "0")
    for tag in ("correctfeedback", "partiallycorrectfeedback", "incorrectfeedback"):
        _add(question, tag, "", format="html")
    for option in item.options:
        wrong = "0" if item.type == SINGLE_CHOICE else _fraction(-share)
        _answer(question, _multilang(option.text), _fraction(share) if option.key in keys else wrong, "html")


def _essay(question: ET.Element, item: Item) -> None:
    for tag, value in (("responseformat", "editor"), ("responserequired", "1"), ("responsefieldlines", "15"),
                       ("attachments", "0"), ("attachmentsrequired", "0")):
        _plain(question, tag, value)
    _add(question, "graderinfo", _multilang(item.rubric), format="html")
    _add(question, "responsetemplate", "", format="html")


def _question(item: Item) -> ET.Element:
    kind = {TRUE_FALSE: "truefalse", CONSTRUCTED: "essay"}.get(item.type, "multichoice")
    question = ET.Element("question", {"type": kind})
    _add(question, "name", item.id)
    _add(question, "questiontext", _multilang(item.stem), format="html")
    _add(question, "generalfeedback", _multilang(item.explanation), format="html")
    _plain(question, "defaultgrade", f"{item.max_points or 1:.7f}")
    _plain(question, "penalty", "0.0000000")  # one attempt: no penalty for retries
    _plain(question, "hidden", "0")
    _plain(question, "idnumber", item.id)
    if item.type == TRUE_FALSE:
        for word in ("true", "false"):
            _answer(question, word, "100" if item.answer == (word == "true") else "0", "moodle_auto_format")
    elif item.type == CONSTRUCTED:
        _essay(question, item)
    else:
        _choice(question, item)
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
            _add(category, "info", "", format="html")
        quiz.append(_question(item))
    ET.indent(quiz)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(quiz, encoding="unicode").encode("utf-8") + b"\n"
