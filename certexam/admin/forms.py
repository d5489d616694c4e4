"""Administrator forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectField, SelectMultipleField, StringField, SubmitField
from wtforms.validators import DataRequired, Email, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from certexam.models import OrgCategory, Role

# Every role in the reader's words (issue 19.6; what each may do: docs/security.md, "Roles").
ROLE_LABELS = {
    Role.CANDIDATE: _l("Candidate"),
    Role.EMPLOYER: _l("Employer"),
    Role.ITEM_AUTHOR: _l("Item author"),
    Role.ITEM_REVIEWER: _l("Item reviewer"),
    Role.PROCTOR: _l("Proctor"),
    Role.MARKER: _l("Marker"),
    Role.RESULTS_OFFICER: _l("Results officer"),
    Role.CERTIFICATE_OFFICER: _l("Certificate officer"),
    Role.BONUS_CHECKER: _l("Bonus checker"),
    Role.BONUS_APPROVER: _l("Bonus approver"),
    Role.PAYMENT_OFFICER: _l("Payment officer"),
    Role.AUDITOR: _l("Auditor (read only)"),
    Role.SYSTEM_ADMIN: _l("System administrator"),
}
# What the account form offers: an employer, or any set of staff roles.
STAFF_ROLES = {role: label for role, label in ROLE_LABELS.items() if role != Role.CANDIDATE}
GRANTABLE = {role: label for role, label in ROLE_LABELS.items() if role not in (Role.CANDIDATE, Role.EMPLOYER)}


class RolesField(SelectMultipleField):
    """Roles as a list of checkboxes."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()
ORG_CATEGORIES = {
    OrgCategory.FINANCIAL_INSTITUTION: _l("Licensed financial institution"),
    OrgCategory.FINTECH: _l("FinTech enterprise"),
    OrgCategory.OTHER: _l("Other"),
    OrgCategory.TRAINING_INSTITUTION: _l("Training institution"),
}


class StaffAccountForm(FlaskForm):
    role = RolesField(_l("Roles (an employer, or one or more staff roles)"),
                      choices=[(k.value, v) for k, v in STAFF_ROLES.items()], validators=[DataRequired()])
    name_zh = StringField(_l("Name in Chinese"), validators=[DataRequired(), Length(max=100)])
    name_en = StringField(_l("Name in English or pinyin"), validators=[DataRequired(), Length(max=200)])
    # Issue 19.11: as written in the English name; blank takes its first word.
    name_family = StringField(_l("Family name, as written in the name in English or pinyin"),
                              validators=[Optional(), Length(max=100)])
    email = EmailField(_l("Email"), validators=[DataRequired(), Email(), Length(max=254)])
    # Only an offered organisation: a made-up id (2^63 overflowed SQLite, 2^31 PostgreSQL: issue 19.8)
    # is a form error, never a query.
    organisation_id = SelectField(_l("Organisation (employers only)"), coerce=int, validators=[Optional()])
    password = PasswordField(_l("Initial password (at least 10 characters)"),
                             validators=[DataRequired(), Length(min=10, max=200)])
    submit = SubmitField(_l("Create account"))


class OrganisationForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    credit_code = StringField(_l("Unified social credit code"), validators=[DataRequired(), Length(min=18, max=18)])
    city = StringField(_l("City of registration"), validators=[DataRequired(), Length(max=100)])
    category = SelectField(_l("Category"), choices=[(k.value, v) for k, v in ORG_CATEGORIES.items()],
                           validators=[DataRequired()])
    submit = SubmitField(_l("Add organisation"))


class AccountRoleForm(FlaskForm):
    """Grant and remove a staff account's roles (its sessions end: services/accounts/status.py)."""

    role = RolesField(_l("Roles"), choices=[(k.value, v) for k, v in GRANTABLE.items()],
                      validators=[DataRequired(_l("Choose at least one role."))])
    submit = SubmitField(_l("Save roles"))


class AccountActionForm(FlaskForm):
    """Deactivate or reactivate an account: the button is the action."""
