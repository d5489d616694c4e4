"""Organisations that employer accounts belong to."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from certexam import db
from certexam.errors import Conflict
from certexam.models import Organisation, OrgCategory, User
from certexam.services import audit


@db.use_case
def create(actor: User | None, name: str, credit_code: str, city: str, category: OrgCategory) -> Organisation:
    sess = db.session()
    code = credit_code.strip().upper()
    if sess.scalar(select(Organisation).where(Organisation.credit_code == code)) is not None:
        raise Conflict(_("An organisation with this credit code already exists."), "credit_code")
    org = Organisation(name=name.strip(), credit_code=code, city=city.strip(), category=category,
                       created_at=db.utcnow())
    sess.add(org)
    sess.flush()
    audit.record(sess, "organisation.create", "organisation", org.id, actor_id=actor.id if actor else None,
                 after={"name": org.name, "credit_code": code, "city": org.city, "category": category.value})
    return org
