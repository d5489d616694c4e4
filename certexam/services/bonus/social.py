"""Importing monthly social-insurance contribution records (CSV: credit code, ID number, month).

A record says an organisation paid contributions for a person in a month;
it confirms that month of any period the person declared at that
organisation (bonus_eligibility).  The import is all or nothing: every line
is checked first and nothing is written if any line is wrong.  Lines for
organisations or people the platform does not know are counted and skipped
(a contribution file lists every employee, not just certificate holders),
and records already imported are left as they are, so a file can be
imported twice.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

from flask_babel import gettext as _
from sqlalchemy import func, select

from certexam import db
from certexam.domain.identity import normalise_id_number
from certexam.domain.uscc import normalize_uscc, uscc_problems
from certexam.models import Organisation, SocialInsuranceMonth, User
from certexam.services.platform import audit, clock

COLUMNS = ("credit_code", "id_number", "month")
MONTH = re.compile(r"^(\d{4})-(\d{2})$")
MAX_ID_LENGTH = 40
MAX_ERRORS_SHOWN = 50
IN_CHUNK = 500
EARLIEST_MONTH = date(1991, 1, 1)  # the pension reform that started contribution records (国发〔1991〕33号)


@dataclass(frozen=True)
class Line:
    line: int
    credit_code: str
    id_number: str
    month: date


@dataclass
class Parsed:
    lines: list[Line] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)


@dataclass(frozen=True)
class ImportReport:
    added: int
    already: int
    unknown_organisation: int
    unknown_person: int


def _month(raw: str) -> date | None:
    m = MONTH.match(raw.strip())
    if not m or not 1 <= int(m.group(2)) <= 12:  # noqa: PLR2004 - months of the year
        return None
    return date(int(m.group(1)), int(m.group(2)), 1)


def parse(data: bytes, on: date) -> Parsed:
    """Check every line of a file; lines are numbered as a spreadsheet shows them (header = 1)."""
    out = Parsed()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        out.errors.append((0, _("The file is not UTF-8 text.")))
        return out
    rows = csv.reader(io.StringIO(text))
    header = [h.strip().lower() for h in next(rows, [])]
    if tuple(header[:3]) != COLUMNS:
        out.errors.append((1, _("The first line must be: %(cols)s.", cols=",".join(COLUMNS))))
        return out
    latest = on.replace(day=1)
    for number, row in enumerate(rows, start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) < len(COLUMNS):
            out.errors.append((number, _("Three values are needed: credit code, ID number, month.")))
            continue
        code, id_number = normalize_uscc(row[0]), normalise_id_number(row[1])
        month = _month(row[2])
        if uscc_problems(code):
            out.errors.append((number, _("The credit code %(code)s is not valid.", code=code[:30])))
        elif not id_number or len(id_number) > MAX_ID_LENGTH:
            out.errors.append((number, _("The ID number is missing or too long.")))
        elif month is None or not EARLIEST_MONTH <= month <= latest:
            out.errors.append((number, _("The month must be written YYYY-MM and not be in the future.")))
        else:
            out.lines.append(Line(number, code, id_number, month))
    if not out.lines and not out.errors:
        out.errors.append((1, _("The file has no records.")))
    return out


@db.use_case
def import_lines(actor: User | None, lines: list[Line], source: str, now: datetime | None = None,
                 progress: Callable[[int], None] | None = None) -> ImportReport:
    """Write checked lines in one transaction (all or nothing)."""
    sess = db.session()
    at = clock.now(now)
    orgs: dict[str, int] = {}
    for part in _chunks({ln.credit_code for ln in lines}):
        for code, org_id in sess.execute(select(Organisation.credit_code, Organisation.id)
                                         .where(Organisation.credit_code.in_(part))):
            orgs[code] = org_id
    people: dict[str, list[int]] = {}
    for part in _chunks({ln.id_number for ln in lines}):
        for uid, number in sess.execute(select(User.id, User.id_number).where(User.id_number.in_(part))):
            people.setdefault(number or "", []).append(uid)
    existing = {(o, u, m) for o, u, m in sess.execute(
        select(SocialInsuranceMonth.organisation_id, SocialInsuranceMonth.user_id, SocialInsuranceMonth.month)
        .where(SocialInsuranceMonth.organisation_id.in_(set(orgs.values()))))}
    added = already = no_org = no_person = 0
    for i, ln in enumerate(lines, start=1):
        found = orgs.get(ln.credit_code)
        if found is None:
            no_org += 1
        elif ln.id_number not in people:
            no_person += 1
        else:
            for uid in people[ln.id_number]:
                key = (found, uid, ln.month)
                if key in existing:
                    already += 1
                    continue
                existing.add(key)
                sess.add(SocialInsuranceMonth(organisation_id=found, user_id=uid, month=ln.month,
                                              source=source[:200], imported_at=at))
                added += 1
        if progress is not None:
            progress(i)
    sess.flush()
    report = ImportReport(added, already, no_org, no_person)
    audit.record(sess, "bonus.social_insurance.import", "bonus_si_month", None,
                 actor_id=actor.id if actor else None,
                 after={"source": source[:200], "added": added, "already": already,
                        "unknown_organisation": no_org, "unknown_person": no_person})
    return report


def _chunks(values: set[str]) -> list[list[str]]:
    """Bounded IN lists: SQLite refuses statements with too many parameters."""
    ordered = sorted(values)
    return [ordered[i:i + IN_CHUNK] for i in range(0, len(ordered), IN_CHUNK)]


def parse_file(data: bytes, now: datetime | None = None) -> Parsed:
    return parse(data, clock.today(now))


@dataclass(frozen=True)
class OnFile:
    """What the imported files hold for one organisation."""

    organisation: str
    credit_code: str
    people: int
    months: int
    first_month: date
    last_month: date
    last_import: datetime


def on_file() -> list[OnFile]:
    """Contribution records on file, per organisation (so the page shows what earlier imports brought)."""
    stmt = (select(Organisation.name, Organisation.credit_code, func.count(func.distinct(SocialInsuranceMonth.user_id)),
                   func.count(), func.min(SocialInsuranceMonth.month), func.max(SocialInsuranceMonth.month),
                   func.max(SocialInsuranceMonth.imported_at))
            .join(Organisation, Organisation.id == SocialInsuranceMonth.organisation_id)
            .group_by(Organisation.id, Organisation.name, Organisation.credit_code).order_by(Organisation.name))
    return [OnFile(*row) for row in db.session().execute(stmt)]


def months_for(user_id: int) -> list[SocialInsuranceMonth]:
    stmt = (select(SocialInsuranceMonth).where(SocialInsuranceMonth.user_id == user_id)
            .order_by(SocialInsuranceMonth.organisation_id, SocialInsuranceMonth.month))
    return list(db.session().scalars(stmt))
