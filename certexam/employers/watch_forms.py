"""Forms of the watch list, the webhook endpoint and the organisation API keys (issue 23)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectMultipleField, StringField, SubmitField, URLField
from wtforms.validators import DataRequired, Length
from wtforms.widgets import CheckboxInput, ListWidget

from certexam.domain.webhooks import URL_MAX
from certexam.services.employers.api_keys import NAME_MAX as KEY_NAME_MAX
from certexam.services.employers.api_keys import SCOPES
from certexam.services.employers.watch import NAME_MAX

NUMBER_MAX = 40  # the register's number column
SCOPE_LABELS = {"verify": _l("verify: check certificates through the JSON API"),
                "watch": _l("watch: read and change the watch list through the JSON API")}


class WatchForm(FlaskForm):
    """Watch a certificate: its number and the holder's full name, as the public page checks them."""

    number = StringField(_l("Certificate number"), validators=[DataRequired(), Length(max=NUMBER_MAX)])
    name = StringField(_l("Holder's full name, in Chinese or English"),
                       validators=[DataRequired(), Length(max=NAME_MAX)])
    submit = SubmitField(_l("Watch this certificate"))


class EndpointForm(FlaskForm):
    url = URLField(_l("Webhook address (https://…)"), validators=[DataRequired(), Length(max=URL_MAX)])
    submit = SubmitField(_l("Save and make a new signing secret"))


class ApiKeyForm(FlaskForm):
    name = StringField(_l("Name of the key (which system uses it)"),
                       validators=[DataRequired(), Length(max=KEY_NAME_MAX)])
    scopes = SelectMultipleField(_l("Scopes"), choices=[(s, SCOPE_LABELS[s]) for s in SCOPES],
                                 validators=[DataRequired()], option_widget=CheckboxInput(),
                                 widget=ListWidget(prefix_label=False))
    submit = SubmitField(_l("Create the key"))


class CsrfOnly(FlaskForm):
    """A button that changes something: only its CSRF token is checked (the value comes from the URL or a
    hidden field the view reads itself)."""
