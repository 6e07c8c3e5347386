"""Extension objects, created unbound and bound to the app in the factory."""

from __future__ import annotations

from flask_wtf.csrf import CSRFProtect
from htmx_flask import Htmx

csrf = CSRFProtect()
htmx = Htmx()
