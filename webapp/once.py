"""A create is sent once: every create form carries a one-time token (``once``).

The first POST with a token claims it, atomically in a store every process sees
(:mod:`webapp.once_tokens`: Redis with ``REDIS_URL``, else the database); a second POST with
the same token — a double click without JavaScript, a resubmitted form, the back button, at
the same moment on another worker — does not reach gigstack again: it is sent to what the
first one made, or told the first is still under way. A failed attempt releases the token so
the same form can be corrected and sent again.

A Redis that fails lets the form go ahead (the form's own double-submit guard still applies);
a database that fails stops it: the audit log could not be written either.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass

from flask import abort
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError

from webapp import once_tokens
from webapp.extensions import db
from webapp.forms import without_forbidden
from webapp.pages import navigate

log = logging.getLogger(__name__)

TTL_SECONDS = 24 * 60 * 60
PENDING = "pending"


def issue() -> str:
    """A fresh token for a form being shown."""
    return secrets.token_urlsafe(16)


def _key(token: str) -> str:
    """Per staff member; nothing a database refuses (a form sent unvalidated may carry it)."""
    return f"once:{getattr(current_user, 'id', 'anon')}:{without_forbidden(token[:64])}"


@dataclass(frozen=True)
class Claim:
    """``fresh``: go ahead. Otherwise ``result`` is where the first attempt's outcome is shown
    (None while it is still under way)."""

    fresh: bool
    result: str | None = None


def claim(token: str | None) -> Claim:
    """Claim ``token`` for this request. Without a token, or when Redis fails, go ahead;
    when the database fails, the error stops the request (nothing is sent)."""
    if not token:
        return Claim(True)
    key = _key(token)
    try:
        for _attempt in range(2):  # released by its first attempt in between: claim it again
            if once_tokens.add(key, PENDING, TTL_SECONDS):
                return Claim(True)
            value = once_tokens.get(key, PENDING)
            if value is not None:
                return Claim(False, None if value == PENDING else value)
    except SQLAlchemyError:
        db.session.rollback()
        raise
    except Exception as exc:  # Redis failures must not stop the form
        log.warning("once: store failed, going ahead: %s", type(exc).__name__)
    return Claim(True)


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
            once_tokens.put(_key(token), result, TTL_SECONDS)
        except Exception as exc:
            _failed("write", exc)


def release(token: str | None) -> None:
    """The attempt failed: the same form may be sent again."""
    if token:
        try:
            once_tokens.remove(_key(token))
        except Exception as exc:
            _failed("delete", exc)


def _failed(what: str, exc: Exception) -> None:
    """A store that failed after the call: logged (a repeat is told to wait), never raised
    over the answer of a create that happened."""
    if isinstance(exc, SQLAlchemyError):
        db.session.rollback()
    log.warning("once: store %s failed: %s", what, type(exc).__name__)
