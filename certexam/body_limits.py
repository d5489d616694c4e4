"""How large a request body may be, decided before a byte of it is read (issue 19.1).

Flask defines MAX_CONTENT_LENGTH as None, so a limit left to `setdefault` never
applied: an anonymous 1 GB POST to the registration photo was read whole (the
worker grew from 0.39 to 1.18 GB). Now every request gets a limit before any
other hook runs (the CSRF check reads the form, the rate limiter comes later):

- a declared Content-Length over it is refused with 413 at once, unread;
- a streamed body (chunked, no length) is read through werkzeug's LimitedStream,
  which stops with 413 at the limit, so memory stays flat whatever is sent;
- routes that take uploads get their own, lower limit (the file's own cap plus
  an envelope for the other fields); the JSON API gets one sized for the
  longest answer; a urlencoded form is capped at MAX_FORM_MEMORY_SIZE and
  MAX_FORM_PARTS fields, which werkzeug applies to multipart bodies only.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

from flask import Flask, current_app, request
from flask.wrappers import Request
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.formparser import FormDataParser

ENVELOPE = 64 * 1024  # a multipart body's other fields, boundaries and headers beside its one file
URLENCODED = "application/x-www-form-urlencoded"


def _photo(cfg: Any) -> int:
    return int(cfg["MAX_PHOTO_BYTES"]) + ENVELOPE


def _staff_list(cfg: Any) -> int:
    from certexam.services.employers.staff_files import MAX_FILE_BYTES

    return MAX_FILE_BYTES + ENVELOPE


def _evidence(cfg: Any) -> int:
    from certexam.services.bonus import settings as bonus_settings

    return bonus_settings.max_evidence_bytes() + ENVELOPE


# Endpoints that take one file of a known cap: the body may be that file and a small envelope.
UPLOAD_ROUTES = {
    "auth.register": _photo,
    "bonus.evidence_upload": _evidence,
    "bonus.objection_new": _evidence,  # one evidence file, as a period's (issue 23)
    "employers.bulk_upload": _staff_list,  # a staff list (issue 23)
}


def limit_for(endpoint: str | None, cfg: Any) -> int:
    """The largest body this endpoint accepts, in bytes."""
    if endpoint is not None:
        if endpoint.startswith("api."):
            return int(cfg["API_MAX_BODY_BYTES"])
        upload = UPLOAD_ROUTES.get(endpoint)
        if upload is not None:
            return min(upload(cfg), int(cfg["MAX_CONTENT_LENGTH"]))
    return int(cfg["MAX_CONTENT_LENGTH"])


def refuse_oversized_body() -> None:
    """Set this request's limit and refuse a declared length over it, before anything reads the body.

    It runs on every autosave: each proxy is resolved once and the headers are read from the
    environ (a Flask proxy lookup is 1-2 microseconds here; the hook was 12-17 before, now about 4).
    """
    req, cfg = request._get_current_object(), current_app.config  # noqa: SLF001 - once, not per attribute
    limit = limit_for(req.endpoint, cfg)
    env = req.environ
    if env.get("CONTENT_TYPE", "").startswith(URLENCODED):
        limit = min(limit, int(cfg["MAX_FORM_MEMORY_SIZE"]))
    req.max_content_length = limit  # also caps a streamed body (werkzeug's LimitedStream)
    length = req.content_length
    if length is not None and length > limit:
        raise RequestEntityTooLarge()


class FieldCountingParser(FormDataParser):
    """werkzeug's parser, but a urlencoded body may hold at most `max_form_parts` fields too.

    werkzeug counts parts of multipart bodies only; 500 kB of `a&a&...` would
    otherwise become a quarter of a million fields in memory.
    """

    def _parse_urlencoded(self, stream: Any, mimetype: str, content_length: int | None,
                          options: dict[str, str]) -> Any:
        try:
            items = parse_qsl(stream.read().decode(), keep_blank_values=True, errors="werkzeug.url_quote",
                              max_num_fields=self.max_form_parts)
        except ValueError as exc:  # "Max number of fields exceeded"
            raise RequestEntityTooLarge() from exc
        return stream, self.cls(items), self.cls()


class LimitedRequest(Request):
    form_data_parser_class = FieldCountingParser


def size_text(limit: int) -> str:
    """A limit as people read it: whole MB from one MB up, else kB."""
    mib = 1024 * 1024
    return f"{round(limit / mib)} MB" if limit >= mib else f"{max(1, limit // 1024)} kB"


def init_app(app: Flask) -> None:
    app.request_class = LimitedRequest
    # First of all before-request hooks: flask-wtf's CSRF check reads the form (the whole body).
    app.before_request_funcs.setdefault(None, []).insert(0, refuse_oversized_body)
