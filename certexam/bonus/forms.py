"""Forms of the holder-bonus pages (labels built at import time, translated per request)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, DateField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

NOTE_MAX = 2000


class ActionForm(FlaskForm):
    """A button that changes state: only the CSRF token."""

    submit = SubmitField(_l("Confirm"))


class PeriodForm(FlaskForm):
    organisation_id = SelectField(_l("Organisation"), coerce=int, validators=[DataRequired()],
                                  validate_choice=False)
    starts_on = DateField(_l("First day"), validators=[DataRequired()])
    ends_on = DateField(_l("Last day (leave empty if you still work there)"), validators=[Optional()])
    full_time = BooleanField(_l("Full-time"))
    submit = SubmitField(_l("Add period"))


class EvidenceForm(FlaskForm):
    file = FileField(_l("Evidence file (PDF, JPEG or PNG)"), validators=[FileRequired()])
    submit = SubmitField(_l("Upload"))


class ApplyForm(FlaskForm):
    bank_name = StringField(_l("Bank and branch"), validators=[DataRequired(), Length(max=100)])
    bank_account_kind = SelectField(_l("Kind of number"), default="card",
                                    choices=[("card", _l("Bank card (debit card, e.g. UnionPay 62...)")),
                                             ("account", _l("Bank account (passbook or other account)"))])
    bank_account = StringField(_l("Bank account number"), validators=[DataRequired(), Length(max=60)])
    bank_cnaps = StringField(_l("CNAPS code of the branch (联行号, 12 digits; needed unless the bank is the "
                                "programme's paying bank)"), validators=[Optional(), Length(max=20)])
    no_same_kind_award = BooleanField(
        _l("I declare that I have not received, and will not take, a city-level award or subsidy of the "
           "same kind for this certificate."), validators=[DataRequired()])
    truthful = BooleanField(
        _l("I declare that the information and documents I have given are true. I understand that fraud "
           "leads to recovery with interest, publication and a three-year bar."), validators=[DataRequired()])
    submit = SubmitField(_l("Apply for the bonus"))


class DecideForm(FlaskForm):
    note = TextAreaField(_l("Note (required when you dispute)"), validators=[Optional(), Length(max=NOTE_MAX)])
    confirm = SubmitField(_l("Confirm the period"))
    dispute = SubmitField(_l("Dispute the period"))


class CheckForm(FlaskForm):
    note = TextAreaField(_l("What is missing (required to return it)"),
                         validators=[Optional(), Length(max=NOTE_MAX)])
    complete = SubmitField(_l("Complete: send to review"))
    incomplete = SubmitField(_l("Return to the holder"))


class ReviewForm(FlaskForm):
    note = TextAreaField(_l("Reason (required to reject)"), validators=[Optional(), Length(max=NOTE_MAX)])
    approve = SubmitField(_l("Approve for public notice"))
    reject = SubmitField(_l("Reject"))


class ObjectionForm(FlaskForm):
    received_on = DateField(_l("Received on"), validators=[DataRequired()])
    objector = StringField(_l("From (name or contact; never published)"), validators=[Optional(), Length(max=200)])
    text = TextAreaField(_l("Objection"), validators=[DataRequired(), Length(max=NOTE_MAX)])
    submit = SubmitField(_l("Record objection"))


class ResolveForm(FlaskForm):
    resolution = TextAreaField(_l("Resolution"), validators=[DataRequired(), Length(max=NOTE_MAX)])
    uphold = SubmitField(_l("Uphold (reject the application)"))
    dismiss = SubmitField(_l("Dismiss"))


class ImportForm(FlaskForm):
    file = FileField(_l("Contribution records (CSV: credit_code, id_number, month)"), validators=[FileRequired()])
    submit = SubmitField(_l("Import"))


class PaidForm(FlaskForm):
    bank_reference = StringField(_l("Bank's reference"), validators=[DataRequired(), Length(max=100)])
    paid_on = DateField(_l("Paid on"), validators=[DataRequired()])
    submit = SubmitField(_l("Mark paid"))


class FraudForm(FlaskForm):
    holder = StringField(_l("Holder's email or ID number"), validators=[DataRequired(), Length(max=254)])
    found_on = DateField(_l("Day of the finding"), validators=[DataRequired()])
    finding = TextAreaField(_l("Finding (internal)"), validators=[DataRequired(), Length(max=NOTE_MAX)])
    submit = SubmitField(_l("Record the finding"))


class RecoveryForm(FlaskForm):
    recovered_on = DateField(_l("Repaid on"), validators=[DataRequired()])
    submit = SubmitField(_l("Record repayment"))


class LineOutcomeForm(FlaskForm):
    """What the bank did with one payment line (issue 23)."""

    outcome = SelectField(_l("Outcome"), choices=[("paid", _l("Paid")), ("returned", _l("Returned"))])
    settled_on = DateField(_l("Day"), validators=[DataRequired()])
    reason = StringField(_l("The bank's reason (for a return)"), validators=[Optional(), Length(max=500)])
    submit = SubmitField(_l("Record"))


class CorrectLineForm(FlaskForm):
    """New bank details for a returned line."""

    bank_name = StringField(_l("Bank and branch"), validators=[DataRequired(), Length(max=100)])
    bank_account_kind = SelectField(_l("Kind of number"), default="card",
                                    choices=[("card", _l("Bank card (debit card, e.g. UnionPay 62...)")),
                                             ("account", _l("Bank account (passbook or other account)"))])
    bank_account = StringField(_l("Bank account number"), validators=[DataRequired(), Length(max=60)])
    bank_cnaps = StringField(_l("CNAPS code (联行号)"), validators=[Optional(), Length(max=20)])
    submit = SubmitField(_l("Correct and make ready to send again"))


class StatementForm(FlaskForm):
    file = FileField(_l("Bank statement (CSV: reference, amount, status, date, reason)"),
                     validators=[FileRequired()])
    submit = SubmitField(_l("Reconcile"))
