"""Online objections to a bonus on public notice (issue 23): who may object, when, and who rules.

The notice (公示) is the public's chance to say an application is untrue (rules s.3: "application,
completeness check, review, a public notice period (公示, e.g. 5 working days), payment"). Pure
rules: `on` is today in Asia/Shanghai, passed in by the service.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum


class Refusal(StrEnum):
    """Why an objection is not taken."""

    ENDED = "ended"  # after the notice's last day: objections are taken while the notice runs
    NOT_YET = "not_yet"  # the notice starts on a later working day
    NOT_ON_NOTICE = "not_on_notice"  # never on notice, or withdrawn or rejected before it ended
    OWN_APPLICATION = "own_application"  # a holder does not object to their own bonus
    ALREADY_OPEN = "already_open"  # one open objection per person and application: add to it by waiting


def objection_refusal(*, on: date, in_notice: bool, starts_on: date | None, ends_on: date | None,
                      objector_id: int, holder_id: int, open_by_objector: int) -> Refusal | None:
    """Whether `objector_id` may object on day `on`; None when the objection is taken.

    The notice's first and last days both count (the public notice page lists the application on
    both). `open_by_objector`: this person's objections to the application not yet ruled on.
    """
    if ends_on is not None and on > ends_on:
        return Refusal.ENDED
    if not in_notice or starts_on is None or ends_on is None:
        return Refusal.NOT_ON_NOTICE
    if on < starts_on:
        return Refusal.NOT_YET
    if objector_id == holder_id:
        return Refusal.OWN_APPLICATION
    if open_by_objector > 0:
        return Refusal.ALREADY_OPEN
    return None


def may_rule(objector_id: int | None, reviewer_id: int) -> bool:
    """A reviewer does not rule on their own objection (four eyes, as domain.duties)."""
    return objector_id is None or objector_id != reviewer_id
