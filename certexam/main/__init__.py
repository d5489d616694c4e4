"""The main blueprint."""

from flask import Blueprint

bp = Blueprint("main", __name__)

from certexam.main import views  # noqa: E402, F401  (they add their routes to bp)
