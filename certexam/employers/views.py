"""Employers' pages (issue 23); the bulk-verification and watch-list views add their routes here."""

from certexam.employers import bp  # noqa: F401
