"""The sittings blueprint."""

from flask import Blueprint

bp = Blueprint("sittings", __name__, url_prefix="/admin/sittings")

from certexam.sittings import views  # noqa: E402, F401  (they add their routes to bp)
from certexam.sittings import identity_views  # noqa: E402, F401  (the proctor's identity check, issue 21)
