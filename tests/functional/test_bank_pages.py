"""The question-bank administration pages through the test client (SQLite)."""

from __future__ import annotations

import html
import io
import re
import zipfile
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import pytest
from flask import Flask, render_template_string
from flask.testing import FlaskClient
from sqlalchemy import func, select

from certexam import db
from certexam.bank.forms import TYPE_LABELS
from certexam.bankio import reader
from certexam.domain.bank_workflow import Action, VersionStatus
from certexam.domain.items import Item
from certexam.models import BankItem, BankItemVersion, Role, User
from certexam.services.bank import items as bank
from tests.conftest import csrf_from, post_form
from tests.factories import candidate, sign_in, staff
from tests.integration.test_bank_service import gen_bank, gen_item, with_error, yaml_files

EN = {"Accept-Language": "en"}
ROW_ID = re.compile(r'<td class="nowrap"><a href="/admin/bank/([A-Z0-9-]+)">')


@pytest.fixture
def admin(app: Flask, client: FlaskClient) -> int:
    user = staff(app, Role.ADMIN)
    sign_in(client, user.email)
    return user.id


def load(app: Flask, items: Sequence[Item], approve: bool = False) -> None:
    with app.app_context():
        result = bank.validate(yaml_files(items))
        assert result.errors == ()
        bank.import_items(result.items, None, approve=approve)


def text_of(resp: Any) -> str:
    return resp.get_data(as_text=True)


def count_rows(app: Flask) -> tuple[int, int]:
    with app.app_context():
        sess = db.session()
        return (sess.scalar(select(func.count()).select_from(BankItem)) or 0,
                sess.scalar(select(func.count()).select_from(BankItemVersion)) or 0)


# ---- the list --------------------------------------------------------------------------------------------------


def test_list_filters_and_pages(app: Flask, client: FlaskClient, admin: int) -> None:
    items = gen_bank(110) + gen_bank(10, start=110, langs=("zh_Hans",))
    load(app, items[:60], approve=True)
    load(app, items[60:])

    def ids(query: str) -> tuple[list[str], str]:
        resp = client.get("/admin/bank/?" + query, headers=EN)
        assert resp.status_code == 200, query
        body = text_of(resp)
        return ROW_ID.findall(body), body

    rows, body = ids("")
    assert len(rows) == 50 and "Items 1–50 of 120" in body and "Page 1 of 3" in body
    assert rows == sorted(i.id for i in items)[:50]
    rows, body = ids("page=3")
    assert len(rows) == 20 and "Items 101–120 of 120" in body
    rows, body = ids("page=9")  # past the end: the last page
    assert "Page 3 of 3" in body and len(rows) == 20

    expected = {
        "module=L1-ETH": [i for i in items if i.module == "L1-ETH"],
        "level=2": [i for i in items if i.module.startswith("L2")],
        "type=true_false": [i for i in items if i.type == "true_false"],
        "status=approved": items[:60],
        "status=draft&type=item_set": [i for i in items[60:] if i.type == "item_set"],
        "missing_lang=en": items[110:],
        "has_lang=en&module=L1-AI": [i for i in items[:110] if i.module == "L1-AI"],
        "q=LEDGER": [i for i in items if i.id.endswith("0") and "ledger" in str(i.stem).lower()],
        "q=区块链": [i for i in items if "区块链" in i.stem["zh_Hans"]],
        "q=g00042": [items[42]],
    }
    for query, wanted in expected.items():
        rows, body = ids(query + "&page=1")
        assert wanted, query  # the table must test something
        assert rows == sorted(i.id for i in wanted)[:50], query
        assert f"of {len(wanted)}" in body, query
    rows, body = ids("module=L1-ETH&page=2")  # the pager keeps the filters
    assert "module=L1-ETH" in body.split('aria-label="Pages"')[-1] if "Pages" in body else True


