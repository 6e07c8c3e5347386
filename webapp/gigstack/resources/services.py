"""Services (product/service catalogue): REFERENCE §3."""

from __future__ import annotations

from .base import CrudResource


class Services(CrudResource):
    """``/services``: list, iter, get, create, update, delete."""

    path = "/services"
