"""Account use cases: registration, password change and reset, staff accounts (sign-in: signin.py)."""

from __future__ import annotations

import hashlib
from collections.abc import Collection
from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from certexam import db
from certexam.domain import passwords as password_rules
from certexam.domain.identity import (
    NAME_FAMILY_NOT_IN_NAME,
    NAME_FORMAT,
    NAME_LINE_BREAK,
    NAME_NO_LETTER,
    NAME_NOT_TEXT,
    default_family_name,
    family_name_problem,
    id_number_problem,
    name_problem,
    normalise_id_number,
    normalise_name,
)
from certexam.errors import Conflict, UserError
from certexam.models import AccountKind, IdDocumentType, Organisation, Role, User, UserRole
from certexam.services.accounts import passwords, sessions
from certexam.services.platform import audit, clock, mail, uploads

MIN_PASSWORD_LENGTH = password_rules.MIN_LENGTH
MAX_ROW_ID = 2**31 - 1  # PostgreSQL's integer key; a larger id is no row, never a query that overflows

# The domain explains in English; these are the words users read.
_ID_PROBLEMS = {
    "unknown document type": _l("unknown document type"),
    "the number does not have the format of this document": _l("the number does not have the format of this document"),
    "the check character does not match": _l("the check character does not match"),
    "the date of birth in the number is not a real date": _l("the date of birth in the number is not a real date"),
}


@dataclass(frozen=True)
class Registration:
    email: str
    password: str
    name_zh: str
    name_en: str
    id_type: str
    id_number: str
    photo: bytes | None = None
    locale: str | None = None
    name_family: str | None = None  # as written in name_en; None: its first word (callers before issue 19.11)


def normal_email(email: str) -> str:
    return email.strip().lower()


def find_by_email(sess: Session, email: str) -> User | None:
    return sess.scalar(select(User).where(User.email == normal_email(email)))


def checked_name(value: str, field: str) -> str:
    """The name NFC-normalised, or UserError on `field` saying what it may not hold (domain/identity.py)."""
    name = normalise_name(value)
    found = name_problem(name)
    if found is None:
        return name
    raise UserError({
        NAME_FORMAT: _("A name may not contain invisible formatting characters (direction marks, zero-width "
                       "spaces, a byte-order mark)."),
        NAME_LINE_BREAK: _("A name may not contain line breaks or control characters."),
        NAME_NOT_TEXT: _("A name may only contain characters that are text (not private-use or unassigned ones)."),
        NAME_NO_LETTER: _("A name must contain at least one letter."),
    }[found], field)


def checked_family_name(value: str | None, name_en: str, field: str = "name_family") -> str:
    """The family name NFC-normalised and one or more words of `name_en` (issue 19.11: the public lookup
    matches it alone); None or blank takes the first word of `name_en`, certexam's earlier convention."""
    family = normalise_name(value or "") or default_family_name(name_en)
    found = family_name_problem(family, name_en)
    if found == NAME_FAMILY_NOT_IN_NAME:
        raise UserError(_("Write the family name as it is in the name in English or pinyin."), field)
    if found is not None:
        checked_name(family, field)  # says which character is refused
    return family


def _password_problems() -> dict[str, str]:
    """The words users read for domain/passwords.py's codes (NIST SP 800-63B: say why, offer no hints)."""
    return {
        password_rules.TOO_SHORT: _("The password must have at least %(n)d characters.", n=MIN_PASSWORD_LENGTH),
        password_rules.TOO_LONG: _("The password may have at most %(n)d characters.", n=password_rules.MAX_LENGTH),
        password_rules.COMMON: _("This password is on a list of commonly used passwords. Choose another."),
        password_rules.REPETITIVE: _("The password uses too few different characters."),
        password_rules.SEQUENTIAL: _("The password is a simple sequence of characters. Choose another."),
        password_rules.PERSONAL: _("The password must not contain your email address, your name or your ID number."),
    }


def _check_password(password: str, email: str, names: tuple[str, ...], others: tuple[str, ...] = ()) -> None:
    found = passwords.problem(password, email, names, others)
    if found is not None:
        raise UserError(_password_problems()[found], "password")


@db.use_case
def register_candidate(reg: Registration, *, password_hash: str | None = None) -> User:
    """Create a candidate account; the ID document must be new and valid.

    `password_hash`: the Argon2 hash of `reg.password` made beforehand, for bulk
    loading (the demo's accounts share one: hashing takes ~0.2 s each).
    """
    sess = db.session()
    name_zh, name_en = checked_name(reg.name_zh, "name_zh"), checked_name(reg.name_en, "name_en")
    name_family = checked_family_name(reg.name_family, name_en)
    _check_password(reg.password, reg.email, (name_zh, name_en), (reg.id_number,))
    number = normalise_id_number(reg.id_number)
    problem = id_number_problem(reg.id_type, number)
    if problem is not None:
        raise UserError(_("The ID number is not valid: %(why)s.", why=_ID_PROBLEMS.get(problem, problem)), "id_number")
    if find_by_email(sess, reg.email) is not None:
        raise Conflict(_("An account with this email already exists."), "email")
    doc_type = IdDocumentType(reg.id_type)
    taken = sess.scalar(select(func.count()).select_from(User).where(
        User.id_type == doc_type, User.id_number == number))
    if taken:
        raise Conflict(_("This ID document is already registered to an account."), "id_number")
    photo_path = uploads.store_photo(reg.photo) if reg.photo else None
    user = User(
        email=normal_email(reg.email), password_hash=password_hash or passwords.hash_password(reg.password),
        role=AccountKind.CANDIDATE, name_zh=name_zh, name_en=name_en, name_family=name_family,
        id_type=doc_type, id_number=number, photo_path=photo_path, locale=reg.locale,
        created_at=clock.now(),
    )
    sess.add(user)
    sess.flush()
    audit.record(sess, "user.register", "user", user.id, actor_id=user.id,
                 after={"email": user.email, "role": user.role.value})
    return user


