"""The public verification page, rendered once per certificate state for readers who are not signed in
(issue 20.8: the page an employer's phone opens cost 16 times a bare endpoint, mostly the template).

A page is kept per URL and page language with the stamp it was rendered under
(services/certificates/page_stamp.py: the certificate's row, the log's size, the keys, the day). A
request shows it again only while a fresh stamp is equal, so a revocation shows at once. The one part
that differs between readers, the CSRF token of the name-check, receipt and language forms, is kept as a
placeholder and filled in per request. Signed-in readers (an employer sees a "watch" button), POSTs
(a typed name) and pages with a message to flash are always rendered.
"""

from __future__ import annotations

from collections import OrderedDict
from threading import Lock
from typing import Final

from flask import g, request, session
from flask_babel import get_locale
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from certexam.services.certificates.page_stamp import Stamp

MAX_PAGES: Final = 4096  # about 40 MB at most per process; the least recently used page goes first
_PLACEHOLDER: Final = "\x00csrf\x00"
_pages: OrderedDict[tuple[str, str], tuple[Stamp, str]] = OrderedDict()
_lock = Lock()


def applies() -> bool:
    """Whether this request may be answered from, and fill, the cache."""
    return request.method == "GET" and not current_user.is_authenticated and "_flashes" not in session


def _key() -> tuple[str, str]:
    if "page_cache_key" not in g:  # get_locale() runs the language selection: once per request
        g.page_cache_key = (request.full_path, str(get_locale()))
    return g.page_cache_key  # type: ignore[no-any-return]


def get(stamp: Stamp) -> str | None:
    """The page for this URL and language if it was rendered under ``stamp``."""
    key = _key()
    with _lock:
        found = _pages.get(key)
        if found is None or found[0] != stamp:
            return None
        _pages.move_to_end(key)
    return found[1].replace(_PLACEHOLDER, generate_csrf())


def put(stamp: Stamp, html: str) -> None:
    """Keep a page rendered under ``stamp`` (its CSRF token becomes the placeholder)."""
    kept = html.replace(generate_csrf(), _PLACEHOLDER)
    key = _key()
    with _lock:
        _pages[key] = (stamp, kept)
        _pages.move_to_end(key)
        while len(_pages) > MAX_PAGES:
            _pages.popitem(last=False)


def clear() -> None:
    """Forget every page (tests)."""
    with _lock:
        _pages.clear()
