"""Training-subsidy pages (issue 23): projects, applications, review, notice, payment."""

from certexam.subsidies import bp  # noqa: F401