HOSTILE = [
    "page=-1", "page=abc", "page=0", "page=99999999999999", "page=%EF%BC%91", "status=bogus", "level=3",
    "level=abc", "module=%3Cscript%3E", "type=essay", "has_lang=fr", "missing_lang=%00",
    "q=%25", "q=_", "q=%27", "q=%22", "q=%27%20OR%201%3D1--", "q=%00", "q=" + "x" * 500, "q=%5C", "q=%F0%9F%98%80",
    "page=2&page=3", "q=a&q=b", "level=1&module=L2-AI",
]
NO_MATCH = {"q=%25", "q=_", "q=%27", "q=%22", "level=1&module=L2-AI"}  # wildcards match only themselves
IGNORED = {"status=bogus", "level=3", "page=abc", "page=-1", "type=essay", "has_lang=fr", "module=%3Cscript%3E"}


def test_hostile_query_strings_never_fail(app: Flask, client: FlaskClient, admin: int) -> None:
    load(app, gen_bank(12))
    for query in HOSTILE:
        resp = client.get("/admin/bank/?" + query, headers=EN)
        # issue 19.8: a control character anywhere is refused with 400 by the one request filter
        assert resp.status_code == (400 if "%00" in query else 200), query
        body = text_of(resp)
        assert "<script>" not in body, query
        if query in NO_MATCH:
            assert "No items match these filters." in body, query
        if query in IGNORED:
            assert "were ignored" in body and len(ROW_ID.findall(body)) == 12, query


# ---- the editor and its preview ---------------------------------------------------------------------------------


def test_new_item_template_is_valid_for_every_type(app: Flask, client: FlaskClient, admin: int) -> None:
    load(app, [gen_item(0, module="L1-NET", item_type="true_false")])
    for item_type in TYPE_LABELS:
        resp = client.get(f"/admin/bank/new?type={item_type}&module=L1-NET", headers=EN)
        assert resp.status_code == 200
        body = text_of(resp)
        text = html.unescape(re.search(r'<textarea[^>]*name="text"[^>]*>\r?\n?(.*?)</textarea>', body, re.S)[1])
        result = reader.read_bytes("editor.yaml", text.encode(), fmt="yaml")
        assert result.errors == () and result.items[0].type == item_type
        assert result.items[0].id == "L1-NET-0001"  # generated ids (G00000) do not count as numbers
        assert 'lang="zh-Hans"' in body and 'lang="en"' in body  # the preview is already there
    assert client.get("/admin/bank/new?type=bogus&module=XX").status_code == 200


def test_editor_save_with_errors_keeps_text_and_lines(app: Flask, client: FlaskClient, admin: int) -> None:
    item = gen_item(3, module="L1-ETH", item_type="single_choice")
    load(app, [item])
    text = bank.yaml_of(item).replace("answer: ", "answer: Q  # kept ", 1).replace("key: B", "key: b")
    before = count_rows(app)
    resp = post_form(client, f"/admin/bank/{item.id}/edit", {"text": text, "save": "1"}, headers=EN)
    assert resp.status_code == 200
    body = text_of(resp)
    kept = re.search(r'<textarea[^>]*name="text"[^>]*>\r?\n?(.*?)</textarea>', body, re.S)
    assert kept and html.unescape(kept[1]) == text  # nothing the author typed is lost
    lines = text.splitlines()
    answer_line = next(n for n, line in enumerate(lines, 1) if "answer: Q" in line)
    assert f'data-line="{answer_line}"' in body and f"Line {answer_line}" in body
    assert "must be a single capital letter" in body and 'aria-invalid="true"' in body
    assert count_rows(app) == before

    unchanged = post_form(client, f"/admin/bank/{item.id}/edit", {"text": bank.yaml_of(item), "save": "1"},
                          headers=EN)
    assert "Nothing changed" in text_of(unchanged) and count_rows(app) == before

    good = bank.yaml_of(replace(item, difficulty=1))
    saved = post_form(client, f"/admin/bank/{item.id}/edit", {"text": good, "save": "1"}, headers=EN)
    assert saved.status_code == 302 and saved.headers["Location"].endswith(f"/admin/bank/{item.id}")
    assert count_rows(app) == (before[0], before[1] + 1)
    moved = post_form(client, f"/admin/bank/{item.id}/edit",
                      {"text": good.replace(item.id, "L1-ETH-7777"), "save": "1"}, headers=EN)
    assert "cannot be changed" in text_of(moved) and count_rows(app) == (before[0], before[1] + 1)


