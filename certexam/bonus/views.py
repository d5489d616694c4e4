"""The holder bonus: employment records, applications, notice, budget, payouts, fraud."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("bonus", __name__)
