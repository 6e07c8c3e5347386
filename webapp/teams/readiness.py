"""Is a team ready to stamp? The onboarding checklist and the CSD's state, from data at hand.

The same rules feed the overview's checklist (full Team object plus its series) and the
directory's tabs (the cached :class:`~webapp.teams.team_list.TeamChoice`). Days count on the
app's clock so tests can move it (the valid SAT test CSD expires in May 2027).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from webapp.clock import now_seconds
from webapp.gigstack.timestamps import to_datetime
from webapp.i18n import lazy_gettext as _l

EXPIRY_WARNING_DAYS = 30
# how loud the CSD warning gets as expiry nears
WARNING_STEPS = (7, 15, 30)
DAY = 86400


@dataclass(frozen=True)
class CsdState:
    """``missing`` · ``expired`` · ``expiring`` (≤ 30 days) · ``ok``, with the days left."""

    status: str
    expires_at: float | None = None
    days_left: int | None = None

    @property
    def usable(self) -> bool:
        """Stamps and is not about to stop (the checklist's requirement)."""
        return self.status == "ok"

    @property
    def warning_level(self) -> int | None:
        """7, 15 or 30 when that few days (or fewer) are left; None otherwise."""
        if self.days_left is None or self.status in ("missing", "expired"):
            return None
        return next((step for step in WARNING_STEPS if self.days_left <= step), None)


def csd_state(completed: bool, expires_at: Any, now: float | None = None) -> CsdState:
    """The CSD's state from ``sat.completed`` and ``sat.csd_expires_at``."""
    moment = to_datetime(expires_at) if expires_at not in (None, "") else None
    if not completed:
        return CsdState("missing")
    if moment is None:
        return CsdState("ok")
    expires = moment.timestamp()
    left = (expires - (now_seconds() if now is None else now)) / DAY
    if left < 0:
        return CsdState("expired", expires, math.floor(left))
    days = math.floor(left)
    return CsdState("expiring" if days < EXPIRY_WARNING_DAYS else "ok", expires, days)


def missing_fiscal_data(legal_name: str, tax_id: str, tax_system: str, zip_code: str) -> bool:
    return not (legal_name and tax_id and tax_system and zip_code)


@dataclass(frozen=True)
class CheckItem:
    """One line of the onboarding checklist, linking to the screen that fixes it."""

    key: str
    label: Any
    done: bool
    detail: Any
    fix_endpoint: str


def checklist(team: dict[str, Any], series: list[dict[str, Any]]) -> list[CheckItem]:
    """What is missing before ``team`` can stamp: RFC, regime, postal code, a valid CSD not
    expiring within 30 days, and a series."""
    sat = team.get("sat") or {}
    csd = csd_state(bool(sat.get("completed")), sat.get("csd_expires_at"))
    zip_code = (team.get("address") or {}).get("zip") or ""
    csd_detail = {
        "missing": _l("No CSD uploaded yet."),
        "expired": _l("The CSD expired; upload the new one."),
        "expiring": _l("The CSD expires in %(days)s days; upload the new one.", days=csd.days_left),
        "ok": _l("Uploaded and valid."),
    }[csd.status]
    fiscal = [
        CheckItem(key, label, bool(value), value or missing, "team.edit")
        for key, label, value, missing in (
            ("rfc", _l("RFC"), team.get("tax_id"), _l("The team has no RFC.")),
            (
                "legal_name",
                _l("Legal name"),
                team.get("legal_name"),
                _l("The team has no legal name."),
            ),
            ("regime", _l("Tax regime"), team.get("tax_system"), _l("The team has no tax regime.")),
            ("zip", _l("Fiscal postal code"), zip_code, _l("The team has no fiscal postal code.")),
        )
    ]
    return [
        *fiscal,
        CheckItem(
            "csd", _l("Valid CSD (not expiring within 30 days)"), csd.usable, csd_detail, "team.csd"
        ),
        CheckItem(
            "series",
            _l("A series for invoices"),
            bool(series),
            ", ".join(s.get("series", "") for s in series) or _l("The team has no series."),
            "series.index",
        ),
    ]


def is_ready(items: list[CheckItem]) -> bool:
    return all(item.done for item in items)
