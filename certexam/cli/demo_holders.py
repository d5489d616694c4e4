"""Demo level-2 holders for the bonus: employers, holders with three-year-old certificates, their jobs.

The holders passed level 2 at earlier sittings, before the platform held their
exams (their certificates are issued here, dated then). Each works full time
at a Shenzhen bank, securities firm or FinTech company; some moved there from
Guangzhou (a period that does not count: rules s.3, item 26, "在本市"). Two
employers confirm periods on the platform; the others have no account on it,
and their employees' periods are confirmed by the social-insurance files the
administrator imports (services/bonus/social).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select

from certexam import db
from certexam.cli import demo_people as people
from certexam.cli.demo_clock import DemoClock, Timeline, local
from certexam.domain.catalogue import DIRECTIONS
from certexam.domain.uscc import org_code_check_char, uscc_check_char
from certexam.models import Certificate, EmploymentRecord, Organisation, OrgCategory, Role, User
from certexam.models.bonus import PeriodStatus
from certexam.services.accounts import organisations
from certexam.services.accounts import users as accounts
from certexam.services.bonus import records, social
from certexam.services.certificates import issue

HOLDERS = "bonus"  # the people group's tag


def credit_code(division: str, body: str) -> str:
    """A made-up but valid unified social credit code (GB 32100-2015): both check characters computed."""
    first17 = f"91{division}{body}{org_code_check_char(body)}"
    return first17 + uscc_check_char(first17)


@dataclass(frozen=True)
class Org:
    key: str
    name: str
    code: str
    city: str
    category: OrgCategory
    employer: tuple[str, str, str] | None  # (email, name_zh, name_en) of its HR account on the platform


ORGS = [
    Org("fintech", "深圳前海示范金融科技有限公司", credit_code("440300", "MA5DEM01"), "深圳", OrgCategory.FINTECH,
        ("employer@demo.certexam", "人事专员", "Demo Employer")),
    Org("bank", "深圳示范商业银行股份有限公司", credit_code("440300", "MA5DEM02"), "深圳",
        OrgCategory.FINANCIAL_INSTITUTION, ("hr.bank@demo.certexam", "银行人力资源部", "Demo Bank HR")),
    Org("securities", "深圳南山示范证券有限公司", credit_code("440305", "MA5DEM03"), "深圳市",
        OrgCategory.FINANCIAL_INSTITUTION, None),
    Org("data", "深圳福田示范数据科技有限公司", credit_code("440304", "MA5DEM04"), "深圳", OrgCategory.FINTECH, None),
    Org("guangzhou", "广州示范支付科技有限公司", credit_code("440106", "MA5DEM05"), "广州", OrgCategory.FINTECH, None),
]
SOCIAL_INSURANCE = ("securities", "data")  # Shenzhen employers with no account: their files confirm
WORKPLACES = ["fintech", "bank", "bank", "securities", "securities", "data", "data", "bank", "fintech", "data"]


def ensure_orgs(demo: DemoClock, since: date) -> dict[str, int]:
    """The organisations and their HR accounts; returns organisation ids by key."""
    sess = db.session()
    ids = {}
    for org in ORGS:
        row = sess.scalar(select(Organisation).where(Organisation.credit_code == org.code))
        if row is None:
            demo.set(local(since, 10))
            row = organisations.create(None, org.name, org.code, org.city, org.category)
        ids[org.key] = row.id
        if org.employer and accounts.find_by_email(sess, org.employer[0]) is None:
            accounts.create_staff_account(None, org.employer[0], people.DEMO_PASSWORD, Role.EMPLOYER, org.employer[1],
                                          org.employer[2], row.id, password_hash=people.shared_hash())
    return ids


def employer_of(key: str) -> User | None:
    org = next(o for o in ORGS if o.key == key)
    return accounts.find_by_email(db.session(), org.employer[0]) if org.employer else None


def holders(demo: DemoClock, t: Timeline, count: int) -> list[User]:
    """The holders' accounts and level-2 certificates (issued three years ago, tokens only: PDFs on download)."""
    demo.set(local(t.holders_passed - timedelta(days=120), 20))
    ids = people.ensure(people.people(HOLDERS, 4, count))
    have = set(db.session().scalars(select(Certificate.user_id).where(Certificate.level == 2,
                                                                      Certificate.user_id.in_(ids))))
    demo.set(local(t.holders_issued, 10))
    directions = list(DIRECTIONS)
    for n, uid in enumerate(ids):
        if uid not in have:
            issue.issue_certificate(None, uid, 2, directions[n % len(directions)], None, t.holders_passed,
                                    t.holders_issued, with_pdf=False)
    users = {u.id: u for u in db.session().scalars(select(User).where(User.id.in_(ids)))}
    return [users[i] for i in ids]


