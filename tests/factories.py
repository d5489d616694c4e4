"""Builders for test data, through the real services."""

from __future__ import annotations

import itertools
from typing import Any

from flask import Flask

from certexam.domain.uscc import org_code_check_char, uscc_check_char
from certexam.models import STAFF_ROLES, OrgCategory, Role, User
from certexam.services.accounts import organisations
from certexam.services.accounts import users as accounts

PASSWORD = "correct-horse-9"
_seq = itertools.count(1)

_W = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def prc_id(n: int) -> str:
    """A well-formed mainland ID number (valid check character), distinct per n."""
    body = f"110101199001{(n % 28) + 1:02d}{n % 1000:03d}"
    return body + "10X98765432"[sum(int(d) * w for d, w in zip(body, _W, strict=True)) % 11]


def uscc(n: int) -> str:
    """A valid unified social credit code (GB 32100-2015), distinct per n."""
    body = f"{n:08d}"
    first17 = "91440300" + body + org_code_check_char(body)
    return first17 + uscc_check_char(first17)


def candidate(app: Flask, **over: Any) -> User:
    n = next(_seq)
    with app.app_context():
        reg = accounts.Registration(
            email=over.pop("email", f"cand{n}@example.com"), password=over.pop("password", PASSWORD),
            name_zh=over.pop("name_zh", "张三"), name_en=over.pop("name_en", "Zhang San"),
            id_type=over.pop("id_type", "prc_id"), id_number=over.pop("id_number", prc_id(n)), **over)
        return accounts.register_candidate(reg)


def staff(app: Flask, role: Role | frozenset[Role] | set[Role], **over: Any) -> User:
    """An employer or a staff account. `Role.ADMIN` (the system administrator) gets every staff role,
    as the migration of issue 19.6 gave every old ADMIN: tests written for the one-role model keep
    their meaning. A set of roles gives exactly those (`{Role.SYSTEM_ADMIN}` for accounts only)."""
    n = next(_seq)
    roles = frozenset(role) if isinstance(role, set | frozenset) else STAFF_ROLES if role == Role.SYSTEM_ADMIN \
        else frozenset({role})
    label = role.value if isinstance(role, Role) else "_".join(sorted(r.value for r in roles))
    with app.app_context():
        org_id = None
        if Role.EMPLOYER in roles:
            org_id = organisations.create(None, f"Org {n}", uscc(n), "深圳",
                                          OrgCategory.FINTECH).id
        return accounts.create_staff_account(
            None, over.get("email", f"{label}{n}@example.com"), PASSWORD, roles, "职员", "Staff Member",
            org_id)


def sign_in(client: Any, email: str, password: str = PASSWORD) -> Any:
    from tests.conftest import post_form

    return post_form(client, "/auth/sign-in", {"email": email, "password": password})


SECOND_OFFICER = "second.results.officer@example.com"


def release_by_two(actor: User, sitting_id: int) -> Any:
    """Release a sitting's results with four eyes (issue 19.6), in the caller's app context: a second
    results officer asks for the release, then `actor` confirms it; returns the release's report."""
    from certexam import db
    from certexam.services.results import release as results

    asker = accounts.find_by_email(db.session(), SECOND_OFFICER) or accounts.create_staff_account(
        None, SECOND_OFFICER, PASSWORD, Role.RESULTS_OFFICER, "二审", "Second Officer")
    results.request_release(asker, sitting_id)
    return results.release(actor, sitting_id)
