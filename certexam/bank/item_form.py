"""The form-based item editor's form (issue 22): a choice item's fields, each language in a column.

The form builds an ``Item``; the view writes it as the bank's YAML and saves it through the YAML editor's
use case, so validation, messages, versions and workflow are the YAML editor's. Problems found on the
item are attached to the form's fields by their path (domain/items.Problem.path).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import Length, Optional

from certexam.bankio.errors import clean_text
from certexam.bankio.sanitize import html_problems
from certexam.domain.catalogue import LANGUAGES, MODULES
from certexam.domain.items import (
    DEFAULT_SCORING,
    MAX_DIFFICULTY,
    MAX_OPTIONS,
    MIN_DIFFICULTY,
    MULTIPLE_RESPONSE,
    SCORINGS,
    SINGLE_CHOICE,
    TRUE_FALSE,
    Answer,
    Item,
    Option,
    Problem,
    Text,
    iter_texts,
    validate_item,
)

FORM_TYPES = (SINGLE_CHOICE, MULTIPLE_RESPONSE, TRUE_FALSE)  # item sets and constructed items stay YAML-only
ROW_LETTERS = "ABCDEFGH"[:MAX_OPTIONS]  # one option row per possible key (README: 3-8 options)
DEFAULT_ROWS = 4  # as most shipped items have; "Add an option row" shows more
MAX_TEXT = 20_000  # characters of one text in one language: far beyond any item, short of an attack
MAX_WORDS = 400  # characters of the tags or enemies line
_SPLIT = re.compile(r"[\s,;]+")

TYPE_CHOICES = [(SINGLE_CHOICE, _l("Single choice")), (MULTIPLE_RESPONSE, _l("Multiple response")),
                (TRUE_FALSE, _l("True or false"))]
SCORING_LABELS = {"all_or_nothing": _l("All or nothing"), "partial": _l("Partial credit")}
TEXT_ROWS = {"stem": _l("Stem"), "explanation": _l("Explanation")}


def text_field(row: str, lang: str) -> str:
    """The form field holding one text row (stem, explanation, an option letter) in one language."""
    return f"{row}_{lang}" if row in TEXT_ROWS else f"opt_{row}_{lang}"


class ItemForm(FlaskForm):
    """One choice item. The per-language text fields are added below, one per row and language."""

    item_id = StringField(_l("Item id"), validators=[Optional(), Length(max=40)])
    module = SelectField(_l("Module"), choices=[(m.code, f"{m.code} {m.name_en}") for m in MODULES])
    type = SelectField(_l("Type"), choices=TYPE_CHOICES, default=SINGLE_CHOICE)
    difficulty = SelectField(_l("Difficulty"), default="",
                             choices=[("", "—"), *[(str(n), str(n)) for n in range(MIN_DIFFICULTY, MAX_DIFFICULTY + 1)]])
    tags = StringField(_l("Tags"), validators=[Optional(), Length(max=MAX_WORDS)])
    enemies = StringField(_l("Enemies"), validators=[Optional(), Length(max=MAX_WORDS)])
    scoring = SelectField(_l("Scoring"), choices=list(SCORING_LABELS.items()), default=DEFAULT_SCORING)
    # The key: option letters (radio for single choice, checkboxes for multiple response), or true/false.
    # Read with getlist and checked by hand: an unknown value is an error next to the key, not a crash.
    key = HiddenField(_l("Key"))
    truth = HiddenField(_l("The statement is"))
    rows = HiddenField(default=str(DEFAULT_ROWS))
    save = SubmitField(_l("Save as a new draft version"))
    preview = SubmitField(_l("Update the preview"))
    add_row = SubmitField(_l("Add an option row"))


for _lang in LANGUAGES:
    for _row in (*TEXT_ROWS, *ROW_LETTERS):
        setattr(ItemForm, text_field(_row, _lang),
                TextAreaField(validators=[Optional(), Length(max=MAX_TEXT)]))


@dataclass(frozen=True)
class Built:
    """The item a form describes, and which option row each of its options came from."""

    item: Item
    row_of_option: tuple[str, ...]  # the form row letter of options[0], options[1], ...
    key_errors: tuple[str, ...] = ()  # key problems the item cannot express (e.g. two keys, single choice)


def row_count(raw: str | None, filled: int) -> int:
    """How many option rows to show: as asked (within 3-8), never hiding a filled row."""
    asked = int(raw) if raw and raw.isascii() and raw.isdigit() and len(raw) < 3 else DEFAULT_ROWS
    return min(max(asked, filled, 3), len(ROW_LETTERS))


def _value(form: ItemForm, name: str) -> str:
    return clean_text(str(getattr(form, name).data or ""))  # as the YAML reader stores text


def _text(form: ItemForm, row: str, langs: tuple[str, ...]) -> Text:
    return Text({lang: v for lang in langs if (v := _value(form, text_field(row, lang)))})


def build(form: ItemForm, item_id: str, keys: list[str], truth: str | None) -> Built:
    """The item the form describes. Blank option rows are dropped and the letters close up (A, B, ...);
    a language takes part once any of its texts is written (the domain then asks for the rest)."""
    langs = tuple(lang for lang in LANGUAGES
                  if any(_value(form, text_field(row, lang)) for row in (*TEXT_ROWS, *ROW_LETTERS)))
    item_type = form.type.data if form.type.data in FORM_TYPES else SINGLE_CHOICE
    rows = [r for r in ROW_LETTERS if _text(form, r, langs)]  # true/false: the domain says it takes none
    letter = {row: ROW_LETTERS[i] for i, row in enumerate(rows)}
    options = tuple(Option(letter[r], _text(form, r, langs)) for r in rows)
    chosen = [letter[k] for k in dict.fromkeys(keys) if k in letter]
    errors: list[str] = []
    answer: Answer = None
    if item_type == TRUE_FALSE:
        answer = {"true": True, "false": False}.get(truth or "")
    elif item_type == SINGLE_CHOICE:
        if len(chosen) > 1:
            errors.append(_("Choose one key for a single-choice item."))
        answer = chosen[0] if chosen else None
    else:
        answer = tuple(chosen) or None
    difficulty = int(form.difficulty.data) if (form.difficulty.data or "").isdigit() else None
    item = Item(id=item_id, module=form.module.data or "", type=item_type, stem=_text(form, "stem", langs),
                options=options, answer=answer, explanation=_text(form, "explanation", langs),
                difficulty=difficulty, tags=tuple(w for w in _SPLIT.split(form.tags.data or "") if w),
                enemies=tuple(w for w in _SPLIT.split(form.enemies.data or "") if w),
                scoring=(form.scoring.data if form.scoring.data in SCORINGS else DEFAULT_SCORING)
                if item_type == MULTIPLE_RESPONSE else None)
    return Built(item, tuple(rows), tuple(errors))


def close_up(form: ItemForm, built: Built, keys: list[str]) -> tuple[Built, list[str]]:
    """Move the kept option rows up over the blank ones, as the item letters them, so that a message about
    option C stands on the row the page calls C; returns the item's rows and the ticked keys renamed."""
    moved = {row: ROW_LETTERS[i] for i, row in enumerate(built.row_of_option)}
    texts = {row: {lang: getattr(form, text_field(row, lang)).data for lang in LANGUAGES} for row in ROW_LETTERS}
    for row in ROW_LETTERS:
        old = next((r for r, new in moved.items() if new == row), None)
        for lang in LANGUAGES:
            getattr(form, text_field(row, lang)).data = texts[old][lang] if old else ""
    return replace(built, row_of_option=tuple(moved.values())), [moved[k] for k in keys if k in moved]


