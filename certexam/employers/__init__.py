"""The employers blueprint (issue 23): bulk verification of a staff list, verification history, the
watch list with its webhooks, and organisation API keys. Employment confirmations for the holder bonus
stay with the bonus feature (bonus/views.py)."""

from flask import Blueprint

bp = Blueprint("employers", __name__)

# Each views module adds its routes to bp.
from certexam.employers import views  # noqa: E402, F401
