"""Forms of the training-subsidy pages (labels built at import time, translated per request)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

NOTE_MAX = 2000
MEASURE_CHOICES = [("training", _l("Training project for the programme (item 24)")),
                   ("knowledge", _l("Body of knowledge, courseware or promotion (item 25)"))]


class ProjectForm(FlaskForm):
    measure = SelectField(_l("What the project is"), choices=MEASURE_CHOICES, default="training")
    code = StringField(_l("Project number (your own)"), validators=[DataRequired(), Length(max=50)])
    title = StringField(_l("Project title"), validators=[DataRequired(), Length(max=200)])
    starts_on = DateField(_l("First day"), validators=[DataRequired()])
    ends_on = DateField(_l("Last day"), validators=[DataRequired()])
    audit_firm = StringField(_l("Audit firm"), validators=[DataRequired(), Length(max=200)])
    audit_report_no = StringField(_l("Audit report number"), validators=[DataRequired(), Length(max=100)])
    audited_costs_yuan = StringField(_l("Audited costs (yuan)"), validators=[DataRequired(), Length(max=20)])
    submit = SubmitField(_l("Register the project"))


class ApplyForm(FlaskForm):
    bank_name = StringField(_l("Bank and branch"), validators=[DataRequired(), Length(max=100)])
    bank_account_kind = SelectField(_l("Kind of number"), default="account",
                                    choices=[("account", _l("Bank account (the institution's basic account)")),
                                             ("card", _l("Bank card"))])
    bank_account = StringField(_l("Bank account number"), validators=[DataRequired(), Length(max=60)])
    bank_cnaps = StringField(_l("CNAPS code of the branch (联行号, 12 digits; needed unless the bank is the "
                                "programme's paying bank)"), validators=[Optional(), Length(max=20)])
    no_same_kind_award = BooleanField(
        _l("We declare that the institution has not received, and will not take, a city-level subsidy of the "
           "same kind for this project or its costs."), validators=[DataRequired()])
    truthful = BooleanField(
        _l("We declare that the information and the audit report are true. We understand that fraud leads to "
           "recovery with interest, publication and a three-year bar."), validators=[DataRequired()])
    submit = SubmitField(_l("Apply for the subsidy"))


class CheckForm(FlaskForm):
    note = TextAreaField(_l("What is missing (required to return it)"),
                         validators=[Optional(), Length(max=NOTE_MAX)])
    complete = SubmitField(_l("Complete: send to review"))
    incomplete = SubmitField(_l("Return to the institution"))


class ObjectionForm(FlaskForm):
    note = TextAreaField(_l("The objection and why it is upheld"), validators=[DataRequired(), Length(max=NOTE_MAX)])
    submit = SubmitField(_l("Uphold the objection: reject"))
