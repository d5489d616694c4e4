"""Flask extensions, created here and bound in create_app."""

from __future__ import annotations

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf import CSRFProtect

babel = Babel()
csrf = CSRFProtect()
login_manager = LoginManager()
# Counters in memory by default; CERTEXAM_RATELIMIT_STORAGE_URI=redis://... shares them
# between app servers in production.
limiter = Limiter(key_func=get_remote_address, default_limits=[])
