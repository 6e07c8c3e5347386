"""Where one-time tokens are claimed (:mod:`webapp.once`): a store every process sees.

With ``REDIS_URL``, Redis (an atomic ``add`` in the app's cache, as for every shared state).
Without it, the database — SQLite under ``make run``, PostgreSQL in production — whose
primary key makes the claim atomic across gunicorn's workers; a per-process cache let two
workers each create the same object from one double click. Expired rows are deleted by
the next claim.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from webapp.clock import utcnow
from webapp.dbtypes import UtcDateTime
from webapp.extensions import cache, db


class OnceToken(db.Model):
    """A claimed token: ``result`` is where its create went, None while it is under way."""

    __tablename__ = "once_tokens"

    key: Mapped[str] = mapped_column(sa.String(128), primary_key=True)
    result: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)


def shared_in_redis() -> bool:
    """The app's cache is Redis (``REDIS_URL``): every process sees it."""
    return bool(current_app.config.get("REDIS_URL"))


def add(key: str, value: str, ttl: int) -> bool:
    """Store ``value`` under ``key`` unless a live one is there: True when this caller did."""
    if shared_in_redis():
        return bool(cache.add(key, value, timeout=ttl))
    now = utcnow()
    db.session.execute(sa.delete(OnceToken).where(OnceToken.expires_at < now))
    db.session.add(OnceToken(key=key, result=None, expires_at=now + timedelta(seconds=ttl)))
    try:
        db.session.commit()
    except IntegrityError:  # another request, in this process or another, claimed it first
        db.session.rollback()
        return False
    return True


def get(key: str, pending: str) -> str | None:
    """The value under ``key`` (``pending`` while under way), None when there is none."""
    if shared_in_redis():
        return cache.get(key)
    row = db.session.execute(
        sa.select(OnceToken.result).where(OnceToken.key == key, OnceToken.expires_at >= utcnow())
    ).first()
    if row is None:
        return None
    return pending if row.result is None else row.result


def put(key: str, value: str, ttl: int) -> None:
    """``key`` now leads to ``value``."""
    if shared_in_redis():
        cache.set(key, value, timeout=ttl)
        return
    expires = utcnow() + timedelta(seconds=ttl)
    db.session.execute(
        sa.update(OnceToken).where(OnceToken.key == key).values(result=value, expires_at=expires)
    )
    db.session.commit()


def remove(key: str) -> None:
    """``key`` is free again."""
    if shared_in_redis():
        cache.delete(key)
        return
    db.session.execute(sa.delete(OnceToken).where(OnceToken.key == key))
    db.session.commit()
