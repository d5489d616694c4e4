"""Question-bank forms, the labels pages show for codes, and helpers for rendering item text."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from markupsafe import Markup
from wtforms import (
    BooleanField,
    Form,
    HiddenField,
    MultipleFileField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional

from certexam.bankio.sanitize import safe_html
from certexam.domain import locales
from certexam.domain.bank_workflow import Action, VersionStatus
from certexam.domain.catalogue import LANGUAGES, MODULES
from certexam.domain.items import (
    CONSTRUCTED,
    DEFAULT_SCORING,
    ITEM_SET,
    MIN_CHILDREN,
    MULTIPLE_RESPONSE,
    SINGLE_CHOICE,
    SUBTYPES,
    TRUE_FALSE,
    Item,
    Option,
    Text,
)
from certexam.domain.locales import HTML_LANG, NATIVE_NAMES

TYPE_LABELS = {
    SINGLE_CHOICE: _l("Single choice"),
    MULTIPLE_RESPONSE: _l("Multiple response"),
    TRUE_FALSE: _l("True or false"),
    ITEM_SET: _l("Item set (case with questions)"),
    CONSTRUCTED: _l("Constructed response"),
}
STATUS_LABELS = {
    VersionStatus.DRAFT: _l("Draft"),
    VersionStatus.IN_REVIEW: _l("In review"),
    VersionStatus.APPROVED: _l("Approved"),
    VersionStatus.SUPERSEDED: _l("Superseded"),
    VersionStatus.RETIRED: _l("Retired"),
}
ACTION_LABELS = {
    Action.SUBMIT: _l("Submit for review"),
    Action.APPROVE: _l("Approve"),
    Action.RETURN: _l("Return to draft with a note"),
    Action.RETIRE: _l("Retire"),
}
LEVEL_LABELS = {1: _l("Level 1"), 2: _l("Level 2")}

# Words the candidate reads next to an item, in the ITEM's language (not the page's):
# the exam shows an item in the language the candidate chose for it.
ITEM_WORDS = {
    "true": _l("True"),
    "false": _l("False"),
    SINGLE_CHOICE: _l("Choose one answer."),
    MULTIPLE_RESPONSE: _l("Choose all the answers that apply."),
    TRUE_FALSE: _l("Is the statement true or false?"),
    CONSTRUCTED: _l("Your answer"),
    "points": _l("points"),
    "case": _l("Case"),
}

_ANY = ("", _l("Any"))
_TAG = re.compile(r"<[A-Za-z/!?]")
MAX_QUERY = 200  # characters of a full-text search; longer ones are a mistake or an attack
MAX_NOTE = 2000  # characters of a reviewer's note


def item_word(key: str, lang: str) -> str:
    """One of ITEM_WORDS translated into an item language (zh_Hans, zh_Hant, en, pt)."""
    with force_locale(lang):
        return str(ITEM_WORDS[key])


READ_AGAIN = _l("The action could not be read. Reload the page and try again.")
REVIEWED = _l("Reviewed")


def item_language(wanted: str, available: Sequence[str]) -> str:
    """The language to show an item in for a reader of ``wanted`` (issue 22: the configured fallback
    order, ITEM_LANGUAGE_FALLBACK, else domain/locales.FALLBACK)."""
    return locales.item_language(wanted, available, current_app.config.get("ITEM_LANGUAGE_FALLBACK"))


def item_lang_name(code: str) -> str:
    return NATIVE_NAMES.get(code, code)


def item_lang_tag(code: str) -> str:
    return HTML_LANG.get(code, code)


def has_markup(text: str) -> bool:
    """True when item text uses the HTML subset; plain text keeps its line breaks instead."""
    return bool(_TAG.search(text))


def item_html(text: str) -> Markup:
    """Item text for a page: always through the sanitiser, which the importer already checked it against."""
    return Markup(safe_html(text))  # noqa: S704 - nh3 output, the bank's HTML policy


class ListFilterForm(Form):
    """The list page's filters, read from the query string (GET: no CSRF token)."""

    level = SelectField(_l("Level"), choices=[_ANY, *[(str(k), v) for k, v in LEVEL_LABELS.items()]],
                        validators=[Optional()])
    module = SelectField(_l("Module"), choices=[_ANY, *[(m.code, m.code) for m in MODULES]], validators=[Optional()])
    type = SelectField(_l("Type"), choices=[_ANY, *TYPE_LABELS.items()], validators=[Optional()])
    status = SelectField(_l("Status"), choices=[_ANY, *[(k.value, v) for k, v in STATUS_LABELS.items()]],
                         validators=[Optional()])
    has_lang = SelectField(_l("Has language"), choices=[_ANY, *[(c, NATIVE_NAMES[c]) for c in LANGUAGES]],
                           validators=[Optional()])
    missing_lang = SelectField(_l("Lacks language"), choices=[_ANY, *[(c, NATIVE_NAMES[c]) for c in LANGUAGES]],
                               validators=[Optional()])
    q = StringField(_l("Text or id contains"), validators=[Optional(), Length(max=MAX_QUERY)])


