"""The push server: the exam page's long poll served by one asyncio process (issue 18).

Why it exists: through gunicorn each poll of GET /api/v1/attempts/<id>/push was a Flask request
(2-3 ms of CPU in a process of ~1,000 threads) and held a thread while it waited; at the poll rate
of 10,000 candidates that left the autosave 44-63 % of the bare durable write (BENCHMARKS.md,
session 9). Here a waiting poll is a coroutine (no thread, no database connection) and the usual
poll, "nothing newer than my marker" answered after the bounded wait, costs one statement and no
Flask request. `certexam push-server` runs it (docs/deploy.md, "The push channel").

It serves only that route, with the Flask route's contract (api/push.py), and builds the same app
as certexam/wsgi.py for its engine, its session signer and its answers:
- native: a well-formed `since`, a bearer token or a session cookie Flask would take on its hot path
  (api/auth.py; sessions.verdict "ok"), the owner check and the marker read in one statement on the
  thread pool; nothing newer: wait for the process's watcher (services/attempts/push.py, LoopWake),
  then answer the idle JSON with the headers Flask's answer carries (taken from Flask at start);
- everything else (a refusal, a bad `since`, newer events, a wake-up, a session stamp due for
  rewrite, any doubt) is Flask's own answer: the app's WSGI callable on the thread pool with the
  route's wait turned off (push.NO_WAIT). When that answer is "nothing newer than your marker", this
  server still does the waiting before delivering it, so no poll comes straight back.
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import random
import re
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar
from urllib.parse import unquote_to_bytes

from aiohttp import web
from flask import Flask, session
from itsdangerous import BadSignature
from multidict import CIMultiDict
from werkzeug.http import parse_cookie
from werkzeug.test import run_wsgi_app

from certexam import sessions
from certexam.extensions import login_manager
from certexam.services.accounts import api_tokens
from certexam.services.attempts import push, push_sql
from certexam.services.attempts.autosave_sql import Owner

ROUTE = re.compile(r"/api/v1/attempts/([1-9][0-9]{0,9})/push")  # the canonical form; others go to Flask
SINCE = re.compile(r"since=([0-9]{1,18})")  # the whole query string, as api/push.py would take it
MAX_ID = 2**31 - 1  # web.BoundedInt
MAX_WAITERS = 20_000  # unless PUSH_MAX_WAITERS says otherwise: a waiter is a coroutine, not a thread
READY_MARK = "push server ready"
Answer = tuple[int, str, list[tuple[str, str]], bytes]  # status, reason, headers, body
T = TypeVar("T")


def idle(marker: int, busy: bool = False) -> dict[str, Any]:
    """The route's answer when nothing is newer than `marker` (busy: too many wait, come back later)."""
    return {"marker": marker, "changed": False, "events": [], "added_minutes": 0,
            "retry_after": push.RETRY_SECONDS if busy else None, "state": None}


def max_waiters(app: Flask) -> int:
    raw = app.config.get("PUSH_MAX_WAITERS", os.environ.get("CERTEXAM_PUSH_MAX_WAITERS"))
    return MAX_WAITERS if raw is None else int(float(raw))


