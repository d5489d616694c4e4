"""Forms of the results, marking and re-check pages (labels translated per request)."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, SelectMultipleField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

TEXT_MAX = 4000
MAX_ROW_ID = 2**31 - 1  # PostgreSQL's integer key; SQLite overflows past 2^63


def row_id(raw: Any) -> int:
    """coerce= for a select of rows: an id no row can have is a bad choice (a form error), not an overflow (500)."""
    value = int(raw)
    if not 0 < value <= MAX_ROW_ID:
        raise ValueError("no such row")
    return value


class ActionForm(FlaskForm):
    """A button that changes state: only the CSRF token."""

    submit = SubmitField(_l("Confirm"))


class MarkForm(FlaskForm):
    points = IntegerField(_l("Points"), validators=[InputRequired(), NumberRange(min=0)])
    note = TextAreaField(_l("Note (optional)"), validators=[Optional(), Length(max=TEXT_MAX)])
    submit = SubmitField(_l("Save mark"))


class AssignForm(FlaskForm):
    markers = SelectMultipleField(_l("Markers (at least three)"), coerce=row_id, validate_choice=False)
    submit = SubmitField(_l("Assign written answers"))


class MisconductForm(FlaskForm):
    registration_id = SelectField(_l("Candidate"), coerce=row_id, validate_choice=False)
    ban_years = SelectField(_l("Exam ban"), coerce=int,
                            choices=[(1, _l("1 year")), (2, _l("2 years"))])
    evidence = TextAreaField(_l("Evidence"), validators=[DataRequired(), Length(max=TEXT_MAX)])
    submit = SubmitField(_l("Record ruling: void the result"))


class KeyCorrectionForm(FlaskForm):
    item = StringField(_l("Item version (e.g. 123, or 123.2 for the second question of a set)"),
                       validators=[DataRequired(), Length(max=20)])
    action = SelectField(_l("Correction"), choices=[("rekey", _l("Correct the key")), ("void", _l("Void the item"))])
    key = StringField(_l("New key (e.g. B; A,C for several; true or false)"), validators=[Optional(), Length(max=40)])
    note = TextAreaField(_l("Why"), validators=[DataRequired(), Length(max=TEXT_MAX)])
    submit = SubmitField(_l("Correct and re-score"))


class RecheckForm(FlaskForm):
    reason = TextAreaField(_l("What should be checked?"), validators=[DataRequired(), Length(max=TEXT_MAX)])
    submit = SubmitField(_l("Ask for a re-check"))


class RecheckAnswerForm(FlaskForm):
    answer = TextAreaField(_l("Answer to the candidate"), validators=[DataRequired(), Length(max=TEXT_MAX)])
    marks = StringField(_l("Corrected marks (optional, e.g. AM:62=7, PM:3=12)"),
                        validators=[Optional(), Length(max=400)])
    submit = SubmitField(_l("Send answer"))


def parse_key(raw: str) -> Any:
    """The key as typed: "B", "A,C" (several), "true"/"false"."""
    text = raw.strip()
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    if "," in text:
        return [k.strip() for k in text.split(",") if k.strip()]
    return text


def parse_marks(raw: str) -> dict[str, int]:
    """"AM:62=7, PM:3=12" -> {"AM:62": 7, "PM:3": 12} (ValueError when malformed)."""
    out: dict[str, int] = {}
    for part in filter(None, (p.strip() for p in raw.split(","))):
        slot, _sep, points = part.partition("=")
        if ":" not in slot or not points.strip().isdigit():
            raise ValueError(part)
        out[slot.strip()] = int(points)
    return out
