"""The results blueprint."""

from flask import Blueprint

bp = Blueprint("results", __name__)

from certexam.results import analysis_views, api, release_views, views  # noqa: E402, F401  (they add their routes to bp)
