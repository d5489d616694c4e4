"""Translations of bank items (issue 22): each language reviewed by an item reviewer who is not the
version's author, and the bank's coverage per module and language."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm

from certexam import db
from certexam.bank import bp, forms
from certexam.bank.views import _bank_item, _int_arg, _users, _version
from certexam.domain.catalogue import LANGUAGES, REQUIRED_ITEM_LANGUAGE
from certexam.errors import UserError
from certexam.models import BankItemVersion, Role
from certexam.services.bank import translations
from certexam.web import roles_required


class ReviewForm(FlaskForm):
    """The review button's form: its CSRF token only (the version and language are in the URL)."""


def translation_rows(version: BankItemVersion, languages: tuple[str, ...]) -> list[dict[str, Any]]:
    """The detail page's table: each language of the version, reviewed (by whom, when) or a draft."""
    reviews = translations.reviews_of(db.session(), [version.id]).get(version.id, {})
    users = _users(r.reviewer_id for r in reviews.values())
    rows = []
    for lang in (code for code in LANGUAGES if code in languages):
        row = reviews.get(lang)
        rows.append({"language": lang, "source": lang == REQUIRED_ITEM_LANGUAGE, "review": row,
                     "reviewer": users.get(row.reviewer_id) if row and row.reviewer_id else None})
    return rows


bp.add_app_template_global(translation_rows)
bp.add_app_template_global(ReviewForm, "translation_review_form")


@bp.route("/<external_id>/versions/<number>/translations/<lang>", methods=["POST"])
@roles_required(Role.ITEM_REVIEWER)
def review_translation(external_id: str, number: str, lang: str) -> Any:  # untyped: the role check answers first
    bank_item = _bank_item(external_id)
    version_no = _int_arg(number)
    version = _version(bank_item, version_no) if version_no else None
    form = ReviewForm()
    if version is None or not form.validate_on_submit():
        flash(forms.READ_AGAIN, "error")
    else:
        try:
            translations.review(current_user, version.id, lang[:8])
        except UserError as exc:
            flash(exc.message, "error")
        else:
            flash(forms.item_lang_name(lang) + " · " + str(forms.REVIEWED), "success")
    return redirect(url_for("bank.detail", external_id=external_id, v=version_no) + "#translations-heading")


@bp.route("/translations")
@roles_required(Role.ITEM_AUTHOR, Role.ITEM_REVIEWER)
def translation_coverage() -> Any:
    return render_template("bank/translations.html", coverage=translations.coverage(db.session()),
                           item_languages=LANGUAGES)
