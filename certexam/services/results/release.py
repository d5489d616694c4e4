"""Results of a sitting: computing, misconduct rulings, release and what candidates see."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Final

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from certexam import db
from certexam.domain.scoring_types import PASS, PENDING
from certexam.errors import Conflict, Forbidden, NotFound, UserError
from certexam.models import (
    ExamBan,
    FourEyesRequest,
    LevelPass,
    MisconductRuling,
    Registration,
    Result,
    Role,
    Sitting,
    User,
)
from certexam.services.accounts import four_eyes
from certexam.services.certificates.follow import Followed, follow_results
from certexam.services.platform import audit, clock, mail
from certexam.services.results import cycle
from certexam.services.results.reading import (
    CandidateResult,
    my_result,
    my_results,
    require_released,
    sitting_results,
)
from certexam.services.results.scoring import score_sitting, snapshot
from certexam.services.tlog import anchor

BAN_YEARS: Final = (1, 2)  # rules s.2: "misconduct (with an exam ban of 1 or 2 years)"
DAYS_PER_YEAR: Final = 365  # a ban of n years ends the day before the same date n years on (leap days aside)


def _sitting(sess: Session, sitting_id: int, lock: bool = False) -> Sitting:
    sitting = sess.get(Sitting, sitting_id, with_for_update=lock)
    if sitting is None:
        raise NotFound(_("This sitting does not exist."))
    return sitting


def _audit_changes(sess: Session, changes: list[tuple[Result, dict[str, Any] | None, dict[str, Any]]],
                   action: str, actor: User | None, why: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Audit every released result whose figures changed; returns the before/after report."""
    report = []
    for row, before, after in changes:
        if before is not None and before != after:
            entry = {"registration": row.registration_id, "before": before, "after": after}
            report.append(entry)
            if row.released:
                audit.record(sess, action, "result", row.id, actor_id=actor.id if actor else None,
                             before=before, after={**after, **(why or {})})
    return report


def follow_change(sess: Session, sitting: Sitting, changes: list[tuple[Result, dict[str, Any] | None, dict[str, Any]]],
                  action: str, actor: User | None, why: dict[str, Any]) -> tuple[list[dict[str, Any]], Followed]:
    """After a re-score (key correction, item void, re-check, misconduct ruling), in its use case: audit
    every changed released result, move the level passes, and let the certificates follow (issue 18: a
    certificate tells the truth about its result). Returns the before/after report and the certificates
    revoked and issued."""
    report = _audit_changes(sess, changes, action, actor, why)
    if sitting.results_released_at is not None:
        sync_level_passes(sess, sitting)
    turned = {row.id for row, before, after in changes if before is not None and before["status"] != after["status"]}
    return report, follow_results(sess, sitting, actor, why, turned)


@db.use_case
def compute(actor: User | None, sitting_id: int) -> dict[str, int]:
    """Score a closed sitting before release (results stay hidden); returns counts per status."""
    sess = db.session()
    sitting = _sitting(sess, sitting_id, lock=True)
    if sitting.results_released_at is not None:
        raise Conflict(_("Results of this sitting are released: only a re-check or a key correction changes them."))
    cycle.require_closed(sess, sitting)  # issue 18: a sitting closes before it is scored
    changes = score_sitting(sess, sitting)
    counts: dict[str, int] = {}
    for row, _before, _after in changes:
        counts[str(row.status)] = counts.get(str(row.status), 0) + 1
    audit.record(sess, "results.compute", "sitting", sitting_id, actor_id=actor.id if actor else None, after=counts)
    return counts


