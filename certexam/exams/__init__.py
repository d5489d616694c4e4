"""The exams blueprint."""

from flask import Blueprint

bp = Blueprint("exams", __name__, url_prefix="/exams")

from certexam.exams import views  # noqa: E402, F401  (they add their routes to bp)
