"""Choosing the page language: the user's setting, a cookie, else Accept-Language."""

from __future__ import annotations

import os

from flask import Flask, g, has_request_context, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from certexam.domain.locales import DEFAULT, HTML_LANG, NATIVE_NAMES, SUPPORTED, map_tag, negotiate

COOKIE = "certexam_lang"

# Issue 22: module and direction names in the page's language on every page and export. The msgids
# are the catalogue's English names (domain/catalogue.py; tests/unit/test_names.py keeps them equal),
# written out here so that extraction finds them.
MODULE_NAMES: dict[str, object] = {
    "L1-ETH": _l("Financial ethics and professional conduct"),
    "L1-STD": _l("FinTech standards and regulation"),
    "L1-ECO": _l("Economics"),
    "L1-FIN": _l("Finance fundamentals"),
    "L1-ACC": _l("Accounting and financial statements"),
    "L1-QNT": _l("Quantitative methods and statistics"),
    "L1-PAY": _l("Payments and digital banking"),
    "L1-BC": _l("Blockchain and distributed ledgers"),
    "L1-CMP": _l("Computing fundamentals"),
    "L1-PRG": _l("Programming and algorithms"),
    "L1-DB": _l("Data and databases"),
    "L1-NET": _l("Networks and information security"),
    "L1-AI": _l("Foundations of artificial intelligence"),
    "L2-ETH": _l("FinTech ethics"),
    "L2-GEN": _l("FinTech practice (common part)"),
    "L2-AI": _l("Artificial intelligence direction"),
    "L2-BD": _l("Big data direction"),
    "L2-CLD": _l("Cloud and distributed computing direction"),
}
DIRECTION_NAMES: dict[str, object] = {
    "AI": _l("Artificial intelligence"),
    "BD": _l("Big data"),
    "CLD": _l("Cloud and distributed computing"),
}


def module_label(code: str) -> str:
    """A module's name in the page language (its code when unknown)."""
    return str(MODULE_NAMES.get(code, code))


def direction_label(code: str) -> str:
    """A level-2 direction's name in the page language (its code when unknown)."""
    return str(DIRECTION_NAMES.get(code, code))


def select_locale() -> str:
    if not has_request_context():  # CLI commands and background jobs: the shell's language
        if "locale_override" in g:
            return str(g.locale_override)
        for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
            code = map_tag(os.environ.get(var, "").split(".")[0])
            if code is not None:
                return code
        return DEFAULT
    if "locale_override" in g:
        return str(g.locale_override)
    if current_user.is_authenticated and current_user.locale in SUPPORTED:
        return str(current_user.locale)
    cookie = request.cookies.get(COOKIE)
    if cookie in SUPPORTED:
        return str(cookie)
    return negotiate(request.accept_languages)


def init_app(app: Flask) -> None:
    app.add_template_global(module_label)
    app.add_template_global(direction_label)

    @app.context_processor
    def _languages() -> dict[str, object]:
        from flask_babel import get_locale

        code = str(get_locale() or DEFAULT)
        return {
            "current_locale": code,
            "html_lang": HTML_LANG.get(code, "zh-Hans"),
            "languages": [(c, NATIVE_NAMES[c], HTML_LANG[c]) for c in SUPPORTED],
        }
