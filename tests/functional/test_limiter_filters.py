"""ExamLimiter: a request its filters exempt skips the per-request hook; every other request is
limited as Flask-Limiter would, and decorated limits still apply (issue 4: the autosave's share)."""

from __future__ import annotations

from flask import Blueprint, Flask, request

from certexam.extensions import ExamLimiter


def _app() -> Flask:
    app = Flask(__name__)
    limiter = ExamLimiter(key_func=lambda: "one-client", default_limits=["2 per minute"],
                          storage_uri="memory://")
    api = Blueprint("api", __name__)

    @limiter.request_filter
    def _exempt() -> bool:
        return request.blueprint == "api"

    @api.get("/api/ping")
    def ping() -> str:
        return "pong"

    @app.get("/page")
    def page() -> str:
        return "page"

    @app.get("/tight")
    @limiter.limit("1 per minute")
    def tight() -> str:
        return "tight"

    app.register_blueprint(api)
    limiter.init_app(app)
    return app


def test_filtered_requests_are_not_limited_and_the_others_are() -> None:
    client = _app().test_client()
    assert [client.get("/api/ping").status_code for _ in range(5)] == [200] * 5
    assert [client.get("/page").status_code for _ in range(3)] == [200, 200, 429]  # the default limit


def test_decorated_limits_still_apply() -> None:
    client = _app().test_client()
    assert [client.get("/tight").status_code for _ in range(2)] == [200, 429]
