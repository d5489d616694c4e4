"""Cross-cutting web concerns: sign-in loading, roles, errors, headers, filters."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any, ParamSpec, TypeVar

from flask import Flask, Response, abort, flash, g, jsonify, render_template, request
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFError
from markupsafe import Markup
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter

from certexam import body_limits, db, sessions
from certexam.domain.locales import SUPPORTED, negotiate
from certexam.errors import UserError
from certexam.extensions import login_manager
from certexam.i18n import COOKIE as LANG_COOKIE
from certexam.models import Role, User
from certexam.services.platform.clock import PROGRAMME_TZ

P = ParamSpec("P")
R = TypeVar("R")


_READS = frozenset({"GET", "HEAD"})


def _allowed(roles: tuple[Role, ...], read: tuple[Role, ...]) -> bool:
    """The signed-in user holds one of `roles`, or one of `read` and only reads (GET/HEAD)."""
    return bool(current_user.has_role(*roles) or (read and request.method in _READS and current_user.has_role(*read)))


def roles_required(*roles: Role, read: tuple[Role, ...] = ()) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Allow only signed-in users holding one of `roles` (or one of `read`, for GET and HEAD only: the
    read-only auditor, issue 19.6): others get 401 (then sign-in) or 403."""

    def decorator(fn: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(fn)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            if not current_user.is_authenticated:
                return login_manager.unauthorized()  # type: ignore[no-any-return]
            if not _allowed(roles, read):
                abort(403)
            return fn(*args, **kwargs)

        wrapper.allowed_roles = roles  # type: ignore[attr-defined]  # read by the route-table test
        wrapper.read_roles = read  # type: ignore[attr-defined]
        return wrapper

    return decorator


MAX_ID_DIGITS = 12  # ids in paths: more digits than any table will reach, fewer than overflow


def object_id(raw: str) -> int:
    """A path segment as a database id, or 404 (a tampered id is a clean 404, after the role check)."""
    if not (raw.isascii() and raw.isdigit()) or len(raw) > MAX_ID_DIGITS:
        abort(404)
    return int(raw)


def page_number(limit: int = 1_000_000) -> int:
    """The `page` query argument: a positive integer under `limit`, else the first page."""
    raw = request.args.get("page", "1")
    return int(raw) if raw.isascii() and raw.isdigit() and 0 < int(raw) < limit else 1


def show_error(form: FlaskForm | None, exc: UserError) -> None:
    """Put a service's message under the field it is about, else at the top of the page."""
    field = getattr(form, exc.field, None) if form is not None and exc.field else None
    if field is not None and hasattr(field, "errors"):
        field.errors = [*field.errors, exc.message]
    else:
        flash(exc.message, "error")


def flash_form_errors(form: FlaskForm) -> None:
    """Flash every field error of a form that is not shown beside its field."""
    for name, errors in form.errors.items():
        label = getattr(form, name).label.text if hasattr(form, name) else name
        for err in errors:
            flash(f"{label}: {err}", "error")


class BoundedInt(IntegerConverter):
    """Integer URL parts that fit a database key: a 30-digit id is a plain 404, not an overflow."""

    def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:  # noqa: A002 - werkzeug's name
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(map, *args, **kwargs)


def api_roles(*roles: Role, read: tuple[Role, ...] = ()) -> Callable[[Callable[P, R]], Callable[P, Any]]:
    """Like roles_required, but answers 401/403 as JSON instead of redirecting to sign-in."""

    def decorator(fn: Callable[P, R]) -> Callable[P, Any]:
        @functools.wraps(fn)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> Any:
            if not current_user.is_authenticated:
                return jsonify(error=_("Sign in first.")), 401
            if not _allowed(roles, read):
                return jsonify(error=_("You do not have access to this page.")), 403
            return fn(*args, **kwargs)  # a UserError becomes JSON in the error handler below

        wrapper.allowed_roles = roles  # type: ignore[attr-defined]  # read by the route-table test
        wrapper.read_roles = read  # type: ignore[attr-defined]
        return wrapper

    return decorator


# C0 controls and DEL: a NUL byte failed on PostgreSQL with a 500 (issue 19.8) and none of them is
# text anyone types. Typed text keeps tab and line breaks; an address or query keeps none.
_CONTROL_IN_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_CONTROL_IN_URL = re.compile(r"[\x00-\x1f\x7f]")
_FORMS = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})