def fill(form: ItemForm, item: Item) -> tuple[list[str], str]:
    """Put an item into the form; returns the checked keys and the true/false answer for the template."""
    form.item_id.data, form.module.data, form.type.data = item.id, item.module, item.type
    form.difficulty.data = str(item.difficulty) if item.difficulty is not None else ""
    form.tags.data, form.enemies.data = " ".join(item.tags), " ".join(item.enemies)
    form.scoring.data = item.scoring or DEFAULT_SCORING
    form.rows.data = str(max(DEFAULT_ROWS, len(item.options)))
    for row, text in (("stem", item.stem), ("explanation", item.explanation)):
        for lang, value in text.items():
            if lang in LANGUAGES:
                getattr(form, text_field(row, lang)).data = value
    for row, option in zip(ROW_LETTERS, item.options, strict=False):
        for lang, value in option.text.items():
            if lang in LANGUAGES:
                getattr(form, text_field(row, lang)).data = value
    # The form's rows are lettered A, B, ...: the key follows its option's position.
    position = {o.key: ROW_LETTERS[i] for i, o in enumerate(item.options[: len(ROW_LETTERS)])}
    answer = item.answer
    keys = [position[k] for k in ((answer,) if isinstance(answer, str) else answer if isinstance(answer, tuple)
                                  else ()) if k in position]
    truth = "" if not isinstance(answer, bool) else ("true" if answer else "false")
    return keys, truth


def problems_of(item: Item) -> list[Problem]:
    """The checks the bank reader runs on one item (bankio/errors.item_errors), with their paths kept
    so that each message can stand next to its field."""
    problems = validate_item(item)
    for path, label, text in iter_texts(item):
        for code, value in text.items():
            problems += [Problem(path, f"The {label} ({code}) has {m}.") for m in html_problems(value)]
    return problems


_OPTION_PATH = re.compile(r"options\[(\d+)\]")


def field_of(path: str, row_of_option: tuple[str, ...]) -> str:
    """The form row a problem's path belongs to: 'stem', 'opt_B', 'key', 'tags', ... or 'general'."""
    if m := _OPTION_PATH.match(path):
        index = int(m.group(1))
        return f"opt_{row_of_option[index]}" if index < len(row_of_option) else "options"
    head = re.split(r"[.\[]", path, maxsplit=1)[0]
    names = {"answer": "key", "id": "item_id", "options": "options"}
    if head in names:
        return names[head]
    known = ("stem", "explanation", "module", "type", "difficulty", "tags", "enemies", "scoring")
    return head if head in known else "general"
