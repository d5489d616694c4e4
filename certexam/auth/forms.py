"""Sign-in, registration and password forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField
from wtforms import EmailField, PasswordField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Email, EqualTo, Length

from certexam.domain.identity import NAME_EN_MAX, NAME_FAMILY_MAX, NAME_ZH_MAX
from certexam.models import IdDocumentType

ID_TYPE_LABELS = {
    IdDocumentType.PRC_ID: _l("Resident identity card (mainland China)"),
    IdDocumentType.HK_ID: _l("Hong Kong identity card"),
    IdDocumentType.MO_ID: _l("Macao identity card"),
    IdDocumentType.HKMO_PERMIT: _l("Mainland travel permit for Hong Kong and Macao residents"),
    IdDocumentType.PASSPORT: _l("Passport"),
}


class SignInForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Email(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])
    submit = SubmitField(_l("Sign in"))


class RegisterForm(FlaskForm):
    # The lengths the certificate prints (domain/identity.py says why).
    name_zh = StringField(_l("Name in Chinese"), validators=[DataRequired(), Length(max=NAME_ZH_MAX)])
    name_en = StringField(_l("Name in English or pinyin"), validators=[DataRequired(), Length(max=NAME_EN_MAX)])
    # Issue 19.11: the public lookup matches the family name alone, as written in the English name.
    name_family = StringField(_l("Family name (surname), as written in the name in English or pinyin"),
                              validators=[DataRequired(), Length(max=NAME_FAMILY_MAX)])
    email = EmailField(_l("Email"), validators=[DataRequired(), Email(), Length(max=254)])
    id_type = SelectField(_l("ID document"), choices=[(k.value, v) for k, v in ID_TYPE_LABELS.items()],
                          validators=[DataRequired()])
    id_number = StringField(_l("ID document number"), validators=[DataRequired(), Length(max=40)])
    photo = FileField(_l("Photo (optional, JPEG or PNG, at most 2 MB)"),
                      validators=[FileAllowed(["jpg", "jpeg", "png"], _l("Only JPEG or PNG images."))])
    password = PasswordField(_l("Password (at least 10 characters)"),
                             validators=[DataRequired(), Length(min=10, max=200)])
    confirm = PasswordField(_l("Repeat the password"),
                            validators=[DataRequired(), EqualTo("password", _l("The passwords differ."))])
    submit = SubmitField(_l("Create account"))


class ForgotForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Email(), Length(max=254)])
    submit = SubmitField(_l("Send reset link"))


class ResetForm(FlaskForm):
    password = PasswordField(_l("New password (at least 10 characters)"),
                             validators=[DataRequired(), Length(min=10, max=200)])
    confirm = PasswordField(_l("Repeat the password"),
                            validators=[DataRequired(), EqualTo("password", _l("The passwords differ."))])
    submit = SubmitField(_l("Set new password"))


class ChangePasswordForm(FlaskForm):
    current = PasswordField(_l("Current password"), validators=[DataRequired(), Length(max=200)])
    password = PasswordField(_l("New password (at least 10 characters)"),
                             validators=[DataRequired(), Length(min=10, max=200)])
    confirm = PasswordField(_l("Repeat the password"),
                            validators=[DataRequired(), EqualTo("password", _l("The passwords differ."))])
    submit = SubmitField(_l("Change password"))
