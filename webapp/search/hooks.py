"""``POST /hooks/gigstack``: gigstack's webhook events (REFERENCE §10.7) keep the search index
fresh between syncs.

The body is trusted for nothing but *which* object changed: the event type, the team and
the object's id (and its mode: the other mode's objects are not this key's). gigstack's
contract defines no signature (§10.7, §13 #25), so none is checked — and none is needed:
the object is re-read from gigstack with the API key, scoped to the team, and that answer
is what the index gets (:mod:`.reindex`); a forged body can at most make the back office
ask gigstack about an object, as the nightly pass would. A team the index does not hold
(never synced, or out of the key's reach) and an event the index does not follow are
acknowledged and ignored, without a gigstack call.

No sign-in and no CSRF token (gigstack is no browser and carries neither); instead a size
limit (``HOOKS_MAX_BYTES``) and a rate limit per sender (``HOOKS_LIMITS``). The re-read is
done inline, not in a job: it is one ``GET`` by id (up to three for a CFDI whose type the
index does not know yet), bounded by ``HOOKS_BUDGET_SECONDS`` so the answer comes inside
gigstack's 5 s; the row is written when gigstack gets its 2xx, and no job row is made per
event (thousands an hour at 5,000 teams). When gigstack cannot be read in time the answer is
503 and the nightly pass catches the change. Idempotent: the same event twice writes the
same row. Nothing of the body is logged.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, current_app, request

from webapp.api import unscoped_api, upstream
from webapp.auth.access import public
from webapp.extensions import csrf, db, limiter
from webapp.gigstack.errors import GigstackError
from webapp.observability import current_trace

from .models import SyncState
from .reindex import EVENTS, reindex

log = logging.getLogger(__name__)

bp = Blueprint("hooks", __name__, url_prefix="/hooks")
bp.verbs = ("gigstack",)
bp.object = None  # nothing of the back office's own changes: no audit row per event

# what an id of gigstack's looks like (a team's, a client's, a CFDI's UUID)
OBJECT_ID = re.compile(r"[A-Za-z0-9_-]{1,128}")


def _limits() -> str:
    return current_app.config["HOOKS_LIMITS"]


def _answer(status: str, code: int = 202) -> tuple[dict[str, str], int]:
    return {"status": status}, code


def event_of(body: Any) -> tuple[str, str, str, Any] | None:
    """(event type, team, object id, CFDI type hint) from a WebhookEvent (``type ?? event``,
    ``data.object ?? data``); None when the body names no followed event, team or id."""
    if not isinstance(body, dict):
        return None
    event = body.get("type") or body.get("event")
    data = body.get("data") if isinstance(body.get("data"), dict) else {}
    obj = data.get("object") if isinstance(data.get("object"), dict) else data
    team = body.get("team")
    if event not in EVENTS or not isinstance(team, str) or not OBJECT_ID.fullmatch(team):
        return None
    if isinstance(body.get("livemode"), bool) and body["livemode"] != upstream().livemode:
        return None  # the other mode's object: this key cannot read it
    object_id = obj.get("uuid") or obj.get("id") if EVENTS[event] == "invoice" else obj.get("id")
    if not isinstance(object_id, str) or not OBJECT_ID.fullmatch(object_id):
        return None
    return event, team, object_id, obj.get("invoice_type")


def is_indexed(team: str) -> bool:
    """Whether the index holds ``team`` (a sync read it): one primary-key lookup."""
    return (
        db.session.scalar(sa.select(SyncState.team).where(SyncState.team == team).limit(1))
        is not None
    )


@bp.post("/gigstack")
@public
@csrf.exempt
@limiter.limit(_limits)
def gigstack():
    """Upstream calls: none for an ignored event; else one ``GET`` of the object by id
    (``GET /teams/{id}`` for a team event; up to three for a CFDI of unknown type)."""
    request.max_content_length = current_app.config["HOOKS_MAX_BYTES"]
    found = event_of(request.get_json(silent=True))
    if found is None:
        return _answer("ignored")
    event, team, object_id, hint = found
    indexed = is_indexed(team)
    db.session.commit()  # no connection held while gigstack answers
    if not indexed:
        return _answer("ignored")
    trace = current_trace()
    if trace is not None:  # every call of this request inside gigstack's 5 s
        trace.budget_seconds = current_app.config["HOOKS_BUDGET_SECONDS"]
    client = unscoped_api().for_team(team)
    try:
        done = reindex(db.engine, client, team, EVENTS[event], object_id, hint)
    except GigstackError as error:
        log.warning("webhook %s not indexed: gigstack %s", event, type(error).__name__)
        return _answer("unavailable", 503)
    return _answer(done.outcome)
