"""The form-based item editor (issue 22): the same YAML, checks and draft versions as the YAML editor."""

from __future__ import annotations

import html
import re
from dataclasses import replace
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from certexam import db
from certexam.domain.bank_workflow import VersionStatus
from certexam.models import BankItem, BankItemVersion, Role
from certexam.services.bank import items as bank
from tests.conftest import post_form
from tests.factories import sign_in, staff
from tests.functional.test_bank_pages import count_rows, load, text_of
from tests.integration.test_bank_service import gen_item

EN = {"Accept-Language": "en"}


@pytest.fixture
def author(app: Flask, client: FlaskClient) -> int:
    user = staff(app, Role.ITEM_AUTHOR)
    sign_in(client, user.email)
    return user.id


def two_languages(**extra: str) -> dict[str, str]:
    """A single-choice item written in simplified Chinese and Portuguese, with a blank third option row."""
    return {"module": "L1-ETH", "type": "single_choice", "difficulty": "2", "tags": "ethics, gifts",
            "stem_zh_Hans": "客户送礼，应当如何处理？", "stem_pt": "Um cliente oferece um presente. O que fazer?",
            "opt_A_zh_Hans": "收下", "opt_A_pt": "Aceitar",
            "opt_B_zh_Hans": "按公司政策申报", "opt_B_pt": "Declarar segundo a política da empresa",
            "opt_D_zh_Hans": "转送同事", "opt_D_pt": "Dá-lo a um colega",
            "key": "B", "explanation_zh_Hans": "礼品须申报。", "explanation_pt": "Os presentes são declarados.",
            **extra}


def latest_content(app: Flask, external_id: str) -> tuple[str, VersionStatus, int]:
    with app.app_context():
        version = db.session().scalar(
            select(BankItemVersion).join(BankItem, BankItem.id == BankItemVersion.item_id)
            .where(BankItem.external_id == external_id).order_by(BankItemVersion.version_no.desc()))
        assert version is not None
        return version.content, version.status, version.version_no


def yaml_shown(body: str) -> str:
    found = re.search(r'<pre class="yaml-source">(.*?)</pre>', body, re.S)
    assert found, "the page shows no YAML"
    return html.unescape(found[1])


def test_new_item_in_two_languages_equals_the_yaml_editors(app: Flask, client: FlaskClient, author: int) -> None:
    data = two_languages(item_id="L1-ETH-5001")
    shown = post_form(client, "/admin/bank/new/form", {**data, "preview": "1"}, headers=EN)
    assert shown.status_code == 200 and count_rows(app) == (0, 0)  # a preview saves nothing
    body = text_of(shown)
    assert "Declarar segundo a política da empresa" in body and "按公司政策申报" in body  # the preview, both languages
    text = yaml_shown(body)
    assert "key: C" in text and "answer: B" in text and "zh_Hant" not in text  # the blank row C dropped, D -> C

    saved = post_form(client, "/admin/bank/new/form", {**data, "save": "1"}, headers=EN)
    assert saved.status_code == 302 and saved.headers["Location"].endswith("/admin/bank/L1-ETH-5001")
    form_content, status, number = latest_content(app, "L1-ETH-5001")
    assert status == VersionStatus.DRAFT and number == 1

    # The same item typed into the YAML editor is stored with the same content.
    via_yaml = post_form(client, "/admin/bank/new", {"text": text.replace("L1-ETH-5001", "L1-ETH-5002"),
                                                      "save": "1"}, headers=EN)
    assert via_yaml.status_code == 302
    yaml_content, _status, _n = latest_content(app, "L1-ETH-5002")
    assert yaml_content.replace("L1-ETH-5002", "L1-ETH-5001") == form_content


def test_blank_id_takes_the_modules_next_one(app: Flask, client: FlaskClient, author: int) -> None:
    load(app, [replace(gen_item(1, module="L1-ETH", item_type="single_choice"), id="L1-ETH-0041")])
    saved = post_form(client, "/admin/bank/new/form", {**two_languages(), "save": "1"}, headers=EN)
    assert saved.status_code == 302 and saved.headers["Location"].endswith("/admin/bank/L1-ETH-0042")


