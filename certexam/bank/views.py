"""Question-bank administration pages (list, editor with preview, history, review, import/export)."""

from __future__ import annotations

import io
import math
import re
import zipfile
from collections.abc import Iterable
from typing import Any

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from certexam import db
from certexam.bank import bp, forms
from certexam.bank.forms import ActionForm, EditorForm, ImportForm, ListFilterForm, NewItemForm
from certexam.bankio import reader
from certexam.bankio.moodle_map import DEFAULT_ESSAY_SUBTYPE, build_options
from certexam.domain import item_codec
from certexam.domain.bank_workflow import Action, actions_for
from certexam.domain.catalogue import MODULES_BY_CODE
from certexam.domain.items import Item
from certexam.errors import UserError
from certexam.models import BankItem, BankItemVersion, Role, User
from certexam.services.bank import items as bank
from certexam.web import roles_required

PAGE_SIZE = 50
MAX_PAGE = 100_000  # a page number beyond any bank; bigger ones are typos
MAX_SKIPPED_HEADER = 50  # ids listed in the export's X-Skipped-Items header

bp.add_app_template_filter(forms.item_html, "item_html")
bp.add_app_template_test(forms.has_markup, "markup")
bp.add_app_template_global(forms.item_word)
bp.add_app_template_global(forms.item_lang_name)
bp.add_app_template_global(forms.item_language)
bp.add_app_template_global(forms.item_lang_tag)


@bp.context_processor
def _labels() -> dict[str, Any]:
    return {"type_labels": forms.TYPE_LABELS, "status_labels": forms.STATUS_LABELS,
            "action_labels": forms.ACTION_LABELS, "person": _person}


def _person(user: User | None) -> str:
    if user is None:
        return "—"
    return user.name_zh if str(get_locale() or "").startswith("zh") else user.name_en


def _users(ids: Iterable[int | None]) -> dict[int, User]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return {u.id: u for u in db.session().scalars(select(User).where(User.id.in_(wanted)))}


def _bank_item(external_id: str) -> BankItem:
    found = db.session().scalar(select(BankItem).where(BankItem.external_id == external_id))
    if found is None:
        abort(404)
    return found


def _version(bank_item: BankItem, number: int) -> BankItemVersion | None:
    return next((v for v in bank_item.versions if v.version_no == number), None)


def _int_arg(raw: str | None) -> int | None:
    return int(raw) if raw and raw.isascii() and raw.isdigit() and len(raw) < 7 else None


@bp.route("/")
@roles_required(Role.ITEM_AUTHOR, Role.ITEM_REVIEWER)
def item_list() -> Any:
    form = ListFilterForm(request.args)
    form.validate()
    ignored = [str(f.label.text) for f in form if f.errors]
    value = {f.name: (None if f.errors else (f.data or "").strip() or None) for f in form}
    if value["q"]:
        value["q"] = "".join(ch for ch in value["q"] if ch.isprintable()) or None  # NUL breaks PostgreSQL
    filters = bank.ListFilters(level=int(value["level"]) if value["level"] else None, module=value["module"],
                               type=value["type"], status=value["status"], has_lang=value["has_lang"],
                               missing_lang=value["missing_lang"], q=value["q"])
    raw_page = request.args.get("page")
    page = _int_arg(raw_page)
    if raw_page is not None and (page is None or not 1 <= page <= MAX_PAGE):
        ignored.append(_("Page"))
    page = min(max(page or 1, 1), MAX_PAGE)
    rows, total = bank.list_items(filters, page, PAGE_SIZE)
    pages = max(math.ceil(total / PAGE_SIZE), 1)
    if page > pages:  # past the end (e.g. after narrowing the filters): show the last page
        page = pages
        rows, total = bank.list_items(filters, page, PAGE_SIZE)
    args = {k: v for k, v in value.items() if v}
    return render_template("bank/list.html", form=form, rows=rows, total=total, page=page, pages=pages,
                           page_size=PAGE_SIZE, args=args, ignored=ignored,
                           exposure=bank.exposure(r.id for r in rows))


