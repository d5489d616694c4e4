"""Choosing the page language: the user's setting, a cookie, else Accept-Language."""

from __future__ import annotations

import os

from flask import Flask, g, has_request_context, request
from flask_login import current_user

from certexam.domain.locales import DEFAULT, HTML_LANG, NATIVE_NAMES, SUPPORTED, map_tag, negotiate

COOKIE = "certexam_lang"


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
    @app.context_processor
    def _languages() -> dict[str, object]:
        from flask_babel import get_locale

        code = str(get_locale() or DEFAULT)
        return {
            "current_locale": code,
            "html_lang": HTML_LANG.get(code, "zh-Hans"),
            "languages": [(c, NATIVE_NAMES[c], HTML_LANG[c]) for c in SUPPORTED],
        }