def test_errors_stand_next_to_their_fields_and_nothing_is_saved(app: Flask, client: FlaskClient,
                                                                author: int) -> None:
    # English in the stem and option A only: the other options and the explanation lack it; one key; a bad tag.
    data = two_languages(stem_en="A client offers a gift.", opt_A_en="Accept", key="B", tags="good bad:tag",
                         type="multiple_response")
    resp = post_form(client, "/admin/bank/new/form", {**data, "save": "1"}, headers=EN)
    assert resp.status_code == 200 and count_rows(app) == (0, 0)
    body = text_of(resp)
    assert "The item has" in body and "error(s)" in body

    def errors_of(name: str) -> str:
        found = re.search(rf'<ul class="error field-errors" id="err-{name}">(.*?)</ul>', body, re.S)
        assert found, f"no errors next to {name}"
        return html.unescape(found[1])

    assert "lacks en text, which the stem has" in errors_of("opt_B")  # the domain's own message, on row B
    # Row C was blank: row D moved up to become option C, and its message stands on that row.
    assert "The option C lacks en text" in errors_of("opt_C") and 'id="err-opt_D"' not in body
    moved = re.search(r'<textarea[^>]*name="opt_C_pt"[^>]*>\r?\n?(.*?)</textarea>', body, re.S)
    assert moved and html.unescape(moved[1]) == "Dá-lo a um colega"
    assert re.findall(r'<input type="checkbox" name="key" value="([A-H])" checked>', body) == ["B"]
    assert "lacks en text, which the stem has" in errors_of("explanation")
    assert 'id="err-opt_A"' not in body
    assert "2 or more keys" in errors_of("key")
    assert "bad:tag" in errors_of("tags")
    assert 'aria-describedby="err-tags"' in body
    kept = re.search(r'<textarea[^>]*name="opt_A_en"[^>]*>\r?\n?(.*?)</textarea>', body, re.S)
    assert kept and kept[1] == "Accept"  # nothing typed is lost

    one_key = post_form(client, "/admin/bank/new/form", {**two_languages(), "key": ["A", "B"], "save": "1"},
                        headers=EN)
    assert "Choose one key for a single-choice item." in text_of(one_key) and count_rows(app) == (0, 0)
    no_zh = {k: v for k, v in two_languages().items() if not k.endswith("zh_Hans")}
    refused = post_form(client, "/admin/bank/new/form", {**no_zh, "save": "1"}, headers=EN)
    assert "zh_Hans is required" in text_of(refused) and count_rows(app) == (0, 0)


def test_edit_is_prefilled_and_saves_a_new_draft(app: Flask, client: FlaskClient, author: int) -> None:
    item = gen_item(5, module="L1-NET", item_type="multiple_response")  # four languages, keys A and C
    load(app, [item], approve=True)
    page = client.get(f"/admin/bank/{item.id}/edit/form", headers=EN)
    assert page.status_code == 200
    body = text_of(page)
    for lang, value in item.options[3].text.items():
        assert re.search(rf'name="opt_D_{lang}"[^>]*>\r?\n?{re.escape(html.escape(value, quote=False))}</textarea>',
                         body), lang
    assert re.findall(r'<input type="checkbox" name="key" value="([A-H])" checked>', body) == ["A", "C"]
    assert f'href="/admin/bank/{item.id}/edit"' in body  # "Edit as YAML"
    assert f'/admin/bank/{item.id}/edit/form' in text_of(client.get(f"/admin/bank/{item.id}/edit"))
    assert yaml_shown(body) == bank.yaml_of(item)  # the form holds the item exactly

    fields = dict(re.findall(r'<textarea[^>]*name="([a-zA-Z_]+)"[^>]*>\r?\n?(.*?)</textarea>', body, re.S))
    fields = {k: html.unescape(v) for k, v in fields.items()}
    unchanged = post_form(client, f"/admin/bank/{item.id}/edit/form",
                          {**fields, "module": item.module, "type": item.type, "difficulty": str(item.difficulty),
                           "tags": " ".join(item.tags), "scoring": item.scoring, "key": ["A", "C"], "save": "1"},
                          headers=EN)
    assert "Nothing changed since version 1" in text_of(unchanged)  # the YAML editor's own check
    fields["explanation_en"] = "Because the standard says so."
    saved = post_form(client, f"/admin/bank/{item.id}/edit/form",
                      {**fields, "module": item.module, "type": item.type, "difficulty": str(item.difficulty),
                       "tags": " ".join(item.tags), "scoring": item.scoring, "key": ["A", "C"], "save": "1"},
                      headers=EN)
    assert saved.status_code == 302
    content, status, number = latest_content(app, item.id)
    assert number == 2 and status == VersionStatus.DRAFT and "Because the standard says so." in content