# ---- the editor ------------------------------------------------------------------------------------------------

def next_id(module: str) -> str:
    """The module's next free id (highest number + 1), e.g. L1-ETH-0026."""
    ids = db.session().scalars(select(BankItem.external_id).where(BankItem.external_id.startswith(module + "-")))
    numbers = [int(m.group(1)) for i in ids if (m := re.fullmatch(re.escape(module) + r"-([0-9]{1,6})", i))]
    return f"{module}-{max(numbers, default=0) + 1:04d}"


def _parse_preview(text: str) -> tuple[tuple[Item, ...], list[Any]]:
    result = reader.read_bytes("editor.yaml", text.encode("utf-8"), bank.existing_ids(db.session()), fmt="yaml")
    return result.items, list(result.errors)


def _editor(form: EditorForm, bank_item: BankItem | None, errors: list[Any], message: str | None) -> Any:
    text = form.text.data or ""
    items, preview_errors = _parse_preview(text) if text.strip() else ((), [])
    return render_template("bank/editor.html", form=form, bank_item=bank_item, errors=errors, message=message,
                           items=items, preview_errors=preview_errors, new_form=NewItemForm(request.args))


def _save(form: EditorForm, external_id: str | None, bank_item: BankItem | None) -> Any:
    errors: list[Any] = []
    message = None
    if form.preview.data or not form.validate_on_submit():
        return _editor(form, bank_item, errors, message)
    try:
        version = bank.save_edit(current_user, external_id, form.text.data or "")
    except bank.BankEditError as exc:
        errors, message = list(exc.result.errors), exc.message
    except UserError as exc:
        message = exc.message
    else:
        ext = version.item.external_id
        flash(_("Saved as version %(n)d (draft) of %(id)s.", n=version.version_no, id=ext), "success")
        return redirect(url_for("bank.detail", external_id=ext))
    return _editor(form, bank_item, errors, message)


@bp.route("/new", methods=["GET", "POST"])
@roles_required(Role.ITEM_AUTHOR)
def new() -> Any:
    form = EditorForm()
    if request.method == "GET":
        choice = NewItemForm(request.args)
        module = choice.module.data if choice.module.data in MODULES_BY_CODE else next(iter(MODULES_BY_CODE))
        item_type = choice.type.data if choice.type.data in forms.TYPE_LABELS else "single_choice"
        form.text.data = bank.yaml_of(forms.skeleton(next_id(module), module, item_type))
        return _editor(form, None, [], None)
    return _save(form, None, None)


@bp.route("/<external_id>/edit", methods=["GET", "POST"])
@roles_required(Role.ITEM_AUTHOR)
def edit(external_id: str) -> Any:
    bank_item = _bank_item(external_id)
    form = EditorForm()
    if request.method == "GET":
        latest = _version(bank_item, bank_item.latest_version_no)
        form.text.data = bank.yaml_of(item_codec.from_json(latest.content)) if latest else ""
        return _editor(form, bank_item, [], None)
    return _save(form, external_id, bank_item)


@bp.route("/preview", methods=["POST"])
@roles_required(Role.ITEM_AUTHOR, Role.ITEM_REVIEWER)
def preview() -> Any:
    """The editor's live preview: the item as candidates see it, in each language, or its errors."""
    text = request.form.get("text", "")
    items, errors = _parse_preview(text) if text.strip() else ((), [])
    return render_template("bank/_preview.html", items=items, preview_errors=errors)


# ---- one item: detail, workflow, history, diff -----------------------------------------------------------------

