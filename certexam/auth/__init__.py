"""The auth blueprint."""

from flask import Blueprint

bp = Blueprint("auth", __name__, url_prefix="/auth")

from certexam.auth import views  # noqa: E402, F401  (they add their routes to bp)