def test_new_item_saved_and_duplicate_refused(app: Flask, client: FlaskClient, admin: int) -> None:
    item = gen_item(4, module="L1-DB", item_type="multiple_response")
    shown = post_form(client, "/admin/bank/new", {"text": bank.yaml_of(item), "preview": "1"}, headers=EN)
    assert shown.status_code == 200 and item.stem["en"] in text_of(shown)  # without JavaScript: preview only
    assert count_rows(app) == (0, 0)
    resp = post_form(client, "/admin/bank/new", {"text": bank.yaml_of(item), "save": "1"}, headers=EN)
    assert resp.status_code == 302
    again = post_form(client, "/admin/bank/new", {"text": bank.yaml_of(item), "save": "1"}, headers=EN)
    assert again.status_code == 200 and "already exists" in text_of(again)
    assert count_rows(app) == (1, 1)
    with app.app_context():
        version = db.session().scalar(select(BankItemVersion))
        assert version is not None and version.created_by_id == admin and version.status == VersionStatus.DRAFT


def _preview(client: FlaskClient, text: str, token: str | None = None) -> Any:
    if token is None:
        token = csrf_from(text_of(client.get("/admin/bank/new")))
    return client.post("/admin/bank/preview", data={"text": text}, headers={"X-CSRFToken": token, **EN})


def test_preview_renders_every_language_and_sanitises(app: Flask, client: FlaskClient, admin: int) -> None:
    item = gen_item(6, module="L1-PRG", item_type="single_choice")
    item = replace(item, stem=type(item.stem)({"zh_Hans": "第一行\n第二行 a < b & c", "en": "Use <code>x &lt; y</code>"}))
    body = text_of(_preview(client, bank.yaml_of(item)))
    assert 'lang="zh-Hans"' in body and 'lang="en"' in body
    assert "第一行\n第二行 a &lt; b &amp; c" in body and 'class="item-stem plain"' in body  # plain: keeps lines
    assert "<code>x &lt; y</code>" in body  # allowed markup stays markup
    assert body.count("disabled") == 2 * len(item.options)  # preview: inputs present but disabled
    assert body.count('type="radio"') == 2 * len(item.options)
    labels = re.findall(r'<label for="([^"]+)"', body)
    assert len(labels) == 2 * len(item.options) and len(set(labels)) == len(labels)
    assert all(f'id="{target}"' in body for target in labels)  # every label names its input

    hostile = bank.yaml_of(item).replace("Use <code>", 'Use <script>alert(1)</script><img src="http://x/y.png" onerror="z"><code>')
    body = text_of(_preview(client, hostile))
    assert re.search(r"<(script|img)\b|onerror=", body) is None  # the errors quote the markup, escaped
    assert "tag &lt;script&gt; is not allowed" in body and "attribute &#39;onerror&#39;" in body
    assert 'data-line="' in body and 'data-errors="' in body

    assert "Nothing to preview" in text_of(_preview(client, "   "))
    broken = text_of(_preview(client, "format: certexam-bank/1\nitems: [\n"))
    assert "The YAML is not valid" in broken
    assert client.post("/admin/bank/preview", data={"text": "x"}).status_code == 400  # no CSRF token


# ---- detail, workflow, diff, review queue ------------------------------------------------------------------------


