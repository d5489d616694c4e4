"""The statistics blueprint (issue 23): the programme office's figures and the public aggregate page."""

from flask import Blueprint

bp = Blueprint("statistics", __name__)

from certexam.statistics import views  # noqa: E402, F401  (it adds its routes to bp)
