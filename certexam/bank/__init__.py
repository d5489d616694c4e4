"""The bank blueprint."""

from flask import Blueprint

bp = Blueprint("bank", __name__, url_prefix="/admin/bank")

from certexam.bank import form_editor_views, translation_views, views  # noqa: E402, F401  (they add their routes to bp)