def test_detail_workflow_and_review_queue(app: Flask, client: FlaskClient, admin: int) -> None:
    items = gen_bank(8)
    load(app, items)
    target = items[7]  # names an earlier item as enemy (every seventh does)
    assert target.enemies
    page = text_of(client.get(f"/admin/bank/{target.id}", headers=EN))
    assert f'href="/admin/bank/{target.enemies[0]}"' in page and "Drawn onto 0 candidate form(s)" in page
    assert "Submit for review" in page and ">Approve<" not in page

    def act(action: str, version: int = 1, note: str = "", who: FlaskClient = client) -> str:
        resp = post_form(who, f"/admin/bank/{target.id}/transition",
                         {"version": str(version), "action": action, "note": note},
                         get_url=f"/admin/bank/{target.id}", headers=EN, follow_redirects=True)
        assert resp.status_code == 200
        return text_of(resp)

    assert "now: In review" in act("submit")
    with app.app_context():
        own = db.session().get(User, admin)
        assert own is not None and len(bank.review_queue(own)) == 1  # an import has no author: any admin reviews it
    reviewer = app.test_client()
    sign_in(reviewer, staff(app, Role.ADMIN).email)
    queue = text_of(reviewer.get("/admin/bank/review", headers=EN))
    assert f"/admin/bank/{target.id}?v=1" in queue
    assert "Write a note" in act("return", who=reviewer)
    assert "now: Draft" in act("return", note="Explain <b>why</b>", who=reviewer)
    detail = text_of(client.get(f"/admin/bank/{target.id}", headers=EN))
    assert "Explain &lt;b&gt;why&lt;/b&gt;" in detail
    act("submit")
    assert "now: Approved" in act("approve", who=reviewer)
    assert "not possible" in act("approve", who=reviewer)
    assert "could not be read" in act("fly")
    assert "could not be read" in act("retire", version=9)

    text = bank.yaml_of(replace(target, difficulty=1))
    post_form(client, f"/admin/bank/{target.id}/edit", {"text": text, "save": "1"})
    with app.app_context():
        mine = db.session().scalar(select(BankItemVersion).where(BankItemVersion.version_no == 2))
        assert mine is not None
        bank.transition(db.session().get(User, admin), mine.id, Action.SUBMIT)  # type: ignore[arg-type]
    assert "You wrote this version" in text_of(client.get(f"/admin/bank/{target.id}", headers=EN))
    assert "own edit" in act("approve", version=2)
    assert f"/admin/bank/{target.id}?v=2" not in text_of(client.get("/admin/bank/review"))
    old = text_of(client.get(f"/admin/bank/{target.id}?v=1", headers=EN))
    assert "You are looking at version 1" in old


def test_diff_page(app: Flask, client: FlaskClient, admin: int) -> None:
    item = gen_item(9, module="L1-QNT", item_type="single_choice")
    load(app, [item])
    post_form(client, f"/admin/bank/{item.id}/edit", {"text": bank.yaml_of(replace(item, difficulty=2)), "save": "1"})
    body = text_of(client.get(f"/admin/bank/{item.id}/diff?a=1&b=2", headers=EN))
    assert re.search(r'<tr class="diff-removed">\s*<td class="diff-marker"[^>]*>-</td>\s*<td class="diff-text">'
                     r'<span class="visually-hidden">removed: </span>  difficulty: 5</td>', body)
    assert re.search(r'<tr class="diff-added">\s*<td class="diff-marker"[^>]*>\+</td>\s*<td class="diff-text">'
                     r'<span class="visually-hidden">added: </span>  difficulty: 2</td>', body)
    default = text_of(client.get(f"/admin/bank/{item.id}/diff", headers=EN))  # newest vs the one before

    def table(page: str) -> str:
        return page[page.index('<table class="diff">'):page.index("</table>")]

    assert table(default) == table(body)
    for query in ("a=1&b=9", "a=x&b=-1", "a=0", "a=99999999"):
        assert client.get(f"/admin/bank/{item.id}/diff?{query}").status_code in (200, 400), query
    assert client.get(f"/admin/bank/{item.id}/diff?a=1&b=9").status_code == 400
    assert "same content" not in body and "Choose two different" in text_of(
        client.get(f"/admin/bank/{item.id}/diff?a=2&b=2", headers=EN))
    assert client.get("/admin/bank/NO-SUCH-ITEM/diff").status_code == 404
    assert client.get("/admin/bank/NO-SUCH-ITEM").status_code == 404
    assert client.get("/admin/bank/NO-SUCH-ITEM/edit").status_code == 404


