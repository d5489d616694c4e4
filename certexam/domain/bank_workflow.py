"""The review workflow of item versions: draft -> in review -> approved -> retired.

Every edit makes a new draft version; a version's content never changes.
Approving a version supersedes the item's previously approved one, so an item
has at most one version that new exams may draw. A reviewer cannot approve a
version they wrote (four-eyes rule, as exam bodies require for item review).
"""

from __future__ import annotations

from enum import StrEnum


class VersionStatus(StrEnum):
    DRAFT = "draft"
    IN_REVIEW = "in_review"
    APPROVED = "approved"
    SUPERSEDED = "superseded"  # an approved version replaced by a newer approved one
    RETIRED = "retired"


class Action(StrEnum):
    SUBMIT = "submit"
    APPROVE = "approve"
    RETURN = "return"  # send back to draft with a note
    RETIRE = "retire"


_TRANSITIONS: dict[tuple[VersionStatus, Action], VersionStatus] = {
    (VersionStatus.DRAFT, Action.SUBMIT): VersionStatus.IN_REVIEW,
    (VersionStatus.IN_REVIEW, Action.APPROVE): VersionStatus.APPROVED,
    (VersionStatus.IN_REVIEW, Action.RETURN): VersionStatus.DRAFT,
    (VersionStatus.DRAFT, Action.RETIRE): VersionStatus.RETIRED,
    (VersionStatus.IN_REVIEW, Action.RETIRE): VersionStatus.RETIRED,
    (VersionStatus.APPROVED, Action.RETIRE): VersionStatus.RETIRED,
}


class WorkflowError(ValueError):
    """An action that the workflow does not allow; `code` names why."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def next_status(current: VersionStatus, action: Action, *, actor_id: int | None, author_id: int | None,
                is_latest: bool) -> VersionStatus:
    """Return the status after `action`, or raise WorkflowError.

    Only the newest version of an item moves forward (an older draft cannot
    be approved behind a newer edit); retiring is allowed from any live state.
    """
    if action != Action.RETIRE and not is_latest:
        raise WorkflowError("not_latest")
    if action == Action.APPROVE and actor_id is not None and actor_id == author_id:
        raise WorkflowError("own_edit")
    target = _TRANSITIONS.get((current, action))
    if target is None:
        raise WorkflowError("not_allowed")
    return target


def actions_for(current: VersionStatus, *, actor_id: int | None, author_id: int | None,
                is_latest: bool) -> list[Action]:
    """The actions a user may take on a version, for showing buttons."""
    allowed = []
    for action in Action:
        try:
            next_status(current, action, actor_id=actor_id, author_id=author_id, is_latest=is_latest)
        except WorkflowError:
            continue
        allowed.append(action)
    return allowed
