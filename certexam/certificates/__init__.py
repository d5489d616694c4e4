"""The certificates blueprint."""

from flask import Blueprint

bp = Blueprint("certificates", __name__)

# The view modules add their routes to bp; credential_views: Open Badges 3.0 (issue 20.7);
# status_views: the signed status lists (issue 20.3).
from certexam.certificates import credential_views, status_views, views  # noqa: E402, F401

# isort: split
from certexam.certificates import revocation  # noqa: E402, F401  (the root's CRL, issue 20.6)

# isort: split
from certexam.certificates import api  # noqa: E402, F401  (status changes through the JSON API, issue 20)
