"""Signed-in sessions that can be ended (issue 19.2).

Sessions are signed cookies (nothing on the server to delete), so a captured
cookie used to open `/account` and the API after sign-out and after a password
reset, for the cookie's whole 31 days. Now:

- a session names its account's epoch in Flask-Login's id, `"<user id>:<epoch>"`
  (models.User.get_id). Sign-out, a password change or reset, a role change and
  a deactivation raise the epoch (services/accounts/sessions.py), and every
  session naming an older one is refused: the user loader compares one integer,
  and the exam's hot calls compare it inside their own statement
  (services/attempts/autosave_sql.owner_ids), so they still load no user;
- a session records when it was opened and last used: past SESSION_IDLE_MINUTES
  unused or SESSION_ABSOLUTE_HOURS old it is signed out, and the cookie's signature
  itself expires after SESSION_ABSOLUTE_HOURS (PERMANENT_SESSION_LIFETIME). The
  last-used stamp is rewritten at most once a minute, so a run of autosaves does
  not re-sign the cookie on every call.
"""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from flask import Flask, Request, current_app, session
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from flask_login import logout_user, user_logged_in

OPENED, SEEN = "_opened", "_seen"  # epoch seconds, in the signed session
SEEN_EVERY = 60  # seconds between rewrites of the last-used stamp
MAX_ID_DIGITS = 12


def parse_id(raw: object) -> tuple[int, int] | None:
    """(user id, epoch) from a session's Flask-Login id, or None for anything else (an older format too)."""
    if not isinstance(raw, str):
        return None
    uid, sep, epoch = raw.partition(":")
    if not sep or not (uid.isascii() and uid.isdigit() and epoch.isascii() and epoch.isdigit()) \
            or len(uid) > MAX_ID_DIGITS or len(epoch) > MAX_ID_DIGITS:
        return None
    return int(uid), int(epoch)


def _stamp(_app: Any, **_extra: Any) -> None:
    now = int(time.time())
    session[OPENED] = session[SEEN] = now


def verdict(opened: object, seen: object, now: int, idle_minutes: float, absolute_hours: float) -> str:
    """What a signed-in session's time stamps call for at `now` (epoch seconds): "expired" (sign it
    out), "stamp" (rewrite its last-used stamp, at most once every SEEN_EVERY) or "ok". The one rule,
    for Flask's hook below and for the push server (api/push_server.py), which answers without Flask."""
    if not isinstance(opened, int) or not isinstance(seen, int) \
            or now - opened > absolute_hours * 3600 or now - seen > idle_minutes * 60:
        return "expired"
    return "stamp" if now - seen >= SEEN_EVERY else "ok"


def end_expired_session() -> None:
    """Sign out a session that is idle or too old; keep its last-used stamp fresh otherwise."""
    sess = session._get_current_object()  # noqa: SLF001 - once, not per key (it runs on every autosave)
    if "_user_id" not in sess:  # no cookie (bearer calls) or not signed in: nothing to do
        return
    cfg, now = current_app.config, int(time.time())
    found = verdict(sess.get(OPENED), sess.get(SEEN), now, cfg["SESSION_IDLE_MINUTES"], cfg["SESSION_ABSOLUTE_HOURS"])
    if found == "expired":
        logout_user()
        sess.pop(OPENED, None)
        sess.pop(SEEN, None)
    elif found == "stamp":
        sess[SEEN] = now


class CookieSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie session, but a request without the cookie (every bearer-token call of
    an exam day) gets its empty session without a signer built for it first (issue 4: autosave)."""

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if app.secret_key and not request.cookies.get(self.get_cookie_name(app)):
            return self.session_class()
        return super().open_session(app, request)


def init_app(app: Flask) -> None:
    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(hours=app.config["SESSION_ABSOLUTE_HOURS"])
    user_logged_in.connect(_stamp, app)
    app.before_request(end_expired_session)
