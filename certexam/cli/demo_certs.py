"""Demo certificate administration: one revoked, one suspended, one re-issued after a name correction,
and a recent level-2 holder whose jobs wait for their employer.

These happen "now" (when the demo loads): a re-issue signs a new PDF, whose
signature time is the real time.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from certexam import db
from certexam.cli import demo_holders as holders
from certexam.cli.demo_clock import DemoClock, Timeline, local
from certexam.cli.demo_results import L1_RELEASED
from certexam.domain.verdict import CertStatus
from certexam.models import Certificate, Sitting, User
from certexam.services.bonus import records
from certexam.services.certificates import admin as cert_admin
from certexam.services.certificates import issue

RENAMED = {"明": "鸣", "华": "骅", "伟": "玮", "杰": "洁"}  # a character the registration form got wrong


def _admin() -> User:
    admin = db.session().scalar(select(User).where(User.email == "admin@demo.certexam"))
    assert admin is not None
    return admin


def _sitting_certificates() -> list[Certificate]:
    sitting = db.session().scalar(select(Sitting).where(Sitting.name == L1_RELEASED))
    if sitting is None:
        return []
    return list(db.session().scalars(select(Certificate).where(Certificate.sitting_id == sitting.id)
                                     .order_by(Certificate.id)))


def _changed() -> bool:
    return db.session().scalar(select(Certificate.id).where(Certificate.status != CertStatus.VALID)
                               .limit(1)) is not None


def load_status_changes(demo: DemoClock) -> None:
    """Revoke, suspend and re-issue level-1 certificates of the released sitting (once)."""
    certs = _sitting_certificates()
    if certs and not _changed():
        admin = _admin()
        demo.set(demo.start - timedelta(days=6))
        cert_admin.change_status(admin, certs[0].number, cert_admin.REVOKE,
                                 "Identity fraud found after release: another person sat the exam "
                                 "(committee decision of the misconduct hearing).")
        demo.set(demo.start - timedelta(days=2))
        cert_admin.change_status(admin, certs[1].number, cert_admin.SUSPEND,
                                 "Complaint about the holder's identity documents; suspended while it is checked.")
        renamed = next((c for c in certs[2:] if c.holder_name_zh[-1] in RENAMED), certs[2])
        last = renamed.holder_name_zh[-1]
        demo.set(demo.start)
        cert_admin.reissue(admin, renamed.number, renamed.holder_name_zh[:-1] + RENAMED.get(last, "明"),
                           renamed.holder_name_en,
                           f"Name corrected: the ID card reads {RENAMED.get(last, '明')}, the registration "
                           f"form had {last}.")


def summary() -> str:
    """What the certificate register holds (printed last, once every certificate is issued)."""
    statuses = list(db.session().scalars(select(Certificate.status)))
    revoked = statuses.count(CertStatus.REVOKED)
    return (f"  certificates: {len(statuses)} issued; {revoked} revoked (one re-issued under a new number), "
            f"{statuses.count(CertStatus.SUSPENDED)} suspended")


def load_recent_holder(demo: DemoClock, t: Timeline, email: str) -> list[str]:
    """A holder who passed level 2 last year: her jobs wait for the employer, one is disputed."""
    user = db.session().scalar(select(User).where(User.email == email))
    if user is None:
        return []
    line = f"  employer confirmations: {email}'s current job waits for employer@demo.certexam"
    if records.records_of(user):
        return [line]
    passed = t.today - timedelta(days=220)
    demo.set(local(passed + timedelta(days=60), 10))
    issue.issue_certificate(None, user.id, 2, "BD", None, passed, passed + timedelta(days=60), with_pdf=False)
    org = holders.organisation_id("fintech")
    at = demo.set(local(t.today - timedelta(days=9), 21))
    earlier = records.add_period(user, records.PeriodInput(org, passed - timedelta(days=500),
                                                           passed - timedelta(days=200), True), now=at)
    records.add_period(user, records.PeriodInput(org, passed - timedelta(days=199), None, True), now=at)
    records.add_evidence(user, earlier.id, "实习协议.pdf", holders.EVIDENCE, now=at)
    employer = holders.employer_of("fintech")
    assert employer is not None
    records.decide(employer, earlier.id, False, "该期间为实习，非全职劳动合同。",
                   now=demo.set(local(t.today - timedelta(days=5), 11)))
    return [line]
