"""The bulk verification upload form (issue 23)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import SubmitField


class StaffListForm(FlaskForm):
    file = FileField(_l("Staff list (CSV or XLSX: name, certificate number)"),
                     validators=[FileRequired(_l("Choose a CSV or XLSX file."))])
    submit = SubmitField(_l("Verify the list"))
