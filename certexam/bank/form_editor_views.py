"""The form-based item editor (issue 22), beside the YAML one, for writers who do not write YAML.

The form makes the bank's YAML and saves it through the YAML editor's use case (services/bank/items.save_edit):
the same checks, messages, draft version and workflow. Its "Update the preview" button renders the same preview
as the YAML editor, from that YAML (no inline script under the CSP; the page works without JavaScript).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from typing import Any

import yaml
from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from certexam.bank import bp
from certexam.bank.item_form import (
    FORM_TYPES,
    ROW_LETTERS,
    TEXT_ROWS,
    ItemForm,
    build,
    close_up,
    field_of,
    fill,
    problems_of,
    row_count,
    text_field,
)
from certexam.bank.views import _bank_item, _parse_preview, _version, next_id
from certexam.bankio.errors import ExportError
from certexam.domain import item_codec
from certexam.domain.catalogue import LANGUAGES, MODULES_BY_CODE
from certexam.errors import UserError
from certexam.models import BankItem, Role
from certexam.services.bank import items as bank
from certexam.web import roles_required


def _page(form: ItemForm, bank_item: BankItem | None, keys: list[str], truth: str, *,
          problems: dict[str, list[str]] | None = None, message: str | None = None,
          yaml_text: str = "", preview: bool = False) -> Any:
    filled = max((i + 1 for i, r in enumerate(ROW_LETTERS)
                  if any((getattr(form, text_field(r, lang)).data or "").strip() for lang in LANGUAGES)), default=0)
    items, preview_errors = _parse_preview(yaml_text) if preview and yaml_text else ((), [])
    # The preview's errors stand next to the fields here: the YAML's line numbers would mean nothing.
    preview_errors = [replace(e, line=None) for e in preview_errors]
    return render_template("bank/form_editor.html", form=form, bank_item=bank_item, keys=keys, truth=truth,
                           rows=ROW_LETTERS[: row_count(form.rows.data, filled)], item_languages=LANGUAGES,
                           text_rows=TEXT_ROWS, text_field=text_field, problems=problems or {}, message=message,
                           yaml_text=yaml_text, items=items, preview_errors=preview_errors)


def _save(form: ItemForm, bank_item: BankItem | None) -> Any:
    keys = request.form.getlist("key")
    truth = request.form.get("truth", "")
    if form.add_row.data:
        form.rows.data = str(row_count(form.rows.data, 0) + 1)
        return _page(form, bank_item, keys, truth)
    if not form.validate_on_submit():
        return _page(form, bank_item, keys, truth, message=_("Correct the marked fields."))
    module = form.module.data or ""
    item_id = bank_item.external_id if bank_item else ((form.item_id.data or "").strip() or next_id(module))
    built, keys = close_up(form, build(form, item_id, keys, truth), keys)
    problems: dict[str, list[str]] = defaultdict(list)
    for problem in problems_of(built.item):
        problems[field_of(problem.path, built.row_of_option)].append(problem.message)
    problems["key"] += built.key_errors
    try:
        yaml_text = bank.yaml_of(built.item)
    except (ExportError, yaml.YAMLError) as exc:  # nothing the form can make should land here; never a 500
        return _page(form, bank_item, keys, truth, problems=problems, message=str(exc))
    count = sum(len(v) for v in problems.values())
    message = _("The item has %(n)d error(s).", n=count) if count else None
    if form.preview.data or count:
        return _page(form, bank_item, keys, truth, problems=problems, message=message, yaml_text=yaml_text,
                     preview=True)
    try:
        version = bank.save_edit(current_user, bank_item.external_id if bank_item else None, yaml_text)
    except bank.BankEditError as exc:  # checks across the bank (an unknown enemy, ...): listed at the top
        problems["general"] += [e.message for e in exc.result.errors]
        return _page(form, bank_item, keys, truth, problems=problems, message=exc.message, yaml_text=yaml_text,
                     preview=True)
    except UserError as exc:  # the id is taken, nothing changed, ...
        return _page(form, bank_item, keys, truth, message=exc.message, yaml_text=yaml_text, preview=True)
    ext = version.item.external_id
    flash(_("Saved as version %(n)d (draft) of %(id)s.", n=version.version_no, id=ext), "success")
    return redirect(url_for("bank.detail", external_id=ext))


@bp.route("/new/form", methods=["GET", "POST"])
@roles_required(Role.ITEM_AUTHOR)
def new_form() -> Any:
    form = ItemForm()
    if request.method == "GET":
        wanted = request.args.get("module", "")
        form.module.data = wanted if wanted in MODULES_BY_CODE else next(iter(MODULES_BY_CODE))
        form.type.data = request.args.get("type") if request.args.get("type") in FORM_TYPES else FORM_TYPES[0]
        return _page(form, None, [], "")
    return _save(form, None)


@bp.route("/<external_id>/edit/form", methods=["GET", "POST"])
@roles_required(Role.ITEM_AUTHOR)
def edit_form(external_id: str) -> Any:
    bank_item = _bank_item(external_id)
    latest = _version(bank_item, bank_item.latest_version_no)
    item = item_codec.from_json(latest.content) if latest else None
    if item is None or item.type not in FORM_TYPES:
        flash(_("Item sets and constructed-response items are edited in YAML only."), "info")
        return redirect(url_for("bank.edit", external_id=external_id))
    form = ItemForm()
    if request.method == "GET":
        keys, truth = fill(form, item)
        return _page(form, bank_item, keys, truth, yaml_text=bank.yaml_of(item), preview=True)
    return _save(form, bank_item)
