"""certexam: a certification-exam platform for a FinTech professional programme."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask

from certexam import config as cfg

PACKAGE = Path(__file__).resolve().parent
"""Where the package and what ships inside it live: templates, static, migrations, banks, catalogs."""


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the app: config, then extensions, blueprints, error pages and CLI."""
    # Flask's own default: `instance/` beside a checkout (or an editable install), and
    # `<venv>/var/certexam-instance` for an installed wheel, which must run from any directory.
    instance = os.environ.get("CERTEXAM_INSTANCE_PATH") or None
    if test_config and test_config.get("INSTANCE_PATH"):
        instance = str(test_config["INSTANCE_PATH"])
    app = Flask(__name__, instance_path=instance, instance_relative_config=True)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    app.config.update(cfg.DEFAULTS)
    app.config.from_pyfile("config.py", silent=True)  # instance/config.py, never in git
    app.config.update(cfg.from_environment())
    if test_config:
        app.config.update(test_config)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = cfg.instance_secret_key(Path(app.instance_path))
    if not app.config.get("DATABASE_URL"):
        app.config["DATABASE_URL"] = cfg.sqlite_url(Path(app.instance_path))
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    app.config["SESSION_COOKIE_SECURE"] = bool(app.config["PRODUCTION"])
    app.config["REMEMBER_COOKIE_SECURE"] = bool(app.config["PRODUCTION"])
    app.config["REMEMBER_COOKIE_HTTPONLY"] = True

    from certexam import body_limits, db, i18n, limiter_storage, web

    app.config["RATELIMIT_STORAGE_URI"] = limiter_storage.storage_uri(app.config)
    if int(app.config["TRUSTED_PROXIES"]):  # behind N proxies: the client is who the nearest says
        from werkzeug.middleware.proxy_fix import ProxyFix

        n = int(app.config["TRUSTED_PROXIES"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)  # type: ignore[method-assign]

    app.url_map.converters["int"] = web.BoundedInt  # before any blueprint adds its rules
    from certexam.extensions import babel, csrf, limiter, login_manager

    db.init_app(app)
    babel.init_app(app, locale_selector=i18n.select_locale, default_locale="zh_Hans",
                   default_timezone="Asia/Shanghai")
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    i18n.init_app(app)
    web.init_app(app)
    body_limits.init_app(app)  # its hook goes first of all: before anything reads a body

    from certexam.admin import bp as admin_bp
    from certexam.api import bp as api_bp
    from certexam.auth import bp as auth_bp
    from certexam.bank import bp as bank_bp
    from certexam.bonus import bp as bonus_bp
    from certexam.certificates import bp as certificates_bp
    from certexam.employers import bp as employers_bp
    from certexam.exams import bp as exams_bp
    from certexam.main import bp as main_bp
    from certexam.results import bp as results_bp
    from certexam.sittings import bp as sittings_bp
    from certexam.statistics import bp as statistics_bp
    from certexam.subsidies import bp as subsidies_bp
    from certexam.tlog import bp as tlog_bp

    app.register_blueprint(main_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(bank_bp)
    app.register_blueprint(certificates_bp)
    app.register_blueprint(exams_bp)
    app.register_blueprint(api_bp)
    app.register_blueprint(sittings_bp)
    app.register_blueprint(results_bp)
    app.register_blueprint(bonus_bp)
    app.register_blueprint(statistics_bp)
    app.register_blueprint(employers_bp)
    app.register_blueprint(subsidies_bp)
    app.register_blueprint(tlog_bp)

    from certexam.api import auth as api_auth

    api_auth.init_app(app)  # every /api/v1 route, whichever blueprint serves it (issue 19.5)

    from certexam.cli import register

    register(app)
    return app
