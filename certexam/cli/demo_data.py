"""Idempotent demo data: every screen of the platform with something on it.

The story, in the order it is loaded (each part is skipped once it is there):

* staff of every role, the named demo candidates, the organisations and their HR accounts;
* the shipped question banks; a level-1 sitting in progress (with a proctor's view) and two
  sittings open for registration (demo_exams);
* a released level-1 sitting of 300 simulated candidates, a released level-2 sitting ranked
  by direction, and a level-2 sitting being marked (demo_results);
* a budget year of the holder bonus (demo_holders, demo_bonus);
* a training institution's subsidy applications: funded, on public notice, submitted (demo_subsidies);
* certificate administration (demo_certs) and the named candidate's certificate.

Dates come from demo_clock: the story is dated backwards from the day it is loaded.
"""

from __future__ import annotations

from datetime import timedelta

from certexam import db
from certexam.cli import (
    demo_bonus,
    demo_certs,
    demo_clock,
    demo_exams,
    demo_holders,
    demo_results,
    demo_subsidies,
)
from certexam.cli.demo_people import DEMO_PASSWORD, shared_hash
from certexam.models import STAFF_ROLES, Role
from certexam.services.accounts import users as accounts
from certexam.services.certificates import issue, keys
from certexam.services.platform import clock

# The administrator holds every staff role (the demo's story is loaded as them); then one person per
# staff role (issue 19.6), and a second results and payment officer for the four-eyes confirmations.
STAFF: list[tuple[str, frozenset[Role], str, str]] = [
    ("admin@demo.certexam", STAFF_ROLES, "管理员", "Demo Administrator"),
    ("sysadmin@demo.certexam", frozenset({Role.SYSTEM_ADMIN}), "系统管理员", "Demo System Administrator"),
    ("author@demo.certexam", frozenset({Role.ITEM_AUTHOR}), "命题员", "Demo Item Author"),
    ("reviewer@demo.certexam", frozenset({Role.ITEM_REVIEWER}), "审题员", "Demo Item Reviewer"),
    ("proctor@demo.certexam", frozenset({Role.PROCTOR}), "监考员", "Demo Proctor"),
    ("grader@demo.certexam", frozenset({Role.MARKER}), "阅卷员", "Demo Grader"),
    ("grader2@demo.certexam", frozenset({Role.MARKER}), "阅卷员二", "Second Grader"),
    ("grader3@demo.certexam", frozenset({Role.MARKER}), "阅卷员三", "Third Grader"),
    ("results@demo.certexam", frozenset({Role.RESULTS_OFFICER}), "成绩专员", "Demo Results Officer"),
    ("results2@demo.certexam", frozenset({Role.RESULTS_OFFICER}), "成绩专员二", "Second Results Officer"),
    ("certificates@demo.certexam", frozenset({Role.CERTIFICATE_OFFICER}), "证书专员", "Demo Certificate Officer"),
    ("bonus.checker@demo.certexam", frozenset({Role.BONUS_CHECKER}), "奖励初审员", "Demo Bonus Checker"),
    ("bonus.approver@demo.certexam", frozenset({Role.BONUS_APPROVER}), "奖励审批员", "Demo Bonus Approver"),
    ("payments@demo.certexam", frozenset({Role.PAYMENT_OFFICER}), "付款专员", "Demo Payment Officer"),
    ("payments2@demo.certexam", frozenset({Role.PAYMENT_OFFICER}), "付款专员二", "Second Payment Officer"),
    ("auditor@demo.certexam", frozenset({Role.AUDITOR}), "审计员", "Demo Auditor"),
]
# ID numbers are made-up but well-formed (valid check characters). The family name is as written in the
# English name (issue 19.11): first for the Chinese names, last for the Portuguese one.
CANDIDATES = [
    ("li.ming@demo.certexam", "李明", "Li Ming", "prc_id", "110101199003070011"),
    ("chan.taiman@demo.certexam", "陳大文", "Chan Tai Man", "hk_id", "A1234563"),
    ("ana.sousa@demo.certexam", "苏安娜", "Ana Sousa", "passport", "P1234567"),
    ("wang.fang@demo.certexam", "王芳", "Wang Fang", "prc_id", "440304199512310024"),
]
FAMILY_NAMES = {"ana.sousa@demo.certexam": "Sousa"}  # the others: the English name's first word


def _accounts() -> list[str]:
    sess = db.session()
    lines = [f"Demo sign-ins (password for all: {DEMO_PASSWORD}):"]
    for email, roles, name_zh, name_en in STAFF:
        if accounts.find_by_email(sess, email) is None:
            accounts.create_staff_account(None, email, DEMO_PASSWORD, roles, name_zh, name_en,
                                          password_hash=shared_hash())
        label = "all staff roles" if roles == STAFF_ROLES else ", ".join(sorted(r.value for r in roles))
        lines.append(f"  {label:<19} {email}")
    for org in demo_holders.ORGS:
        if org.employer:
            lines.append(f"  {Role.EMPLOYER.value:<19} {org.employer[0]}")
    lines.append(f"  {'training institution':<19} {demo_subsidies.ACCOUNT[0]}")  # an employer-kind account
    for email, name_zh, name_en, id_type, id_number in CANDIDATES:
        if accounts.find_by_email(sess, email) is None:
            accounts.register_candidate(accounts.Registration(
                email=email, password=DEMO_PASSWORD, name_zh=name_zh, name_en=name_en,
                name_family=FAMILY_NAMES.get(email), id_type=id_type, id_number=id_number),
                password_hash=shared_hash())
        lines.append(f"  {Role.CANDIDATE.value:<19} {email}")
    return lines


def load() -> list[str]:
    """Create what is missing and return the lines to print."""
    with demo_clock.story() as demo:
        t = demo_clock.timeline(clock.today())
        keys.ensure_keys(demo.start)  # results release issues certificates: the body's keys come first
        demo_holders.ensure_orgs(demo, t.holders_passed - timedelta(days=400))
        demo.set(demo.start)
        lines = _accounts()
        lines.append(demo_exams.load_bank())
        lines += demo_exams.load_sittings(demo, [c[0] for c in CANDIDATES])
        lines += demo_results.load(demo, t)
        lines += demo_bonus.load(demo, t)
        lines += demo_subsidies.load(demo, t)
        demo_certs.load_status_changes(demo)
        lines += demo_certs.load_recent_holder(demo, t, CANDIDATES[3][0])
        demo.set(demo.start)
        mine = issue.ensure_demo_certificate(CANDIDATES[0][0])  # issue 6: a certificate to look at
        lines += [demo_certs.summary(), mine]
    return lines
