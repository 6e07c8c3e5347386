"""Webhooks: REFERENCE §10. Style-B envelopes (``success``, ``timestamp``) are ignored."""

from __future__ import annotations

from typing import Any, Literal, Unpack

from .base import CrudResource, ListParams, list_query

WebhookStatus = Literal["active", "inactive"]


class Webhooks(CrudResource):
    """``/webhooks``: list (by status), iter, get, create, update, delete."""

    path = "/webhooks"

    def _list_query(
        self, status: WebhookStatus | None = None, **params: Unpack[ListParams]
    ) -> tuple[str, dict[str, Any]]:
        """Optionally only ``active`` or ``inactive`` webhooks."""
        return self.path, list_query(params, status=status)