class PushServer:
    def __init__(self, app: Flask, threads: int, host: str = "127.0.0.1", port: int = 8001) -> None:
        self.app, self.host, self.port = app, host, port
        self.engine = app.extensions["certexam.engine"]
        self.threads = threads
        self.pool = ThreadPoolExecutor(threads, thread_name_prefix="certexam-push-pool")
        self.watcher = push.watcher(app)
        self.limit = max_waiters(app)
        self.signer = app.session_interface.get_signing_serializer(app)  # type: ignore[attr-defined]
        self.cookie = app.config["SESSION_COOKIE_NAME"]
        self.max_age = int(app.permanent_session_lifetime.total_seconds())
        # Flask-Login's "strong" protection, a remember cookie refreshed on every request or a permanent
        # session refreshed on every request would make Flask's answer differ: such sessions go to Flask.
        self.cookie_native = (app.config.get("SESSION_PROTECTION", login_manager.session_protection) != "strong"
                              and not app.config.get("REMEMBER_COOKIE_REFRESH_EACH_REQUEST"))
        self.headers = self._idle_headers()
        self.waiting: set[push.LoopWake] = set()
        self.closing = False
        self.native = self.via_flask = 0  # answers of each kind (logged at exit)

    def _idle_headers(self) -> list[tuple[str, str]]:
        """The headers of Flask's idle answer (security headers, Vary, no-store), from Flask itself."""
        with self.app.test_request_context("/api/v1/attempts/1/push", query_string="since=0"):
            session.get("_user_id")  # as sessions.end_expired_session does on every request
            resp = self.app.make_response(self.app.json.response(idle(0)))
            resp.headers["Cache-Control"] = "no-store"
            resp = self.app.process_response(resp)
        return [(k, v) for k, v in resp.headers.items() if k.lower() not in ("content-length", "set-cookie")]

    def _answer(self, body: dict[str, Any]) -> web.Response:
        self.native += 1
        data = self.app.json.dumps(body) + "\n"  # as flask.jsonify renders it
        return web.Response(body=data.encode(), headers=CIMultiDict(self.headers))

    # -- who asks, natively -------------------------------------------------------------------------------------

    def owner(self, request: web.Request) -> Owner | None:
        """The caller as api/auth.py's hot path names it, or None to let Flask decide."""
        auth = request.headers.getall("Authorization", [])
        if auth:
            if len(auth) != 1 or not auth[0].startswith("Bearer "):
                return None
            digest = api_tokens.digest_of(auth[0][7:].strip())
            return None if digest is None else Owner(token_digest=digest)
        cookies = request.headers.getall("Cookie", [])
        if len(cookies) != 1 or not self.cookie_native:
            return None
        raw = parse_cookie(cookies[0]).get(self.cookie)
        if not raw:
            return None
        try:
            data = self.signer.loads(raw, max_age=self.max_age)
        except BadSignature:
            return None
        ident = sessions.parse_id(data.get("_user_id")) if isinstance(data, dict) else None
        if ident is None or "_remember" in data or data.get("_permanent"):
            return None
        cfg = self.app.config
        if sessions.verdict(data.get(sessions.OPENED), data.get(sessions.SEEN), int(time.time()),
                            cfg["SESSION_IDLE_MINUTES"], cfg["SESSION_ABSOLUTE_HOURS"]) != "ok":
            return None  # signed out, or a last-used stamp to rewrite (a new cookie): Flask's answer
        return Owner(user_id=ident[0], session_epoch=ident[1])

    # -- the route ----------------------------------------------------------------------------------------------

    async def handle(self, request: web.Request) -> web.StreamResponse:
        target = _target(request)
        owner = self.owner(request) if target is not None and not self.closing else None
        if target is None or owner is None:
            return await self._via_flask(request, target)
        aid, marker = target
        try:
            top = await self._run(push_sql.newest_if_owner, self.engine, owner, aid)
        except Exception:  # noqa: BLE001 - the database away, say: Flask's answer (503 with Retry-After)
            return await self._via_flask(request, target)
        if top is None or top != marker:  # refused, newer events, or a marker not reached yet
            return await self._via_flask(request, target)
        woken = await self._wait(aid, marker)
        if woken is None:
            return self._answer(idle(marker, busy=True))
        if woken:  # Flask reads the events and the state
            return _response(await self._flask(request))
        return self._answer(idle(marker))

    async def _via_flask(self, request: web.Request, target: tuple[int, int] | None) -> web.StreamResponse:
        answer = await self._flask(request)
        if target is None or self.closing or answer[0] != 200 or _json(answer[3]) != idle(target[1]):
            return _response(answer)
        # Flask found nothing newer than the marker (and answered at once, push.NO_WAIT): wait here.
        woken = await self._wait(*target)
        if woken:
            return _response(await self._flask(request))
        if woken is None:
            status, reason, headers, _body = answer
            body = (self.app.json.dumps(idle(target[1], busy=True)) + "\n").encode()
            return _response((status, reason, [h for h in headers if h[0].lower() != "content-length"], body))
        return _response(answer)

    async def _wait(self, aid: int, marker: int) -> bool | None:
        """Wait for a proctor event newer than `marker` or the bounded wait's end: True if one came,
        None if too many wait already."""
        wake = push.LoopWake(asyncio.get_running_loop())
        if self.watcher.enter(aid, self.limit, marker, wake) is None:
            return None
        self.waiting.add(wake)
        try:
            if self.watcher.seen(aid) <= marker and not self.closing:
                try:
                    async with asyncio.timeout(push.wait_seconds(self.app, random.random())):
                        await wake.event.wait()
                except TimeoutError:
                    pass
            return self.watcher.seen(aid) > marker
        finally:
            self.waiting.discard(wake)
            self.watcher.leave(aid, wake)

    async def _run(self, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self.pool, fn, *args)

    async def _flask(self, request: web.Request) -> Answer:
        self.via_flask += 1
        environ = self._environ(request, await request.read())
        return await self._run(self._call_flask, environ)

    def _call_flask(self, environ: dict[str, Any]) -> Answer:
        app_iter, status, headers = run_wsgi_app(self.app, environ, buffered=True)
        try:
            body = b"".join(app_iter)
        finally:
            getattr(app_iter, "close", lambda: None)()
        code, _sep, reason = status.partition(" ")
        return int(code), reason, list(headers.items()), body

    def _environ(self, request: web.Request, body: bytes) -> dict[str, Any]:
        """The WSGI environ gunicorn would build for this request, plus push.NO_WAIT."""
        path, _sep, query = request.raw_path.partition("?")
        env: dict[str, Any] = {
            "REQUEST_METHOD": request.method, "SCRIPT_NAME": "", "QUERY_STRING": query,
            "PATH_INFO": unquote_to_bytes(path).decode("latin-1"),
            "SERVER_NAME": self.host, "SERVER_PORT": str(self.port),
            "SERVER_PROTOCOL": f"HTTP/{request.version.major}.{request.version.minor}",
            "REMOTE_ADDR": request.remote or "", "wsgi.version": (1, 0), "wsgi.url_scheme": request.scheme,
            "wsgi.input": io.BytesIO(body), "wsgi.errors": sys.stderr, "wsgi.multithread": True,
            "wsgi.multiprocess": False, "wsgi.run_once": False, push.NO_WAIT: True}
        for name, raw in request.headers.items():
            if "_" in name:  # gunicorn drops them (a header spoofing another's WSGI key)
                continue
            key = name.upper().replace("-", "_")
            value = raw.encode("utf-8", "surrogateescape").decode("latin-1")  # WSGI strings are latin-1
            if key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
                env[key] = value
            else:
                key = "HTTP_" + key
                env[key] = f"{env[key]},{value}" if key in env else value
        if body or "CONTENT_LENGTH" in env:
            env["CONTENT_LENGTH"] = str(len(body))
        return env

    # -- life cycle ---------------------------------------------------------------------------------------------

    async def _on_shutdown(self, _web_app: web.Application) -> None:
        # SIGTERM: every waiting poll answers now (nothing newer) and its page polls again elsewhere.
        self.closing = True
        for wake in list(self.waiting):
            wake.event.set()

    async def _on_cleanup(self, _web_app: web.Application) -> None:
        self.pool.shutdown(wait=True)
        self.engine.dispose()
        print(f"certexam push-server {os.getpid()}: stopped ({self.native} answered natively, "
              f"{self.via_flask} by Flask)", file=sys.stderr, flush=True)

    def web_app(self) -> web.Application:
        web_app = web.Application()
        web_app.router.add_route("*", r"/api/v1/attempts/{attempt}/push", self.handle)
        web_app.on_shutdown.append(self._on_shutdown)
        web_app.on_cleanup.append(self._on_cleanup)
        return web_app

    def run(self) -> None:
        def ready(*_args: Any) -> None:
            print(f"certexam push-server {os.getpid()}: {READY_MARK} on {self.host}:{self.port}, "
                  f"{self.threads} thread(s), at most {self.limit} waiting",
                  file=sys.stderr, flush=True)

        web.run_app(self.web_app(), host=self.host, port=self.port, access_log=None, print=ready,
                    shutdown_timeout=5, handle_signals=True)


def _target(request: web.Request) -> tuple[int, int] | None:
    """(attempt id, marker) of a plain poll: GET, the canonical path, `since=<digits>` alone, no body."""
    path, _sep, query = request.raw_path.partition("?")
    found, since = ROUTE.fullmatch(path), SINCE.fullmatch(query)
    if request.method != "GET" or found is None or since is None or request.body_exists:
        return None
    aid = int(found.group(1))
    return (aid, int(since.group(1))) if aid <= MAX_ID else None


def _json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        return None


def _response(answer: Answer) -> web.Response:
    status, reason, headers, body = answer
    return web.Response(status=status, reason=reason or None, body=body, headers=CIMultiDict(headers))
