"""The training-subsidies blueprint (issue 23; measures items 24-25, programme-rules.md section 4)."""

from flask import Blueprint

bp = Blueprint("subsidies", __name__)

from certexam.subsidies import views  # noqa: E402, F401