# ---- import and export ------------------------------------------------------------------------------------------


def _upload(client: FlaskClient, files: Sequence[tuple[str, bytes]], button: str, review: bool = False) -> str:
    data: dict[str, Any] = {"files": [(io.BytesIO(b), name) for name, b in files], button: "1"}
    if review:
        data["submit_for_review"] = "y"
    resp = post_form(client, "/admin/bank/import", data, content_type="multipart/form-data", headers=EN)
    assert resp.status_code == 200
    return text_of(resp)


def test_import_page_all_or_nothing(app: Flask, client: FlaskClient, admin: int) -> None:
    good = yaml_files(gen_bank(15))
    broken = gen_bank(1, start=300)
    body = _upload(client, [*good, with_error(broken, "bad <b>.yaml")], "run")
    assert "1 error(s): nothing was imported" in body
    row = re.search(r"<tr><td><code>bad &lt;b&gt;.yaml</code></td><td class=\"num\">(\d+)</td>"
                    r"<td><code>([A-Z0-9-]+)</code></td><td>([^<]*)</td></tr>", body)
    assert row and int(row[1]) > 3 and row[2] == broken[0].id and "not among the option keys" in row[3]
    assert count_rows(app) == (0, 0)

    assert "No errors: 15 item(s) can be imported." in _upload(client, good, "check")
    assert count_rows(app) == (0, 0)  # checking writes nothing
    body = _upload(client, good, "run", review=True)
    assert "New items: 15" in body and "Unchanged items: 0" in body and count_rows(app) == (15, 15)
    with app.app_context():
        statuses = set(db.session().scalars(select(BankItemVersion.status)))
        assert statuses == {VersionStatus.IN_REVIEW}
    assert "Unchanged items: 15" in _upload(client, good, "run")
    assert "Choose one or more files" in _upload(client, [], "run")
    app.config["MAX_CONTENT_LENGTH"] = 4096  # an upload over the limit: a clean 413, nothing written
    token = csrf_from(text_of(client.get("/admin/bank/import")))
    big = client.post("/admin/bank/import", data={"csrf_token": token, "run": "1",
                                                  "files": [(io.BytesIO(b"x" * 10000), "big.yaml")]},
                      content_type="multipart/form-data", headers=EN)
    assert big.status_code == 413 and "too large" in text_of(big) and count_rows(app) == (15, 15)


def test_export_downloads(app: Flask, client: FlaskClient, admin: int) -> None:
    empty = client.get("/admin/bank/export?format=yaml", headers=EN, follow_redirects=True)
    assert "no items to export" in text_of(empty)
    items = gen_bank(12)
    load(app, items)
    page = client.get("/admin/bank/export", headers=EN)
    assert page.status_code == 200 and 'value="moodle"' in text_of(page)

    as_zip = client.get("/admin/bank/export?format=yaml")
    assert as_zip.headers["Content-Disposition"] == 'attachment; filename="certexam-bank-yaml.zip"'
    names = zipfile.ZipFile(io.BytesIO(as_zip.data)).namelist()
    assert sorted(names) == sorted(f"level{i.module[1]}/{i.module}.yaml" for i in items)
    as_csv = client.get("/admin/bank/export?format=csv", headers=EN)  # the flash is written in this request's language
    assert as_csv.headers["Content-Disposition"] == 'attachment; filename="bank.csv"'
    skipped = [i.id for i in items if i.type not in ("single_choice", "multiple_response", "true_false")]
    assert as_csv.headers["X-Skipped-Items"] == f"{len(skipped)}: " + " ".join(sorted(skipped))
    assert reader.read_bytes("bank.csv", as_csv.data, {i.id for i in items}).errors == ()
    assert "left out" in text_of(client.get("/admin/bank/", headers=EN))  # the flash after the download
    moodle = client.get("/admin/bank/export?format=moodle")
    assert moodle.mimetype == "application/xml" and moodle.data.startswith(b"<?xml")

    with app.app_context():  # one module: a single YAML file, not a zip
        for row in db.session().scalars(select(BankItem).where(BankItem.module != "L1-ETH")):
            row.status = VersionStatus.RETIRED
        db.session().commit()
    single = client.get("/admin/bank/export?format=yaml")
    assert single.headers["Content-Disposition"] == 'attachment; filename="L1-ETH.yaml"'


