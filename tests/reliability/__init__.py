"""Reliability under faults (issue 8): gunicorn, real databases, simulated candidates."""
