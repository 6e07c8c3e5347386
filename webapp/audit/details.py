"""An audit row's detail: one of :data:`MESSAGES` and its values, stored as they are and put
in words in the reader's language when shown (page, trail, CSV), not when recorded.

A row's ``detail`` is what the back office composed (``credit note F-2 of F-1``); its
``reason`` is what a person typed (a cancellation's motive, why a counter went down) and is
always shown as typed, after the detail. Rows recorded before details existed carry only a
``reason`` in English: shown as stored. Every message is declared here, once, marked with
``N_`` (Babel's default keyword) so ``make translations`` extracts it; a test checks each has
its Spanish translation. A value that is an enum gigstack or this app names (a field, a job
kind, an automation type) is stored as its code with its label kind (:func:`enum`,
:func:`enums`) and shown through :func:`webapp.labels.label`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from webapp.i18n import gettext
from webapp.labels import label

MESSAGES: set[str] = set()


def N_(message: str) -> str:
    """Declare a detail's message (translated when shown, not here)."""
    MESSAGES.add(message)
    return message


CHANGED = N_("changed: %(fields)s")
CREATED_WITH_ROLE = N_("role: %(role)s")
ROLE_CHANGED = N_("role: %(before)s → %(after)s")
STAFF_CREATED = N_("role: %(role)s; teams: %(teams)s")
STAFF_CHANGED = N_("changed: %(changes)s")
STAFF_NAME = N_("name: %(before)s → %(after)s")
STAFF_TEAMS = N_("teams: %(before)s → %(after)s")
STAFF_ACTIVE = N_("active: %(before)s → %(after)s")
STAFF_TEAMS_SET = N_("teams: %(teams)s")
TEAMS_ALL = N_("all teams")
TEAMS_NONE = N_("no team")
SESSIONS_ENDED = N_("sessions ended")
LINK_SHOWN = N_("link shown once")
LINK_SHOWN_OLDER_STOP = N_("link shown once; older links stop working")
ONBOARDING_LINK = N_("onboarding link generated")
CHANGED_WITH_LINK = N_("changed: %(fields)s; onboarding link generated")
TEAM_SWITCH = N_("from %(before)s to %(after)s")
LANGUAGE = N_("language: %(language)s")
SERIES_CREATED = N_("series %(series)s: live from %(live)s, test from %(test)s")
SERIES_MOVED = N_("counters: %(moves)s")
COUNTER_MOVED = N_("%(mode)s %(before)s → %(after)s")
CERTIFICATE = N_("certificate %(number)s of %(rfc)s, valid to %(until)s")
CLIENT_EXPORT = N_("search: %(query)s; filters: %(filters)s")
CLIENT_VALID = N_("the SAT validated the client's fiscal data")
CLIENT_INVALID = N_("the SAT did not validate the client's fiscal data")
CLIENT_FROM_CSF = N_("from the CSF of %(rfc)s")
CLIENT_UPDATED_FROM_CSF = N_("from the CSF of %(rfc)s; client updated")
INVOICE_ISSUED = N_("%(type)s %(folio)s · %(amount)s")
INVOICE_SENT = N_("sent to %(addresses)s")
INVOICE_CANCELLED = N_("motive %(motive)s")
INVOICE_CANCELLED_SUBSTITUTE = N_("motive %(motive)s, substitute %(substitute)s")
INVOICE_CANCELLED_DESPITE = N_("motive %(motive)s despite %(count)s valid related document(s)")
INVOICE_CANCELLED_SUBSTITUTE_DESPITE = N_(
    "motive %(motive)s, substitute %(substitute)s, despite %(count)s valid related document(s)"
)
CREDIT_NOTE = N_("credit note %(note)s of %(invoice)s (%(uuid)s) · %(amount)s")
PAYMENT_REGISTERED = N_("%(kind)s %(amount)s · %(automation)s")
PAYMENT_PAYS = N_("pays %(folio)s (%(uuid)s) · %(amount)s")
PAYMENT_FORM = N_("form of payment %(form)s")
REFUND = N_("refund of %(amount)s")
REFUND_OUTSIDE = N_("refund of %(amount)s (outside gigstack)")
RECEIPT_CREATED = N_("receipt for %(amount)s")
RECEIPT_STAMPED = N_("invoice %(invoice)s")
WEBHOOK_CREATED = N_("%(url)s · events subscribed: %(count)s")
WEBHOOK_DELETED = N_("webhook %(url)s")
JOB_STARTED = N_("%(kind)s: %(what)s")
JOB_RETRIED = N_("%(kind)s: failed items tried again: %(count)s")
JOB_FINISHED = N_("%(kind)s: ok %(ok)s, skipped %(skipped)s, failed %(failed)s of %(total)s")
JOB_MONTH = N_("%(month)s: %(kinds)s; %(statuses)s")
JOB_BULK_EVERY = N_("%(kind)s: every row matching")
JOB_BULK_CHOSEN = N_("%(kind)s: chosen: %(count)s")
JOB_TEAMS = N_("teams: %(count)s")
JOB_HOOKS = N_("teams: %(count)s → %(url)s")
JOB_NIGHTLY = N_("nightly full pass")
JOB_CLIENT = N_("client %(client)s")


class Detail(dict):
    """``Detail(CREDIT_NOTE, note="F-2", …)``: what the ``detail`` column stores (JSON)."""

    def __init__(self, msg: str, **values: Any) -> None:
        if msg not in MESSAGES:
            raise ValueError(f"audit detail message not declared in {__name__}: {msg!r}")
        super().__init__(msg=msg, values={k: _stored(v) for k, v in values.items()})


def enum(kind: str, value: Any) -> dict[str, Any]:
    """A value shown through the label table ``kind`` (:mod:`webapp.labels`)."""
    return {"label": kind, "value": None if value is None else str(value)}


def enums(kind: str, values: Iterable[Any]) -> dict[str, Any]:
    """Values of one label kind, shown as a comma-separated list in their words."""
    return {"label": kind, "values": [str(v) for v in values]}


def _stored(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return [_stored(item) for item in value]
    if isinstance(value, dict):
        return dict(value)
    if isinstance(value, bool | int | float) or value is None:
        return value
    return str(value)


def team_limit(team_ids: list[str] | None) -> Any:
    """A staff member's team limit as a detail's value: every team, none, or the ids."""
    if team_ids is None:
        return Detail(TEAMS_ALL)
    return ", ".join(team_ids) if team_ids else Detail(TEAMS_NONE)


def describe(detail: dict[str, Any] | None, reason: str | None = None) -> str:
    """A row's detail in the reader's language, then what was typed as it was typed."""
    parts = [_words(detail)] if detail else []
    if reason:
        parts.append(reason)
    return " · ".join(part for part in parts if part)


def _words(detail: dict[str, Any]) -> str:
    msg = str(detail.get("msg") or "")
    values = {k: _shown(v) for k, v in (detail.get("values") or {}).items()}
    try:
        return gettext(msg) % values
    except (KeyError, TypeError, ValueError):  # a translation that lost a variable
        return msg % values


def _shown(value: Any) -> Any:
    if isinstance(value, list):
        return "; ".join(str(_shown(item)) for item in value)
    if isinstance(value, dict) and "label" in value:
        if "values" in value:
            return ", ".join(label(value["label"], v) for v in value["values"])
        return label(value["label"], value.get("value"))
    if isinstance(value, dict) and "msg" in value:
        return _words(value)
    return "—" if value is None else value


def entry_reason(entry: Any) -> str:
    """An audit row's detail and typed reason (template global ``audit_reason``)."""
    return describe(entry.detail, entry.reason)