@bp.route("/<external_id>")
@roles_required(Role.ITEM_AUTHOR, Role.ITEM_REVIEWER)
def detail(external_id: str) -> Any:
    bank_item = _bank_item(external_id)
    shown_no = _int_arg(request.args.get("v")) or bank_item.latest_version_no
    version = _version(bank_item, shown_no) or _version(bank_item, bank_item.latest_version_no)
    if version is None:
        abort(404)
    item = item_codec.from_json(version.content)
    users = _users(u for v in bank_item.versions for u in (v.created_by_id, v.reviewed_by_id, v.retired_by_id))
    is_latest = version.version_no == bank_item.latest_version_no
    actions = actions_for(version.status, actor_id=current_user.id, author_id=version.created_by_id,
                          is_latest=is_latest)
    known = set(db.session().scalars(select(BankItem.external_id).where(BankItem.external_id.in_(item.enemies))))
    return render_template("bank/detail.html", bank_item=bank_item, version=version, item=item, users=users,
                           actions=actions, action_form=ActionForm(), known_enemies=known, is_latest=is_latest,
                           exposure=bank.exposure([bank_item.id]).get(bank_item.id, 0))


@bp.route("/<external_id>/transition", methods=["POST"])
@roles_required(Role.ITEM_AUTHOR, Role.ITEM_REVIEWER)
def transition(external_id: str) -> Any:
    bank_item = _bank_item(external_id)
    form = ActionForm()
    number = _int_arg(form.version.data)
    version = _version(bank_item, number) if number else None
    action = form.action.data if form.action.data in {a.value for a in Action} else None
    if not form.validate_on_submit() or version is None or action is None:
        flash(_("The action could not be read. Reload the page and try again."), "error")
    elif action == Action.RETURN and not (form.note.data or "").strip():
        flash(_("Write a note telling the author what to change."), "error")
    else:
        try:
            bank.transition(current_user, version.id, Action(action), (form.note.data or "").strip() or None)
        except UserError as exc:
            flash(exc.message, "error")
        else:
            flash(_("Version %(n)d is now: %(status)s.", n=version.version_no,
                    status=forms.STATUS_LABELS[version.status]), "success")
    return redirect(url_for("bank.detail", external_id=external_id))


_HUNK = re.compile(r"@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@")


def _diff_rows(lines: list[str], old_no: int, new_no: int) -> list[tuple[str, str, str]]:
    """(css class, marker, text) per diff line; the +/- marker repeats the colour for colour-blind readers."""
    rows = []
    for line in lines[2:]:  # the ---/+++ header names the versions, which the page shows itself
        if hunk := _HUNK.match(line):
            rows.append(("hunk", "", _("v%(a)d line %(la)s · v%(b)d line %(lb)s", a=old_no, la=hunk.group(1),
                                       b=new_no, lb=hunk.group(2))))
        elif line[:1] in ("+", "-"):
            rows.append(("added" if line[0] == "+" else "removed", line[0], line[1:]))
        else:
            rows.append(("same", "", line[1:]))
    return rows


@bp.route("/<external_id>/diff")
@roles_required(Role.ITEM_AUTHOR, Role.ITEM_REVIEWER)
def diff(external_id: str) -> Any:
    bank_item = _bank_item(external_id)
    latest = bank_item.latest_version_no
    b_no = _int_arg(request.args.get("b")) or latest
    a_no = _int_arg(request.args.get("a")) or max(b_no - 1, 1)
    old, new_ = _version(bank_item, a_no), _version(bank_item, b_no)
    if old is None or new_ is None:
        raise UserError(_("Choose two versions of this item that exist (1 to %(n)d).", n=latest))
    rows = _diff_rows(bank.diff(old, new_), a_no, b_no) if old.id != new_.id else []
    return render_template("bank/diff.html", bank_item=bank_item, old=old, new=new_, rows=rows)


@bp.route("/review")
@roles_required(Role.ITEM_REVIEWER)
def review() -> Any:
    queue = bank.review_queue(current_user)
    return render_template("bank/review.html", queue=queue, users=_users(v.created_by_id for v in queue))


