"""Forms for scheduling sittings, accommodations, blueprints and proctor actions.

Times typed by an administrator are Beijing time (Asia/Shanghai) and are stored
in UTC; fees are typed in yuan and stored as integer fen, parsed with Decimal.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import (
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
    ValidationError,
)
from wtforms.validators import AnyOf, DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from certexam.domain.blueprint import Blueprint
from certexam.domain.catalogue import LANGUAGES, REQUIRED_ITEM_LANGUAGE
from certexam.domain.locales import NATIVE_NAMES
from certexam.services.attempts.proctoring import MAX_ADD_MINUTES, REASON_MAX_CHARS, REASON_MIN_CHARS
from certexam.services.platform.clock import PROGRAMME_TZ
from certexam.services.sittings.blueprints import MAX_SPEC_CHARS

FEN_PER_YUAN = 100  # 1 RMB = 100 fen (house rule: money is integer fen)
# rules s.2 gives fees of RMB 1,399 to 3,999; anything past a million yuan is a typing slip.
MAX_FEE_YUAN = Decimal(1_000_000)
FEE_PATTERN = re.compile(r"[0-9]{1,7}(\.[0-9]{1,2})?")  # yuan with at most 2 decimals (whole fen)
MAX_CAPACITY = 100_000  # as services.sittings.create_sitting enforces
MAX_LATE_ENTRY_MINUTES = 60 * 24 * 60  # 60 days, as services.sittings.create_sitting enforces
MAX_PAPER_MINUTES = 600  # as domain.blueprint.problems enforces for a paper
LOCAL_FORMATS = ("%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S")  # what <input type="datetime-local"> sends
YEARS = (2000, 2100)  # a date outside is a typing slip
ASSEMBLY_MODES = {
    # issue 4: "Form assembly ... per candidate (or one fixed form per sitting, as the administrator chooses)"
    "per_candidate": _l("A different form for each candidate"),
    "fixed": _l("One fixed form for every candidate"),
    # issue 21: "Forms can be assembled and checked ahead of the sitting ... so that a start only hands out a form"
    "pre_assembled": _l("Forms assembled and checked ahead, handed out in turn"),
}


def fee_fen(text: str) -> int:
    """Yuan as typed ("1999", "1999.5", "1999.50") to integer fen; ValueError otherwise."""
    text = (text or "").strip()
    if not FEE_PATTERN.fullmatch(text):
        raise ValueError(text)
    amount = Decimal(text)
    if amount > MAX_FEE_YUAN:
        raise ValueError(text)
    return int(amount * FEN_PER_YUAN)  # exact: at most two decimals


def parse_local(text: str) -> datetime | None:
    """A datetime-local value in Beijing time, as aware UTC; None when empty or malformed."""
    text = (text or "").strip()
    for fmt in LOCAL_FORMATS:
        try:
            naive = datetime.strptime(text, fmt)  # noqa: DTZ007 - the zone is attached on the next line
        except ValueError:
            continue
        if not YEARS[0] <= naive.year <= YEARS[1]:
            return None
        return naive.replace(tzinfo=PROGRAMME_TZ).astimezone(UTC)
    return None


def local_value(value: datetime | None) -> str:
    """A UTC time as a datetime-local value in Beijing time."""
    return value.astimezone(PROGRAMME_TZ).strftime(LOCAL_FORMATS[0]) if value else ""


class LocalDateTimeField(StringField):
    """<input type="datetime-local">, read as Beijing time; .parsed holds the UTC value."""

    widget_type = "datetime-local"
    parsed: datetime | None = None

    def __call__(self, **kwargs: object) -> object:
        kwargs.setdefault("type", self.widget_type)
        return super().__call__(**kwargs)

    def pre_validate(self, form: object) -> None:
        self.parsed = parse_local(self.data or "")
        if self.data and self.parsed is None:
            raise ValidationError(_("Enter a date and time such as 2027-03-15 09:00."))


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _fee(_form: object, fld: StringField) -> None:
    try:
        fee_fen(fld.data or "")
    except ValueError:
        raise ValidationError(_("Enter the fee in yuan with at most two decimals, e.g. 1999 or 1999.50.")) \
            from None


class SittingForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    level = SelectField(_l("Level"), coerce=int, choices=[(1, _l("Level 1")), (2, _l("Level 2"))])
    blueprint = SelectField(_l("Blueprint"), validate_choice=True)
    assembly_mode = RadioField(_l("Form assembly"), choices=list(ASSEMBLY_MODES.items()), default="per_candidate",
                               validators=[DataRequired()])
    registration_opens = LocalDateTimeField(_l("Registration opens (Beijing time)"), validators=[DataRequired()])
    registration_closes = LocalDateTimeField(_l("Registration closes (Beijing time)"), validators=[DataRequired()])
    capacity = IntegerField(_l("Capacity (candidates)"), validators=[DataRequired(), NumberRange(1, MAX_CAPACITY)])
    languages = MultiCheckboxField(_l("Languages offered"), choices=[(c, NATIVE_NAMES[c]) for c in LANGUAGES],
                                   default=list(LANGUAGES))
    fee_yuan = StringField(_l("Fee in yuan (for the record)"), validators=[DataRequired(), Length(max=20), _fee])
    late_entry_minutes = IntegerField(_l("Late entry (minutes after a paper starts)"), default=30,
                                      validators=[NumberRange(0, MAX_LATE_ENTRY_MINUTES)])
    submit = SubmitField(_l("Schedule the sitting"))

    def validate_languages(self, fld: MultiCheckboxField) -> None:
        # catalogue.REQUIRED_ITEM_LANGUAGE: every item has simplified Chinese, other languages are optional.
        if REQUIRED_ITEM_LANGUAGE not in (fld.data or []):
            raise ValidationError(_("Simplified Chinese must be offered: it is the one language every "
                                    "question has."))
        # Issue 22: only languages every item of the level has reviewed (the view sets ready_languages).
        ready = getattr(self, "ready_languages", None)
        missing = [c for c in LANGUAGES if c in (fld.data or []) and ready is not None and c not in ready]
        if missing:
            raise ValidationError(_("Not every question of this level has a reviewed translation in: "
                                    "%(langs)s. See the question bank's Translations page.",
                                    langs=", ".join(NATIVE_NAMES[c] for c in missing)))

    def validate_registration_closes(self, fld: LocalDateTimeField) -> None:
        opens = parse_local(self.registration_opens.data or "")
        closes = parse_local(fld.data or "")
        if opens and closes and closes <= opens:
            raise ValidationError(_("Registration must close after it opens."))


@dataclass
class PaperRow:
    """One paper of the chosen blueprint on the form: its start time and (optional) own duration."""

    code: str
    title_zh: str
    title_en: str
    default_minutes: int
    starts: str = ""
    minutes: str = ""
    errors: list[str] = field(default_factory=list)
    starts_at: datetime | None = None
    minutes_value: int | None = None


def paper_rows(spec: Blueprint, data: MultiDict[str, str] | None) -> list[PaperRow]:
    """The rows for `spec`, filled from posted `data` (inputs named paper-<CODE>-starts / -minutes)."""
    rows = []
    for p in spec.papers:
        row = PaperRow(p.code, p.title_zh, p.title_en, p.minutes)
        if data is not None:
            row.starts = (data.get(f"paper-{p.code}-starts") or "")[:40]
            row.minutes = (data.get(f"paper-{p.code}-minutes") or "").strip()[:10]
        rows.append(row)
    return rows


def check_rows(rows: list[PaperRow]) -> bool:
    """Parse every row; errors go on the row. True when all are usable."""
    ok = True
    for row in rows:
        row.errors = []
        row.starts_at = parse_local(row.starts)
        if row.starts_at is None:
            row.errors.append(_("Enter a date and time such as 2027-03-15 09:00."))
        if row.minutes:
            if not row.minutes.isdigit() or not 1 <= int(row.minutes) <= MAX_PAPER_MINUTES:
                row.errors.append(_("Minutes must be a whole number from 1 to %(n)d.", n=MAX_PAPER_MINUTES))
            else:
                row.minutes_value = int(row.minutes)
        ok = ok and not row.errors
    return ok


class AccommodationForm(FlaskForm):
    # The bounds are timing.Accommodation's (0-600 extra minutes, x1 to x3); the service checks them again.
    extra_minutes = IntegerField(_l("Extra minutes"), validators=[InputRequired(), NumberRange(0, 600)])
    multiplier_pct = IntegerField(_l("Time multiplier (percent)"), validators=[InputRequired(), NumberRange(100, 300)])


class ProctorActionForm(FlaskForm):
    action = StringField(_l("Action"), validators=[AnyOf(["pause", "resume", "add_time", "end"])])
    minutes = IntegerField(_l("Minutes to add"), validators=[Optional(), NumberRange(1, MAX_ADD_MINUTES)])  # add_time only
    reason = StringField(_l("Reason (recorded)"), validators=[DataRequired(),
                                                              Length(REASON_MIN_CHARS, REASON_MAX_CHARS)])


class BlueprintForm(FlaskForm):
    spec = TextAreaField(_l("Specification (JSON)"), validators=[DataRequired(), Length(max=MAX_SPEC_CHARS)])
    submit = SubmitField(_l("Save the blueprint"))


class BlueprintCopyForm(FlaskForm):
    name = StringField(_l("Name of the copy"), validators=[DataRequired(), Length(max=100)])
    copy = SubmitField(_l("Copy"))


# ---------- labels shown on the pages ----------

STATUS_LABELS = {"in_progress": _l("In progress"), "paused": _l("Paused"), "submitted": _l("Submitted")}
EVENT_LABELS = {
    "start": _l("Started"), "claim": _l("Opened on a device"), "focus_lost": _l("Left the exam window"),
    "focus_back": _l("Came back to the exam window"), "paste": _l("Pasted text"), "reconnect": _l("Reconnected"),
    "offline": _l("Connection lost"), "pause": _l("Paused by proctor"), "resume": _l("Resumed by proctor"),
    "time_added": _l("Time added by proctor"), "proctor_end": _l("Ended by proctor"),
    "submit": _l("Submitted by the candidate"), "timeout": _l("Time over"),
}


def yuan(fen: int) -> str:
    """Integer fen shown as yuan with two decimals, e.g. 199950 -> "1,999.50"."""
    return f"{fen // FEN_PER_YUAN:,}.{fen % FEN_PER_YUAN:02d}"


def duration(seconds: int) -> str:
    """h:mm:ss or m:ss, as the candidate's clock shows it."""
    h, rest = divmod(max(int(seconds), 0), 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def status_label(status: str) -> str:
    return str(STATUS_LABELS.get(status, status))


def event_label(kind: str) -> str:
    return str(EVENT_LABELS.get(kind, kind))


def mode_label(mode: str) -> str:
    return str(ASSEMBLY_MODES.get(mode, mode))


def action_done(action: str, admission_no: str, minutes: int) -> str:
    if action == "pause":
        return str(_("%(no)s is paused; the clock is stopped.", no=admission_no))
    if action == "resume":
        return str(_("%(no)s is resumed; the time paused is added to the deadline.", no=admission_no))
    if action == "add_time":
        return str(_("%(n)d minutes added for %(no)s.", n=minutes, no=admission_no))
    return str(_("The paper of %(no)s is ended and submitted with the answers saved so far.", no=admission_no))
