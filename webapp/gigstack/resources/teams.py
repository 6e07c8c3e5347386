"""Teams (issuers), their members, series, settings, CSD and onboarding: REFERENCE §7.

On ``/teams/{id}/…`` routes the path id is the target team; a ``team=`` query is still sent
when given (the server ignores it there, §1.4) so every method keeps the same signature.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import GigstackError
from ..pagination import Page
from .base import CrudResource, Item, Upload, compact, read_upload, seg


class Teams(CrudResource):
    """``/teams``: CRUD plus integrations, members, series, settings, CSD, onboarding URL."""

    path = "/teams"

    def integrations(self, *, team: str | None = None) -> Item:
        """``{sat, stripe, openpay}`` connection state of the key's team (or ``team``)."""
        return self._call("GET", "/teams/integrations", team=team)

    def members(self, id: str, *, team: str | None = None) -> Page:
        """All members of a team, as one page (the API never pages members)."""
        return self._page(f"/teams/{seg(id)}/members", {}, team)

    def add_member(
        self, id: str, user_id: str, role: str | None = None, *, team: str | None = None
    ) -> Item:
        """Add an existing user (or change their role); role defaults to ``viewer`` upstream."""
        body = compact(id=user_id, role=role)
        return self._call("POST", f"/teams/{seg(id)}/add-member", team=team, json=body)

    def remove_member(self, id: str, user_id: str, *, team: str | None = None) -> Item:
        """Remove a member (the user account survives; the owner cannot be removed)."""
        return self._call(
            "POST", f"/teams/{seg(id)}/remove-member", team=team, json={"id": user_id}
        )

    def series(self, id: str, *, team: str | None = None) -> list[Item]:
        """Every folio series of a team (``live``/``test`` = last folio issued per mode)."""
        return self._page(f"/teams/{seg(id)}/series", {}, team).items

    def create_series(
        self, id: str, series: str, live: int = 0, test: int = 0, *, team: str | None = None
    ) -> Item:
        """Create a series with starting counters (last folio issued, so next = value + 1)."""
        body = {"series": series, "live": live, "test": test}
        return self._call("POST", f"/teams/{seg(id)}/series", team=team, json=body)

    def update_series(
        self,
        id: str,
        series_id: str,
        live: int | None = None,
        test: int | None = None,
        *,
        team: str | None = None,
    ) -> Item:
        """Move one or both counters; at least one must be given."""
        body = compact(live=live, test=test)
        if not body:
            raise ValueError("update_series needs live and/or test")
        path = f"/teams/{seg(id)}/series/{seg(series_id)}"
        return self._call("PUT", path, team=team, json=body)

    def settings(self, id: str, *, team: str | None = None) -> Item:
        """The team's TeamSettings."""
        return self._call("GET", f"/teams/{seg(id)}/settings", team=team)

    def update_settings(self, id: str, data: Mapping[str, Any], *, team: str | None = None) -> Item:
        """Partial settings update; unknown fields are rejected upstream with a 400."""
        return self._call("PUT", f"/teams/{seg(id)}/settings", team=team, json=dict(data))

    def upload_csd(
        self, id: str, cer: Upload, key: Upload, password: str, *, team: str | None = None
    ) -> Item:
        """Upload the CSD (.cer + .key + password) as multipart; returns TeamSat.

        Part names follow the CLI (``cert``, ``key``, ``keyPass``); none are ever logged.
        """
        files = {
            "cert": ("certificate.cer", read_upload(cer), "application/octet-stream"),
            "key": ("private.key", read_upload(key), "application/octet-stream"),
        }
        return self._call(
            "POST",
            f"/teams/{seg(id)}/sat-connection",
            team=team,
            files=files,
            data={"keyPass": password},
        )

    def onboarding_url(self, id: str, *, team: str | None = None) -> str:
        """A fresh onboarding link (each call invalidates the last): call on user action only."""
        data = self._call("GET", f"/teams/{seg(id)}/onboarding-url", team=team)
        if isinstance(data, str) and data:
            return data
        if isinstance(data, Mapping):
            url = data.get("url") or data.get("onboarding_url") or data.get("onboardingUrl")
            if isinstance(url, str) and url:
                return url
        raise GigstackError("gigstack returned no onboarding URL", code="invalid_response")
