"""The bonus blueprint."""

from flask import Blueprint

bp = Blueprint("bonus", __name__)

from certexam.bonus import admin_views, api, objection_views, payfile_views, views  # noqa: E402, F401  (they add their routes to bp)