def _control_refused(where: str, found: re.Match[str]) -> UserError:
    return UserError(_("%(field)s contains an invisible control character (U+%(code)s) that cannot be "
                       "accepted. Remove it and try again.", field=where, code=f"{ord(found.group()):04X}"),
                     where)


def _json_strings(value: Any, key: str = "") -> Iterator[tuple[str, str]]:
    """Every string in a JSON document (keys too), with the key it sits under."""
    if isinstance(value, str):
        yield key, value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield str(k), str(k)
            yield from _json_strings(v, str(k))
    elif isinstance(value, list):
        for item in value:
            yield from _json_strings(item, key)


# A JSON text can carry a control character in a string only as an escape (\u0000-\u001f, \b, \f)
# or as a raw DEL: a body without any of these is let through unparsed by the filter.
_JSON_CONTROL_HINT = re.compile(rb"\\[ubf]|\x7f")


def refuse_control_characters() -> None:
    """The one request filter for control characters: the address, the query, form fields and JSON
    strings; 400 with the field's name, before any view or database sees them. On every autosave,
    so each proxy is resolved once and a body is walked only when it could hold one."""
    req = request._get_current_object()  # noqa: SLF001 - once, not per attribute
    found = _CONTROL_IN_URL.search(req.path)
    if found:
        raise _control_refused("path", found)
    if req.environ.get("QUERY_STRING"):
        for key, value in req.args.items(multi=True):
            found = _CONTROL_IN_URL.search(key) or _CONTROL_IN_URL.search(value)
            if found:
                raise _control_refused(key, found)
    if req.method in ("GET", "HEAD", "OPTIONS"):
        return
    mimetype = req.mimetype
    if mimetype in _FORMS:
        pairs: Any = req.form.items(multi=True)
    elif mimetype == "application/json" or mimetype.endswith("+json"):
        if not _JSON_CONTROL_HINT.search(req.get_data(cache=True)):
            return
        pairs = _json_strings(req.get_json(silent=True))
    else:
        return
    for key, value in pairs:
        found = _CONTROL_IN_TEXT.search(key) or _CONTROL_IN_TEXT.search(value)
        if found:
            raise _control_refused(key, found)


# SQLSTATEs of a database that is going or not yet back: connection exceptions (class 08), admin or
# crash shutdown, "cannot connect now" (starting up), too many connections.
_AWAY_STATES = ("08", "57P01", "57P02", "57P03", "53300")