def test_pages_need_an_administrator(app: Flask, client: FlaskClient) -> None:
    user = candidate(app)
    sign_in(client, user.email)
    token = csrf_from(text_of(client.get("/")))
    assert client.post("/admin/bank/preview", data={"text": "x"}, headers={"X-CSRFToken": token}).status_code == 403
    assert client.get("/admin/bank/export?format=yaml").status_code == 403


# ---- the candidate's view of an item (templates/exam/_item.html) ---------------------------------------------

MACRO = '{% from "exam/_item.html" import render_item %}{{ render_item(item, lang, mode, response, name) }}'


def _render(app: Flask, item: Item, lang: str, mode: str = "exam", response: Any = None) -> str:
    with app.test_request_context("/", headers=EN):
        return render_template_string(MACRO, item=item, lang=lang, mode=mode, response=response, name="q7")


@pytest.mark.parametrize("item_type,response,checked", [
    ("single_choice", "C", ['id="q7-en-C"']),
    ("multiple_response", ["A", "C"], ['id="q7-en-A"', 'id="q7-en-C"']),
    ("true_false", False, ['id="q7-en-false"']),
    ("true_false", None, []),
])
def test_item_macro_exam_mode(app: Flask, item_type: str, response: Any, checked: list[str]) -> None:
    item = gen_item(11, module="L1-BC", item_type=item_type)
    out = _render(app, item, "en", response=response)
    assert "disabled" not in out and '<fieldset class="item-choices" aria-describedby="q7-en-stem">' in out
    assert "<legend>" in out and 'lang="en"' in out and "English" in out
    inputs = re.findall(r"<input [^>]*>", out)
    assert sorted(i for i in inputs if " checked" in i) == sorted(i for i in inputs if any(c in i for c in checked))
    assert "Because 11" not in out  # never the explanation
    if item_type == "true_false":
        assert ">True<" in out and ">False<" in out and 'name="q7"' in out


def test_item_macro_item_set_and_constructed(app: Flask) -> None:
    item_set = gen_item(13, module="L2-BD", item_type="item_set")
    out = _render(app, item_set, "zh_Hans", mode="preview", response={item_set.children[1].id: "B"})
    assert 'lang="zh-Hans"' in out and "案例13" in out and '<ol class="item-children">' in out
    assert out.index(item_set.children[0].stem["zh_Hans"]) < out.index(item_set.children[1].stem["zh_Hans"])
    assert f'name="q7.{item_set.children[1].id}"' in out and "disabled" in out
    assert len(re.findall(r"<input [^>]* checked", out)) == (1 if item_set.children[1].type != "true_false" else 0)
    essay = gen_item(14, module="L2-BD", item_type="constructed")
    out = _render(app, essay, "en", response="My <answer>")
    assert "My &lt;answer&gt;</textarea>" in out and f"({essay.max_points} points)" in out
    assert '<label for="q7-en-text">' in out and "Marking 14" not in out  # never the rubric
