"""Flask extensions, created here and bound in create_app."""

from __future__ import annotations

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf import CSRFProtect


class ExamLimiter(Limiter):
    """Flask-Limiter whose per-request hook returns at once for a request its filters exempt.

    The library asks the filters only after resolving the endpoint and then still
    evaluates its meta limits for the exempted request: about 0.05 ms of an
    autosave's 0.4 ms (measured in process, issue 4). Limits declared with
    `@limiter.limit` are checked by their decorator, not by this hook, so they
    are unaffected. Relies on Flask-Limiter 4's `_check_request_limit` (pinned).
    """

    def _check_request_limit(self, callable_name: str | None = None, in_middleware: bool = True) -> None:
        if in_middleware and any(exempt() for exempt in self._request_filters):
            return
        super()._check_request_limit(callable_name=callable_name, in_middleware=in_middleware)


babel = Babel()
csrf = CSRFProtect()
login_manager = LoginManager()
# Counters in memory by default; CERTEXAM_RATELIMIT_STORAGE_URI=redis://... shares them
# between app servers in production.
limiter = ExamLimiter(key_func=get_remote_address, default_limits=[])
