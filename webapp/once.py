"""A create is sent once: every create form carries a one-time token (``once``).

The first POST with a token claims it (an atomic ``add`` in the app's cache: per process, or
Redis shared by every process); a second POST with the same token — a double click without
JavaScript, a resubmitted form, the back button — does not reach gigstack again: it is sent to
what the first one made, or told the first is still under way. A failed attempt releases the
token so the same form can be corrected and sent again.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass

from flask import abort
from flask_login import current_user

from webapp.extensions import cache
from webapp.pages import navigate

log = logging.getLogger(__name__)

TTL_SECONDS = 24 * 60 * 60
PENDING = "pending"


def issue() -> str:
    """A fresh token for a form being shown."""
    return secrets.token_urlsafe(16)


def _key(token: str) -> str:
    return f"once:{getattr(current_user, 'id', 'anon')}:{token[:64]}"


@dataclass(frozen=True)
class Claim:
    """``fresh``: go ahead. Otherwise ``result`` is where the first attempt's outcome is shown
    (None while it is still under way)."""

    fresh: bool
    result: str | None = None


def claim(token: str | None) -> Claim:
    """Claim ``token`` for this request. Without a token, or when the cache fails, go ahead
    (the form's own double-submit guard still applies)."""
    if not token:
        return Claim(True)
    try:
        if cache.add(_key(token), PENDING, timeout=TTL_SECONDS):
            return Claim(True)
        value = cache.get(_key(token))
    except Exception as exc:  # Redis failures must not stop the form
        log.warning("once: cache failed, going ahead: %s", type(exc).__name__)
        return Claim(True)
    if value is None:  # expired between add and get
        return Claim(True)
    return Claim(False, None if value == PENDING else value)


def repeated(claim: Claim):
    """The answer to a form sent again: to what the first attempt made, or — while that one
    is still under way — a 409 page asking to wait."""
    if claim.result:
        return navigate(claim.result)
    abort(409, description="already_sent")


def done(token: str | None, result: str) -> None:
    """The attempt succeeded: a repeat of this form goes to ``result``."""
    if token:
        try:
            cache.set(_key(token), result, timeout=TTL_SECONDS)
        except Exception as exc:
            log.warning("once: cache write failed: %s", type(exc).__name__)


def release(token: str | None) -> None:
    """The attempt failed: the same form may be sent again."""
    if token:
        try:
            cache.delete(_key(token))
        except Exception as exc:
            log.warning("once: cache delete failed: %s", type(exc).__name__)