# ---- import and export ---------------------------------------------------------------------------------------

@db.use_case
def _import_and_submit(items: tuple[Item, ...], source: str, submit: bool) -> bank.ImportReport:
    """One transaction: import, then (if asked) submit every new version for review."""
    report = bank.import_items(items, current_user, source=source)
    if submit and report.ids:
        sess = db.session()
        versions = sess.scalars(select(BankItemVersion).join(BankItem, BankItem.id == BankItemVersion.item_id)
                                .where(BankItem.external_id.in_(report.ids),
                                       BankItemVersion.version_no == BankItem.latest_version_no))
        for version in list(versions):
            bank.transition(current_user, version.id, Action.SUBMIT)
    return report


@bp.route("/import", methods=["GET", "POST"])
@roles_required(Role.ITEM_AUTHOR)
def import_page() -> Any:
    form = ImportForm()
    errors: list[Any] = []
    notes: list[Any] = []
    checked = report = None
    names = ""
    if form.validate_on_submit():
        uploads = [f for f in request.files.getlist(form.files.name) if f.filename]
        sources = [(f.filename or "upload", f.read()) for f in uploads]
        options, map_errors = build_options((form.mapping.data or "").splitlines(),
                                            skip_unsupported=bool(form.skip_unsupported.data),
                                            essay_subtype=form.essay_subtype.data or DEFAULT_ESSAY_SUBTYPE)
        if map_errors:
            form.mapping.errors = [_("Line %(n)s: %(problem)s", n=e.line or "—", problem=e.message)
                                   for e in map_errors]
        elif not sources:
            flash(_("Choose one or more files first."), "error")
        else:
            result = bank.validate(sources, options)
            errors, notes = list(result.errors), list(result.notes)
            names = ", ".join(name for name, _data in sources)
            if result.unmapped:  # the mapping the page asks for: a line to complete per unmapped category
                form.mapping.data = "\n".join([*(form.mapping.data or "").strip().splitlines(),
                                               *(f"{path} = " for path in result.unmapped)])
            if not errors and form.run.data:
                report = _import_and_submit(result.items, names, bool(form.submit_for_review.data))
            elif not errors:
                checked = len(result.items)
    return render_template("bank/import.html", form=form, errors=errors, notes=notes, checked=checked,
                           report=report, names=names, modules=list(MODULES_BY_CODE))


_MIME = {"yaml": "application/yaml", "csv": "text/csv; charset=utf-8", "moodle": "application/xml",
         "qti": "application/zip"}


def _zip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in sorted(files.items()):
            archive.writestr(name, data)
    return buffer.getvalue()


@bp.route("/export")
@roles_required(Role.ITEM_AUTHOR, Role.ITEM_REVIEWER)
def export() -> Any:
    fmt = request.args.get("format")
    if fmt not in reader.FORMATS:
        return render_template("bank/export.html", formats=reader.FORMATS)
    include_retired = request.args.get("retired") == "1"
    try:
        files, skipped = bank.export(fmt, include_retired)
    except UserError as exc:
        flash(exc.message, "error")
        return redirect(url_for("bank.export"))
    if len(files) == 1:
        name, data = next(iter(files.items()))
        name, mime = name.rsplit("/", 1)[-1], _MIME[fmt]
    else:
        name, data, mime = "certexam-bank-yaml.zip", _zip(files), "application/zip"
    resp = Response(data, mimetype=mime)
    resp.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    if skipped:
        ids = [item_id for item_id, _why in skipped]
        resp.headers["X-Skipped-Items"] = f"{len(ids)}: " + " ".join(ids[:MAX_SKIPPED_HEADER])
        flash(_("The export left out %(n)d item(s) that the format cannot carry: %(ids)s",
                n=len(ids), ids=", ".join(ids[:MAX_SKIPPED_HEADER]) + (" …" if len(ids) > MAX_SKIPPED_HEADER else "")),
              "info")
    return resp