@db.use_case
def rule_misconduct(actor: User, registration_id: int, ban_years: int, evidence: str) -> MisconductRuling:
    """The committee's ruling before release: the result is void and the candidate barred for 1 or 2 years."""
    sess = db.session()
    reg = sess.get(Registration, registration_id)
    if reg is None:
        raise NotFound(_("This registration does not exist."))
    if reg.sitting.results_released_at is not None:
        raise Conflict(_("Misconduct is ruled on before the results are released."))
    if ban_years not in BAN_YEARS:
        raise UserError(_("A ban is for 1 or 2 years."), field="ban_years")
    if not evidence.strip():
        raise UserError(_("Describe the evidence."), field="evidence")
    if sess.scalar(select(MisconductRuling).where(MisconductRuling.registration_id == reg.id)) is not None:
        raise Conflict(_("A ruling has already been recorded for this candidate."))
    start = clock.today()
    # A year-based ban, computed by calendar years so that 29 February does not shift it.
    try:
        end = start.replace(year=start.year + ban_years) - timedelta(days=1)
    except ValueError:
        end = start + timedelta(days=DAYS_PER_YEAR * ban_years - 1)
    now = clock.now()
    ban = ExamBan(user_id=reg.user_id, starts_on=start, ends_on=end, reason=evidence.strip(),
                  created_by_id=actor.id, created_at=now)
    sess.add(ban)
    sess.flush()
    ruling = MisconductRuling(registration_id=reg.id, ban_years=ban_years, evidence=evidence.strip(),
                              exam_ban_id=ban.id, created_by_id=actor.id, created_at=now)
    sess.add(ruling)
    sess.flush()
    audit.record(sess, "results.misconduct", "registration", reg.id, actor_id=actor.id,
                 after={"ban_years": ban_years, "ends_on": end.isoformat(), "evidence": evidence.strip()})
    if cycle.facts(sess, reg.sitting, close_expired=True).closed(now):  # else compute applies it later
        follow_change(sess, reg.sitting, score_sitting(sess, reg.sitting), "results.misconduct_change", actor,
                      {"misconduct": ruling.id})
    return ruling


def passed_on(sitting: Sitting) -> date:
    """The day a pass is dated: the sitting's last paper, in Asia/Shanghai."""
    return clock.local_date(max(p.starts_at for p in sitting.papers))


def sync_level_passes(sess: Session, sitting: Sitting) -> None:
    """LevelPass rows follow the sitting's released PASS results (added, or removed by a later correction)."""
    passing = set(sess.scalars(select(Result.user_id).where(Result.sitting_id == sitting.id, Result.status == PASS,
                                                            Result.released)))
    have = {lp.user_id: lp for lp in sess.scalars(select(LevelPass).where(LevelPass.level == sitting.level))}
    for uid in sorted(passing):
        if uid not in have:
            sess.add(LevelPass(user_id=uid, level=sitting.level, passed_on=passed_on(sitting),
                               sitting_id=sitting.id, created_at=clock.now()))
    stale = [lp.id for uid, lp in have.items() if lp.sitting_id == sitting.id and uid not in passing]
    if stale:
        sess.execute(delete(LevelPass).where(LevelPass.id.in_(stale)))
    sess.flush()


@dataclass(frozen=True)
class ReleaseReport:
    results: int
    certificates: int | None  # None: not issued (service missing or failed; see problem)
    problem: str | None = None


def _issue_certificates(sitting_id: int, actor: User) -> tuple[int | None, str | None]:
    """Hand over to the certificates service when it exists (written by another team).

    Called after the release has committed: a certificate problem (no signing
    keys yet, say) must not hide released results; issuing is idempotent, so
    the certificates pages can run it again.
    """
    try:
        from certexam.services.certificates import issue as certificates

        issue = certificates.issue_for_sitting
    except (ImportError, AttributeError):
        current_app.logger.warning("certificates.issue_for_sitting is missing: no certificates issued")
        return None, "missing"
    try:
        return len(issue(sitting_id, actor)), None
    except Exception as exc:  # noqa: BLE001 (logged and reported; results stay released)
        db.session().rollback()
        current_app.logger.exception("certificates for sitting %s not issued", sitting_id)
        return None, str(exc)


RELEASE: Final = "results.release"  # the four-eyes action (services/accounts/four_eyes.py)