class NewItemForm(Form):
    """Which skeleton the editor starts from (GET)."""

    module = SelectField(_l("Module"), choices=[(m.code, f"{m.code} {m.name_en}") for m in MODULES])
    type = SelectField(_l("Type"), choices=list(TYPE_LABELS.items()))


class EditorForm(FlaskForm):
    text = TextAreaField(_l("The item in the bank's YAML format"), validators=[DataRequired()])
    save = SubmitField(_l("Save as a new draft version"))
    preview = SubmitField(_l("Update the preview"))


class ActionForm(FlaskForm):
    version = HiddenField(validators=[DataRequired()])
    action = HiddenField(validators=[DataRequired()])
    note = TextAreaField(_l("Note for the author"), validators=[Optional(), Length(max=MAX_NOTE)])


SUBTYPE_LABELS = {"short_answer": _l("Short-answer questions"), "skill": _l("Skill questions"),
                  "proposal": _l("Proposal questions")}


class ImportForm(FlaskForm):
    files = MultipleFileField(_l("Bank files (.yaml, .csv, Moodle .xml or QTI 3.0 .zip)"))
    submit_for_review = BooleanField(_l("Submit the imported versions for review"))
    # Moodle XML (issue 22): its categories' modules, its unsupported questions, its essays' subtype
    mapping = TextAreaField(_l("Moodle categories and their modules"), validators=[Optional(), Length(max=20_000)])
    skip_unsupported = BooleanField(_l("Skip the questions certexam cannot hold (they are listed)"))
    essay_subtype = SelectField(_l("Moodle essays are imported as"), default=SUBTYPES[0],
                                choices=list(SUBTYPE_LABELS.items()))
    check = SubmitField(_l("Check only"))
    run = SubmitField(_l("Import"))


# Placeholder content of a new item, in the item's languages (content, not page text).
_PLACEHOLDER = {"zh_Hans": "（在此填写{what}。）", "en": "(Write the {what} here.)"}
_WHAT = {"stem": ("题干", "stem"), "case": ("案例", "case"), "explanation": ("解析", "explanation"),
         "rubric": ("评分标准", "marking guide"), "option": ("选项 {n}", "option {n}"),
         "question": ("第 {n} 小题", "question {n}")}


def _text(what: str, n: object = "") -> Text:
    zh, en = _WHAT[what]
    return Text({"zh_Hans": _PLACEHOLDER["zh_Hans"].format(what=zh.format(n=n)),
                 "en": _PLACEHOLDER["en"].format(what=en.format(n=n))})


SKELETON_KEYS = "ABCD"  # four options, as most shipped items have; the author adds or removes
SKELETON_POINTS = 10  # a starting value for max_points; the author sets the real one


def _options() -> tuple[Option, ...]:
    return tuple(Option(key, _text("option", key)) for key in SKELETON_KEYS)


def skeleton(item_id: str, module: str, item_type: str) -> Item:
    """A valid item of `item_type` with placeholder texts: the editor's starting point."""
    base = Item(id=item_id, module=module, type=item_type, stem=_text("stem"), explanation=_text("explanation"))
    if item_type == SINGLE_CHOICE:
        return replace(base, options=_options(), answer="A")
    if item_type == MULTIPLE_RESPONSE:
        return replace(base, options=_options(), answer=("A", "C"), scoring=DEFAULT_SCORING)
    if item_type == TRUE_FALSE:
        return replace(base, answer=True)
    if item_type == ITEM_SET:
        children = tuple(Item(id=f"{item_id}-{n}", module=module, type=SINGLE_CHOICE, stem=_text("question", n),
                              options=_options(), answer="A") for n in range(1, MIN_CHILDREN + 1))
        return Item(id=item_id, module=module, type=item_type, stem=_text("stem"), case=_text("case"),
                    children=children)
    return Item(id=item_id, module=module, type=CONSTRUCTED, stem=_text("stem"), subtype=SUBTYPES[0],
                max_points=SKELETON_POINTS, rubric=_text("rubric"))
