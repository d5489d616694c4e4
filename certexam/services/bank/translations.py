"""Reviewing translations, and the languages a sitting may offer (issue 22; rules in domain/translation.py)."""

from __future__ import annotations

from collections import defaultdict

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from certexam import db
from certexam.domain import item_codec, translation
from certexam.domain.catalogue import REQUIRED_ITEM_LANGUAGE
from certexam.errors import Conflict, Forbidden, NotFound
from certexam.models import BankItem, BankItemVersion, ItemTranslation, Role, User
from certexam.services.platform import audit, clock

# The rules' refusals in the page language (domain messages are English sentences).
_MESSAGES = {
    "This version has no text in that language.": lambda: _("This version has no text in that language."),
    "Simplified Chinese is the source: it is reviewed with the version itself.":
        lambda: _("Simplified Chinese is the source: it is reviewed with the version itself."),
    "That language is already reviewed.": lambda: _("That language is already reviewed."),
    "The version's author cannot review its translations.":
        lambda: _("The version's author cannot review its translations."),
}


def reviews_of(sess: Session, version_ids: list[int]) -> dict[int, dict[str, ItemTranslation]]:
    """The reviewed languages of some versions, with who reviewed them and when."""
    out: dict[int, dict[str, ItemTranslation]] = defaultdict(dict)
    if version_ids:
        for row in sess.scalars(select(ItemTranslation).where(ItemTranslation.version_id.in_(version_ids))):
            out[row.version_id][row.language] = row
    return out


def record_import_reviews(sess: Session, version: BankItemVersion, languages: tuple[str, ...],
                          reviewer_id: int | None) -> None:
    """A bulk import approved by a named reviewer approves its versions whole, translations included."""
    now = clock.now()
    for lang in languages:
        if lang != REQUIRED_ITEM_LANGUAGE:
            sess.add(ItemTranslation(version_id=version.id, language=lang, reviewer_id=reviewer_id, reviewed_at=now))


@db.use_case
def review(actor: User, version_id: int, language: str) -> ItemTranslation:
    """Mark one language of a version reviewed (an item reviewer who is not its author)."""
    if not actor.has_role(Role.ITEM_REVIEWER):
        raise Forbidden(_("Only an item reviewer reviews translations."))
    sess = db.session()
    version = sess.get(BankItemVersion, version_id)
    if version is None:
        raise NotFound(_("No such version."))
    languages = set(item_codec.from_json(version.content).languages())
    already = set(reviews_of(sess, [version_id]).get(version_id, {}))
    try:
        translation.check_review(language, languages, actor.id, version.created_by_id, already)
    except translation.TranslationRefused as exc:
        message = _MESSAGES.get(str(exc))
        raise Conflict(message() if message else str(exc)) from exc
    row = ItemTranslation(version_id=version_id, language=language, reviewer_id=actor.id, reviewed_at=clock.now())
    sess.add(row)
    sess.flush()
    audit.record(sess, "bank.translation_review", "bank_item_version", version_id, actor_id=actor.id,
                 after={"language": language})
    return row


def _approved(sess: Session, level: int | None = None) -> list[tuple[str, frozenset[str], frozenset[str]]]:
    """(module, languages, reviewed languages) of every approved item, of one level or all."""
    stmt = (select(BankItem.module, BankItemVersion.id, BankItemVersion.content)
            .join(BankItemVersion, BankItemVersion.id == BankItem.approved_version_id))
    if level is not None:
        stmt = stmt.where(BankItem.level == level)
    rows = sess.execute(stmt).all()
    reviews = reviews_of(sess, [vid for _m, vid, _c in rows])
    out = []
    for module, vid, content in rows:
        langs = frozenset(item_codec.from_json(content).languages())
        out.append((module, langs, translation.reviewed(langs, set(reviews.get(vid, {})))))
    return out


def ready_languages(sess: Session, level: int) -> tuple[str, ...]:
    """The languages a sitting of this level may offer: every approved item of the level has them
    reviewed (the whole level, not only the blueprint's modules: a form may draw from any of them)."""
    return translation.ready_languages(done for _m, _l, done in _approved(sess, level))


def coverage(sess: Session) -> dict[str, dict[str, tuple[int, int]]]:
    """Per module and language: (approved items with it reviewed, approved items with it)."""
    return translation.coverage(_approved(sess))
