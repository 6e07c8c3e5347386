"""Recording audit entries from views (and the CLI); an entry is committed on its own."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from flask import has_request_context, request
from flask_login import current_user

from webapp.extensions import db
from webapp.forms import FORBIDDEN
from webapp.gigstack import GigstackError
from webapp.shell.scope import selected_team_id

from .models import OK, AuditEntry

log = logging.getLogger(__name__)


def record(
    action: str,
    *,
    team: str | None = None,
    object_type: str | None = None,
    object_id: str | None = None,
    outcome: str = OK,
    reason: str | None = None,
    detail: dict | None = None,
    staff=None,
    actor: str | None = None,
) -> AuditEntry:
    """Append one entry. Defaults: the signed-in staff member and the current request's team.

    ``reason`` is what a person typed (kept as typed); ``detail`` what the back office says
    of the action, a :class:`~webapp.audit.details.Detail` shown in the reader's language."""
    if staff is None and has_request_context() and current_user.is_authenticated:
        staff = current_user
    if team is None and has_request_context():
        team = selected_team_id()
    entry = AuditEntry(
        staff_id=getattr(staff, "id", None),
        actor=_storable(actor or getattr(staff, "email", None) or "anonymous"),
        team=_storable(team),
        action=action,
        object_type=object_type,
        object_id=_storable(None if object_id is None else str(object_id)),
        outcome=outcome,
        reason=_storable(reason or None),
        detail=dict(detail) if detail else None,
        remote_addr=request.remote_addr if has_request_context() else None,
    )
    db.session.add(entry)
    db.session.commit()
    log.info(
        "audit: %s %s %s/%s by %s -> %s",
        action,
        team or "-",
        object_type or "-",
        object_id or "-",
        entry.actor,
        outcome,
    )
    return entry


def _storable(text: str | None) -> str | None:
    """What a visitor typed, recorded as it was but for characters no database stores."""
    return None if text is None else FORBIDDEN.sub("\ufffd", text)


@contextmanager
def audited(
    action: str,
    *,
    object_type: str | None = None,
    object_id: str | None = None,
    reason: str | None = None,
    detail: dict | None = None,
    team: str | None = None,
) -> Iterator[dict]:
    """Record ``action`` as ok, or with the gigstack error code if the block raises one.

    The block may set ``entry["object_id"]`` (e.g. the id of what it created).
    """
    details: dict = {"object_id": object_id}
    try:
        yield details
    except GigstackError as error:
        record(
            action,
            team=team,
            object_type=object_type,
            object_id=details["object_id"],
            outcome=error.code or type(error).__name__,
            reason=reason,
            detail=detail,
        )
        raise
    record(
        action,
        team=team,
        object_type=object_type,
        object_id=details["object_id"],
        reason=reason,
        detail=detail,
    )
