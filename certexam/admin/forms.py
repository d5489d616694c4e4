"""Administrator forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Email, Length, Optional

from certexam.models import OrgCategory, Role

STAFF_ROLES = {
    Role.EMPLOYER: _l("Employer"),
    Role.GRADER: _l("Grader"),
    Role.ADMIN: _l("Administrator"),
}
ORG_CATEGORIES = {
    OrgCategory.FINANCIAL_INSTITUTION: _l("Licensed financial institution"),
    OrgCategory.FINTECH: _l("FinTech enterprise"),
    OrgCategory.OTHER: _l("Other"),
}


class StaffAccountForm(FlaskForm):
    role = SelectField(_l("Role"), choices=[(k.value, v) for k, v in STAFF_ROLES.items()],
                       validators=[DataRequired()])
    name_zh = StringField(_l("Name in Chinese"), validators=[DataRequired(), Length(max=100)])
    name_en = StringField(_l("Name in English or pinyin"), validators=[DataRequired(), Length(max=200)])
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
    """Change a staff account's role (its sessions end: services/accounts/status.py)."""

    role = SelectField(_l("Role"), choices=[(k.value, v) for k, v in STAFF_ROLES.items()],
                       validators=[DataRequired()])
    submit = SubmitField(_l("Change role"))


class AccountActionForm(FlaskForm):
    """Deactivate or reactivate an account: the button is the action."""
