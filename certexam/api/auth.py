"""One authentication layer for every /api/v1 route (issue 19.5), whichever blueprint serves it.

Bearer tokens used to work only on the api blueprint's routes: /api/v1/results/* and
/api/v1/bonus/* (served by their features' blueprints) answered 401 to a token, and the
release POST 400 for a missing CSRF token, though the OpenAPI document declares bearer
for all of them. Now one app-level hook authenticates every request under /api/v1:

- `Authorization: Bearer <token>`: that user for this request only (nothing in the
  session), no CSRF check (a browser never sends the header by itself, so a forged
  cross-site request has none), and `Cache-Control: no-store` on the answer;
- else the signed session, and a state-changing call needs the X-CSRFToken header;
- neither: 401, except for the OpenAPI document.

The exam's hottest calls (`HOT`) check their caller inside their own statement
(services/attempts/autosave_sql.Owner): no user is loaded for them unless they are
refused (issue 4).
"""

from __future__ import annotations

from typing import Any

from flask import Flask, abort, current_app, g, request, session
from flask_login import current_user
from flask_wtf.csrf import CSRFError, validate_csrf
from wtforms import ValidationError

from certexam import sessions
from certexam.extensions import csrf, login_manager
from certexam.services.accounts import api_tokens
from certexam.services.attempts.autosave_sql import Owner

PREFIX = "/api/v1/"
# The verification API is public and the watch API takes an organisation's key (X-Api-Key), which
# employers/api.py checks itself (issue 23).
PUBLIC = frozenset({"api.openapi", "employers.api_verify", "employers.api_watch_list", "employers.api_watch_add",
                    "employers.api_watch_remove"})
HOT = frozenset({"api.save_answer", "api.flag", "api.attempt_state", "api.paper", "api.start", "api.submit",
                 "api.push"})  # the push poll (issue 18.6): every candidate's page holds one all day


def authenticate() -> None:
    if not request.path.startswith(PREFIX):
        return
    endpoint = request.endpoint
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        g.bearer = True
        token = header[7:].strip()
        digest = api_tokens.digest_of(token) if endpoint in HOT else None
        if digest is not None:
            g.owner, g.deferred_token = Owner(token_digest=digest), token
        else:
            sign_in_bearer(token)
        return
    if endpoint in PUBLIC:
        return
    # Flask-Login's key in the signed session cookie. Its "strong" session protection (off here:
    # "basic" only marks a session not fresh) would have to run first, so it turns the shortcut off.
    strong = current_app.config.get("SESSION_PROTECTION", login_manager.session_protection) == "strong"
    ident = None if strong or endpoint not in HOT else sessions.parse_id(session.get("_user_id"))
    if ident is not None:  # active, a candidate, the session's epoch still the account's: in the statement
        g.owner = Owner(user_id=ident[0], session_epoch=ident[1])
    elif not current_user.is_authenticated:
        abort(401)
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        try:
            validate_csrf(request.headers.get("X-CSRFToken", ""))
        except ValidationError as exc:
            raise CSRFError(str(exc)) from exc


def sign_in_bearer(token: str) -> None:
    user = api_tokens.user_for(token)
    if user is None:
        abort(401)
    g._login_user = user  # Flask-Login's per-request user: this request only, nothing in the session


def _no_store_for_bearer(resp: Any) -> Any:
    if g.get("bearer"):
        resp.headers["Cache-Control"] = "no-store"
    return resp


def init_app(app: Flask) -> None:
    """After every blueprint is registered: the CSRF check of /api/v1 routes is this layer's."""
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(PREFIX) and rule.endpoint in app.view_functions:
            csrf.exempt(app.view_functions[rule.endpoint])
    app.before_request(authenticate)
    app.after_request(_no_store_for_bearer)