def workplace(n: int) -> str:
    return WORKPLACES[n % len(WORKPLACES)]


def job_start(t: Timeline, n: int) -> date:
    """When holder n began the current job: some before the certificate, some after."""
    return t.holders_issued - timedelta(days=400) + timedelta(days=n * 37 % 420)


def moved_from_guangzhou(n: int) -> bool:
    return n % 7 == 3


# A one-page PDF: what a scanned labour contract looks like to the evidence check (magic and %%EOF).
EVIDENCE = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>"
            b"endobj\n3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\ntrailer<</Root 1 0 R>>\n"
            b"%%EOF\n")


def declare(demo: DemoClock, holder: User, n: int, org_ids: dict[str, int], t: Timeline, on: date,
            evidence: bool = True) -> list[EmploymentRecord]:
    """The holder declares their jobs (with the contract as evidence); returns the current job's record first."""
    at = demo.set(local(on, 21, n % 60))
    start = job_start(t, n)
    current = records.add_period(holder, records.PeriodInput(org_ids[workplace(n)], start, None, True), now=at)
    out = [current]
    if moved_from_guangzhou(n):
        out.append(records.add_period(holder, records.PeriodInput(
            org_ids["guangzhou"], start - timedelta(days=700), start - timedelta(days=1), True), now=at))
    if evidence:  # the contract of the job that counts
        records.add_evidence(holder, current.id, "劳动合同.pdf", EVIDENCE, now=at)
    return out


def confirm(demo: DemoClock, record: EmploymentRecord, key: str, on: date, n: int) -> None:
    """The employer confirms on the platform (organisations without an account rely on social insurance)."""
    employer = employer_of(key)
    if employer is not None and record.status == PeriodStatus.PENDING:
        records.decide(employer, record.id, True, "", now=demo.set(local(on, 10 + n % 7, n * 13 % 60)))


def import_social_insurance(demo: DemoClock, group: list[User], t: Timeline, on: date, actor: User) -> None:
    """Each company without an account sends its contribution file: every month of its employees
    up to the month before `on` (and of colleagues who are not holders: counted and skipped)."""
    for n, key in enumerate(SOCIAL_INSURANCE):
        _import_file(demo, group, t, on, actor, next(o for o in ORGS if o.key == key), n)


def _import_file(demo: DemoClock, group: list[User], t: Timeline, on: date, actor: User, org: Org,
                 index: int) -> None:
    last = on.replace(day=1) - timedelta(days=1)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(social.COLUMNS)
    code = org.code
    for n, holder in enumerate(group):
        if workplace(n) != org.key:
            continue
        month = job_start(t, n).replace(day=1)
        while month <= last:
            writer.writerow([code, holder.id_number, f"{month:%Y-%m}"])
            month = (month + timedelta(days=32)).replace(day=1)
    for extra in range(1, 6):
        writer.writerow([code, people.prc_number(9, index * 10 + extra), f"{last:%Y-%m}"])
    at = demo.set(local(on, 15 + index))
    parsed = social.parse(out.getvalue().encode("utf-8"), on)
    if parsed.errors:
        raise RuntimeError(f"demo social-insurance file: {parsed.errors[:3]}")
    social.import_lines(actor, parsed.lines, f"社保缴费明细-{org.name}-{last:%Y%m}.csv", now=at)


def organisation_id(key: str) -> int:
    code = next(o.code for o in ORGS if o.key == key)
    found = db.session().scalar(select(Organisation.id).where(Organisation.credit_code == code))
    assert found is not None
    return found
