"""Idempotent demo data: staff of every role and a few candidates."""

from __future__ import annotations

from sqlalchemy import select

from certexam import db
from certexam.domain.uscc import uscc_check_char
from certexam.models import Organisation, OrgCategory, Role
from certexam.services.accounts import organisations
from certexam.services.accounts import users as accounts

DEMO_PASSWORD = "demo-password-1"  # noqa: S105 - demo only; `make run` prints it

# A made-up but valid credit code (GB 32100-2015): the last character is computed, not typed.
DEMO_ORG = ("深圳前海示范金融科技有限公司", "91440300MA5DEM012" + uscc_check_char("91440300MA5DEM012"), "深圳",
            OrgCategory.FINTECH)
STAFF = [
    ("admin@demo.certexam", Role.ADMIN, "管理员", "Demo Administrator"),
    ("grader@demo.certexam", Role.GRADER, "阅卷员", "Demo Grader"),
    ("employer@demo.certexam", Role.EMPLOYER, "人事专员", "Demo Employer"),
]
# ID numbers are made-up but well-formed (valid check characters).
CANDIDATES = [
    ("li.ming@demo.certexam", "李明", "Li Ming", "prc_id", "110101199003070011"),
    ("chan.taiman@demo.certexam", "陳大文", "Chan Tai Man", "hk_id", "A1234563"),
    ("ana.sousa@demo.certexam", "苏安娜", "Ana Sousa", "passport", "P1234567"),
    ("wang.fang@demo.certexam", "王芳", "Wang Fang", "prc_id", "440304199512310024"),
]


def load() -> list[str]:
    """Create what is missing and return the lines to print."""
    sess = db.session()
    org = sess.scalar(select(Organisation).where(Organisation.credit_code == DEMO_ORG[1]))
    if org is None:
        org = organisations.create(None, *DEMO_ORG)
    lines = [f"Demo sign-ins (password for all: {DEMO_PASSWORD}):"]
    for email, role, name_zh, name_en in STAFF:
        if accounts.find_by_email(sess, email) is None:
            accounts.create_staff_account(None, email, DEMO_PASSWORD, role, name_zh, name_en,
                                          org.id if role == Role.EMPLOYER else None)
        lines.append(f"  {role.value:<10} {email}")
    for email, name_zh, name_en, id_type, id_number in CANDIDATES:
        if accounts.find_by_email(sess, email) is None:
            accounts.register_candidate(accounts.Registration(
                email=email, password=DEMO_PASSWORD, name_zh=name_zh, name_en=name_en,
                id_type=id_type, id_number=id_number))
        lines.append(f"  candidate  {email}")
    from certexam.cli import demo_exams

    lines.append(demo_exams.load_bank())
    lines += demo_exams.load_sittings([c[0] for c in CANDIDATES])
    from certexam.services.certificates import issue  # issue 6: leave one issued certificate to look at

    lines.append(issue.ensure_demo_certificate(CANDIDATES[0][0]))
    return lines
