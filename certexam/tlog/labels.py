"""The verification page's words for a certificate refused by the log rule (issue 20.5)."""

from flask_babel import lazy_gettext as _l

LOGGED_LATE_LABEL = (
    "bad", _l("Not valid: issued long before it entered the public log"),
    _l("Certificates enter the public log when they are issued. This one is dated more than two days before "
       "its first log entry, so it was made later than it claims. Do not rely on this certificate."))
"""(tone, headline, explanation) in certificates/forms.VERDICT_LABELS' shape, used for a BACKDATED
verdict whose detail is services/tlog/proofs.LOGGED_LATE."""
