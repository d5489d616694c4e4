"""The sittings blueprint."""

from flask import Blueprint

bp = Blueprint("sittings", __name__, url_prefix="/admin/sittings")

# The views add their routes to bp; identity_views is the proctor's identity check (issue 21).
from certexam.sittings import identity_views, views  # noqa: E402, F401
