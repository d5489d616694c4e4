"""The api blueprint."""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

from certexam.api import views  # noqa: E402, F401  (they add their routes to bp)
