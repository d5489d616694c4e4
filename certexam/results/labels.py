"""What results pages call things: reason codes in plain words, statuses, module names."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

from certexam.i18n import module_label

# Each reason code explained in plain words (issue 5: "the ethics veto is stated plainly").
REASONS: dict[str, Any] = {
    "ETHICS_VETO": _l("Your correct rate in the ethics questions was below the required minimum. "
                      "Under the programme's one-vote veto this alone means the exam is not passed, "
                      "whatever your other results."),
    "BELOW_PASS_MARK": _l("Your overall result was below the pass mark."),
    # rules s.2: "the top 40% within each direction pass" (the share is passed in: no bare % in msgids)
    "NOT_IN_TOP_SHARE": _l("You passed the ethics requirement, but your score was not within the top %(share)s "
                           "of your technical direction.", share="40%"),
    "MISCONDUCT": _l("The certification committee ruled misconduct: the result is void."),
    "ABSENT": _l("You did not take every paper of this sitting."),
}
STATUS_LABELS: dict[str, Any] = {"PASS": _l("Passed"), "FAIL": _l("Not passed"), "VOID": _l("Void"),
                                 "PENDING": _l("Pending")}


def module_name(code: str) -> str:
    """A module's name in the page language (issue 22: it was Chinese or English only)."""
    return module_label(code)


# Reliability methods (domain/psychometrics.py and reliability.py) in plain words.
METHODS: dict[str, Any] = {"KR-20": "KR-20", "alpha": _l("Cronbach's alpha"),
                           "alpha (random forms)": _l("alpha for random forms")}


def method_name(method: str) -> str:
    return str(METHODS.get(method, method))


def direction_name(code: str) -> str:
    """A level-2 direction in the page language (the certificates' labels: one wording everywhere)."""
    from certexam.certificates.forms import (
        DIRECTION_LABELS,  # a label table, not a dependency on that feature
    )
    return str(DIRECTION_LABELS.get(code, code))
