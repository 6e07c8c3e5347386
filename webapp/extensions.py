"""Extension objects, created unbound and bound to the app in the factory."""

from __future__ import annotations

from flask_babel import Babel
from flask_caching import Cache
from flask_compress import Compress
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from htmx_flask import Htmx
from sqlalchemy.orm import DeclarativeBase


class Model(DeclarativeBase):
    """Base of the back office's own tables (staff, audit); gigstack holds the business data."""


# brotli or gzip for pages and fragments (static files come compressed from WhiteNoise)
compress = Compress()
# objects stay readable after a commit: the request's staff row is loaded, then its connection
# goes back to the pool before the page waits on gigstack (webapp.auth.setup.load_staff)
db = SQLAlchemy(model_class=Model, session_options={"expire_on_commit": False})
csrf = CSRFProtect()
htmx = Htmx()
login_manager = LoginManager()
babel = Babel()
# limits are declared on the views that need them (sign-in); nothing is limited by default
# per process (SimpleCache) or Redis, chosen by REDIS_URL (webapp.config.derive)
cache = Cache()
limiter = Limiter(key_func=get_remote_address, default_limits=[])
