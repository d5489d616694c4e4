"""The api blueprint."""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

# The modules add their routes to bp; push is the exam page's push channel (issue 18.6).
from certexam.api import push, views  # noqa: E402, F401