def _database_away(exc: BaseException) -> bool:
    """True when `exc`, or what caused it, says the database is unreachable for now (issue 19.7)."""
    seen: BaseException | None = exc
    for _depth in range(5):  # an error raised while handling a lost connection (a pending rollback) counts
        if seen is None:
            return False
        if isinstance(seen, OperationalError | InterfaceError | PoolTimeout):
            return True
        if isinstance(seen, DBAPIError) and (seen.connection_invalidated or str(
                getattr(seen.orig, "sqlstate", "") or "").startswith(_AWAY_STATES)):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def init_app(app: Flask) -> None:
    app.session_interface = sessions.CookieSessions()
    # Early, before any view or the CSRF check; certexam.body_limits puts the body limit before it.
    app.before_request_funcs.setdefault(None, []).insert(0, refuse_control_characters)
    sessions.init_app(app)
    login_manager.login_view = "auth.sign_in"
    login_manager.login_message = None  # the sign-in page explains itself

    @login_manager.user_loader
    def _load(session_id: str) -> User | None:
        ident = sessions.parse_id(session_id)  # "<id>:<epoch>": a session of an ended epoch is no one
        if ident is None:
            return None
        user = db.session().get(User, ident[0])
        return user if user is not None and user.active and user.session_epoch == ident[1] else None

    @app.errorhandler(UserError)
    def _user_error(exc: UserError) -> Any:
        if _wants_json():
            return jsonify(error=exc.message, field=exc.field, code=exc.code), exc.status
        return render_template("error.html", code=exc.status, message=exc.message), exc.status

    @app.errorhandler(CSRFError)
    def _csrf(exc: CSRFError) -> Any:
        msg = _("The form expired or was sent from elsewhere. Reload the page and try again.")
        if _wants_json():
            return jsonify(error=msg), 400
        return render_template("error.html", code=400, message=msg), 400

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> Any:
        messages = {
            403: _("You do not have access to this page."),
            404: _("This page does not exist."),
            405: _("This action is not allowed here."),
            413: _("The upload is too large."),
            429: _("Too many requests. Wait a moment and try again."),
        }
        code = exc.code or 500
        msg = messages.get(code, _("The request could not be handled."))
        if code == 413 and request.max_content_length:
            msg = _("The request is too large: this page accepts at most %(size)s.",
                    size=body_limits.size_text(request.max_content_length))
        if _wants_json():
            return jsonify(error=msg), code
        return render_template("error.html", code=code, message=msg), code

    @app.errorhandler(Exception)
    def _bug(exc: Exception) -> Any:
        # A connection the database dropped (a restart), or one it would not open (a server stopping or
        # starting: psycopg's OperationalError on connect is not `connection_invalidated`), or a pool
        # with none free: nothing was committed and the same request will work in a moment, so say
        # "unavailable" with Retry-After (503), not "broken" (issue 19.7).
        lost = _database_away(exc)
        try:
            db.rollback_request()  # the page below may load the user again: not in the failed transaction
        except Exception:  # noqa: BLE001 - a dead connection may fail its rollback too; the answer goes on
            app.logger.warning("rollback after a failed request failed", exc_info=True)
        if lost:
            app.logger.warning("database unavailable: %s", exc)
            # The answer must not ask the database anything: who is signed in (the translation's language,
            # the page's menu) would fail again and turn this 503 into a 500.
            g._login_user = login_manager.anonymous_user()
            cookie = request.cookies.get(LANG_COOKIE)
            g.locale_override = cookie if cookie in SUPPORTED else negotiate(request.accept_languages)
        else:
            app.logger.exception("unhandled error")
        code = 503 if lost else 500
        msg = _("Something went wrong on our side. Your saved work is safe; try again.")
        if _wants_json():
            resp = jsonify(error=msg)
        else:
            resp = app.response_class(render_template("error.html", code=code, message=msg))
        resp.status_code = code
        if lost:
            resp.headers["Retry-After"] = "1"
        return resp

    @app.after_request
    def _headers(resp: Response) -> Response:
        # No inline script anywhere, so the policy can forbid it outright.
        resp.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
        )
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        resp.headers.setdefault("Referrer-Policy", "same-origin")
        resp.headers.setdefault("X-Frame-Options", "DENY")
        if app.config["PRODUCTION"]:
            resp.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        return resp

    @app.template_filter("localtime")
    def _localtime(value: datetime | None, fmt: str = "medium") -> str:
        """Show a UTC time in Asia/Shanghai, formatted for the page language."""
        if value is None:
            return ""
        return format_datetime(value.astimezone(PROGRAMME_TZ), fmt)

    def flash_error(message: str) -> None:
        flash(message, "error")

    from certexam.bankio import safe_html
    from certexam.domain.locales import HTML_LANG, NATIVE_NAMES

    # safe_html keeps only the checked subset, so the result may be marked safe.
    app.jinja_env.filters["safe_html"] = lambda text: Markup(safe_html(text))  # noqa: S704
    app.jinja_env.globals["html_lang_of"] = lambda code: HTML_LANG.get(code, code)
    app.jinja_env.globals["native_name"] = lambda code: NATIVE_NAMES.get(code, code)
    app.jinja_env.globals["Role"] = Role
    app.extensions["certexam.flash_error"] = flash_error
