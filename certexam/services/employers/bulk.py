"""Bulk verification of an employer's staff list (issue 23): one use case, one run kept in the history.

Each line is checked the way the public pages check one certificate, with the same code
(services/certificates/verify: the register entry, the token's signature and the name commitment)
and shown as they show it: a masked holder name unless the name given is the holder's whole name,
nothing at all unless it holds at least the holder's family name, the public lookup's condition
(domain/staff_list.line_outcome). An employer learns nothing a member of the public could not learn
by looking each line up, and each run is recorded against the organisation and in the audit log.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import gettext as _
from sqlalchemy import select

from certexam import db
from certexam.crypto.cose import verify_token
from certexam.crypto.jwks import VerificationKey
from certexam.domain.masking import name_matches
from certexam.domain.staff_list import (
    LineOutcome,
    StaffLine,
    StaffListError,
    family_name_candidates,
    line_outcome,
    read_staff_list,
)
from certexam.errors import Forbidden, UserError
from certexam.models import BulkVerification, BulkVerificationLine, Certificate, User
from certexam.models.user import AccountKind
from certexam.services.certificates import keys
from certexam.services.certificates.issue import find_by_number
from certexam.services.certificates.receipt import new_receipt_id
from certexam.services.certificates.verify import VerifyOutcome, outcome_for, surname_matches
from certexam.services.employers.staff_files import message, read_rows
from certexam.services.platform import audit, clock

SOURCE_NAME_MAX = 200
_CHUNK = 500  # numbers per IN list: well under SQLite's and PostgreSQL's parameter limits


@dataclass(frozen=True)
class Shown:
    """What the public pages show for one line (the columns of BulkVerificationLine)."""

    outcome: LineOutcome
    certificate_id: int | None = None
    status: str | None = None
    holder_shown: str | None = None
    level: int | None = None
    direction: str | None = None
    issued_on: date | None = None
    status_since: date | None = None
    replaced_by: str | None = None


def employer_organisation(actor: User | None) -> int:
    """The organisation an employer account acts for; Forbidden for anyone else."""
    if actor is None or actor.role != AccountKind.EMPLOYER or actor.organisation_id is None:
        raise Forbidden(_("Only an employer account of an organisation may verify staff lists."))
    return actor.organisation_id


def _holder(out: VerifyOutcome) -> str:
    if out.name_check:
        return f"{out.name_zh} {out.name_en}"
    return f"{out.masked_zh} {out.masked_en}"


def register_entries(numbers: list[str]) -> dict[str, Certificate]:
    """The register entries of well-formed numbers, by number: one query a chunk instead of one a line
    (a 2,000-line list spent a quarter of its time on single reads)."""
    found: dict[str, Certificate] = {}
    wanted = sorted(set(numbers))
    for start in range(0, len(wanted), _CHUNK):
        stmt = select(Certificate).where(Certificate.number.in_(wanted[start:start + _CHUNK]))
        found.update((cert.number, cert) for cert in db.session().scalars(stmt))
    return found


def check_line(line: StaffLine, now: datetime, verification_keys: list[VerificationKey],
               register: Mapping[str, Certificate] | None = None) -> Shown:
    """One line as the public verification shows it (`register`: entries read beforehand, by number)."""
    if line.problem is not None:
        return Shown(LineOutcome.MALFORMED)
    cert = register.get(line.number) if register is not None else find_by_number(line.number)
    if cert is None:
        surname_matches(line.name, "")  # about the same work as a real check, as the public lookup does
        return Shown(LineOutcome.UNKNOWN)
    family = any(surname_matches(part, cert.holder_name_family) for part in family_name_candidates(line.name))
    out = outcome_for(verify_token(cert.token, verification_keys), cert, now, line.name)
    # The token's commitment answers when outcome_for checked the name; for a verdict it stops at (a bad
    # token, a register mismatch) the register's names answer, as they do for a version-1 token.
    whole = out.name_check if out.name_check is not None else name_matches(
        line.name, cert.holder_name_zh, cert.holder_name_en)
    outcome = line_outcome(out.code.value, whole, family)
    if outcome in (LineOutcome.UNKNOWN, LineOutcome.UNCONFIRMED):
        return Shown(outcome, status=out.code.value if outcome is LineOutcome.UNCONFIRMED else None)
    return Shown(outcome, cert.id, out.code.value, _holder(out), out.level, out.direction, out.issued_on,
                 out.verdict.since if out.code.value != "valid" else None, out.replaced_by)


def _lines(filename: str, data: bytes) -> list[StaffLine]:
    try:
        return read_staff_list(read_rows(filename, data))
    except StaffListError as exc:
        raise UserError(message(exc), "file") from None


@db.use_case
def verify_staff_list(actor: User | None, filename: str, data: bytes, now: datetime | None = None) -> int:
    """Check every line of an uploaded staff list and keep the run; its id. A file that is not a staff
    list raises UserError before anything is checked or written."""
    org_id = employer_organisation(actor)
    assert actor is not None  # employer_organisation refused None
    lines = _lines(filename, data)
    now = now or clock.now()
    public_keys = keys.verification_keys()
    sess = db.session()
    run = BulkVerification(organisation_id=org_id, user_id=actor.id, report_id=new_receipt_id(),
                           source_name=(filename or "staff list")[:SOURCE_NAME_MAX], line_count=len(lines),
                           valid_count=0, checked_at=now)
    register = register_entries([line.number for line in lines if line.problem is None])
    for line in lines:
        shown = check_line(line, now, public_keys, register)
        run.lines.append(BulkVerificationLine(
            line_no=line.line_no, name_given=line.name[:200], number_given=line.number[:60],
            outcome=shown.outcome, problem=line.problem, certificate_id=shown.certificate_id,
            status=shown.status, holder_shown=shown.holder_shown, level=shown.level, direction=shown.direction,
            issued_on=shown.issued_on, status_since=shown.status_since, replaced_by=shown.replaced_by))
        run.valid_count += shown.outcome is LineOutcome.VALID
    sess.add(run)
    sess.flush()
    audit.record(sess, "employer.bulk_verify", "employer_verification", run.id, actor_id=actor.id,
                 after={"organisation_id": org_id, "lines": run.line_count, "valid": run.valid_count})
    return run.id
