"""The employers blueprint (issue 23): bulk verification of a staff list, verification history, the
watch list with its webhooks, and organisation API keys. Employment confirmations for the holder bonus
stay with the bonus feature (bonus/views.py)."""

from flask import Blueprint

bp = Blueprint("employers", __name__)

# Each views module adds its routes to bp.
# Bulk verification and the verification history: bulk_views.
from certexam.employers import bulk_views, views  # noqa: E402, F401

# isort: split
# The watch list, webhooks, API keys and the JSON verification API (issue 23).
from certexam.employers import api, keys_views, watch_views  # noqa: E402, F401