def test_add_row_and_yaml_only_types(app: Flask, client: FlaskClient, author: int) -> None:
    more = post_form(client, "/admin/bank/new/form", {**two_languages(), "rows": "4", "add_row": "1"}, headers=EN)
    assert 'name="opt_E_pt"' in text_of(more) and 'name="opt_F_pt"' not in text_of(more)
    assert count_rows(app) == (0, 0)
    constructed = gen_item(4, module="L2-ETH", item_type="constructed")
    load(app, [constructed])
    resp = client.get(f"/admin/bank/{constructed.id}/edit/form", headers=EN)
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/admin/bank/{constructed.id}/edit")
    assert client.get("/admin/bank/NO-SUCH-ITEM/edit/form").status_code == 404


@pytest.mark.parametrize("value", ["\x00", "ZZ", "9" * 40, "<script>", "\ud800".encode("utf-8", "surrogatepass")])
def test_hostile_values_never_fail(app: Flask, client: FlaskClient, author: int, value: Any) -> None:
    hostile = {name: value for name in ("module", "type", "difficulty", "scoring", "key", "truth", "rows",
                                         "item_id", "tags", "enemies", "stem_en", "opt_H_pt")}
    for button in ("save", "preview", "add_row"):
        resp = post_form(client, "/admin/bank/new/form", {**two_languages(), **hostile, button: "1"}, headers=EN)
        assert resp.status_code == (400 if value == "\x00" else 200), button  # the app refuses NUL in any form
    assert count_rows(app) == (0, 0)


def test_true_false_item(app: Flask, client: FlaskClient, author: int) -> None:
    data = {"module": "L1-ETH", "type": "true_false", "item_id": "L1-ETH-5003", "truth": "false",
            "stem_zh_Hans": "收受客户礼品无须申报。", "stem_en": "Gifts from clients need not be declared."}
    saved = post_form(client, "/admin/bank/new/form", {**data, "save": "1"}, headers=EN)
    assert saved.status_code == 302
    content, _status, _n = latest_content(app, "L1-ETH-5003")
    assert '"answer":false' in content.replace(" ", "")
    page = text_of(client.get("/admin/bank/L1-ETH-5003/edit/form", headers=EN))
    assert '<input type="radio" name="truth" value="false" checked>' in page
    no_answer = post_form(client, "/admin/bank/new/form", {**data, "item_id": "L1-ETH-5004", "truth": "maybe",
                                                           "save": "1"}, headers=EN)
    assert "The answer is missing." in text_of(no_answer) and count_rows(app) == (1, 1)


@pytest.mark.parametrize(("lang", "words"), [("pt", "Editar em YAML"), ("zh-HK", "以 YAML 編輯"), ("zh-CN", "题干")])
def test_the_page_speaks_the_readers_language(client: FlaskClient, author: int, lang: str, words: str) -> None:
    page = client.get("/admin/bank/new/form", headers={"Accept-Language": lang})
    assert page.status_code == 200 and words in text_of(page)
