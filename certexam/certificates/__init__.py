"""The certificates blueprint."""

from flask import Blueprint

bp = Blueprint("certificates", __name__)

from certexam.certificates import views  # noqa: E402, F401  (they add their routes to bp)
