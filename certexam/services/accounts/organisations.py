"""Organisations that employer accounts belong to."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from certexam import db
from certexam.domain import uscc
from certexam.errors import Conflict, UserError
from certexam.models import Organisation, OrgCategory, User
from certexam.services.accounts.users import checked_name
from certexam.services.platform import audit, clock

# What is wrong with a credit code, in the reader's words (GB 32100-2015).
_USCC_PROBLEMS = {
    uscc.LENGTH: _l("it must have 18 characters"),
    uscc.CHARSET: _l("it may only hold digits and capital letters other than I, O, S, V and Z"),
    uscc.AUTHORITY: _l("the first character is not a registration authority"),
    uscc.ORG_TYPE: _l("the second character is not an organisation type of that authority"),
    uscc.DIVISION: _l("characters 3 to 8 must be the digits of an area code"),
    uscc.ORG_CODE_CHECK: _l("the organisation code (characters 9 to 17) has a wrong check character"),
    uscc.CHECK_CHAR: _l("the last character is not the check character of the first 17"),
}


def checked_credit_code(raw: str) -> str:
    """The code in canonical form (full width folded, upper case), or UserError saying what is wrong."""
    code = uscc.normalize_uscc(raw)
    problems = uscc.uscc_problems(code)
    if problems:
        why = "; ".join(str(_USCC_PROBLEMS[p]) for p in problems)
        raise UserError(_("This is not a valid unified social credit code: %(why)s.", why=why), "credit_code")
    return code


@db.use_case
def create(actor: User | None, name: str, credit_code: str, city: str, category: OrgCategory) -> Organisation:
    sess = db.session()
    name, city = checked_name(name, "name"), checked_name(city, "city")  # shown on public pages too
    code = checked_credit_code(credit_code)
    if sess.scalar(select(Organisation).where(Organisation.credit_code == code)) is not None:
        raise Conflict(_("An organisation with this credit code already exists."), "credit_code")
    org = Organisation(name=name, credit_code=code, city=city, category=category,
                       created_at=clock.now())
    sess.add(org)
    sess.flush()
    audit.record(sess, "organisation.create", "organisation", org.id, actor_id=actor.id if actor else None,
                 after={"name": org.name, "credit_code": code, "city": org.city, "category": category.value})
    return org