def _reset_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="certexam-password-reset")


def _hash_fingerprint(user: User) -> str:
    # The token names the current hash, so it dies once the password changes.
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


def request_password_reset(email: str, reset_url_for: object) -> None:
    """Email a reset link if the account exists; say nothing either way."""
    user = find_by_email(db.session(), email)
    if user is None or not user.active:
        return
    token = _reset_serializer().dumps({"u": user.id, "h": _hash_fingerprint(user)})
    link = reset_url_for(token)  # type: ignore[operator]
    mail.send(user.email, _("Reset your certexam password"),
              _("Open this link within one hour to choose a new password:\n%(link)s\n\n"
                "If you did not ask for this, ignore this message.", link=link))


@db.use_case
def reset_password(token: str, new_password: str) -> User:
    sess = db.session()
    try:
        data = _reset_serializer().loads(token, max_age=current_app.config["PASSWORD_RESET_MAX_AGE"])
    except SignatureExpired as exc:
        raise UserError(_("This reset link has expired. Ask for a new one.")) from exc
    except BadSignature as exc:
        raise UserError(_("This reset link is not valid.")) from exc
    user = sess.get(User, data.get("u")) if isinstance(data, dict) else None
    if user is None or _hash_fingerprint(user) != data.get("h"):
        raise UserError(_("This reset link has already been used or is not valid."))
    _check_password(new_password, user.email, (user.name_zh, user.name_en), (user.id_number or "",))
    user.password_hash = passwords.hash_password(new_password)
    sessions.end_all(user)  # whoever held a session (perhaps the reason for the reset) is out
    audit.record(sess, "user.password_reset", "user", user.id, actor_id=user.id)
    return user


@db.use_case
def change_password(user: User, current: str, new_password: str) -> User:
    """The signed-in user's own change; every session of the account ends (the caller signs this
    one in again with the new epoch)."""
    sess = db.session()
    row = sess.get(User, user.id)
    if row is None or not passwords.verify_password(row.password_hash, current):
        raise UserError(_("The current password is not right."), "current")
    _check_password(new_password, row.email, (row.name_zh, row.name_en), (row.id_number or "",))
    row.password_hash = passwords.hash_password(new_password)
    sessions.end_all(row)
    audit.record(sess, "user.password_change", "user", row.id, actor_id=row.id)
    return row


@db.use_case
def create_staff_account(
    actor: User | None, email: str, password: str, role: Role | Collection[Role], name_zh: str, name_en: str,
    organisation_id: int | None = None, *, password_hash: str | None = None, name_family: str | None = None,
) -> User:
    """A system administrator (or the CLI, actor None) creates an employer, or a staff account with
    one or more staff roles (issue 19.6: `role` is a role or a collection of staff roles).

    `password_hash`: as for register_candidate. `name_family`: as written in `name_en` (issue 19.11);
    None or blank: its first word.
    """
    sess = db.session()
    roles = frozenset({role} if isinstance(role, Role) else role)
    if Role.CANDIDATE in roles:
        raise UserError(_("Candidates register themselves."), "role")
    if not roles:
        raise UserError(_("Choose at least one role."), "role")
    if Role.EMPLOYER in roles and len(roles) > 1:
        raise UserError(_("An employer account has no staff roles."), "role")
    name_zh, name_en = checked_name(name_zh, "name_zh"), checked_name(name_en, "name_en")
    _check_password(password, email, (name_zh, name_en))
    if find_by_email(sess, email) is not None:
        raise Conflict(_("An account with this email already exists."), "email")
    if Role.EMPLOYER in roles:
        if organisation_id is None or not 0 < organisation_id <= MAX_ROW_ID \
                or sess.get(Organisation, organisation_id) is None:
            raise UserError(_("An employer account needs an organisation."), "organisation_id")
    else:
        organisation_id = None
    at = clock.now()
    user = User(email=normal_email(email), password_hash=password_hash or passwords.hash_password(password),
                role=AccountKind.EMPLOYER if Role.EMPLOYER in roles else AccountKind.STAFF,
                name_zh=name_zh, name_en=name_en, name_family=checked_family_name(name_family, name_en),
                organisation_id=organisation_id, created_at=at)
    if user.role == AccountKind.STAFF:
        user.staff_roles = [UserRole(role=r, granted_at=at, granted_by_id=actor.id if actor else None)
                            for r in sorted(roles)]
    sess.add(user)
    sess.flush()
    audit.record(sess, "user.create", "user", user.id, actor_id=actor.id if actor else None,
                 after={"email": user.email, "role": user.role.value, "roles": sorted(r.value for r in roles),
                        "organisation_id": organisation_id})
    return user


@db.use_case
def set_locale(user: User, locale: str) -> None:
    db.session().get(User, user.id).locale = locale  # type: ignore[union-attr]
