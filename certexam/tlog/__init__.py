"""The tlog blueprint: the transparency log's public endpoints (issue 20.5)."""

from flask import Blueprint

bp = Blueprint("tlog", __name__)

from certexam.tlog import views  # noqa: E402, F401  (they add their routes to bp)
