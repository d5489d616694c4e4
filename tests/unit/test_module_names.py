"""Module and direction names in the page's language (issue 22: they stayed English on Portuguese pages)."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask_babel import force_locale

from certexam.domain.catalogue import DIRECTIONS, MODULES
from certexam.i18n import DIRECTION_NAMES, MODULE_NAMES, direction_label, module_label
from tests.conftest import make_app


def test_the_msgids_are_the_catalogues_english_names() -> None:
    assert {code: str(name._args[0] if hasattr(name, "_args") else name) for code, name in MODULE_NAMES.items()} \
        == {m.code: m.name_en for m in MODULES}
    assert {code: str(n._args[0] if hasattr(n, "_args") else n) for code, n in DIRECTION_NAMES.items()} \
        == {code: names[1] for code, names in DIRECTIONS.items()}


@pytest.mark.parametrize(("locale", "module", "direction"), [
    ("pt", "Ética financeira e conduta profissional", "Inteligência artificial"),
    ("zh_Hans", "金融职业道德与操守", "人工智能"),
    ("zh_Hant", "金融職業道德與操守", "人工智能"),
    ("en", "Financial ethics and professional conduct", "Artificial intelligence"),
])
def test_names_follow_the_page_language(tmp_path: Path, locale: str, module: str, direction: str) -> None:
    app = make_app(tmp_path)
    with app.test_request_context(), force_locale(locale):
        assert module_label("L1-ETH") == module and direction_label("AI") == direction
        assert module_label("XX-NOPE") == "XX-NOPE"