def _releasable(sess: Session, sitting: Sitting) -> list[tuple[Result, dict[str, Any] | None, dict[str, Any]]]:
    """Score the sitting again and refuse a release that cannot happen now."""
    if sitting.results_released_at is not None:
        raise Conflict(_("These results have already been released."))
    cycle.require_closed(sess, sitting)  # issue 18: nothing can start or run when results go out
    changes = score_sitting(sess, sitting)
    if not changes:
        raise UserError(_("There are no results to release."))
    pending = [row for row, _b, _a in changes if row.status == PENDING]
    if pending:
        raise UserError(_("%(n)s results are still waiting for marking or papers: release them later.",
                          n=len(pending)))
    return changes


def _officer(actor: User) -> None:
    if not actor.has_role(Role.RESULTS_OFFICER):
        raise Forbidden(_("Only results officers release results."))


def release_request(sitting_id: int) -> FourEyesRequest | None:
    """The open request to release this sitting's results, if a first results officer made one."""
    return four_eyes.pending(db.session(), RELEASE, sitting_id)


@db.use_case
def request_release(actor: User, sitting_id: int) -> FourEyesRequest:
    """A first results officer asks for the release (issue 19.6: four eyes); a different results
    officer confirms it with `release`. Refused now if the release would be refused then."""
    _officer(actor)
    sess = db.session()
    sitting = _sitting(sess, sitting_id, lock=True)
    changes = _releasable(sess, sitting)
    counts = {str(s): sum(1 for r, _b, _a in changes if r.status == s) for s in {r.status for r, _b, _a in changes}}
    return four_eyes.ask(sess, RELEASE, sitting.id, actor, counts, "sitting")


@db.use_case
def withdraw_release_request(actor: User, sitting_id: int) -> None:
    """The asker changes their mind, or a second officer declines: the request goes, nothing is released."""
    sess = db.session()
    four_eyes.withdraw(sess, RELEASE, _sitting(sess, sitting_id, lock=True).id, actor, "sitting")


def release(actor: User, sitting_id: int) -> ReleaseReport:
    """A second results officer confirms the release another one asked for (issue 19.6): the results
    go out in one transaction, then certificates are issued for the passes."""
    count = _release(actor, sitting_id)
    issued, problem = _issue_certificates(sitting_id, actor)
    return ReleaseReport(count, issued, problem)


@db.use_case
def _release(actor: User, sitting_id: int) -> int:
    """Publish a sitting's results, record level passes, tell every candidate by email."""
    _officer(actor)
    sess = db.session()
    sitting = _sitting(sess, sitting_id, lock=True)
    changes = _releasable(sess, sitting)
    requested_by, _asked = four_eyes.confirm(sess, RELEASE, sitting.id, actor)
    now = clock.now()
    for row, _b, _a in changes:
        row.released = True
    sitting.results_released_at = now
    sess.flush()
    sync_level_passes(sess, sitting)
    counts = {str(s): sum(1 for r, _b, _a in changes if r.status == s) for s in {r.status for r, _b, _a in changes}}
    audit.record(sess, "results.release", "sitting", sitting.id, actor_id=actor.id,
                 after={**counts, "requested_by": requested_by})
    anchor.anchor_in(sess)  # issue 20.5: the audit head goes into the transparency log at every release
    for row, _b, _a in changes:
        user = sess.get(User, row.user_id)
        if user is not None:
            with force_locale(user.locale or "zh_Hans"):
                mail.send(user.email, _("Your certexam result is available"),
                          _("The results of %(sitting)s are out. Sign in to see yours.", sitting=sitting.name))
    return len(changes)


__all__ = ["BAN_YEARS", "require_released", "RELEASE", "CandidateResult", "ReleaseReport", "compute", "my_result", "my_results", "passed_on",
           "release", "release_request", "request_release", "rule_misconduct", "withdraw_release_request", "sitting_results", "snapshot", "sync_level_passes"]
