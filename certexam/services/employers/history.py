"""An organisation's verification history (issue 23): its bulk runs, newest first, each with its lines.

Every employer account of an organisation sees the organisation's runs (a colleague's too: the list
is the organisation's record), and no other organisation's: another's run is "not found", so its
ids cannot be probed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from certexam import db
from certexam.domain.staff_list import LineOutcome
from certexam.errors import NotFound
from certexam.models import BulkVerification, BulkVerificationLine, User
from certexam.services.employers.bulk import employer_organisation

PAGE_SIZE = 50


@dataclass(frozen=True)
class RunSummary:
    run: BulkVerification
    counts: dict[LineOutcome, int] = field(default_factory=dict)

    @property
    def problems(self) -> int:
        """Lines that are not valid."""
        return self.run.line_count - self.run.valid_count


def runs(actor: User | None, page: int = 1) -> list[RunSummary]:
    """The organisation's runs, newest first, with their lines counted by outcome."""
    org_id = employer_organisation(actor)
    stmt = (select(BulkVerification).where(BulkVerification.organisation_id == org_id)
            .order_by(BulkVerification.checked_at.desc(), BulkVerification.id.desc())
            .limit(PAGE_SIZE).offset((max(page, 1) - 1) * PAGE_SIZE))
    found = list(db.session().scalars(stmt))
    counts: dict[int, dict[LineOutcome, int]] = {r.id: {} for r in found}
    if found:
        grouped = (select(BulkVerificationLine.run_id, BulkVerificationLine.outcome, func.count())
                   .where(BulkVerificationLine.run_id.in_(counts))
                   .group_by(BulkVerificationLine.run_id, BulkVerificationLine.outcome))
        for run_id, outcome, n in db.session().execute(grouped):
            counts[run_id][LineOutcome(outcome)] = n
    return [RunSummary(r, counts[r.id]) for r in found]


def run_of(actor: User | None, run_id: int) -> BulkVerification:
    """One of the organisation's runs with its lines; NotFound for anyone else's."""
    org_id = employer_organisation(actor)
    run = db.session().scalar(select(BulkVerification).options(selectinload(BulkVerification.lines))
                              .where(BulkVerification.id == run_id, BulkVerification.organisation_id == org_id))
    if run is None:
        raise NotFound(_("No such verification run."))
    return run
