"""Configuration: defaults, then the instance folder, then CERTEXAM_* variables.

Secrets (the session key, the key passphrase) never live in git: they come from
the environment or are generated once into the instance folder.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

DEFAULTS: dict[str, Any] = {
    "DATABASE_URL": None,  # None: an SQLite file in the instance folder
    "MAIL_BACKEND": "console",  # console | memory | smtp
    "MAIL_FROM": "noreply@certexam.local",
    "SMTP_HOST": "localhost",
    "SMTP_PORT": 587,
    "SMTP_USER": "",
    "SMTP_PASSWORD": "",
    "SMTP_STARTTLS": True,
    # None: Redis if the worker's queue is in Redis, else the application's database (shared by every
    # worker: certexam/limiter_storage.py). redis://127.0.0.1:6379/0 in production; memory:// is per process.
    "SQLITE_SYNCHRONOUS": "FULL",  # an acknowledged answer survives a power cut too (certexam/db.py)
    # Explicit on every app: Flask-Limiter's one Limiter object keeps the last app's choice as the next
    # app's default, so a test app with limits off turned them off for every app made after it.
    "RATELIMIT_ENABLED": True,
    "RATELIMIT_STORAGE_URI": None,
    # How many reverse proxies stand in front of the app (werkzeug's ProxyFix): their X-Forwarded-For
    # and -Proto are then believed, so limits and logs see the real client. 0: none, headers ignored.
    "TRUSTED_PROXIES": 0,
    # The background worker's queue (services/platform/tasks.py): None is an SQLite file in the instance
    # folder; redis://127.0.0.1:6379/1 in production. WORKER_NAME keeps deployments sharing a Redis apart.
    "WORKER_BACKEND": None,
    "WORKER_NAME": "certexam",
    "MAIL_VIA_WORKER": True,  # mail goes out from the worker, retried (the memory backend never queues)
    # host[:port] the certificate QR codes and links point at. Production must set it (the public
    # verification site). Left unset in development, it is the host a request came to, or DEV_VERIFY_HOST
    # outside a request (`make run` passes the host and port it serves on).
    "VERIFY_HOST": None,
    # The body's LinkedIn page id: the holders' "add to LinkedIn profile" links then name that page
    # (organizationId) instead of the body's name as text (issue 20.7).
    "LINKEDIN_ORGANIZATION_ID": None,
    "PASSWORD_RESET_MAX_AGE": 3600,  # seconds a reset link stays valid
    # A signed-in session ends after this long unused, and this long after sign-in whatever happens
    # (certexam/sessions.py). 12 hours hold a level-2 exam day: two 3-hour papers and the break.
    "SESSION_IDLE_MINUTES": 120,
    "SESSION_ABSOLUTE_HOURS": 12,
    "MAX_PHOTO_BYTES": 2 * 1024 * 1024,
    # Request bodies (certexam.body_limits): refused with 413 before they are read. Upload routes have
    # lower limits of their own (the file's cap plus an envelope).
    "MAX_CONTENT_LENGTH": 16 * 1024 * 1024,
    "MAX_FORM_MEMORY_SIZE": 500_000,  # bytes of one form field, and of a whole urlencoded form
    "MAX_FORM_PARTS": 1_000,  # fields in one form
    # The JSON API: the longest constructed answer (20,000 characters, each up to 6 bytes as a JSON
    # escape) and its envelope.
    "API_MAX_BODY_BYTES": 256 * 1024,
    "PRODUCTION": False,
    # Employers' webhooks (issue 23) go to https URLs; plain http to this machine's loopback address
    # only when this is on (tests, a receiver on the same host). TESTING turns it on too.
    "WEBHOOK_ALLOW_LOOPBACK_HTTP": False,
    # Issue 22: the language an item shows in when it lacks the reader's, per reader language
    # (domain/locales.FALLBACK by default). In the environment: "pt:pt,en,zh_Hans;zh_Hant:zh_Hant,zh_Hans,en".
    "ITEM_LANGUAGE_FALLBACK": None,
}

DEV_VERIFY_HOST = "127.0.0.1:5000"  # where `certexam run` serves by default (Flask's own default)

_INT_KEYS = {"SMTP_PORT", "PASSWORD_RESET_MAX_AGE", "MAX_PHOTO_BYTES",
             "MAX_CONTENT_LENGTH", "MAX_FORM_MEMORY_SIZE", "MAX_FORM_PARTS", "API_MAX_BODY_BYTES",
             "SESSION_IDLE_MINUTES", "SESSION_ABSOLUTE_HOURS", "TRUSTED_PROXIES"}
_BOOL_KEYS = {"SMTP_STARTTLS", "PRODUCTION", "MAIL_VIA_WORKER", "RATELIMIT_ENABLED", "WEBHOOK_ALLOW_LOOPBACK_HTTP"}


def fallback_orders(raw: str) -> dict[str, tuple[str, ...]]:
    """Parse "pt:pt,en,zh_Hans;zh_Hant:zh_Hant,zh_Hans" (ITEM_LANGUAGE_FALLBACK); ValueError names a
    language that is not one of the four."""
    from certexam.domain.locales import SUPPORTED

    orders: dict[str, tuple[str, ...]] = {}
    for part in filter(None, (p.strip() for p in raw.split(";"))):
        reader, _sep, rest = part.partition(":")
        codes = tuple(c.strip() for c in rest.split(",") if c.strip())
        for code in (reader.strip(), *codes):
            if code not in SUPPORTED:
                raise ValueError(f"ITEM_LANGUAGE_FALLBACK: {code!r} is not one of {', '.join(SUPPORTED)}")
        orders[reader.strip()] = codes
    return orders


def _coerce(key: str, raw: str) -> Any:
    if key == "ITEM_LANGUAGE_FALLBACK":
        return fallback_orders(raw)
    if key in _INT_KEYS:
        return int(raw)
    if key in _BOOL_KEYS:
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    return raw


def from_environment(environ: dict[str, str] | None = None) -> dict[str, Any]:
    """Read every CERTEXAM_<KEY> variable that names a known setting."""
    env = os.environ if environ is None else environ
    found: dict[str, Any] = {}
    for key in [*DEFAULTS, "SECRET_KEY"]:
        raw = env.get(f"CERTEXAM_{key}")
        if raw is not None:
            found[key] = _coerce(key, raw)
    return found


def instance_secret_key(instance_path: Path) -> str:
    """Return the session key kept in instance/secret_key, creating it once.

    Every app server of a deployment must share it (sessions are signed
    cookies), so production sets CERTEXAM_SECRET_KEY instead.
    """
    path = instance_path / "secret_key"
    if not path.exists():
        instance_path.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
    return path.read_text().strip()


def sqlite_url(instance_path: Path) -> str:
    return f"sqlite:///{instance_path / 'certexam.sqlite3'}"


def verify_origin(config: Mapping[str, Any], request_host: str | None = None) -> tuple[str, str]:
    """Return (scheme, host[:port]) for the verification URL that certificate QR codes carry.

    VERIFY_HOST when set. Production must set it: a PDF printed with a guessed host would send
    every scan elsewhere for the certificate's whole validity. In development the host a request
    came to, else DEV_VERIFY_HOST, so the demo's QR codes open the server that is running.
    http only outside production and for a local address (a development server has no TLS).
    """
    host = str(config.get("VERIFY_HOST") or "").strip()
    production = bool(config.get("PRODUCTION"))
    if not host:
        if production:
            raise RuntimeError("CERTEXAM_VERIFY_HOST is not set: production prints the public "
                               "verification host in every certificate's QR code")
        host = request_host or DEV_VERIFY_HOST
    return ("http" if not production and is_local_host(host) else "https"), host


def is_local_host(host: str) -> bool:
    """True for localhost and loopback or private addresses (with or without a port)."""
    name = urlsplit(f"//{host}").hostname or ""
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_private  # loopback, 10/8, 172.16/12, 192.168/16, fc00::/7
    except ValueError:
        return False
